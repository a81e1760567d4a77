#!/usr/bin/env bash
# QUIC server names reach the event stream and the detectors: on real QUIC
# captures from ../shared/data, the quic event carries the SNI and JA3 that
# tshark decrypts from the same packets (our parser for IETF QUIC, a
# ClientHello over two Initial packets included; nDPI for Google's QUIC),
# an indicator for that name (or its parent domain) raises an ioc alert, a
# look-alike domain does not, and with ndpi = no only our parser's events
# remain.
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
DATA=${OT_DATA:-../shared/data}
skip() { echo "SKIP: $*"; exit 77; }
command -v python3 >/dev/null || skip "python3 is not installed (scripts/setup.sh installs it)"
[ -x "$BIN/otasuke-sensor" ] || { echo "FAIL: $BIN/otasuke-sensor not built"; exit 1; }
P=$DATA/pcaps
[ -d "$P/OISF__suricata-verify" ] || skip "$P is not here (the public captures are not here)"

work=$(mktemp -d /tmp/ot-quic-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# capture | SNI in its ClientHello (as tshark decrypts it) | JA3 (tshark) | who reads it
cases=$(cat <<'EOF2'
OISF__suricata-verify/tests/quic-ietf/input.pcap    | msquic.net          | 292bd0719190dff4cb1033de8573310d | ours
OISF__suricata-verify/tests/ja4-tls-quic/input.pcap | cloudflare-quic.com | 3cbc33c648fe331404456f48a5a27170 | ours
arkime__arkime/tests/pcap/quicietf.pcap             | ssl.gstatic.com     | ddfef2ad23ab6dd55307813c2d0b7d58 | ours
arkime__arkime/tests/pcap/quicietfooo.pcap          | ssl.gstatic.com     | 994befbc7d0879ee9be4b570e03a5284 | ours
ntop__nDPI/tests/cfgs/default/pcap/quic_t51.pcap    | www.google.com      | 92e76078d514999cd950474995dab2b5 | ndpi
EOF2
)

# quic events of FILE: "sni ja3" per line.
quic_events() {
    python3 - "$1" <<'EOF2'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") == "quic":
        q = e["quic"]
        print(q.get("sni", ""), q.get("ja3", {}).get("hash", "-"))
EOF2
}

# ioc alerts of FILE: the indicator value of each.
ioc_alerts() {
    python3 - "$1" <<'EOF2'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    a = e.get("alert")
    if e.get("event_type") == "alert" and a.get("category") == "ioc":
        print(json.dumps(a.get("metadata", {}).get("indicator", a)))
EOF2
}

while IFS='|' read -r cap sni ja3 reader; do
    cap=$(echo "$cap" | xargs) sni=$(echo "$sni" | xargs) ja3=$(echo "$ja3" | xargs)
    reader=$(echo "$reader" | xargs)
    [ -f "$P/$cap" ] || { echo "SKIP (one case): $P/$cap is not here"; continue; }
    name=$(basename "$(dirname "$cap")")-$(basename "$cap" .pcap)
    out=$work/$name.json
    "$BIN/otasuke-sensor" -q -r "$P/$cap" -o "$out" 2>"$work/err" ||
        { bad "$name: otasuke-sensor: $(head -c 300 "$work/err")"; continue; }
    got=$(quic_events "$out")
    [ "$got" = "$sni $ja3" ] && ok || bad "$name: quic events '$got', expected '$sni $ja3'"

    # The name, and its parent domain (when that is not a top-level domain), as
    # indicators: an ioc alert each run.
    parent=${sni#*.}
    inds=("$sni")
    [[ $parent == *.* ]] && inds+=("$parent")
    for ind in "${inds[@]}"; do
        printf '%s\n' "$ind" >"$work/ind.txt"
        out=$work/$name-ind.json
        "$BIN/otasuke-sensor" -q --indicators "$work/ind.txt" -r "$P/$cap" -o "$out" 2>"$work/err" ||
            { bad "$name: otasuke-sensor --indicators: $(head -c 300 "$work/err")"; continue; }
        n=$(ioc_alerts "$out" | wc -l)
        [ "$n" -ge 1 ] && ok || bad "$name: indicator $ind raised no ioc alert"
    done
    # A look-alike (the name with a prefix glued on) matches nothing.
    printf 'not%s\n' "$sni" >"$work/ind.txt"
    out=$work/$name-lookalike.json
    "$BIN/otasuke-sensor" -q --indicators "$work/ind.txt" -r "$P/$cap" -o "$out" 2>/dev/null
    n=$(ioc_alerts "$out" | wc -l)
    [ "$n" -eq 0 ] && ok || bad "$name: look-alike indicator not$sni raised $n ioc alerts"
    # Without nDPI only our parser reads QUIC.
    printf 'ndpi = no\n' >"$work/nondpi.conf"
    out=$work/$name-nondpi.json
    "$BIN/otasuke-sensor" -q -c "$work/nondpi.conf" -r "$P/$cap" -o "$out" 2>/dev/null
    got=$(quic_events "$out")
    if [ "$reader" = ours ]; then
        [ "$got" = "$sni $ja3" ] && ok || bad "$name: with ndpi = no, quic events '$got'"
    else
        [ -z "$got" ] && ok || bad "$name: quic event with ndpi = no: '$got'"
    fi
done <<<"$cases"

echo "quic: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
