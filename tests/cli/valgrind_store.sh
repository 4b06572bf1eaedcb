#!/bin/sh
# valgrind_store.sh VALGRIND CONSENTCTL FIXTURES — every store command of
# consentctl once under valgrind; any error or definite leak fails.
set -eu
vg=$1 ctl=$2 fixtures=$3
dir=$(mktemp -d /tmp/consent-vg.XXXXXX)
trap 'rm -rf "$dir"' EXIT
db=$dir/consent.db
run() { "$vg" --quiet --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect "$ctl" -d "$db" "$@" >/dev/null; }
run init
run import "$fixtures/consent-import.csv"
run grant anna@example.de --purpose newsletter --evidence "DOI test"
run withdraw anna@example.de --purpose newsletter
run object bob@example.de
run unobject bob@example.de --evidence "written request"
run show anna@example.de
run check anna@example.de --category promotional --purpose newsletter
run export --format csv
run export --format json
# refused operations must not leak either
if run import /dev/null 2>/dev/null; then echo "empty import accepted" >&2; exit 1; fi
rc=0; run check 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || { echo "usage error gave $rc" >&2; exit 1; }
echo "valgrind_store.sh: every command clean"
