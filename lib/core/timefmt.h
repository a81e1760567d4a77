#ifndef OT_CORE_TIMEFMT_H
#define OT_CORE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Length of an RFC 3339 UTC timestamp with microseconds: 2024-01-02T03:04:05.123456+0000 */
#define OT_TS_LEN 31

/*
 * Format microseconds since the epoch as Suricata does in EVE
 * ("2024-01-02T03:04:05.123456+0000"), always UTC.  `out` needs OT_TS_LEN + 1
 * bytes.  Returns the length written.  Caches the date part per day, so
 * formatting costs a few divisions.
 */
struct ot_timefmt {
    int64_t cached_sec; /* day number of `cached` (name kept for ABI stability) */
    char cached[20];    /* "YYYY-MM-DDT" */
};

void ot_timefmt_init(struct ot_timefmt *tf);
size_t ot_timefmt_us(struct ot_timefmt *tf, uint64_t us, char *out);

#endif
