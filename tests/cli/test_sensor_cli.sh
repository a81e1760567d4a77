#!/usr/bin/env bash
# The sensor's command line as a user meets it: help, version, configuration
# check with file:line errors, folder runs, rotation, dropping privileges.
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
S=$BIN/otasuke-sensor
work=$(mktemp -d /tmp/ot-cli-XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0 passes=0
ok() { echo "ok   $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

"$BIN/ot-pcapgen" demo "$work/demo.pcap" 2>/dev/null || { echo "FAIL: ot-pcapgen"; exit 1; }

check "--help prints usage and exits 0" '"$S" --help | grep -q "usage: otasuke-sensor"'
check "--version prints the version" '"$S" --version | grep -Eq "^otasuke-sensor [0-9]+\.[0-9]+\.[0-9]+$"'
"$S" --bogus >/dev/null 2>"$work/err"; rc=$?
check "an unknown option exits 2 with usage" '[ $rc -eq 2 ] && grep -q usage "$work/err"'
"$S" >/dev/null 2>"$work/err"; rc=$?
check "no input is refused with a reason" '[ $rc -eq 1 ] && grep -q "nothing to read" "$work/err"'

printf 'sensor-id = edge-1\nflow.max-flows = 1000\n' >"$work/good.conf"
check "-T accepts a good configuration" '"$S" -c "$work/good.conf" -T | grep -q "configuration OK"'
check "-T -v prints the values in force" '"$S" -c "$work/good.conf" -T -v | grep -E "^sensor-id +=  *edge-1" >/dev/null'
printf 'sensor-id = edge-1\nflow.max-flows = many\nbogus-key = 1\n' >"$work/bad.conf"
"$S" -c "$work/bad.conf" -T 2>"$work/err"; rc=$?
check "-T refuses a bad configuration (exit 1)" '[ $rc -eq 1 ]'
check "the error names file:line and the reason" 'grep -q "bad.conf:2: flow.max-flows: expected a whole number" "$work/err" && grep -q "bad.conf:3: unknown setting .bogus-key." "$work/err"'
check "-s overrides the file" '"$S" -c "$work/good.conf" -s sensor-id=edge-2 -T -v | grep -E "^sensor-id +=  *edge-2" >/dev/null'

# -T with server output: the enrolment must read and libcurl (loaded on demand) must load.
mkdir -p "$work/state"
"$S" -T -s server.enabled=yes -s state-dir="$work/state" >/dev/null 2>"$work/err"; rc=$?
check "-T with server output and no enrolment: exit 1, says to enrol" '[ $rc -eq 1 ] && grep -q "not enrolled" "$work/err"'
cat >"$work/state/enroll.json" <<EOF
{"url": "https://127.0.0.1:1", "device_id": 1, "customer_id": 1, "site_id": 1,
 "credential": "otd_not-a-real-credential", "ca_file": "$work/state/ca.pem"}
EOF
check "-T with server output, enrolled, libcurl present: OK" '"$S" -T -s server.enabled=yes -s state-dir="$work/state" | grep -q "configuration OK"'
OT_LIBCURL=libot-no-such-curl.so.4 "$S" -T -s server.enabled=yes -s state-dir="$work/state" >/dev/null 2>"$work/err"; rc=$?
check "-T with server output and no libcurl: exit 1, names the package" '[ $rc -eq 1 ] && grep -q "libcurl4" "$work/err" && grep -q "libot-no-such-curl" "$work/err"'
"$S" -T -s server.enabled=yes -s state-dir="$work/state" -s server.event-types=alert,alrt >/dev/null 2>"$work/err"; rc=$?
check "-T with server output and a misspelt event type: exit 1, names it" '[ $rc -eq 1 ] && grep -q "alrt" "$work/err"'
docs=$(cd "${OT_SRC:-$BIN/../..}/docs/events" 2>/dev/null && ls *.md | grep -v README | sed 's/\.md$//' | paste -sd, -)
check "-T accepts every event type documented in docs/events/ ($docs)" '[ -n "$docs" ] && "$S" -T -s server.enabled=yes -s state-dir="$work/state" -s server.event-types="$docs" | grep -q "configuration OK"'
"$S" -T -s server.enabled=yes -s state-dir="$work/state" -s "server.event-types= , " >/dev/null 2>"$work/err"; rc=$?
check "-T with server output and no event type to send: exit 1" '[ $rc -eq 1 ] && grep -q "server.event-types is empty" "$work/err"'

"$S" -q -r "$work/demo.pcap" -s sensor-id=cli-test >"$work/out.json"; rc=$?
check "a file run exits 0" '[ $rc -eq 0 ]'
check "every line is JSON with event_id and sensor_id" 'python3 -c "
import json,sys
ids=set()
for l in open(\"$work/out.json\"):
    e=json.loads(l); assert e[\"sensor_id\"]==\"cli-test\"; ids.add(e[\"event_id\"])
n=sum(1 for _ in open(\"$work/out.json\"))
sys.exit(0 if len(ids)==n and n>50 else 1)"'

mkdir "$work/dir"
cp "$work/demo.pcap" "$work/dir/b.pcap"
cp "$work/demo.pcap" "$work/dir/a.pcap"
"$S" -q -r "$work/dir" -o "$work/dir.json"; rc=$?
check "a folder run reads every capture" '[ $rc -eq 0 ] && tail -1 "$work/dir.json" | grep -q "\"files\":2"'

"$S" -q -r "$work/demo.pcap" -o "$work/rot.json" -s output.rotate-size=8k -s output.rotate-keep=3
check "rotation keeps files under the size and at most keep files" '[ -f "$work/rot.json.1" ] && [ -f "$work/rot.json.3" ] && [ ! -f "$work/rot.json.4" ] && [ $(stat -c %s "$work/rot.json.1") -le 8192 ]'

if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    "$S" -r "$work/demo.pcap" -u nobody -o - >"$work/nobody.json" 2>"$work/nobody.err"; rc=$?
    check "-u nobody: runs after switching user" '[ $rc -eq 0 ] && grep -q "running as user .nobody." "$work/nobody.err" && [ -s "$work/nobody.json" ]'
    "$S" -r "$work/demo.pcap" -u no-such-user-xyz -o - >/dev/null 2>"$work/err"; rc=$?
    check "-u with an unknown user is refused" '[ $rc -eq 1 ] && grep -q "no such user" "$work/err"'
    # Folders written later (asset state, rotated output) must be the new user's to write.
    mkdir -p "$work/rootonly" && chmod 700 "$work/rootonly"
    "$S" -q -r "$work/demo.pcap" -u nobody -o - -s asset.state-file="$work/rootonly/a.state" >/dev/null 2>"$work/err"; rc=$?
    check "-u nobody with an asset state folder it cannot write: refused at start, saying which" '[ $rc -eq 1 ] && grep -q "cannot write to $work/rootonly (asset.state-file" "$work/err"'
    "$S" -q -r "$work/demo.pcap" -u nobody -o "$work/rootonly/out.json" -s output.rotate-size=8k >/dev/null 2>"$work/err"; rc=$?
    check "-u nobody rotating output in a folder it cannot write: refused at start" '[ $rc -eq 1 ] && grep -q "output.rotate-size" "$work/err"'
else
    echo "skip -u checks: not root or no user nobody"
fi
"$S" -q -r "$work/missing.pcap" 2>"$work/err"; rc=$?
check "a missing capture is refused with its name" '[ $rc -eq 1 ] && grep -q "missing.pcap" "$work/err"'
echo "not a capture" >"$work/text.pcap"
"$S" -q -r "$work/text.pcap" 2>"$work/err"; rc=$?
check "a file that is not a capture is refused" '[ $rc -eq 1 ] && grep -q "not a readable pcap" "$work/err"'
"$S" -q -i no-such-if0 -d 1 2>"$work/err"; rc=$?
check "a missing interface is refused with a reason" '[ $rc -eq 1 ] && grep -q "no-such-if0" "$work/err"'

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
