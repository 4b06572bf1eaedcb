# test_store_errors.sh — what consentctl does when the store file is not
# what it should be: missing, not a regular file, empty, not SQLite, another
# program's SQLite database, a newer schema, damaged, locked by another
# process, read-only. Refusals exit 1 with a message that says what to do,
# and never change a file that is not (or not yet) ours.
. "$(dirname "$0")/lib.sh"

# A small import file for the import command below.
CSV=$T/one.csv
printf 'address,action\nimported@example.com,grant\n' >"$CSV"

# for_each_command DB FN: calls FN WHAT ARGS... for every command but init.
for_each_command() {
    _db=$1 _fn=$2
    "$_fn" "show" -d "$_db" show a@example.com
    "$_fn" "check" -d "$_db" check --category promotional a@example.com
    "$_fn" "export" -d "$_db" export
    "$_fn" "export json" -d "$_db" export --format json
    "$_fn" "grant" -d "$_db" grant a@example.com
    "$_fn" "withdraw" -d "$_db" withdraw a@example.com
    "$_fn" "object" -d "$_db" object a@example.com
    "$_fn" "unobject" -d "$_db" unobject --evidence letter a@example.com
    "$_fn" "import" -d "$_db" import "$CSV"
}

# sidecars DB: lists DB-wal, DB-shm, DB-journal that exist.
sidecars() {
    for _s in "$1-wal" "$1-shm" "$1-journal"; do
        [ -e "$_s" ] && echo "$_s"
    done
    return 0
}

# refused WHAT ARGS...: exit 1 and $REFUSAL on stderr.
refused() {
    _what=$1
    shift
    run "$@"
    expect_status 1 "$CASE, $_what: exit status"
    expect_err_has "$REFUSAL" "$CASE, $_what: message"
    case $STATUS in
    0 | 1 | 2) ;;
    *) fail "$CASE, $_what: consentctl crashed or hung (exit $STATUS)" ;;
    esac
}

# ---- a missing store ------------------------------------------------------------------
MISSING=$T/missing.db
CASE="missing store"
REFUSAL="cannot open consent store $MISSING: No such file or directory"
for_each_command "$MISSING" refused
run -d "$MISSING" show a@example.com
expect_err_has "(create it with: consentctl -d " "missing store: the message says how to create it"
expect_err_has " init)" "missing store: ... with init"
expect_true "missing store: nothing was created" test ! -e "$MISSING"
expect_true "missing store: no -wal, -shm or -journal was created" test -z "$(sidecars "$MISSING")"

# ---- not a regular file ---------------------------------------------------------------------
mkdir "$T/dir.db"
CASE="a directory"
REFUSAL="$T/dir.db is not a regular file"
for_each_command "$T/dir.db" refused
refused "init" -d "$T/dir.db" init

# ---- an empty file ---------------------------------------------------------------------------
EMPTY=$T/empty.db
: >"$EMPTY"
CASE="empty file"
REFUSAL="$EMPTY is empty, not a consent store"
for_each_command "$EMPTY" refused
run -d "$EMPTY" grant a@example.com
expect_err_has "(create one with: consentctl -d " "empty file: the message says how to create a store"
expect_true "empty file: still empty after the refusals" test ! -s "$EMPTY"
run -d "$EMPTY" init
expect_status 0 "empty file: init makes it a store"
run -d "$EMPTY" show a@example.com
expect_status 0 "empty file: a store after init"

# ---- not an SQLite file (random bytes, text, a fake header) ------------------------------------
# no_touch_case WHAT FILE: every command including init is refused with
# $REFUSAL, and FILE stays byte for byte what it was, with no sidecar files.
no_touch_case() {
    CASE=$1
    _file=$2
    cp "$_file" "$_file.orig"
    for_each_command "$_file" refused
    refused "init" -d "$_file" init
    expect_same_file "$_file.orig" "$_file" "$CASE: the file is byte for byte unchanged"
    expect_true "$CASE: no -wal, -shm or -journal was created" test -z "$(sidecars "$_file")"
}

