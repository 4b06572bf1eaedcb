#!/bin/sh
# postfix-bench.sh — measurement 1 of issue 5: what a milter costs a real
# Postfix. One private Postfix on 127.0.0.1 (the end-to-end harness,
# tests/e2e/lib.sh, relaying everything to an smtp-sink capture), fed by
# smtp-source (SESSIONS parallel SMTP sessions, MESSAGES messages per run,
# a 4 KB labelled promotional message, one recipient each, every recipient
# granted, so that every message is delivered), in three set-ups that take
# turns within one run, ROUNDS times:
#   none          Postfix alone (smtpd_milters empty)
#   consent       consent-milter on a local (unix) socket, Mode reject: the
#                 message is classified and each recipient looked up
#   consent-tcp   the same consent-milter process on 127.0.0.1 (TCP), where it
#                 asks for an answer to every step to dodge Postfix's Nagle
#                 stall (see milter/callbacks.c, on_negotiate)
#   python        bench/pymilter_consent.py (python3-milter) on a local socket:
#                 the same header read and SQLite lookup, no content
#                 classification
# (A milter listens on one socket: "consent-tcp" is a second consent-milter
# on the same store.)
# Between set-ups main.cf is changed and Postfix reloaded; each run starts
# with an empty queue and an empty capture. A run's rate is MESSAGES divided
# by the time smtp-source took (every message accepted by Postfix, milter
# included); "delivered" is how long until the smtp-sink capture held them
# all. A run in which any message is missing at the sink fails the script.
#
# Usage: bench/postfix-bench.sh [BUILD_DIR [MESSAGES [ROUNDS [SESSIONS]]]]
#   defaults: ./build, 3000 messages, 3 rounds, 20 sessions
# Needs root (Postfix's master) and scripts/install-deps.sh. Every process
# it starts is stopped by PID on exit (the harness's cleanup and watchdog).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
build=$(cd "$build" && pwd)
messages=${2:-3000}
rounds=${3:-3}
sessions=${4:-20}
template=$here/templates/promotional-4k.eml
for v in "$messages" "$rounds" "$sessions"; do
    case $v in '' | *[!0-9]*) echo "postfix-bench.sh: counts must be numbers" >&2; exit 2 ;; esac
done
command -v smtp-source >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
# shellcheck source=../tests/e2e/lib.sh
# (dash passes no arguments to a sourced file: lib.sh reads them from $@)
set -- "$build/consent-milter" "$build/consentctl" "$here/../tests/fixtures"
. "$here/../tests/e2e/lib.sh"
# shellcheck source=common.sh
. "$here/common.sh"
[ -x "$CONSENT_MILTER" ] && [ -x "$CTL" ] || { echo "postfix-bench.sh: build first" >&2; exit 1; }
/usr/bin/python3 -c 'import Milter' 2>/dev/null || {
    echo "postfix-bench.sh: python3-milter is missing (scripts/install-deps.sh)" >&2
    exit 1
}

# The consent store: smtp-source -N makes the recipients 1g@ .. Ng@bench.example.
bench_consent_csv "$T/consent.csv" grant '%dg@bench.example' 1 "$messages"
bench_seed_store "$CTL" "$T/consent.db" "$T/consent.csv" || exit 1

tport=$(free_port) || exit 1
mkdir -p "$T/run" && chmod 755 "$T/run"
csock=$T/run/consent.sock
psock=$T/run/python.sock
common="Database $T/consent.db
AuditDatabase $T/audit.db
Mode reject
Syslog no
TrustedHeaderFrom 127.0.0.0/8"
printf 'Socket local:%s\nUMask 000\n%s\n' "$csock" "$common" >"$T/consent-local.conf"
printf 'Socket inet:%s@127.0.0.1\n%s\n' "$tport" "$common" >"$T/consent-tcp.conf"
milter_start "$T/consent-tcp.conf" || exit 1
tcp_pid=$MILTER_PID
MILTER_PID= # milter_start runs one at a time; the first stays tracked by PID
# shellcheck disable=SC2034 # read by milter_start (tests/e2e/lib.sh)
MILTER_LOG=$T/milter-local.log
milter_start "$T/consent-local.conf" || exit 1
(umask 000 && exec /usr/bin/python3 "$here/pymilter_consent.py" "local:$psock" "$T/consent.db" \
    --body) >"$T/pymilter.log" 2>&1 </dev/null &
py_pid=$!
bg_track "$py_pid"
_wait_until 20 milter_answers "local:$psock" || {
    echo "postfix-bench.sh: the Python milter does not answer" >&2
    cat "$T/pymilter.log" >&2
    exit 1
}

pf_start bench "" || exit 1
# Bench-sized: enough smtpd processes for every session.
postconf -c "$PF_CONFIG_DIR" -e "default_process_limit = $((sessions * 2 + 20))" || exit 1

now() { date +%s.%N; }
hz=$(getconf CLK_TCK)
# CPU time of the whole machine (user+nice+system+irq+softirq), in ticks.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }

