# test_sendmail_modes.sh — consent-milter in front of a real Sendmail 8.17
# (see sm_lib.sh), the parts beyond test_sendmail.sh:
# - Milter.macros lists that leave out i and {auth_authen}: the milter asks
#   for them (smfi_setsymlist), so the queue id and SMTP AUTH still arrive;
#   TrustedHeaderFrom auth trusts an authenticated sender's label only;
# - submission through sendmail(1), the MSP with its own submit.cf;
# - quarantine (Sendmail's hf hold with the reason), tag and dry-run;
# - MaxScanBytes with bodies far beyond it;
# - SIGTERM while Sendmail holds a session, then the milter down (F=T: 451);
# - a local socket, and Sendmail refusing one in a world-writable directory.
#
#     sh test_sendmail_modes.sh /path/to/consent-milter /path/to/consentctl /path/to/fixtures
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sm_lib.sh"
. "$(dirname "$0")/sm_mails.sh"

CONF=$T/milter.conf
AUTH_USER=shopuser
AUTH_PASS=e2e-secret
sm_setup
sm_store_init

# write_conf MODE [EXTRA LINE]: the milter's configuration.
milter_sockets tcp || exit 1
write_conf() {
    cat >"$CONF" <<EOF
Socket                  $MILTER_SOCK
Database                $STORE
AuditDatabase           $AUDIT
Mode                    $1
TrustedHeaderFrom       auth
Syslog                  no
EOF
    [ -n "${2:-}" ] && echo "$2" >>"$CONF"
    return 0
}

# restart MODE [EXTRA LINE]: the milter again with another configuration.
restart() {
    milter_stop TERM >/dev/null 2>&1
    write_conf "$@"
    if milter_start "$CONF"; then pass; else fail "milter_start in mode $1"; fi
}

send() {
    pf_send --from "$SENDER" --to "$3" --data "@$(make_mail "$1" "$2" "${4:-}")"
}
send_auth() {
    pf_send --from "$SENDER" --to "$3" --auth PLAIN --auth-user "$AUTH_USER" \
        --auth-password "$AUTH_PASS" --data "@$(make_mail "$1" "$2")"
}

# in_headers FILE REGEX: a header line of message FILE matches REGEX (grep -E -i).
in_headers() {
    [ -f "$1" ] && headers_of "$1" | grep -E -i -q -e "$2"
}

# ---- SMTP AUTH for Sendmail: Cyrus SASL with a sasldb of our own --------------------
# Sendmail reads its SASL settings from Sendmail.conf on Cyrus's search
# path; /usr/lib/sasl2 (empty, from libsasl2-2) is covered by a directory
# of ours inside Sendmail's namespace only (sm_lib.sh).
_sm_ns_files && mkdir -p "$SM_NSDIR/sasl2"
cat >"$SM_NSDIR/sasl2/Sendmail.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $T/sasldb2
mech_list: PLAIN LOGIN
EOF
expect_true "saslpasswd2 (unpacked from sasl2-bin) makes the test user" \
    sh -c "echo '$AUTH_PASS' | '$SM_ROOT/usr/sbin/saslpasswd2' -f '$T/sasldb2' -u test.example.com -c -p '$AUTH_USER'"
chmod 600 "$T/sasldb2"

# ---- Macro lists without i and {auth_authen} -------------------------------------------
write_conf reject
if milter_start "$CONF"; then pass; else
    fail "milter_start: consent-milter answers on $MILTER_SOCK"
    finish
