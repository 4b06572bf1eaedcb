# test_show_check.sh — show (history and per-purpose state) and check (the
# decision: first line "allow ..." or "deny ...", then category, purpose,
# consent), through every consent state and the purpose rules.
. "$(dirname "$0")/lib.sh"

new_store sc
DB=$NEW_STORE

# check_is ADDR CATEGORY PURPOSE VERDICT REASON WHAT [extra options...]
# PURPOSE "-" means no --purpose. Asserts exit 0, the first line and the
# category/purpose lines.
check_is() {
    _addr=$1 _cat=$2 _purpose=$3 _verdict=$4 _reason=$5 _what=$6
    shift 6
    if [ "$_purpose" = - ]; then
        run -d "$DB" check "$@" --category "$_cat" "$_addr"
        _purpose=marketing
    else
        run -d "$DB" check "$@" --category "$_cat" --purpose "$_purpose" "$_addr"
    fi
    expect_status 0 "$_what: exit status"
    expect_first_line_starts "$_verdict $_reason: " "$_what: $_verdict $_reason"
    expect_out_line "category: $_cat" "$_what: category line"
    expect_out_line "purpose: $_purpose" "$_what: purpose line"
}

# ---- no record at all -----------------------------------------------------
check_is nobody@example.com promotional - deny no-consent "promotional to an unknown address"
expect_out_has "no consent on record for marketing" "no-consent: the reason says why"
expect_out_line "consent: none" "no-consent: consent line"
check_is nobody@example.com transactional - allow transactional "transactional to an unknown address"
check_is nobody@example.com after-sales - allow after-sales "after-sales to an unknown address"
run -d "$DB" check --category PROMOTIONAL nobody@example.com
expect_status 0 "--category PROMOTIONAL: exit status"
expect_first_line_starts "deny no-consent: " "category names are case-insensitive"
expect_out_line "category: promotional" "--category PROMOTIONAL: reported by its canonical name"

run -d "$DB" show nobody@example.com
expect_status 0 "show an unknown address: exit status"
expect_out_line "address: nobody@example.com" "show unknown: address line"
expect_out_line "history:" "show unknown: history heading"
expect_out_line "state:" "show unknown: state heading"
expect_out_has "  marketing    none" "show unknown: marketing none"
expect_out_lines 4 "show unknown: no history lines"

# ---- a marketing grant covers every own-marketing purpose ------------------
run -d "$DB" grant --at 2024-01-10T10:00:00Z mk@example.com
expect_status 0 "grant marketing"
check_is mk@example.com promotional - allow consent-granted "marketing grant, purpose marketing"
expect_out_has "consent for marketing granted at 2024-01-10T10:00:00Z covers marketing" \
    "consent-granted: the reason names the grant and its time"
expect_out_line "consent: granted" "consent-granted: consent line"
check_is mk@example.com promotional newsletter allow consent-granted "marketing grant covers newsletter"
expect_out_has "consent for marketing granted at 2024-01-10T10:00:00Z covers newsletter" \
    "marketing covers newsletter: the reason"
check_is mk@example.com promotional partner allow consent-granted "marketing grant covers partner"

# ---- a newsletter grant covers only newsletter -----------------------------
run -d "$DB" grant --purpose newsletter --at 2024-01-10T10:00:00Z nl@example.com
check_is nl@example.com promotional newsletter allow consent-granted "newsletter grant, purpose newsletter"
check_is nl@example.com promotional partner deny no-consent "newsletter grant does not cover partner"
check_is nl@example.com promotional - deny no-consent "newsletter grant does not cover marketing"
check_is nl@example.com transactional partner allow transactional "transactional needs no grant of the purpose"

run -d "$DB" show nl@example.com
expect_status 0 "show with a newsletter grant"
expect_out_has "  2024-01-10T10:00:00Z  grant     newsletter   source=- evidence=- recorded by consentctl:" \
    "show: the history line of the grant"
expect_out_line "  marketing    none" "show: marketing has no consent"
expect_out_line "  newsletter   granted since 2024-01-10T10:00:00Z" "show: newsletter granted since"

