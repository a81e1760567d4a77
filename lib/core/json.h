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
 *
 * Keys are our own ASCII literals (never escaped).  Every call that takes a
 * key is an inline wrapper that passes strlen(key) on to the *_k function:
 * for a literal key the compiler folds the length, so a field costs no
 * strlen() at run time (a sensor writes about thirty fields per event).
 */
#ifndef OT_CORE_JSON_H
#define OT_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define OT_JW_MAX_DEPTH 32

/*
 * n bytes of src at o; returns the new end.  Keys, numbers and most values
 * are short, so up to 16 bytes are moved with overlapping word copies rather
 * than a call to memcpy() (the writers below and the EVE renderers use it).
 */
static inline char *ot_put_bytes(char *o, const void *src, size_t n)
{
    const char *s = src;
    if (n > 16) {
        memcpy(o, s, n);
    } else if (n >= 8) {
        memcpy(o, s, 8);
        memcpy(o + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(o, s, 4);
        memcpy(o + n - 4, s + n - 4, 4);
    } else if (n) {
        o[0] = s[0];
        o[n >> 1] = s[n >> 1];
        o[n - 1] = s[n - 1];
    }
    return o + n;
}

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

/* The functions behind the wrappers below: `klen` is strlen(key), 0 when key is NULL. */
void ot_jw_obj_open_k(struct ot_jw *w, const char *key, size_t klen);
void ot_jw_arr_open_k(struct ot_jw *w, const char *key, size_t klen);
void ot_jw_strn_k(struct ot_jw *w, const char *key, size_t klen, const void *s, size_t n);
void ot_jw_u64_k(struct ot_jw *w, const char *key, size_t klen, uint64_t v);
void ot_jw_i64_k(struct ot_jw *w, const char *key, size_t klen, int64_t v);
void ot_jw_double_k(struct ot_jw *w, const char *key, size_t klen, double v);
void ot_jw_bool_k(struct ot_jw *w, const char *key, size_t klen, bool v);
void ot_jw_null_k(struct ot_jw *w, const char *key, size_t klen);
void ot_jw_hex_k(struct ot_jw *w, const char *key, size_t klen, const uint8_t *b, size_t n,
                 char sep);
void ot_jw_raw_k(struct ot_jw *w, const char *key, size_t klen, const char *json, size_t n);

#define OT_JW_KLEN(key) ((key) ? strlen(key) : 0)

static inline void ot_jw_obj_open(struct ot_jw *w, const char *key)
{
    ot_jw_obj_open_k(w, key, OT_JW_KLEN(key));
}
void ot_jw_obj_close(struct ot_jw *w);
static inline void ot_jw_arr_open(struct ot_jw *w, const char *key)
{
    ot_jw_arr_open_k(w, key, OT_JW_KLEN(key));
}
void ot_jw_arr_close(struct ot_jw *w);

/* Bytes from the wire: any content, any length (escaped). */
static inline void ot_jw_strn(struct ot_jw *w, const char *key, const void *s, size_t n)
{
    ot_jw_strn_k(w, key, OT_JW_KLEN(key), s, n);
}
static inline void ot_jw_str(struct ot_jw *w, const char *key, const char *s)
{
    ot_jw_strn_k(w, key, OT_JW_KLEN(key), s, strlen(s));
}
static inline void ot_jw_u64(struct ot_jw *w, const char *key, uint64_t v)
{
    ot_jw_u64_k(w, key, OT_JW_KLEN(key), v);
}
static inline void ot_jw_i64(struct ot_jw *w, const char *key, int64_t v)
{
    ot_jw_i64_k(w, key, OT_JW_KLEN(key), v);
}
static inline void ot_jw_double(struct ot_jw *w, const char *key, double v)
{
    ot_jw_double_k(w, key, OT_JW_KLEN(key), v);
}
static inline void ot_jw_bool(struct ot_jw *w, const char *key, bool v)
{
    ot_jw_bool_k(w, key, OT_JW_KLEN(key), v);
}
static inline void ot_jw_null(struct ot_jw *w, const char *key)
{
    ot_jw_null_k(w, key, OT_JW_KLEN(key));
}
/* Lower-case hex of `n` bytes, optionally with a separator (':' for fingerprints, 0 for none). */
static inline void ot_jw_hex(struct ot_jw *w, const char *key, const uint8_t *b, size_t n, char sep)
{
    ot_jw_hex_k(w, key, OT_JW_KLEN(key), b, n, sep);
}
/* A value the caller has already rendered as JSON (trusted text). */
static inline void ot_jw_raw(struct ot_jw *w, const char *key, const char *json, size_t n)
{
    ot_jw_raw_k(w, key, OT_JW_KLEN(key), json, n);
}
/* Append a byte with no structure (e.g. the final '\n'). */
void ot_jw_putc(struct ot_jw *w, char c);
/*
 * Several fields the caller has already rendered (trusted text, not
 * escaped): `"key":value` pairs joined by commas, none leading or trailing,
 * at least one.  For a writer that builds a fixed set of fields in one go
 * (the EVE header) instead of one call per field.
 */
void ot_jw_fields(struct ot_jw *w, const char *text, size_t n);
/*
 * The same, rendered in place (no copy): makes room for `max` bytes of
 * fields at the current position and returns where they go (the separating
 * comma is already written).  The caller writes at most `max` bytes, then
 * hands the end to ot_jw_fields_commit().  Returns NULL, the document
 * unchanged, when `max` more bytes would pass the writer's bound; the caller
 * then renders the fields elsewhere and passes them to ot_jw_fields(), which
 * bounds the bytes really written.  (NULL too when the buffer cannot grow:
 * the document is then overflowed, as any write would have left it.)
 */
char *ot_jw_fields_reserve(struct ot_jw *w, size_t max);
static inline void ot_jw_fields_commit(struct ot_jw *w, const char *end)
{
    w->len = (size_t)(end - w->buf);
}
/* True when s[0..n) goes into a JSON string as it is (nothing to escape, all ASCII). */
bool ot_jw_plain(const void *s, size_t n);

#endif
