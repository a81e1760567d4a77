#!/usr/bin/env bash
# Regenerates the golden tests' expected files from the current sensor, and
# prints what changed, so a reviewer sees every difference before checking in:
#
#   scripts/golden-update.sh                 every case in tests/golden/cases.tsv
#   scripts/golden-update.sh NAME...         only these cases
#   scripts/golden-update.sh --tshark        also rewrite tests/golden/tshark-differences.tsv
#                                            from a full tshark cross-check (reasons kept;
#                                            new rows get "TODO: review", which the test refuses)
#   scripts/golden-update.sh --tshark-set [QUOTA [MAXBYTES]]
#                                            rebuild tests/golden/tshark-captures.tsv, the
#                                            cross-check's broad set: per source folder of
#                                            INDEX.tsv, QUOTA (default 40) captures of at most
#                                            MAXBYTES (default 262144) whose tshark protocol
#                                            hierarchy has dns, mdns, llmnr, tls or http, taken
#                                            in sha256 order (a fixed sample); ~10 minutes
#
# Options: -b DIR  the folder holding otasuke-sensor (default: build/bin, or $OT_BIN)
#          -d DIR  the shared data folder (default: ../shared/data, or $OT_DATA)
#
# Expected output is OUR reviewed output, not another tool's: read the diff
# this prints; where the new output is wrong, fix the sensor (or list the case
# in tests/golden/KNOWN-ISSUES.md) instead of checking it in.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
G=$SRC/tests/golden
BIN=${OT_BIN:-$SRC/build/bin}
DATA=${OT_DATA:-$SRC/../shared/data}
mode=expected
setmax=40
setbytes=262144
names=()
while [ $# -gt 0 ]; do
    case "$1" in
        -b) BIN=$2; shift 2 ;;
        -d) DATA=$2; shift 2 ;;
        --tshark) mode=tshark; shift ;;
        --tshark-set) mode=tshark-set; shift
            if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then setmax=$1; shift; fi
            if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then setbytes=$1; shift; fi ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        -*) echo "golden-update.sh: unknown option $1" >&2; exit 2 ;;
        *) names+=("$1"); shift ;;
    esac
done
[ -d "$DATA/pcaps" ] || { echo "golden-update.sh: $DATA/pcaps not found (give -d DIR)" >&2; exit 1; }
[ -x "$BIN/otasuke-sensor" ] || { echo "golden-update.sh: $BIN/otasuke-sensor not built (give -b DIR)" >&2; exit 1; }

if [ $mode = tshark ]; then
    # The cross-check itself, told to write what it found (keeping reasons).
    OT_BIN=$BIN OT_SRC=$SRC OT_DATA=$DATA OT_TSHARK_WRITE=$G/tshark-differences.tsv \
        bash "$G/test_tshark.sh"
    echo "golden-update.sh: rewrote tests/golden/tshark-differences.tsv; give every 'TODO: review' row its reason (or fix the sensor)"
    git -C "$SRC" diff --stat -- tests/golden/tshark-differences.tsv 2>/dev/null
    exit 0
fi

if [ $mode = tshark-set ]; then
    command -v tshark >/dev/null || { echo "golden-update.sh: tshark not installed" >&2; exit 1; }
    # The rule: per source folder of INDEX.tsv, walking its captures of at most
    # MAXBYTES in sha256 order (a fixed pseudo-random sample across sizes and
    # protocols), take those whose tshark protocol hierarchy (tshark -qz
    # io,phs) has dns, mdns, llmnr, tls or http, until QUOTA are taken;
    # suricata-verify's ~500 http-evader variants of one request count as a
    # family of their own with a fifth of the quota; a folder is given up
    # after 1000 captures in a row without those protocols.  Exact duplicates
    # (same sha256) and the golden cases' captures are left out.
    python3 - "$DATA/pcaps" "$G/cases.tsv" "$setmax" "$G/tshark-captures.tsv" "$setbytes" <<'PY'
import csv, subprocess, sys
pcaps, cases_path, quota, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
maxbytes = int(sys.argv[5])
rows = list(csv.DictReader(open(pcaps + "/INDEX.tsv"), delimiter="\t"))
by_path = {r["source_dir"] + "/" + r["path"]: r for r in rows}
cases = [l.split("\t")[0] for l in open(cases_path) if l.strip() and not l.startswith("#")]
seen = {by_path[c]["sha256"] for c in cases if c in by_path}
def family(r):
    if r["source_dir"] == "OISF__suricata-verify" and r["path"].startswith("tests/http-evader/"):
        return r["source_dir"] + "/http-evader"
    return r["source_dir"]
