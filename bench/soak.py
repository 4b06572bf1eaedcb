#!/usr/bin/python3
"""soak.py — the client and the bookkeeper of bench/soak.sh.

  soak.py send PORT SECONDS THREADS LOG [SEED]
      SMTP client threads on persistent connections to 127.0.0.1:PORT, each
      sending mixed traffic until SECONDS have passed; one JSON line per
      message in LOG: id, kind, recipients, the reply to the end of data.
  soak.py churn CTL DB SECONDS LOG
      `consentctl import` of the churn addresses (c0..c999@soak.example),
      alternately granted and withdrawn, once a second, while the traffic
      runs; one line per import in LOG.
  soak.py account LOG CAPTURE_DIR AUDIT_DB [QUEUED_IDS_FILE]
      Accounts for every message sent: prints the tally and every message
      that is not accounted for; exits 1 if any is not.

Recipient pools (the store is made by soak.sh):
  g0..g999   granted (marketing), never changed
  n0..n999   no record
  o0..o99    objected
  c0..c999   changed by the churn while the traffic runs
Message kinds: labelled promotional, unlabelled promotional (content
decides), transactional, after-sales, and a newsletter labelled
transactional (content must overrule the header).
"""
import json
import random
import smtplib
import sqlite3
import subprocess
import sys
import threading
import time
import os

DOMAIN = "soak.example"

BODIES = {
    "promo": ("promotional", "Neu im Sortiment: 20% Rabatt nur heute",
              "Liebe Kundin,\n\nentdecken Sie unsere neue Herbstkollektion und sparen Sie\n"
              "20% mit dem Gutscheincode HERBST20. Jetzt shoppen!\n\n"
              "Newsletter abmelden: https://shop.example.de/abmelden\n"),
    "promo-unlabelled": (None, "Nur heute: Sale mit Gutschein",
                         "Hallo,\n\nunser grosser Sale: 30% Rabatt auf alles, Gutscheincode SALE30.\n"
                         "Das koennte Ihnen auch gefallen: Wollpullover 49,99 EUR.\n\n"
                         "Abmelden: https://shop.example.de/abmelden?utm_campaign=sale\n"),
    "transactional": ("transactional", "Ihre Bestellbestaetigung 100234",
                      "Guten Tag,\n\nvielen Dank fuer Ihre Bestellung. Bestellnummer: 100234.\n"
                      "Die Rechnung finden Sie im Anhang. Sie erhalten eine\n"
                      "Versandbestaetigung mit Sendungsnummer, sobald das Paket unterwegs ist.\n"),
    "after-sales": ("after-sales", "Sicherheitshinweis: Firmware-Update fuer Ihren Router",
                    "Guten Tag,\n\nfuer das von Ihnen gekaufte Geraet steht ein Firmware-Update\n"
                    "bereit, das eine Sicherheitsluecke schliesst. Die Bedienungsanleitung\n"
                    "beschreibt die Installation.\n"),
    "mislabelled": ("transactional", "Unser Newsletter im Dezember",
                    "Liebe Kundin,\n\nim Dezember: 25% Rabatt auf Winterjacken mit Gutscheincode\n"
                    "WINTER25. Jetzt entdecken! Freunde werben und Praemie sichern.\n\n"
                    "Newsletter abmelden: https://shop.example.de/abmelden\n"),
}
KIND_WEIGHTS = [("promo", 45), ("promo-unlabelled", 10), ("transactional", 30),
                ("after-sales", 5), ("mislabelled", 10)]
PROMOTIONAL = {"promo", "promo-unlabelled", "mislabelled"}


def pool_address(rng):
    r = rng.random()
    if r < 0.40:
        return "g%d@%s" % (rng.randrange(1000), DOMAIN)
    if r < 0.65:
        return "n%d@%s" % (rng.randrange(1000), DOMAIN)
    if r < 0.75:
        return "o%d@%s" % (rng.randrange(100), DOMAIN)
    return "c%d@%s" % (rng.randrange(1000), DOMAIN)


def make_message(ident, kind, rcpts):
    label, subject, body = BODIES[kind]
    lines = ["From: Beispiel-Shop <shop@shop.example.de>",
             "To: " + ", ".join(rcpts),
             "Subject: " + subject,
             "Date: " + time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
             "Message-ID: <soak-%d@shop.example.de>" % ident,
             "X-Soak-Id: %d" % ident,
             "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8"]
    if label:
        lines.append("X-Mail-Category: " + label)
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def send(port, seconds, threads, log, seed):
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    counter = [0]
    out = open(log, "w")
    kinds = [k for k, w in KIND_WEIGHTS for _ in range(w)]

    def worker(n):
        rng = random.Random(seed * 1000 + n)
        conn = None
        while time.monotonic() < deadline:
            with lock:
                counter[0] += 1
                ident = counter[0]
            kind = rng.choice(kinds)
            rcpts = sorted({pool_address(rng) for _ in range(rng.randint(1, 3))})
            code, text = None, ""
            try:
                if conn is None:
                    conn = smtplib.SMTP("127.0.0.1", port, timeout=60)
                    conn.ehlo("soak.example.net")
                code, text = conn.mail("shop@shop.example.de")
                if code == 250:
                    for r in rcpts:
                        code, text = conn.rcpt(r)
                        if code != 250:
                            break
                if code == 250:
                    code, text = conn.data(make_message(ident, kind, rcpts))
                else:
                    conn.rset()
            except (smtplib.SMTPException, OSError) as e:
                text = "%s: %s" % (type(e).__name__, e)
                try:
                    if conn is not None:
                        conn.close()
                except OSError:
                    pass
                conn = None
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            rec = {"id": ident, "kind": kind, "rcpts": rcpts, "code": code, "text": text}
            with lock:
                out.write(json.dumps(rec) + "\n")
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                pass

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.close()
    print(counter[0])


