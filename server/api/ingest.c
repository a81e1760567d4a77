/*
 * NDJSON ingest batch parser (see ingest.h).  Nothing here allocates more
 * than the batch's arrays (bounded by max_lines) and the reject list
 * (bounded by max_rejects); each line is parsed by jansson only after the
 * cheap checks (length, nesting) passed.
 */
#include "api/ingest.h"
#include "core/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otasuke/error.h"

void ot_ingest_limits_defaults(struct ot_ingest_limits *l)
{
    l->max_lines = 10000;
    l->max_line = 1024 * 1024;
    l->max_depth = 32;
    l->max_rejects = 1000;
}

/* Frees what the batch owns and leaves it zeroed, ready for reuse. */
void ot_ingest_batch_free(struct ot_ingest_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        json_decref(b->json[i]);
    free(b->ev);
    free(b->json);
    free(b->rej);
    memset(b, 0, sizeof(*b));
}

/*
 * Deepest bracket nesting of p[0..n), counting only '{' and '[' outside
 * strings.  Stops scanning once the depth passes stop_after (the caller only
 * needs to know "too deep").  Malformed text gives some number; jansson
 * rejects it afterwards.
 */
unsigned ot_ingest_json_depth(const char *p, size_t n, unsigned stop_after)
{
    unsigned depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max) {
                max = depth;
                if (max > stop_after)
                    return max;
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return max;
}

/* Records a rejected line; beyond max_rejects only the count grows. */
static int reject(struct ot_ingest_batch *b, const struct ot_ingest_limits *lim, size_t line,
                  const char *what, const char *detail)
{
    b->rejected++;
    if (b->nrej >= lim->max_rejects)
        return 0;
    if (b->nrej == b->rej_cap) {
        size_t nc = b->rej_cap ? b->rej_cap * 2 : 16;
        if (nc > lim->max_rejects)
            nc = lim->max_rejects;
        struct ot_ingest_reject *nr = realloc(b->rej, nc * sizeof(*nr));
        if (!nr)
            return OT_ENOMEM;
        b->rej = nr;
        b->rej_cap = nc;
    }
    struct ot_ingest_reject *r = &b->rej[b->nrej++];
    r->line = line;
    snprintf(r->reason, sizeof(r->reason), "%s%s", what, detail ? detail : "");
    return 0;
}

/* Appends an accepted line (takes the reference to j). */
static int accept_line(struct ot_ingest_batch *b, json_t *j, const struct ot_store_event *e)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        struct ot_store_event *ne = realloc(b->ev, nc * sizeof(*ne));
        if (!ne)
            return OT_ENOMEM;
        b->ev = ne;
        json_t **nj = realloc(b->json, nc * sizeof(*nj));
        if (!nj)
            return OT_ENOMEM;
        b->json = nj;
        b->cap = nc;
    }
    b->ev[b->n] = *e;
    b->json[b->n] = j;
    b->n++;
    return 0;
}

/* Validates one non-blank line; accepted or rejected, never fails but for memory. */
static int parse_line(struct ot_ingest_batch *b, const struct ot_ingest_limits *lim, const char *p,
                      size_t n, size_t lineno)
{
    if (n > lim->max_line) {
        char lim_s[48];
        snprintf(lim_s, sizeof(lim_s), "%zu bytes", lim->max_line);
        return reject(b, lim, lineno, "line longer than ", lim_s);
    }
    if (ot_ingest_json_depth(p, n, lim->max_depth) > lim->max_depth) {
        char d[32];
        snprintf(d, sizeof(d), "%u levels", lim->max_depth);
        return reject(b, lim, lineno, "JSON nested deeper than ", d);
    }
    json_error_t err;
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!j) {
        if (json_error_code(&err) == json_error_invalid_utf8)
            return reject(b, lim, lineno, "invalid UTF-8", NULL);
        if (json_error_code(&err) == json_error_out_of_memory)
            return OT_ENOMEM;
        return reject(b, lim, lineno, "invalid JSON: ", err.text);
    }
    const char *why = NULL;
    struct ot_store_event e = {.body = p, .body_len = n};
    json_t *id = NULL, *type = NULL, *ts = NULL;
    if (!json_is_object(j)) {
        why = "not a JSON object";
        goto out_reject;
    }
    id = json_object_get(j, "event_id");
    type = json_object_get(j, "event_type");
    ts = json_object_get(j, "timestamp");
    if (!json_is_string(id)) {
        why = "event_id missing or not a string";
    } else if (json_string_length(id) < 1 || json_string_length(id) > OT_INGEST_EVENT_ID_MAX) {
        why = "event_id must be 1 to 128 bytes";
    } else if (memchr(json_string_value(id), '\0', json_string_length(id))) {
        why = "event_id contains NUL";
    } else if (!json_is_string(type)) {
        why = "event_type missing or not a string";
    } else if (json_string_length(type) < 1 ||
               json_string_length(type) > OT_INGEST_EVENT_TYPE_MAX) {
        why = "event_type must be 1 to 64 bytes";
    } else if (!json_is_string(ts)) {
        why = "timestamp missing or not a string";
    } else if (!ot_rfc3339_parse(json_string_value(ts), json_string_length(ts), &e.ts)) {
        why = "timestamp is not RFC 3339";
    }
    if (why)
        goto out_reject;
    e.event_id = json_string_value(id);
    e.event_id_len = json_string_length(id);
    e.event_type = json_string_value(type);
    e.event_type_len = json_string_length(type);
    int rc = accept_line(b, j, &e);
    if (rc)
        json_decref(j);
    return rc;

out_reject:
    json_decref(j);
    return reject(b, lim, lineno, why, NULL);
}

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* See ingest.h. */
int ot_ingest_parse(const char *buf, size_t len, const struct ot_ingest_limits *lim,
                    struct ot_ingest_batch *b)
{
    const char *p = buf, *end = buf + len;
    size_t lineno = 0;
    int rc = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        const char *next = nl ? nl + 1 : end;
        lineno++;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (!blank(p, n)) {
            if (++b->lines > lim->max_lines) {
                ot_ingest_batch_free(b);
                return OT_ELIMIT;
            }
            rc = parse_line(b, lim, p, n, lineno);
            if (rc)
                goto out_fail;
        }
        p = next;
    }
    return 0;

out_fail:
    ot_ingest_batch_free(b);
    return rc;
}
