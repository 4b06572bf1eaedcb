# sm_lib.sh — a private Sendmail 8.17 (Debian 12's, unpacked by
# sendmail_fetch.sh, never installed) on 127.0.0.1, with an smtp-sink as
# its smart host, for the consent-milter e2e tests. Sourced after lib.sh:
#
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/sm_lib.sh"
#
# Gives the script (besides everything of lib.sh):
#   sm_setup                        fetches/unpacks Sendmail (cache: $SM_CACHE, default
#                                   /var/cache/consent-milter-test/sendmail); fails the
#                                   test (finish) when it cannot: never a skip
#   sm_start NAME [MILTER_SOCKET]   a private instance; MILTER_SOCKET as Sendmail writes it
#                                   (inet:PORT@127.0.0.1, local:/path), none without it.
#                                   Shaped by, when set: SM_MILTER_FLAGS (F=T), SM_MILTER_TIMEOUTS
#                                   (T=C:10s;S:20s;R:20s;E:30s), SM_MC_EXTRA (more .mc lines)
#       then sets SM_NAME SM_DIR SM_ETC SM_CF SM_QUEUE SM_PORT SM_PID, and PF_SMTP_PORT
#       PF_SINK_PORT PF_SINK_PID PF_CAPTURE_DIR, so that lib.sh's client and capture tools
#       (pf_send, pf_send_bg, pf_wait_bg, pf_delivered_to, pf_capture_with,
#       pf_captured, pf_capture_count, pf_wait_delivered) work on it unchanged
#   sm_stop                         stops the current instance (by PID) and its smtp-sink
#   sm_submit [-f SENDER] FILE RCPT...  the message through the unpacked sendmail(1) with
#                                   a submit.cf of its own (the MSP), which relays to
#                                   the instance over SMTP; output in $T/send/submit.out
#   sm_msp_queue                    the MSP's queue files (what it could not hand over)
#   sm_queued_with STR [PREFIX]     queue ids of queued messages (qf/hf) containing STR
#   sm_queue_id                     the queue id in $SEND_REPLY ("250 2.0.0 QID Message
#                                   accepted for delivery")
#   sm_ns CMD... / sm_ns_t SECS CMD...  CMD in Sendmail's namespace (see below), bounded
#   sm_sockdir                      a directory for local milter sockets that Sendmail
#                                   accepts (see there)
#
# Debian's Sendmail, learned the hard way:
# - At start, before reading its configuration, sendmail(8) looks up its
#   own host name and, when that has no dot ("My unqualified host name
#   unknown"), sleeps 60 seconds, in the daemon and in every sendmail(1)
#   run. The host may not be renamed for a test, so every Sendmail process
#   runs in a mount and UTS namespace of its own (unshare; sm_ns) with the
#   host name test.example.com, an /etc/hosts that knows it, an
#   nsswitch.conf with files only and a resolv.conf pointing at 127.0.0.1:
#   no DNS query leaves the machine. The configuration adds its own
#   HostsFile and ServiceSwitchFile (hosts and aliases from files).
# - "sendmail -bD" is the daemon in the foreground: the PID unshare hands
#   back is the daemon's (unshare execs it). Its children work in the queue
#   directory, which finds whatever is left of them on stop.
# - FEATURE(no_default_msa), or it also listens on port 587 of every
#   address; DAEMON_OPTIONS binds 127.0.0.1 and a free port only.
# - SMTP AUTH: Cyrus SASL reads Sendmail.conf from its search path; when
#   the script makes $SM_NSDIR/sasl2, it covers /usr/lib/sasl2 (empty, from
#   libsasl2-2) inside the namespace (a sasldb made with the unpacked
#   saslpasswd2 needs no saslauthd).
# - The MSP refuses to run as root (RunAsUser): it runs as nobody, whose
#   queue directory it is.
# - A local milter socket below a group- or world-writable directory, the
#   sticky /tmp included, is "unsafe" and Sendmail does not start: see
#   sm_sockdir.
set -u

SM_CACHE=${SM_CACHE:-/var/cache/consent-milter-test/sendmail}
SM_ROOT=
SM_BIN=
SM_CFDIR=
SM_NAME=
SM_DIR=
SM_ETC=
SM_CF=
SM_QUEUE=
SM_PORT=
SM_PID=
SM_INSTANCES=

