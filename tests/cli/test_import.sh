# test_import.sh — import FILE.csv: columns by name, BOM, CRLF, quoted
# fields, '-' for standard input, and all-or-nothing: every kind of bad
# row or file exits 1, names the line and the field, and imports nothing.
. "$(dirname "$0")/lib.sh"

ME=$(id -un)
new_store imp
DB=$NEW_STORE

# expect_summary N GRANT WITHDRAW OBJECT WHAT: "imported N rows (grant G,
# withdraw W, object O...)" on stdout.
expect_summary() {
    _line=$(grep '^imported ' "$OUT" | head -n 1)
    case $_line in
    "imported $1 rows (grant $2, withdraw $3, object $4"[,\)]*) pass ;;
    *) fail "$5" "expected 'imported $1 rows (grant $2, withdraw $3, object $4...', got: $_line" ;;
    esac
}

# export_rows: the store's export without its header row, into $T/rows.
export_rows() {
    run -d "$DB" export
    tail -n +2 "$OUT" >"$T/rows"
}

# ---- a valid file -------------------------------------------------------------
cat >"$T/valid.csv" <<'EOF'
address,action,purpose,at,source,evidence
anna@example.com,grant,newsletter,2024-05-01T10:00:00Z,https://shop.example/form,double opt-in v3
Bernd@Example.COM,grant,,2024-05-02,crm,
carla@example.com,withdraw,newsletter,2024-05-03T08:00:00+02:00,,
dora@example.com,object,,2024-05-04T00:00:00Z,phone,call
emil@example.com,,partner,,,
EOF
run -d "$DB" import "$T/valid.csv"
expect_status 0 "valid file: exit status"
expect_summary 5 3 1 1 "valid file: the summary counts by action"
expect_err_empty "valid file: nothing on stderr"
export_rows
expect_true "valid file: 5 events in the store" test "$(wc -l <"$T/rows")" -eq 5
expect_true "valid file: row 1 as given" \
    grep -q "^anna@example.com,grant,newsletter,2024-05-01T10:00:00Z,https://shop.example/form,double opt-in v3,consentctl:$ME," "$T/rows"
expect_true "valid file: domain lower-cased, purpose defaults to marketing, a date is midnight" \
    grep -q "^Bernd@example.com,grant,marketing,2024-05-02T00:00:00Z,crm,,consentctl:$ME," "$T/rows"
expect_true "valid file: an offset is converted to UTC" \
    grep -q "^carla@example.com,withdraw,newsletter,2024-05-03T06:00:00Z,,," "$T/rows"
expect_true "valid file: an objection gets the purpose '*'" \
    grep -q '^dora@example.com,object,\*,2024-05-04T00:00:00Z,phone,call,' "$T/rows"
expect_true "valid file: an empty action is a grant" \
    grep -q '^emil@example.com,grant,partner,' "$T/rows"
run -d "$DB" check --category promotional --purpose newsletter anna@example.com
expect_first_line_starts "allow " "valid file: the imported grant decides check"
run -d "$DB" check --category promotional dora@example.com
expect_first_line_starts "deny objected" "valid file: the imported objection decides check"

# --by names the recorder.
printf 'address\nby1@example.com\n' >"$T/by.csv"
run -d "$DB" import --by newsletter-sync "$T/by.csv"
expect_status 0 "import --by: exit status"
export_rows
expect_true "import --by: the rows are recorded by the --by name" \
    grep -q '^by1@example.com,grant,marketing,[^,]*,,,newsletter-sync,' "$T/rows"

# Columns in any order, names in any case, blanks around names; blank lines skipped.
printf ' Evidence , ADDRESS,Action\n\nform v2,Order@Example.com,GRANT\n\n\n' >"$T/order.csv"
run -d "$DB" import "$T/order.csv"
expect_status 0 "columns in another order and case: exit status"
expect_summary 1 1 0 0 "columns in another order: one row"
export_rows
expect_true "columns in another order: fields land in the right columns" \
    grep -q '^Order@example.com,grant,marketing,[^,]*,,form v2,' "$T/rows"

# A header row alone imports nothing and succeeds.
printf 'address,action\n' >"$T/header-only.csv"
run -d "$DB" import "$T/header-only.csv"
expect_status 0 "header row only: exit status"
expect_summary 0 0 0 0 "header row only: zero rows"

