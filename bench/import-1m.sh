#!/bin/sh
# import-1m.sh — time `consentctl import` of a generated CSV (default one
# million rows) into a fresh store; prints rows/s and the store's size.
# Usage: bench/import-1m.sh [BUILD_DIR] [ROWS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
rows=${2:-1000000}
work=$(mktemp -d /tmp/consent-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 "$here/make-consent-csv.py" "$rows" > "$work/list.csv"
"$build/consentctl" -d "$work/consent.db" init >/dev/null
start=$(date +%s.%N)
"$build/consentctl" -d "$work/consent.db" import "$work/list.csv" >/dev/null
end=$(date +%s.%N)
size=$(stat -c %s "$work/consent.db")
csv=$(stat -c %s "$work/list.csv")
awk -v r="$rows" -v s="$start" -v e="$end" -v z="$size" -v c="$csv" 'BEGIN {
    t = e - s
    printf "import: %d rows (%.1f MB CSV) in %.2f s = %.0f rows/s; store %.1f MB (%.1f MB per million rows)\n",
        r, c / 1e6, t, r / t, z / 1e6, z / 1e6 / (r / 1e6)
}'
