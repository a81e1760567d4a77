#ifndef OT_CORE_TIMEFMT_H
#define OT_CORE_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of an RFC 3339 UTC timestamp with microseconds: 2024-01-02T03:04:05.123456+0000 */
#define OT_TS_LEN 31

/*
 * Format microseconds since the epoch as Suricata does in EVE
 * ("2024-01-02T03:04:05.123456+0000"), always UTC.  `out` needs OT_TS_LEN + 1
 * bytes.  Returns the length written.  Caches the date part per day and the
 * text of the last two seconds met (events come in bursts within a second,
 * and a flow event alternates between its start and end), so formatting
 * usually costs a copy and the six microsecond digits.
 */
struct ot_timefmt {
    int64_t cached_sec;   /* day number of `cached` (name kept for ABI stability) */
    char cached[20];      /* "YYYY-MM-DDT" */
    uint64_t sec[2];      /* second of sec_text[i] (slot = second & 1); UINT64_MAX: empty */
    char sec_text[2][20]; /* "YYYY-MM-DDTHH:MM:SS" */
};

void ot_timefmt_init(struct ot_timefmt *tf);
size_t ot_timefmt_us(struct ot_timefmt *tf, uint64_t us, char *out);

/*
 * RFC 3339 date-time ("2024-01-02T03:04:05Z", fraction up to 9 digits,
 * offset Z or +HH:MM) into microseconds since the epoch, UTC.  Also takes
 * the offset without a colon ("+0000"), which Suricata's EVE and our sensor
 * write.  A leap second (:60) counts as 59.999999.  false when s[0..n) is
 * not one.  The one parser for event times (server ingest, triage).
 */
bool ot_rfc3339_parse(const char *s, size_t n, int64_t *us /* OUT */);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t ot_days_from_civil(int y, int m, int d);

#endif