RANDOM_DB=$T/random.db
head -c 20000 /dev/urandom >"$RANDOM_DB"
REFUSAL="$RANDOM_DB is not a consent store (not an SQLite database); refusing to touch it"
no_touch_case "random bytes" "$RANDOM_DB"

TEXT_DB=$T/text.db
printf 'address,action\nsomeone@example.com,grant\n' >"$TEXT_DB"
REFUSAL="$TEXT_DB is not a consent store (not an SQLite database); refusing to touch it"
no_touch_case "a CSV file given as store" "$TEXT_DB"

FAKE_DB=$T/fake.db
{ printf 'SQLite format 3\000'; head -c 8000 /dev/urandom; } >"$FAKE_DB"
REFUSAL="$FAKE_DB is not a consent store"
no_touch_case "SQLite magic followed by garbage" "$FAKE_DB"

# ---- an SQLite database of another program -----------------------------------------------------
OTHER=$T/other.db
sqlite3 "$OTHER" "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT);
INSERT INTO customers (email) VALUES ('a@example.com'), ('b@example.com');"
REFUSAL="$OTHER is not a consent store (an SQLite database of another program); refusing to touch it"
no_touch_case "another program's SQLite database" "$OTHER"
expect_true "another program's database: its table is intact" \
    test "$(sqlite3 "$OTHER" 'SELECT count(*) FROM customers')" = 2

# Another program's database in WAL mode, with a user_version of its own.
OTHER_WAL=$T/other-wal.db
sqlite3 "$OTHER_WAL" "PRAGMA journal_mode=WAL; PRAGMA user_version=1; CREATE TABLE events (x);" >/dev/null
REFUSAL="$OTHER_WAL is not a consent store (an SQLite database of another program)"
CASE="another program's WAL database"
cp "$OTHER_WAL" "$OTHER_WAL.orig"
for_each_command "$OTHER_WAL" refused
refused "init" -d "$OTHER_WAL" init
expect_same_file "$OTHER_WAL.orig" "$OTHER_WAL" "$CASE: the file is byte for byte unchanged"

# ---- a consent store of a newer schema ------------------------------------------------------------
new_store newer
NEWER=$NEW_STORE
run -d "$NEWER" grant --at 2024-01-01 a@example.com
expect_status 0 "newer schema: a grant before the version is raised"
sqlite3 "$NEWER" 'PRAGMA user_version = 99;'
expect_true "newer schema: user_version raised to 99" test "$(sqlite3 "$NEWER" 'PRAGMA user_version')" = 99
cp "$NEWER" "$NEWER.orig"
sum_before=$(cksum <"$NEWER")
CASE="newer schema"
REFUSAL="$NEWER has schema version 99, newer than this program's 3; upgrade consent-milter, the file was left untouched"
for_each_command "$NEWER" refused
refused "init" -d "$NEWER" init
expect_true "newer schema: the checksum is unchanged" test "$(cksum <"$NEWER")" = "$sum_before"
expect_same_file "$NEWER.orig" "$NEWER" "newer schema: the file is byte for byte unchanged"
expect_true "newer schema: user_version is still 99" test "$(sqlite3 "$NEWER" 'PRAGMA user_version')" = 99

# ---- a damaged store ----------------------------------------------------------------------------------
new_store damaged
DAMAGED=$NEW_STORE
{
    echo "address,action,purpose,at,source,evidence"
    i=1
    while [ $i -le 400 ]; do
        echo "user$i@example.com,grant,newsletter,2024-01-01T00:00:00Z,bulk,evidence for row $i"
        i=$((i + 1))
    done
} >"$T/damage-rows.csv"
run -d "$DAMAGED" import "$T/damage-rows.csv"
expect_status 0 "damaged store: 400 rows imported before the damage"
expect_true "damaged store: everything is in the main file (no WAL left)" test ! -s "$DAMAGED-wal"
page_size=$(sqlite3 "$DAMAGED" 'PRAGMA page_size')
pages=$(sqlite3 "$DAMAGED" 'PRAGMA page_count')
expect_true "damaged store: the file has more than 4 pages ($pages of $page_size bytes)" test "$pages" -gt 4
rm -f "$DAMAGED-wal" "$DAMAGED-shm"
# Garbage over page 2 to the end: page 1 (header, schema) stays readable,
# the events table and its index do not.
head -c $(((pages - 1) * page_size)) /dev/zero | tr '\000' '\253' >"$T/garbage"
dd if="$T/garbage" of="$DAMAGED" bs="$page_size" seek=1 conv=notrunc 2>/dev/null
expect_true "damaged store: the file kept its size" \
    test "$(wc -c <"$DAMAGED" | tr -d ' ')" -eq $((pages * page_size))
