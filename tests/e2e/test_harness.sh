# test_harness.sh — the e2e harness proves itself, without a milter: a
# private Postfix on 127.0.0.1 relays what swaks and sendmail(1) give it to
# the smtp-sink capture; an unreachable milter tempfails (the message stays
# with the client or in the queue) until it is taken out of the way; and
# everything stops again.
#
#     sh test_harness.sh /path/to/consent-milter /path/to/consentctl /path/to/fixtures
. "$(dirname "$0")/lib.sh"

# ---- start -----------------------------------------------------------------
if pf_start harness; then pass; else
    fail "pf_start: a private Postfix comes up"
    finish
fi
expect_true "postfix check passes without a word" test ! -s "$PF_CHECK_OUT"
expect_true "postfix status: the instance runs" \
    timeout 30 postfix -c "$PF_CONFIG_DIR" status
expect_true "the queue is the private one" \
    test "$(postconf -c "$PF_CONFIG_DIR" -h queue_directory)" = "$PF_QUEUE_DIR"
expect_true "Postfix listens on 127.0.0.1 only" \
    test "$(postconf -c "$PF_CONFIG_DIR" -h inet_interfaces)" = 127.0.0.1
expect_true "no milter is configured" \
    test -z "$(postconf -c "$PF_CONFIG_DIR" -h smtpd_milters non_smtpd_milters | tr -d '\n')"
expect_true "the maillog is written" pf_wait_log "daemon started" 10

# ---- three messages over SMTP, one through sendmail(1) ---------------------
pf_send --from shop@example.net --to anna@example.org \
    --header "Subject: harness one" --header "X-Harness-Id: smtp-1" --body "first message"
expect_reply "250" "SMTP message 1 is accepted"
pf_send --from shop@example.net --to bert@example.org \
    --header "Subject: harness two" --header "X-Harness-Id: smtp-2" --body "second message"
expect_reply "250" "SMTP message 2 is accepted"
pf_send --from shop@example.net --to carla@example.com,dora@example.net \
    --header "Subject: harness three" --header "X-Harness-Id: smtp-3" --body "third message"
expect_reply "250" "SMTP message 3 (two recipients) is accepted"

cat >"$T/sendmail.eml" <<'EOF'
From: Shop <shop@example.net>
To: Emil <emil@example.org>
Subject: harness four
X-Harness-Id: sendmail-4
Message-ID: <harness-4@shop.example.net>

fourth message, through sendmail(1)
EOF
expect_true "sendmail(1) -C takes message 4" pf_sendmail "$T/sendmail.eml" emil@example.org

expect_true "all four messages arrive in the capture within 30 s" pf_wait_delivered 4 30
expect_eq "$(pf_capture_count)" 4 "the capture holds exactly four messages"
expect_eq "$(pf_delivered_to anna@example.org "X-Harness-Id: smtp-1")" 1 "message 1 went to anna"
expect_eq "$(pf_delivered_to bert@example.org "X-Harness-Id: smtp-2")" 1 "message 2 went to bert"
expect_eq "$(pf_delivered_to carla@example.com "X-Harness-Id: smtp-3")" 1 "message 3 went to carla"
expect_eq "$(pf_delivered_to dora@example.net "X-Harness-Id: smtp-3")" 1 "message 3 went to dora"
expect_eq "$(pf_delivered_to Emil@Example.ORG "X-Harness-Id: sendmail-4")" 1 \
    "message 4 (sendmail) went to emil (recipient match ignores case)"
expect_eq "$(pf_delivered_to anna@example.org "X-Harness-Id: smtp-2")" 0 "message 2 did not go to anna"
f=$(pf_capture_with "X-Harness-Id: sendmail-4")
expect_file_has "$f" "X-Mail-Args: <shop@example.net>" "sendmail -f sets the envelope sender"
expect_file_has "$f" "fourth message, through sendmail(1)" "the captured message has the body"
expect_true "the capture holds every header as sent" \
    sh -c "headers_of() { sed -e 's/\r\$//' -e '/^\$/q' \"\$1\"; }; headers_of '$f' | grep -q '^Subject: harness four\$'"

expect_true "the queue is empty afterwards" pf_wait_queue_empty 10
expect_eq "$(pf_queue_count)" 0 "postqueue -j lists nothing"
expect_eq "$(pf_hold_count)" 0 "nothing on hold"
expect_eq "$(pf_log | grep -c 'status=sent')" 5 "the maillog has five deliveries (4 messages, 5 recipients)"

# ---- an unreachable milter: tempfail, nothing lost ----------------------------
DEAD=$(free_port)
expect_false "the probe finds no milter on a closed port" milter_answers "inet:$DEAD@127.0.0.1"
expect_true "pf_conf points both milter lists at the closed port" \
    pf_conf "smtpd_milters = inet:127.0.0.1:$DEAD" "non_smtpd_milters = inet:127.0.0.1:$DEAD"
pf_send --from shop@example.net --to fritz@example.org \
    --header "X-Harness-Id: smtp-tempfail" --body "the milter is away"
expect_reply "451" "SMTP with the milter unreachable: 451 (milter_default_action = tempfail)"

cat >"$T/tempfail.eml" <<'EOF'
From: Shop <shop@example.net>
To: Gabi <gabi@example.org>
Subject: harness tempfail
X-Harness-Id: sendmail-tempfail

kept in the queue while the milter is away
EOF
expect_true "sendmail(1) takes the message although the milter is away" \
    pf_sendmail "$T/tempfail.eml" gabi@example.org
expect_true "Postfix logs the milter failure" pf_wait_log "inet:127.0.0.1:$DEAD" 15
sleep 2
expect_eq "$(pf_capture_count "sendmail-tempfail")" 0 "the sendmail message is not delivered"
expect_true "the sendmail message stays in the queue" \
    test -n "$(pf_queued_with "X-Harness-Id: sendmail-tempfail")"
expect_true "postqueue -j lists it" test "$(pf_queue_count)" -ge 1

expect_true "pf_conf takes the milter out again" pf_conf "smtpd_milters =" "non_smtpd_milters ="
pf_flush
expect_true "after the flush the queued message is delivered" \
    pf_wait_delivered 1 40 "X-Harness-Id: sendmail-tempfail"
expect_eq "$(pf_delivered_to gabi@example.org sendmail-tempfail)" 1 "to gabi"
expect_true "the queue is empty again" pf_wait_queue_empty 20
expect_eq "$(pf_capture_count "smtp-tempfail")" 0 "the refused SMTP message was never delivered"

# ---- milter_start on a configuration the milter must refuse -----------------
cat >"$T/bad.conf" <<EOF
Socket inet:$(free_port)@127.0.0.1
Mode no-such-mode
EOF
milter_start "$T/bad.conf" 2>"$T/milter_start.err"
expect_false "milter_start fails for a refused configuration" test $? -eq 0
expect_true "and says why" grep -q "exited during start" "$T/milter_start.err"
expect_false "and leaves no milter running" milter_running

# ---- stop ------------------------------------------------------------------
sink=$PF_SINK_PID
queue=$PF_QUEUE_DIR
pf_stop
expect_false "after pf_stop Postfix no longer answers" _py smtp "$PF_SMTP_PORT"
expect_false "postfix status: stopped" timeout 30 postfix -c "$PF_CONFIG_DIR" status
expect_true "no process of the instance is left" test -z "$(_pf_procs "$queue")"
expect_false "smtp-sink is gone" _alive "$sink"

finish
