# test_enforcement.sh — consent-milter in front of a real private Postfix,
# end to end, as DESIGN.md's contract and issue 4 describe it: what each
# kind of recipient gets over SMTP and through sendmail(1), changes to the
# store seen without a reload, the category header stripped, the audit,
# quarantine, a corrupted store (tempfail, nothing lost, delivered once
# repaired), SIGHUP with a good and a broken configuration, and SIGTERM
# under load with every message accounted for.
#
# With E2E_TRANSPORT=local all of it runs over a UNIX socket instead of
# TCP, where the milter negotiates differently (no answers before the end
# of a message; see on_negotiate in milter/callbacks.c).
#
#     sh test_enforcement.sh /path/to/consent-milter /path/to/consentctl /path/to/fixtures
. "$(dirname "$0")/lib.sh"

STORE=$T/consent.db
AUDIT=$T/audit.db
CONF=$T/milter.conf
SENDER=shop@example.net

# The recipients, one of each consent state.
OK=ok@example.org             # consent granted
UNKNOWN=unknown@example.org   # no record at all
WITHDRAWN=withdrawn@example.org # granted, then withdrawn
OBJECTED=objected@example.org # granted, then objected (GDPR Art. 21(3))
LIVE=live@example.org         # granted; withdrawn while the milter runs

ctl() {
    timeout -k 5 60 "$CTL" "$@"
}

# ctlq ARGS...: consentctl quietly; what it says goes to the test's output
# only when it fails.
ctlq() {
    ctl "$@" >"$T/ctl.out" 2>&1 && return 0
    _rc=$?
    sed 's/^/        | /' "$T/ctl.out"
    return "$_rc"
}

# ---- the consent store -------------------------------------------------------
expect_true "consentctl init" ctlq -d "$STORE" init
expect_true "grant $OK" ctlq -d "$STORE" grant "$OK" --source e2e --evidence "double opt-in"
expect_true "grant $LIVE" ctlq -d "$STORE" grant "$LIVE" --source e2e --evidence "double opt-in"
expect_true "grant $WITHDRAWN" ctlq -d "$STORE" grant "$WITHDRAWN" --at 2025-01-01T00:00:00Z
expect_true "withdraw $WITHDRAWN" ctlq -d "$STORE" withdraw "$WITHDRAWN"
expect_true "grant $OBJECTED" ctlq -d "$STORE" grant "$OBJECTED" --at 2025-01-01T00:00:00Z
expect_true "object $OBJECTED" ctlq -d "$STORE" object "$OBJECTED"

# check_first ADDR CATEGORY: first word of consentctl check (allow / deny).
check_first() {
    ctl -d "$STORE" check "$1" --category "$2" 2>/dev/null | head -n 1 | cut -d' ' -f1
}
expect_eq "$(check_first "$OK" promotional)" allow "the store: promotional to $OK allowed"
for a in "$UNKNOWN" "$WITHDRAWN" "$OBJECTED"; do
    expect_eq "$(check_first "$a" promotional)" deny "the store: promotional to $a denied"
    expect_eq "$(check_first "$a" transactional)" allow "the store: transactional to $a allowed"
done

# ---- the mails -----------------------------------------------------------------
# make_mail KIND ID: writes $T/mail/ID.eml, a message of KIND (transactional,
# after-sales, promotional, mislabelled) whose Message-ID is key ID.
mkdir "$T/mail"
key() {
    echo "<$1@shop.example.net>"
}
make_mail() {
    _f=$T/mail/$2.eml
    case $1 in
    transactional)
        cat >"$_f" <<EOF
From: Radhaus Speiche <bestellung@shop.example.net>
To: Kunde <kunde@example.org>
Subject: Ihre Bestellung 100234 ist eingegangen
Date: Wed, 25 Nov 2026 10:00:00 +0100
Message-ID: $(key "$2")
X-Test-Id: $2
X-Mail-Category: transactional
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Guten Tag,

vielen Dank für Ihre Bestellung 100234 vom 25.11.2026.

Bestellte Artikel:
  1 x Fahrradschloss Falt 90 cm       34,90 EUR
Versandkosten                          4,90 EUR
Gesamtbetrag (inkl. 19 % MwSt.)       39,80 EUR

Zahlungsart: Rechnung. Die Lieferung erfolgt an die angegebene Adresse.
Sie erhalten eine weitere E-Mail, sobald Ihre Bestellung versandt wurde.

Ihr Radhaus Speiche
EOF
        ;;
    after-sales)
        cat >"$_f" <<EOF
