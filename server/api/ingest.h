/*
 * Ingest batch parser: splits an NDJSON body into lines and validates each one
 * (docs/server/design.md "Ingest").  Pure: no store, no network, no clock, so
 * it is unit-tested and fuzzed on its own (fuzz/fuzz_ingest.c).
 *
 * A line is accepted when it is a JSON object (UTF-8, nesting <= max_depth,
 * checked before jansson sees it) with a string event_id of 1..128 bytes, a
 * string event_type of 1..64 bytes and an RFC 3339 timestamp.  Blank lines
 * (only spaces, tabs, \r) are skipped but keep their line number; "\r\n" ends
 * a line like "\n"; a final line without a newline counts.  Every other line
 * is rejected with its 1-based line number and a short English reason.
 *
 * Ownership: the batch owns the parsed objects (json) and the reject list;
 * the events' body pointers point into the caller's buffer, which must
 * outlive the batch; event_id/event_type point into the parsed objects.
 * ot_ingest_batch_free() releases everything the batch owns.
 */
#ifndef OT_SERVER_API_INGEST_H
#define OT_SERVER_API_INGEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define OT_INGEST_EVENT_ID_MAX   128
#define OT_INGEST_EVENT_TYPE_MAX 64
#define OT_INGEST_REASON_MAX     120

struct ot_ingest_limits {
    size_t max_lines;   /* non-blank lines per batch; more -> OT_ELIMIT (413) */
    size_t max_line;    /* bytes per line; longer lines are rejected */
    unsigned max_depth; /* JSON nesting; deeper lines are rejected */
    size_t max_rejects; /* reasons kept; the rest are counted in rejects_dropped */
};
void ot_ingest_limits_defaults(struct ot_ingest_limits *l);

struct ot_ingest_reject {
    size_t line; /* 1-based */
    char reason[OT_INGEST_REASON_MAX];
};

struct ot_ingest_batch {
    struct ot_store_event *ev; /* accepted lines, in order */
    json_t **json;             /* json[i] is ev[i] parsed (owned) */
    size_t n, cap;
    struct ot_ingest_reject *rej;
    size_t nrej, rej_cap;
    size_t rejected; /* every rejected line, including those past max_rejects */
    size_t lines;    /* non-blank lines seen */
};

/*
 * Parses buf[0..len) into b (which must be zeroed or fresh from a previous
 * free).  Returns 0; OT_ELIMIT when the batch has more than max_lines
 * non-blank lines (the batch is then emptied: the whole request is refused);
 * OT_ENOMEM.
 */
int ot_ingest_parse(const char *buf, size_t len, const struct ot_ingest_limits *lim,
                    struct ot_ingest_batch *b);
void ot_ingest_batch_free(struct ot_ingest_batch *b);


/* Nesting depth of the JSON text p[0..n) (brackets outside strings), for the pre-check. */
unsigned ot_ingest_json_depth(const char *p, size_t n, unsigned stop_after);

#endif
