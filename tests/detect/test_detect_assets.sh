#!/usr/bin/env bash
# The asset inventory wired into the sensor, end to end, on the
# assets-office scenario (tools/pcapgen-scenario-assets.c): devices named by
# DHCP, mDNS, NetBIOS and LLMNR with MACs from real IEEE blocks, then plain
# ones.  Checks:
#   - asset events carry MAC, addresses, host name and its source, vendor
#     (from ieee-data), DHCP vendor class; stats.assets counts them;
#   - the first run with an empty state file is the baseline: no
#     new-device alert; the state file is written;
#   - a second run with the same state raises none either and says new:false;
#   - a run whose capture has one device more raises exactly one new-device
#     alert, for that MAC, with its address and vendor;
#   - asset.learning=0 alerts from the first run; without a state file there
#     is no new-device alert at all;
#   - the inventory works with detection off and with application events off
#     (the DHCP parser still feeds it);
#   - the configuration refuses a state file in a folder that does not exist.
# Skips (77) without python3 or without the IEEE registry (ieee-data).
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
skip() { echo "SKIP: $*"; exit 77; }
command -v python3 >/dev/null || skip "python3 is not installed (scripts/setup.sh installs it)"
[ -r /usr/share/ieee-data/oui.csv ] || [ -r /usr/share/ieee-data/oui.txt ] ||
    skip "the IEEE registry is not installed (Debian package ieee-data; scripts/setup.sh)"
for p in ot-pcapgen otasuke-sensor; do
    [ -x "$BIN/$p" ] || { echo "FAIL: $BIN/$p not built"; exit 1; }
done

work=$(mktemp -d /tmp/ot-assets-XXXXXX)
trap 'rm -rf "$work"' EXIT
for n in 4 5 6; do
    "$BIN/ot-pcapgen" scenario assets-office "$work/office$n.pcap" --count "$n" >/dev/null 2>"$work/err" ||
        { echo "FAIL: ot-pcapgen: $(cat "$work/err")"; exit 1; }
done

pass=0 fail=0
# run NAME PCAP EXPECT_NEWDEV_MACS(, or -) EXPECT_NEW_FLAG(true|false|-) [sensor options...]
run() {
    local name=$1 pcap=$2 macs=$3 newflag=$4
    shift 4
    local out=$work/$name.json
    if ! "$BIN/otasuke-sensor" -q -s asset.enabled=yes "$@" -r "$pcap" -o "$out" 2>"$work/err"; then
        echo "FAIL $name: otasuke-sensor: $(head -c 300 "$work/err")"
        fail=$((fail + 1)); return
    fi
    if msg=$(python3 - "$out" "$macs" "$newflag" <<'PY'
import json, sys
path, macs, newflag = sys.argv[1], sys.argv[2], sys.argv[3]
want_new = set() if macs == "-" else set(macs.split(","))
# What the scenario's devices must look like (the router has no vendor: a local MAC).
DEVICES = {
    "00:11:32:aa:00:01": ("192.168.1.20", "nas1", "dhcp", "Synology Incorporated", "udhcp 1.23.1"),
    "b8:27:eb:aa:00:02": ("192.168.1.21", "printer2", "mdns", "Raspberry Pi Foundation", None),
    "00:1b:63:aa:00:03": ("192.168.1.22", "DESKTOP3", "netbios", "Apple, Inc.", None),
    "f4:f5:d8:aa:00:04": ("192.168.1.23", "laptop4", "llmnr", "Google, Inc.", None),
    "02:4f:54:00:01:01": ("192.168.1.1", None, None, None, None),
}
assets, alerts, stats = {}, [], None
for line in open(path, encoding="utf-8"):
    ev = json.loads(line)
    t = ev["event_type"]
    if t == "asset":
        assets.setdefault(ev["asset"]["mac"], []).append(ev["asset"])
    elif t == "alert" and ev["alert"]["category"] == "new-device":
        alerts.append(ev)
    elif t == "stats" and ev["stats"]["final"]:
        stats = ev["stats"]
problems = []
for mac, (ip, host, src, vendor, vclass) in DEVICES.items():
    evs = assets.get(mac)
    if not evs:
        problems.append(f"no asset event for {mac}")
        continue
    last = evs[-1]
    if ip not in last.get("ips", []):
        problems.append(f"{mac}: ips {last.get('ips')}, expected {ip}")
    if last.get("hostname") != host or last.get("hostname_source") != src:
        problems.append(f"{mac}: hostname {last.get('hostname')}/{last.get('hostname_source')}, "
                        f"expected {host}/{src}")
    if last.get("vendor") != vendor:
        problems.append(f"{mac}: vendor {last.get('vendor')!r}, expected {vendor!r}")
    if last.get("dhcp_vendor_class") != vclass:
        problems.append(f"{mac}: dhcp_vendor_class {last.get('dhcp_vendor_class')!r}")
    if evs[0]["reason"] != "seen":
        problems.append(f"{mac}: first event's reason {evs[0]['reason']}")
    if newflag != "-" and any(e["new"] != (newflag == "true") for e in evs):
        problems.append(f"{mac}: new is not {newflag}")
got_new = {a["alert"]["evidence"]["mac"] for a in alerts}
if got_new != want_new:
    problems.append(f"new-device alerts for {sorted(got_new)}, expected {sorted(want_new)}")
for a in alerts:
    if a["alert"]["signature_id"] != 8111001 or a["alert"]["count"] != 1:
        problems.append(f"new-device alert {a['alert']['signature_id']} x{a['alert']['count']}")
    if a["alert"]["evidence"]["mac"] == "3c:5a:b4:aa:00:05":
        if a.get("src_ip") != "192.168.1.35" or a["alert"]["evidence"].get("vendor") != "Google, Inc.":
            problems.append(f"new-device alert fields: {a}")
if stats is None or "assets" not in stats:
    problems.append("no stats.assets in the final stats event")
elif stats["assets"]["active"] != len(assets):
    problems.append(f"stats.assets.active {stats['assets']['active']}, {len(assets)} assets seen")
if problems:
    print("; ".join(problems))
    sys.exit(1)
print(f"{len(assets)} assets, new-device for {sorted(got_new) or 'none'}, "
      f"baseline {stats['assets']['baseline_devices']}")
PY
    ); then
        echo "ok   $name: $msg"
        pass=$((pass + 1))
    else
        echo "FAIL $name: $msg"
        fail=$((fail + 1))
    fi
}

