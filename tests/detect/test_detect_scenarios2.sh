#!/usr/bin/env bash
# Content detections on generated captures: every scenario of
# tools/pcapgen-scenario-content.c is written just below its detector's
# default threshold, at it, and at (or far above) the scenario's default
# count, run through otasuke-sensor, and the alerts of the dns-tunnel, dga,
# beacon, cryptomining and remote-access-tool families must be exactly the
# expected signatures, each on the expected number of lines (one per host),
# each line with count 1 and a MITRE technique; the look-alikes raise none
# of them at any count.
#
# (rat-anydesk-sni at 20 sessions, exactly a minute apart, is a beacon as
# well: both families are expected.)
#
# Table columns: scenario, --count ("-": its default), expected signature ids
# ("-": none; "SID*N": N lines, one per host), extra sensor options.
# Skips (77) only without python3.
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
skip() { echo "SKIP: $*"; exit 77; }
command -v python3 >/dev/null || skip "python3 is not installed (scripts/setup.sh installs it)"
for p in ot-pcapgen otasuke-sensor; do
    [ -x "$BIN/$p" ] || { echo "FAIL: $BIN/$p not built"; exit 1; }
done

work=$(mktemp -d /tmp/ot-scenarios2-XXXXXX)
trap 'rm -rf "$work"' EXIT

cases=$(cat <<'EOF'
dns-tunnel               39    -
dns-tunnel               40    8105001
dns-tunnel               -     8105001
dns-tunnel               600   8105001,8105003
dns-tunnel               4     -
dns-tunnel               5     8105001          -s detect.dns-tunnel.names=5
dns-tunnel-txt           19    -
dns-tunnel-txt           20    8105002
dns-tunnel-txt           -     8105002
dns-benign-cdn           -     -
dns-benign-cdn           2000  -
dns-benign-dnsbl         -     -
dns-benign-dnsbl         2000  -
dga                      1     8106003
dga                      8     8106003
dga                      9     8106001,8106003
dga                      -     8106001,8106003
dga                      200   8106001,8106002,8106003
dga                      8     -                -s detect.dga.nx-single=0
dns-benign-browsing      -     -
dns-benign-browsing      1000  -
beacon                   7     -
beacon                   8     8107001
beacon                   -     8107001
beacon                   50    8107001
beacon                   5     8107001          -s detect.beacon.connections=5 -s detect.beacon.min-span=200
beacon-benign-irregular  -     -
beacon-benign-irregular  200   -
ntp-periodic             -     -
ntp-periodic             200   -
stratum                  1     8108001
stratum                  -     8108001*2
stratum                  9     8108001*9
jsonrpc-benign           -     -
jsonrpc-benign           60    -
mining-pool-names        1     8108002,8108003
mining-pool-names        -     8108002,8108003
rat-anydesk-sni          1     8110011
rat-anydesk-sni          -     8110011
rat-anydesk-sni          20    8107001,8110011
rat-teamviewer-dns       1     8110022
rat-teamviewer-dns       -     8110022
rat-vnc-banner           1     8110031
rat-vnc-banner           -     8110031
rat-nomachine-banner     -     8110041
rat-nomachine-banner     -     -                -s detect.rat.enabled=no
EOF
)

pass=0 fail=0 n=0
while read -r name count expect opts; do
    [ -n "$name" ] || continue
    n=$((n + 1))
    cap=$work/$n.pcap out=$work/$n.json
    args=()
    [ "$count" = "-" ] || args=(--count "$count")
    if ! "$BIN/ot-pcapgen" scenario "$name" "$cap" "${args[@]}" >/dev/null 2>"$work/err"; then
        echo "FAIL $name (count $count): ot-pcapgen: $(head -c 300 "$work/err")"
        fail=$((fail + 1)); continue
    fi
    # shellcheck disable=SC2086  # opts is a word list on purpose
    if ! "$BIN/otasuke-sensor" -q ${opts:-} -r "$cap" -o "$out" 2>"$work/err"; then
        echo "FAIL $name (count $count): otasuke-sensor: $(head -c 300 "$work/err")"
        fail=$((fail + 1)); continue
    fi
    if msg=$(python3 - "$out" "$expect" <<'PY'
import json, sys
FAMILIES = {"dns-tunnel", "dga", "beacon", "cryptomining", "remote-access-tool"}
BLOCK = {"dns-tunnel": 8105, "dga": 8106, "beacon": 8107, "cryptomining": 8108,
         "remote-access-tool": 8110}
path, expect = sys.argv[1], sys.argv[2]
want = {}
if expect != "-":
    for item in expect.split(","):
        sid, _, times = item.partition("*")
        want[int(sid)] = int(times or 1)
lines = {}
for line in open(path, encoding="utf-8"):
    ev = json.loads(line)
    if ev.get("event_type") != "alert" or ev["alert"]["category"] not in FAMILIES:
        continue
    lines.setdefault(ev["alert"]["signature_id"], []).append(ev)
problems = []
if set(lines) != set(want):
    problems.append(f"signatures {sorted(lines)}, expected {sorted(want)}")
for sid, evs in sorted(lines.items()):
    if sid in want and len(evs) != want[sid]:
        problems.append(f"{sid}: {len(evs)} lines, expected {want[sid]}")
    hosts = [ev["src_ip"] for ev in evs]
    if len(set(hosts)) != len(hosts):
        problems.append(f"{sid}: more than one line for a host: {hosts}")
    for ev in evs:
        a = ev["alert"]
        if a["count"] != 1:
            problems.append(f"{sid}: count {a['count']}, expected 1")
        if not a.get("metadata", {}).get("mitre_technique_id"):
            problems.append(f"{sid}: no MITRE technique")
        if sid // 1000 != BLOCK[a["category"]]:
            problems.append(f"{sid}: outside the {a['category']} block")
        if not a.get("evidence"):
            problems.append(f"{sid}: no evidence")
if problems:
    print("; ".join(problems))
    sys.exit(1)
print(", ".join(f"{s} {lines[s][0]['alert']['category']}/{lines[s][0]['alert']['severity']}"
                f"{' x%d' % len(lines[s]) if len(lines[s]) > 1 else ''}"
                for s in sorted(lines)) or "no alert")
PY
    ); then
        echo "ok   $name (count $count${opts:+, $opts}): $msg"
        pass=$((pass + 1))
    else
        echo "FAIL $name (count $count${opts:+, $opts}): $msg"
        fail=$((fail + 1))
    fi
done <<<"$cases"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
