#!/usr/bin/env bash
# Sensor throughput benchmark (not part of the test suite).
#
#   scripts/bench.sh [CAPTURE]
#
# Without CAPTURE it builds ../shared/data/pcaps/make-bench.py's capture into
# build/bench/ (or, when ../shared is absent, a large capture from
# ot-pcapgen).  Prints one row per contender: the bare libpcap read loop (the
# limit), the sensor with all parsing writing to /dev/null, the sensor writing
# to a file, and nDPI's ndpiReader.  Each runs REPEAT times (default 3); the
# best wall time is reported, with its peak RSS.
#
# BUILD=dir builds and runs from dir instead of build/ (bench/ output goes to
# dir/bench/).
#
# With IR=1 (and valgrind installed) it also counts the instructions of the
# bare loop and of the sensor under callgrind: unlike wall time, the count
# does not move when other work shares the machine, so it is the figure to
# compare changes by (it takes about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
./scripts/setup.sh
B=${BUILD:-build}
./scripts/build.sh "$B" >/dev/null
REPEAT=${REPEAT:-3}
mkdir -p "$B/bench"
cap=${1:-}
if [ -z "$cap" ]; then
    shared=../shared/data/pcaps/make-bench.py
    if [ -f "$shared" ]; then
        cap=$B/bench/mixed.pcap
        [ -s "$cap" ] || python3 "$shared" 3 "$PWD/$cap" >&2
    else
        echo "bench: ../shared/data absent: generating a capture with ot-pcapgen" >&2
        cap=$B/bench/generated.pcap
        [ -s "$cap" ] || "$B"/bin/ot-pcapgen bench "$cap" --packets 3000000
    fi
fi
size=$(stat -c %s "$cap")

# best_of CMD...: runs CMD REPEAT times, prints "seconds peak_rss_kb" of the fastest run.
best_of() {
    local best="" rss=""
    for _ in $(seq "$REPEAT"); do
        local t0 t1 m
        t0=$(date +%s.%N)
        /usr/bin/time -o "$B"/bench/time.out -f "%M" "$@" >/dev/null 2>/dev/null
        m=$(tail -1 "$B"/bench/time.out)
        t1=$(date +%s.%N)
        local el
        el=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$el < $best" | bc -l)" -eq 1 ]; then
            best=$el
            rss=$m
        fi
    done
    echo "$best $rss"
}

read -r packets bytes <<<"$("$B"/bench/bench_pcap_loop "$cap" | sed -E 's/.*packets=([0-9]+) bytes=([0-9]+).*/\1 \2/')"
echo "capture: $cap ($((size / 1048576)) MiB, $packets packets, $bytes bytes on the wire)"
printf "%-34s %10s %12s %10s %12s\n" "contender" "seconds" "packets/s" "Mbit/s" "peak RSS MiB"
row() {
    local name=$1 sec=$2 rss=$3
    printf "%-34s %10.3f %12.0f %10.1f %12.1f\n" "$name" "$sec" \
        "$(echo "$packets / $sec" | bc -l)" "$(echo "$bytes * 8 / $sec / 1000000" | bc -l)" \
        "$(echo "$rss / 1024" | bc -l)"
}
read -r s r <<<"$(best_of "$B"/bench/bench_pcap_loop "$cap")"; base=$s
row "bare libpcap loop (limit)" "$s" "$r"
read -r s r <<<"$(best_of "$B"/bin/otasuke-sensor -q -r "$cap" -o /dev/null)"; sensor=$s
row "otasuke-sensor -> /dev/null" "$s" "$r"
# The packet loop alone, as the sensor times it in its summary line (from the
# first packet read to the last event written, so without start-up, i.e.
# loading nDPI's and the OUI registry's tables, and without teardown).
# The bare loop's own figure likewise (it prints the time of its read loop).
# Paired rounds (scripts/bench-lib.sh): best of each, and the per-round shares.
paired_loops "$B"/bench/sensor.err "$B"/bin/otasuke-sensor -r "$cap" -o /dev/null -s progress=no
printf "%-34s %10.3f %12.0f %10.1f\n" "  its packet loop (no start-up)" "$loop" \
    "$(echo "$packets / $loop" | bc -l)" "$(echo "$bytes * 8 / $loop / 1000000" | bc -l)"
printf "%-34s %10.3f %12.0f %10.1f\n" "  bare loop, same measure" "$bare_loop" \
    "$(echo "$packets / $bare_loop" | bc -l)" "$(echo "$bytes * 8 / $bare_loop / 1000000" | bc -l)"
read -r s r <<<"$(best_of "$B"/bin/otasuke-sensor -q -r "$cap" -o "$B"/bench/events.json)"
row "otasuke-sensor -> file" "$s" "$r"
rm -f "$B"/bench/events.json
if command -v ndpiReader >/dev/null; then
    read -r s r <<<"$(best_of ndpiReader -q -i "$cap")"
    row "ndpiReader 4.2 (peer)" "$s" "$r"
fi
printf "sensor rate = %.1f %% of the bare loop, whole run; %.1f %% for its packet loop alone (target >= 35 %%)\n" \
    "$(echo "100 * $base / $sensor" | bc -l)" "$(echo "100 * $bare_loop / $loop" | bc -l)"
printf "packet loop, round by round (%s rounds): median %.1f %%, range %.1f-%.1f %%\n" \
    "$REPEAT" "$share_med" "$share_min" "$share_max"

# instructions CMD...: the instruction count of one run under callgrind.
instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
if [ "${IR:-0}" = 1 ] && command -v valgrind >/dev/null; then
    ir_base=$(instructions "$B"/bench/bench_pcap_loop "$cap")
    ir_sensor=$(instructions "$B"/bin/otasuke-sensor -q -r "$cap" -o /dev/null)
    ir_nondpi=$(instructions "$B"/bin/otasuke-sensor -q -r "$cap" -o /dev/null -s ndpi=no)
    printf "%-34s %14s %12s\n" "contender" "instructions" "per packet"
    for r in "bare libpcap loop (limit)|$ir_base" "otasuke-sensor -> /dev/null|$ir_sensor" \
        "otasuke-sensor, ndpi=no|$ir_nondpi"; do
        printf "%-34s %14s %12.0f\n" "${r%%|*}" "${r#*|}" "$(echo "${r#*|} / $packets" | bc -l)"
    done
fi