# The fixture shipped with the tests.
if [ -n "$FIXTURES" ] && [ -f "$FIXTURES/consent-import.csv" ]; then
    run -d "$DB" import "$FIXTURES/consent-import.csv"
    expect_status 0 "fixture consent-import.csv: exit status"
    expect_summary 6 4 1 1 "fixture consent-import.csv: counts"
    run -d "$DB" check --category promotional --purpose newsletter 'Jürgen.Groß@Beispiel.DE'
    expect_first_line_starts "deny consent-withdrawn" "fixture: the later withdrawal decides"
    run -d "$DB" check --category promotional --purpose newsletter 'lea@example.org'
    expect_first_line_starts "allow consent-granted" "fixture: a quoted multi-line evidence row is a grant"
else
    fail "fixture consent-import.csv is missing from '$FIXTURES'"
fi

# ---- BOM, CRLF ------------------------------------------------------------------
printf '\357\273\277address,action,purpose\r\nbom1@example.com,grant,newsletter\r\nbom2@example.com,withdraw,\r\n' \
    >"$T/bom-crlf.csv"
run -d "$DB" import "$T/bom-crlf.csv"
expect_status 0 "BOM and CRLF: exit status"
expect_summary 2 1 1 0 "BOM and CRLF: both rows"
export_rows
expect_true "BOM: the first column is 'address', not '<BOM>address'" \
    grep -q '^bom1@example.com,grant,newsletter,' "$T/rows"
expect_true "CRLF: no carriage return left in a field" \
    grep -q '^bom2@example.com,withdraw,marketing,[^,]*,,,consentctl:' "$T/rows"
expect_true "CRLF: no carriage return anywhere in the store" \
    sh -c '! tr -d "\n" <"$1" | grep -q "$(printf "\r")"' sh "$T/rows"

printf '\357\273\277address\nbom-only@example.com\n' >"$T/bom-lf.csv"
run -d "$DB" import "$T/bom-lf.csv"
expect_status 0 "BOM with LF: exit status"

# ---- quoted fields: commas, quotes, line breaks ----------------------------------
printf '%s\r\n' 'address,source,evidence' \
    'q1@example.com,"https://shop.example/a?x=1,y=2","consent text v3, ""Yes, send me offers""' \
    'line two of the evidence"' \
    '"q2@example.com",plain,"a,b"' >"$T/quoted.csv"
run -d "$DB" import "$T/quoted.csv"
expect_status 0 "quoted fields: exit status"
expect_summary 2 2 0 0 "quoted fields: two rows"
run -d "$DB" export --format json
grep '"q1@example.com"' "$OUT" >"$T/q1.json"
expect_true "quoted: the comma inside the source is kept" \
    grep -qF '"source":"https://shop.example/a?x=1,y=2"' "$T/q1.json"
expect_true "quoted: doubled quotes and the line break are kept (CRLF inside quotes kept as is)" \
    grep -qF '"evidence":"consent text v3, \"Yes, send me offers\"\r\nline two of the evidence"' "$T/q1.json"
run -d "$DB" export --format json
expect_out_has '"address":"q2@example.com","action":"grant","purpose":"marketing"' "quoted: a quoted address"
expect_out_has '"source":"plain","evidence":"a,b"' "quoted: a comma in the last field"

# ---- '-' reads standard input -------------------------------------------------------
printf 'address,purpose\nstdin1@example.com,newsletter\nstdin2@example.com,\n' >"$T/stdin.csv"
run_stdin "$T/stdin.csv" -d "$DB" import -
expect_status 0 "import - : exit status"
expect_summary 2 2 0 0 "import - : two rows from stdin"
export_rows
expect_true "import - : the rows are in the store" grep -q '^stdin1@example.com,grant,newsletter,' "$T/rows"

# ---- all or nothing ---------------------------------------------------------------------
# bad_file WHAT FILE LINE MESSAGE...: exit 1; stderr names FILE and LINE
# (LINE "-": the file only) and each MESSAGE; "nothing was imported"; no
# summary; and the store's export unchanged.
bad_file() {
    _what=$1 _file=$2 _line=$3
    shift 3
    run -d "$DB" export
    cp "$OUT" "$T/export.before"
    run -d "$DB" import "$_file"
    expect_status 1 "$_what: exit status"
    if [ "$_line" = - ]; then
        expect_err_has "$(basename "$_file")" "$_what: stderr names the file"
    else
        expect_err_at "$(basename "$_file")" "$_line" "$_what: stderr names the file and line $_line"
    fi
    for _m in "$@"; do
        expect_err_has "$_m" "$_what: stderr says '$_m'"
    done
    expect_err_has "nothing was imported" "$_what: says nothing was imported"
    expect_out_empty "$_what: no summary on stdout"
    run -d "$DB" export
    expect_status 0 "$_what: export afterwards"
    expect_same_file "$T/export.before" "$OUT" "$_what: nothing was imported (export unchanged)"
}

