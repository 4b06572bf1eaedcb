# lib.sh — shared by the consentctl shell tests (tests/cli/test_*.sh).
#
# Sourced as  . "$(dirname "$0")/lib.sh"  by a script run as
#     sh test_X.sh /path/to/consentctl /path/to/tests/fixtures
#
# Gives the script:
#   CTL        absolute path of consentctl
#   FIXTURES   the fixtures directory (may be empty)
#   T          a private temporary directory, removed on exit
#   run ARGS...            runs consentctl ARGS (stdin /dev/null), bounded in
#                          time; sets STATUS, stdout in $OUT, stderr in $ERR
#   run_stdin FILE ARGS... the same with stdin from FILE
#   RUN_PREFIX             words put before consentctl (e.g. a privilege drop)
#   expect_status N WHAT
#   expect_out_has / expect_out_lacks / expect_err_has / expect_err_lacks STR WHAT
#   expect_out_line LINE WHAT        stdout has exactly this line
#   expect_err_at NAME LINE WHAT     stderr names NAME:LINE (file and line)
#   expect_first_line_starts STR WHAT
#   expect_out_empty / expect_err_empty WHAT, expect_out_lines N WHAT
#   expect_true WHAT CMD...          CMD must succeed
#   expect_same_file A B WHAT        byte for byte (cmp)
#   new_store NAME         creates $T/NAME.db with consentctl init, path in $NEW_STORE
#   bg_track PID / bg_stop PID       background processes killed on exit, by PID
#   now_ms, json_lines_ok FILE       clock in ms; every line of FILE is JSON
#   finish                 prints "NAME: P passed, F failed", exits 1 on failure
#
# Every assertion checks a real exit status or real output and counts once.

set -u

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: sh $(basename "$0") /path/to/consentctl [FIXTURES_DIR]" >&2
    exit 2