From: Radhaus Speiche <service@shop.example.net>
To: Kunde <kunde@example.org>
Subject: Sicherheitshinweis zu Ihrem E-Bike-Akku
Date: Wed, 25 Nov 2026 10:00:00 +0100
Message-ID: $(key "$2")
X-Test-Id: $2
X-Mail-Category: after-sales
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Guten Tag,

Sie haben bei uns den Akku PowerPack 500 gekauft. Bitte beachten Sie bei der
Lagerung im Winter: den Akku bei 10 bis 20 Grad und mit 30 bis 60 % Ladung
aufbewahren, nicht im kalten Keller laden.

Die vollständige Bedienungsanleitung finden Sie in Ihrem Kundenkonto.

Ihr Radhaus Speiche Service
EOF
        ;;
    promotional)
        cat >"$_f" <<EOF
From: Radhaus Speiche <news@shop.example.net>
To: Kunde <kunde@example.org>
Subject: Radhaus-News: Winter-Sale mit 30 % Rabatt
Date: Wed, 25 Nov 2026 10:00:00 +0100
Message-ID: $(key "$2")
X-Test-Id: $2
X-Mail-Category: promotional
List-Unsubscribe: <mailto:unsubscribe@shop.example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Hallo,

unser Newsletter im November: Winter-Sale mit 30 % Rabatt auf alle
Winterjacken, neue Gravelbikes im Sortiment und ein Gewinnspiel.

Jetzt entdecken: https://shop.example.net/sale?utm_campaign=winter

Vom Newsletter abmelden: https://shop.example.net/abmelden
EOF
        ;;
    mislabelled)
        # Labelled transactional, but a voucher in the body: promotional.
        cat >"$_f" <<EOF
From: Radhaus Speiche <bestellung@shop.example.net>
To: Kunde <kunde@example.org>
Subject: Danke für Ihren Einkauf
Date: Wed, 25 Nov 2026 10:00:00 +0100
Message-ID: $(key "$2")
X-Test-Id: $2
X-Mail-Category: transactional
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Hallo,

als Dankeschön schenken wir Ihnen 10 % Rabatt auf Ihre nächste Bestellung:
Ihr Gutscheincode lautet DANKE10, gültig bis 31.12.2026.

Entdecken Sie jetzt unsere neuen Winterjacken im Shop!
EOF
        ;;
    esac
    echo "$_f"
}

# The classifier agrees with the test about what each kind is.
for kind in transactional after-sales promotional mislabelled; do
    f=$(make_mail "$kind" "sample-$kind")
    want=$kind
    [ "$kind" = mislabelled ] && want=promotional
    got=$(ctl classify --json "$f" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["category"])')
    expect_eq "$got" "$want" "consentctl classify: the $kind mail is $want"
done

# send KIND ID RCPT[,RCPT...]: the mail over SMTP.
send() {
    pf_send --from "$SENDER" --to "$3" --data "@$(make_mail "$1" "$2")"
}

# delivered ID ADDR: how many captured messages with ID went to ADDR.
delivered() {
    pf_delivered_to "$2" "$(key "$1")"
}

# wait_delivered ID ADDR [SECS]: until the message with ID reaches ADDR.
_delivered_yet() {
    [ "$(delivered "$1" "$2")" -ge 1 ]
}
wait_delivered() {
    _wait_until "${3:-30}" _delivered_yet "$1" "$2"
}

# audit_row ID ADDR: the audit store has a row for the message with ID and
# recipient ADDR (on one CSV line; IDs are made of [a-z0-9-]).
audit_csv() {
    ctl audit --audit-db "$AUDIT" --format csv 2>/dev/null
}
audit_row() {
    audit_csv | grep -E -e "(^|[^A-Za-z0-9-])$1@shop[.]example[.]net" | grep -i -q -F -e "$2"
}

# write_conf FILE MODE [EXTRA LINE]
write_conf() {
    cat >"$1" <<EOF
# consent-milter for the e2e test
Socket                  $MILTER_SOCK
Database                $STORE
AuditDatabase           $AUDIT
Mode                    $2
TrustedHeaderFrom       127.0.0.0/8
Syslog                  no
EOF
    # Postfix's smtpd runs as its own user: it must be able to connect.
    [ -n "$MUMASK" ] && echo "$MUMASK" >>"$1"
    [ -n "${3:-}" ] && echo "$3" >>"$1"
    return 0
}

