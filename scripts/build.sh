#!/bin/sh
# build.sh — configure and build into a build directory.
# Usage: scripts/build.sh [BUILD_DIR [extra cmake arguments...]]
# Quiet on success; on failure the compiler's output is shown.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build}
[ $# -gt 0 ] && shift
log=$(mktemp /tmp/consent-milter-build.XXXXXX)
trap 'rm -f "$log"' EXIT
if ! { cmake -B "$dir" -S "$top" "$@" && cmake --build "$dir" -j "$(nproc)"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "build.sh: build in $dir failed" >&2
    exit 1
fi
