#!/bin/sh
# milter-capacity.sh — measurement 4 of issue 5: many concurrent MTA
# connections to one consent-milter, none refused, and what each costs.
#
# How libmilter waits for input (poll() or select(), whose FD_SETSIZE of
# 1024 would refuse descriptors above it) and whether it serves connections
# from a worker pool (Debian's: _FFR_WORKERS_POOL) or with a thread each is
# read from the library's dynamic symbols and printed. The milter's
# descriptor limit is raised to what the run needs (a connection costs its
# socket; each pooled consent store handle the database file and its -wal).
#
# Two phases against one consent-milter on a free loopback port, each with
# CONNECTIONS persistent connections opened at once by bench/milter_load:
#   idle    every connection negotiates (SMFIC_OPTNEG, SMFIC_CONNECT) and is
#           held open
#   active  every connection negotiates and then sends a 4 KB promotional
#           message (one granted recipient) every INTERVAL seconds
# In each phase, once every connection is up: the milter's VmRSS, threads
# and open descriptors (/proc/PID/status, /proc/PID/fd); after the phase:
# connect errors, protocol errors, messages with another outcome than
# accept, and the end-of-message latency. Memory per connection is
# (VmRSS with the connections - VmRSS before) / CONNECTIONS.
#
# Usage: bench/milter-capacity.sh [BUILD_DIR [CONNECTIONS [SECONDS [INTERVAL [NOFILE]]]]]
#   defaults: ./build, 1000 connections, 20 s for the active phase (10 s
#   idle), a message every 4 s per connection, and a descriptor limit of
#   4 x CONNECTIONS + 64 (give NOFILE to run the milter with another, e.g.
#   1024, systemd's default soft limit, to see what happens there).
# Stops every process it started, by PID.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"
build=${1:-$here/../build}
build=$(cd "$build" && pwd)
conns=${2:-1000}
seconds=${3:-20}
interval=${4:-4}
nofile=${5:-$((4 * conns + 64))}
load=$build/bench/milter_load
milter=$build/consent-milter
ctl=$build/consentctl
promo=$here/templates/promotional-4k.eml

for f in "$load" "$milter" "$ctl"; do
    [ -x "$f" ] || { echo "milter-capacity.sh: $f missing: build first" >&2; exit 1; }
done

# The descriptor limit: the milter gets $nofile; the driver (one socket per
# connection) raises its own.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$nofile" ]; then
    echo "milter-capacity.sh: the hard descriptor limit ($hard) is below the $nofile needed;" \
        "raise it (e.g. LimitNOFILE= or limits.conf) or give fewer connections" >&2
    exit 1
fi

dir=$(mktemp -d /tmp/consent-milter-capacity.XXXXXX)
pid=
driver=
cleanup() {
    [ -n "$driver" ] && bench_stop_pid "$driver" 30
    [ -n "$pid" ] && bench_stop_pid "$pid" 30
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(bench_free_port)
bench_consent_csv "$dir/consent.csv" grant 'g%d@bench.example' 0 9999
bench_seed_store "$ctl" "$dir/consent.db" "$dir/consent.csv"
cat >"$dir/consent-milter.conf" <<EOF
Socket inet:$port@127.0.0.1
Database $dir/consent.db
AuditDatabase $dir/audit.db
Syslog no
TrustedHeaderFrom 127.0.0.0/8
EOF
"$milter" -c "$dir/consent-milter.conf" -n >/dev/null

# How Debian's libmilter waits for input.
lib=$(ldd "$milter" | sed -n 's/.*libmilter[^ ]* => \([^ ]*\).*/\1/p')
waits=unknown
model=unknown
if [ -n "$lib" ] && command -v nm >/dev/null 2>&1; then
    syms=$(nm -D "$lib" 2>/dev/null | awk '$1 == "U" { sub(/@.*/, "", $2); print $2 }')
    if echo "$syms" | grep -qx poll; then
        waits="poll() (no FD_SETSIZE limit)"
    elif echo "$syms" | grep -qx select; then
        waits="select() (descriptors above FD_SETSIZE=1024 fail)"
    fi
    # Built with _FFR_WORKERS_POOL (Debian's is), connections do not own a
    # thread: one controller polls them all, a pool of workers serves them.
    if nm -D "$lib" 2>/dev/null | grep -q ' T mi_pool_controller_init$'; then
        model="a worker pool (_FFR_WORKERS_POOL): threads follow the load, not the connections"
    else
        model="one thread per connection"
    fi
fi

(ulimit -n "$nofile" && exec "$milter" -c "$dir/consent-milter.conf" -f) 2>"$dir/milter.log" &
pid=$!
i=0
until "$load" -s "inet:$port@127.0.0.1" -I -c 1 -d 0 -w 0 -T 2 >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$dir/milter.log" >&2; exit 1; }
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "milter-capacity.sh: the milter is not ready after 10 s" >&2; exit 1; }
    sleep 0.1