sm_setup() {
    for _prog in unshare mount m4 flock apt-get dpkg-deb; do
        if ! command -v "$_prog" >/dev/null 2>&1; then
            fail "sm_setup: $_prog is missing (scripts/install-deps.sh)"
            finish
        fi
    done
    if ! SM_ROOT=$(sh "${SM_FETCH:-$(dirname "$0")/sendmail_fetch.sh}" "$SM_CACHE" 2>"$T/fetch.err"); then
        fail "sm_setup: cannot get Sendmail" "$(cat "$T/fetch.err")"
        finish
    fi
    SM_BIN=$SM_ROOT/usr/libexec/sendmail/sendmail
    SM_CFDIR=$SM_ROOT/usr/share/sendmail/cf
    export SM_ROOT SM_BIN SM_CFDIR
}

# The namespace: files that replace /etc/hosts, nsswitch.conf and
# resolv.conf for Sendmail only (under $SM_NSDIR, made once per test).
SM_NSDIR=$T/sm-ns
_sm_ns_files() {
    [ -d "$SM_NSDIR" ] && return 0
    mkdir -p "$SM_NSDIR" || return 1
    printf '127.0.0.1\ttest.example.com test localhost\n' >"$SM_NSDIR/hosts"
    printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\nservices: files\nnetworks: files\nprotocols: files\n' \
        >"$SM_NSDIR/nsswitch.conf"
    printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$SM_NSDIR/resolv.conf"
    # The script run inside: mounts, renames, then execs CMD (same PID).
    cat >"$SM_NSDIR/enter.sh" <<'EOF'
d=$1
shift
for f in hosts nsswitch.conf resolv.conf; do
    mount --bind "$d/$f" "/etc/$f" || exit 97
done
[ -d "$d/sasl2" ] && { mount --bind "$d/sasl2" /usr/lib/sasl2 || exit 97; }
hostname test.example.com || exit 97
exec "$@"
EOF
}

# sm_ns CMD...: CMD with the host name test.example.com and no DNS.
sm_ns() {
    _sm_ns_files || return 1
    unshare --mount --uts --propagation private sh "$SM_NSDIR/enter.sh" "$SM_NSDIR" "$@"
}

# sm_ns_t SECS CMD...: the same, killed after SECS.
sm_ns_t() {
    _sm_ns_files || return 1
    _secs=$1
    shift
    timeout -k 5 "$_secs" unshare --mount --uts --propagation private \
        sh "$SM_NSDIR/enter.sh" "$SM_NSDIR" "$@"
}

_sm_m4() {
    m4 -D_CF_DIR_="$SM_CFDIR/" "$SM_CFDIR/m4/cf.m4" "$1" >"$2" 2>"$2.m4err" || {
        echo "m4 failed on $1:" >&2
        cat "$2.m4err" >&2
        return 1
    }
}

