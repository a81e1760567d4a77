/*
 * Plumbing shared by the indicator loaders and the allowlist: reading a file
 * or a buffer as lines of bounded length, and reporting problems as
 * "FILE:LINE: reason" through the caller's callback with a cap on how many.
 *
 * A file is read in 64 KiB chunks, never whole: memory stays bounded by the
 * chunk plus one line (OT_IOC_MAX_LINE), whatever the file's size.  Lines
 * that lie whole inside a chunk are handed over in place; only a line that
 * straddles two chunks is copied.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicators/ioc-internal.h"
#include "otasuke/error.h"

#define CHUNK (64u * 1024u)

void ot_ioc_report_stderr(void *ctx, const char *file, uint32_t line, const char *reason)
{
    (void)ctx;
    if (line)
        fprintf(stderr, "%s:%u: %s\n", file, line, reason);
    else
        fprintf(stderr, "%s: %s\n", file, reason);
}

void ot_ioc_reporter_init_(struct ot_ioc_reporter *r, const char *file, ot_ioc_report_fn fn,
                           void *ctx, uint32_t max)
{
    r->fn = fn ? fn : ot_ioc_report_stderr;
    r->ctx = fn ? ctx : NULL;
    r->file = file;
    r->max = max ? max : OT_IOC_DEFAULT_MAX_REPORTS;
    r->sent = 0;
    r->dropped = 0;
}

void ot_ioc_report_(struct ot_ioc_reporter *r, uint32_t line, const char *fmt, ...)
{
    char msg[512];
    if (r->sent >= r->max) {
        r->dropped++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    r->sent++;
    r->fn(r->ctx, r->file, line, msg);
}

void ot_ioc_report_end_(struct ot_ioc_reporter *r)
{
    char msg[96];
    if (!r->dropped)
        return;
    snprintf(msg, sizeof(msg), "%llu more problems not reported", (unsigned long long)r->dropped);
    r->fn(r->ctx, r->file, 0, msg);
}

/* Hand one line to the callback: without "\r", without a BOM on line 1,
 * flagged when longer than OT_IOC_MAX_LINE. */
static int deliver(struct ot_ioc_lines *l, const char *p, size_t n, bool too_long)
{
    if (l->lineno < UINT32_MAX)
        l->lineno++;
    if (n && p[n - 1] == '\r')
        n--;
    if (l->lineno == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;
        n -= 3;
    }
    if (n > OT_IOC_MAX_LINE) {
        too_long = true;
        n = OT_IOC_MAX_LINE;
    }
    return l->fn(l->ctx, l->lineno, p, n, too_long);
}

/* The buffer holds one byte more than a line may have, for its "\r". */
#define CARRY (OT_IOC_MAX_LINE + 1)

static int feed(struct ot_ioc_lines *l, const char *data, size_t n)
{
    const char *p = data, *end = data + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t seg = (size_t)((nl ? nl : end) - p);
        int rc = 0;
        if (nl && l->len == 0 && !l->too_long) {
            rc = deliver(l, p, seg > CARRY ? CARRY : seg, seg > CARRY);
        } else {
            size_t room = CARRY - l->len;
            if (seg > room) {
                l->too_long = true;
                seg = room;
            }
            memcpy(l->buf + l->len, p, seg);
            l->len += seg;
            if (nl) {
                rc = deliver(l, l->buf, l->len, l->too_long);
                l->len = 0;
                l->too_long = false;
            }
        }
        if (rc)
            return rc;
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}

static int finish(struct ot_ioc_lines *l)
{
    if (l->len == 0 && !l->too_long)
        return 0;
    int rc = deliver(l, l->buf, l->len, l->too_long);
    l->len = 0;
    l->too_long = false;
    return rc;
}

static int read_file(const char *path, struct ot_ioc_lines *l, struct ot_ioc_reporter *rep)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        ot_ioc_report_(rep, 0, "cannot open: %s", strerror(e));
        return e == ENOENT ? OT_ENOENT : OT_EIO;
    }
    char *chunk = malloc(CHUNK);
    if (!chunk) {
        fclose(f);
        return OT_ENOMEM;
    }
    int rc = 0;
    size_t got;
    while (!rc && (got = fread(chunk, 1, CHUNK, f)) > 0)
        rc = feed(l, chunk, got);
    if (!rc && ferror(f)) {
        ot_ioc_report_(rep, 0, "read error: %s", strerror(errno));
        rc = OT_EIO;
    }
    if (!rc)
        rc = finish(l);
    free(chunk);
    fclose(f);
    return rc;
}

int ot_ioc_read_lines_(const char *path, const void *data, size_t len, ot_ioc_line_fn fn, void *ctx,
                       struct ot_ioc_reporter *rep)
{
    struct ot_ioc_lines *l = malloc(sizeof(*l));
    if (!l)
        return OT_ENOMEM;
    l->fn = fn;
    l->ctx = ctx;
    l->lineno = 0;
    l->len = 0;
    l->too_long = false;
    int rc;
    if (!data) {
        rc = read_file(path, l, rep);
    } else {
        rc = feed(l, data, len);
        if (!rc)
            rc = finish(l);
    }
    free(l);
    return rc;
}

void ot_ioc_name_defaults_(const char *path, char *category, size_t ccap, char *source, size_t scap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(source, scap, "%s", base);
    const char *dot = strrchr(base, '.');
    size_t n = (dot && dot != base) ? (size_t)(dot - base) : strlen(base);
    snprintf(category, ccap, "%.*s", (int)(n < ccap ? n : ccap - 1), base);
}
