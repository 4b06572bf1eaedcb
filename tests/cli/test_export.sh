# test_export.sh — export as CSV (the import's columns, so it imports again)
# and as JSON Lines; export -> import into a fresh store round-trips every
# row; -o FILE; write errors.
. "$(dirname "$0")/lib.sh"

HEADER=address,action,purpose,at,source,evidence,recorded_by,recorded_at

new_store exp
DB=$NEW_STORE

# ---- an empty store -------------------------------------------------------------
run -d "$DB" export
expect_status 0 "export of an empty store: exit status"
expect_out_line "$HEADER" "export of an empty store: the header row"
expect_out_lines 1 "export of an empty store: the header only"
run -d "$DB" export --format json
expect_status 0 "json export of an empty store: exit status"
expect_out_empty "json export of an empty store: no lines"

# ---- a history with awkward text ------------------------------------------------------
nl='
'
run -d "$DB" grant --purpose newsletter --at 2024-05-01T10:00:00Z --source "https://shop.example/form?a=1,b=2" \
    --evidence "text v3, \"Yes, send me offers\"${nl}second line" --by crm Anna@Example.COM
expect_status 0 "grant with commas, quotes and a line break"
run -d "$DB" grant --at 2024-05-02T00:00:00Z --source ' leading and trailing blanks ' \
    --evidence 'back\slash and	tab' bernd@example.com
expect_status 0 "grant with blanks, a backslash and a tab"
run -d "$DB" withdraw --purpose newsletter --at 2024-06-01T00:00:00Z anna@example.com
run -d "$DB" object --at 2024-06-02T00:00:00Z --evidence "call" carla@example.com
run -d "$DB" grant --at 2024-06-03T00:00:00Z 'Jürgen@Bücher.example'
run -d "$DB" grant --purpose partner --at 2024-06-04T00:00:00Z --evidence "$(printf 'bell\007 and del\177')" \
    dora@example.com
expect_status 0 "grant with control characters in the evidence"

# ---- CSV ----------------------------------------------------------------------------------
run -d "$DB" export
expect_status 0 "csv export: exit status"
expect_err_empty "csv export: nothing on stderr"
cp "$OUT" "$T/export.csv"
expect_true "csv export: the first line is the header" test "$(head -n 1 "$T/export.csv")" = "$HEADER"
expect_out_has 'Anna@example.com,grant,newsletter,2024-05-01T10:00:00Z,"https://shop.example/form?a=1,b=2","text v3, ""Yes, send me offers""' \
    "csv: commas and quotes are quoted and doubled"
expect_out_has 'second line",crm,' "csv: the line break stays inside the quoted field"
expect_out_has 'bernd@example.com,grant,marketing,2024-05-02T00:00:00Z," leading and trailing blanks ",' \
    "csv: leading and trailing blanks are quoted"
expect_out_has 'anna@example.com,withdraw,newsletter,2024-06-01T00:00:00Z,,,consentctl:' "csv: the withdrawal"
expect_out_has 'carla@example.com,object,*,2024-06-02T00:00:00Z,,call,consentctl:' "csv: the objection"
expect_out_has 'Jürgen@bücher.example,grant,marketing,2024-06-03T00:00:00Z,' "csv: UTF-8 kept as is"
# 6 events, one of which spans two lines, plus the header.
expect_out_lines 8 "csv: 6 events, 1 header, 1 continuation line"

run -d "$DB" export --format csv
expect_status 0 "export --format csv: exit status"
expect_same_file "$T/export.csv" "$OUT" "--format csv is the default"
run -d "$DB" export -f csv
expect_same_file "$T/export.csv" "$OUT" "-f csv is --format csv"

