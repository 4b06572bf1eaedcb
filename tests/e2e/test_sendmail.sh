# test_sendmail.sh — consent-milter in front of a real Sendmail 8.17
# (Debian 12's, unpacked, never installed; see sm_lib.sh), over TCP, with
# F=T: each kind of recipient for a newsletter, order and recall mail,
# a mislabelled newsletter, mixed recipients split with smfi_delrcpt, the
# category header stripped, a withdrawal seen without a reload, audit rows
# carrying Sendmail's queue ids, and a corrupted store answered with 451.
# test_sendmail_modes.sh covers the rest (macros, AUTH, quarantine, the
# milter down, a local socket, tag, dry-run, MaxScanBytes, SIGTERM, MSP).
#
#     sh test_sendmail.sh /path/to/consent-milter /path/to/consentctl /path/to/fixtures
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sm_lib.sh"
. "$(dirname "$0")/sm_mails.sh"

CONF=$T/milter.conf
sm_setup
sm_store_init

milter_sockets tcp || exit 1
cat >"$CONF" <<EOF
Socket                  $MILTER_SOCK
Database                $STORE
AuditDatabase           $AUDIT
Mode                    reject
TrustedHeaderFrom       127.0.0.0/8
Syslog                  no
EOF
if milter_start "$CONF"; then pass; else
    fail "milter_start: consent-milter answers on $MILTER_SOCK"
    finish
fi
PID0=$MILTER_PID
if sm_start enforce "$MILTER_SOCK"; then pass; else
    fail "sm_start: Sendmail with the milter"
    finish
fi

send() {
    pf_send --from "$SENDER" --to "$3" --data "@$(make_mail "$1" "$2")"
}

# ---- order and recall mail: everyone gets them ---------------------------------
for kind in order recall; do
    for who in ok unknown withdrawn objected; do
        send "$kind" "$kind-$who" "$who@example.org"
        expect_reply "250 2.0.0" "$kind mail to the $who recipient is accepted"
    done
done
for kind in order recall; do
    for who in ok unknown withdrawn objected; do
        expect_true "$kind mail reaches the $who recipient" wait_delivered "$kind-$who" "$who@example.org"
    done
done

# ---- a newsletter: only with consent --------------------------------------------
send newsletter promo-ok "$OK"
expect_reply "250 2.0.0" "the newsletter to the consented recipient is accepted"
expect_true "and delivered" wait_delivered promo-ok "$OK"
for who in unknown withdrawn objected; do
    send newsletter "promo-$who" "$who@example.org"
    expect_reply "550 5.7.1" "the newsletter to the $who recipient: 550 5.7.1"
done

# ---- a newsletter labelled transactional ----------------------------------------
send mislabelled mis-unknown "$UNKNOWN"
expect_reply "550 5.7.1" "the mislabelled newsletter (voucher code) to the unknown recipient: 550"
send mislabelled mis-ok "$OK"
expect_reply "250 2.0.0" "the mislabelled newsletter to the consented recipient is accepted"
expect_true "and delivered" wait_delivered mis-ok "$OK"

# ---- mixed recipients: split with smfi_delrcpt -----------------------------------
send newsletter mixed "$OK,$UNKNOWN,$WITHDRAWN,$OBJECTED"
expect_reply "250 2.0.0" "the newsletter to four recipients, one consented: accepted (split)"
MIXED_QID=$(sm_queue_id)
expect_true "Sendmail's reply names the queue id" test -n "$MIXED_QID"
expect_true "the consented recipient gets it" wait_delivered mixed "$OK"
for a in "$UNKNOWN" "$WITHDRAWN" "$OBJECTED"; do
    expect_eq "$(delivered mixed "$a")" 0 "the mixed newsletter does not reach $a"
done
f=$(pf_capture_with "$(key mixed)")
expect_eq "$(headers_of "$f" | grep -c '^X-Rcpt-Args:')" 1 "the split message went to one recipient only"
for who in unknown withdrawn objected; do
    expect_eq "$(pf_delivered_to "$who@example.org" "Winter-Sale")" 0 "no newsletter at all reached $who"
done

# ---- the category header is stripped ------------------------------------------------
n=0 with=0
for f in $(pf_captured); do
    n=$((n + 1))
    headers_of "$f" | grep -i -q '^X-Mail-Category:' && with=$((with + 1))
done
expect_true "there are delivered messages to look at" test "$n" -ge 10
expect_eq "$with" 0 "no message Sendmail delivered carries X-Mail-Category"

# ---- the audit, with Sendmail's queue ids -----------------------------------------------
for who in unknown withdrawn objected; do
    expect_true "audited: the newsletter held back from $who" audit_row "promo-$who" "$who@example.org"
    expect_true "audited: the mixed newsletter held back from $who" audit_row mixed "$who@example.org"
done
expect_true "audited: the mislabelled newsletter held back from unknown" audit_row mis-unknown "$UNKNOWN"
expect_false "not audited: order mail" audit_row order-unknown "$UNKNOWN"
expect_true "the audit rows of the split message carry its Sendmail queue id $MIXED_QID" \
    sh -c "'$CTL' audit --audit-db '$AUDIT' --format csv | grep -F '$(key mixed | tr -d '<>')' | grep -q -F '$MIXED_QID'"
expect_false "no audit row says NOQUEUE" sh -c "'$CTL' audit --audit-db '$AUDIT' --format csv | grep -q NOQUEUE"
expect_true "the milter logs the decision under the queue id" test -n "$(milter_log_line "$MIXED_QID")"

# ---- a withdrawal while the milter runs ---------------------------------------------------
send newsletter live-1 "$LIVE"
expect_reply "250 2.0.0" "the newsletter to $LIVE (consent on record) is accepted"
expect_true "and delivered" wait_delivered live-1 "$LIVE"
expect_true "consentctl withdraw $LIVE while the milter runs" ctlq -d "$STORE" withdraw "$LIVE"
send newsletter live-2 "$LIVE"
expect_reply "550 5.7.1" "the next newsletter to $LIVE is refused, without a reload"
expect_eq "$MILTER_PID" "$PID0" "the same milter process (no restart)"

# ---- a corrupted consent store: 451 ------------------------------------------------------
size=$(wc -c <"$STORE")
dd if=/dev/urandom of="$STORE" bs="$size" count=1 conv=notrunc iflag=fullblock 2>/dev/null
# Every open connection re-reads the file once the WAL index header is gone.
[ -f "$STORE-shm" ] && dd if=/dev/zero of="$STORE-shm" bs=136 count=1 conv=notrunc 2>/dev/null
send newsletter corrupt "$OK"
expect_reply "451 4.3.0" "corrupted store: Sendmail answers 451 4.3.0 (OnDatabaseError tempfail)"
expect_true "the milter survives a corrupted store" milter_running
sleep 1
expect_eq "$(pf_capture_count "$(key corrupt)")" 0 "corrupted store: nothing of it went out"
expect_eq "$(sm_queued_with "$(key corrupt)")" "" "corrupted store: Sendmail did not queue it either"

finish