# run SETUP ROUND COUNT: one smtp-source run of COUNT messages against SETUP
# (its milter socket in main.cf, its milter process for the CPU figure).
run() {
    count=$3
    case $1 in
    none) m='' mp='' ;;
    consent) m=unix:$csock mp=$MILTER_PID ;;
    consent-tcp) m=inet:127.0.0.1:$tport mp=$tcp_pid ;;
    python) m=unix:$psock mp=$py_pid ;;
    esac
    pf_conf "smtpd_milters = $m" || { echo "postfix-bench.sh: reload failed" >&2; exit 1; }
    rm -f "$PF_CAPTURE_DIR"/*
    c0=$(busy_ticks)
    m0=$(bench_cpu_ticks "$mp")
    t0=$(now)
    if ! timeout -k 5 600 smtp-source -s "$sessions" -m "$count" -N -d \
        -f shop@bench.example -t g@bench.example -F "$template" \
        "127.0.0.1:$PF_SMTP_PORT" >"$T/source.$1.$2.out" 2>&1; then
        echo "postfix-bench.sh: smtp-source failed ($1, round $2):" >&2
        tail -n 5 "$T/source.$1.$2.out" >&2
        exit 1
    fi
    t1=$(now)
    c1=$(busy_ticks)
    m1=$(bench_cpu_ticks "$mp")
    # Delivered: every capture file complete (smtp-sink no longer has it open).
    n=0
    i=0
    while [ $i -lt 1200 ]; do
        n=$(pf_captured | wc -l)
        [ "$n" -ge "$count" ] && break
        sleep 0.1
        i=$((i + 1))
    done
    t2=$(now)
    if [ "$n" -ne "$count" ]; then
        echo "postfix-bench.sh: $1, round $2: $n of $count messages reached the sink" >&2
        pf_log | tail -n 20 >&2
        exit 1
    fi
    pf_wait_queue_empty 60 || { echo "postfix-bench.sh: the queue did not drain" >&2; exit 1; }
    awk -v s="$1" -v r="$2" -v a="$t0" -v b="$t1" -v c="$t2" -v m="$count" \
        -v busy="$((c1 - c0))" -v mcpu="$((m1 - m0))" -v hz="$hz" \
        'BEGIN { printf "%s %s %.1f %.1f %.3f %.3f\n", s, r, m / (b - a), m / (c - a),
                 busy / hz * 1000 / m, mcpu / hz * 1000 / m }' >>"$T/results"
}

# A warm-up message through each set-up, then the rounds, set-ups in turn.
for s in none consent consent-tcp python; do
    run "$s" 0 20
done
: >"$T/results"
r=1
while [ $r -le "$rounds" ]; do
    for s in none consent consent-tcp python; do
        run "$s" "$r" "$messages"
    done
    r=$((r + 1))
done

# Every consent-milter decision was an accept: no audit rows of held-back mail.
held=$(sqlite3 "$T/audit.db" 'SELECT count(*) FROM audit' 2>/dev/null || echo "?")

echo "through Postfix: $messages messages x $rounds rounds per set-up, $sessions smtp-source sessions," \
    "4 KB labelled promotional message, 1 granted recipient; $(nproc) CPUs," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
awk -v rounds="$rounds" '
    { acc[$1, $2] = $3; del[$1, $2] = $4; cpu[$1, $2] = $5; mcpu[$1, $2] = $6 }
    function median(arr, s,   i, n, v, t, j) {
        n = 0
        for (i = 1; i <= rounds; i++) v[++n] = arr[s, i]
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    END {
        printf "  %-11s %-32s %8s %12s %6s %14s %14s\n", "set-up", "accepted msg/s per round", "median", "delivered/s", "ratio", "CPU ms/msg", "milter ms/msg"
        printf "  %-11s %-32s %8s %12s %6s %14s %14s\n", "", "", "", "", "", "(machine)", "(its process)"
        split("none consent consent-tcp python", order, " ")
        base = median(acc, "none")
        for (k = 1; k <= 4; k++) {
            s = order[k]; line = ""
            for (i = 1; i <= rounds; i++) line = line sprintf("%8.1f", acc[s, i])
            printf "  %-11s %-32s %8.1f %12.1f %6.2f %14.2f %14.2f\n", s, line, median(acc, s), median(del, s),
                (base > 0 ? median(acc, s) / base : 0), median(cpu, s), median(mcpu, s)
        }
        c = (base > 0 ? median(acc, "consent") / base : 0)
        t = (base > 0 ? median(acc, "consent-tcp") / base : 0)
        printf "  goal: consent-milter keeps >= 0.90 of bare Postfix'"'"'s rate: %.2f on a local socket, %.2f over TCP: %s\n", c, t, (c >= 0.90 ? "met" : "MISSED")
    }' "$T/results"
echo "  every message of every run reached the sink; consent-milter audit rows (held back): $held"
