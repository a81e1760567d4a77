# Shared by scripts/bench.sh and scripts/bench-detect.sh (sourced; B, cap and
# REPEAT set by the caller).
#
# paired_loops ERRFILE SENSOR-CMD...: REPEAT rounds, each running the bare
# libpcap loop and then the sensor command back to back, and taking the time
# each reports of its own read loop (the bare loop's "seconds=", the sensor's
# "in S s" summary on stderr, kept in ERRFILE).  Sets bare_loop and loop (the
# best of each) and share_med, share_min, share_max: the median and range of
# the rounds' own shares (100 * bare / sensor).  On a shared host the load
# drifts between rounds, and the median of the paired shares moves less than
# the ratio of two best times.
paired_loops() {
    local err=$1 shares="" tb t
    shift
    bare_loop="" loop=""
    for _ in $(seq "$REPEAT"); do
        tb=$("$B"/bench/bench_pcap_loop "$cap" | sed -nE 's/.*seconds=([0-9.]+).*/\1/p')
        if [ -z "$bare_loop" ] || [ "$(echo "$tb < $bare_loop" | bc -l)" -eq 1 ]; then bare_loop=$tb; fi
        "$@" 2>"$err" >/dev/null
        t=$(sed -nE 's/.* in ([0-9.]+) s .*/\1/p' "$err" | tail -1)
        if [ -z "$loop" ] || [ "$(echo "$t < $loop" | bc -l)" -eq 1 ]; then loop=$t; fi
        shares="$shares $(echo "100 * $tb / $t" | bc -l)"
    done
    read -r share_med share_min share_max <<<"$(echo "$shares" | tr ' ' '\n' | sed '/^$/d' | sort -g |
        awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR]}')"
}