fi
case $1 in
/*) CTL=$1 ;;
*) CTL=$(pwd)/$1 ;;
esac
FIXTURES=${2:-}
TEST_NAME=$(basename "$0")

# Messages compared below are the program's own English ones.
LC_ALL=C
export LC_ALL
unset SUDO_USER 2>/dev/null || true

# Upper bound for one consentctl run, in seconds (the ctest TIMEOUT is 600).
CTL_TIMEOUT=${CTL_TIMEOUT:-60}

T=$(mktemp -d "${TMPDIR:-/tmp}/consentctl-test.XXXXXX") || {
    echo "$TEST_NAME: cannot create a temporary directory" >&2
    exit 1
}
OUT=$T/stdout
ERR=$T/stderr
STATUS=
LAST_CMD=
RUN_PREFIX=
PASSED=0
FAILED=0
BG_PIDS=

bg_track() {
    BG_PIDS="$BG_PIDS $1"
}

# Stops one background process we started: TERM, then KILL after ~2 s.
bg_stop() {
    _pid=$1
    if kill -0 "$_pid" 2>/dev/null; then
        kill "$_pid" 2>/dev/null
        _i=0
        while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 20 ]; do
            sleep 0.1
            _i=$((_i + 1))
        done
        kill -9 "$_pid" 2>/dev/null
    fi
    wait "$_pid" 2>/dev/null
    _rest=
    for _p in $BG_PIDS; do
        [ "$_p" = "$_pid" ] || _rest="$_rest $_p"
    done
    BG_PIDS=$_rest
    return 0
}

cleanup() {
    for _p in $BG_PIDS; do
        bg_stop "$_p"
    done
    chmod -R u+rwX "$T" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

pass() {
    PASSED=$((PASSED + 1))
}

# fail WHAT DETAIL: prints what failed, with the command and its output.
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL: $1"
    [ -n "${2:-}" ] && echo "      $2"
    if [ -n "$LAST_CMD" ]; then
        echo "      command: $LAST_CMD  (exit $STATUS)"
        if [ -s "$OUT" ]; then
            echo "      stdout:"
            head -n 12 "$OUT" | sed 's/^/        | /'
        fi
        if [ -s "$ERR" ]; then
            echo "      stderr:"
            head -n 12 "$ERR" | sed 's/^/        | /'
        fi
    fi
    return 0
}

_run() {
    _in=$1
    shift
    LAST_CMD="consentctl $*"
    # shellcheck disable=SC2086 # RUN_PREFIX is a list of words on purpose
    timeout -k 5 "$CTL_TIMEOUT" $RUN_PREFIX "$CTL" "$@" <"$_in" >"$OUT" 2>"$ERR" 3>&-
    STATUS=$?
    if [ "$STATUS" -eq 124 ] || [ "$STATUS" -eq 137 ]; then
        echo "note: consentctl $* did not finish within ${CTL_TIMEOUT}s"
    fi
    return 0
}

run() {
    _run /dev/null "$@"
}

run_stdin() {
    _f=$1
    shift
    _run "$_f" "$@"
}

expect_status() {
    if [ "$STATUS" = "$1" ]; then
        pass
    else
        fail "$2" "expected exit status $1, got $STATUS"
    fi
}

_has() { grep -F -q -e "$2" "$1"; }

expect_out_has() {
    if _has "$OUT" "$1"; then pass; else fail "$2" "stdout lacks: $1"; fi
}

expect_out_lacks() {
    if _has "$OUT" "$1"; then fail "$2" "stdout should not contain: $1"; else pass; fi
}

expect_err_has() {
    if _has "$ERR" "$1"; then pass; else fail "$2" "stderr lacks: $1"; fi
}

expect_err_lacks() {
    if _has "$ERR" "$1"; then fail "$2" "stderr should not contain: $1"; else pass; fi
}

# expect_err_at NAME LINE WHAT: stderr names the file and the line, as
# "NAME:LINE:" or "NAME: line LINE".
expect_err_at() {
    if _has "$ERR" "$1:$2:" || _has "$ERR" "$1: line $2"; then
        pass
    else
        fail "$3" "stderr names neither '$1:$2:' nor '$1: line $2'"
    fi
}

expect_out_line() {
    if grep -F -x -q -e "$1" "$OUT"; then pass; else fail "$2" "stdout has no line exactly: $1"; fi
}

expect_out_empty() {
    if [ -s "$OUT" ]; then fail "$1" "stdout should be empty"; else pass; fi
}

expect_err_empty() {
    if [ -s "$ERR" ]; then fail "$1" "stderr should be empty"; else pass; fi
}

expect_first_line_starts() {
    _first=$(head -n 1 "$OUT")
    case $_first in
    "$1"*) pass ;;
    *) fail "$2" "first line should start with '$1', is: $_first" ;;
    esac
}

expect_true() {
    _what=$1
    shift
    if "$@"; then pass; else fail "$_what" "this did not hold: $*"; fi
}

expect_same_file() {
    if cmp -s "$1" "$2"; then pass; else fail "$3" "$1 and $2 differ"; fi
}

# The number of lines of stdout equals N.
expect_out_lines() {
    _n=$(wc -l <"$OUT" | tr -d ' ')
    if [ "$_n" = "$1" ]; then pass; else fail "$2" "expected $1 lines of stdout, got $_n"; fi
}

# new_store NAME: an initialised store at $T/NAME.db (counts as one assertion).
new_store() {
    _db=$T/$1.db
    run -d "$_db" init
    if [ "$STATUS" -eq 0 ] && [ -f "$_db" ]; then
        pass
    else
        fail "init $1.db" "could not create a store to test with"
    fi
    NEW_STORE=$_db
}

# Milliseconds since the epoch (GNU date).
now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# Every line of FILE parses as JSON (JSON Lines).
json_lines_ok() {
    python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$1"
}

finish() {
    LAST_CMD=
    echo "$TEST_NAME: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit $?
}