cp "$DAMAGED" "$DAMAGED.orig"
CASE="damaged store"
REFUSAL="(the file is damaged: restore it from a backup or an export)"
for a in user1@example.com user400@example.com; do
    refused "show $a" -d "$DAMAGED" show "$a"
    expect_err_has "consent store $DAMAGED:" "$CASE, show $a: the message names the file"
    refused "check $a" -d "$DAMAGED" check --category promotional "$a"
done
refused "export" -d "$DAMAGED" export
refused "export json" -d "$DAMAGED" export --format json
refused "grant" -d "$DAMAGED" grant new@example.com
refused "withdraw" -d "$DAMAGED" withdraw user1@example.com
refused "object" -d "$DAMAGED" object user1@example.com
refused "import" -d "$DAMAGED" import "$CSV"
expect_err_has "nothing was imported" "$CASE, import: says nothing was imported"
# A transactional check needs no consent, but it must not say "allow" from a
# store it cannot read either: it is refused like every other lookup.
refused "check transactional" -d "$DAMAGED" check --category transactional user1@example.com
expect_out_lacks "allow" "$CASE, check transactional: no verdict from an unreadable store"
expect_same_file "$DAMAGED.orig" "$DAMAGED" "$CASE: the refused writes left the file as it was"

# ---- a store locked by another process -----------------------------------------------------------------
new_store locked
LOCKED=$NEW_STORE
run -d "$LOCKED" grant --at 2024-01-01 before-lock@example.com
expect_status 0 "locked store: a grant before the lock"
run -d "$LOCKED" export
cp "$OUT" "$T/locked.before"

# sqlite3 holds a write lock (BEGIN EXCLUSIVE) for as long as we keep its
# input open; closing the input ends it (the transaction rolls back).
mkfifo "$T/lock.fifo"
sqlite3 "$LOCKED" <"$T/lock.fifo" >"$T/lock.out" 2>&1 &
LOCK_PID=$!
bg_track "$LOCK_PID"
exec 3>"$T/lock.fifo"
printf "BEGIN EXCLUSIVE;\nINSERT INTO events (address, address_key, action, purpose, at) VALUES ('uncommitted@example.com', 'uncommitted@example.com', 'grant', 'marketing', 1704067200);\nSELECT 'locked';\n" >&3
i=0
while ! grep -q '^locked$' "$T/lock.out" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
CASE="locked store"
if grep -q '^locked$' "$T/lock.out"; then
    pass
    REFUSAL="database is locked (another process holds a lock on it)"
    t0=$(now_ms)
    refused "grant -w 200" -w 200 -d "$LOCKED" grant during-lock@example.com
    elapsed=$(($(now_ms) - t0))
    expect_true "$CASE: grant -w 200 waited for the lock ($elapsed ms >= 150)" test "$elapsed" -ge 150
    expect_true "$CASE: grant -w 200 gave up within the bound ($elapsed ms < 4000)" test "$elapsed" -lt 4000
    refused "withdraw -w 200" -w 200 -d "$LOCKED" withdraw before-lock@example.com
    refused "object -w 200" -w 200 -d "$LOCKED" object before-lock@example.com
    refused "unobject -w 200" -w 200 -d "$LOCKED" unobject --evidence letter before-lock@example.com
    refused "import -w 200" -w 200 -d "$LOCKED" import "$CSV"
    expect_err_has "nothing was imported" "$CASE, import: says nothing was imported"
    refused "grant -w 0" -w 0 -d "$LOCKED" grant during-lock@example.com

    # Readers are not blocked by a writer (WAL), and see only committed data.
    run -w 200 -d "$LOCKED" show before-lock@example.com
    expect_status 0 "$CASE: show works while another process writes"
    expect_out_has "grant     marketing" "$CASE: show sees the committed grant"
    run -w 200 -d "$LOCKED" check --category promotional before-lock@example.com
    expect_status 0 "$CASE: check works while another process writes"
    expect_first_line_starts "allow consent-granted" "$CASE: check decides from the committed data"
    run -w 200 -d "$LOCKED" export
    expect_status 0 "$CASE: export works while another process writes"
    expect_out_lacks "uncommitted@example.com" "$CASE: export does not see the uncommitted row"

    # A writer that waits long enough gets through once the lock is released.
    timeout -k 5 "$CTL_TIMEOUT" "$CTL" -w 20000 -d "$LOCKED" grant waited@example.com \
        >"$T/waiter.out" 2>"$T/waiter.err" 3>&- &
    WAITER_PID=$!
    bg_track "$WAITER_PID"
    sleep 0.5
    expect_true "$CASE: the waiting grant is still waiting after 0.5 s" kill -0 "$WAITER_PID"
    exec 3>&- # sqlite3 reads EOF, rolls back, exits
    wait "$WAITER_PID"
    STATUS=$?
    LAST_CMD="consentctl -w 20000 grant waited@example.com (in the background)"
    cp "$T/waiter.out" "$OUT"
    cp "$T/waiter.err" "$ERR"
    bg_stop "$WAITER_PID"
    expect_status 0 "$CASE: a grant waiting with -w 20000 succeeds when the lock is released"
