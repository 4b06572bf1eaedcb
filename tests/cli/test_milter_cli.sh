#!/bin/sh
# test_milter_cli.sh — consent-milter's own command line: -V, -n with good
# and bad configurations, -t over messages, usage errors.
. "$(dirname "$0")/lib.sh"
MILTER=$(dirname "$CTL")/consent-milter
db=$T/consent.db
"$CTL" -d "$db" init >/dev/null
"$CTL" -d "$db" grant anna@example.de --purpose newsletter --evidence "DOI" >/dev/null
"$CTL" -d "$db" object bob@example.de >/dev/null
cat >"$T/good.conf" <<CONF
Socket inet:8891@127.0.0.1
Database $db
AuditDatabase $T/audit.db
TrustedHeaderFrom 127.0.0.1
CONF
printf 'Socket inet:8891@127.0.0.1\nMode rejct\n' >"$T/bad.conf"

run_prog() { timeout 60 "$@" >"$OUT" 2>"$ERR"; STATUS=$?; }

run_prog "$MILTER" -V
expect_status 0 "-V"
expect_out_has "consent-milter" "-V names the program"

run_prog "$MILTER" -c "$T/good.conf" -n
expect_status 0 "-n good config"
expect_out_has "configuration OK" "-n says OK"

run_prog "$MILTER" -c "$T/bad.conf" -n
expect_status 1 "-n bad config"
expect_err_has "bad.conf:2: Mode: 'rejct'" "-n names file:line and the key"

run_prog "$MILTER" -c "$T/missing.conf" -n
expect_status 1 "-n missing config"
expect_err_has "cannot read" "-n missing config says so"

run_prog "$MILTER" --no-such-option
expect_status 2 "unknown option is a usage error"

cat >"$T/news.eml" <<'MAIL'
From: Shop <news@example.de>
To: anna@example.de, bob@example.de, carl@example.de
Subject: Neu im Sortiment
X-Mail-Category: newsletter
X-Consent-Purpose: newsletter

Jetzt entdecken: Gutscheincode HERBST20.
MAIL
cat >"$T/order.eml" <<'MAIL'
From: Shop <service@example.de>
To: bob@example.de
Subject: Ihre Bestellbestaetigung 4711
X-Mail-Category: transactional

Vielen Dank fuer Ihre Bestellung. Bestellnummer 4711.
MAIL

run_prog "$MILTER" -c "$T/good.conf" -t "$T/news.eml"
expect_status 0 "-t newsletter"
expect_out_has "promotional" "-t: category"
expect_out_has "<anna@example.de>: allow (consent-granted)" "-t: consented recipient allowed"
expect_out_has "<bob@example.de>: deny (objected)" "-t: objected recipient denied"
expect_out_has "<carl@example.de>: deny (no-consent)" "-t: unknown recipient denied"
expect_out_has "message: accept for the allowed recipients, the others removed" "-t: split"

run_prog "$MILTER" -c "$T/good.conf" -t "$T/order.eml" "$T/news.eml" -r carl@example.de
expect_status 0 "-t two files with -r"
expect_out_has "order.eml: transactional" "-t: order is transactional"
expect_out_has "carl@example.de: deny" "-t -r: the given recipient is used"
expect_out_lacks "anna@example.de" "-t -r: the To header is not used"

run_prog "$MILTER" -c "$T/good.conf" -t "$T/no-such.eml"
expect_status 1 "-t unreadable file"

sed "s|$db|$T/gone.db|" "$T/good.conf" >"$T/gone.conf"
run_prog "$MILTER" -c "$T/gone.conf" -t "$T/news.eml" "$T/order.eml"
expect_status 1 "-t with no store: promotional mail would be tempfailed"
expect_out_has "tempfail 451 4.3.0" "-t: says tempfail"
expect_out_has "order.eml: transactional" "-t: transactional needs no store"

finish
