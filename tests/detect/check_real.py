#!/usr/bin/env python3
"""Detections on real public captures (../shared/data/pcaps).

Three checks, each against ground truth that others published:

  positives  every capture in POSITIVES.tsv and in tests/detect/real-*.tsv
             raises an alert of (one of) its expected categories;
  benign     no capture in BENIGN.tsv raises a severity 1 or 2 alert;
  maltrail   Maltrail's sensor corpus, with its trails.csv loaded as our
             indicators: each expected trail raises an ioc alert naming
             it, each expected heuristic raises its family, and the cases
             that expect nothing raise no severity 1-2 alert.

Where our result differs from the ground truth for a known reason, the
difference is listed in tests/detect/real-differences.tsv (capture, what,
reason); a listed difference that no longer happens is reported as stale,
an unlisted one fails the test.

usage: check_real.py SENSOR DATA_DIR SRC_DIR
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

SENSOR, DATA, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
PCAPS = os.path.join(DATA, "pcaps")
HERE = os.path.join(SRC, "tests", "detect")
MALTRAIL = os.path.join(PCAPS, "stamparm__maltrail", "sensor", "tests", "corpus")

# Maltrail's expectation strings that name a heuristic, mapped to our family.
# Anything not here is a trail value: an ioc alert must carry it as its indicator.
MALTRAIL_HEURISTICS = {
    "potential port scanning": "scan",
    "potential udp scanning": "scan",
    "potential infection": "scan",
    "excessive no such domain": "dga",
    "no such domain (suspicious)": "dga",
}
# Strings in Maltrail's expectations that only label a case (category text), not a value.
MALTRAIL_LABELS = {"malware (test)", "ICMP", "sinkholed by testsink", "parked site"}


def shown_as(evidence, exp):
    """Does Maltrail's expectation `exp` name our ioc alert (its `evidence`)?

    Maltrail shows a URL trail by parts: a path trail ("/malicious-login.php")
    without its leading slash, a host+path trail ("evil-url.example/bad/path")
    by its host.  A name that matched a trail only in part shows the rest in
    parentheses: "(www).evil-parent.com" is www.evil-parent.com seen, matched
    by the trail evil-parent.com.  Anything else must be equal.
    """
    indicator = evidence.get("indicator")
    if not indicator:
        return False
    if exp == indicator:
        return True
    if "(" in exp:
        trail = re.sub(r"\([^)]*\)\.?|\.?\([^)]*\)", "", exp)
        seen = exp.replace("(", "").replace(")", "")
        return indicator == trail and evidence.get("seen") == seen
    if "/" in indicator:
        return exp in (indicator.lstrip("/"), indicator.split("/")[0])
    return False


def read_tsv(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as fp:
        for line in fp:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            rows.append(line.split("\t"))
    return rows


def run(pcap, extra=()):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = tmp.name
    try:
        proc = subprocess.run([SENSOR, "-q", "-r", pcap, "-o", out, *extra],
                              capture_output=True, text=True)
        alerts = []
        with open(out, encoding="utf-8") as fp:
            for line in fp:
                ev = json.loads(line)
                if ev.get("event_type") == "alert":
                    alerts.append(ev)
        return proc.returncode, alerts, proc.stderr
    finally:
        os.unlink(out)


differences = {}
for row in read_tsv(os.path.join(HERE, "real-differences.tsv")):
    if len(row) < 3:
        print(f"FAIL real-differences.tsv: row {row!r} needs capture, what, reason")
        sys.exit(1)
    differences[(row[0], row[1])] = row[2]
used = set()
failures = []
listed = []


def differ(cap, what, message):
    key = (cap, what)
    if key in differences:
        used.add(key)
        listed.append(f"{cap}: {message} (listed: {differences[key]})")
    else:
        failures.append(f"{cap}: {message}")


def summary(alerts):
    return sorted({(a["alert"]["category"], a["alert"]["signature_id"], a["alert"]["severity"])
                   for a in alerts})


# ---- positives ----
positives = [(r[0], r[1]) for r in read_tsv(os.path.join(PCAPS, "POSITIVES.tsv"))]
for name in sorted(os.listdir(HERE)):
    if name.startswith("real-") and name.endswith(".tsv") and name != "real-differences.tsv":
        positives += [(r[0], r[1]) for r in read_tsv(os.path.join(HERE, name))]
pos_ok = 0
for cap, expected in positives:
    path = os.path.join(PCAPS, cap)
    if not os.path.exists(path):
        failures.append(f"{cap}: capture missing")
        continue
    rc, alerts, err = run(path)
    cats = {a["alert"]["category"] for a in alerts}
    want = {c.strip() for c in expected.split(",")}
    if cats & want:
        pos_ok += 1
    else:
        differ(cap, expected, f"expected {expected}, got {summary(alerts) or 'no alert'}")

# ---- benign ----
benign = [r[0] for r in read_tsv(os.path.join(PCAPS, "BENIGN.tsv"))]
ben_clean = 0
for cap in benign:
    path = os.path.join(PCAPS, cap)
    if not os.path.exists(path):
        failures.append(f"{cap}: capture missing")
        continue
    rc, alerts, err = run(path)
    high = [a for a in alerts if a["alert"]["severity"] <= 2]
    if not high:
        ben_clean += 1
        continue
    for sig in sorted({a["alert"]["signature_id"] for a in high}):
        ex = next(a for a in high if a["alert"]["signature_id"] == sig)
        differ(cap, str(sig), f"benign capture raised severity {ex['alert']['severity']} "
                              f"{sig} {ex['alert']['signature']!r} "
                              f"({ex.get('src_ip')} -> {ex.get('dest_ip')})")

# ---- maltrail ----
mt_ok = mt_total = 0
if os.path.isdir(MALTRAIL):
    with tempfile.TemporaryDirectory() as tmp:
        # trails.csv is value,category,source without a header: give it ours.
        feed = os.path.join(tmp, "maltrail-trails.csv")
        with open(os.path.join(MALTRAIL, "trails.csv")) as src, open(feed, "w") as dst:
            dst.write("value,category,source\n")
            for row in csv.reader(src):
                if row:
                    csv.writer(dst).writerow(row[:3])
        manifest = json.load(open(os.path.join(MALTRAIL, "manifest.json")))
        for case in manifest:
            cap = f"stamparm__maltrail/sensor/tests/corpus/{case['pcap']}"
            rc, alerts, err = run(os.path.join(MALTRAIL, case["pcap"]), ["--indicators", feed])
            evidence = [a["alert"].get("evidence", {}) for a in alerts
                        if a["alert"]["category"] == "ioc"]
            cats = {a["alert"]["category"] for a in alerts}
            if not case["expect"]:
                mt_total += 1
                high = [a for a in alerts if a["alert"]["severity"] <= 2]
                if high:
                    differ(cap, "quiet", f"expected no alert, got {summary(high)}")
                else:
                    mt_ok += 1
                continue
            for exp in case["expect"]:
                if exp in MALTRAIL_LABELS:
                    continue
                mt_total += 1
                fam = MALTRAIL_HEURISTICS.get(exp)
                if fam:
                    good = fam in cats
                else:
                    good = any(shown_as(ev, exp) for ev in evidence)
                if good:
                    mt_ok += 1
                else:
                    differ(cap, exp, f"expected {fam or 'ioc ' + exp}, got {summary(alerts) or 'no alert'}")
else:
    print(f"note: {MALTRAIL} absent: Maltrail cases skipped")

for key, reason in sorted(differences.items()):
    if key not in used:
        failures.append(f"stale listed difference {key[0]} / {key[1]}: no longer happens ({reason})")

print(f"positives: {pos_ok}/{len(positives)} raised their family")
print(f"benign: {ben_clean}/{len(benign)} raised no severity 1-2 alert")
print(f"maltrail: {mt_ok}/{mt_total} expectations met")
for line in listed:
    print(f"listed  {line}")
for line in failures:
    print(f"FAIL    {line}")
print(f"{len(failures)} unlisted differences, {len(listed)} listed")
sys.exit(1 if failures else 0)
