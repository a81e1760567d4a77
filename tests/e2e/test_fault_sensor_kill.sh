#!/usr/bin/env bash
# Fault: the sensor is SIGKILLed, twice, and restarted on the same state
# folder: once after it spooled a whole capture while the server was down,
# once in the middle of delivering that spool.  Every event that reached the
# spool must end up stored exactly once, and the stored flow and alert
# events must be exactly those an offline run of the same capture writes.
#
# Sensor behaviour assumed (docs/server/design.md, "Sender"; the options are
# being added): `otasuke-sensor enroll URL TOKEN --state DIR`;
# `otasuke-sensor -r PATH --server --state DIR -s server.event-types=flow`
# spools into DIR/spool/*.ndjson and, with -r, exits once the spool is
# delivered; run on an empty folder it only delivers what is spooled.
. "$(dirname "$0")/lib.sh"
need_server
S=$BIN/otasuke-sensor
sensor_can_send || skip "otasuke-sensor has no 'enroll' command yet (the --server mode is being added)"
STATE_OPT=--state
state=$work/state
ship=(-s server.event-types=flow)

data=$work/data
port=$(free_port)
url=https://127.0.0.1:$port
start_server "$data" "$port" || exit 1
o() { ota "$data" "$port" "$@"; }
o customer add "Sato Denki" >/dev/null && cid=$(o --json customer list | json_get 'd["items"][0]["id"]')
o site add "$cid" HQ >/dev/null && sid=$(o --json site list "$cid" | json_get 'd["items"][0]["id"]')
token=$(o token create --customer "$cid" --site "$sid" | awk '/^token:/ {print $2}')
"$S" enroll "$url" "$token" $STATE_OPT "$state" >/dev/null 2>&1 || { bad "enroll"; finish; }

"$BIN/ot-pcapgen" bench "$work/big.pcap" --packets 200000 --flows 20000 >/dev/null 2>&1 ||
    { bad "ot-pcapgen bench"; finish; }
# A capture without packets: the restarted sensor has only its spool to deliver.
python3 -c 'import struct,sys; open(sys.argv[1],"wb").write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1))' "$work/empty.pcap"
"$S" -q -r "$work/big.pcap" -o "$work/ref.json" || { bad "offline run"; finish; }
want=$(python3 -c "
import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)['event_type'] in ('flow','alert')))" "$work/ref.json")

# 1. Server down: the whole capture goes to the spool; kill the sensor once it stops growing.
stop_server "$SERVER_PID"
"$S" -q -r "$work/big.pcap" --server $STATE_OPT "$state" "${ship[@]}" >"$work/s1.log" 2>&1 &
spid=$!
last=-1
for _ in $(seq 1 600); do
    size=$(cat "$state"/spool/*.ndjson 2>/dev/null | wc -c)
    [ "$size" -gt 0 ] && [ "$size" -eq "$last" ] && break
    last=$size
    sleep 1
done
kill -KILL "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
cat "$state"/spool/*.ndjson | python3 -c "
import json,sys
for l in sys.stdin:
    l = l.strip()
    if l: print(json.loads(l)['event_id'])" | sort -u >"$work/spooled"
check "the killed sensor left its events in the spool ($(wc -l <"$work/spooled"))" \
    '[ "$(wc -l <"$work/spooled")" -ge "$want" ]'

# 2. Server up: deliver, kill the sensor mid-delivery, restart it to finish.
start_server "$data" "$port" || { bad "server restart"; finish; }
"$S" -q -r "$work/empty.pcap" --server $STATE_OPT "$state" "${ship[@]}" >"$work/s2.log" 2>&1 &
spid=$!
for _ in $(seq 1 600); do
    n=$(store_query "$data" "" "SELECT count(*) FROM events WHERE customer_id = $cid")
    [ "${n:-0}" -gt 0 ] && break
    sleep 0.05
done
kill -KILL "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
mid=$(store_query "$data" "" "SELECT count(*) FROM events WHERE customer_id = $cid")
check "the sensor was killed mid-delivery ($mid stored then)" '[ "$mid" -lt "$(wc -l <"$work/spooled")" ]'
timeout 300 "$S" -q -r "$work/empty.pcap" --server $STATE_OPT "$state" "${ship[@]}" >"$work/s3.log" 2>&1
rc=$?
check "the restarted sensor delivered its spool and exited" '[ $rc -eq 0 ]'

store_query "$data" "" "SELECT event_id FROM events WHERE customer_id = $cid" | sort >"$work/stored"
check "every spooled event is stored" '[ -z "$(comm -23 "$work/spooled" "$work/stored")" ]'
check "nothing is stored twice" '[ -z "$(uniq -d "$work/stored")" ]'
got=$(store_query "$data" "" "SELECT count(*) FROM events WHERE customer_id = $cid AND event_type IN ('flow','alert')")
check "the stored flow and alert events are the capture's ($got of $want)" '[ "$got" -eq "$want" ]'

finish
