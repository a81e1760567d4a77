/*
 * The spool's pure parts: the text of spool.state and the scan of a
 * segment's bytes.  No files here, so the fuzz targets can drive them.
 *
 * spool.state:
 *   otasuke-spool 1
 *   segment N
 *   offset N
 *   dropped N
 *   dropped_unreported N
 * Unknown keys are ignored (a newer version may add some); segment and
 * offset are required; the counters default to 0.
 */
#include "transport/spool.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "otasuke/error.h"

#define STATE_MAGIC "otasuke-spool 1"

/* Parse one "key value" line into st; returns false when malformed. */
static bool parse_kv(const char *line, struct ot_spool_state *st, unsigned *seen)
{
    const char *sp = strchr(line, ' ');
    if (!sp || sp == line)
        return false;
    size_t klen = (size_t)(sp - line);
    uint64_t v;
    if (ot_parse_u64(sp + 1, 0, UINT64_MAX, &v) != OT_OK)
        return false;
    static const char *const keys[] = {"segment", "offset", "dropped", "dropped_unreported"};
    uint64_t *slots[] = {&st->segment, &st->offset, &st->dropped, &st->dropped_unreported};
    for (unsigned i = 0; i < OT_ARRAY_SIZE(keys); i++) {
        if (strlen(keys[i]) == klen && memcmp(keys[i], line, klen) == 0) {
            if (*seen & (1u << i))
                return false; /* a key twice: someone edited the file */
            *seen |= 1u << i;
            *slots[i] = v;
            return true;
        }
    }
    return true; /* unknown key: ignored */
}

int ot_spool_state_parse(const char *text, size_t len, struct ot_spool_state *st,
                         uint32_t *bad_line)
{
    memset(st, 0, sizeof(*st));
    *bad_line = 0;
    unsigned seen = 0;
    uint32_t lineno = 0;
    size_t pos = 0;
    char line[128];
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        if (n >= sizeof(line) || memchr(text + pos, '\0', n))
            goto out_bad;
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos += n + (nl ? 1 : 0);
        if (lineno == 1) {
            if (strcmp(line, STATE_MAGIC) != 0)
                goto out_bad;
            continue;
        }
        if (n == 0)
            continue;
        if (!parse_kv(line, st, &seen))
            goto out_bad;
    }
    if (lineno == 0 || (seen & 3u) != 3u) {
        lineno = lineno ? lineno : 1;
        goto out_bad;
    }
    if (st->dropped_unreported > st->dropped)
        st->dropped_unreported = st->dropped;
    return OT_OK;

out_bad:
    *bad_line = lineno;
    memset(st, 0, sizeof(*st));
    return OT_EINVAL;
}

size_t ot_spool_state_format(const struct ot_spool_state *st, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     STATE_MAGIC "\nsegment %llu\noffset %llu\ndropped %llu\n"
                                 "dropped_unreported %llu\n",
                     (unsigned long long)st->segment, (unsigned long long)st->offset,
                     (unsigned long long)st->dropped, (unsigned long long)st->dropped_unreported);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

void ot_spool_scan(const char *data, size_t len, uint64_t *lines, size_t *complete)
{
    uint64_t count = 0;
    size_t last = 0;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        count++;
        p = nl + 1;
        last = (size_t)(p - data);
    }
    *lines = count;
    *complete = last;
}
