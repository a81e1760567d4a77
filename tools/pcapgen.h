/*
 * ot-pcapgen: synthetic capture files for the demo and the benchmark.
 *
 * The two generators each write one classic pcap file (pcapgen-sink.h) and
 * report what they wrote; both are deterministic for a given set of options.
 */
#ifndef OT_TOOLS_PCAPGEN_H
#define OT_TOOLS_PCAPGEN_H

#include <stdint.h>

/* 2026-01-15T09:00:00Z: the first packet of every capture is at or after this. */
#define OT_PG_BASE_TS_US (1768467600ull * 1000000ull)

struct ot_pg_summary {
    uint64_t packets;
    uint64_t bytes;         /* frame bytes (without pcap headers) */
    uint64_t conversations; /* flows the scenario started */
    uint64_t first_ts_us, last_ts_us;
};

/* The demo office network (about a minute of traffic) into PATH ("-": stdout). */
int ot_pg_demo_write(const char *path, struct ot_pg_summary *out);

struct ot_pg_bench_opts {
    uint64_t packets; /* exactly this many packets */
    uint64_t flows;   /* about this many flows */
    uint64_t seed;
};

#define OT_PG_BENCH_PACKETS 2000000u
#define OT_PG_BENCH_MAX     1000000000u

/* Mixed TCP (HTTP, TLS), DNS and other UDP traffic for the benchmark. */
int ot_pg_bench_write(const char *path, const struct ot_pg_bench_opts *o,
                      struct ot_pg_summary *out);

#endif
