#!/usr/bin/env bash
# The whole stack as an operator meets it: otasuke-server on a temporary data
# folder, `otasuke customer add`, `site add`, `token create`, then
# `otasuke-sensor enroll URL TOKEN` and the sensor reading a folder of attack
# captures (ot-pcapgen scenarios) with --server.  Once the events are
# delivered, the incidents the server made must be exactly those the design's
# triage rules give for the sensor's own alerts (computed here from an
# offline run of the same captures), seen both through the API and through
# `otasuke incident list`.
#
# OT_E2E_STORE=pg runs it on a throw-away PostgreSQL (test_stack_pg.sh).
#
# Sensor options assumed (docs/server/design.md, "Credentials and
# enrolment"): `otasuke-sensor enroll URL TOKEN --state DIR` writes
# DIR/enroll.json; `otasuke-sensor -r PATH --server --state DIR` ships the
# alert, asset and stats events through the spool in DIR and exits once
# they are delivered.  Change STATE_OPT below if the sensor's option is
# named differently.
. "$(dirname "$0")/lib.sh"
need_server
S=$BIN/otasuke-sensor
sensor_can_send || skip "otasuke-sensor has no 'enroll' command yet (the --server mode is being added)"
STATE_OPT=--state

store=""
if [ "${OT_E2E_STORE:-sqlite}" = pg ]; then
    pg_start pg
    store=$PG_URL
fi
data=$work/data
port=$(free_port)
url=https://127.0.0.1:$port
start_server "$data" "$port" "$store" || exit 1
o() { ota "$data" "$port" "$@"; }

# Attack captures: one folder, read in name order in one run.
mkdir "$work/caps"
scenarios="scan-vertical bruteforce-ssh exposure-rdp lateral-smb dns-tunnel dga beacon stratum rat-anydesk-sni"
for s in $scenarios; do
    "$BIN/ot-pcapgen" scenario "$s" "$work/caps/$s.pcap" >/dev/null 2>&1 ||
        { bad "ot-pcapgen scenario $s"; finish; }
done

# What the server should make of it: the sensor's alerts, offline.
"$S" -q -r "$work/caps" -o "$work/ref.json" || { bad "offline sensor run"; finish; }
python3 - "$work/ref.json" >"$work/expected" <<'EOF'
import ipaddress, json, sys
home = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]
def inside(ip):
    if not ip: return False
    a = ipaddress.ip_address(ip)
    return any(a.version == n.version and a in n for n in home)
groups = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] != "alert": continue
    fam, src, dst = e["alert"]["category"], e.get("src_ip"), e.get("dest_ip")
    if fam in ("scan", "bruteforce"):
        ent = src                                  # the attacker
    elif fam == "new-device":
        ent = "network"                            # one incident for the day's new devices
    elif fam == "exposure":
        ent = dst if inside(dst) else (src if inside(src) else dst)   # the inside server
    else:
        ent = dst if (inside(dst) and not inside(src)) else src       # the inside host
    groups.add("%s %s" % (fam, ent))
print("\n".join(sorted(groups)))
EOF
nalerts=$(grep -c '"event_type":"alert"' "$work/ref.json")
check "the captures raise alerts of several families ($nalerts alerts)" \
    '[ "$(cut -d" " -f1 "$work/expected" | sort -u | wc -l)" -ge 6 ]'

o customer add "Suzuki Kogyo" >/dev/null && cid=$(o --json customer list | json_get 'd["items"][0]["id"]')
o site add "$cid" "Factory" >/dev/null && sid=$(o --json site list "$cid" | json_get 'd["items"][0]["id"]')
o token create --customer "$cid" --site "$sid" >"$work/token.txt"
token=$(awk '/^token:/ {print $2}' "$work/token.txt")
check "token create gave a pinned token" '[[ "$token" =~ ^ote_[A-Za-z0-9_-]+\.[0-9a-f]{64}$ ]]'
check "token create printed this very enrol command" \
    'grep -qxF "  otasuke-sensor enroll $url $token" "$work/token.txt"'

"$S" enroll "$url" "$token" $STATE_OPT "$work/state" >"$work/enroll.out" 2>&1
rc=$?
check "otasuke-sensor enroll succeeds" '[ $rc -eq 0 ]'
check "enroll.json is written, mode 0600" '[ "$(stat -c %a "$work/state/enroll.json" 2>/dev/null)" = 600 ]'
"$S" enroll "$url" "$token" $STATE_OPT "$work/state2" >/dev/null 2>"$work/enroll2.err"
rc=$?
check "the token works once" '[ $rc -ne 0 ] && grep -q "token already used" "$work/enroll2.err"'
check "the device is listed" '[ "$(o --json device list --customer "$cid" | json_get "len(d[\"items\"])")" = 1 ]'

timeout 300 "$S" -q -r "$work/caps" --server $STATE_OPT "$work/state" >"$work/sensor.out" 2>&1
rc=$?
check "the sensor run with --server ends normally" '[ $rc -eq 0 ]'

# Wait until every alert is in (the sensor may hand the rest to its spool).
for _ in $(seq 1 600); do
    got=$(api "$data" "$port" "/api/v1/funnel?customer=$cid" | json_get 'd["alerts"]' 2>/dev/null || echo 0)
    [ "${got:-0}" -ge "$nalerts" ] && break
    sleep 0.1
done
check "every alert was delivered ($got of $nalerts)" '[ "${got:-0}" -eq "$nalerts" ]'

api "$data" "$port" "/api/v1/incidents?customer=$cid&limit=1000&lang=en" >"$work/inc.json"
json_get '"\n".join(sorted("%s %s" % (i["family"], i["entity"]) for i in d["items"]))' \
    <"$work/inc.json" >"$work/got"
check "the incidents are the expected (family, entity) groups" 'diff "$work/expected" "$work/got"'
check "every alert joined an incident" \
    '[ "$(json_get "sum(i[\"alert_count\"] for i in d[\"items\"])" <"$work/inc.json")" -eq "$nalerts" ]'
o --lang en incident list --customer "$cid" --limit 1000 >"$work/inc.txt"
check "otasuke incident list shows one line per incident" \
    '[ "$(($(wc -l <"$work/inc.txt") - 1))" -eq "$(wc -l <"$work/expected")" ]'
for fam in $(cut -d" " -f1 "$work/expected" | sort -u); do
    check "otasuke incident list shows $fam" 'grep -q " $fam " "$work/inc.txt"'
done
# An incident's severity is its highest alert's (1 high, 2 medium, 3 low).
bf_sev=$(python3 -c '
import json, sys
s = min(e["alert"]["severity"] for e in map(json.loads, open(sys.argv[1]))
        if e["event_type"] == "alert" and e["alert"]["category"] == "bruteforce")
print({1: "high", 2: "medium", 3: "low"}[s])' "$work/ref.json")
check "the bruteforce incident has its alerts' severity ($bf_sev)" \
    'grep " bruteforce " "$work/inc.txt" | grep -q " $bf_sev "'

finish
