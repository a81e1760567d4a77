#!/usr/bin/env bash
# The allowlist end to end: the mining-pool-names scenario raises two alerts
# from one office PC (192.168.1.45), 8108003 (DNS query for
# pool.supportxmr.com, to the resolver 192.168.1.1) and 8108002 (TLS SNI
# gulf.moneroocean.stream, to 198.51.100.35).  Each allowlist below must
# leave exactly the listed signatures, and stats.detect.alerts_allowlisted
# must count the rest: by address, by network, by domain, by signature, by
# a pair of terms, and a pair that does not match suppresses nothing.  The
# same file given as the config key `allowlist` works the same.
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
skip() { echo "SKIP: $*"; exit 77; }
command -v python3 >/dev/null || skip "python3 is not installed (scripts/setup.sh installs it)"
for p in ot-pcapgen otasuke-sensor; do
    [ -x "$BIN/$p" ] || { echo "FAIL: $BIN/$p not built"; exit 1; }
done

work=$(mktemp -d /tmp/ot-allowlist-XXXXXX)
trap 'rm -rf "$work"' EXIT
cap=$work/pool.pcap
"$BIN/ot-pcapgen" scenario mining-pool-names "$cap" --count 1 >/dev/null 2>"$work/err" ||
    { echo "FAIL: ot-pcapgen: $(cat "$work/err")"; exit 1; }

# name | rules (";" separates lines) | signatures left
cases=$(cat <<'EOF2'
none                 | # nothing                               | 8108002,8108003
ip-dest              | 198.51.100.35                           | 8108003
ip-resolver          | 192.168.1.1                             | 8108002
ip-source            | 192.168.1.45                            | -
cidr                 | 198.51.100.0/24                         | 8108003
cidr-home            | 192.168.0.0/16                          | -
cidr-v6-only         | 2001:db8::/32                           | 8108002,8108003
domain               | supportxmr.com                          | 8108002
domain-exact         | gulf.moneroocean.stream                 | 8108003
domain-parent-only   | moneroocean.stream.example              | 8108002,8108003
sid                  | sid:8108003                             | 8108002
sid-other            | sid:8108001                             | 8108002,8108003
pair-sid-ip          | sid:8108002 198.51.100.35               | 8108003
pair-ip-ip           | 192.168.1.45 192.168.1.1                | 8108002
pair-sid-domain      | sid:8108003 supportxmr.com              | 8108002
pair-mismatch-sid    | sid:8108003 198.51.100.35               | 8108002,8108003
pair-mismatch-ip     | sid:8108002 192.168.1.1                 | 8108002,8108003
pair-mismatch-hosts  | 192.168.1.45 203.0.113.0/24             | 8108002,8108003
two-rules            | sid:8108002;supportxmr.com              | -
EOF2
)

pass=0 fail=0
check() { # name rules expect mode
    local name=$1 rules=$2 expect=$3 mode=$4 al=$work/$1.allow out=$work/$1-$4.json
    printf '%s\n' "$rules" | tr ';' '\n' >"$al"
    local args=(--allowlist "$al")
    if [ "$mode" = config ]; then
        printf 'allowlist = %s\n' "$al" >"$work/sensor.conf"
        args=(-c "$work/sensor.conf")
    fi
    if ! "$BIN/otasuke-sensor" -q "${args[@]}" -r "$cap" -o "$out" 2>"$work/err"; then
        echo "FAIL $name ($mode): otasuke-sensor: $(head -c 300 "$work/err")"
        fail=$((fail + 1)); return
    fi
    if msg=$(python3 - "$out" "$expect" <<'PY'
import json, sys
path, expect = sys.argv[1], sys.argv[2]
want = set() if expect == "-" else {int(s) for s in expect.split(",")}
got, stats = set(), None
for line in open(path, encoding="utf-8"):
    ev = json.loads(line)
    if ev["event_type"] == "alert":
        got.add(ev["alert"]["signature_id"])
    elif ev["event_type"] == "stats" and ev["stats"]["final"]:
        stats = ev["stats"]["detect"]
problems = []
if got != want:
    problems.append(f"alerts {sorted(got)}, expected {sorted(want)}")
if stats is None:
    problems.append("no final stats")
elif stats["alerts_allowlisted"] != 2 - len(want):
    problems.append(f"stats.detect.alerts_allowlisted {stats['alerts_allowlisted']}, "
                    f"expected {2 - len(want)}")
if problems:
    print("; ".join(problems))
    sys.exit(1)
print(f"left {sorted(got) or 'none'}, {stats['alerts_allowlisted']} allowlisted")
PY
    ); then
        echo "ok   $name ($mode): $msg"
        pass=$((pass + 1))
    else
        echo "FAIL $name ($mode): $msg"
        fail=$((fail + 1))
    fi
}

while IFS='|' read -r name rules expect; do
    name=$(echo "$name" | xargs) expect=$(echo "$expect" | xargs)
    rules=$(echo "$rules" | sed 's/^ *//; s/ *$//')
    [ -n "$name" ] || continue
    check "$name" "$rules" "$expect" option
done <<<"$cases"
check sid-config "sid:8108003" 8108002 config

# A bad line is reported as FILE:LINE and skipped; the good ones still apply.
printf 'sid:8108003\nsid:notanumber\n' >"$work/bad.allow"
"$BIN/otasuke-sensor" -q --allowlist "$work/bad.allow" -r "$cap" -o "$work/bad.json" 2>"$work/err"
if grep -q "bad.allow:2" "$work/err" && ! grep -q '"signature_id":8108003' "$work/bad.json"; then
    echo "ok   bad line reported with FILE:LINE, the rest applies"; pass=$((pass + 1))
else
    echo "FAIL bad line: $(head -c 300 "$work/err")"; fail=$((fail + 1))
fi
# A missing allowlist stops the sensor at start.
if "$BIN/otasuke-sensor" -q --allowlist "$work/missing.allow" -r "$cap" -o "$work/m.json" 2>"$work/err"; then
    echo "FAIL missing allowlist: the sensor started"; fail=$((fail + 1))
else
    echo "ok   missing allowlist refused: $(head -c 120 "$work/err" | tr '\n' ' ')"; pass=$((pass + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
