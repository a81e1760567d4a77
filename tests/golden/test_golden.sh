#!/usr/bin/env bash
# Golden tests: every capture in tests/golden/cases.tsv (public captures from
# ../shared/data/pcaps) goes through the sensor; its events, normalised by
# normalize.py, must equal tests/golden/expected/<name>.json line for line.
# A difference prints the first lines of the diff.  scripts/golden-update.sh
# rewrites the expected files after a reviewed change.
#
# Skips (exit 77) when ../shared/data is absent.  With OT_SANITIZED=1 (the
# ASan/UBSan build) every case still runs: the captures are small.
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
SRC=${OT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${OT_DATA:-$SRC/../shared/data}
G=$SRC/tests/golden
skip() { echo "SKIP: $*"; exit 77; }

[ -d "$DATA/pcaps" ] || skip "the public captures are absent ($DATA/pcaps not found): the golden tests need ../shared/data"
command -v python3 >/dev/null || skip "python3 is not installed (scripts/setup.sh installs it)"
[ -x "$BIN/otasuke-sensor" ] || { echo "FAIL: $BIN/otasuke-sensor not built"; exit 1; }

work=$(mktemp -d /tmp/ot-golden-XXXXXX)
trap 'rm -rf "$work"' EXIT

pass=0 fail=0 missing=0
t0=$(date +%s)
while IFS=$'\t' read -r cap name covers; do
    case "$cap" in ''|'#'*) continue ;; esac
    pcap=$DATA/pcaps/$cap
    exp=$G/expected/$name.json
    if [ ! -f "$pcap" ]; then
        echo "FAIL $name: capture $cap not found under $DATA/pcaps"
        fail=$((fail + 1)); missing=$((missing + 1)); continue
    fi
    if [ ! -f "$exp" ]; then
        echo "FAIL $name: no expected file (run scripts/golden-update.sh, review, check in)"
        fail=$((fail + 1)); continue
    fi
    rm -f "$work/out.json"   # -o appends, as an EVE log should
    "$BIN/otasuke-sensor" -q -s detect=no -s asset.enabled=no -r "$pcap" -o "$work/out.json" 2>"$work/err"
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL $name: the sensor exited with status $rc: $(head -c 300 "$work/err")"
        fail=$((fail + 1)); continue
    fi
    if ! python3 "$G/normalize.py" "$work/out.json" -o "$work/got.json" 2>"$work/nerr"; then
        echo "FAIL $name: $(cat "$work/nerr")"
        fail=$((fail + 1)); continue
    fi
    if cmp -s "$exp" "$work/got.json"; then
        echo "ok   $name ($(wc -l <"$exp") events)"
        pass=$((pass + 1))
    else
        n=$(diff "$exp" "$work/got.json" | grep -c '^[<>]')
        echo "FAIL $name: $n lines differ from expected/$name.json ($cap)"
        diff -u "$exp" "$work/got.json" | sed -n '3,40p' | cut -c1-400 | sed 's/^/     /'
        fail=$((fail + 1))
    fi
done <"$G/cases.tsv"

# Every expected file belongs to a case (a removed case leaves no stale file).
for f in "$G"/expected/*.json; do
    [ -e "$f" ] || continue
    n=$(basename "$f" .json)
    if ! cut -f2 "$G/cases.tsv" | grep -qxF "$n"; then
        echo "FAIL expected/$n.json has no case in cases.tsv"
        fail=$((fail + 1))
    fi
done

echo "$(( pass + fail )) cases in $(( $(date +%s) - t0 )) s"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
