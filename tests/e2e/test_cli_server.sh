#!/usr/bin/env bash
# The admin CLI against a real otasuke-server (SQLite, temporary data folder):
# customers, sites, tokens, devices, incidents made by triage from ingested
# alerts, status changes with their audit trail, the funnel, suppression
# rules, revocation, and the documented exit codes (1 usage, 2 refused,
# 3 cannot connect).
. "$(dirname "$0")/lib.sh"
need_server

data=$work/data
port=$(free_port)
start_server "$data" "$port" || exit 1
o() { ota "$data" "$port" "$@"; }

o customer add "Tanaka Shoten" >"$work/out" 2>"$work/err"
check "customer add prints the new id" 'grep -Eq "^customer [0-9]+ created: Tanaka Shoten$" "$work/out"'
cid=$(o --json customer list | json_get '[c["id"] for c in d["items"] if c["name"]=="Tanaka Shoten"][0]')
o customer add "Tanaka Shoten" >/dev/null 2>"$work/err"
rc=$?
check "a taken name: exit 2 with the server's reason" '[ $rc -eq 2 ] && grep -q "(409)" "$work/err"'
o customer add "田中商店" >/dev/null
check "customer list is a table with both names" 'o customer list | grep -q "Tanaka Shoten" && o customer list | grep -q "田中商店"'

o site add "Tanaka Shoten" "Head office" >"$work/out"
check "site add takes the customer by name" 'grep -Eq "^site [0-9]+ created for customer $cid: Head office$" "$work/out"'
sid=$(o --json site list "$cid" | json_get 'd["items"][0]["id"]')
check "site list shows it" 'o site list "$cid" | grep -q "Head office"'

o token create --customer "$cid" --site "$sid" --ttl 1h >"$work/tok"
check "token create prints the token and the enrol command" \
    'grep -Eq "^token: +ote_[A-Za-z0-9_-]+\.[0-9a-f]{64}$" "$work/tok" && grep -Eq "^  otasuke-sensor enroll https://127.0.0.1:$port ote_" "$work/tok"'
o token create --customer "$cid" --site "$sid" --ttl 10s >/dev/null 2>"$work/err"
rc=$?
check "a ttl under a minute is a usage error (exit 1)" '[ $rc -eq 1 ] && grep -q -- "--ttl" "$work/err"'

python3 "$CLIENT" enrol --url "https://127.0.0.1:$port" --data "$data" --customer "Tanaka Shoten" \
    --out "$work/creds.json" || { bad "enrolment by the test client"; finish; }
dev=$(json_get 'd["device_id"]' <"$work/creds.json")
check "device list shows the enrolled device" 'o device list --customer "$cid" | grep -Eq "^ *$dev +$cid "'

python3 "$CLIENT" send --creds "$work/creds.json" --prefix cli --batches 5 --size 100 \
    --alert-every 10 >"$work/send.json"
check "the client's 500 events were accepted" '[ "$(json_get "d[\"accepted\"]" <"$work/send.json")" = 500 ]'

o --json incident list --customer "$cid" >"$work/inc.json"
check "triage made three incidents (scan, bruteforce, beacon)" \
    '[ "$(json_get "\",\".join(sorted(i[\"family\"] for i in d[\"items\"]))" <"$work/inc.json")" = "beacon,bruteforce,scan" ]'
o --lang en incident list --customer "$cid" >"$work/inc.txt"
check "incident list is a table with the families" 'head -1 "$work/inc.txt" | grep -q "^ID  CUSTOMER  SEVERITY  STATUS" && grep -q bruteforce "$work/inc.txt"'
bf=$(json_get '[i["id"] for i in d["items"] if i["family"]=="bruteforce"][0]' <"$work/inc.json")
o --lang en incident show "$bf" >"$work/show.en"
o --lang ja incident show "$bf" >"$work/show.ja"
check "incident show: title, entity, steps, alerts" \
    'grep -q "^entity  *203.0.113.8$" "$work/show.en" && grep -q "^what to do:" "$work/show.en" && grep -q "^alerts:" "$work/show.en"'
check "the Japanese title differs from the English one" \
    '[ "$(grep "^title" "$work/show.ja")" != "$(grep "^title" "$work/show.en")" ] && grep "^title" "$work/show.ja" | LC_ALL=C grep -q -P "[\x80-\xff]"'

