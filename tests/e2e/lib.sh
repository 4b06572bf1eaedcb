# lib.sh — the end-to-end harness: a private Postfix on 127.0.0.1, an
# smtp-sink capturing what it delivers, swaks and sendmail(1) as clients,
# and consent-milter in front of it. Shared by tests/e2e/test_*.sh.
#
# Sourced as  . "$(dirname "$0")/lib.sh"  by a script run (as root) as
#     sh test_X.sh /path/to/consent-milter /path/to/consentctl /path/to/tests/fixtures
#
# Gives the script:
#   CONSENT_MILTER, CTL, FIXTURES   absolute paths from the arguments
#   T                               a private temporary directory, removed on exit
#   free_port                       prints a free TCP port on 127.0.0.1
#
#  Postfix (one instance at a time is "current"; every one started is stopped on exit)
#   pf_start NAME [MILTER_SOCKET]   private instance; MILTER_SOCKET in Postfix syntax,
#                                   inet:127.0.0.1:PORT (smtpd_milters and non_smtpd_milters)
#       then sets and exports PF_NAME PF_DIR PF_CONFIG_DIR PF_QUEUE_DIR PF_DATA_DIR
#       PF_SMTP_PORT PF_SINK_PORT PF_SINK_PID PF_CAPTURE_DIR PF_MAILLOG PF_MILTER PF_CHECK_OUT
#   pf_stop                         stops the current instance and its smtp-sink
#   pf_conf 'key = value'...        postconf -e into main.cf, then postfix reload
#   pf_send ARGS...                 swaks to the instance, bounded; transcript in $SEND_OUT,
#                                   exit status in $SEND_STATUS, the outcome in $SEND_REPLY:
#                                   the reply to the message ("250 2.0.0 Ok: queued as ...",
#                                   "550 5.7.1 ..."), else the first error ("451 4.7.1 ..."
#                                   at MAIL), else empty
#   pf_send_bg ID ARGS... / pf_wait_bg ID   the same in the background; transcript in
#                                   $T/send/ID.out; pf_wait_bg sets SEND_STATUS, SEND_REPLY
#   pf_sendmail [-f SENDER] FILE RCPT...    submission through sendmail(1) -C (non_smtpd_milters)
#   pf_flush                        postqueue -f (also wakes pickup for the maildrop)
#   pf_wait_delivered N SECS [STR]  until N captured messages (containing STR) exist
#   pf_capture_count [STR]          completed captured messages (containing STR)
#   pf_captured                     paths of completed captured messages
#   pf_delivered_to ADDR [STR]      captured messages for envelope recipient ADDR (containing STR)
#   pf_capture_with STR             path of the first captured message containing STR
#   pf_queue_json                   postqueue -j
#   pf_queue_count [QUEUE]          messages in the Postfix queue (all, or in one queue:
#                                   maildrop incoming active deferred hold)
#   pf_hold_count                   messages in the hold queue (smfi_quarantine puts them there)
#   pf_queued_with STR [QUEUE]      queue ids of queued messages whose file contains STR
#   pf_wait_queue_empty SECS
#   pf_log                          the instance's maillog; pf_wait_log STR SECS
#
#  The milter
#   milter_start CONFIG             $CONSENT_MILTER -c CONFIG -f in the background (PID in
#                                   MILTER_PID, output in MILTER_LOG); waits until the Socket
#                                   of CONFIG answers a milter negotiation
#   milter_stop [SIGNAL [SECS]]     SIGNAL (TERM) and wait; exit status in MILTER_EXIT
#   milter_reload                   SIGHUP; the process must survive and answer again
#   milter_running                  the started milter is still alive
#   milter_answers SOCKET           one milter negotiation (inet:PORT@HOST or local:/path)
#   milter_sockets local|tcp        a socket for a milter, spelt both ways: MILTER_SOCK for
#                                   its Socket (local:$T/milter.sock or inet:PORT@127.0.0.1,
#                                   a free port), PF_MILTER_SOCK for Postfix (unix:... or
#                                   inet:127.0.0.1:PORT); returns 2 for another word. Over a
#                                   UNIX socket Postfix's smtpd (its own user) must be let in:
#                                   UMask 000 in the milter's configuration
#
#  Assertions (each counts once; the script ends with finish)
#   pass / fail WHAT [DETAIL]
#   expect_true WHAT CMD... / expect_false WHAT CMD...
#   expect_eq ACTUAL EXPECTED WHAT
#   expect_reply PREFIX WHAT        $SEND_REPLY starts with PREFIX (e.g. "550 5.7.1", "250")
#   expect_file_has FILE STR WHAT / expect_file_lacks FILE STR WHAT
#   headers_of FILE                 the header part of a message file
#   finish                          prints "NAME: P passed, F failed", exits 1 on failure;
#                                   on failure also the tail of the maillog and milter output
#   bg_track PID / bg_stop PID      other background processes, stopped on exit by PID
#
# Without root or without the programs (scripts/install-deps.sh) a script
# exits 77, which ctest counts as skipped (SKIP_RETURN_CODE). Every network
# action is on 127.0.0.1, every wait is bounded (E2E_SEND_TIMEOUT,
# E2E_START_TIMEOUT, E2E_STOP_TIMEOUT), and cleanup stops by PID only what
# this script started; a watchdog does the same if the script is killed
# outright. E2E_KEEP=1 keeps $T (configs, maillog, capture, milter output).
#
# Debian 12's Postfix 3.7 as a private instance, learned the hard way:
# - queue_directory must exist and belong to root before "postfix check"
#   (which creates its subdirectories); data_directory must not be made by
#   root: post-install creates it for the postfix user, whose master.lock
#   lives there.
# - With maillog_file set, the warnings of postfix check/start go to the
#   maillog, not to stderr (PF_CHECK_OUT collects both).
# - No /etc/postfix/main.cf is needed (install-deps.sh installs "No
#   configuration"); as root "postfix -c", "postqueue -c" and "sendmail -C"
#   need no alternate_config_directories.
# - master.cf is written from scratch with chroot n (Debian's has chroot y,
#   which would need /etc files copied into the queue directory).
# - smtp-sink refuses to run as root without -u; it runs as nobody, so $T
#   is 755 and the capture directory belongs to nobody. It writes a capture
#   file while the transaction is in progress: only files it no longer has
#   open (/proc/PID/fd) count as delivered.
# - A sendmail(1) submission that a non_smtpd_milter tempfails (or that
#   meets no milter) stays in the maildrop queue until pickup retries
#   (postqueue -f, postfix reload); one it rejects is bounced to the
#   envelope sender, which here also lands in the capture.
# - With the milter unreachable, smtpd answers 451 4.7.1 from EHLO on.