# ---- withdrawn --------------------------------------------------------------
run -d "$DB" grant --at 2024-01-01T00:00:00Z wd@example.com
run -d "$DB" withdraw --at 2024-02-01T00:00:00Z wd@example.com
expect_status 0 "withdraw"
check_is wd@example.com promotional - deny consent-withdrawn "withdrawn marketing"
expect_out_has "consent for marketing was withdrawn at 2024-02-01T00:00:00Z" "withdrawn: the reason"
expect_out_line "consent: withdrawn" "withdrawn: consent line"
check_is wd@example.com promotional newsletter deny consent-withdrawn "marketing withdrawal covers newsletter"
check_is wd@example.com transactional - allow transactional "transactional after a withdrawal"

# Withdrawing one purpose keeps the others of a marketing grant.
run -d "$DB" grant --at 2024-01-01T00:00:00Z part@example.com
run -d "$DB" withdraw --purpose newsletter --at 2024-02-01T00:00:00Z part@example.com
check_is part@example.com promotional newsletter deny consent-withdrawn "withdrawn newsletter"
check_is part@example.com promotional partner allow consent-granted "newsletter withdrawal keeps partner"
check_is part@example.com promotional - deny consent-withdrawn \
    "a newsletter withdrawal also stops mail that names no purpose"

# A later grant (by time) wins over an earlier withdrawal, whatever the order.
run -d "$DB" grant --at 2024-03-01T00:00:00Z --purpose newsletter re@example.com
run -d "$DB" withdraw --at 2024-02-01T00:00:00Z --purpose newsletter re@example.com
check_is re@example.com promotional newsletter allow consent-granted \
    "the event with the later time decides, not the recording order"

run -d "$DB" show part@example.com
expect_out_line "  marketing    withdrawn since 2024-02-01T00:00:00Z" "show: marketing withdrawn since"
expect_out_line "  newsletter   withdrawn since 2024-02-01T00:00:00Z" "show: newsletter withdrawn since"
expect_out_has "  2024-02-01T00:00:00Z  withdraw  newsletter   source=-" "show: the withdrawal's history line"

# ---- objected -----------------------------------------------------------------
run -d "$DB" grant --at 2024-01-01T00:00:00Z ob@example.com
run -d "$DB" object --at 2024-04-01T00:00:00Z --evidence "phone call" ob@example.com
expect_status 0 "object"
check_is ob@example.com promotional - deny objected "objected, promotional"
expect_out_has "objection to direct marketing recorded at 2024-04-01T00:00:00Z" "objected: the reason"
expect_out_line "consent: objected" "objected: consent line"
check_is ob@example.com promotional newsletter deny objected "objected, promotional newsletter"
check_is ob@example.com transactional - allow transactional "objected, transactional still allowed"
expect_out_line "consent: objected" "objected transactional: the consent line still says objected"
check_is ob@example.com after-sales - allow after-sales "objected, after-sales still allowed"

# An objection survives a later grant (even one dated later) ...
run -d "$DB" grant --at 2024-05-01T00:00:00Z ob@example.com
expect_status 0 "grant after an objection: exit status"
expect_err_has "objected to direct marketing; the objection still holds" "grant after an objection: note"
check_is ob@example.com promotional - deny objected "objection survives a later grant"
run -d "$DB" grant --purpose newsletter ob@example.com
check_is ob@example.com promotional newsletter deny objected "objection survives a later newsletter grant"

# ... and a later import grant.
printf 'address,action,purpose,at\nob@example.com,grant,marketing,2024-06-01T00:00:00Z\nOB@EXAMPLE.COM,grant,newsletter,\n' >"$T/regrant.csv"
run -d "$DB" import "$T/regrant.csv"
expect_status 0 "import of grants for an objected address: exit status"
check_is ob@example.com promotional - deny objected "objection survives a later import grant"
check_is ob@example.com promotional newsletter deny objected "objection survives a later import newsletter grant"

run -d "$DB" show ob@example.com
expect_status 0 "show an objected address"
expect_out_has "  2024-04-01T00:00:00Z  object    *            source=- evidence=phone call recorded by " \
    "show: the objection's history line"
expect_out_line "  marketing    objected since 2024-04-01T00:00:00Z" "show: marketing objected"
expect_out_line "  newsletter   objected since 2024-04-01T00:00:00Z" "show: newsletter objected"

