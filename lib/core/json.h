/*
 * A small streaming JSON writer for the hot path.
 *
 * Writes one document (one NDJSON line) at a time into a growable buffer that
 * never grows past `max` bytes.  Keys are passed by the caller; a NULL key
 * means "array element".  Strings are escaped; bytes that are not valid UTF-8
 * are written as \u00XX (their Latin-1 code point, as Suricata does), so the
 * output is always valid UTF-8 JSON whatever the packet carried.
 *
 * When a document would pass `max`, the writer sets `overflow` and ignores
 * further writes; the caller checks ot_jw_ok() and drops (and counts) it.
 * The writer owns `buf`; ot_jw_free() releases it.
 */
#ifndef OT_CORE_JSON_H
#define OT_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OT_JW_MAX_DEPTH 32

struct ot_jw {
    char *buf;
    size_t len;
    size_t cap;
    size_t max;
    uint32_t depth;
    uint64_t need_comma; /* bit d: the next item at depth d needs a comma */
    bool overflow;
};

int ot_jw_init(struct ot_jw *w, size_t initial, size_t max);
void ot_jw_free(struct ot_jw *w);
/* Start a new document at len 0. */
void ot_jw_reset(struct ot_jw *w);
static inline bool ot_jw_ok(const struct ot_jw *w)
{
    return !w->overflow;
}

void ot_jw_obj_open(struct ot_jw *w, const char *key);
void ot_jw_obj_close(struct ot_jw *w);
void ot_jw_arr_open(struct ot_jw *w, const char *key);
void ot_jw_arr_close(struct ot_jw *w);

void ot_jw_str(struct ot_jw *w, const char *key, const char *s);
/* Bytes from the wire: any content, any length (escaped). */
void ot_jw_strn(struct ot_jw *w, const char *key, const void *s, size_t n);
void ot_jw_u64(struct ot_jw *w, const char *key, uint64_t v);
void ot_jw_i64(struct ot_jw *w, const char *key, int64_t v);
void ot_jw_double(struct ot_jw *w, const char *key, double v);
void ot_jw_bool(struct ot_jw *w, const char *key, bool v);
void ot_jw_null(struct ot_jw *w, const char *key);
/* Lower-case hex of `n` bytes, optionally with a separator (':' for fingerprints, 0 for none). */
void ot_jw_hex(struct ot_jw *w, const char *key, const uint8_t *b, size_t n, char sep);
/* A value the caller has already rendered as JSON (trusted text). */
void ot_jw_raw(struct ot_jw *w, const char *key, const char *json, size_t n);
/* Append a byte with no structure (e.g. the final '\n'). */
void ot_jw_putc(struct ot_jw *w, char c);

#endif
