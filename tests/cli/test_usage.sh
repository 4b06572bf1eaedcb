# test_usage.sh — consentctl's command line: usage errors exit 2 with a
# message on stderr and touch nothing; bad data exits 1; --help and -V exit 0.
. "$(dirname "$0")/lib.sh"

new_store usage
DB=$NEW_STORE
run -d "$DB" export
cp "$OUT" "$T/export.before"

# A usage error: exit 2, "consentctl: WHAT" on stderr, nothing on stdout.
usage_case() {
    _what=$1
    _msg=$2
    shift 2
    run "$@"
    expect_status 2 "$_what: exit status"
    expect_err_has "consentctl: $_msg" "$_what: message"
    expect_out_empty "$_what: nothing on stdout"
}

# ---- the command itself --------------------------------------------------
usage_case "no command" "no command given" -d "$DB"
expect_err_has "Commands:" "no command: the help lists the commands"
for c in init grant withdraw object unobject show check import export; do
    expect_err_has "  $c " "no command: the help names '$c'"
done

usage_case "unknown command" "unknown command 'frobnicate'" -d "$DB" frobnicate a@example.com
usage_case "unknown global option" "Unknown option --bogus" --bogus -d "$DB" show a@example.com
usage_case "negative --wait" "--wait must not be negative" -w -5 -d "$DB" show a@example.com
run --wait soon -d "$DB" show a@example.com
expect_status 2 "non-numeric --wait: exit status"
expect_err_has "--wait" "non-numeric --wait: the message names the option"

# ---- missing and surplus arguments, every command -------------------------
for c in grant withdraw object unobject show; do
    usage_case "$c without ADDR" "missing argument" -d "$DB" "$c"
    usage_case "$c with two addresses" "too many arguments" -d "$DB" "$c" a@example.com b@example.com
done
usage_case "check without ADDR" "missing argument" -d "$DB" check --category promotional
usage_case "check with two addresses" "too many arguments" \
    -d "$DB" check --category promotional a@example.com b@example.com
usage_case "import without FILE" "missing argument" -d "$DB" import
usage_case "import with two files" "too many arguments" -d "$DB" import a.csv b.csv
usage_case "init with an argument" "too many arguments" -d "$DB" init extra
usage_case "export with an argument" "too many arguments" -d "$DB" export extra

# The usage text of a command should say which command it is about
# ("Usage: consentctl grant [OPTION...] ADDR"), not a bare "consentctl ADDR".
run -d "$DB" grant
usage_line=$(sed -n '/^Usage:/{n;p;q;}' "$ERR")
case $usage_line in
*grant*) pass ;;
*) fail "grant without ADDR: the usage text names the command 'grant'" "usage says: $usage_line" ;;
esac

# ---- unknown options of a command ------------------------------------------
usage_case "grant --bogus" "Unknown option --bogus" -d "$DB" grant --bogus a@example.com
usage_case "show --purpose" "Unknown option --purpose" -d "$DB" show --purpose x a@example.com
usage_case "object takes no --purpose" "Unknown option --purpose" \
    -d "$DB" object --purpose newsletter a@example.com
usage_case "unobject takes no --purpose" "Unknown option --purpose" \
    -d "$DB" unobject --purpose newsletter --evidence letter a@example.com
usage_case "export --category" "Unknown option --category" -d "$DB" export --category promotional

# ---- check: --category, --purpose, --max-age -------------------------------
usage_case "check without --category" "--category is required" -d "$DB" check a@example.com
usage_case "check --category bulk" "unknown category 'bulk'" \
    -d "$DB" check --category bulk a@example.com
usage_case "check --category ''" "unknown category ''" -d "$DB" check --category "" a@example.com
usage_case "check --purpose with capitals" "invalid purpose 'News'" \
    -d "$DB" check --category promotional --purpose News a@example.com
usage_case "check --purpose ''" "invalid purpose ''" \
    -d "$DB" check --category promotional --purpose "" a@example.com
usage_case "check --max-age -1" "--max-age must not be negative" \
    -d "$DB" check --category promotional --max-age -1 a@example.com
run -d "$DB" check --category promotional --max-age many a@example.com
expect_status 2 "check --max-age many: exit status"
expect_err_has "--max-age" "check --max-age many: the message names the option"

# ---- export --format ----------------------------------------------------------
usage_case "export --format xml" "unknown format 'xml' (csv or json)" -d "$DB" export --format xml
usage_case "export --format JSON" "unknown format 'JSON'" -d "$DB" export --format JSON