# ---- start -------------------------------------------------------------------
milter_sockets "${E2E_TRANSPORT:-tcp}" || {
    echo "test_enforcement.sh: E2E_TRANSPORT is local or tcp" >&2
    exit 2
}
MUMASK=
[ "${E2E_TRANSPORT:-tcp}" = local ] && MUMASK="UMask 000"
echo "      transport: $MILTER_SOCK"
write_conf "$CONF" reject
if timeout -k 5 30 "$CONSENT_MILTER" -c "$CONF" -n >"$T/n.out" 2>&1; then pass; else
    fail "consent-milter -n accepts the test configuration" "$(head -c 400 "$T/n.out")"
fi
if pf_start enforce "$PF_MILTER_SOCK"; then pass; else
    fail "pf_start with the milter"
    finish
fi
if milter_start "$CONF"; then pass; else
    fail "milter_start: consent-milter answers on $MILTER_SOCK"
    finish
fi
PID0=$MILTER_PID

# ---- transactional and after-sales: everyone gets them --------------------------
for kind in transactional after-sales; do
    for who in ok unknown withdrawn objected; do
        send "$kind" "$kind-$who" "$who@example.org"
        expect_reply "250" "$kind to the $who recipient is accepted"
    done
done
send transactional trans-all "$OK,$UNKNOWN,$WITHDRAWN,$OBJECTED"
expect_reply "250" "transactional to all four at once is accepted"
expect_true "the nine transactional and after-sales messages are delivered" \
    pf_wait_delivered 9 30 "@shop.example.net>"
for kind in transactional after-sales; do
    for who in ok unknown withdrawn objected; do
        wait_delivered "$kind-$who" "$who@example.org" 10
        expect_eq "$(delivered "$kind-$who" "$who@example.org")" 1 "$kind reaches the $who recipient"
    done
done
for a in "$OK" "$UNKNOWN" "$WITHDRAWN" "$OBJECTED"; do
    expect_eq "$(delivered trans-all "$a")" 1 "transactional to all four reaches $a"
done

# ---- promotional: only with consent ------------------------------------------------
send promotional promo-ok "$OK"
expect_reply "250" "the newsletter to the consented recipient is accepted"
expect_true "and delivered" wait_delivered promo-ok "$OK"
for who in unknown withdrawn objected; do
    send promotional "promo-$who" "$who@example.org"
    expect_reply "550 5.7.1" "the newsletter to the $who recipient: 550 5.7.1"
    case $SEND_REPLY in
    *"$who@"*) fail "the 550 text names no recipient data" "$SEND_REPLY" ;;
    *) pass ;;
    esac
done

# ---- a newsletter labelled transactional ----------------------------------------
send mislabelled mis-unknown "$UNKNOWN"
expect_reply "550 5.7.1" "the mislabelled newsletter (voucher code) to the unknown recipient: 550"
send mislabelled mis-ok "$OK"
expect_reply "250" "the mislabelled newsletter to the consented recipient is accepted"
expect_true "and delivered" wait_delivered mis-ok "$OK"

# ---- mixed recipients: split -------------------------------------------------------
send promotional mixed "$OK,$UNKNOWN,$WITHDRAWN,$OBJECTED"
expect_reply "250" "the newsletter to four recipients, one consented: accepted (split)"
expect_true "the consented recipient gets it" wait_delivered mixed "$OK"
for a in "$UNKNOWN" "$WITHDRAWN" "$OBJECTED"; do
    expect_eq "$(delivered mixed "$a")" 0 "the mixed newsletter does not reach $a"
done
f=$(pf_capture_with "$(key mixed)")
expect_eq "$(headers_of "$f" | grep -c '^X-Rcpt-Args:')" 1 "the split message went to one recipient only"

# Nothing promotional reached anyone without consent.
for who in unknown withdrawn objected; do
    expect_eq "$(pf_delivered_to "$who@example.org" "Winter-Sale")" 0 \
        "no newsletter at all reached $who (SMTP)"
done

# ---- the internal category header is stripped -----------------------------------
n=0
with=0
for f in $(pf_captured); do
    n=$((n + 1))
    headers_of "$f" | grep -i -q '^X-Mail-Category:' && with=$((with + 1))
done
expect_true "there are delivered messages to look at" test "$n" -ge 12
expect_eq "$with" 0 "no delivered message carries X-Mail-Category"

# ---- the audit -----------------------------------------------------------------------
for who in unknown withdrawn objected; do
    expect_true "audited: the newsletter held back from $who" audit_row "promo-$who" "$who@example.org"
    expect_true "audited: the mixed newsletter held back from $who" audit_row mixed "$who@example.org"
