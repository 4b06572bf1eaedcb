#!/bin/sh
# test_milter_start.sh — consent-milter's start-up, as an administrator
# runs it: a PidFile in a directory only root may write to together with
# UserID (the pid file is made before privileges are dropped), a relative
# -c path (still found at a reload, after the daemon changed to /), and a
# Socket path taken by a regular file (a clear error). The UserID part
# needs root; without it the script exits 77 (skipped) after the rest.
. "$(dirname "$0")/lib.sh"
MILTER=$(dirname "$CTL")/consent-milter
chmod 755 "$T"
db=$T/consent.db
"$CTL" -d "$db" init >/dev/null
"$CTL" -d "$db" object obj@example.com >/dev/null
chmod 644 "$db" "$db-wal" "$db-shm" 2>/dev/null
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# wait_for CMD...: up to 10 s
wait_for() {
    _i=0
    until "$@" || [ $_i -ge 100 ]; do sleep 0.1; _i=$((_i + 1)); done
    "$@"
}
pid_of() { [ -s "$1" ] && cat "$1"; }
# stop_daemon PIDFILE: TERM to the pid it names, wait for the end
stop_daemon() {
    _p=$(pid_of "$1") || return 0
    kill -TERM "$_p" 2>/dev/null
    wait_for sh -c "! kill -0 $_p 2>/dev/null"
}
# newsletter SOCKET: the milter's answer to a newsletter for an objected
# recipient (accept / reject), through miltertest
newsletter() {
    cat >"$T/probe.lua" <<LUA
local conn = mt.connect("$1", 40, 0.25)
if conn == nil then error("connect") end
mt.conninfo(conn, "client.example.net", "127.0.0.1")
mt.mailfrom(conn, "<shop@example.de>")
mt.rcptto(conn, "<obj@example.com>")
mt.header(conn, "Subject", "Neu im Sortiment: Gutscheincode HERBST20")
mt.header(conn, "X-Mail-Category", "newsletter")
mt.eoh(conn)
mt.bodystring(conn, "Jetzt entdecken: 20% Rabatt mit dem Gutscheincode HERBST20.\r\n")
mt.eom(conn)
local r = mt.getreply(conn)
if r == SMFIR_ACCEPT then print("accept") elseif r == SMFIR_REPLYCODE then print("reject") else print("other") end
mt.disconnect(conn)
LUA
    miltertest -s "$T/probe.lua" 2>/dev/null | tail -n 1
}

# ---- Socket on a regular file: a clear error, exit 1 ---------------------------------
: >"$T/not-a-socket"
cat >"$T/file-socket.conf" <<CONF
Socket local:$T/not-a-socket
Database $db
AuditDatabase $T/audit.db
Syslog no
CONF
timeout 20 "$MILTER" -c "$T/file-socket.conf" -f >"$OUT" 2>"$ERR"
STATUS=$?
LAST_CMD="consent-milter -c file-socket.conf -f"
expect_status 1 "Socket on a regular file: the start fails"
expect_err_has "is a regular file, not a socket" "Socket on a regular file: says so"
expect_err_lacks "No such file or directory" "Socket on a regular file: no misleading errno"
expect_true "the file is left alone" test -f "$T/not-a-socket"

# ---- a relative -c path still works at a reload ------------------------------------------
mkdir "$T/etc"
port=$(free_port)
cat >"$T/etc/milter.conf" <<CONF
Socket inet:$port@127.0.0.1
Database $db
AuditDatabase $T/audit.db
PidFile $T/relative.pid
Mode dry-run
Syslog no
CONF
LAST_CMD="cd etc && consent-milter -c milter.conf"
(cd "$T/etc" && timeout 20 "$MILTER" -c milter.conf) >"$OUT" 2>"$ERR"
STATUS=$?
expect_status 0 "relative -c: the daemon starts"
if wait_for pid_of "$T/relative.pid" >/dev/null; then
    pid=$(pid_of "$T/relative.pid")
    bg_track "$pid"
    [ "$(newsletter "inet:$port@127.0.0.1")" = accept ] && pass || fail "relative -c: dry-run lets it through"
    sed -i 's/^Mode dry-run/Mode reject/' "$T/etc/milter.conf"
    kill -HUP "$pid"
    got=
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        sleep 0.3
        got=$(newsletter "inet:$port@127.0.0.1")
        [ "$got" = reject ] && break
    done
    [ "$got" = reject ] && pass ||
        fail "relative -c: after SIGHUP the changed Mode reject applies" "got: $got"
    kill -0 "$pid" 2>/dev/null && pass || fail "relative -c: the daemon survives the reload"
    stop_daemon "$T/relative.pid"
else
    fail "relative -c: no pid file from the daemon"
fi

# ---- UserID with a PidFile in a directory only root may write --------------------------
if [ "$(id -u)" -ne 0 ]; then
    echo "$TEST_NAME: not root: the UserID case is skipped"
    finish
    exit 77
fi
mkdir -m 700 "$T/rootonly" "$T/state"
chown nobody "$T/state"
port=$(free_port)
cat >"$T/user.conf" <<CONF
Socket inet:$port@127.0.0.1
Database $db
AuditDatabase $T/state/audit.db
PidFile $T/rootonly/milter.pid
UserID nobody
Mode reject
Syslog no
CONF
LAST_CMD="consent-milter -c user.conf"
timeout 20 "$MILTER" -c "$T/user.conf" >"$OUT" 2>"$ERR"
STATUS=$?
expect_status 0 "UserID + root-only PidFile: the start succeeds"
if wait_for pid_of "$T/rootonly/milter.pid" >/dev/null; then
    pid=$(pid_of "$T/rootonly/milter.pid")
    bg_track "$pid"
    sleep 0.5
    kill -0 "$pid" 2>/dev/null && pass || fail "the daemon named in the pid file runs"
    [ "$(ps -o user= -p "$pid" | tr -d ' ')" = nobody ] && pass || fail "it runs as nobody"
    [ "$(newsletter "inet:$port@127.0.0.1")" = reject ] && pass || fail "it answers: reject"
    stop_daemon "$T/rootonly/milter.pid"
    kill -0 "$pid" 2>/dev/null && fail "it stops on SIGTERM" || pass
    [ -s "$T/rootonly/milter.pid" ] && fail "no stale pid left behind" || pass
else
    fail "UserID + root-only PidFile: the daemon wrote no pid file (it exited at once)"
fi

# a pid file that cannot be made at all: the start fails and says why
sed -i "s|^PidFile .*|PidFile $T/no-such-dir/milter.pid|" "$T/user.conf"
timeout 20 "$MILTER" -c "$T/user.conf" >"$OUT" 2>"$ERR"
STATUS=$?
expect_status 1 "PidFile in a missing directory: exit 1"
expect_err_has "PidFile $T/no-such-dir/milter.pid" "PidFile error names the file"
finish