# sm_start NAME [MILTER_SOCKET]
sm_start() {
    case ${1:-} in
    '' | *[!A-Za-z0-9_-]*)
        echo "sm_start: NAME must be letters, digits, - or _" >&2
        return 2
        ;;
    esac
    [ -n "$SM_BIN" ] || sm_setup
    SM_NAME=$1
    _milter=${2:-}
    SM_DIR=$T/sm-$SM_NAME
    SM_ETC=$SM_DIR/etc
    SM_CF=$SM_ETC/sendmail.cf
    SM_QUEUE=$SM_DIR/mqueue
    PF_CAPTURE_DIR=$SM_DIR/capture
    # shellcheck disable=SC2034 # read by finish: no Postfix log to show
    PF_MAILLOG=
    if [ -e "$SM_DIR" ]; then
        echo "sm_start: an instance $SM_NAME was started before" >&2
        return 2
    fi
    mkdir -p "$SM_ETC" "$SM_QUEUE" "$PF_CAPTURE_DIR" "$SM_DIR/log" "$SM_DIR/msp-queue" || return 1
    chmod 755 "$SM_DIR" "$SM_ETC" "$SM_DIR/log"
    chmod 700 "$SM_QUEUE"
    # The MSP refuses to run as root (RunAsUser): its queue is nobody's.
    chown nobody:nogroup "$SM_DIR/msp-queue"
    chmod 770 "$SM_DIR/msp-queue"
    chown nobody "$PF_CAPTURE_DIR"
    if ! SM_PORT=$(free_port) || ! PF_SINK_PORT=$(free_port); then
        echo "sm_start: no free port on 127.0.0.1" >&2
        return 1
    fi
    PF_SMTP_PORT=$SM_PORT
    _sm_ns_files || return 1

    smtp-sink -4 -u nobody -h sink.example.net -d "$PF_CAPTURE_DIR/%Y%m%d-%H%M%S." \
        "127.0.0.1:$PF_SINK_PORT" 128 >>"$SM_DIR/log/smtp-sink.log" 2>&1 &
    PF_SINK_PID=$!
    bg_track "$PF_SINK_PID"
    if ! _wait_until "$E2E_START_TIMEOUT" _py smtp "$PF_SINK_PORT"; then
        echo "sm_start: smtp-sink did not come up on 127.0.0.1:$PF_SINK_PORT" >&2
        cat "$SM_DIR/log/smtp-sink.log" >&2
        return 1
    fi

    printf '127.0.0.1\ttest.example.com test localhost\n' >"$SM_ETC/hosts"
    printf 'hosts files\naliases files\n' >"$SM_ETC/service.switch"
    _filter=
    if [ -n "$_milter" ]; then
        _filter="INPUT_MAIL_FILTER(\`consent', \`S=$_milter, ${SM_MILTER_FLAGS:-F=T}, ${SM_MILTER_TIMEOUTS:-T=C:10s;S:20s;R:20s;E:30s}')dnl"
    fi
    cat >"$SM_ETC/sendmail.mc" <<EOF
