#!/bin/sh
# run-demo.sh MILTER CONSENTCTL FIXTURES — the demo proper: a private Postfix
# on 127.0.0.1 (tests/e2e/lib.sh), consent-milter in front of it, a consent
# store, four sample mails to five customers; then who got what, and the
# audit. Called by scripts/demo.sh after it has installed and built.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/e2e/lib.sh"

db=$T/consent.db
audit=$T/audit.db
c() { "$CTL" -d "$db" "$@"; }
echo "== the consent store"
c init >/dev/null
c import "$here/consents.csv"
c grant dora@example.org --purpose marketing --source phone \
    --evidence "call 2025-09-01, agent 17, consent text v4" >/dev/null
c object erik.jansen@example.nl --source letter --evidence "letter of 2025-10-02" >/dev/null
echo "anna (marketing), ben (newsletter only), clara (withdrawn), dora (marketing), erik (objected)"

MPORT=$(free_port)
cat >"$T/consent-milter.conf" <<CONF
Socket inet:$MPORT@127.0.0.1
Database $db
AuditDatabase $audit
Mode reject
TrustedHeaderFrom 127.0.0.0/8
Syslog no
CONF
"$CONSENT_MILTER" -c "$T/consent-milter.conf" -n
pf_start demo "inet:127.0.0.1:$MPORT" || { echo "demo: Postfix did not start" >&2; exit 1; }
milter_start "$T/consent-milter.conf" || { echo "demo: the milter did not start" >&2; exit 1; }
echo "== a private Postfix on 127.0.0.1:$PF_SMTP_PORT with consent-milter on 127.0.0.1:$MPORT"

everyone="anna.schmidt@example.de,ben.mueller@example.de,clara.weber@example.com,dora@example.org,erik.jansen@example.nl"
replies=$T/replies
: >"$replies"
for mail in "$here"/mail/*.eml; do
    pf_send --from shop@bohnenglueck.example.de --to "$everyone" --data "@$mail"
    printf '%s\t%s\n' "$(basename "$mail")" "$SEND_REPLY" >>"$replies"
done
pf_wait_delivered 13 30 >/dev/null 2>&1 || true
sleep 1

echo
echo "== who got what (each mail was sent to all five)"
printf '%-28s %-26s %-14s %s\n' MESSAGE RECIPIENT CATEGORY DECISION
for mail in "$here"/mail/*.eml; do
    name=$(basename "$mail")
    category=$("$CTL" classify --json "$mail" |
        python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["category"])')
    mid=$(sed -n 's/^Message-ID: *//p' "$mail" | head -1)
    reply=$(grep -F "$name" "$replies" | cut -f2)
    for rcpt in $(echo "$everyone" | tr ',' ' '); do
        if [ "$(pf_delivered_to "$rcpt" "$mid")" -gt 0 ]; then
            decision=delivered
        else
            case $reply in
            550*) decision="refused (550 5.7.1)" ;;
            *) decision="held back (recipient removed)" ;;
            esac
        fi
        printf '%-28s %-26s %-14s %s\n' "$name" "$rcpt" "$category" "$decision"
    done
done

echo
echo "== what consent-milter logged"
grep -E 'category=' "$MILTER_LOG" | sed 's/^consent-milter: //' | cut -c1-160
echo
echo "== the audit (consentctl audit)"
"$CTL" audit --audit-db "$audit"
milter_stop TERM 30 >/dev/null 2>&1
pf_stop >/dev/null 2>&1
