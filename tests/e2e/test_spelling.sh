# test_spelling.sh — issue 10, item 3, through a real Postfix: an objection
# recorded for no@ex.test holds for every spelling of that mailbox in RCPT
# (quoted, escaped, with a source route, with a trailing dot, in capitals),
# although a grant was recorded for the quoted spelling "no"@ex.test; and
# where such a recipient is removed from a message with others
# (smfi_delrcpt), the removal names it exactly as RCPT gave it.
#
#     sh test_spelling.sh /path/to/consent-milter /path/to/consentctl /path/to/fixtures
. "$(dirname "$0")/lib.sh"

STORE=$T/consent.db
AUDIT=$T/audit.db
CONF=$T/milter.conf

ctlq() {
    timeout -k 5 60 "$CTL" "$@" >"$T/ctl.out" 2>&1 && return 0
    _rc=$?
    sed 's/^/        | /' "$T/ctl.out"
    return "$_rc"
}

expect_true "consentctl init" ctlq -d "$STORE" init
expect_true "object no@ex.test" ctlq -d "$STORE" object no@ex.test
# The bypass of issue 10: a grant under the quoted spelling of the same mailbox.
expect_true "grant \"no\"@ex.test" ctlq -d "$STORE" grant '"no"@ex.test' --source e2e
expect_true "grant ok@ex.test" ctlq -d "$STORE" grant ok@ex.test --source e2e

mkdir "$T/mail"
# promo ID: a newsletter whose Message-ID carries ID.
promo() {
    cat >"$T/mail/$1.eml" <<MAIL
From: Radhaus Speiche <news@shop.example.net>
To: Kunde <kunde@ex.test>
Subject: Radhaus-News: Winter-Sale mit 30 % Rabatt
Date: Wed, 25 Nov 2026 10:00:00 +0100
Message-ID: <$1@shop.example.net>
X-Mail-Category: promotional
List-Unsubscribe: <mailto:unsubscribe@shop.example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Hallo,

unser Newsletter im November: Winter-Sale mit 30 % Rabatt auf alle
Winterjacken. Jetzt entdecken: https://shop.example.net/sale?utm_campaign=winter

Vom Newsletter abmelden: https://shop.example.net/abmelden
MAIL
    echo "$T/mail/$1.eml"
}

milter_sockets "${E2E_TRANSPORT:-tcp}" || exit 2
cat >"$CONF" <<EOF
Socket                  $MILTER_SOCK
Database                $STORE
AuditDatabase           $AUDIT
Mode                    reject
TrustedHeaderFrom       127.0.0.0/8
Syslog                  no
EOF
[ "${E2E_TRANSPORT:-tcp}" = local ] && echo "UMask 000" >>"$CONF"
if pf_start spelling "$PF_MILTER_SOCK"; then pass; else
    fail "pf_start with the milter"
    finish
fi
if milter_start "$CONF"; then pass; else
    fail "milter_start"
    finish
fi

# One recipient, each spelling: the message is refused, never delivered.
n=0
for spelling in '"no"@ex.test' '"n\o"@ex.test' '"NO"@EX.TEST' 'no@ex.test.' '@relay.test:no@ex.test'; do
    n=$((n + 1))
    pf_send --from shop@example.net --to "$spelling" --data "@$(promo "one-$n")"
    expect_reply "550 5.7.1" "promotional to RCPT <$spelling> is refused"
done

# With a recipient who may receive it: only ok@ex.test gets it; the quoted
# recipient is removed under its own spelling (else smfi_delrcpt misses it
# and Postfix delivers to no@ex.test).
pf_send --from shop@example.net --to 'ok@ex.test,"no"@ex.test' --data "@$(promo mixed)"
expect_reply "250" "promotional to ok and \"no\" is accepted (for ok)"
_mixed_delivered() {
    [ "$(pf_delivered_to ok@ex.test mixed@shop)" -ge 1 ]
}
expect_true "the mixed message reaches ok@ex.test" _wait_until 30 _mixed_delivered
pf_flush
sleep 2
for a in no@ex.test '"no"@ex.test' NO@ex.test; do
    expect_eq "$(pf_delivered_to "$a" "@shop.example.net")" 0 "nothing delivered to <$a>"
done
_audited() {
    timeout -k 5 30 "$CTL" audit --audit-db "$AUDIT" --format csv 2>/dev/null |
        grep 'mixed@shop.example.net' | grep -q 'no@ex.test'
}
expect_true "the quoted recipient is audited as no@ex.test" _audited

finish
