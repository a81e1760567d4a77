#!/usr/bin/env bash
# The main job on embedded defaults: install, build, and run the sensor.
# Live on the default interface for a short while when this machine can
# capture; otherwise (or when the interface stayed silent) on the demo capture
# the project generates itself.  Events go to standard output, the summary to
# standard error.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh build >/dev/null

SECONDS_LIVE=${OT_DEMO_SECONDS:-15}
bin=build/bin
out=build/demo
mkdir -p "$out"

iface=$(ip route show default 2>/dev/null | awk '/default/ { for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
if [ -n "$iface" ] && [ "$(id -u)" -eq 0 ]; then
    echo "demo: capturing on $iface for $SECONDS_LIVE s (events below; Ctrl-C stops early)" >&2
    if "$bin/otasuke-sensor" -i "$iface" -d "$SECONDS_LIVE" -o "$out/live.json" -s stats-interval=5; then
        cat "$out/live.json"
        pk=$(grep -c '"event_type":"flow"' "$out/live.json" || true)
        if [ "$pk" -gt 0 ]; then
            echo "demo: events written to $out/live.json" >&2
            exit 0
        fi
        echo "demo: no flows seen on $iface; showing the demo capture instead" >&2
    else
        echo "demo: live capture not possible here; using the demo capture" >&2
    fi
else
    echo "demo: no default interface or not root; using the demo capture" >&2
fi
"$bin/ot-pcapgen" demo "$out/demo.pcap"
"$bin/otasuke-sensor" -r "$out/demo.pcap" -o "$out/demo.json"
cat "$out/demo.json"
echo "demo: events written to $out/demo.json (try: grep '\"event_type\":\"tls\"' $out/demo.json)" >&2

