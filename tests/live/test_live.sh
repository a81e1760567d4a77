#!/usr/bin/env bash
# Live capture test: two network namespaces joined by a veth pair (our own
# test hosts), real DNS, HTTP and TLS traffic between them, and the sensor
# capturing on the client's interface.  Checks the events it wrote.
# Skips (exit 77) when network namespaces cannot be made here.
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
for t in ip python3 openssl curl dig; do
    command -v $t >/dev/null || skip "$t is not installed (scripts/setup.sh installs it)"
done

tag=ot$$
CNS=${tag}c SNS=${tag}s
work=$(mktemp -d /tmp/ot-live-XXXXXX)
cleanup() {
    [ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null
    for p in ${SRVPIDS:-}; do kill "$p" 2>/dev/null; done
    ip netns del "$CNS" 2>/dev/null
    ip netns del "$SNS" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$CNS" || skip "ip netns add failed (no namespace support here)"
ip netns add "$SNS" || skip "ip netns add failed"
ip link add "${tag}a" type veth peer name "${tag}b" || skip "veth not available"
ip link set "${tag}a" netns "$CNS"
ip link set "${tag}b" netns "$SNS"
C="ip netns exec $CNS"
S="ip netns exec $SNS"
$C ip addr add 10.203.0.1/24 dev "${tag}a"
$S ip addr add 10.203.0.2/24 dev "${tag}b"
$C ip link set "${tag}a" up
$S ip link set "${tag}b" up
$C ip link set lo up
$S ip link set lo up

# Server side: a DNS responder, a plain HTTP server, a TLS server.
cat >"$work/dns.py" <<'PY'
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.203.0.2", 53))
while True:
    q, addr = s.recvfrom(512)
    qid, flags, qd = struct.unpack("!HHH", q[:6])
    end = 12
    while q[end] != 0:
        end += q[end] + 1
    question = q[12:end + 5]
    ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton("10.203.0.2")
    s.sendto(struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + ans, addr)
PY
mkdir -p "$work/www" && echo "hello from the live test" >"$work/www/hello.txt"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
    -days 2 -subj "/CN=live.otasuke.test" >/dev/null 2>&1 || skip "openssl cannot make a certificate"
$S python3 "$work/dns.py" & SRVPIDS="$!"
$S python3 -m http.server 8080 --bind 10.203.0.2 --directory "$work/www" >/dev/null 2>&1 & SRVPIDS="$SRVPIDS $!"
$S openssl s_server -quiet -accept 8443 -cert "$work/cert.pem" -key "$work/key.pem" -www >/dev/null 2>&1 & SRVPIDS="$SRVPIDS $!"
sleep 1

$C "$BIN/otasuke-sensor" -i "${tag}a" -o "$work/eve.json" -s stats-interval=0 -q 2>"$work/sensor.err" & SPID=$!
sleep 1.5
kill -0 $SPID 2>/dev/null || { cat "$work/sensor.err"; echo "FAIL: the sensor did not start"; exit 1; }

$C dig +time=2 +tries=1 @10.203.0.2 www.live.otasuke.test A >/dev/null
$C curl -s -m 5 -A "otasuke-live-test" -H "Host: web.live.otasuke.test" \
    http://10.203.0.2:8080/hello.txt >/dev/null
$C curl -s -k -m 5 --resolve tls.live.otasuke.test:8443:10.203.0.2 \
    https://tls.live.otasuke.test:8443/ >/dev/null
sleep 1
kill -INT $SPID
wait $SPID
rc=$?
SPID=
[ $rc -eq 0 ] || { cat "$work/sensor.err"; echo "FAIL: sensor exited with $rc"; exit 1; }

python3 - "$work/eve.json" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
def find(pred):
    return [e for e in events if pred(e)]
checks = {
    "dns query for www.live.otasuke.test":
        find(lambda e: e.get("event_type") == "dns" and e["dns"].get("rrname") == "www.live.otasuke.test"),
    "dns answer 10.203.0.2":
        find(lambda e: e.get("event_type") == "dns" and any(a.get("rdata") == "10.203.0.2" for a in e["dns"].get("answers", []))),
    "http GET /hello.txt on web.live.otasuke.test":
        find(lambda e: e.get("event_type") == "http" and e["http"].get("hostname") == "web.live.otasuke.test"
             and e["http"].get("url") == "/hello.txt" and e["http"].get("status") == 200
             and e["http"].get("http_user_agent") == "otasuke-live-test"),
    "tls sni tls.live.otasuke.test":
        find(lambda e: e.get("event_type") == "tls" and e["tls"].get("sni") == "tls.live.otasuke.test"),
    "tcp flows 8080 and 8443":
        find(lambda e: e.get("event_type") == "flow" and e.get("dest_port") in (8080, 8443)),
    "final stats with packets":
        find(lambda e: e.get("event_type") == "stats" and e["stats"]["final"] and e["stats"]["capture"]["packets"] > 0),
}
bad = [k for k, v in checks.items() if not v]
for k, v in checks.items():
    print(("ok   " if v else "FAIL ") + k)
if bad:
    print("events seen:", sorted(set(e.get("event_type") for e in events)))
    sys.exit(1)
PY
