# shellcheck shell=sh
# common.sh — helpers shared by the benchmark scripts (sourced, POSIX sh).
# Named bench_* so that they sit beside tests/e2e/lib.sh's helpers, which
# postfix-bench.sh and soak.sh also source.
#
#   bench_stop_pid PID [SECS]      TERM, up to SECS (20) to finish, then KILL; reaps it
#   bench_free_port                a free TCP port on 127.0.0.1
#   bench_cpu_ticks PID            user + system CPU of a process, in clock ticks
#                                  (0 for no PID or a process that is gone)
#   bench_consent_csv FILE ACTION PATTERN FIRST LAST
#                                  appends one row per number FIRST..LAST, %d in
#                                  PATTERN replaced by it (the header row first
#                                  when FILE does not exist yet)
#   bench_seed_store CTL DB CSV    a new consent store DB with the rows of CSV

bench_stop_pid() {
    _bs_pid=$1
    _bs_n=$((${2:-20} * 10))
    kill -TERM "$_bs_pid" 2>/dev/null || return 0
    while kill -0 "$_bs_pid" 2>/dev/null && [ "$_bs_n" -gt 0 ]; do
        sleep 0.1
        _bs_n=$((_bs_n - 1))
    done
    kill -KILL "$_bs_pid" 2>/dev/null || true
    wait "$_bs_pid" 2>/dev/null || true
}

bench_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_cpu_ticks() {
    if [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ]; then
        # the fields after the ")" of the command name: utime is the 12th
        sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
    else
        echo 0
    fi
}

bench_consent_csv() {
    [ -e "$1" ] || echo "address,action,evidence" >"$1"
    awk -v action="$2" -v pattern="$3" -v first="$4" -v last="$5" 'BEGIN {
        for (i = first; i <= last; i++) {
            address = pattern
            sub(/%d/, i, address)
            printf "%s,%s,%s\n", address, action, (action == "grant" ? "DOI bench" : "bench")
        }
    }' >>"$1"
}

bench_seed_store() {
    "$1" -d "$2" init >/dev/null && "$1" -d "$2" import "$3" >/dev/null
}