else
    exec 3>&-
    fail "locked store: sqlite3 did not take the lock within 10 s" "$(cat "$T/lock.out")"
fi
bg_stop "$LOCK_PID"
run -d "$LOCKED" export
expect_status 0 "$CASE: export after the lock"
expect_out_lacks "during-lock@example.com" "$CASE: the refused grants recorded nothing"
expect_out_lacks "uncommitted@example.com" "$CASE: the other process's rolled-back row is not there"
expect_out_lacks "imported@example.com" "$CASE: the refused import recorded nothing"
expect_out_has "waited@example.com,grant,marketing," "$CASE: the waiting grant was recorded"

# ---- two writers at once: the second waits for the first -------------------------------------------------
new_store writers
WRITERS=$NEW_STORE
for w in a b; do
    {
        echo "address,action,purpose,at,source,evidence"
        i=1
        while [ $i -le 2000 ]; do
            echo "$w$i@example.com,grant,newsletter,2024-01-01T00:00:00Z,writer $w,row $i"
            i=$((i + 1))
        done
    } >"$T/writer-$w.csv"
done
timeout -k 5 "$CTL_TIMEOUT" "$CTL" -w 30000 -d "$WRITERS" import "$T/writer-a.csv" \
    >"$T/writer-a.out" 2>"$T/writer-a.err" 3>&- &
WA=$!
bg_track "$WA"
timeout -k 5 "$CTL_TIMEOUT" "$CTL" -w 30000 -d "$WRITERS" import "$T/writer-b.csv" \
    >"$T/writer-b.out" 2>"$T/writer-b.err" 3>&- &
WB=$!
bg_track "$WB"
run -w 30000 -d "$WRITERS" grant --by third-writer c@example.com
grant_status=$STATUS
wait "$WA"
sa=$?
wait "$WB"
sb=$?
bg_stop "$WA"
bg_stop "$WB"
LAST_CMD=
expect_true "two imports at once: the first succeeds (exit $sa: $(cat "$T/writer-a.err"))" test "$sa" -eq 0
expect_true "two imports at once: the second succeeds (exit $sb: $(cat "$T/writer-b.err"))" test "$sb" -eq 0
expect_true "two imports and a grant at once: the grant succeeds (exit $grant_status)" test "$grant_status" -eq 0
run -d "$WRITERS" export
expect_out_lines 4002 "two imports and a grant at once: every row is in the store"

# ---- a read-only store -----------------------------------------------------------------------------------
new_store ro-source
RO_SOURCE=$NEW_STORE
run -d "$RO_SOURCE" grant --purpose newsletter --at 2024-01-01T00:00:00Z reader@example.com
expect_status 0 "read-only store: a grant before the copy"
run -d "$RO_SOURCE" export
cp "$OUT" "$T/ro.export"

