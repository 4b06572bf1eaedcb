# test_record.sh — init, and the recording commands grant / withdraw /
# object / unobject with --purpose, --source, --evidence, --at and --by:
# what each one writes into the history, as show and export report it.
. "$(dirname "$0")/lib.sh"

ME=$(id -un)
HEADER=address,action,purpose,at,source,evidence,recorded_by,recorded_at

# ---- init: a new file ------------------------------------------------------
DB=$T/consent.db
run -d "$DB" init
expect_status 0 "init of a new file: exit status"
expect_out_line "consent store $DB ready (schema version 3)" "init: says the store is ready"
expect_err_empty "init of a new file: nothing on stderr"
expect_true "init created the file" test -s "$DB"
expect_true "the new store is at schema version 2" \
    test "$(sqlite3 "$DB" 'PRAGMA user_version')" = 3
expect_true "the new store carries an application id" \
    test "$(sqlite3 "$DB" 'PRAGMA application_id')" != 0
expect_true "the new store is in WAL mode" \
    test "$(sqlite3 "$DB" 'PRAGMA journal_mode')" = wal
run -d "$DB" export
expect_status 0 "export of a new store"
expect_out_line "$HEADER" "export of a new store: the header row"
expect_out_lines 1 "a new store holds no events"

# A new store inside a directory that does not exist: refused, nothing made.
run -d "$T/no/such/dir/consent.db" init
expect_status 1 "init in a missing directory: exit status"
expect_err_has "$T/no/such/dir/consent.db" "init in a missing directory: the message names the file"
expect_true "init in a missing directory created nothing" test ! -e "$T/no"

# ---- grant with every option -----------------------------------------------
run -d "$DB" grant --purpose newsletter --source https://shop.example/signup \
    --evidence "double opt-in 2024-05-01 10:02 from 192.0.2.7, text v3" \
    --at 2024-05-01T10:00:00Z --by "crm-sync" Max.Mustermann@Example.COM
expect_status 0 "grant with every option: exit status"
expect_out_empty "grant: nothing on stdout"
expect_err_empty "grant: nothing on stderr"
run -d "$DB" export
expect_out_has 'Max.Mustermann@example.com,grant,newsletter,2024-05-01T10:00:00Z,https://shop.example/signup,"double opt-in 2024-05-01 10:02 from 192.0.2.7, text v3",crm-sync,' \
    "grant: every field recorded (domain lower-cased, local part kept)"
run -d "$DB" show max.mustermann@example.com
expect_status 0 "show after grant"
expect_out_has "2024-05-01T10:00:00Z  grant     newsletter   source=https://shop.example/signup evidence=double opt-in 2024-05-01 10:02 from 192.0.2.7, text v3 recorded by crm-sync at " \
    "show: the grant's history line"

# Short options -p -s -e; --at with a zone offset is stored in UTC.
run -d "$DB" grant -p partner -s pos-terminal -e "paper form #17" --at 2024-05-01T12:30:00+02:00 \
    erika@example.org
expect_status 0 "grant with short options and an offset: exit status"
run -d "$DB" export
expect_out_has "erika@example.org,grant,partner,2024-05-01T10:30:00Z,pos-terminal,paper form #17,consentctl:$ME," \
    "grant: short options recorded, the time converted to UTC"

# A date alone is midnight UTC; fractions are dropped.
run -d "$DB" grant --at 2024-03-01 date-only@example.org
expect_status 0 "grant --at DATE: exit status"
run -d "$DB" grant --at 2024-03-01T08:09:10.987Z fraction@example.org
expect_status 0 "grant --at with a fraction: exit status"
run -d "$DB" export
expect_out_has "date-only@example.org,grant,marketing,2024-03-01T00:00:00Z," "grant --at DATE is midnight UTC"
expect_out_has "fraction@example.org,grant,marketing,2024-03-01T08:09:10Z," "grant --at drops the fraction"

# Defaults: purpose marketing, at now, recorded by consentctl:USER,
# or consentctl:SUDO_USER behind sudo.
before=$(date -u +%s)
run -d "$DB" grant plain@example.net
after=$(date -u +%s)
expect_status 0 "grant with defaults: exit status"
run -d "$DB" export
line=$(grep '^plain@example.net,' "$OUT")
case $line in
"plain@example.net,grant,marketing,"*",,,consentctl:$ME,"*) pass ;;
*) fail "grant defaults: purpose marketing, no source or evidence, recorded by consentctl:$ME" "row: $line" ;;
esac
at=$(echo "$line" | cut -d, -f4)
at_s=$(date -u -d "$at" +%s 2>/dev/null || echo 0)
expect_true "grant without --at is recorded at the current time ($at)" \
    test "$at_s" -ge $((before - 1)) -a "$at_s" -le $((after + 1))

SUDO_USER=alice
export SUDO_USER
run -d "$DB" grant sudo@example.net
unset SUDO_USER
expect_status 0 "grant behind sudo: exit status"
run -d "$DB" export
expect_out_has "sudo@example.net,grant,marketing," "grant behind sudo recorded"
line=$(grep '^sudo@example.net,' "$OUT")
case $line in
*",consentctl:alice,"*) pass ;;
*) fail "grant behind sudo is recorded by consentctl:alice (SUDO_USER)" "row: $line" ;;
esac

