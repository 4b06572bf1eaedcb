# sm_mails.sh — the test mails and the consent store of the Sendmail e2e
# tests (test_sendmail*.sh). Sourced after lib.sh and sm_lib.sh.
#
#   STORE AUDIT SENDER OK UNKNOWN WITHDRAWN OBJECTED LIVE
#   ctl ARGS... / ctlq ARGS...   consentctl (ctlq: quiet unless it fails)
#   sm_store_init                the store: OK and LIVE granted, WITHDRAWN withdrawn,
#                                OBJECTED objected, UNKNOWN without a record
#   key ID                       the Message-ID of mail ID
#   make_mail KIND ID [PAD]      writes $T/mail/ID.eml and prints its path; KIND is order,
#                                recall, newsletter, mislabelled or unlabelled (an order
#                                confirmation without the category header); PAD bytes of
#                                filler are appended to the body
#   delivered ID ADDR            captured copies of mail ID for envelope recipient ADDR
#   wait_delivered ID ADDR [SECS]
#   audit_csv / audit_row ID ADDR   the audit store (a row for mail ID and recipient ADDR)
#   milter_log_line QID          the milter's decision line for queue id QID

# shellcheck disable=SC2034 # the names are for the scripts that source this
STORE=$T/consent.db
AUDIT=$T/audit.db
SENDER=shop@example.net
OK=ok@example.org
UNKNOWN=unknown@example.org
WITHDRAWN=withdrawn@example.org
OBJECTED=objected@example.org
LIVE=live@example.org

ctl() {
    timeout -k 5 60 "$CTL" "$@"
}

ctlq() {
    ctl "$@" >"$T/ctl.out" 2>&1 && return 0
    _rc=$?
    sed 's/^/        | /' "$T/ctl.out"
    return "$_rc"
}

sm_store_init() {
    expect_true "consentctl init" ctlq -d "$STORE" init
    expect_true "grant $OK" ctlq -d "$STORE" grant "$OK" --source e2e --evidence "double opt-in"
    expect_true "grant $LIVE" ctlq -d "$STORE" grant "$LIVE" --source e2e
    expect_true "grant $WITHDRAWN" ctlq -d "$STORE" grant "$WITHDRAWN" --at 2025-01-01T00:00:00Z
    expect_true "withdraw $WITHDRAWN" ctlq -d "$STORE" withdraw "$WITHDRAWN"
    expect_true "grant $OBJECTED" ctlq -d "$STORE" grant "$OBJECTED" --at 2025-01-01T00:00:00Z
    expect_true "object $OBJECTED" ctlq -d "$STORE" object "$OBJECTED"
}

mkdir -p "$T/mail"
key() {
    echo "<$1@shop.example.net>"
}

# _pad N: N bytes of harmless filler lines (72 characters and a newline).
_pad() {
    awk -v n="$1" 'BEGIN { line = sprintf("%071d", 0); gsub(/0/, "x", line)
        for (i = 0; i < n; i += 72) print line }'
}

make_mail() {
    _f=$T/mail/$2.eml
    case $1 in
    order | unlabelled)
        _label="X-Mail-Category: transactional"
        [ "$1" = unlabelled ] && _label="X-Test-Kind: unlabelled"
        cat >"$_f" <<EOF
From: Radhaus Speiche <bestellung@shop.example.net>
To: Kunde <kunde@example.org>
Subject: Ihre Bestellung 100234 ist eingegangen
Date: Wed, 25 Nov 2026 10:00:00 +0100
Message-ID: $(key "$2")
X-Test-Id: $2
$_label
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
    recall)
        cat >"$_f" <<EOF
From: Radhaus Speiche <service@shop.example.net>
To: Kunde <kunde@example.org>
Subject: Rückruf: Sicherheitshinweis zu Ihrem E-Bike-Akku
Date: Wed, 25 Nov 2026 10:00:00 +0100
Message-ID: $(key "$2")
X-Test-Id: $2
X-Mail-Category: after-sales
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Guten Tag,

Sie haben bei uns den Akku PowerPack 500 gekauft. Bei einigen Akkus dieser
Serie kann sich die Halterung lösen. Bitte benutzen Sie den Akku nicht
weiter und senden Sie ihn kostenlos an uns zurück; Sie erhalten Ersatz.

Die vollständige Anleitung finden Sie in Ihrem Kundenkonto.

Ihr Radhaus Speiche Service
EOF
        ;;
    newsletter)
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
    *)
        echo "make_mail: unknown kind $1" >&2
        return 2
        ;;
    esac
    [ -n "${3:-}" ] && _pad "$3" >>"$_f"
    echo "$_f"
}

delivered() {
    pf_delivered_to "$2" "$(key "$1")"
}

_delivered_yet() {
    [ "$(delivered "$1" "$2")" -ge 1 ]
}
wait_delivered() {
    _wait_until "${3:-30}" _delivered_yet "$1" "$2"
}

audit_csv() {
    ctl audit --audit-db "$AUDIT" --format csv 2>/dev/null
}
audit_row() {
    audit_csv | grep -E -e "(^|[^A-Za-z0-9-])$1@shop[.]example[.]net" | grep -i -q -F -e "$2"
}

milter_log_line() {
    grep -F -e "consent-milter: $1: " "$MILTER_LOG" | tail -n 1
}