# good rows before (and after) the bad one, so a partial import would show.
good='good1@example.com,grant,newsletter,2024-05-01T00:00:00Z,web,ok'
good2='good2@example.com,withdraw,,2024-05-02T00:00:00Z,web,ok'
H='address,action,purpose,at,source,evidence'

printf '%s\n' "$H" "$good" "not-an-address,grant,,,," "$good2" >"$T/bad-address.csv"
bad_file "invalid address" "$T/bad-address.csv" 3 "field 'address'" "has no '@'"

printf '%s\n' "$H" "$good" "x@example.com,subscribe,,,," "$good2" >"$T/bad-action.csv"
bad_file "unknown action" "$T/bad-action.csv" 3 "field 'action'" "'subscribe'"

printf '%s\n' "$H" "$good" "x@example.com,grant,,2024-13-45,," "$good2" >"$T/bad-at.csv"
bad_file "bad timestamp" "$T/bad-at.csv" 3 "field 'at'" "'2024-13-45'"

printf '%s\n' "$H" "$good" "x@example.com,grant,,05/01/2024 10:00,," >"$T/bad-at2.csv"
bad_file "timestamp in another format" "$T/bad-at2.csv" 3 "field 'at'"

printf '%s\n' "$H" "$good" "x@example.com,grant,,,web,ok,extra" "$good2" >"$T/bad-count.csv"
bad_file "too many fields" "$T/bad-count.csv" 3 "7 fields, but the header has 6"

printf '%s\n' "$H" "$good" "x@example.com,grant" >"$T/bad-count2.csv"
bad_file "too few fields" "$T/bad-count2.csv" 3 "2 fields, but the header has 6"

{ printf '%s\n' "$H" "$good"; printf 'x@example.com,grant,,,web,caf\351 (latin-1)\n'; } >"$T/bad-utf8.csv"
bad_file "invalid UTF-8" "$T/bad-utf8.csv" 3 "field 'evidence'" "not valid UTF-8"

{ printf '%s\n' "$H" "$good"; printf 'm\374ller@example.com,grant,,,,\n'; } >"$T/bad-utf8-address.csv"
bad_file "invalid UTF-8 in the address" "$T/bad-utf8-address.csv" 3 "field 'address'" "UTF-8"

printf '%s\n' "address,action,colour" "$good,x" >"$T/bad-column.csv"
bad_file "unknown column" "$T/bad-column.csv" 1 "unknown column 'colour'"

printf '%s\n' "action,purpose" "grant,newsletter" >"$T/no-address.csv"
bad_file "missing address column" "$T/no-address.csv" 1 "no 'address' column"

printf '%s\n' "address,action,Address" "a@example.com,grant,b@example.com" >"$T/dup-column.csv"
bad_file "a column twice" "$T/dup-column.csv" 1 "column 'address' appears twice"

printf '%s\n' "$H" "$good" "x@example.com,unobject,,,,letter" "$good2" >"$T/unobject.csv"
bad_file "unobject action" "$T/unobject.csv" 3 "field 'action'" "cannot lift an objection"

: >"$T/empty.csv"
bad_file "empty file" "$T/empty.csv" - "the file is empty"

printf '\n\r\n\n' >"$T/blank.csv"
bad_file "only blank lines" "$T/blank.csv" - "the file is empty"

printf '%s\n' "$H" "$good" 'x@example.com,grant,,,"never closed,' >"$T/unclosed.csv"
bad_file "unclosed quote" "$T/unclosed.csv" 3 "not closed"

printf '%s\n' "$H" "$good" 'x@example.com,grant,,,"web"site,' >"$T/after-quote.csv"
bad_file "text after a closing quote" "$T/after-quote.csv" 3 "after a closing quote"

{ printf '%s\n' "$H" "$good"; printf 'x@example.com,grant,,,we\000b,\n'; } >"$T/nul.csv"
bad_file "a NUL byte" "$T/nul.csv" 3 "a NUL byte"