fi
SM_MC_EXTRA="define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
define(\`confMILTER_MACROS_ENVFROM', \`{mail_addr}')dnl
define(\`confMILTER_MACROS_ENVRCPT', \`{rcpt_addr}')dnl
define(\`confMILTER_MACROS_EOM', \`{msg_id}')dnl"
if sm_start macros "$MILTER_SOCK"; then pass; else
    fail "sm_start: Sendmail with AUTH and short macro lists"
    finish
fi
unset SM_MC_EXTRA
expect_true "the configuration's envfrom macro list lacks i and {auth_authen}" \
    grep -q -x 'O Milter.macros.envfrom={mail_addr}' "$SM_CF"

send_auth newsletter auth-mixed "$OK,$UNKNOWN"
expect_reply "250 2.0.0" "authenticated: the newsletter to consented + unknown is accepted (split)"
expect_true "swaks authenticated (235)" grep -q '^<-  235 ' "$SEND_OUT"
qid=$(sm_queue_id)
line=$(milter_log_line "$qid")
expect_true "the milter logs the decision under Sendmail's queue id $qid (not NOQUEUE)" test -n "$line"
case $line in
*trusted=yes*) pass ;;
*) fail "the authenticated sender's label is trusted ({auth_authen} arrived)" "${line:-no log line for $qid}" ;;
esac
expect_true "the split message reaches the consented recipient" wait_delivered auth-mixed "$OK"
expect_eq "$(delivered auth-mixed "$UNKNOWN")" 0 "and not the unknown one"
expect_true "the audit row carries the queue id $qid" \
    sh -c "'$CTL' audit --audit-db '$AUDIT' --format csv | grep -F 'auth-mixed@shop' | grep -q -F ',$qid,'"

# Unauthenticated, the label is not trusted (TrustedHeaderFrom auth), and
# the category header is stripped all the same.
send order untrusted "$UNKNOWN"
expect_reply "250 2.0.0" "unauthenticated: the order mail (decided by content) is accepted"
qid=$(sm_queue_id)
case $(milter_log_line "$qid") in
*trusted=no*) pass ;;
*) fail "an unauthenticated sender's label is not trusted" "$(milter_log_line "$qid")" ;;
esac
expect_true "and delivered" wait_delivered untrusted "$UNKNOWN"
expect_false "the untrusted sender's X-Mail-Category is stripped" \
    in_headers "$(pf_capture_with "$(key untrusted)")" '^X-Mail-Category:'
expect_false "no NOQUEUE in the milter's log" grep -q NOQUEUE "$MILTER_LOG"

# ---- sendmail(1): the MSP relays to the MTA, where the milter runs ---------------------
expect_true "sendmail(1): the order mail to unknown is taken" \
    sm_submit "$(make_mail order msp-order)" "$UNKNOWN"
[ -s "$T/send/submit.out" ] && sed 's/^/        | /' "$T/send/submit.out"
expect_true "sendmail(1): the order mail reaches unknown" wait_delivered msp-order "$UNKNOWN"
expect_true "sendmail(1): the newsletter to consented + unknown is taken" \
    sm_submit "$(make_mail newsletter msp-mixed)" "$OK" "$UNKNOWN"
expect_true "sendmail(1) mixed: the consented recipient gets it" wait_delivered msp-mixed "$OK"
expect_eq "$(delivered msp-mixed "$UNKNOWN")" 0 "sendmail(1) mixed: the unknown recipient does not"
expect_eq "$(sm_msp_queue)" "" "the MSP's queue is empty (both handed over)"
# The MTA refuses this one (550) while the MSP hands it over: sendmail(1)
# fails (exit 69, EX_UNAVAILABLE). The MSP then returns it to its sender in
# a bounce (MAIL FROM:<>, multipart/report) that quotes the newsletter: the
# milter lets that through as a delivery report, whose returned message is
# not the sender's advertising to anyone.
sm_submit "$(make_mail newsletter msp-promo)" "$UNKNOWN"
expect_eq "$?" 69 "sendmail(1): the newsletter to unknown only is refused (exit 69)"
sleep 1
expect_eq "$(delivered msp-promo "$UNKNOWN")" 0 "sendmail(1) newsletter: not delivered to unknown"
expect_true "sendmail(1) newsletter: audited" audit_row msp-promo "$UNKNOWN"
_bounce_back() { [ "$(pf_delivered_to shop@example.net "$(key msp-promo)")" -ge 1 ]; }
expect_true "sendmail(1) newsletter: the MSP's bounce reaches the sender" _wait_until 30 _bounce_back
expect_eq "$(sm_msp_queue)" "" "sendmail(1) newsletter: nothing left in the MSP's queue"

# ---- quarantine: Sendmail's hold (hf file with the reason) --------------------------
restart quarantine
send newsletter q-unknown "$UNKNOWN"
expect_reply "250 2.0.0" "quarantine mode: the newsletter to unknown is accepted"
qid=$(sm_queue_id)
_quarantined() {
    [ -f "$SM_QUEUE/hf$1" ] && [ ! -f "$SM_QUEUE/qf$1" ]
}
expect_true "it is quarantined: hf$qid in the queue, no qf$qid" _wait_until 10 _quarantined "$qid"
expect_true "the hf file holds the quarantine reason (its q line)" \
    grep -q '^q.*consent' "$SM_QUEUE/hf$qid"
sed -n 's/^q/      quarantine reason: /p' "$SM_QUEUE/hf$qid"
# A queue run leaves quarantined mail alone.
sm_ns_t 60 "$SM_BIN" -C "$SM_CF" -q >/dev/null 2>&1
expect_eq "$(delivered q-unknown "$UNKNOWN")" 0 "the held newsletter is not delivered by a queue run"
expect_true "and stays held" _quarantined "$qid"
expect_true "quarantine mode: audited" audit_row q-unknown "$UNKNOWN"
send newsletter q-ok "$OK"
expect_reply "250 2.0.0" "quarantine mode: the newsletter to the consented recipient is accepted"
expect_true "and delivered, not held" wait_delivered q-ok "$OK"
# What consent-milter(8) warns of: a release (-Q without a reason) and a
# queue run deliver it to every recipient; the milter does not see it again.
expect_true "sendmail -qQ -qI$qid -Q releases it" \
    sm_ns_t 60 "$SM_BIN" -C "$SM_CF" -qQ -qI"$qid" -Q
expect_true "released: qf$qid again" test -f "$SM_QUEUE/qf$qid"
sm_ns_t 60 "$SM_BIN" -C "$SM_CF" -q >/dev/null 2>&1
expect_true "released: a queue run delivers it to the recipient without consent" \
    wait_delivered q-unknown "$UNKNOWN" 20

# ---- tag and dry-run ------------------------------------------------------------------
restart tag
send newsletter tag-unknown "$UNKNOWN"
expect_reply "250 2.0.0" "tag mode: the newsletter to unknown is accepted"
expect_true "tag mode: and delivered" wait_delivered tag-unknown "$UNKNOWN"
expect_true "tag mode: it carries X-Consent-Verdict ... mode=tag" \
    in_headers "$(pf_capture_with "$(key tag-unknown)")" '^X-Consent-Verdict:.*mode=tag'
expect_true "tag mode: audited" audit_row tag-unknown "$UNKNOWN"

restart dry-run
send newsletter dry-unknown "$UNKNOWN"
expect_reply "250 2.0.0" "dry-run: the newsletter to unknown is accepted"
expect_true "dry-run: and delivered" wait_delivered dry-unknown "$UNKNOWN"
expect_false "dry-run: without a verdict header" \
    in_headers "$(pf_capture_with "$(key dry-unknown)")" '^X-Consent-Verdict:'
expect_true "dry-run: audited as what reject would have done" \
    sh -c "'$CTL' audit --audit-db '$AUDIT' --format csv | grep -F 'dry-unknown@shop' | grep -q -i 'would'"

# ---- MaxScanBytes: bodies far past the bound ---------------------------------------------
# What lies past the bound was not read, so even an order mail counts as
# promotional there (fail-safe, issue 10): it reaches only a recipient with
# consent, and reaches that one whole.
restart reject "MaxScanBytes 4096"
send order big-order-unknown "$UNKNOWN" 2000000
expect_reply "550 5.7.1" "MaxScanBytes 4096: a 2 MB order mail to unknown is refused (not read past the bound)"
expect_true "its log line names the bound" sh -c "grep -F 'structure:body-over-4096-bytes' '$MILTER_LOG' | grep -q ."
send order big-order "$OK" 2000000
expect_reply "250 2.0.0" "MaxScanBytes 4096: the 2 MB order mail to a consenting recipient is accepted"
expect_true "and delivered" wait_delivered big-order "$OK" 60
f=$(pf_capture_with "$(key big-order)")
expect_true "whole: the delivered copy is over 2 MB" test "$(wc -c <"$f")" -gt 2000000
send newsletter big-promo "$UNKNOWN" 2000000
expect_reply "550 5.7.1" "MaxScanBytes 4096: a 2 MB newsletter to unknown is refused (decided on its start)"

# ---- SIGTERM while Sendmail holds a session, then the milter down ---------------------------
# A client stops in the middle of DATA; the milter gets SIGTERM then. The
# message must still be decided (the milter finishes what is in flight),
# and the milter must exit 0.
cat >"$T/half.py" <<'EOF'
import socket, sys, time
port, msgfile, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=60)
f = s.makefile("rb")
def reply():
    line = f.readline()
    while line[3:4] == b"-":
        line = f.readline()
    return line.decode().strip()
reply()
for cmd in ("EHLO client.example.net", "MAIL FROM:<shop@example.net>",
            "RCPT TO:<ok@example.org>", "DATA"):
    s.sendall((cmd + "\r\n").encode())
    r = reply()
    if not r[:1] in "23":
        sys.exit(cmd + ": " + r)
lines = open(msgfile, "rb").read().replace(b"\r\n", b"\n").split(b"\n")
half = len(lines) // 2
s.sendall(b"\r\n".join(lines[:half]) + b"\r\n")
open(go + ".sent", "w").close()
for _ in range(300):  # until the test has signalled the milter
    try:
        open(go).close()
        break
    except OSError:
        time.sleep(0.1)
s.sendall(b"\r\n".join(lines[half:]) + b"\r\n.\r\n")
print(reply())
s.sendall(b"QUIT\r\n")
EOF
timeout -k 5 90 python3 "$T/half.py" "$SM_PORT" "$(make_mail newsletter term)" "$T/go" >"$T/half.out" 2>&1 &
HALF=$!
bg_track "$HALF"
expect_true "the client is in the middle of DATA" _wait_until 20 test -f "$T/go.sent"
sleep 1
kill -s TERM "$MILTER_PID"
sleep 1
: >"$T/go"
wait "$HALF"
_bg_forget "$HALF"
expect_true "the message in flight is decided after SIGTERM: 250 (consented)" grep -q '^250 ' "$T/half.out"
[ -s "$T/half.out" ] && sed 's/^/      client: /' "$T/half.out"
expect_true "the milter exits after SIGTERM" milter_stop TERM 30
expect_eq "$MILTER_EXIT" 0 "SIGTERM: exit status 0"
expect_true "and the message reaches the consented recipient" wait_delivered term "$OK"

send newsletter down "$OK"
expect_reply "451 4.3.2" "the milter down, F=T: Sendmail answers 451 4.3.2"
expect_eq "$(pf_capture_count "$(key down)")" 0 "the milter down: nothing went out"
sm_stop

# ---- a local socket -------------------------------------------------------------------------
if SOCKDIR=$(sm_sockdir); then pass; else
    fail "a directory for the local socket"
    finish
fi
MILTER_SOCK=local:$SOCKDIR/milter.sock
write_conf reject
if milter_start "$CONF"; then pass; else fail "milter_start on $MILTER_SOCK"; fi
if sm_start local "$MILTER_SOCK"; then pass; else fail "sm_start with S=$MILTER_SOCK"; fi
send newsletter local-unknown "$UNKNOWN"
expect_reply "550 5.7.1" "local socket: the newsletter to unknown: 550 5.7.1"
send newsletter local-mixed "$OK,$UNKNOWN"
expect_reply "250 2.0.0" "local socket: the newsletter to consented + unknown is accepted (split)"
expect_true "local socket: the consented recipient gets it" wait_delivered local-mixed "$OK"
expect_eq "$(delivered local-mixed "$UNKNOWN")" 0 "local socket: the unknown one does not"
send order local-order "$UNKNOWN"
expect_reply "250 2.0.0" "local socket: the order mail to unknown is accepted"
sm_stop
milter_stop TERM >/dev/null 2>&1

# Sendmail will not use a socket in a world-writable directory: it does
# not even start.
mkdir "$SOCKDIR/open" && chmod 777 "$SOCKDIR/open"
MILTER_SOCK=local:$SOCKDIR/open/milter.sock
write_conf reject
if milter_start "$CONF"; then pass; else fail "milter_start on $MILTER_SOCK"; fi
expect_false "a socket in a world-writable directory: Sendmail refuses to start" \
    sm_start wlocal "$MILTER_SOCK" 2>/dev/null
expect_true "and says why" grep -q "milter.sock unsafe: World writable directory" "$SM_DIR/log/sendmail.out"

finish