def wanted(path):
    p = subprocess.run(["tshark", "-n", "-r", path, "-qz", "io,phs"], capture_output=True, text=True)
    names = {l.split()[0] for l in p.stdout.splitlines() if l.startswith(" ") and l.split()}
    return sorted(names & {"dns", "mdns", "llmnr", "tls", "http"})
taken, misses, picked = {}, {}, []
for r in sorted(rows, key=lambda r: (r["sha256"], r["source_dir"], r["path"])):
    fam = family(r)
    q = max(1, quota // 5) if fam.endswith("/http-evader") else quota
    cap = r["source_dir"] + "/" + r["path"]
    if taken.get(fam, 0) >= q or misses.get(fam, 0) >= 1000 or int(r["bytes"] or 0) > maxbytes:
        continue
    # .gz: the sensor reads captures as libpcap does (no gzip); it is a known gap, not a cross-check.
    if r["sha256"] in seen or r["note"].startswith("unreadable") or r["path"].endswith(".gz"):
        continue
    protos = wanted(pcaps + "/" + cap)
    misses[fam] = 0 if protos else misses.get(fam, 0) + 1
    if protos:
        seen.add(r["sha256"])
        taken[fam] = taken.get(fam, 0) + 1
        picked.append((cap, r["bytes"], ",".join(protos)))
with open(out, "w") as f:
    f.write("# The broad set of the tshark cross-check (besides cases.tsv), made by\n"
            f"# scripts/golden-update.sh --tshark-set {quota} {maxbytes}: per source folder of INDEX.tsv,\n"
            f"# in sha256 order, captures of at most {maxbytes} bytes whose tshark protocol hierarchy has\n"
            f"# dns, mdns, llmnr, tls or http ({quota} per folder; suricata-verify's http-evader\n"
            f"# variants {max(1, quota // 5)}), no duplicates, none of cases.tsv.\n"
            "# capture\tbytes\tprotocols\n")
    for cap, b, p in sorted(picked):
        f.write(f"{cap}\t{b}\t{p}\n")
print(f"golden-update.sh: {len(picked)} captures in tests/golden/tshark-captures.tsv")
PY
    exit $?
fi

command -v python3 >/dev/null || { echo "golden-update.sh: python3 is needed" >&2; exit 1; }
mkdir -p "$G/expected"
work=$(mktemp -d /tmp/ot-golden-update-XXXXXX)
trap 'rm -rf "$work"' EXIT
new=0 changed=0 same=0 failed=0 removed=0
while IFS=$'\t' read -r cap name covers; do
    case "$cap" in ''|'#'*) continue ;; esac
    if [ ${#names[@]} -gt 0 ] && ! printf '%s\n' "${names[@]}" | grep -qxF "$name"; then
        continue
    fi
    exp=$G/expected/$name.json
    rm -f "$work/out.json"
    if ! "$BIN/otasuke-sensor" -q -s detect=no -s asset.enabled=no -r "$DATA/pcaps/$cap" -o "$work/out.json" 2>"$work/err"; then
        echo "FAILED  $name: the sensor failed: $(head -c 300 "$work/err")"
        failed=$((failed + 1)); continue
    fi
    python3 "$G/normalize.py" "$work/out.json" -o "$work/got.json" || { failed=$((failed + 1)); continue; }
    if [ ! -f "$exp" ]; then
        echo "new     $name ($(wc -l <"$work/got.json") events)"
        new=$((new + 1))
    elif cmp -s "$exp" "$work/got.json"; then
        same=$((same + 1)); continue
    else
        n=$(diff "$exp" "$work/got.json" | grep -c '^[<>]')
        echo "changed $name ($n lines)"
        diff -u "$exp" "$work/got.json" | sed -n '3,60p' | cut -c1-400 | sed 's/^/        /'
        changed=$((changed + 1))
    fi
    cp "$work/got.json" "$exp"
done <"$G/cases.tsv"

if [ ${#names[@]} -eq 0 ]; then
    for f in "$G"/expected/*.json; do
        [ -e "$f" ] || continue
        n=$(basename "$f" .json)
        if ! cut -f2 "$G/cases.tsv" | grep -qxF "$n"; then
            echo "removed $n (no longer in cases.tsv)"
            rm -f "$f"; removed=$((removed + 1))
        fi
    done
fi
echo "golden-update.sh: $new new, $changed changed, $same unchanged, $removed removed, $failed failed"
echo "Review the changes (git diff tests/golden/expected) before checking them in."
[ $failed -eq 0 ]