# ---- --at that is not ISO 8601 (every recording command) -------------------
for at in yesterday 2024-02-30 2024-13-01 2024-05-01T25:00:00Z 2024-05-01T10:00:00+2 \
    1969-12-31 1970-01-01T00:00:00Z "2024-05-01 junk" ""; do
    usage_case "grant --at '$at'" "--at '$at' is not an ISO 8601 time" \
        -d "$DB" grant --at "$at" a@example.com
done
usage_case "withdraw --at not ISO" "--at 'now' is not an ISO 8601 time" -d "$DB" withdraw --at now a@example.com
usage_case "object --at not ISO" "--at 'now' is not an ISO 8601 time" -d "$DB" object --at now a@example.com
usage_case "unobject --at not ISO" "--at 'now' is not an ISO 8601 time" \
    -d "$DB" unobject --at now --evidence letter a@example.com

# Usage errors must not have recorded anything.
run -d "$DB" export
expect_status 0 "export after the usage errors"
expect_same_file "$T/export.before" "$OUT" "usage errors recorded nothing"

# ---- bad data: exit 1 with a message naming what is wrong ------------------
# data_case WHAT "MSG[|MSG...]" ARGS...: exit 1, each MSG on stderr.
data_case() {
    _what=$1
    _msgs=$2
    shift 2
    run "$@"
    expect_status 1 "$_what: exit status"
    _old_ifs=$IFS
    IFS='|'
    for _m in $_msgs; do
        IFS=$_old_ifs
        expect_err_has "$_m" "$_what: message"
    done
    IFS=$_old_ifs
}
data_case "grant to an address without @" "invalid address: the address has no '@'" \
    -d "$DB" grant not-an-address
data_case "grant to an address with a space" "invalid address: the address contains a space" \
    -d "$DB" grant "max mustermann@example.com"
data_case "grant to a domain without a dot" "the domain has no dot" -d "$DB" grant max@localhost
data_case "grant to an empty local part" "the local part (before '@') is empty" \
    -d "$DB" grant @example.com
data_case "grant to an address that is not UTF-8" "the address is not valid UTF-8" \
    -d "$DB" grant "$(printf 'm\377x@example.com')"
data_case "grant with an invalid purpose" "invalid purpose 'News Letter'" \
    -d "$DB" grant --purpose "News Letter" a@example.com
data_case "grant in the future" "the time lies in the future" \
    -d "$DB" grant --at 2999-01-01 a@example.com
data_case "grant with evidence that is not UTF-8" "evidence|not valid UTF-8" \
    -d "$DB" grant --evidence "$(printf 'opt-in \377')" a@example.com
long_source=$(head -c 1100 /dev/zero | tr '\000' 's')
data_case "grant with a source over 1024 bytes" "source|longer than 1024 bytes" \
    -d "$DB" grant --source "$long_source" a@example.com
data_case "withdraw from an invalid address" "invalid address" -d "$DB" withdraw nobody-at-all
data_case "object for an invalid address" "invalid address" -d "$DB" object nobody-at-all
data_case "unobject without --evidence" "lifting an objection needs|evidence" \
    -d "$DB" unobject a@example.com
data_case "check an invalid address" "invalid address: the address has no '@'" \
    -d "$DB" check --category promotional not-an-address
data_case "show an invalid address" "invalid address: the address has no '@'" \
    -d "$DB" show not-an-address
data_case "import a file that does not exist" "cannot open $T/none.csv" \
    -d "$DB" import "$T/none.csv"

run -d "$DB" export
expect_same_file "$T/export.before" "$OUT" "refused bad data recorded nothing"

# ---- help and version: exit 0 on stdout ------------------------------------
run --help
expect_status 0 "--help: exit status"
expect_out_has "Commands:" "--help: lists the commands"
expect_out_has "Exit status: 0 ok, 1 refused or bad input, 2 usage error." "--help: states the exit codes"
for c in grant check import export; do
    run -d "$DB" "$c" --help
    expect_status 0 "$c --help: exit status"
    expect_out_has "Usage:" "$c --help: prints a usage on stdout"
done
run -d "$DB" check --help
expect_out_has "--category" "check --help: documents --category"
run -d "$DB" grant --help
expect_out_has "--purpose" "grant --help: documents --purpose"
run -V
expect_status 0 "-V: exit status"
expect_first_line_starts "consentctl " "-V: prints the version"
expect_out_has "schema 3" "-V: names the store schema"

finish
