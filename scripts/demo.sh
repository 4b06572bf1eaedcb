#!/bin/sh
# demo.sh — install what is needed, build, and show consent-milter at work:
# consentctl on the embedded SQLite consent store, the classifier on sample
# mails, then a private Postfix on 127.0.0.1 with the milter in front of it,
# the sample mails sent to five customers with different consent, who got
# what, and the audit. Runs as root (it starts Postfix).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
./scripts/install-deps.sh
./scripts/build.sh "$top/build"

# The store alone first, then the real thing: Postfix + the milter.
ctl="$top/build/consentctl"
work=$(mktemp -d /tmp/consent-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
db="$work/consent.db"
run() { echo "\$ consentctl $*"; "$ctl" -d "$db" "$@"; }

echo "== consentctl on a consent store (one SQLite file, WAL mode)"
run init
run import demo/consents.csv
run grant dora@example.org --purpose marketing --source phone --evidence "call, agent 17, text v4"
run check clara.weber@example.com --category promotional
run show clara.weber@example.com
echo
echo "== consentctl classify: what the milter will make of the sample mails"
"$ctl" classify demo/mail/*.eml
echo
exec sh "$top/demo/run-demo.sh" "$top/build/consent-milter" "$ctl" "$top/tests/fixtures"
