#!/usr/bin/python3
"""pymilter_consent — the comparison milter for bench/milter-bench.sh.

Does what consent-milter's hot path does, in Python with Debian's
python3-milter (pymilter on libmilter), and nothing more: reads the category
header; for promotional mail (anything not labelled transactional or
after-sales) looks every recipient up in the same SQLite consent store,
through a read-only connection per libmilter thread (= per MTA connection)
with the same SELECT on the events table by address_key as consent-db/store.c,
folds the history the way consent-db/state.c does, and removes the recipients
without consent with smfi_delrcpt. It classifies no content.

It is written as a pymilter milter should be: steps it does not use are
negotiated away (@nocallback), and the steps it only records are sent
without a reply (@noreply). With --body it still receives the body (and
answers nothing), so that it gets the same traffic as consent-milter, which
reads the body to classify it; without --body the MTA does not send it.

Usage: pymilter_consent.py SOCKET DATABASE [--header NAME] [--body]
  SOCKET    inet:PORT@HOST or local:/path
  DATABASE  a consent store made with consentctl
Must run under Debian's /usr/bin/python3 (python3-milter).
"""
import argparse
import sqlite3
import sys
import threading

import Milter

LOOKUP = ("SELECT id, address, action, purpose, at, source, evidence, recorded_by, recorded_at"
          " FROM events WHERE address_key = ?1 ORDER BY id")
UMBRELLA = "marketing"
CONSENT_FREE = {"transactional", "after-sales"}

options = None
local = threading.local()


def store():
    """The calling thread's read-only connection, opened once."""
    db = getattr(local, "db", None)
    if db is None:
        db = sqlite3.connect("file:%s?mode=ro" % options.database, uri=True,
                             check_same_thread=False)
        db.execute("PRAGMA query_only = 1")
        local.db = db
    return db


def address_key(rcpt):
    """The store's key: no angle brackets, local part and domain folded."""
    a = rcpt.strip()
    if a.startswith("<") and a.endswith(">"):
        a = a[1:-1]
    return a.lower()


def granted(rcpt, purpose):
    """consent-db's state fold: an objection wins; otherwise the latest
    grant or withdrawal for the purpose (or the umbrella purpose) decides."""
    objected = False
    deciding = None  # (at, id, action)
    for (eid, _addr, action, epurpose, at, _src, _ev, _by, _rat) in store().execute(
            LOOKUP, (address_key(rcpt),)):
        if action == "object":
            objected = True
            continue
        if action == "unobject":
            objected = False
            continue
        relevant = (epurpose == purpose or epurpose == UMBRELLA or
                    (purpose == UMBRELLA and action == "withdraw"))
        if relevant and (deciding is None or (at, eid) > (deciding[0], deciding[1])):
            deciding = (at, eid, action)
    return not objected and deciding is not None and deciding[2] == "grant"


class ConsentMilter(Milter.Base):
    def __init__(self):
        self.rcpts = []
        self.category = None
        self.purpose = None

    @Milter.noreply
    def envfrom(self, mailfrom, *esmtp):
        self.rcpts = []
        self.category = None
        self.purpose = None
        return Milter.CONTINUE

    @Milter.noreply
    def envrcpt(self, to, *esmtp):
        self.rcpts.append(to)
        return Milter.CONTINUE

    @Milter.noreply
    def header(self, name, value):
        lname = name.lower()
        if lname == options.header_lower and self.category is None:
            self.category = value.strip().lower()
        elif lname == "x-consent-purpose" and self.purpose is None:
            self.purpose = value.strip().lower()
        return Milter.CONTINUE

    def eom(self):
        if self.category in CONSENT_FREE:
            return Milter.ACCEPT
        purpose = self.purpose or UMBRELLA
        try:
            denied = [r for r in self.rcpts if not granted(r, purpose)]
        except sqlite3.Error:
            local.db = None
            self.setreply("451", "4.3.0", "consent store unavailable, try again later")
            return Milter.TEMPFAIL
        if denied and len(denied) == len(self.rcpts):
            self.setreply("550", "5.7.1", "Promotional message refused: no consent on record")
            return Milter.REJECT
        for r in denied:
            self.delrcpt(r)
        return Milter.ACCEPT

    def close(self):
        return Milter.CONTINUE


class ConsentMilterWithBody(ConsentMilter):
    @Milter.noreply
    def eoh(self):
        return Milter.CONTINUE

    @Milter.noreply
    def body(self, chunk):
        return Milter.CONTINUE


def main():
    global options
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("socket")
    p.add_argument("database")
    p.add_argument("--header", default="X-Mail-Category")
    p.add_argument("--body", action="store_true",
                   help="receive the body too (as consent-milter does), without replying")
    options = p.parse_args()
    options.header_lower = options.header.lower()
    sqlite3.connect("file:%s?mode=ro" % options.database, uri=True).execute(
        "SELECT count(*) FROM events").fetchone()  # fail now, not at the first message
    Milter.factory = ConsentMilterWithBody if options.body else ConsentMilter
    Milter.set_flags(Milter.DELRCPT)
    sys.stdout.flush()
    Milter.runmilter("pymilter-consent", options.socket, 240)


if __name__ == "__main__":
    main()