set -u

TEST_NAME=$(basename "$0")
LC_ALL=C
export LC_ALL
PATH=$PATH:/usr/sbin:/sbin
export PATH

_abspath() {
    case $1 in
    '') echo "" ;;
    /*) echo "$1" ;;
    *) echo "$(pwd)/$1" ;;
    esac
}
CONSENT_MILTER=$(_abspath "${1:-}")
CTL=$(_abspath "${2:-}")
FIXTURES=$(_abspath "${3:-}")
export CONSENT_MILTER CTL FIXTURES

# Exit status that ctest counts as "skipped" (SKIP_RETURN_CODE 77).
_skip() {
    echo "$TEST_NAME: SKIP: $1"
    exit 77
}
[ "$(id -u)" -eq 0 ] || _skip "needs root (a private Postfix's master runs as root)"
for _prog in postfix postconf postqueue sendmail smtp-sink swaks python3 timeout; do
    command -v "$_prog" >/dev/null 2>&1 ||
        _skip "$_prog is missing: run scripts/install-deps.sh (as root) first"
done
getent passwd nobody >/dev/null 2>&1 || _skip "there is no user 'nobody' for smtp-sink"

# Upper bounds, in seconds.
E2E_SEND_TIMEOUT=${E2E_SEND_TIMEOUT:-90} # one swaks or sendmail run
E2E_START_TIMEOUT=${E2E_START_TIMEOUT:-30} # Postfix, smtp-sink or the milter coming up
E2E_STOP_TIMEOUT=${E2E_STOP_TIMEOUT:-30}   # the same going down

T=$(mktemp -d "${TMPDIR:-/tmp}/consent-e2e.XXXXXX") || {
    echo "$TEST_NAME: cannot create a temporary directory" >&2
    exit 1
}
# Postfix's unprivileged daemons and smtp-sink (as nobody) must reach
# their directories below $T.
chmod 755 "$T"
mkdir "$T/send"

PASSED=0
FAILED=0
BG_PIDS=
PF_INSTANCES=
PORTS_TAKEN=
MILTER_PID=
MILTER_LOG=$T/milter.log
MILTER_SOCKET=
# shellcheck disable=SC2034 # for the tests: the status milter_stop collected
MILTER_EXIT=
SEND_OUT=$T/send/last.out
SEND_STATUS=
SEND_REPLY=
PF_NAME=
PF_DIR=
PF_CONFIG_DIR=
PF_QUEUE_DIR=
PF_DATA_DIR=
PF_SMTP_PORT=
PF_SINK_PORT=
PF_SINK_PID=
PF_CAPTURE_DIR=
PF_MAILLOG=
PF_MILTER=
PF_CHECK_OUT=

# ---- small tools -----------------------------------------------------------

# The probes speak TCP only to 127.0.0.1 (or a local socket).
_E2E_PY='
import random, socket, struct, sys
mode = sys.argv[1]

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf

def main():
    if mode == "free":
        # A random port below the Linux ephemeral range (32768-60999) that
        # nothing is bound to; the caller avoids the ones it already took.
        avoid = set(int(p) for p in sys.argv[2:])
        for _ in range(500):
            port = random.randint(20000, 32000)
            if port in avoid:
                continue
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            finally:
                s.close()
            print(port)
            sys.exit(0)
        sys.exit(1)

    if mode == "smtp":
        # An SMTP server on 127.0.0.1:PORT greets with 220.
        s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5)
        f = s.makefile("rb")
        line = f.readline()
        while line[3:4] == b"-":
            line = f.readline()
        ok = line.startswith(b"220")
        if ok:
            s.sendall(b"QUIT\r\n")
            f.readline()
        s.close()
        sys.exit(0 if ok else 1)

    if mode == "milter":
        # One option negotiation (SMFIC_OPTNEG, protocol version 6, every
        # action and protocol step offered); a milter answers with SMFIC_OPTNEG.
        spec = sys.argv[2]
        kind, _, rest = spec.partition(":")
        if kind in ("local", "unix") or spec.startswith("/"):
            path = rest if kind in ("local", "unix") else spec
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(path)
        elif kind in ("inet", "inet6"):
            port, _, host = rest.partition("@")
            host = (host or "127.0.0.1").strip("[]")
            if host not in ("127.0.0.1", "localhost", "::1"):
                sys.exit("only loopback sockets are probed: " + spec)
            fam = socket.AF_INET6 if kind == "inet6" else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect((host if host != "localhost" else "127.0.0.1", int(port)))
        else:
            sys.exit("unknown socket " + spec)
        body = b"O" + struct.pack(">III", 6, 0x1FF, 0x1FFFFF)
        s.sendall(struct.pack(">I", len(body)) + body)
        n = struct.unpack(">I", recv_exact(s, 4))[0]
        reply = recv_exact(s, n)
        ok = reply[:1] == b"O"
        try:
            s.sendall(struct.pack(">I", 1) + b"Q")
        except OSError:
            pass
        s.close()
        sys.exit(0 if ok else 1)

    if mode == "queue":
        # postqueue -j on stdin: the number of messages (in queue argv[2]).
        import json
        want = sys.argv[2] if len(sys.argv) > 2 else ""
        n = 0
        for line in sys.stdin:
            line = line.strip()
            if line and (not want or json.loads(line).get("queue_name") == want):
                n += 1
        print(n)
        sys.exit(0)
    sys.exit("unknown mode " + mode)

# A refused or broken connection is a plain "no" (exit 1), not a traceback.
try:
    main()
except (OSError, EOFError, ValueError):
    sys.exit(1)
'

_py() {
    timeout -k 2 20 python3 -c "$_E2E_PY" "$@"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on (tried by
# binding it), never one this script handed out before.
free_port() {
    # shellcheck disable=SC2086 # a list of numbers
    _p=$(_py free $PORTS_TAKEN) || return 1
    PORTS_TAKEN="$PORTS_TAKEN $_p"
    echo "$_p"
}

# milter_sockets local|tcp (see the top of this file)
milter_sockets() {
    case $1 in
    local)
        MILTER_SOCK=local:$T/milter.sock
        PF_MILTER_SOCK=unix:$T/milter.sock
        ;;
    tcp)
        _ms_port=$(free_port) || return 1
        MILTER_SOCK=inet:$_ms_port@127.0.0.1
        PF_MILTER_SOCK=inet:127.0.0.1:$_ms_port
        ;;
    *) return 2 ;;
    esac
}

# _wait_until SECS CMD...: runs CMD every 0.2 s until it succeeds; fails
# when SECS have passed.
_wait_until() {
    _wu_n=$(($1 * 5))
    shift
    while [ "$_wu_n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.2
        _wu_n=$((_wu_n - 1))
    done
    "$@"
}

_alive() {
    kill -0 "$1" 2>/dev/null
}

# What the watchdog (below) must clean up if this shell is killed.
_save_state() {
    echo "$BG_PIDS" >"$T/.pids"
    echo "$PF_INSTANCES" >"$T/.instances"
}

bg_track() {
    BG_PIDS="$BG_PIDS $1"
    _save_state
}

_bg_forget() {
    _rest=
    for _p in $BG_PIDS; do
        [ "$_p" = "$1" ] || _rest="$_rest $_p"
    done
    BG_PIDS=$_rest
    _save_state
}

# A watchdog outside this shell's process tree (so that a SIGKILL to the
# tree, as ctest sends on a timeout, does not take it along) stops what
# this script started if the script dies without its EXIT trap. It leaves
# by itself once the script has cleaned up ($T/.done, or $T gone).
_start_watchdog() {
    (
        sh -c '
            parent=$1 dir=$2
            while kill -0 "$parent" 2>/dev/null && [ -d "$dir" ] && [ ! -e "$dir/.done" ]; do
                sleep 1
            done
            [ -d "$dir" ] && [ ! -e "$dir/.done" ] || exit 0
            for cd in $(cat "$dir/.instances" 2>/dev/null); do
                mp=$(cat "$cd/../spool/pid/master.pid" 2>/dev/null | tr -d " ")
                timeout -k 5 30 postfix -c "$cd" stop
                [ -n "$mp" ] && sleep 2 && kill -9 "$mp"
            done
            for p in $(cat "$dir/.pids" 2>/dev/null); do kill -9 "$p"; done
            rm -rf "$dir"
        ' e2e-watchdog "$$" "$T" </dev/null >/dev/null 2>&1 &
    )
}

# Stops one background process we started: TERM, then KILL after ~5 s.
bg_stop() {
    if _alive "$1"; then
        kill "$1" 2>/dev/null
        _wait_until 5 eval "! kill -0 $1 2>/dev/null" ||
            kill -9 "$1" 2>/dev/null
    fi
    wait "$1" 2>/dev/null
    _bg_forget "$1"
    return 0
}

# ---- assertions ------------------------------------------------------------

pass() {
    PASSED=$((PASSED + 1))
}

# fail WHAT [DETAIL]
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL: $1"
    [ -n "${2:-}" ] && echo "      $2"
    return 0
}

expect_true() {
    _what=$1
    shift
    if "$@"; then pass; else fail "$_what" "this did not hold: $*"; fi
}

expect_false() {
    _what=$1
    shift
    if "$@"; then fail "$_what" "this should not have held: $*"; else pass; fi
}

expect_eq() {
    if [ "$1" = "$2" ]; then pass; else fail "$3" "expected '$2', got '$1'"; fi
}

# expect_reply PREFIX WHAT: the last SMTP reply swaks saw starts with PREFIX.
expect_reply() {
    case $SEND_REPLY in
    "$1"*) pass ;;
    *)
        fail "$2" "expected a reply starting '$1', got '$SEND_REPLY' (swaks exit $SEND_STATUS)"
        [ -s "$SEND_OUT" ] && tail -n 8 "$SEND_OUT" | sed 's/^/        | /'
        ;;
    esac
}

expect_file_has() {
    if [ -f "$1" ] && grep -F -q -e "$2" "$1"; then pass; else fail "$3" "${1:-(no file)} lacks: $2"; fi
}

expect_file_lacks() {
    if [ -f "$1" ] && ! grep -F -q -e "$2" "$1"; then pass; else fail "$3" "${1:-(no file)} contains: $2"; fi
}

# Headers of a message file (up to the first empty line).
headers_of() {
    sed -e 's/\r$//' -e '/^$/q' "$1"
}

finish() {
    echo "$TEST_NAME: $PASSED passed, $FAILED failed"
    if [ "$FAILED" -ne 0 ]; then
        if [ -n "$PF_MAILLOG" ] && [ -s "$PF_MAILLOG" ]; then
            echo "---- last lines of the Postfix log ($PF_NAME)"
            tail -n 40 "$PF_MAILLOG"
        fi
        if [ -s "$MILTER_LOG" ]; then
            echo "---- last lines of the milter's output"
            tail -n 40 "$MILTER_LOG"
        fi
    fi
    [ "$FAILED" -eq 0 ]
    exit $?
}

# ---- Postfix ---------------------------------------------------------------

# pf_start NAME [MILTER_SOCKET]
pf_start() {
    case ${1:-} in
    '' | *[!A-Za-z0-9_-]*)
        echo "pf_start: NAME must be letters, digits, - or _" >&2
        return 2
        ;;
    esac
    PF_NAME=$1
    PF_MILTER=${2:-}
    PF_DIR=$T/pf-$PF_NAME
    PF_CONFIG_DIR=$PF_DIR/etc
    PF_QUEUE_DIR=$PF_DIR/spool
    PF_DATA_DIR=$PF_DIR/data
    PF_CAPTURE_DIR=$PF_DIR/capture
    PF_MAILLOG=$PF_DIR/log/maillog
    PF_CHECK_OUT=$PF_DIR/log/postfix-check.out
    if [ -e "$PF_DIR" ]; then
        echo "pf_start: an instance $PF_NAME was started before" >&2
        return 2
    fi
    # Postfix creates the queue's subdirectories and the data directory
    # (postfix check, owned by postfix), not the queue directory itself,
    # which must belong to root.
    mkdir -p "$PF_CONFIG_DIR" "$PF_QUEUE_DIR" "$PF_CAPTURE_DIR" "$PF_DIR/log" || return 1
    chmod 755 "$PF_DIR" "$PF_CONFIG_DIR" "$PF_QUEUE_DIR" "$PF_DIR/log"
    chown nobody "$PF_CAPTURE_DIR"
    if ! PF_SMTP_PORT=$(free_port) || ! PF_SINK_PORT=$(free_port); then
        echo "pf_start: no free port on 127.0.0.1" >&2
        return 1
    fi

    # The capture: every message Postfix delivers becomes one file
    # (smtp-sink -d; the template's name gets a random suffix).
    smtp-sink -4 -u nobody -h sink.example.net -d "$PF_CAPTURE_DIR/%Y%m%d-%H%M%S." \
        "127.0.0.1:$PF_SINK_PORT" 128 >>"$PF_DIR/log/smtp-sink.log" 2>&1 &
    PF_SINK_PID=$!
    bg_track "$PF_SINK_PID"
    if ! _wait_until "$E2E_START_TIMEOUT" _py smtp "$PF_SINK_PORT"; then
        echo "pf_start: smtp-sink did not come up on 127.0.0.1:$PF_SINK_PORT" >&2
        cat "$PF_DIR/log/smtp-sink.log" >&2
        return 1
    fi

    cat >"$PF_CONFIG_DIR/main.cf" <<EOF
# Private Postfix instance "$PF_NAME" of the consent-milter e2e tests.
compatibility_level = 3.6
queue_directory = $PF_QUEUE_DIR
data_directory = $PF_DATA_DIR
syslog_name = postfix-$PF_NAME
maillog_file = $PF_MAILLOG
maillog_file_prefixes = $PF_DIR/log
myhostname = test.example.com
mydomain = example.com
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtputf8_enable = no
biff = no
append_dot_mydomain = no

# Nothing is local: every recipient is relayed to the smtp-sink capture.
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$PF_SINK_PORT
default_transport = smtp
relay_transport = smtp
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtpd_peername_lookup = no
smtp_host_lookup = native

# Fast, local, test-sized timings.
in_flow_delay = 0
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 20s
delay_warning_time = 0h
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
default_process_limit = 120

# The milter (none when the harness is tested on its own). Its timeouts
# stay below swaks's (--timeout 45), so that a client sees what Postfix
# makes of a milter that does not answer.
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 20s
milter_content_timeout = 30s
smtpd_milters = $PF_MILTER
non_smtpd_milters = $PF_MILTER
EOF

    # Only the services a relay needs, none chrooted, the SMTP listener
    # on the loopback port; postlog writes maillog_file.
    cat >"$PF_CONFIG_DIR/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$PF_SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

    # postfix check also creates the queue's subdirectories. With
    # maillog_file set, its warnings go to the maillog, not to stderr:
    # PF_CHECK_OUT collects both.
    postfix -c "$PF_CONFIG_DIR" check >"$PF_CHECK_OUT" 2>&1
    _rc=$?
    grep -E 'warning:|fatal:|error:' "$PF_MAILLOG" >>"$PF_CHECK_OUT" 2>/dev/null
    if [ "$_rc" -ne 0 ]; then
        echo "pf_start: postfix check failed:" >&2
        cat "$PF_CHECK_OUT" >&2
        return 1
    fi
    PF_INSTANCES="$PF_INSTANCES $PF_CONFIG_DIR"
    _save_state
    timeout -k 5 "$E2E_START_TIMEOUT" postfix -c "$PF_CONFIG_DIR" start \
        >>"$PF_DIR/log/postfix-start.out" 2>&1 || {
        echo "pf_start: postfix start failed:" >&2
        cat "$PF_DIR/log/postfix-start.out" "$PF_MAILLOG" >&2 2>/dev/null
        return 1
    }
    if ! _wait_until "$E2E_START_TIMEOUT" _py smtp "$PF_SMTP_PORT"; then
        echo "pf_start: Postfix does not answer on 127.0.0.1:$PF_SMTP_PORT" >&2
        cat "$PF_MAILLOG" >&2 2>/dev/null
        return 1
    fi
    export PF_NAME PF_DIR PF_CONFIG_DIR PF_QUEUE_DIR PF_DATA_DIR PF_SMTP_PORT \
        PF_SINK_PORT PF_SINK_PID PF_CAPTURE_DIR PF_MAILLOG PF_MILTER PF_CHECK_OUT
    return 0
}

_pf_master_pid() {
    _pid=$(tr -d ' \n' <"$1/../spool/pid/master.pid" 2>/dev/null)
    [ -n "$_pid" ] && echo "$_pid"
}

# Processes of an instance: the ones working in its queue directory (every
# Postfix daemon chdirs there). Prints their PIDs.
_pf_procs() {
    for _d in /proc/[0-9]*; do
        case $(readlink "$_d/cwd" 2>/dev/null) in
        "$1" | "$1"/*) echo "${_d#/proc/}" ;;
        esac
    done
}

_pf_stop_dir() {
    _cd=$1
    _qd=$(dirname "$_cd")/spool
    _mp=$(_pf_master_pid "$_cd")
    timeout -k 5 "$E2E_STOP_TIMEOUT" postfix -c "$_cd" stop >/dev/null 2>&1
    if [ -n "$_mp" ]; then
        _wait_until "$E2E_STOP_TIMEOUT" eval "! kill -0 $_mp 2>/dev/null" ||
            kill -9 "$_mp" 2>/dev/null
    fi
    # The master's children leave when it has gone; the last resort is
    # KILL for whatever of this instance is still there after 10 s.
    _wait_until 10 eval "[ -z \"\$(_pf_procs '$_qd')\" ]" || {
        for _p in $(_pf_procs "$_qd"); do
            kill -9 "$_p" 2>/dev/null
        done
    }
    _rest=
    for _i in $PF_INSTANCES; do
        [ "$_i" = "$_cd" ] || _rest="$_rest $_i"
    done
    PF_INSTANCES=$_rest
    _save_state
}

# pf_stop: stops the current instance and its smtp-sink.
pf_stop() {
    [ -n "$PF_CONFIG_DIR" ] || return 0
    _pf_stop_dir "$PF_CONFIG_DIR"
    [ -n "$PF_SINK_PID" ] && bg_stop "$PF_SINK_PID"
    return 0
}

# pf_conf 'key = value'...: changes main.cf of the current instance and
# reloads it (new smtpd and cleanup processes use the new settings).
pf_conf() {
    postconf -c "$PF_CONFIG_DIR" -e "$@" || return 1
    timeout -k 5 "$E2E_STOP_TIMEOUT" postfix -c "$PF_CONFIG_DIR" reload >/dev/null 2>&1 || return 1
    # The master re-reads main.cf on SIGHUP, then restarts its children.
    sleep 1
}

# _reply_of FILE: the outcome of a swaks transcript as "CODE TEXT": the
# reply to the end of the message data (" -> ." in the transcript) if there
# was one, else the first error reply (swaks marks those "<**"), else
# nothing (the session ended before an answer).
_reply_of() {
    sed 's/\r$//' "$1" 2>/dev/null | awk '
        /^ -> \.$/ { dot = 1; next }
        /^<[-*~]* +[2-5][0-9][0-9][ -]/ {
            line = $0
            sub(/^<[-*~]* +/, "", line)
            if (dot && final == "") final = line
            if ($0 ~ /^<\*\* +[45]/ && err == "") err = line
        }
        END { if (final != "") print final; else if (err != "") print err }'
}

# pf_send ARGS...: swaks to the current instance. Returns swaks's status.
pf_send() {
    SEND_OUT=$T/send/last.out
    timeout -k 5 "$E2E_SEND_TIMEOUT" swaks --server 127.0.0.1 --port "$PF_SMTP_PORT" \
        --helo client.example.net --timeout 45 "$@" </dev/null >"$SEND_OUT" 2>&1
    SEND_STATUS=$?
    SEND_REPLY=$(_reply_of "$SEND_OUT")
    return "$SEND_STATUS"
}

# pf_send_bg ID ARGS...: pf_send in the background; its PID is tracked.
pf_send_bg() {
    _id=$1
    shift
    timeout -k 5 "$E2E_SEND_TIMEOUT" swaks --server 127.0.0.1 --port "$PF_SMTP_PORT" \
        --helo client.example.net --timeout 45 "$@" </dev/null >"$T/send/$_id.out" 2>&1 &
    echo "$!" >"$T/send/$_id.pid"
    bg_track "$!"
}

# pf_wait_bg ID: waits for pf_send_bg ID (bounded by its timeout).
pf_wait_bg() {
    _pid=$(cat "$T/send/$1.pid" 2>/dev/null) || return 2
    wait "$_pid"
    SEND_STATUS=$?
    echo "$SEND_STATUS" >"$T/send/$1.rc"
    _bg_forget "$_pid"
    SEND_OUT=$T/send/$1.out
    SEND_REPLY=$(_reply_of "$SEND_OUT")
    return "$SEND_STATUS"
}

# pf_sendmail [-f SENDER] FILE RCPT...: the message in FILE through the
# instance's sendmail(1); Postfix runs non_smtpd_milters for it.
pf_sendmail() {
    _from=shop@example.net
    if [ "${1:-}" = -f ]; then
        _from=$2
        shift 2
    fi
    _file=$1
    shift
    timeout -k 5 "$E2E_SEND_TIMEOUT" sendmail -C "$PF_CONFIG_DIR" -i -f "$_from" -- "$@" \
        <"$_file" >"$T/send/sendmail.out" 2>&1
}

pf_flush() {
    timeout -k 5 30 postqueue -c "$PF_CONFIG_DIR" -f >/dev/null 2>&1
}

# Files smtp-sink still writes (open in its process) are not complete yet.
_sink_open_files() {
    [ -n "$PF_SINK_PID" ] || return 0
    for _fd in /proc/"$PF_SINK_PID"/fd/*; do
        readlink "$_fd" 2>/dev/null
    done
}

pf_captured() {
    _open=$(_sink_open_files)
    for _f in "$PF_CAPTURE_DIR"/*; do
        [ -f "$_f" ] || continue
        case "
$_open
" in
        *"
$_f
"*) continue ;;
        esac
        echo "$_f"
    done
}

# pf_capture_count [STR]
pf_capture_count() {
    _n=0
    for _f in $(pf_captured); do
        if [ -z "${1:-}" ] || grep -F -q -e "$1" "$_f"; then
            _n=$((_n + 1))
        fi
    done
    echo "$_n"
}

# pf_capture_with STR: the first captured message containing STR.
pf_capture_with() {
    for _f in $(pf_captured); do
        if grep -F -q -e "$1" "$_f"; then
            echo "$_f"
            return 0
        fi
    done
    return 1
}

# pf_delivered_to ADDR [STR]: how many captured messages went to envelope
# recipient ADDR (smtp-sink's "X-Rcpt-Args: <ADDR>") and contain STR.
pf_delivered_to() {
    _n=0
    for _f in $(pf_captured); do
        headers_of "$_f" | grep -i -q -F -e "X-Rcpt-Args: <$1>" || continue
        if [ -z "${2:-}" ] || grep -F -q -e "$2" "$_f"; then
            _n=$((_n + 1))
        fi
    done
    echo "$_n"
}

_capture_at_least() {
    [ "$(pf_capture_count "${2:-}")" -ge "$1" ]
}

# pf_wait_delivered N SECS [STR]
pf_wait_delivered() {
    _wait_until "$2" _capture_at_least "$1" "${3:-}"
}

pf_queue_json() {
    timeout -k 5 30 postqueue -c "$PF_CONFIG_DIR" -j 2>/dev/null
}

# pf_queue_count [QUEUE]
pf_queue_count() {
    pf_queue_json | _py queue "${1:-}"
}

pf_hold_count() {
    pf_queue_count hold
}

# pf_queued_with STR [QUEUE]: queue ids of the messages still in the queue
# (in any of its queues, or in QUEUE) whose queue file contains STR.
pf_queued_with() {
    for _q in ${2:-maildrop incoming active deferred hold}; do
        [ -d "$PF_QUEUE_DIR/$_q" ] || continue
        grep -r -l -F -e "$1" "$PF_QUEUE_DIR/$_q" 2>/dev/null
    done | sed 's|.*/||'
}

