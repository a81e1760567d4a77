/*
 * libFuzzer target for the ingest batch parser (server/api/ingest.c).
 *
 * Input: an NDJSON body, parsed twice: with the default limits and with
 * tight ones (3 lines, 64-byte lines, depth 4, 2 kept reasons), so every
 * limit path runs.  Invariants (a break aborts, so libFuzzer reports it):
 *   - accepted + rejected == non-blank lines, unless the line limit refused
 *     the whole batch (then nothing is kept);
 *   - every accepted event has a 1..128-byte id, a 1..64-byte type, a body
 *     inside the input, and parses again as a JSON object;
 *   - reject line numbers rise and every reason is non-empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/ingest.h"
#include "core/timefmt.h"
#include "otasuke/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const char *text, size_t size, const struct ot_ingest_limits *l)
{
    struct ot_ingest_batch b = {0};
    int rc = ot_ingest_parse(text, size, l, &b);
    if (rc == OT_ELIMIT) {
        if (b.n || b.nrej || b.ev)
            abort();
        return;
    }
    if (rc)
        return; /* out of memory */
    if (b.n + b.rejected != b.lines || b.nrej > l->max_rejects || b.nrej > b.rejected)
        abort();
    for (size_t i = 0; i < b.n; i++) {
        const struct ot_store_event *e = &b.ev[i];
        if (e->event_id_len < 1 || e->event_id_len > 128 || e->event_type_len < 1 ||
            e->event_type_len > 64 || e->body < text || e->body + e->body_len > text + size)
            abort();
        json_t *j = json_loadb(e->body, e->body_len, 0, NULL);
        if (!json_is_object(j))
            abort();
        json_decref(j);
    }
    for (size_t i = 0; i < b.nrej; i++)
        if (!b.rej[i].reason[0] || (i > 0 && b.rej[i].line <= b.rej[i - 1].line))
            abort();
    ot_ingest_batch_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct ot_ingest_limits l;
    ot_ingest_limits_defaults(&l);
    run(text, size, &l);
    l.max_lines = 3;
    l.max_line = 64;
    l.max_depth = 4;
    l.max_rejects = 2;
    run(text, size, &l);
    int64_t us;
    ot_rfc3339_parse(text, size < 40 ? size : 40, &us);
    return 0;
}