done
expect_true "audited: the mislabelled newsletter held back from unknown" audit_row mis-unknown "$UNKNOWN"
expect_false "not audited: the newsletter that went out (AuditAll no)" audit_row promo-ok "$OK"
expect_false "not audited: transactional mail" audit_row transactional-unknown "$UNKNOWN"
expect_true "the audit names the category" sh -c "'$CTL' audit --audit-db '$AUDIT' --format csv | grep -F 'promo-unknown@shop' | grep -q promotional"

# ---- sendmail(1): non_smtpd_milters ----------------------------------------------------
expect_true "sendmail(1): transactional to unknown accepted" \
    pf_sendmail "$(make_mail transactional sm-trans)" "$UNKNOWN"
expect_true "sendmail(1): transactional to unknown delivered" wait_delivered sm-trans "$UNKNOWN"

expect_true "sendmail(1): the newsletter to unknown is taken" \
    pf_sendmail "$(make_mail promotional sm-promo)" "$UNKNOWN"
# Postfix bounces it to the sender (or keeps it); either way it must not go out.
_sm_promo_settled() {
    [ "$(delivered sm-promo "$SENDER")" -ge 1 ] || [ -n "$(pf_queued_with "$(key sm-promo)")" ]
}
expect_true "sendmail(1) newsletter: bounced to the sender or held in the queue" \
    _wait_until 30 _sm_promo_settled
expect_eq "$(delivered sm-promo "$UNKNOWN")" 0 "sendmail(1) newsletter: not delivered to unknown"
expect_true "sendmail(1) newsletter: audited" _wait_until 10 audit_row sm-promo "$UNKNOWN"

expect_true "sendmail(1): the newsletter to consented + unknown is taken" \
    pf_sendmail "$(make_mail promotional sm-mixed)" "$OK" "$UNKNOWN"
expect_true "sendmail(1) mixed: the consented recipient gets it" wait_delivered sm-mixed "$OK"
expect_eq "$(delivered sm-mixed "$UNKNOWN")" 0 "sendmail(1) mixed: the unknown recipient does not"

# ---- a withdrawal while the milter runs ------------------------------------------------
send promotional live-1 "$LIVE"
expect_reply "250" "the newsletter to $LIVE (consent on record) is accepted"
expect_true "and delivered" wait_delivered live-1 "$LIVE"
expect_true "consentctl withdraw $LIVE while the milter runs" ctlq -d "$STORE" withdraw "$LIVE"
send promotional live-2 "$LIVE"
expect_reply "550 5.7.1" "the next newsletter to $LIVE is refused, without a reload"
expect_eq "$MILTER_PID" "$PID0" "the same milter process (no restart)"
expect_true "and it still runs" milter_running

# ---- quarantine mode ----------------------------------------------------------------------
expect_true "the reject-mode milter stops on SIGTERM" milter_stop TERM
expect_eq "$MILTER_EXIT" 0 "SIGTERM: exit status 0"
CONFQ=$T/milter-quarantine.conf
write_conf "$CONFQ" quarantine
if milter_start "$CONFQ"; then pass; else fail "milter_start in quarantine mode"; fi
send promotional q-unknown "$UNKNOWN"
expect_reply "250" "quarantine mode: the newsletter to unknown is accepted"
_held() {
    [ -n "$(pf_queued_with "$(key "$1")" hold)" ]
}
expect_true "quarantine mode: it is in the hold queue" _wait_until 20 _held q-unknown
expect_true "postqueue -j lists a message with queue_name hold" test "$(pf_hold_count)" -ge 1
send promotional q-ok "$OK"
expect_reply "250" "quarantine mode: the newsletter to the consented recipient is accepted"
expect_true "and delivered, not held" wait_delivered q-ok "$OK"
send transactional q-trans "$UNKNOWN"
expect_true "quarantine mode: transactional to unknown is delivered" wait_delivered q-trans "$UNKNOWN"
pf_flush
sleep 2
expect_eq "$(delivered q-unknown "$UNKNOWN")" 0 "the held newsletter is not delivered, even after a flush"
expect_true "the held newsletter stays on hold" _held q-unknown
expect_true "quarantine mode: audited" audit_row q-unknown "$UNKNOWN"
timeout 30 postsuper -c "$PF_CONFIG_DIR" -d ALL hold >/dev/null 2>&1