# ---- JSON Lines -----------------------------------------------------------------------------
run -d "$DB" export --format json
expect_status 0 "json export: exit status"
cp "$OUT" "$T/export.json"
expect_out_lines 6 "json: one line per event"
expect_true "json: every line parses" json_lines_ok "$T/export.json"
expect_true "json: every object has the eight keys and the right values" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
keys = ["address", "action", "purpose", "at", "source", "evidence", "recorded_by", "recorded_at"]
assert all(list(r) == keys for r in rows), [list(r) for r in rows]
a = rows[0]
assert a["address"] == "Anna@example.com", a
assert a["action"] == "grant" and a["purpose"] == "newsletter", a
assert a["at"] == "2024-05-01T10:00:00Z", a
assert a["source"] == "https://shop.example/form?a=1,b=2", a
assert a["evidence"] == "text v3, \"Yes, send me offers\"\nsecond line", a
assert a["recorded_by"] == "crm", a
b = rows[1]
assert b["source"] == " leading and trailing blanks ", b
assert b["evidence"] == "back\\slash and\ttab", b
assert rows[3]["action"] == "object" and rows[3]["purpose"] == "*", rows[3]
assert rows[4]["address"] == "Jürgen@bücher.example", rows[4]
assert rows[5]["evidence"] == "bell\x07 and del\x7f", rows[5]
' "$T/export.json"
expect_true "json: control characters are escaped, not raw" \
    sh -c '! tr -d "\n" <"$1" | LC_ALL=C grep -q "[[:cntrl:]]"' sh "$T/export.json"
run -d "$DB" export -f json
expect_same_file "$T/export.json" "$OUT" "-f json is --format json"

# ---- -o FILE ---------------------------------------------------------------------------------
run -d "$DB" export -o "$T/out.csv"
expect_status 0 "export -o FILE: exit status"
expect_out_empty "export -o FILE: nothing on stdout"
expect_same_file "$T/export.csv" "$T/out.csv" "export -o FILE writes the same CSV"
run -d "$DB" export --format json --output "$T/out.json"
expect_status 0 "export --format json --output FILE: exit status"
expect_same_file "$T/export.json" "$T/out.json" "export --output FILE writes the same JSON"
run -d "$DB" export -o "$T/no/such/dir/out.csv"
expect_status 1 "export -o into a missing directory: exit status"
expect_err_has "cannot write $T/no/such/dir/out.csv" "export -o into a missing directory: message"
if [ -w /dev/full ]; then
    run -d "$DB" export -o /dev/full
    expect_status 1 "export -o /dev/full: exit status"
    expect_err_has "No space left on device" "export -o /dev/full: says why"
    # Standard output that cannot be written is an error too, not a silent loss.
    LAST_CMD="consentctl -d DB export >/dev/full"
    timeout -k 5 "$CTL_TIMEOUT" "$CTL" -d "$DB" export >/dev/full 2>"$ERR"
    STATUS=$?
    expect_status 1 "export >/dev/full: exit status"
    expect_err_has "No space left on device" "export >/dev/full: says why"
    timeout -k 5 "$CTL_TIMEOUT" "$CTL" -d "$DB" export --format json >/dev/full 2>"$ERR"
    STATUS=$?
    expect_status 1 "export --format json >/dev/full: exit status"
    timeout -k 5 "$CTL_TIMEOUT" "$CTL" -d "$DB" show anna@example.com >/dev/full 2>"$ERR"
    STATUS=$?
    expect_status 1 "show >/dev/full: exit status"
    timeout -k 5 "$CTL_TIMEOUT" "$CTL" -d "$DB" check --category promotional anna@example.com \
        >/dev/full 2>"$ERR"
    STATUS=$?
    expect_status 1 "check >/dev/full: exit status"
    LAST_CMD=
fi

# ---- round trip: export -> import --restore into a fresh store -> export -----------------------
# A plain import takes no recorded_by/recorded_at: the rows would be
# re-attributed to whoever imports them. It refuses the export and says so.
new_store plain
run -d "$NEW_STORE" import "$T/export.csv"
expect_status 1 "plain import of an export: exit status"
expect_err_has "--restore" "plain import of an export: the message points to import --restore"
expect_err_has "nothing was imported" "plain import of an export: nothing was imported"
run -d "$NEW_STORE" export
expect_out_lines 1 "plain import of an export: the store is still empty"

