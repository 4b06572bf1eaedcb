#!/usr/bin/env python3
"""Writes a realistic consent CSV of N rows to stdout, for import benchmarks.

Rows mix grants (with double-opt-in evidence), withdrawals and objections
over distinct addresses, the way a CRM export looks. Deterministic: the same
N gives the same file.
"""
import csv
import random
import sys

def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = random.Random(42)
    domains = ["example.com", "example.de", "beispiel.de", "mail.example.org", "shop.example.net"]
    purposes = ["marketing", "newsletter", "price-alert", "partner"]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["address", "action", "purpose", "at", "source", "evidence"])
    for i in range(n):
        r = rng.random()
        action = "grant" if r < 0.85 else ("withdraw" if r < 0.97 else "object")
        purpose = "" if action == "object" else purposes[i % 4]
        day = 1 + i % 28
        month = 1 + (i // 28) % 12
        at = f"2024-{month:02d}-{day:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
        evidence = (f"DOI confirmed 2024-{month:02d}-{day:02d} from 192.0.2.{i % 250}, text v3"
                    if action == "grant" else "")
        out.writerow([f"Customer.{i}@{domains[i % len(domains)]}", action, purpose, at,
                      "https://shop.example.com/newsletter", evidence])

if __name__ == "__main__":
    main()