# ---- SIGHUP: a good configuration is taken --------------------------------------------------
PID1=$MILTER_PID
write_conf "$CONFQ" reject
expect_true "SIGHUP with a good configuration: the milter survives" milter_reload
expect_eq "$MILTER_PID" "$PID1" "SIGHUP: the same process"
send promotional hup-good "$UNKNOWN"
expect_reply "550 5.7.1" "after SIGHUP the new Mode reject applies: 550"

# ---- SIGHUP: a broken configuration is refused -----------------------------------------------
# dry-run would deliver everything: if any of it were taken, unknown would get mail.
write_conf "$CONFQ" dry-run "NoSuchKey yes"
broken_line=$(grep -n '^NoSuchKey' "$CONFQ" | cut -d: -f1)
logsize=$(wc -c <"$MILTER_LOG")
expect_true "SIGHUP with a broken configuration: the milter keeps running" milter_reload
expect_eq "$MILTER_PID" "$PID1" "SIGHUP (broken): the same process"
send promotional hup-bad "$UNKNOWN"
expect_reply "550 5.7.1" "after a refused reload the old configuration still enforces: 550"
send promotional hup-bad-ok "$OK"
expect_reply "250" "and still delivers with consent"
expect_true "the milter logs why, naming the file and line" \
    sh -c "tail -c +$((logsize + 1)) '$MILTER_LOG' | grep -q -F 'milter-quarantine.conf:$broken_line'"
write_conf "$CONFQ" reject
expect_true "SIGHUP with the good configuration again" milter_reload

# ---- a corrupted consent store ------------------------------------------------------------------
expect_true "export the store (the backup)" ctlq -d "$STORE" export --format csv -o "$T/backup.csv"
# Damage every byte of the store in place. SQLite keeps the pages it has
# read, and in WAL mode reads the file again only when the WAL index says
# it changed: zeroing the index header (the first 136 bytes of -shm) makes
# every open connection re-read, as any change would; without it a milter
# with a warm cache would not notice the damage (which is not wrong).
size=$(wc -c <"$STORE")
zap_wal_index() {
    [ -f "$STORE-shm" ] && dd if=/dev/zero of="$STORE-shm" bs=136 count=1 conv=notrunc 2>/dev/null
    return 0
}
dd if=/dev/urandom of="$STORE" bs="$size" count=1 conv=notrunc iflag=fullblock 2>/dev/null
store_readable() {
    ctl -d "$STORE" check "$OK" --category promotional >/dev/null 2>&1
}
expect_false "the store is unreadable now (consentctl check fails)" store_readable
zap_wal_index

send promotional corrupt-smtp "$OK"
expect_reply "451" "corrupted store: SMTP gets a temporary failure"
expect_reply "451 4.3.0" "corrupted store: 451 4.3.0 (OnDatabaseError tempfail)"
expect_true "the milter survives a corrupted store" milter_running
expect_true "sendmail(1) takes a newsletter to the consented recipient" \
    pf_sendmail "$(make_mail promotional corrupt-sm)" "$OK"
sleep 5
expect_eq "$(delivered corrupt-sm "$OK")" 0 "corrupted store: the sendmail message is not delivered"
expect_true "corrupted store: the sendmail message stays in the queue" \
    test -n "$(pf_queued_with "$(key corrupt-sm)")"
expect_eq "$(pf_capture_count "$(key corrupt-smtp)")" 0 "corrupted store: nothing of the SMTP attempt went out"

# Repair: a new store from the export, written over the damaged file (the
# same file the milter has open), and the WAL index reset again.
expect_true "restore: init a new store" ctlq -d "$T/restored.db" init
expect_true "restore: import the export" ctlq -d "$T/restored.db" import --restore "$T/backup.csv"
expect_true "restore: everything is in the main file (empty WAL)" \
    test ! -s "$T/restored.db-wal"
cat "$T/restored.db" >"$STORE"
zap_wal_index
expect_eq "$(check_first "$OK" promotional)" allow "the repaired store allows $OK again"
expect_eq "$(check_first "$LIVE" promotional)" deny "the repaired store still has $LIVE's withdrawal"
pf_flush
expect_true "after the repair and postqueue -f the queued message is delivered" \
    wait_delivered corrupt-sm "$OK" 60
expect_true "and has left the queue" test -z "$(pf_queued_with "$(key corrupt-sm)")"
send promotional repaired-smtp "$OK"
expect_reply "250" "after the repair SMTP is accepted again"
send promotional repaired-unknown "$UNKNOWN"
expect_reply "550 5.7.1" "after the repair enforcement is back: 550 for unknown"

