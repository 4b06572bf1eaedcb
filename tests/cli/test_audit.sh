#!/bin/sh
# test_audit.sh — consentctl audit: a real consent-milter audits what it
# holds back (driven by miltertest), then the rows are listed as table, CSV
# and JSON, filtered by --since, and purged by --before and AuditRetention.
. "$(dirname "$0")/lib.sh"
MILTER=$(dirname "$CTL")/consent-milter
MT_DIR=$(cd "$(dirname "$0")/../miltertest" && pwd)
command -v miltertest >/dev/null 2>&1 || { echo "miltertest missing: skipped"; exit 77; }

db=$T/consent.db
"$CTL" -d "$db" init >/dev/null
"$CTL" -d "$db" grant yes@example.com >/dev/null
"$CTL" -d "$db" grant no@example.com >/dev/null
"$CTL" -d "$db" withdraw no@example.com >/dev/null
"$CTL" -d "$db" grant obj@example.com >/dev/null
"$CTL" -d "$db" object obj@example.com >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/m.conf" <<CONF
Socket inet:$port@127.0.0.1
Database $db
AuditDatabase $T/audit.db
TrustedHeaderFrom 127.0.0.0/8
Syslog no
AuditRetention 30d
CONF
"$MILTER" -c "$T/m.conf" -f 2>"$T/milter.log" &
MPID=$!
timeout 60 miltertest -D socket="inet:$port@127.0.0.1" -D common="$MT_DIR/common.lua" \
    -s "$MT_DIR/reject_split.lua" >/dev/null 2>&1
STATUS=$?
expect_status 0 "the milter held back three recipients"
kill -TERM "$MPID"
i=0
while kill -0 "$MPID" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL "$MPID" 2>/dev/null
wait "$MPID" 2>/dev/null

run audit --audit-db "$T/audit.db"
expect_status 0 "audit table"
expect_out_has "RECIPIENT" "table header"
expect_out_has "no@example.com" "withdrawn recipient audited"
expect_out_has "obj@example.com" "objected recipient audited"
expect_out_has "who@example.com" "unknown recipient audited"
expect_out_lacks "yes@example.com" "the consented recipient is not audited"
expect_out_has "deleted-recipient" "the action"
expect_out_has "consent-withdrawn" "the reason"

run audit --audit-db "$T/audit.db" --format csv
expect_status 0 "audit csv"
expect_out_has "id,at,queue_id,message_id,sender,recipient,category,source,evidence,consent,action,mode,reason" "csv header"
expect_out_has "QID4711" "queue id"
expect_out_has "<n1@example.de>" "Message-ID"
expect_out_has "<shop@example.de>" "sender"
expect_out_has "objected" "consent state"
lines=$(wc -l <"$OUT")
[ "$lines" -eq 4 ] && pass "csv: header and three rows" || fail "csv: $lines lines"

run audit --audit-db "$T/audit.db" --format json
expect_status 0 "audit json"
if python3 -c 'import json,sys; rows=[json.loads(l) for l in open(sys.argv[1])]; assert len(rows)==3; assert all(r["category"]=="promotional" and r["mode"]=="reject" for r in rows)' "$OUT"; then
    pass "json: three well-formed rows"
else
    fail "json rows"
fi

run audit --audit-db "$T/audit.db" --since 2999-01-01 --format csv
expect_status 0 "audit --since in the future"
lines=$(wc -l <"$OUT")
[ "$lines" -eq 1 ] && pass "--since filters" || fail "--since: $lines lines"
run audit --audit-db "$T/audit.db" --since 1d --format csv
lines=$(wc -l <"$OUT")
[ "$lines" -eq 4 ] && pass "--since 1d keeps today's rows" || fail "--since 1d: $lines lines"

run audit --audit-db "$T/audit.db" --since yesterday
expect_status 2 "bad --since is a usage error"
run audit --audit-db "$T/audit.db" --format xml
expect_status 2 "bad --format is a usage error"
run audit --audit-db "$T/no-audit.db"
expect_status 1 "missing audit store"
run audit --audit-db "$db"
expect_status 1 "a consent store is not an audit store"
expect_err_has "not an audit store" "says so"

run -c "$T/m.conf" audit purge
expect_status 0 "purge by AuditRetention"
expect_out_has "purged 0 audit rows" "nothing is 30 days old"
run audit purge --audit-db "$T/audit.db" --before 2999-01-01
expect_status 0 "purge --before"
expect_out_has "purged 3 audit rows" "all three purged"
run audit purge --audit-db "$T/audit.db"
expect_status 2 "purge without --before or -c"
run -c "$T/m.conf" audit --format csv
lines=$(wc -l <"$OUT")
[ "$lines" -eq 1 ] && pass "-c finds the audit store; it is empty now" || fail "after purge: $lines lines"

finish