# Angle brackets and surrounding blanks are removed.
run -d "$DB" grant "  <Bracket@Example.NET> "
expect_status 0 "grant to <address> with blanks: exit status"
run -d "$DB" export
expect_out_has "Bracket@example.net,grant,marketing," "grant: brackets and blanks removed"

# ---- withdraw ------------------------------------------------------------------
run -d "$DB" withdraw --purpose newsletter --source unsubscribe-link --evidence "clicked 2024-06-01" \
    --at 2024-06-01T09:00:00Z --by web MAX.MUSTERMANN@example.com
expect_status 0 "withdraw with every option: exit status"
expect_out_empty "withdraw: nothing on stdout"
run -d "$DB" export
expect_out_has "MAX.MUSTERMANN@example.com,withdraw,newsletter,2024-06-01T09:00:00Z,unsubscribe-link,clicked 2024-06-01,web," \
    "withdraw: every field recorded"
run -d "$DB" withdraw plain@example.net
expect_status 0 "withdraw with defaults: exit status"
run -d "$DB" export
expect_out_has "plain@example.net,withdraw,marketing," "withdraw defaults to the purpose marketing"

# ---- object / unobject -------------------------------------------------------
run -d "$DB" object --source phone --evidence "call 2024-07-01, agent 12" --at 2024-07-01T08:00:00Z \
    --by hotline erika@example.org
expect_status 0 "object with every option: exit status"
expect_out_empty "object: nothing on stdout"
run -d "$DB" export
expect_out_has 'erika@example.org,object,*,2024-07-01T08:00:00Z,phone,"call 2024-07-01, agent 12",hotline,' \
    "object: every field recorded, purpose '*'"

# A grant after an objection is recorded, with a note that the objection holds.
run -d "$DB" grant erika@example.org
expect_status 0 "grant after an objection: exit status"
expect_err_has "the grant is recorded, but erika@example.org objected to direct marketing; the objection still holds" \
    "grant after an objection: the note says the objection holds"

# unobject needs --evidence; without it nothing is recorded.
run -d "$DB" export
cp "$OUT" "$T/before-unobject"
run -d "$DB" unobject erika@example.org
expect_status 1 "unobject without --evidence: exit status"
expect_err_has "lifting an objection needs" "unobject without --evidence: message"
expect_err_has "evidence" "unobject without --evidence: the message names the evidence"
run -d "$DB" unobject --evidence "" erika@example.org
expect_status 1 "unobject with an empty --evidence: exit status"
run -d "$DB" export
expect_same_file "$T/before-unobject" "$OUT" "a refused unobject records nothing"

run -d "$DB" unobject --evidence "written request 2024-08-01" --source letter --by dpo erika@example.org
expect_status 0 "unobject with --evidence: exit status"
run -d "$DB" export
line=$(grep '^erika@example.org,unobject,' "$OUT")
case $line in
"erika@example.org,unobject,*,"*",letter,written request 2024-08-01,dpo,"*) pass ;;
*) fail "unobject: recorded with its source, evidence and recorder" "row: $line" ;;
esac

# ---- refused events record nothing --------------------------------------------
run -d "$DB" export
cp "$OUT" "$T/before-refused"
run -d "$DB" grant --purpose "Not Valid" a@example.com
expect_status 1 "grant with an invalid purpose: exit status"
expect_err_has "invalid purpose 'Not Valid'" "grant with an invalid purpose: message"
run -d "$DB" grant --at 2999-01-01T00:00:00Z a@example.com
expect_status 1 "grant in the future: exit status"
run -d "$DB" grant "a@@example.com"
expect_status 1 "grant to a malformed address: exit status"
run -d "$DB" withdraw --purpose "x y" a@example.com
expect_status 1 "withdraw with an invalid purpose: exit status"
run -d "$DB" export
expect_same_file "$T/before-refused" "$OUT" "refused events recorded nothing"

# ---- init again: idempotent, keeps every event -------------------------------
run -d "$DB" export
cp "$OUT" "$T/before-init"
run -d "$DB" init
expect_status 0 "init on an existing store: exit status"
expect_out_line "consent store $DB ready (schema version 3)" "init on an existing store: ready"
run -d "$DB" init
expect_status 0 "init a third time: exit status"
run -d "$DB" export
expect_same_file "$T/before-init" "$OUT" "init on an existing store keeps every event"
expect_true "init keeps the schema version" test "$(sqlite3 "$DB" 'PRAGMA user_version')" = 3

# The history is append-only in the database itself.
expect_true "the store refuses DELETE on the history" \
    sh -c '! sqlite3 "$1" "DELETE FROM events" 2>/dev/null' sh "$DB"
expect_true "the store refuses UPDATE on the history" \
    sh -c '! sqlite3 "$1" "UPDATE events SET action = '"'grant'"'" 2>/dev/null' sh "$DB"
run -d "$DB" export
expect_same_file "$T/before-init" "$OUT" "the history is unchanged after the refused DELETE/UPDATE"

finish
