#!/bin/sh
# test_escape.sh — issue 10, item 10: nothing from the network reaches a
# log or a terminal raw. A real consent-milter (driven by miltertest) gets
# a message whose unknown category header decodes (RFC 2047) to a newline
# and a forged log line, a recipient and a Message-ID with ESC sequences;
# then its log and every audit format, show, check and classify must show
# those characters escaped (\n, \x1b, \u001b), never pass them.
. "$(dirname "$0")/lib.sh"
MILTER=$(dirname "$CTL")/consent-milter
MT_DIR=$(cd "$(dirname "$0")/../miltertest" && pwd)
command -v miltertest >/dev/null 2>&1 || { echo "miltertest missing: skipped"; exit 77; }

# expect_no_raw FILE WHAT: FILE holds no ESC, CR, BEL or C1 CSI (U+009B).
expect_no_raw() {
    if LC_ALL=C grep -q "$(printf '[\033\r\007]')" "$1" ||
        LC_ALL=C grep -q "$(printf '\302\233')" "$1"; then
        fail "$2" "raw control characters in: $(od -c "$1" | head -n 20)"
    else
        pass
    fi
}

db=$T/consent.db
"$CTL" -d "$db" init >/dev/null
"$CTL" -d "$db" grant yes@example.com >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/m.conf" <<CONF
Socket inet:$port@127.0.0.1
Database $db
AuditDatabase $T/audit.db
TrustedHeaderFrom 127.0.0.0/8
Syslog no
AuditAll yes
CONF
forged=$(printf 'bogus\nconsent-milter: QID: FORGED line\033[2J' | base64 -w0)
cat >"$T/inject.lua" <<LUA
dofile(common)
local conn = open_connection()
send(conn, {"<yes@example.com>", "<\\27[31mred\\27[0m\\r\\n@example.com>", "<=1+2@example.com>"},
     {{"From", "news@example.de"}, {"Subject", "Angebote \\27]0;title\\7"},
     {"Message-ID", "<id\\27[2Jx\\194\\155@example.de>"},
     {"X-Mail-Category", "=?UTF-8?B?$forged?="}},
     "Nur heute: 30% auf alles! Gutscheincode WOCHE30 im Warenkorb.\\r\\n")
mt.disconnect(conn)
LUA
"$MILTER" -c "$T/m.conf" -f 2>"$T/milter.log" &
MPID=$!
timeout 60 miltertest -D socket="inet:$port@127.0.0.1" -D common="$MT_DIR/common.lua" \
    -s "$T/inject.lua" >"$T/mt.out" 2>&1
STATUS=$?
expect_status 0 "miltertest sent the hostile message"
kill -TERM "$MPID"
i=0
while kill -0 "$MPID" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL "$MPID" 2>/dev/null
wait "$MPID" 2>/dev/null

# The log: the message's line is there, with the header value escaped.
expect_true "the log has the message's decision line" grep -q 'category=promotional' "$T/milter.log"
expect_true "the encoded newline is shown as \\n" grep -q -F 'bogus\nconsent-milter: QID: FOR' "$T/milter.log"
expect_true "no forged line in the log" sh -c "! grep -q '^consent-milter: QID: FOR' '$T/milter.log'"
expect_no_raw "$T/milter.log" "no raw control character in the log"

for f in table csv json; do
    run audit --audit-db "$T/audit.db" --format "$f"
    expect_status 0 "audit --format $f"
    expect_no_raw "$OUT" "audit --format $f: no raw ESC, CR, BEL or CSI"
done
run audit --audit-db "$T/audit.db" --format table
expect_out_has '\x1b[31mred' "audit table: the recipient's ESC as \\x1b"
run audit --audit-db "$T/audit.db" --format csv
expect_out_has '\x1b[31mred\x1b[0m\r\n@example.com' "audit csv: ESC, CR and LF escaped"
expect_out_has '\u009b' "audit csv: the C1 CSI escaped"
# issue 10, item 11: a recipient a spreadsheet would run as a formula.
expect_out_has ",\"'=1+2@example.com\"," "audit csv: a formula-like recipient guarded with a quote"
expect_out_lacks ',=1+2@example.com,' "audit csv: no bare formula-like field"
run audit --audit-db "$T/audit.db" --format json
expect_out_has '\u001b[31mred' "audit json: ESC as \\u001b"
expect_out_has '\u009b' "audit json: the C1 CSI as \\u009b"
expect_true "audit json: still JSON Lines" json_lines_ok "$OUT"

# consentctl's own outputs: show and check (evidence and source are free
# text), classify (its evidence quotes the message), errors.
printf 'address,action,source,evidence\nfree@example.com,grant,"web\033[5m",line one\rline two\n' >"$T/esc.csv"
run -d "$db" import "$T/esc.csv"
expect_status 0 "import a grant whose source and evidence hold ESC and CR"
run -d "$db" show free@example.com
expect_out_has 'source=web\x1b[5m evidence=line one\rline two' "show: source and evidence escaped"
expect_no_raw "$OUT" "show: nothing raw"
printf 'From: a@b.de\nSubject: Hallo\nX-Mail-Category: =?UTF-8?B?%s?=\n\nNur heute: 30%% auf alles! Gutscheincode WOCHE30.\n' "$forged" >"$T/inject.eml"
run classify "$T/inject.eml"
expect_status 0 "classify the hostile message"
expect_out_has 'bogus\nconsent-milter: QID: FOR' "classify: the header value escaped"
expect_no_raw "$OUT" "classify: nothing raw"
run classify --json "$T/inject.eml"
expect_no_raw "$OUT" "classify --json: nothing raw"
run -d "$db" check --category promotional "$(printf 'x\033[31m@example.com')"
expect_no_raw "$ERR" "check: the error about a bad address has nothing raw"
run -d "$db" import "$(printf '%s/no\033[31m.csv' "$T")"
expect_err_has 'no\x1b[31m.csv' "import: the file name in the error escaped"
finish
