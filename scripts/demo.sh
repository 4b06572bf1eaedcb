#!/bin/sh
# demo.sh — install what is needed, build, and show consent-milter's consent
# store at work on its embedded SQLite default: consent recorded by hand and
# by import, a withdrawal and an objection, then the decision for each
# recipient and category, and the recorded history.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
./scripts/install-deps.sh
./scripts/build.sh "$top/build"

ctl="$top/build/consentctl"
work=$(mktemp -d /tmp/consent-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
db="$work/consent.db"
run() { echo "\$ consentctl $*"; "$ctl" -d "$db" "$@"; }

echo "== a consent store (one SQLite file, WAL mode)"
run init
run import demo/consents.csv
run grant dora@example.org --purpose marketing --source phone \
    --evidence "call 2025-09-01, agent 17, consent text v4" --at 2025-09-01T10:30:00Z
run object "Erik.Jansen@Example.NL" --source letter --evidence "letter of 2025-10-02"
run grant erik.jansen@example.nl --source import-from-crm || true
echo
echo "== who may receive what"
printf '%-26s %-14s %-11s %-6s %s\n' RECIPIENT CATEGORY PURPOSE RESULT REASON
for rcpt in anna.schmidt@example.de ben.mueller@example.de clara.weber@example.com \
            dora@example.org erik.jansen@example.nl fritz@example.com; do
    for cp in transactional:marketing after-sales:marketing promotional:marketing \
              promotional:newsletter; do
        cat=${cp%%:*} purpose=${cp#*:}
        line=$("$ctl" -d "$db" check "$rcpt" --category "$cat" --purpose "$purpose" | head -1)
        result=${line%% *}
        reason=${line#*: }
        printf '%-26s %-14s %-11s %-6s %s\n' "$rcpt" "$cat" "$purpose" "$result" "$reason"
    done
done
echo
echo "== the record for one address"
run show clara.weber@example.com
echo
echo "== the whole history, as JSON Lines (consentctl export --format json)"
"$ctl" -d "$db" export --format json