_queue_empty() {
    [ "$(pf_queue_count)" = 0 ]
}

pf_wait_queue_empty() {
    _wait_until "$1" _queue_empty
}

pf_log() {
    cat "$PF_MAILLOG" 2>/dev/null
}

_log_has() {
    grep -F -q -e "$1" "$PF_MAILLOG" 2>/dev/null
}

# pf_wait_log STR SECS
pf_wait_log() {
    _wait_until "$2" _log_has "$1"
}

# ---- the milter ------------------------------------------------------------

milter_answers() {
    _py milter "$1" >/dev/null 2>&1
}

# The Socket of a milter configuration file (key case-insensitive).
_conf_socket() {
    sed -n 's/^[[:space:]]*[Ss][Oo][Cc][Kk][Ee][Tt][[:space:]][[:space:]]*\([^[:space:]#]*\).*/\1/p' "$1" |
        tail -n 1
}

milter_running() {
    [ -n "$MILTER_PID" ] && _alive "$MILTER_PID"
}

_milter_up() {
    milter_running || return 2
    milter_answers "$MILTER_SOCKET"
}

# milter_start CONFIG
milter_start() {
    if [ ! -x "$CONSENT_MILTER" ]; then
        echo "milter_start: no consent-milter at '$CONSENT_MILTER'" >&2
        return 1
    fi
    if milter_running; then
        echo "milter_start: a milter is already running (PID $MILTER_PID)" >&2
        return 1
    fi
    MILTER_SOCKET=$(_conf_socket "$1")
    if [ -z "$MILTER_SOCKET" ]; then
        echo "milter_start: $1 has no Socket line" >&2
        return 1
    fi
    echo "==== $(date '+%H:%M:%S') consent-milter -c $1 -f" >>"$MILTER_LOG"
    "$CONSENT_MILTER" -c "$1" -f >>"$MILTER_LOG" 2>&1 </dev/null &
    MILTER_PID=$!
    bg_track "$MILTER_PID"
    _n=$((E2E_START_TIMEOUT * 5))
    while [ "$_n" -gt 0 ]; do
        _milter_up
        case $? in
        0) return 0 ;;
        2)
            wait "$MILTER_PID" 2>/dev/null
            echo "milter_start: consent-milter exited during start (status $?):" >&2
            tail -n 20 "$MILTER_LOG" >&2
            _bg_forget "$MILTER_PID"
            MILTER_PID=
            return 1
            ;;
        esac
        sleep 0.2
        _n=$((_n - 1))
    done
    echo "milter_start: $MILTER_SOCKET does not answer after ${E2E_START_TIMEOUT}s" >&2
    return 1
}

