# test_permissions.sh — issue 10: the consent history and the audit are
# personal data. Under umask 022 and 000 alike, consentctl init creates the
# store and its -wal and -shm 0640, and the milter creates the audit store
# and its rollback journal 0640 (also with UMask 000 in its configuration),
# each with the group of its directory.
. "$(dirname "$0")/lib.sh"
MILTER=$(dirname "$CTL")/consent-milter

# mode_is FILE MODE GROUP WHAT
mode_is() {
    _got=$(stat -c '%a %G' "$1" 2>/dev/null)
    if [ "$_got" = "$2 $3" ]; then pass; else fail "$4" "$1: expected '$2 $3', got '$_got'"; fi
}

# A group other than root's own, for the directory (root may give any).
if [ "$(id -u)" = 0 ] && getent group nogroup >/dev/null; then GROUP=nogroup; else GROUP=$(id -gn); fi

for um in 022 000; do
    d=$T/umask$um
    mkdir "$d" && chgrp "$GROUP" "$d"
    (umask "$um" && "$CTL" -d "$d/consent.db" init >/dev/null &&
        "$CTL" -d "$d/consent.db" grant a@example.com >/dev/null)
    expect_true "umask $um: init and grant" test -f "$d/consent.db"
    for f in consent.db consent.db-wal consent.db-shm; do
        mode_is "$d/$f" 640 "$GROUP" "umask $um: $f is 0640, group of the directory"
    done

    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$d/m.conf" <<CONF
Socket inet:$port@127.0.0.1
Database $d/consent.db
AuditDatabase $d/audit.db
Syslog no
UMask $um
CONF
    (umask "$um" && exec "$MILTER" -c "$d/m.conf" -f 2>"$d/milter.log") &
    mpid=$!
    i=0
    while [ ! -e "$d/audit.db-journal" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -TERM "$mpid"
    i=0
    while kill -0 "$mpid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$mpid" 2>/dev/null
    wait "$mpid" 2>/dev/null
    # The audit store keeps a rollback journal (no WAL: nothing of it is
    # memory-mapped), which SQLite creates with the store's mode.
    for f in audit.db audit.db-journal; do
        mode_is "$d/$f" 640 "$GROUP" "umask $um: the milter's $f is 0640, group of the directory"
    done
done

# A stricter umask keeps its bits away: 077 gives 0600.
(umask 077 && "$CTL" -d "$T/strict.db" init >/dev/null)
expect_true "umask 077: 0600" test "$(stat -c %a "$T/strict.db")" = 600

# An existing file is not changed by init (its mode is the administrator's).
: >"$T/given.db"
chmod 604 "$T/given.db"
run -d "$T/given.db" init
expect_status 0 "init on an existing empty file"
expect_true "init keeps the mode of an existing file" test "$(stat -c %a "$T/given.db")" = 604
finish