new_store copy
COPY=$NEW_STORE
run -d "$COPY" import --restore "$T/export.csv"
expect_status 0 "import --restore of the export into a fresh store: exit status"
expect_out_has "imported 6 rows (grant 4, withdraw 1, object 1" "round trip: every row imported"
run -d "$COPY" export
expect_same_file "$T/export.csv" "$OUT" "round trip: the CSV export of the copy is identical"
run -d "$COPY" export --format json
expect_same_file "$T/export.json" "$OUT" "round trip: the JSON export of the copy is identical"
for a in anna@example.com bernd@example.com carla@example.com 'jürgen@bücher.example' dora@example.com; do
    run -d "$DB" show "$a"
    cp "$OUT" "$T/show.orig"
    run -d "$COPY" show "$a"
    expect_same_file "$T/show.orig" "$OUT" "round trip: show $a is the same in the copy"
    for p in marketing newsletter partner; do
        run -d "$DB" check --category promotional --purpose "$p" "$a"
        cp "$OUT" "$T/check.orig"
        run -d "$COPY" check --category promotional --purpose "$p" "$a"
        expect_same_file "$T/check.orig" "$OUT" "round trip: check $a for $p decides the same"
    done
done

# --restore only into an empty store: restoring twice would double the history.
run -d "$COPY" import --restore "$T/export.csv"
expect_status 1 "import --restore into a store that holds events: exit status"
expect_err_has "empty" "import --restore into a non-empty store: the message says it must be empty"
expect_err_has "nothing was imported" "import --restore into a non-empty store: nothing was imported"
run -d "$COPY" export
expect_same_file "$T/export.csv" "$OUT" "import --restore into a non-empty store changed nothing"

# A bad row in a restore: all or nothing as well, the store stays empty.
new_store badrestore
printf '%s\n' "$HEADER" "x@example.com,grant,marketing,2024-01-01T00:00:00Z,,,crm,2024-01-01T00:00:00Z" \
    "y@example.com,grant,marketing,2024-01-01T00:00:00Z,,,crm,last tuesday" >"$T/bad-restore.csv"
run -d "$NEW_STORE" import --restore "$T/bad-restore.csv"
expect_status 1 "restore with a bad recorded_at: exit status"
expect_err_at "bad-restore.csv" 3 "restore with a bad recorded_at: names the file and line"
expect_err_has "recorded_at" "restore with a bad recorded_at: names the field"
run -d "$NEW_STORE" export
expect_out_lines 1 "restore with a bad recorded_at: nothing was imported"

# A larger history round-trips too, from standard input.
{
    echo "address,action,purpose,at,source,evidence"
    i=1
    while [ $i -le 300 ]; do
        echo "user$i@example.com,grant,newsletter,2024-01-01T00:00:00Z,bulk,\"row $i, quoted\""
        i=$((i + 1))
    done
} >"$T/bulk.csv"
new_store bulk
BULK=$NEW_STORE
run -d "$BULK" import "$T/bulk.csv"
expect_status 0 "bulk import"
run -d "$BULK" export
cp "$OUT" "$T/bulk-export.csv"
expect_out_lines 301 "bulk export: 300 rows and the header"
new_store bulk2
run_stdin "$T/bulk-export.csv" -d "$NEW_STORE" import --restore -
expect_status 0 "bulk export restored from stdin"
run -d "$NEW_STORE" export
expect_same_file "$T/bulk-export.csv" "$OUT" "bulk round trip is identical"

# A history with a lifted objection restores as well (a damaged store is
# restored "from a backup or an export"), and the copy decides the same.
run -d "$DB" check --category promotional carla@example.com
expect_first_line_starts "deny objected" "before unobject: carla is objected"
run -d "$DB" unobject --evidence "written request" --at 2024-07-01T00:00:00Z carla@example.com
expect_status 0 "unobject for the round trip"
run -d "$DB" export
cp "$OUT" "$T/export-unobject.csv"
new_store copy2
run -d "$NEW_STORE" import --restore "$T/export-unobject.csv"
expect_status 0 "restore of a history with an unobject: exit status"
run -d "$NEW_STORE" export
expect_same_file "$T/export-unobject.csv" "$OUT" "restore with an unobject: identical export"
run -d "$NEW_STORE" check --category promotional carla@example.com
expect_first_line_starts "deny no-consent" "restore with an unobject: the objection is lifted in the copy too"

finish