# ---- SIGTERM under load: nothing lost ---------------------------------------------------------
# 50 newsletters in parallel, odd ones to the consented recipient, even
# ones to the unknown one; SIGTERM once a few have been answered.
N=50
i=1
while [ "$i" -le "$N" ]; do
    if [ $((i % 2)) = 1 ]; then to=$OK; else to=$UNKNOWN; fi
    make_mail promotional "load-$i" >/dev/null
    echo "$to" >"$T/send/load-$i.to"
    i=$((i + 1))
done
launch() {
    _i=$1
    while [ "$_i" -le "$2" ]; do
        pf_send_bg "load-$_i" --from "$SENDER" --to "$(cat "$T/send/load-$_i.to")" \
            --data "@$T/mail/load-$_i.eml"
        _i=$((_i + 1))
    done
}
_answered_at_least() {
    [ "$(grep -l -E '^<[-*~]* +(250|550) ' "$T"/send/load-*.out 2>/dev/null | wc -l)" -ge "$1" ]
}
launch 1 25
expect_true "load: the first messages are answered" _wait_until 60 _answered_at_least 5
launch 26 "$N"
t0=$(date +%s)
expect_true "load: SIGTERM, and the milter exits within 45 s" milter_stop TERM 45
took=$(($(date +%s) - t0))
echo "      load: the milter exited $took s after SIGTERM"
# Finishing a few small messages on 127.0.0.1 takes a moment; sitting out a
# drain bound means the messages in flight were not being served.
expect_true "load: the messages in flight are finished promptly (exit within 15 s)" \
    test "$took" -le 15
expect_eq "$MILTER_EXIT" 0 "load: SIGTERM exit status 0"

accepted=0 delivered_n=0 queued=0 rejected=0 tempfailed=0 unanswered=0 lost=0 leaked=0
i=1
while [ "$i" -le "$N" ]; do
    pf_wait_bg "load-$i"
    i=$((i + 1))
done
pf_wait_queue_empty 60 # what was accepted goes out; what stays counts as queued
# A message is Postfix's once it answered 2xx to the end of the data: from
# then on it must be delivered or still queued. Refused (5xx, 4xx) or
# unanswered, the client still has it; then Postfix must not have it.
i=1
while [ "$i" -le "$N" ]; do
    id=load-$i
    to=$(cat "$T/send/$id.to")
    reply=$(_reply_of "$T/send/$id.out")
    got=$(delivered "$id" "$to")
    inq=$(pf_queued_with "$(key "$id")")
    if [ "$to" = "$UNKNOWN" ] && [ "$got" -ge 1 ]; then
        leaked=$((leaked + 1))
        echo "      $id: the newsletter reached $UNKNOWN"
    fi
    case $reply in
    2*)
        accepted=$((accepted + 1))
        if [ "$got" -ge 1 ]; then
            delivered_n=$((delivered_n + 1))
        elif [ -n "$inq" ]; then
            queued=$((queued + 1))
        else
            lost=$((lost + 1))
            echo "      $id: accepted ($reply) but neither delivered nor queued"
        fi
        ;;
    *)
        case $reply in
        5*) rejected=$((rejected + 1)) ;;
        4*) tempfailed=$((tempfailed + 1)) ;;
        *) unanswered=$((unanswered + 1)) ;;
        esac
        if [ "$got" -ge 1 ] || [ -n "$inq" ]; then
            echo "      $id: not accepted (${reply:-no answer}) but delivered or queued anyway"
            lost=$((lost + 1))
        fi
        ;;
    esac
    i=$((i + 1))
done
echo "      load: $accepted accepted ($delivered_n delivered, $queued queued)," \
    "$rejected rejected, $tempfailed tempfailed, $unanswered without an answer"
expect_eq "$((accepted + rejected + tempfailed + unanswered))" "$N" "load: every message has an outcome"
expect_eq "$lost" 0 "load: no message lost (or taken against a refusal)"
expect_eq "$leaked" 0 "load: no newsletter reached the recipient without consent"
expect_true "load: the milter decided some before SIGTERM" test $((accepted + rejected)) -ge 5
# Finishing what is in flight means answering it (or closing the
# connection): Postfix must never have waited out milter_command_timeout.
expect_false "load: Postfix never timed out waiting for the milter" \
    grep -q -E "milter $(echo "$PF_MILTER_SOCK" | sed 's/[.]/[.]/g'): .*([Tt]imed out|timeout)" "$PF_MAILLOG"

finish
