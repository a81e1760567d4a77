#!/usr/bin/env bash
# Flow-shape detections on generated captures: every scenario of
# tools/pcapgen-scenario-flows.c is written just below its detector's
# default threshold, at it, and at the scenario's default count, run through
# otasuke-sensor, and the alerts of the scan, bruteforce, exposure and
# lateral-movement families must be exactly the expected signatures, one
# merged line each (the look-alikes: none at all).
#
# Table columns: scenario, --count ("-": its default), expected signature ids
# as SID or SID:COUNT (the line's alert.count, default 1: the detectors raise
# for every attempt from the threshold on, so count = attempts - threshold + 1),
# or "-" for none; extra sensor options.  Skips (77) only without python3.
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
skip() { echo "SKIP: $*"; exit 77; }
command -v python3 >/dev/null || skip "python3 is not installed (scripts/setup.sh installs it)"
for p in ot-pcapgen otasuke-sensor; do
    [ -x "$BIN/$p" ] || { echo "FAIL: $BIN/$p not built"; exit 1; }
done

work=$(mktemp -d /tmp/ot-scenarios-XXXXXX)
trap 'rm -rf "$work"' EXIT

cases=$(cat <<'EOF'
scan-horizontal         24  -
scan-horizontal         25  8101003
scan-horizontal         -   8101003:16
scan-vertical           14  -
scan-vertical           15  8101002
scan-vertical           -   8101002:86
scan-vertical           10  8101002:6        -s detect.scan.ports=5
scan-udp                14  -
scan-udp                15  8101005
scan-udp                -   8101005:86
icmp-sweep              24  -
icmp-sweep              25  8101009
icmp-sweep              -   8101009:26
busy-web-client         -   -
busy-web-client         900 -
bruteforce-ssh          19  8103011
bruteforce-ssh          20  8102001,8103011
bruteforce-ssh          -   8102001:21,8103011
bruteforce-ssh-success  19  8103011
bruteforce-ssh-success  20  8102001,8102011,8103011
bruteforce-ftp          9   -
bruteforce-ftp          10  8102004
bruteforce-ftp          -   8102004:11
bruteforce-ftp-success  9   -
bruteforce-ftp-success  10  8102004,8102010
bruteforce-rdp          19  8103001
bruteforce-rdp          20  8102002,8103001
bruteforce-rdp          -   8102002:21,8103001
bruteforce-http         9   -
bruteforce-http         10  8102009
exposure-rdp            1   8103001
exposure-rdp            -   8103001
exposure-rdp            -   -                -s detect.exposure.rdp=0
rdp-outbound            -   -
lateral-smb             9   -
lateral-smb             10  8109001
lateral-smb             -   8109001:11
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
FAMILIES = {"scan", "bruteforce", "exposure", "lateral-movement"}
path, expect = sys.argv[1], sys.argv[2]
want = {}
for item in ([] if expect == "-" else expect.split(",")):
    sid, _, count = item.partition(":")
    want[int(sid)] = int(count or 1)
lines = {}
for line in open(path, encoding="utf-8"):
    ev = json.loads(line)
    if ev.get("event_type") != "alert" or ev["alert"]["category"] not in FAMILIES:
        continue
    lines.setdefault(ev["alert"]["signature_id"], []).append(ev)
got = set(lines)
problems = []
if got != set(want):
    problems.append(f"signatures {sorted(got)}, expected {sorted(want)}")
for sid, evs in sorted(lines.items()):
    if len(evs) != 1:
        problems.append(f"{sid}: {len(evs)} lines, expected one merged line")
    for ev in evs:
        if sid in want and ev["alert"]["count"] != want[sid]:
            problems.append(f"{sid}: count {ev['alert']['count']}, expected {want[sid]}")
        if not ev["alert"].get("metadata", {}).get("mitre_technique_id"):
            problems.append(f"{sid}: no MITRE technique")
if problems:
    print("; ".join(problems))
    sys.exit(1)
print(", ".join(f"{s} {lines[s][0]['alert']['category']}/{lines[s][0]['alert']['severity']}"
                f" x{lines[s][0]['alert']['count']}"
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