other=$(o --json customer list | json_get '[c["id"] for c in d["items"] if c["name"]=="田中商店"][0]')
o incident show "$bf" --customer "Tanaka Shoten" >/dev/null
rc=$?
check "incident show --customer (by name) of its own customer" '[ $rc -eq 0 ]'
o incident show "$bf" --customer "$other" >/dev/null 2>"$work/err"
rc=$?
check "another customer's incident is 404 under --customer" '[ $rc -eq 2 ] && grep -q "(404)" "$work/err"'
o incident set "$bf" acknowledged --customer "$other" >/dev/null 2>&1
rc=$?
check "incident set --customer of another customer is refused" '[ $rc -eq 2 ]'
o incident set "$bf" acknowledged >"$work/out"
check "incident set acknowledged" 'grep -q "is now acknowledged" "$work/out"'
o incident set "$bf" resolved >/dev/null 2>"$work/err"
rc=$?
check "resolved without a resolution is refused (exit 2, reason shown)" '[ $rc -eq 2 ] && grep -q "(400)" "$work/err"'
o incident set "$bf" resolved --resolution false-positive --note "our own audit" --actor tester >"$work/out"
check "resolved with a resolution" 'grep -q "is now resolved" "$work/out"'
o incident show "$bf" >"$work/show2"
check "the audit trail shows both changes by their actors" '[ "$(grep -c "incident" "$work/show2")" -ge 2 ] && grep -q tester "$work/show2"'
check "--status open leaves the resolved one out" \
    '[ "$(o --json incident list --customer "$cid" --status open | json_get "len(d[\"items\"])")" = 2 ]'
o incident set "$bf" closed >/dev/null 2>&1
rc=$?
check "an unknown status is a usage error" '[ $rc -eq 1 ]'

o funnel --customer "$cid" >"$work/funnel"
check "funnel: events -> alerts -> incidents" 'grep -Eq "^events 500 -> alerts 50 -> suppressed 0 -> incidents 3" "$work/funnel"'
check "funnel: a row per family" 'grep -Eq "^bruteforce +[0-9]+" "$work/funnel"'
o funnel --since 2001-02-30 >/dev/null 2>&1
rc=$?
check "a bad --since is a usage error" '[ $rc -eq 1 ]'

o suppress add --customer "$cid" --family scan --src 203.0.113.7 >"$work/out"
check "suppress add" 'grep -Eq "^suppression rule [0-9]+ added" "$work/out"'
rule=$(o --json suppress list --customer "$cid" | json_get 'd["items"][0]["id"]')
python3 "$CLIENT" send --creds "$work/creds.json" --prefix cli2 --batches 3 --size 100 \
    --alert-every 10 >/dev/null
check "suppressed alerts are counted in the funnel" \
    '[ "$(o --json funnel --customer "$cid" | json_get "d[\"suppressed\"]")" -ge 1 ]'
o suppress add --customer "$cid" >/dev/null 2>&1
rc=$?
check "an empty rule is refused before asking the server" '[ $rc -eq 1 ]'
o suppress delete "$rule" --customer "$cid" >"$work/out"
check "suppress delete" 'grep -q "deleted" "$work/out" && [ "$(o --json suppress list --customer "$cid" | json_get "len(d[\"items\"])")" = 0 ]'

o device revoke "$dev" >"$work/out"
check "device revoke" 'grep -q "revoked" "$work/out"'
python3 "$CLIENT" send --creds "$work/creds.json" --prefix cli3 --batches 1 --size 10 >/dev/null 2>"$work/err"
rc=$?
check "a revoked device is refused" '[ $rc -ne 0 ] && grep -q "401" "$work/err"'

echo ota_wrong >"$work/wrong.key"
o --key-file "$work/wrong.key" customer list >/dev/null 2>"$work/err"
rc=$?
check "a wrong admin key: exit 2 with 401" '[ $rc -eq 2 ] && grep -q "(401)" "$work/err"'
"$BIN/otasuke" --server "https://127.0.0.1:$(free_port)" --data "$data" customer list >/dev/null 2>"$work/err"
rc=$?
check "nobody listening: exit 3" '[ $rc -eq 3 ] && grep -q "cannot reach" "$work/err"'
"$BIN/otasuke" --server "https://127.0.0.1:$port" --data "$data" --ca /etc/ssl/certs/ca-certificates.crt \
    customer list >/dev/null 2>"$work/err"
rc=$?
check "a server the CA does not vouch for: exit 3" '[ $rc -eq 3 ]'
o frobnicate >/dev/null 2>&1
rc=$?
check "an unknown command: exit 1" '[ $rc -eq 1 ]'
o incident show 999999 >/dev/null 2>"$work/err"
rc=$?
check "an unknown incident: exit 2 (404)" '[ $rc -eq 2 ] && grep -q "(404)" "$work/err"'

finish
