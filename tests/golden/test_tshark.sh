#!/usr/bin/env bash
# Cross-check against tshark: for every capture in cases.tsv and in
# tshark-captures.tsv (a fixed sample of INDEX.tsv: per source folder, 40
# captures of at most 256 KiB whose tshark protocol hierarchy has dns, tls
# or http - made by scripts/golden-update.sh --tshark-set), the multisets of DNS query names,
# TLS SNI values, JA3 hashes and HTTP (host, url) pairs from our events must
# equal tshark's, except for the differences listed with their reasons in
# tshark-differences.tsv; a listed difference that no longer occurs fails too.
# What is compared, and what is made comparable: tshark_compare.py.
#
# One sensor run and one tshark run per capture, OT_JOBS (default 2) at a
# time.  With OT_SANITIZED=1 only the golden cases are run (the ASan build is
# slower; the broad set runs in the normal build).
# Skips (exit 77) when ../shared/data, tshark or python3 is absent.
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
SRC=${OT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${OT_DATA:-$SRC/../shared/data}
G=$SRC/tests/golden
JOBS=${OT_JOBS:-2}
skip() { echo "SKIP: $*"; exit 77; }
[ -d "$DATA/pcaps" ] || skip "the public captures are absent ($DATA/pcaps not found): the tshark cross-check needs ../shared/data"
command -v tshark >/dev/null || skip "tshark is not installed (Debian package tshark; scripts/setup.sh installs it)"
command -v python3 >/dev/null || skip "python3 is not installed"
[ -x "$BIN/otasuke-sensor" ] || { echo "FAIL: $BIN/otasuke-sensor not built"; exit 1; }
# tshark-differences.tsv was reviewed against Debian 12's tshark 4.0; another
# version dissects differently (new heuristics, JA4, field changes).
tver=$(tshark -v 2>/dev/null | sed -n '1s/^TShark (Wireshark) \([0-9]*\.[0-9]*\).*/\1/p')
if [ "$tver" != 4.0 ] && [ "${OT_TSHARK_ANY:-0}" != 1 ]; then
    skip "tshark $tver is not 4.0 (Debian 12), which tshark-differences.tsv was reviewed against (OT_TSHARK_ANY=1 runs it anyway)"
fi

work=$(mktemp -d /tmp/ot-tshark-XXXXXX)
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)
echo "tshark $(tshark -v 2>/dev/null | sed -n '1s/^TShark (Wireshark) //p')"

# The list: golden cases first, then the broad set; each capture once.
{
    grep -v '^#' "$G/cases.tsv" | cut -f1
    if [ "${OT_SANITIZED:-0}" != 1 ] && [ -f "$G/tshark-captures.tsv" ]; then
        grep -v '^#' "$G/tshark-captures.tsv" | cut -f1
    fi
} | awk 'NF && !seen[$0]++' >"$work/caps"
missing=0
n=0
: >"$work/list"
while read -r cap; do
    if [ -f "$DATA/pcaps/$cap" ]; then
        n=$((n + 1))
        printf '%d\t%s\n' "$n" "$cap" >>"$work/list"
    else
        echo "note: $cap not found under $DATA/pcaps (left out)"
        missing=$((missing + 1))
    fi
done <"$work/caps"
[ "${OT_SANITIZED:-0}" = 1 ] && echo "note: OT_SANITIZED=1: golden cases only"

filter=$(python3 "$G/tshark_compare.py" filter)
fields=$(python3 "$G/tshark_compare.py" fields | sed 's/^/-e /' | tr '\n' ' ')
export BIN DATA work filter fields
one() {
    local id=$1 cap=$2
    "$BIN/otasuke-sensor" -q -r "$DATA/pcaps/$cap" -o "$work/$id.json" 2>"$work/$id.err"
    echo $? >"$work/$id.rc"
    # shellcheck disable=SC2086
    tshark -n -r "$DATA/pcaps/$cap" -Y "$filter" -T fields -E separator=/t \
        -E aggregator=$'\x1f' -E occurrence=a $fields >"$work/$id.tsv" 2>"$work/$id.terr"
}
export -f one
tr '\t' '\n' <"$work/list" | xargs -d '\n' -n 2 -P "$JOBS" bash -c 'one "$1" "$2"' _
t1=$(date +%s)

write=()
[ -n "${OT_TSHARK_WRITE:-}" ] && write=(--write "$OT_TSHARK_WRITE")
python3 "$G/tshark_compare.py" compare "$work/list" "$work" "$G/tshark-differences.tsv" "${write[@]}"
rc=$?
echo "$n captures ($missing missing), sensor + tshark in $((t1 - t0)) s, compared in $(( $(date +%s) - t1 )) s"
exit $rc
