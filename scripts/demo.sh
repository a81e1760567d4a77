#!/usr/bin/env bash
# The main job on embedded defaults: install, build, and run the whole stack.
#
#   1. otasuke-server on SQLite, in build/demo/server (its CA, certificate and
#      admin key are made on first start), on a free local port;
#   2. a first customer and site, and a one-time enrolment token (the CLI);
#   3. otasuke-sensor enrolled with that token (the server's CA pinned by the
#      hash the token carries);
#   4. the sensor on the default interface for a short while when this
#      machine can capture; then on the project's own demo capture (an office
#      network with a few attacks in it) so there is something to triage;
#      events go to the server and to build/demo/events.json;
#   5. the incidents, with the CLI commands to look further.
# The server keeps running afterwards (its PID and the command that stops it
# are printed); OT_DEMO_STOP=1 stops it at the end instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh build >/dev/null

SECONDS_LIVE=${OT_DEMO_SECONDS:-15}
bin=$PWD/build/bin
out=$PWD/build/demo
say() { echo "demo: $*" >&2; }

# A previous demo's server, if it is still running, is stopped first.
if [ -f "$out/server.pid" ] && kill -0 "$(cat "$out/server.pid")" 2>/dev/null; then
    say "stopping the previous demo server (PID $(cat "$out/server.pid"))"
    kill "$(cat "$out/server.pid")" && sleep 1
fi
rm -rf "$out"
mkdir -p "$out"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=https://127.0.0.1:$port
"$bin/otasuke-server" --data "$out/server" --listen "127.0.0.1:$port" >"$out/server.log" 2>&1 &
echo $! >"$out/server.pid"
for _ in $(seq 100); do
    curl -fsS --cacert "$out/server/ca.pem" "$url/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.1
done
if ! curl -fsS --cacert "$out/server/ca.pem" "$url/api/v1/health" >/dev/null 2>&1; then
    say "the server did not start; its log:"
    cat "$out/server.log" >&2
    exit 1
fi
say "otasuke-server is up at $url (data in $out/server, log $out/server.log)"

cli() { "$bin/otasuke" --server "$url" --data "$out/server" "$@"; }
cli customer add "Otasuke Demo Kogyo" >/dev/null
cli site add 1 "Head office" >/dev/null
token=$(cli token create --customer 1 --site 1 | awk '/^token:/ { print $2 }')
"$bin/otasuke-sensor" enroll "$url" "$token" --state "$out/sensor" --name demo-sensor >&2

# The sensor ships alerts, assets and stats; its own file keeps everything.
sensor() {
    "$bin/otasuke-sensor" --server --state "$out/sensor" -o "$out/events.json" \
        -s asset.enabled=yes -s asset.state-file="$out/sensor/assets.state" \
        -s asset.oui-file=/usr/share/ieee-data/oui.txt -s server.drain=60 "$@"
}
iface=$(ip route show default 2>/dev/null | awk '/default/ { for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
if [ -n "$iface" ] && [ "$(id -u)" -eq 0 ]; then
    say "watching $iface for $SECONDS_LIVE s"
    sensor -i "$iface" -d "$SECONDS_LIVE" -s stats-interval=5 ||
        say "live capture is not possible here"
else
    say "no default interface, or not root: no live capture"
fi
say "now the demo capture: an office network, with password guessing, a beacon, a DGA,"
say "DNS tunnelling, a remote-access tool and lateral movement in it"
mkdir -p "$out/capture"
"$bin/ot-pcapgen" demo "$out/capture/00-office.pcap"
n=1
for s in bruteforce-ssh-success beacon dga dns-tunnel rat-anydesk-sni lateral-smb; do
    "$bin/ot-pcapgen" scenario "$s" "$out/capture/0$n-$s.pcap" >/dev/null
    n=$((n + 1))
done
sensor -r "$out/capture" -s asset.learning=0

echo
echo "== incidents (otasuke incident list) =="
cli incident list --customer 1
echo
echo "== alert -> incident funnel (otasuke funnel) =="
cli funnel --customer 1
cat <<EOF

The server is still running (PID $(cat "$out/server.pid")).  Look further with the CLI:
  $bin/otasuke --server $url --data $out/server incident list
  $bin/otasuke --server $url --data $out/server incident show 1 --lang ja
  $bin/otasuke --server $url --data $out/server device list
Every event the sensor wrote: $out/events.json
Stop the server with: kill $(cat "$out/server.pid")
EOF
if [ "${OT_DEMO_STOP:-0}" = 1 ]; then
    kill "$(cat "$out/server.pid")"
fi
