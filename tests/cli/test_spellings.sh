# test_spellings.sh — one mailbox, many spellings (issue 10): quoting that
# is not needed, a source route, a trailing dot and case name the mailbox
# the MTA delivers to, so every command and the import record and find it
# under one address, and an objection holds for every spelling.
. "$(dirname "$0")/lib.sh"

new_store sp
DB=$NEW_STORE

# The exact bypass: a grant under the quoted spelling, an objection under
# the plain one.
run -d "$DB" object no@ex.test
expect_status 0 "object no@ex.test"
run -d "$DB" grant '"no"@ex.test'
expect_status 0 "grant \"no\"@ex.test"
for spelling in '"no"@ex.test' '<"no"@ex.test>' '"n\o"@ex.test' '"NO"@EX.TEST' \
    'no@ex.test.' '<@relay.test:no@ex.test>' '<@a.test,@b.test:"No"@Ex.Test.>'; do
    run -d "$DB" check --category promotional "$spelling"
    expect_status 0 "check $spelling: exit status"
    expect_first_line_starts "deny objected: " "the objection holds for $spelling"
done

run -d "$DB" show '"no"@ex.test'
expect_status 0 "show \"no\"@ex.test: exit status"
expect_out_line "address: no@ex.test" "show: the mailbox as the MTA delivers to it"
run -d "$DB" export
expect_out_lacks '"no' "export: no quoted spelling was recorded"

# Quoting that is needed stays, in one canonical form.
run -d "$DB" grant '"a\ b"@ex.test'
expect_status 0 "grant \"a\\ b\"@ex.test"
run -d "$DB" check --category promotional '"a b"@ex.test'
expect_first_line_starts "allow consent-granted: " "\"a b\" and \"a\\ b\" are one mailbox"
run -d "$DB" check --category promotional 'ab@ex.test'
expect_first_line_starts "deny no-consent: " "\"a b\" is not ab"

# withdraw and object through other spellings.
run -d "$DB" grant wd@ex.test
run -d "$DB" withdraw '<@relay.test:"WD"@ex.test.>'
expect_status 0 "withdraw through a source route"
run -d "$DB" check --category promotional wd@ex.test
expect_first_line_starts "deny consent-withdrawn: " "the withdrawal recorded for wd@ex.test"

# The import normalises each row the same way.
cat >"$T/spell.csv" <<'CSV'
address,action
"""imp""@ex.test",grant
imp@ex.test.,object
CSV
run -d "$DB" import "$T/spell.csv"
expect_status 0 "import with quoted and dotted spellings"
run -d "$DB" check --category promotional imp@ex.test
expect_first_line_starts "deny objected: " "import: both rows name imp@ex.test"
run -d "$DB" show imp@ex.test
expect_out_lacks '"imp' "import: recorded unquoted"

finish
