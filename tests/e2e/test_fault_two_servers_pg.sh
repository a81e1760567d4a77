#!/usr/bin/env bash
# Two otasuke-server processes on one PostgreSQL, ingesting at once for one
# customer: three senders, two of them sending the very same events (same
# event_ids) to different servers.  Triage takes the customer's advisory
# lock, dedup is the (customer, event_id) key: every event is stored once,
# every alert joins exactly one incident, and the three alert groups make
# exactly three incidents — none lost, none doubled.
#
# Both servers share one data folder's keys and certificates (copied), as
# nodes of one deployment would.
. "$(dirname "$0")/lib.sh"
need_server
command -v psql >/dev/null || skip "psql is not installed"
pg_start pg
store=$PG_URL

a=$work/node-a b=$work/node-b
pa=$(free_port)
start_server "$a" "$pa" "$store" || exit 1
pid_a=$SERVER_PID
mkdir -m 700 "$b"
cp -p "$a"/*.pem "$a"/*.key "$b"/
pb=$(free_port)
start_server "$b" "$pb" "$store" || exit 1
check "the second node shares the admin key" \
    'ota "$b" "$pb" customer add "Two Nodes" >/dev/null && ota "$a" "$pa" customer list | grep -q "Two Nodes"'

python3 "$CLIENT" enrol --url "https://127.0.0.1:$pa" --data "$a" --customer "Two Nodes" \
    --out "$work/c1.json" || { bad "enrolment 1"; finish; }
python3 "$CLIENT" enrol --url "https://127.0.0.1:$pb" --data "$b" --customer "Two Nodes" \
    --out "$work/c2.json" || { bad "enrolment 2"; finish; }
cid=$(json_get 'd["customer_id"]' <"$work/c1.json")
check "both devices belong to one customer" '[ "$(json_get "d[\"customer_id\"]" <"$work/c2.json")" = "$cid" ]'

batches=30 size=100 every=5
per=$((batches * size))
# sender 1 -> node A (prefix x), sender 2 -> node B (prefix y), sender 3 -> node B with x's events
python3 "$CLIENT" send --creds "$work/c1.json" --url "https://127.0.0.1:$pa" --prefix x \
    --batches $batches --size $size --alert-every $every >"$work/s1.json" &
s1=$!
python3 "$CLIENT" send --creds "$work/c2.json" --url "https://127.0.0.1:$pb" --prefix y \
    --batches $batches --size $size --alert-every $every >"$work/s2.json" &
s2=$!
python3 "$CLIENT" send --creds "$work/c2.json" --url "https://127.0.0.1:$pb" --prefix x \
    --batches $batches --size $size --alert-every $every >"$work/s3.json" &
s3=$!
wait $s1; r1=$?
wait $s2; r2=$?
wait $s3; r3=$?
check "the three senders finished" '[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ $r3 -eq 0 ]'

sum_field() { python3 -c "import json,sys; print(sum(json.load(open(f))['$1'] for f in sys.argv[1:]))" "$work"/s[123].json; }
check "accepted = the distinct events ($((2 * per))), the rest reported as duplicates" \
    '[ "$(sum_field accepted)" -eq $((2 * per)) ] && [ "$(sum_field duplicates)" -eq $per ]'
stored=$(store_query "" "$store" "SELECT count(*), count(DISTINCT event_id) FROM events WHERE customer_id = $cid")
check "each event stored once ($stored)" '[ "$stored" = "$((2 * per))|$((2 * per))" ]'

api "$a" "$pa" "/api/v1/incidents?customer=$cid&lang=en" >"$work/inc.json"
check "exactly three incidents for the three alert groups" \
    '[ "$(json_get "\",\".join(sorted(i[\"family\"] for i in d[\"items\"]))" <"$work/inc.json")" = "beacon,bruteforce,scan" ]'
check "every alert joined one incident ($((2 * per / every)))" \
    '[ "$(json_get "sum(i[\"alert_count\"] for i in d[\"items\"])" <"$work/inc.json")" -eq $((2 * per / every)) ]'
orphans=$(store_query "" "$store" "SELECT count(*) FROM alerts WHERE customer_id = $cid AND incident_id = 0 AND suppressed_by = 0")
check "no alert left without an incident" '[ "$orphans" = 0 ]'
check "node B sees the same incidents" \
    '[ "$(api "$b" "$pb" "/api/v1/incidents?customer=$cid" | json_get "len(d[\"items\"])")" = 3 ]'

finish
