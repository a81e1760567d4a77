/*
 * Plain indicator lists: one value per line, type detected per line.
 *
 *   # a comment line (also "; ..." lines, as in Spamhaus DROP)
 *   evil.example
 *   198.51.100.7:8080        # Maltrail: the IP, port kept as metadata
 *   203.0.113.0/24  # trailing comment after blanks
 *   192.0.2.9	7               IPsum: a count after the value is ignored
 *
 * Anything else after the value is an error: two values on one line are
 * more likely a broken file than something to guess about.
 */
#include <string.h>

#include "indicators/ioc-internal.h"
#include "otasuke/error.h"

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* What may follow the value: nothing, a comment, or a number (IPsum's
 * count of lists) optionally followed by a comment. */
static bool tail_ok(const char *s, size_t n)
{
    if (n == 0 || s[0] == '#' || s[0] == ';')
        return true;
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == 0)
        return false;
    while (i < n && blank(s[i]))
        i++;
    return i == n || s[i] == '#' || s[i] == ';';
}

static int plain_line(void *ctx, uint32_t lineno, const char *s, size_t n, bool too_long)
{
    struct ot_ioc_load *ld = ctx;
    ld->st->lines++;
    if (too_long) {
        ot_ioc_load_error_(ld, lineno, "line longer than %d bytes", OT_IOC_MAX_LINE);
        return 0;
    }
    if (memchr(s, '\0', n)) {
        ot_ioc_load_error_(ld, lineno, "NUL byte in line");
        return 0;
    }
    ot_ioc_trim_(&s, &n);
    if (n == 0 || s[0] == '#' || s[0] == ';')
        return 0;
    size_t v = 0;
    while (v < n && !blank(s[v]))
        v++;
    const char *tail = s + v;
    size_t tn = n - v;
    ot_ioc_trim_(&tail, &tn);
    if (!tail_ok(tail, tn)) {
        char q[96];
        ot_ioc_quote_(q, sizeof(q), tail, tn);
        ot_ioc_load_error_(ld, lineno,
                           "unexpected text %s after the value (one indicator per line; "
                           "comments start with '#')",
                           q);
        return 0;
    }
    return ot_ioc_load_add_(ld, lineno, OT_IOC_AUTO, s, v, NULL, NULL, ld->confidence);
}

int ot_ioc_load_plain_(struct ot_ioc_load *ld, const char *path, const void *data, size_t len)
{
    return ot_ioc_read_lines_(path, data, len, plain_line, ld, &ld->rep);
}
