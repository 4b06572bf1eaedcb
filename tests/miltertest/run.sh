#!/bin/sh
# run.sh MILTER CONSENTCTL SCRIPT.lua — runs one miltertest script against a
# consent-milter started for it alone: a fresh consent store, a config built
# from the script's "-- config:" lines, an optional "-- setup:" (corrupt |
# missing store), the milter on a free loopback port, stopped by PID after.
set -eu
milter=$1 ctl=$2 script=$3
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/consent-mt.XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
db=$dir/consent.db
"$ctl" -d "$db" init >/dev/null
"$ctl" -d "$db" grant yes@example.com --evidence "DOI test" >/dev/null
"$ctl" -d "$db" grant live@example.com --evidence "DOI test" >/dev/null
"$ctl" -d "$db" grant news@example.com --purpose newsletter --evidence "DOI test" >/dev/null
"$ctl" -d "$db" grant no@example.com >/dev/null
"$ctl" -d "$db" withdraw no@example.com >/dev/null
"$ctl" -d "$db" grant obj@example.com >/dev/null
"$ctl" -d "$db" object obj@example.com >/dev/null

database=$db
case "$(sed -n 's/^-- setup: *//p' "$script")" in
corrupt)
    python3 - "$db" <<'PY'
import sys
path = sys.argv[1]
with open(path, "r+b") as f:
    data = bytearray(f.read())
    for i in range(4096, len(data)):   # every page but the header page
        data[i] = (i * 151) & 0xff
    f.seek(0); f.write(data)
PY
    ;;
missing) database=$dir/no-such-store.db ;;
esac

sed -n 's/^-- config: *//p' "$script" >"$dir/script.conf"
{
    echo "Socket inet:$port@127.0.0.1"
    echo "Database $database"
    echo "AuditDatabase $dir/audit.db"
    echo "Syslog no"
    # the script's own settings win over this default
    grep -qi '^TrustedHeaderFrom' "$dir/script.conf" || echo "TrustedHeaderFrom 127.0.0.0/8"
    cat "$dir/script.conf"
} >"$dir/consent-milter.conf"

"$milter" -c "$dir/consent-milter.conf" -n >/dev/null
"$milter" -c "$dir/consent-milter.conf" -f 2>"$dir/milter.log" &
pid=$!

status=0
miltertest -D socket="inet:$port@127.0.0.1" -D common="$here/common.lua" \
    -D withdraw_cmd="$ctl -d $db withdraw live@example.com >/dev/null" \
    -s "$script" || status=$?

kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
    echo "$(basename "$script"): the milter did not stop within 20 s of SIGTERM" >&2
    status=1
else
    wait "$pid" || { echo "$(basename "$script"): the milter exited non-zero" >&2; status=1; }
fi
pid=
if [ $status -ne 0 ]; then
    echo "--- milter log" >&2
    cat "$dir/milter.log" >&2
    exit $status
fi
# Every held-back recipient must be in the audit store (a tempfailed
# message is not held back: the MTA keeps it and retries).
held=$(grep 'denied=[1-9]' "$dir/milter.log" | grep -vc 'action=tempfail' || true)
if [ "$held" -gt 0 ]; then
    rows=$("$ctl" audit --audit-db "$dir/audit.db" --format csv | tail -n +2 | wc -l)
    [ "$rows" -gt 0 ] || { echo "$(basename "$script"): held back, but nothing audited" >&2; exit 1; }
fi
echo "$(basename "$script"): passed"
