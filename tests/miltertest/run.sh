#!/bin/sh
# run.sh MILTER CONSENTCTL SCRIPT.lua — runs one miltertest script against a
# consent-milter started for it alone: a fresh consent store, a config built
# from the script's "-- config:" lines, an optional "-- setup:" (corrupt |
# missing | locked store; local: a UNIX socket; privileges: a UNIX socket
# and user nobody), "-- log:" and "-- audit:" lines (text the milter's log
# and the audit store must hold after the script), the milter on a free
# loopback port or that socket, stopped by PID after. Scripts get
# `stop_cmd` (SIGTERM to the milter), `ctl` (consentctl), `db` (the store)
# and `dir` (a scratch directory).
set -eu
milter=$1 ctl=$2 script=$3
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/consent-mt.XXXXXX)
pid=
holder=
cleanup() {
    if [ -n "$holder" ]; then
        kill "$holder" 2>/dev/null || true
        wait "$holder" 2>/dev/null || true
    fi
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
locked)
    # Another process holds the store exclusively (as a stuck writer or a
    # backup in exclusive mode would); readers wait DatabaseTimeout, then fail.
    mkfifo "$dir/lock.fifo"
    sqlite3 "$db" <"$dir/lock.fifo" >/dev/null 2>&1 &
    holder=$!
    exec 9>"$dir/lock.fifo"
    echo "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; SELECT count(*) FROM events;" >&9
    i=0
    until ! sqlite3 -cmd ".timeout 10" "$db" "SELECT 1" >/dev/null 2>&1 || [ $i -ge 50 ]; do
        sleep 0.1; i=$((i + 1))
    done
    ;;
esac

sed -n 's/^-- config: *//p' "$script" >"$dir/script.conf"
socket="inet:$port@127.0.0.1"
setup=$(sed -n 's/^-- setup: *//p' "$script")
if [ "$setup" = local ]; then
    # A UNIX socket: the milter asks the MTA for no answers until the end of
    # each message (see on_negotiate), unlike over TCP.
    socket="local:$dir/milter.sock"
fi
if [ "$setup" = privileges ]; then
    # A UNIX socket, a pid file, and the unprivileged user "nobody": the
    # store must be readable and the audit directory writable for it.
    socket="local:$dir/run/milter.sock"
    mkdir -p "$dir/run" "$dir/state"
    chmod 755 "$dir"
    chmod 644 "$db" "$db-wal" "$db-shm" 2>/dev/null || true
    chown nobody "$dir/run" "$dir/state"
    echo "UserID nobody" >>"$dir/script.conf"
    echo "PidFile $dir/run/milter.pid" >>"$dir/script.conf"
    echo "UMask 007" >>"$dir/script.conf"
fi
audit_db=$dir/audit.db
[ -d "$dir/state" ] && audit_db=$dir/state/audit.db
{
    echo "Socket $socket"
    echo "Database $database"
    echo "AuditDatabase $audit_db"
    echo "Syslog no"
    # the script's own settings win over this default
    grep -qi '^TrustedHeaderFrom' "$dir/script.conf" || echo "TrustedHeaderFrom 127.0.0.0/8"
    cat "$dir/script.conf"
} >"$dir/consent-milter.conf"

"$milter" -c "$dir/consent-milter.conf" -n >/dev/null
"$milter" -c "$dir/consent-milter.conf" -f 2>"$dir/milter.log" &
pid=$!

status=0
if [ "${socket#local:}" != "$socket" ]; then
    i=0
    while [ ! -S "${socket#local:}" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
fi
if [ "$setup" = privileges ]; then
    # the process runs as nobody, wrote its pid file, and made the socket
    # with the UMask: owner and group only
    i=0
    while [ "$(ps -o user= -p "$pid" | tr -d ' ')" != nobody ] && [ $i -lt 50 ]; do
        sleep 0.1; i=$((i + 1))
    done
    [ "$(ps -o user= -p "$pid" | tr -d ' ')" = nobody ] || { echo "not running as nobody" >&2; status=1; }
    [ "$(cat "$dir/run/milter.pid" 2>/dev/null)" = "$pid" ] || { echo "pid file wrong" >&2; status=1; }
    mode=$(stat -c %a "${socket#local:}")
    [ "$mode" = 770 ] || { echo "socket mode $mode, expected 770" >&2; status=1; }
fi
miltertest -D socket="$socket" -D common="$here/common.lua" \
    -D withdraw_cmd="$ctl -d $db withdraw live@example.com >/dev/null" \
    -D ctl="$ctl" -D db="$db" -D dir="$dir" \
    -D stop_cmd="kill -TERM $pid" \
    -D fixtures="$here/../fixtures" -D workdir="$dir" -D milter_pid="$pid" \
    -D milter_cmd="$milter -c $dir/consent-milter.conf" \
    -D ctl_cmd="$ctl -c $dir/consent-milter.conf" \
    -s "$script" || status=$?

kill -TERM "$pid" 2>/dev/null || true # the script may have stopped it
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
    rows=$("$ctl" audit --audit-db "$audit_db" --format csv | tail -n +2 | wc -l)
    [ "$rows" -gt 0 ] || { echo "$(basename "$script"): held back, but nothing audited" >&2; exit 1; }
fi
# "-- log: TEXT" and "-- audit: TEXT": each must be in the milter's log,
# in the audit store (as consentctl audit --format csv prints it).
sed -n 's/^-- log: *//p' "$script" | while IFS= read -r want; do
    grep -qF -- "$want" "$dir/milter.log" ||
        { echo "$(basename "$script"): not in the log: $want" >&2; cat "$dir/milter.log" >&2; exit 1; }
done
sed -n 's/^-- audit: *//p' "$script" | while IFS= read -r want; do
    "$ctl" audit --audit-db "$audit_db" --format csv | grep -qF -- "$want" ||
        { echo "$(basename "$script"): not in the audit: $want" >&2; exit 1; }
done
[ -n "${MT_SHOW_LOG:-}" ] && cat "$dir/milter.log"
echo "$(basename "$script"): passed"