# milter_stop [SIGNAL [SECS]]: sends SIGNAL (TERM), waits up to SECS
# (E2E_STOP_TIMEOUT) for the exit, then KILLs. MILTER_EXIT is its status
# (137 after KILL). Fails if it had to be killed.
milter_stop() {
    _sig=${1:-TERM}
    _secs=${2:-$E2E_STOP_TIMEOUT}
    MILTER_EXIT=
    [ -n "$MILTER_PID" ] || return 0
    _rc=0
    if _alive "$MILTER_PID"; then
        kill -s "$_sig" "$MILTER_PID" 2>/dev/null
        if ! _wait_until "$_secs" eval "! kill -0 $MILTER_PID 2>/dev/null"; then
            echo "milter_stop: no exit ${_secs}s after SIG$_sig; killing it" >&2
            kill -9 "$MILTER_PID" 2>/dev/null
            _rc=1
        fi
    fi
    wait "$MILTER_PID" 2>/dev/null
    MILTER_EXIT=$?
    _bg_forget "$MILTER_PID"
    MILTER_PID=
    return "$_rc"
}

# milter_reload: SIGHUP; the milter must survive it and answer again.
milter_reload() {
    milter_running || return 1
    kill -s HUP "$MILTER_PID" || return 1
    # Give the reload a moment, then insist that it is still the same
    # process and that it still answers.
    sleep 1
    _wait_until "$E2E_START_TIMEOUT" _milter_up
}

# ---- cleanup ---------------------------------------------------------------

cleanup() {
    if [ -n "$MILTER_PID" ]; then
        milter_stop TERM 10 >/dev/null 2>&1
    fi
    for _cd in $PF_INSTANCES; do
        _pf_stop_dir "$_cd"
    done
    for _p in $BG_PIDS; do
        bg_stop "$_p"
    done
    : >"$T/.done"
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        echo "$TEST_NAME: kept $T"
    else
        rm -rf "$T"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
_save_state
_start_watchdog