printf '%s\n' "$H" "$good" "x@example.com,grant,News Letter,,," >"$T/bad-purpose.csv"
bad_file "invalid purpose" "$T/bad-purpose.csv" 3 "purpose" "'News Letter'"

printf '%s\n' "$H" "$good" "x@example.com,object,newsletter,,," >"$T/object-purpose.csv"
bad_file "objection with a purpose" "$T/object-purpose.csv" 3 "takes no purpose"

printf '%s\n' "$H" "$good" "x@example.com,grant,,2999-01-01T00:00:00Z,," >"$T/future.csv"
bad_file "a time in the future" "$T/future.csv" 3 "field 'at'" "lies in the future"

long_evidence=$(head -c 5000 /dev/zero | tr '\000' 'e')
printf '%s\n' "$H" "$good" "x@example.com,grant,,,web,$long_evidence" >"$T/long-evidence.csv"
bad_file "evidence over 4096 bytes" "$T/long-evidence.csv" 3 "evidence" "longer than 4096 bytes"

# Bounded input: too many columns, an over-long record.
{
    printf 'address'
    i=1
    while [ $i -le 40 ]; do
        printf ',c%d' $i
        i=$((i + 1))
    done
    printf '\n'
} >"$T/wide.csv"
bad_file "more than 32 columns" "$T/wide.csv" 1 "more than 32 fields"
{
    printf '%s\n' "address,evidence"
    printf 'long@example.com,'
    head -c 70000 /dev/zero | tr '\000' 'x'
    printf '\n'
} >"$T/long-record.csv"
bad_file "a record over 64 KiB" "$T/long-record.csv" 2 "longer than 65536 bytes"

# Who recorded a row and when is the importer's to say, not the file's
# (except when an export is restored: test_export.sh).
printf '%s\n' "address,recorded_by" "x@example.com,someone-else" >"$T/recorded-by.csv"
bad_file "a recorded_by column in a plain import" "$T/recorded-by.csv" 1 "recorded_by" "--restore"
printf '%s\n' "address,recorded_at" "x@example.com,2024-01-01" >"$T/recorded-at.csv"
bad_file "a recorded_at column in a plain import" "$T/recorded-at.csv" 1 "recorded_at" "--restore"

# The line named is the line the record starts on, past multi-line fields.
printf '%s\n' "address,evidence" 'ml1@example.com,"one' 'two' 'three"' "ml2@example.com,ok" \
    "ml3 example.com,bad" >"$T/multiline.csv"
bad_file "bad row after a multi-line field" "$T/multiline.csv" 6 "field 'address'"

# CRLF files count lines the same way.
printf 'address,action\r\nc1@example.com,grant\r\nc2@example.com,nope\r\n' >"$T/crlf-bad.csv"
bad_file "bad row in a CRLF file" "$T/crlf-bad.csv" 3 "field 'action'" "'nope'"

# The bad row last, after many good ones: still nothing.
{
    echo "$H"
    i=1
    while [ $i -le 500 ]; do
        echo "bulk$i@example.com,grant,newsletter,2024-01-01,bulk,row $i"
        i=$((i + 1))
    done
    echo "bulk-bad@example,grant,,,,"
} >"$T/bulk-bad.csv"
bad_file "bad row 502 after 500 good ones" "$T/bulk-bad.csv" 502 "field 'address'" "no dot"

# From standard input, all or nothing as well.
run -d "$DB" export
cp "$OUT" "$T/export.before"
run_stdin "$T/bad-action.csv" -d "$DB" import -
expect_status 1 "import - with a bad row: exit status"
expect_err_at "<stdin>" 3 "import - with a bad row: the message names <stdin> and the line"
expect_err_has "field 'action'" "import - with a bad row: the message names the field"
run -d "$DB" export
expect_same_file "$T/export.before" "$OUT" "import - with a bad row: nothing was imported"

# A file that cannot be read.
run -d "$DB" import "$T/does-not-exist.csv"
expect_status 1 "missing file: exit status"
expect_err_has "cannot open $T/does-not-exist.csv: No such file or directory" "missing file: message"
mkdir "$T/folder"
run -d "$DB" import "$T/folder"
expect_status 1 "a directory: exit status"
expect_err_has "directory" "a directory: the message says it is a directory (not just 'read error')"

finish
