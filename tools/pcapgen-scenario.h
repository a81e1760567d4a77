/*
 * ot-pcapgen scenarios: small captures of one attack (or its harmless look-
 * alike) each, for the detection tests.
 *
 *   ot-pcapgen scenario NAME OUT.pcap [--count N] [--seed S]
 *   ot-pcapgen scenario --list
 *
 * Every scenario is one function in a pcapgen-scenario-<family>.c file and
 * one row in the table in pcapgen-scenario.c.  `count` is the scenario's
 * main knob (ports probed, login attempts, check-ins, ...), so a test can
 * write captures just below and just above a detector's threshold; each row
 * says what count means and its default.  Scenarios are deterministic: same
 * name, count and seed, same bytes.  Addresses: the home network is
 * 192.168.1.0/24 (and fd6f:7461:7375:1::/64); outside hosts use
 * documentation ranges (198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
 */
#ifndef OT_TOOLS_PCAPGEN_SCENARIO_H
#define OT_TOOLS_PCAPGEN_SCENARIO_H

#include <stdint.h>

#include "pcapgen-pkt.h"
#include "pcapgen-sink.h"

/* Scenarios start at 2026-02-02T10:00:00Z. */
#define OT_PG_SCENARIO_T0 1770026400000000ull

struct ot_pg_scenario_args {
    uint32_t count;      /* the scenario's knob (0 = its default) */
    uint64_t seed;
    uint64_t t0;         /* OT_PG_SCENARIO_T0 */
};

struct ot_pg_scenario {
    const char *name;     /* "scan-horizontal" */
    const char *family;   /* alert.category it should raise, or "none" for a benign look-alike */
    const char *count_is; /* what --count means, e.g. "hosts probed" */
    uint32_t count_default;
    /* Write the frames into SK (a sorted sink). Returns 0 or OT_E*. */
    int (*write)(struct ot_pg_sink *sk, const struct ot_pg_scenario_args *a);
};

/* The table (pcapgen-scenario.c), NULL-name terminated. */
extern const struct ot_pg_scenario ot_pg_scenarios[];

const struct ot_pg_scenario *ot_pg_scenario_find(const char *name);

#endif
