#!/usr/bin/env bash
# Sanitizer sweep (not part of the test suite: about 25 minutes on 2 cores).
#
#   scripts/sweep.sh [CAPTURE-FOLDER]      (default ../shared/data/pcaps)
#
# Runs the sensor built with AddressSanitizer and UndefinedBehaviorSanitizer
# (build-asan/) over every capture below the folder, one run per file, with
# every detector on and a small indicator set of each kind (domains, URLs,
# addresses, networks, JA3), so that the parsers, the detectors and the
# indicator matching all see real traffic under the sanitizers.  The test
# suite replays a few hundred of these captures; this reads all of them.
#
# Prints one line per capture a sanitizer complained about (with its first
# report lines), per capture that crashed or ran past the time limit, and a
# summary; exits 1 when there was any.  JOBS=n runs n at once (default:
# the number of cores), TIMEOUT=s bounds one run (default 120).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
dir=${1:-../shared/data/pcaps}
if [ ! -d "$dir" ]; then
    echo "sweep: $dir absent: nothing to sweep (give a folder of captures)" >&2
    exit 2
fi
./scripts/build.sh build-asan -DOT_SANITIZE=ON >/dev/null
out=build-asan/sweep
mkdir -p "$out"
cat >"$out/indicators.txt" <<'EOF'
# sweep indicators: one or more of each kind
evil.example
google.com
example.com
microsoft.com
http://example.com/index.html
https://www.google.com/
8.8.8.8
1.1.1.1/32
10.0.0.0/8
2001:db8::/32
e7d705a3286e19ea42f587b344ee6865
EOF
find -L "$dir" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort >"$out/list.txt"
total=$(wc -l <"$out/list.txt")
if [ "$total" -eq 0 ]; then
    echo "sweep: no capture (*.pcap, *.pcapng, *.cap) below $dir" >&2
    exit 2
fi
echo "sweep: $total captures below $dir, ${JOBS:-$(nproc)} at a time"

# one FILE: prints a line only when something is wrong
one() {
    local f=$1 log rc
    log=$(timeout "${TIMEOUT:-120}" build-asan/bin/otasuke-sensor -q -r "$f" -o /dev/null \
        --indicators build-asan/sweep/indicators.txt -s asset.state-file= 2>&1) && rc=0 || rc=$?
    if grep -q -E 'runtime error|AddressSanitizer|LeakSanitizer' <<<"$log"; then
        echo "SANITIZER $f"
        grep -E 'runtime error|ERROR: |SUMMARY' <<<"$log" | head -3 | sed 's/^/    /'
    elif [ "$rc" -eq 124 ]; then
        echo "TIMEOUT $f"
    elif [ "$rc" -ge 128 ]; then
        echo "CRASH (exit $rc) $f"
    fi
}
export -f one
export TIMEOUT
xargs -a "$out/list.txt" -P "${JOBS:-$(nproc)}" -I{} bash -c 'one "$1"' _ {} | tee "$out/report.txt"
bad=$(grep -c -E '^(SANITIZER|TIMEOUT|CRASH)' "$out/report.txt" || true)
echo "sweep: $total captures, $bad with a finding (report: $out/report.txt)"
[ "$bad" -eq 0 ]
