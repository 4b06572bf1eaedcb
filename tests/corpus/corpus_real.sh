#!/bin/sh
# corpus_real.sh — the classifier on real mail: every message under
# ../shared/corpus-real/mail (read where it lies, never copied into the
# project) through `consentctl classify --json --untrusted-header`, compared
# with the strict labels of its expected.tsv. Prints the confusion matrix
# and the result by language; fails if any promotional mail is classified
# as allowed or more than one in twenty is wrong. Exits 77 (skipped) when
# the corpus is not beside the project.
#
# usage: sh corpus_real.sh CONSENTCTL PROJECT_DIR
set -u
ctl=$1
project=$2
real=${SHARED_DIR:-$project/../shared}/corpus-real
if [ ! -f "$real/expected.tsv" ]; then
    echo "corpus_real: no corpus at $real (set SHARED_DIR); not run"
    exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$ctl" classify --json --untrusted-header "$real"/mail/*.eml >"$out" || {
    echo "corpus_real: consentctl classify failed"
    exit 1
}
python3 - "$real/expected.tsv" "$out" <<'PY'
import json, os, sys
cats = ["transactional", "after-sales", "promotional"]
exp = {}
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    f = line.rstrip("\n").split("\t")
    exp[f[0]] = (f[1], f[2])
got = {}
for line in open(sys.argv[2], encoding="utf-8"):
    o = json.loads(line)
    got[os.path.basename(o["file"])[:-4]] = o
matrix = {e: {g: 0 for g in cats} for e in cats}
langs, wrong = {}, []
for name, (cat, lang) in sorted(exp.items()):
    o = got.get(name)
    if o is None:
        wrong.append(f"  {name}: not classified")
        continue
    matrix[cat][o["category"]] += 1
    ok = o["category"] == cat
    n = langs.setdefault(lang, [0, 0])
    n[0] += ok
    n[1] += 1
    if not ok:
        wrong.append(f"  {name}: expected {cat}, got {o['category']}: " + "; ".join(o["evidence"][:3]))
print("\ncorpus-real, content only (rows: expected, columns: classified)")
print("  %-15s %14s %14s %14s" % ("", *cats))
for e in cats:
    print("  %-15s" % e + "".join(" %14d" % matrix[e][g] for g in cats))
right = sum(matrix[c][c] for c in cats)
print(f"  exact: {right} of {len(exp)}")
print("  by language: " + " ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(langs.items())))
if wrong:
    print("classified otherwise than labelled:\n" + "\n".join(wrong))
leaks = matrix["promotional"]["transactional"] + matrix["promotional"]["after-sales"]
failed = leaks > 0 or right * 20 < len(exp) * 19 or len(got) != len(exp)
print(f"corpus_real: {0 if failed else 1} passed, {1 if failed else 0} failed")
sys.exit(1 if failed else 0)
PY
