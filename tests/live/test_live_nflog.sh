#!/usr/bin/env bash
# Live capture from the Linux netfilter log (`-i nflog:N`), as on a Linux
# router where firewall rules choose what the sensor sees: a network
# namespace of our own, an nftables rule that logs DNS queries to group 7,
# real queries sent there, and the sensor reading the group.  Checks that the
# queries arrive as dns events (link type NFLOG) and that the sensor does not
# take an empty read of the group for an error.
# Skips (exit 77) when namespaces, nftables or the kernel's nflog are missing.
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
for t in ip nft python3; do
    command -v $t >/dev/null || skip "$t is not installed (scripts/setup.sh installs it)"
done

NS=ot$$n
work=$(mktemp -d /tmp/ot-nflog-XXXXXX)
cleanup() {
    [ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$NS" || skip "ip netns add failed (no namespace support here)"
ip -n "$NS" link set lo up
ip netns exec "$NS" nft -f - <<'NFT' || skip "nftables cannot add a log rule here"
table inet otasuke_test {
    chain out {
        type filter hook output priority 0; policy accept;
        udp dport 5353 log group 7
    }
}
NFT

ip netns exec "$NS" "$BIN/otasuke-sensor" -i nflog:7 -o "$work/eve.json" -s stats-interval=0 -q \
    2>"$work/sensor.err" & SPID=$!
sleep 1.5
if ! kill -0 $SPID 2>/dev/null; then
    grep -qi "nflog" "$work/sensor.err" && skip "no nflog capture here: $(cat "$work/sensor.err")"
    cat "$work/sensor.err"
    echo "FAIL: the sensor did not start"
    exit 1
fi
# A second of silence first: an empty read must not end the capture.
sleep 1
ip netns exec "$NS" python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i, name in enumerate((b"\x06nflog1\x07otasuke\x04test\x00", b"\x06nflog2\x07otasuke\x04test\x00")):
    q = bytes([0x10, i, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]) + name + b"\x00\x01\x00\x01"
    s.sendto(q, ("127.0.0.1", 5353))
PY
# The kernel hands logged packets over in batches, at the latest after 1 s.
sleep 3
kill -INT $SPID
wait $SPID
rc=$?
SPID=
[ $rc -eq 0 ] || { cat "$work/sensor.err"; echo "FAIL: sensor exited with $rc"; exit 1; }

python3 - "$work/eve.json" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
names = sorted(e["dns"]["rrname"] for e in events if e.get("event_type") == "dns")
final = [e for e in events if e.get("event_type") == "stats" and e["stats"]["final"]]
checks = {
    "both logged queries as dns events": names == ["nflog1.otasuke.test", "nflog2.otasuke.test"],
    "no decode errors": bool(final) and final[0]["stats"]["decoder"]["invalid"] == 0,
    "packets counted": bool(final) and final[0]["stats"]["capture"]["packets"] == 2,
}
for k, ok in checks.items():
    print(("ok   " if ok else "FAIL ") + k)
if not all(checks.values()):
    print("dns names:", names)
    sys.exit(1)
PY