def churn(ctl, db, seconds, log):
    deadline = time.monotonic() + seconds
    n = 0
    csv = db + ".churn.csv"
    with open(log, "w") as out:
        while time.monotonic() < deadline:
            action = "grant" if n % 2 == 0 else "withdraw"
            with open(csv, "w") as f:
                f.write("address,action,evidence\n")
                for i in range(1000):
                    f.write("c%d@%s,%s,soak churn %d\n" % (i, DOMAIN, action, n))
            t0 = time.monotonic()
            p = subprocess.run([ctl, "-d", db, "import", csv], capture_output=True, text=True)
            out.write("%d %s rc=%d %.3fs %s\n" % (n, action, p.returncode,
                                                   time.monotonic() - t0,
                                                   (p.stdout + p.stderr).strip()))
            out.flush()
            if p.returncode != 0:
                print("churn: import %d failed: %s" % (n, p.stderr.strip()), file=sys.stderr)
                sys.exit(1)
            n += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    print(n)


def captured(capture_dir):
    """{soak id: [envelope recipients]} of every message at the sink."""
    got = {}
    for name in os.listdir(capture_dir):
        rcpts, ident = [], None
        with open(os.path.join(capture_dir, name), "rb") as f:
            for raw in f:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line == "":
                    break
                if line.startswith("X-Rcpt-Args: <"):
                    rcpts.append(line[len("X-Rcpt-Args: <"):].split(">")[0].lower())
                elif line.startswith("X-Soak-Id: "):
                    ident = int(line.split(":", 1)[1])
        if ident is not None:
            got.setdefault(ident, []).extend(rcpts)
    return got


def account(log, capture_dir, audit_db, queued_file=None):
    sent = [json.loads(line) for line in open(log)]
    delivered = captured(capture_dir)
    audit = {}
    db = sqlite3.connect("file:%s?mode=ro" % audit_db, uri=True)
    for mid, rcpt, action in db.execute("SELECT message_id, recipient, action FROM audit"):
        if mid.startswith("<soak-"):
            ident = int(mid[len("<soak-"):].split("@")[0])
            audit.setdefault(ident, {}).setdefault(rcpt.strip("<>").lower(), []).append(action)
    queued = set()
    if queued_file:
        queued = {int(x) for x in open(queued_file).read().split()}

    tally = {"accepted": 0, "rejected": 0, "tempfailed": 0, "unanswered": 0,
             "rcpt delivered": 0, "rcpt held back (audited)": 0, "still queued": 0}
    problems = []
    sent_ids = set()
    for m in sent:
        ident, kind, rcpts, code = m["id"], m["kind"], m["rcpts"], m["code"]
        sent_ids.add(ident)
        got = delivered.get(ident, [])
        aud = audit.get(ident, {})
        promo = kind in PROMOTIONAL
        for r in set(got):
            if got.count(r) > 1:
                problems.append("%d: %s delivered %d times" % (ident, r, got.count(r)))
        if code is not None and 200 <= code < 300:
            tally["accepted"] += 1
            if ident in queued and not got:
                tally["still queued"] += 1
                continue
            for r in rcpts:
                d, a = r in got, r in aud
                if d and a:
                    problems.append("%d: %s both delivered and audited %s" % (ident, r, aud[r]))
                elif not d and not a:
                    problems.append("%d (%s): %s neither delivered nor audited: lost"
                                    % (ident, kind, r))
                elif d:
                    tally["rcpt delivered"] += 1
                    if promo and r[0] in "no":
                        problems.append("%d (%s): delivered to %s, who has no consent"
                                        % (ident, kind, r))
                else:
                    tally["rcpt held back (audited)"] += 1
                    if aud[r] != ["deleted-recipient"]:
                        problems.append("%d: %s audited %s in an accepted message"
                                        % (ident, r, aud[r]))
                    if not promo or r[0] == "g":
                        problems.append("%d (%s): %s held back, but may receive it"
                                        % (ident, kind, r))
        else:
            if got:
                problems.append("%d: not accepted (%s %s) but delivered to %s"
                                % (ident, code, m["text"][:60], got))
            if code is not None and 500 <= code < 600:
                tally["rejected"] += 1
                for r in rcpts:
                    if aud.get(r) != ["rejected"]:
                        problems.append("%d: rejected, but %s audited %s"
                                        % (ident, r, aud.get(r)))
                    if not promo or r[0] == "g":
                        problems.append("%d (%s): rejected, but %s may receive it"
                                        % (ident, kind, r))
                tally["rcpt held back (audited)"] += len(rcpts)
            elif code is not None and 400 <= code < 500:
                tally["tempfailed"] += 1
            else:
                tally["unanswered"] += 1
    for ident in delivered:
        if ident not in sent_ids:
            problems.append("%d: at the sink, but never sent" % ident)

    kinds = {}
    for m in sent:
        kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
    print("sent %d messages (%s)" % (len(sent), ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
    print(", ".join("%s %d" % kv for kv in tally.items()))
    for p in problems[:50]:
        print("NOT ACCOUNTED FOR: " + p)
    if len(problems) > 50:
        print("... and %d more" % (len(problems) - 50))
    print("unaccounted: %d" % len(problems))
    return 1 if problems else 0


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "send" and len(args) in (4, 5):
        send(int(args[0]), float(args[1]), int(args[2]), args[3],
             int(args[4]) if len(args) == 5 else 1)
        return 0
    if cmd == "churn" and len(args) == 4:
        churn(args[0], args[1], float(args[2]), args[3])
        return 0
    if cmd == "account" and len(args) in (3, 4):
        return account(*args)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
