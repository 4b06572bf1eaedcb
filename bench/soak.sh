#!/bin/sh
# soak.sh — load without loss (issue 5): a bounded soak through a real
# Postfix with consent-milter (Mode reject, mixed recipients split), mixed
# traffic from THREADS persistent SMTP clients (bench/soak.py: labelled and
# unlabelled newsletters, order confirmations, after-sales notices,
# newsletters labelled transactional; one to three recipients each, granted,
# unknown, objected, or changing) for SECONDS, while `consentctl import`
# grants and withdraws the changing ones once a second. Afterwards every
# message sent is accounted for, recipient by recipient: delivered to the
# smtp-sink capture, or held back with its audit row (recipient removed, or
# the message rejected 550), or still in the Postfix queue; a refused message
# reached nobody; nobody without consent got a newsletter. The milter's
# resident memory is sampled every 2 s: the median of the last quarter of
# the run against that of the second (after the warm-up, in which worker
# threads and SQLite page caches grow) must differ by less than
# SOAK_RSS_GROWTH_KB (default 4096; "off" reports without judging, for
# runs too short to reach a plateau, such as the test suite's). The milter
# listens on a UNIX socket, as recommended where Postfix runs on the same
# host; SOAK_TRANSPORT=tcp soaks it over TCP instead.
#
# Usage: bench/soak.sh [BUILD_DIR [SECONDS [THREADS]]]   defaults: ./build, 120, 6
# Exit 0 when everything is accounted for, 1 otherwise. Needs root (Postfix)
# and scripts/install-deps.sh; stops what it started, by PID.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
build=$(cd "$build" && pwd)
seconds=${2:-120}
threads=${3:-6}
growth_limit=${SOAK_RSS_GROWTH_KB:-4096}
for v in "$seconds" "$threads" "${growth_limit#off}0"; do
    case $v in '' | *[!0-9]*) echo "soak.sh: SECONDS, THREADS and the limit are numbers" >&2; exit 2 ;; esac
done
# shellcheck source=../tests/e2e/lib.sh
# (dash passes no arguments to a sourced file: lib.sh reads them from $@)
set -- "$build/consent-milter" "$build/consentctl" "$here/../tests/fixtures"
. "$here/../tests/e2e/lib.sh"
# shellcheck source=common.sh
. "$here/common.sh"
py=/usr/bin/python3

# The store: g* granted, o* objected, c* granted (the churn changes them).
bench_consent_csv "$T/consent.csv" grant 'g%d@soak.example' 0 999
bench_consent_csv "$T/consent.csv" grant 'c%d@soak.example' 0 999
bench_consent_csv "$T/consent.csv" object 'o%d@soak.example' 0 99
bench_seed_store "$CTL" "$T/consent.db" "$T/consent.csv" || exit 1

milter_sockets "${SOAK_TRANSPORT:-local}" || {
    echo "soak.sh: SOAK_TRANSPORT is local or tcp" >&2
    exit 2
}
# UMask 000: Postfix's smtpd (its own user) must be able to connect.
cat >"$T/consent-milter.conf" <<EOF
Socket $MILTER_SOCK
UMask 000
Database $T/consent.db
AuditDatabase $T/audit.db
Mode reject
MixedRecipients split
Syslog no
TrustedHeaderFrom 127.0.0.0/8
EOF
milter_start "$T/consent-milter.conf" || exit 1
pf_start soak "$PF_MILTER_SOCK" || exit 1

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$MILTER_PID/status" 2>/dev/null; }
(
    while kill -0 "$MILTER_PID" 2>/dev/null && [ ! -e "$T/.rss-stop" ]; do
        echo "$(date +%s) $(rss)" >>"$T/rss"
        sleep 2
    done
) &
sampler=$!
bg_track "$sampler"

$py "$here/soak.py" churn "$CTL" "$T/consent.db" "$seconds" "$T/churn.log" >"$T/churn.out" 2>&1 &
churner=$!
bg_track "$churner"
t0=$(date +%s)
sent=$($py "$here/soak.py" send "$PF_SMTP_PORT" "$seconds" "$threads" "$T/sent.jsonl")
t1=$(date +%s)
wait "$churner"
churn_rc=$?
_bg_forget "$churner"
: >"$T/.rss-stop"
bg_stop "$sampler"

# What Postfix accepted goes out; whatever is left counts as still queued.
pf_flush
pf_wait_queue_empty 120
sleep 1
pf_queued_with "X-Soak-Id:" | while read -r q; do
    grep -a -h -o 'X-Soak-Id: [0-9]*' "$(find "$PF_QUEUE_DIR" -name "$q" | head -n 1)" | sed 's/.*: //'
done >"$T/queued"

echo "soak through Postfix: ${seconds} s, $threads SMTP clients, consent-milter Mode reject (split) on ${MILTER_SOCK%%:*};" \
    "$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "  $sent messages in $((t1 - t0)) s; $(wc -l <"$T/churn.log") imports of 1,000 changed consents meanwhile" \
    "(slowest $(awk '{ sub(/s$/, "", $4); if ($4 > m) m = $4 } END { printf "%.2f", m }' "$T/churn.log") s)"
status=0
[ "$churn_rc" = 0 ] || { echo "  the churn failed:"; cat "$T/churn.out"; status=1; }
$py "$here/soak.py" account "$T/sent.jsonl" "$PF_CAPTURE_DIR" "$T/audit.db" "$T/queued" \
    >"$T/account.out" 2>&1
account_rc=$?
sed 's/^/  /' "$T/account.out"
[ "$account_rc" = 0 ] || status=1

# Memory: the samples' median in the second quarter of the run (caches and
# worker threads have grown by then) against the median in the last quarter;
# a leak keeps growing, a cache levels off.
awk -v limit="$growth_limit" '
    { r[NR] = $2 }
    function median(a, b,   i, j, n, v, t) {
        n = 0
        for (i = a; i <= b; i++) v[++n] = r[i]
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return v[int((n + 1) / 2)]
    }
    END {
        if (NR < 8) { print "  milter memory: too few samples"; exit 0 }
        q = int(NR / 4)
        m2 = median(q + 1, 2 * q); m4 = median(NR - q + 1, NR)
        g = m4 - m2
        verdict = (limit == "off") ? "not judged (SOAK_RSS_GROWTH_KB=off)" : \
            (g < limit ? "did not grow (limit " limit " kB)" : "GREW (limit " limit " kB)")
        printf "  milter VmRSS: %d kB at start, median %d kB in the second quarter, %d kB in the last: growth %d kB, %s\n",
            r[1], m2, m4, g, verdict
        exit (limit == "off" || g < limit ? 0 : 1)
    }' "$T/rss" || status=1
if milter_running; then
    milter_stop TERM 30 || status=1
    [ "$MILTER_EXIT" = 0 ] || { echo "  the milter exited $MILTER_EXIT on SIGTERM"; status=1; }
else
    echo "  the milter died during the soak:"
    tail -n 20 "$MILTER_LOG"
    status=1
fi
[ $status = 0 ] && echo "  soak: every message accounted for" || echo "  soak: FAILED"
exit $status