done

status_kb() { sed -n "s/^$2:[[:space:]]*\([0-9]*\).*/\1/p" "/proc/$1/status"; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
settle() {
    # the threads of closed connections are gone
    i=0
    while [ "$(status_kb "$pid" Threads)" -gt "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
threads_base=$(status_kb "$pid" Threads)
rss0=$(status_kb "$pid" VmRSS)
fd0=$(fds "$pid")
limit=$(sed -n 's/^Max open files *\([0-9a-z]*\).*/\1/p' "/proc/$pid/limits")

# phase NAME ARGS...: runs the driver, samples the milter once every
# connection is up (after WAIT seconds more), keeps the driver's output
phase() {
    name=$1
    wait_more=$2
    shift 2
    "$load" -s "inet:$port@127.0.0.1" -c "$conns" "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
    driver=$!
    i=0
    until grep -q '^ready:' "$dir/$name.err" 2>/dev/null; do
        kill -0 "$driver" 2>/dev/null || break
        i=$((i + 1))
        [ $i -lt 1200 ] || break
        sleep 0.1
    done
    sleep "$wait_more"
    rss=$(status_kb "$pid" VmRSS)
    hwm=$(status_kb "$pid" VmHWM)
    threads=$(status_kb "$pid" Threads)
    nfd=$(fds "$pid")
    wait "$driver" || true
    driver=
    echo "$rss $hwm $threads $nfd" >"$dir/$name.sample"
}
val() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$dir/$1.out"; }

phase idle 1 -I -d "$((seconds / 2))" -T 60
settle "$threads_base"
rss_between=$(status_kb "$pid" VmRSS)
phase active "$((interval + 2))" -m "$promo" -r 1:g%d@bench.example -p 10000 \
    -R "$(awk -v c="$conns" -v i="$interval" 'BEGIN { printf "%.3f", c / i }')" \
    -d "$seconds" -w 0 -T 60 -e accept -D 0
settle "$threads_base"
rss_after=$(status_kb "$pid" VmRSS)
alive=yes
kill -0 "$pid" 2>/dev/null || alive=no

echo "milter capacity: $conns concurrent connections to consent-milter on 127.0.0.1, $(nproc) CPUs"
echo "  libmilter ($lib) waits with $waits; $model"
echo "  milter descriptor limit: $limit; before: VmRSS $rss0 kB, $threads_base threads, $fd0 descriptors"
printf '  %-7s %7s %9s %9s %8s %5s %8s %8s %8s %10s %9s %9s\n' phase ready "conn err" "prot err" \
    unexpect msgs "VmRSS kB" threads fds "kB/conn" "EOM p99" "max ms"
for ph in idle active; do
    read -r rss hwm threads nfd <"$dir/$ph.sample"
    base=$rss0
    [ $ph = active ] && base=$rss_between
    printf '  %-7s %7s %9s %9s %8s %5s %8s %8s %8s %10s %9s %9s\n' "$ph" "$(val $ph ready)" \
        "$(val $ph connect_errors)" "$(val $ph protocol_errors)" "$(val $ph unexpected)" \
        "$(val $ph messages)" "$rss" "$threads" "$nfd" \
        "$(awk -v a="$rss" -v b="$base" -v c="$conns" 'BEGIN { printf "%.1f", (a - b) / c }')" \
        "$(awk -v v="$(val $ph eom_p99_us)" 'BEGIN { printf "%.3f", v / 1000 }')" \
        "$(awk -v v="$(val $ph eom_max_us)" 'BEGIN { printf "%.3f", v / 1000 }')"
done
echo "  (active kB/conn counts from VmRSS after the idle phase, $rss_between kB; peak VmHWM $(status_kb "$pid" VmHWM) kB;"
echo "   after all connections closed: VmRSS $rss_after kB, $(status_kb "$pid" Threads) threads, $(fds "$pid") descriptors; milter alive: $alive)"
errors=$(grep -ci 'error\|too many' "$dir/milter.log" || true)
if [ "$errors" -gt 0 ]; then
    echo "  milter log: $errors error lines, the first:"
    grep -i 'error\|too many' "$dir/milter.log" | head -n 3 | sed 's/^/    /'
fi
bad=0
for ph in idle active; do
    [ "$(val $ph ready)" = "$conns" ] || bad=1
    [ "$(val $ph connect_errors)" = 0 ] || bad=1
    [ "$(val $ph protocol_errors)" = 0 ] || bad=1
    [ "$(val $ph unexpected)" = 0 ] || bad=1
done
[ $alive = yes ] || bad=1
if [ $bad -ne 0 ]; then
    echo "  RESULT: connections refused, lost or answered wrongly (see above)"
    exit 1
fi
echo "  RESULT: all $conns connections served, none refused"