st=$work/assets.state
run first-run-baseline "$work/office4.pcap" - true -s asset.state-file="$st"
if head -1 "$st" 2>/dev/null | grep -q "^otasuke-asset-state 1" && [ "$(grep -c '^[0-9a-f][0-9a-f]:' "$st")" -eq 5 ]; then
    echo "ok   state file written with 5 devices"; pass=$((pass + 1))
else
    echo "FAIL state file: $(head -c 400 "$st" 2>&1)"; fail=$((fail + 1))
fi
run second-run-same "$work/office4.pcap" - false -s asset.state-file="$st"
run third-run-one-more "$work/office5.pcap" 3c:5a:b4:aa:00:05 - -s asset.state-file="$st"
run fourth-run-nothing-new "$work/office5.pcap" - false -s asset.state-file="$st"
run no-learning "$work/office6.pcap" \
    00:11:32:aa:00:01,b8:27:eb:aa:00:02,00:1b:63:aa:00:03,f4:f5:d8:aa:00:04,3c:5a:b4:aa:00:05,3c:5a:b4:aa:00:06,02:4f:54:00:01:01 \
    true -s asset.state-file="$work/fresh.state" -s asset.learning=0
run no-state-file "$work/office6.pcap" - true -s asset.learning=0
run new-device-off "$work/office5.pcap" - - -s asset.state-file="$work/fresh3.state" -s asset.learning=0 \
    -s detect.new-device.enabled=no
run allowlisted "$work/office5.pcap" - - -s asset.state-file="$work/fresh2.state" -s asset.learning=0 \
    --allowlist <(echo "sid:8111001")
run detect-off "$work/office4.pcap" - true -s detect=no
run app-events-off "$work/office4.pcap" - true -s events=flow,stats

# The state file is only written where its folder exists.
if "$BIN/otasuke-sensor" -T -s asset.enabled=yes -s asset.state-file="$work/no/such/dir/state" >/dev/null 2>"$work/err"; then
    echo "FAIL -T accepted a state file in a missing folder"; fail=$((fail + 1))
elif grep -q "asset.state-file" "$work/err"; then
    echo "ok   -T refuses a state file in a missing folder"; pass=$((pass + 1))
else
    echo "FAIL -T message: $(cat "$work/err")"; fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