divert(-1)
Private Sendmail instance "$SM_NAME" of the consent-milter e2e tests:
127.0.0.1 only, no DNS, every recipient relayed to the smtp-sink.
divert(0)dnl
OSTYPE(\`linux')dnl
define(\`confCF_VERSION', \`consent-e2e-$SM_NAME')dnl
define(\`confDOMAIN_NAME', \`test.example.com')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SM_ETC/service.switch')dnl
define(\`confHOSTS_FILE', \`$SM_ETC/hosts')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`QUEUE_DIR', \`$SM_QUEUE')dnl
define(\`confPID_FILE', \`$SM_DIR/sendmail.pid')dnl
define(\`STATUS_FILE', \`$SM_DIR/statistics')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`SMART_HOST', \`relay:[127.0.0.1]')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $PF_SINK_PORT')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confTO_QUEUERETURN', \`1h')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confMAX_DAEMON_CHILDREN', \`60')dnl
define(\`confCONNECTION_RATE_THROTTLE', \`0')dnl
define(\`confREFUSE_LA', \`100')dnl
define(\`confQUEUE_LA', \`100')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`promiscuous_relay')dnl
DAEMON_OPTIONS(\`Port=$SM_PORT, Addr=127.0.0.1, Name=MTA')dnl
${SM_MC_EXTRA:-dnl}
$_filter
MAILER(\`smtp')dnl
EOF
    _sm_m4 "$SM_ETC/sendmail.mc" "$SM_CF" || return 1

    # The MSP: sendmail(1) with this submit.cf queues in its own directory
    # and relays every message to the instance over SMTP.
    cat >"$SM_ETC/submit.mc" <<EOF
divert(0)dnl
define(\`confCF_VERSION', \`consent-e2e-submit-$SM_NAME')dnl
define(\`confDOMAIN_NAME', \`test.example.com')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SM_ETC/service.switch')dnl
define(\`confHOSTS_FILE', \`$SM_ETC/hosts')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`MSP_QUEUE_DIR', \`$SM_DIR/msp-queue')dnl
define(\`STATUS_FILE', \`$SM_DIR/msp-statistics')dnl
define(\`confRUN_AS_USER', \`nobody:nogroup')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $SM_PORT')dnl
FEATURE(\`msp', \`[127.0.0.1]')dnl
EOF
    _sm_m4 "$SM_ETC/submit.mc" "$SM_ETC/submit.cf" || return 1

    sm_ns "$SM_BIN" -C "$SM_CF" -bD -q10s </dev/null >>"$SM_DIR/log/sendmail.out" 2>&1 &
    SM_PID=$!
    bg_track "$SM_PID"
    SM_INSTANCES="$SM_INSTANCES $SM_DIR"
    _wait_until "$E2E_START_TIMEOUT" _sm_up
    if ! _alive "$SM_PID" || ! _py smtp "$SM_PORT"; then
        if _alive "$SM_PID"; then
            echo "sm_start: Sendmail does not answer on 127.0.0.1:$SM_PORT" >&2
        else
            echo "sm_start: Sendmail exited during start:" >&2
        fi
        cat "$SM_DIR/log/sendmail.out" >&2
        return 1
    fi
    export SM_NAME SM_DIR SM_ETC SM_CF SM_QUEUE SM_PORT SM_PID PF_SMTP_PORT PF_SINK_PORT \
        PF_SINK_PID PF_CAPTURE_DIR
    return 0
}

# Up: answering on its port; gone: stop waiting.
_sm_up() {
    _alive "$SM_PID" || return 0
    _py smtp "$SM_PORT"
}

# Processes of an instance: the ones working in its queue directory.
_sm_procs() {
    for _d in /proc/[0-9]*; do
        case $(readlink "$_d/cwd" 2>/dev/null) in
        "$1" | "$1"/*) echo "${_d#/proc/}" ;;
        esac
    done
}

_sm_stop_dir() {
    _sd=$1
    if [ "$_sd" = "$SM_DIR" ] && [ -n "$SM_PID" ]; then
        bg_stop "$SM_PID"
        SM_PID=
    fi
    _wait_until 10 eval "[ -z \"\$(_sm_procs '$_sd/mqueue')\" ]" || {
        for _p in $(_sm_procs "$_sd/mqueue"); do
            kill -9 "$_p" 2>/dev/null
        done
    }
    _rest=
    for _i in $SM_INSTANCES; do
        [ "$_i" = "$_sd" ] || _rest="$_rest $_i"
    done
    SM_INSTANCES=$_rest
}

sm_stop() {
    [ -n "$SM_DIR" ] || return 0
    _sm_stop_dir "$SM_DIR"
    [ -n "$PF_SINK_PID" ] && bg_stop "$PF_SINK_PID"
    return 0
}

# sm_sockdir: prints a directory for milter sockets that Sendmail accepts:
# it refuses a local socket when any directory on its path is group- or
# world-writable (sticky /tmp included), so not below $T. Made once, 755,
# under /run; removed on exit.
SM_SOCKDIR=
sm_sockdir() {
    if [ -z "$SM_SOCKDIR" ]; then
        SM_SOCKDIR=$(mktemp -d /run/consent-e2e-sm.XXXXXX) || return 1
        chmod 755 "$SM_SOCKDIR"
        echo "$SM_SOCKDIR" >"$T/.sockdir"
    fi
    echo "$SM_SOCKDIR"
}

# Stopped before lib.sh's cleanup (which stops the tracked PIDs).
_sm_cleanup() {
    for _sd in $SM_INSTANCES; do
        _sm_stop_dir "$_sd"
    done
    _sockdir=$(cat "$T/.sockdir" 2>/dev/null)
    cleanup
    case $_sockdir in
    /run/consent-e2e-sm.*) rm -rf "$_sockdir" ;;
    esac
}
trap _sm_cleanup EXIT

# sm_submit [-f SENDER] FILE RCPT...
sm_submit() {
    _from=shop@example.net
    if [ "${1:-}" = -f ]; then
        _from=$2
        shift 2
    fi
    _file=$1
    shift
    sm_ns_t "$E2E_SEND_TIMEOUT" "$SM_BIN" -C "$SM_ETC/submit.cf" -i -f "$_from" -- "$@" \
        <"$_file" >"$T/send/submit.out" 2>&1
}

sm_msp_queue() {
    for _f in "$SM_DIR"/msp-queue/[qdQ]f*; do
        [ -f "$_f" ] && basename "$_f"
    done
    return 0
}

# sm_queued_with STR [PREFIX]: queue ids whose qf (or hf, PREFIX) file contains STR.
sm_queued_with() {
    # shellcheck disable=SC2231 # PREFIX may be a pattern
    for _f in "$SM_QUEUE"/${2:-[qh]}f*; do
        [ -f "$_f" ] || continue
        grep -F -q -e "$1" "$_f" && basename "$_f" | cut -c3-
    done
}

sm_queue_id() {
    echo "$SEND_REPLY" | sed -n 's/^250 2\.0\.0 \([A-Za-z0-9]*\) Message accepted.*/\1/p'
}
