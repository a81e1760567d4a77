#!/usr/bin/env bash
# Fault: the server is SIGKILLed in the middle of sustained ingest and
# started again on the same data.  A sender that resends what was not
# acknowledged (tests/e2e/ingest-client.py, logging every acknowledged
# event_id after the 200) must end with every event stored exactly once:
# each acknowledged event is in the store (a 200 means committed), the
# others arrive on the retries, nothing is doubled, and the alerts in
# flight neither lose nor double their incidents.
#
# OT_E2E_STORE=pg runs it on a throw-away PostgreSQL (test_fault_server_kill_pg.sh).
. "$(dirname "$0")/lib.sh"
need_server

store=""
if [ "${OT_E2E_STORE:-sqlite}" = pg ]; then
    command -v psql >/dev/null || skip "psql is not installed"
    pg_start pg
    store=$PG_URL
else
    command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
fi

data=$work/data
port=$(free_port)
start_server "$data" "$port" "$store" || exit 1
python3 "$CLIENT" enrol --url "https://127.0.0.1:$port" --data "$data" --customer "Kill Test" \
    --out "$work/creds.json" || { bad "enrolment"; finish; }
cid=$(json_get 'd["customer_id"]' <"$work/creds.json")

batches=60 size=200 every=50
total=$((batches * size)) alerts=$((total / every))
python3 "$CLIENT" send --creds "$work/creds.json" --prefix kill --batches $batches --size $size \
    --alert-every $every --acks "$work/acks" --pause 0.05 --deadline 180 >"$work/send.json" &
client=$!

# Kill once a few batches are acknowledged, while the client keeps sending.
for _ in $(seq 1 300); do
    [ -f "$work/acks" ] && [ "$(wc -l <"$work/acks")" -ge $((10 * size)) ] && break
    sleep 0.1
done
acked_before=$(wc -l <"$work/acks" 2>/dev/null || echo 0)
stop_server "$SERVER_PID" KILL
check "the server was killed mid-ingest (after $acked_before acknowledged events)" \
    '[ "$acked_before" -gt 0 ] && [ "$acked_before" -lt $total ]'
sleep 1
start_server "$data" "$port" "$store" || { bad "restart after SIGKILL"; finish; }

wait $client
rc=$?
check "the sender finished after the restart" '[ $rc -eq 0 ]'
check "the sender met the outage (network errors or 503s, then retried)" \
    '[ "$(json_get "d[\"retries\"]" <"$work/send.json")" -ge 1 ]'

store_query "$data" "$store" "SELECT event_id FROM events WHERE customer_id = $cid" | sort >"$work/stored"
sort -u "$work/acks" >"$work/acked"
check "every acknowledged event is stored ($(wc -l <"$work/acked") acknowledged)" \
    '[ -z "$(comm -23 "$work/acked" "$work/stored")" ]'
check "every event is stored exactly once ($total)" \
    '[ "$(wc -l <"$work/stored")" -eq $total ] && [ "$(uniq -d "$work/stored" | wc -l)" -eq 0 ]'
check "accepted + duplicates reported to the sender cover every event" \
    '[ "$(json_get "d[\"accepted\"]+d[\"duplicates\"]" <"$work/send.json")" -ge $total ] && [ "$(json_get "d[\"accepted\"]" <"$work/send.json")" -le $total ]'

api "$data" "$port" "/api/v1/incidents?customer=$cid&lang=en" >"$work/inc.json"
check "three incidents, none doubled by the crash" \
    '[ "$(json_get "\",\".join(sorted(i[\"family\"] for i in d[\"items\"]))" <"$work/inc.json")" = "beacon,bruteforce,scan" ]'
check "the incidents hold every alert once ($alerts)" \
    '[ "$(json_get "sum(i[\"alert_count\"] for i in d[\"items\"])" <"$work/inc.json")" -eq $alerts ]'
api "$data" "$port" "/api/v1/devices?customer=$cid" >"$work/dev.json"
check "the device's event counter matches the store" \
    '[ "$(json_get "d[\"items\"][0][\"events\"]" <"$work/dev.json")" -eq $total ]'

finish
