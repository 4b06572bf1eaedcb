#!/bin/sh
# store-scale.sh — the consent store at scale (issue 5, measurement 3).
#
# Generates a consent CSV of ADDRESSES addresses (one event each: 85 % grants
# over four purposes with a double-opt-in record, 12 % withdrawals, 3 %
# objections) with bench/store_scale, imports it with `consentctl import`
# (one transaction) into a fresh store, and measures:
#   - the import of the first million rows on its own (a 1M-row store),
#   - the import of all of them, and the store's size per million addresses,
#   - point lookups through store_lookup() on read-only handles, 1 thread and
#     2 threads side by side (see store_scale.c), after warming the page cache.
# Everything lives in one temporary directory (STORE_SCALE_DIR, default under
# TMPDIR or /tmp), removed at the end (kept, with the store, when
# STORE_SCALE_KEEP=1); its peak size is reported.
#
# Usage: bench/store-scale.sh [BUILD_DIR] [ADDRESSES] [SECONDS]
#   ADDRESSES default 10000000; SECONDS of lookups in all, default 20.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
n=${2:-10000000}
seconds=${3:-20}
bin=$build/bench/store_scale
ctl=$build/consentctl
for f in "$bin" "$ctl"; do
    [ -x "$f" ] || { echo "store-scale.sh: $f is missing: build first" >&2; exit 1; }
done
case $n in '' | *[!0-9]*) echo "store-scale.sh: ADDRESSES must be a number" >&2; exit 2 ;; esac
[ "$n" -gt 0 ] || { echo "store-scale.sh: ADDRESSES must be at least 1" >&2; exit 2; }

parent=${STORE_SCALE_DIR:-${TMPDIR:-/tmp}}
# Peak use: the CSV (~0.33 GB per million) + the store (~0.45 GB per million)
# + its WAL during the one big transaction (up to the store's size).
need_kb=$((n / 1000 * 1300 + 200000))
avail_kb=$(df -Pk "$parent" | awk 'NR == 2 { print $4 }')
if [ "$avail_kb" -lt "$need_kb" ]; then
    echo "store-scale.sh: $parent has $((avail_kb / 1024)) MB free, $n addresses need about" \
         "$((need_kb / 1024)) MB; give fewer addresses or set STORE_SCALE_DIR" >&2
    exit 1
fi
work=$(mktemp -d "$parent/consent-scale.XXXXXX")
monitor=
cleanup() {
    [ -z "$monitor" ] || kill "$monitor" 2>/dev/null || true
    if [ "${STORE_SCALE_KEEP:-0}" = 1 ]; then
        echo "store-scale.sh: kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Samples the directory's size once a second; the largest is the peak.
( peak=0
  while :; do
      kb=$(du -sk "$work" 2>/dev/null | awk '{ print $1 }')
      if [ -n "$kb" ] && [ "$kb" -gt "$peak" ]; then peak=$kb; echo "$peak" > "$work/peak.tmp"; mv "$work/peak.tmp" "$work/peak"; fi
      sleep 1
  done ) &
monitor=$!

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
size() { stat -c %s "$1"; }

# import DB CSV: a fresh store, one `consentctl import`; prints the seconds.
import() {
    "$ctl" -d "$1" init >/dev/null
    t0=$(now)
    out=$("$ctl" -d "$1" import "$2") || { echo "store-scale.sh: import failed" >&2; exit 1; }
    t1=$(now)
    case $out in "imported "*) ;; *) echo "store-scale.sh: import said: $out" >&2; exit 1 ;; esac
    [ ! -s "$1-wal" ] || echo "store-scale.sh: note: $1-wal not empty after the import" >&2
    elapsed "$t0" "$t1"
}

echo "store-scale: $n addresses in $work (log of the steps on stderr)" >&2
first=$n
[ "$first" -le 1000000 ] || first=1000000
if [ "$n" -gt 1000000 ]; then
    echo "  generating and importing the first 1,000,000 rows" >&2
    "$bin" csv 1000000 > "$work/first.csv"
    t_first=$(import "$work/first.db" "$work/first.csv")
    s_first=$(size "$work/first.db")
    rm -f "$work/first.db" "$work/first.db-wal" "$work/first.db-shm" "$work/first.csv"
fi
echo "  generating $n rows" >&2
t0=$(now)
"$bin" csv "$n" > "$work/all.csv"
t_gen=$(elapsed "$t0" "$(now)")
s_csv=$(size "$work/all.csv")
echo "  importing $n rows ($((s_csv / 1000000)) MB CSV, one transaction)" >&2
t_all=$(import "$work/all.db" "$work/all.csv")
s_all=$(size "$work/all.db")
if [ "$n" -le 1000000 ]; then t_first=$t_all; s_first=$s_all; fi
rm -f "$work/all.csv"
echo "  lookups ($seconds s)" >&2
lookups=$("$bin" lookup "$work/all.db" "$n" "$seconds")
sleep 1 # one more sample of the directory
peak_kb=$(cat "$work/peak" 2>/dev/null || echo 0)

awk -v n="$n" -v first="$first" -v tf="$t_first" -v sf="$s_first" -v ta="$t_all" \
    -v sa="$s_all" -v sc="$s_csv" -v tg="$t_gen" -v peak="$peak_kb" 'BEGIN {
    printf "store at scale: %d addresses, one event each (85%% grants, 12%% withdrawals, 3%% objections)\n", n
    printf "  CSV %.0f bytes per row, generated in %.1f s\n", sc / n, tg
    if (n > first)
        printf "  import %d rows: %8.1f s = %7.0f rows/s  (store %.0f MB)\n", first, tf, first / tf, sf / 1e6
    printf "  import %d rows: %8.1f s = %7.0f rows/s  (store %.0f MB = %.0f MB per million addresses)\n",
        n, ta, n / ta, sa / 1e6, sa / 1e6 / (n / 1e6)
    printf "  peak disk use of the run: %.1f GB\n", peak / 1024 / 1024
}'
printf '%s\n' "$lookups" | sed 's/^/  /'