# ro_setup NAME: a copy of the store in a directory of its own that the
# test user (nobody, when we are root) can read but not write.
RO_PREFIX=
RO_OK=yes
if [ "$(id -u)" -eq 0 ]; then
    nobody_uid=$(id -u nobody 2>/dev/null) && nobody_gid=$(id -g nobody 2>/dev/null) || RO_OK=no
    if [ $RO_OK = yes ] && setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups true 2>/dev/null; then
        RO_PREFIX="setpriv --reuid=$nobody_uid --regid=$nobody_gid --clear-groups"
    elif [ $RO_OK = yes ] && runuser -u nobody -- true 2>/dev/null; then
        RO_PREFIX="runuser -u nobody --"
    else
        RO_OK=no
    fi
    chmod 711 "$T"
fi
RO_CTL=$CTL
if [ $RO_OK = yes ] && [ -n "$RO_PREFIX" ]; then
    # The unprivileged user must be able to run the program itself.
    # shellcheck disable=SC2086
    if ! $RO_PREFIX test -x "$CTL" 2>/dev/null; then
        mkdir "$T/bin" && cp "$CTL" "$T/bin/consentctl" && chmod 755 "$T/bin" "$T/bin/consentctl"
        RO_CTL=$T/bin/consentctl
    fi
fi

ro_setup() {
    _dir=$T/$1
    mkdir "$_dir"
    cp "$RO_SOURCE" "$_dir/consent.db"
    RO_DB=$_dir/consent.db
    if [ -n "$RO_PREFIX" ]; then
        chmod 644 "$RO_DB"
        chmod 755 "$_dir"
    else
        chmod 444 "$RO_DB"
        chmod 555 "$_dir"
    fi
}

# ro_reads_and_writes WHAT: reads work and say the right thing, writes are
# refused with exit 1, and the file is unchanged.
ro_reads_and_writes() {
    CASE=$1
    rm -f "$T/ro.orig"
    cp "$RO_DB" "$T/ro.orig"
    SAVED_CTL=$CTL
    CTL=$RO_CTL
    RUN_PREFIX=$RO_PREFIX
    run -d "$RO_DB" show reader@example.com
    expect_status 0 "$CASE: show works"
    expect_out_line "  newsletter   granted since 2024-01-01T00:00:00Z" "$CASE: show reports the grant"
    run -d "$RO_DB" check --category promotional --purpose newsletter reader@example.com
    expect_status 0 "$CASE: check works"
    expect_first_line_starts "allow consent-granted" "$CASE: check allows from the grant"
    run -d "$RO_DB" export
    expect_status 0 "$CASE: export works"
    expect_same_file "$T/ro.export" "$OUT" "$CASE: export is complete"
    REFUSAL="(no write permission on the file or its directory)"
    refused "grant" -d "$RO_DB" grant new@example.com
    refused "withdraw" -d "$RO_DB" withdraw reader@example.com
    refused "object" -d "$RO_DB" object reader@example.com
    refused "unobject" -d "$RO_DB" unobject --evidence letter reader@example.com
    refused "import" -d "$RO_DB" import "$CSV"
    RUN_PREFIX=
    CTL=$SAVED_CTL
    expect_same_file "$T/ro.orig" "$RO_DB" "$CASE: the file is unchanged"
}

if [ $RO_OK = yes ]; then
    # The import file must be readable by the unprivileged user too.
    chmod 644 "$CSV"
    ro_setup ro1
    ro_reads_and_writes "read-only store"

    # The same once the store's -wal and -shm exist (as after any earlier
    # read by the owner): reads must work, writes are still refused.
    ro_setup ro2
    chmod u+w "$T/ro2"
    run -d "$RO_DB" show reader@example.com
    chmod u-w "$T/ro2"
    expect_true "read-only store with -shm: the owner's read left -wal and -shm" test -e "$RO_DB-shm"
    ro_reads_and_writes "read-only store with -wal/-shm present"
else
    echo "note: cannot run as an unprivileged user here; read-only store cases skipped"
fi

finish
