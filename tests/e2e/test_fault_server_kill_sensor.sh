#!/usr/bin/env bash
# Fault: the server is SIGKILLed while the real sensor (lib/transport sender
# and disk spool) is delivering a capture's events, and started again on the
# same data a few seconds later.  The sensor keeps its events in the spool,
# backs off, and delivers the rest once the server is back: in the end every
# event the sensor wrote is stored exactly once, and the sensor exits 0
# within its drain time.  (test_fault_server_kill.sh checks the other half
# of the promise, that an acknowledged batch is already committed, with a
# client that logs every acknowledgement.)
. "$(dirname "$0")/lib.sh"
need_server
S=$BIN/otasuke-sensor
sensor_can_send || skip "otasuke-sensor has no 'enroll' command"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
state=$work/state

data=$work/data
port=$(free_port)
url=https://127.0.0.1:$port
start_server "$data" "$port" || exit 1
o() { ota "$data" "$port" "$@"; }
o customer add "Kato Shoten" >/dev/null && cid=$(o --json customer list | json_get 'd["items"][0]["id"]')
o site add "$cid" HQ >/dev/null && sid=$(o --json site list "$cid" | json_get 'd["items"][0]["id"]')
token=$(o token create --customer "$cid" --site "$sid" | awk '/^token:/ {print $2}')
"$S" enroll "$url" "$token" --state "$state" >/dev/null 2>&1 || { bad "enroll"; finish; }

"$BIN/ot-pcapgen" bench "$work/big.pcap" --packets 300000 --flows 30000 >/dev/null 2>&1 ||
    { bad "ot-pcapgen bench"; finish; }

# Small batches, so that delivery takes long enough to be cut in the middle.
"$S" -q -r "$work/big.pcap" -o "$work/events.json" --server --state "$state" \
    -s server.event-types=flow -s server.drain=120 >"$work/sensor.log" 2>&1 &
spid=$!
for _ in $(seq 1 600); do
    n=$(store_query "$data" "" "SELECT count(*) FROM events WHERE customer_id = $cid")
    [ "${n:-0}" -gt 0 ] && break
    sleep 0.02
done
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
mid=$(store_query "$data" "" "SELECT count(*) FROM events WHERE customer_id = $cid")
want=$(grep -c '"event_type":"flow"' "$work/events.json" || true)
check "the server was killed mid-delivery ($mid of $want stored then)" \
    '[ "$mid" -gt 0 ] && [ "$mid" -lt "$want" ]'
sleep 2
start_server "$data" "$port" || { bad "server restart"; finish; }
wait "$spid"
rc=$?
check "the sensor delivered the rest and exited 0" '[ $rc -eq 0 ]'
grep -q "still spooled" "$work/sensor.log" &&
    check "the sensor's spool is empty at exit" 'grep -q " 0 still spooled" "$work/sensor.log"'

python3 -c "
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e['event_type'] == 'flow': print(e['event_id'])" "$work/events.json" | sort >"$work/written"
store_query "$data" "" "SELECT event_id FROM events WHERE customer_id = $cid" | sort >"$work/stored"
check "every flow event the sensor wrote is stored ($(wc -l <"$work/stored") of $want)" \
    '[ -z "$(comm -23 "$work/written" "$work/stored")" ]'
check "nothing is stored twice" '[ -z "$(uniq -d "$work/stored")" ]'
check "nothing is stored that the sensor did not write" '[ -z "$(comm -13 "$work/written" "$work/stored")" ]'
finish