# unobject needs --evidence, then lifts the objection (the grants count again).
run -d "$DB" unobject ob@example.com
expect_status 1 "unobject without --evidence: exit status"
expect_err_has "lifting an objection needs" "unobject without --evidence: message"
check_is ob@example.com promotional - deny objected "still objected after a refused unobject"
run -d "$DB" unobject --evidence "customer's letter of 2024-07-01" ob@example.com
expect_status 0 "unobject with --evidence: exit status"
check_is ob@example.com promotional - allow consent-granted "unobject lifts the objection"
check_is ob@example.com promotional newsletter allow consent-granted "unobject: newsletter allowed again"

# An objection recorded after the unobject holds again.
run -d "$DB" object ob@example.com
check_is ob@example.com promotional - deny objected "a new objection after an unobject holds"

# An objection with no grant at all.
run -d "$DB" object only-object@example.com
check_is only-object@example.com promotional - deny objected "objection without any grant"
check_is only-object@example.com transactional - allow transactional "objection without grant, transactional"

# ---- --max-age: consent older than DAYS is expired -----------------------------
run -d "$DB" grant --at 2020-01-01T00:00:00Z old@example.com
check_is old@example.com promotional - deny consent-expired "grant from 2020 with --max-age 30" --max-age 30
expect_out_has "consent for marketing given at 2020-01-01T00:00:00Z is older than the maximum age" \
    "expired: the reason"
expect_out_line "consent: expired" "expired: consent line"
check_is old@example.com promotional - allow consent-granted "grant from 2020 without --max-age"
check_is old@example.com promotional - allow consent-granted "--max-age 0 means no limit" --max-age 0
check_is old@example.com promotional - allow consent-granted "grant from 2020 with --max-age 36500" \
    --max-age 36500
check_is old@example.com transactional - allow transactional "an expired grant does not stop transactional" \
    --max-age 30
run -d "$DB" grant fresh@example.com
check_is fresh@example.com promotional - allow consent-granted "a grant of today with --max-age 1" --max-age 1
ten_days_ago=$(date -u -d '10 days ago' +%Y-%m-%dT%H:%M:%SZ)
run -d "$DB" grant --at "$ten_days_ago" ten@example.com
check_is ten@example.com promotional - deny consent-expired "10-day-old grant, --max-age 9" --max-age 9
check_is ten@example.com promotional - allow consent-granted "10-day-old grant, --max-age 11" --max-age 11

# ---- addresses compare case-insensitively; --case-sensitive --------------------
run -d "$DB" grant Max.Mustermann@Example.COM
check_is max.mustermann@example.com promotional - allow consent-granted "lower-case lookup of a mixed-case grant"
check_is MAX.MUSTERMANN@EXAMPLE.COM promotional - allow consent-granted "upper-case lookup"
check_is "<Max.Mustermann@example.com>" promotional - allow consent-granted "lookup in angle brackets"
check_is Max.Mustermann@EXAMPLE.com promotional - allow consent-granted \
    "--case-sensitive: exact local part, any case of the domain" --case-sensitive
check_is max.mustermann@example.com promotional - deny no-consent \
    "--case-sensitive: another case of the local part is another mailbox" --case-sensitive
check_is MAX.MUSTERMANN@example.com promotional - deny no-consent \
    "--case-sensitive: upper-case local part" --case-sensitive

# UTF-8 addresses (RFC 6531) fold the same way.
run -d "$DB" grant 'JÖRG@BÜCHER.example'
expect_status 0 "grant to a UTF-8 address"
check_is 'jörg@bücher.example' promotional - allow consent-granted "UTF-8 lookup, other case"
check_is 'jörg@bücher.example' promotional - deny no-consent "UTF-8 lookup, --case-sensitive" --case-sensitive
check_is 'JÖRG@Bücher.Example' promotional - allow consent-granted "UTF-8 lookup, --case-sensitive, exact local part" \
    --case-sensitive

# show finds the history under any case and reports the state.
run -d "$DB" show MAX.mustermann@EXAMPLE.com
expect_status 0 "show under another case"
expect_out_line "address: MAX.mustermann@example.com" "show: the address line lower-cases the domain"
expect_out_has "grant     marketing    source=-" "show under another case finds the history"
expect_out_line "  marketing    granted since $(grep -o '[0-9-]*T[0-9:]*Z' "$OUT" | head -n 1)" \
    "show: marketing granted since the grant's time"

# check the exit status is 0 for allow and deny alike, stderr stays quiet.
run -d "$DB" check --category promotional nobody@example.com
expect_status 0 "check deny: exit status 0"
expect_err_empty "check deny: nothing on stderr"

finish
