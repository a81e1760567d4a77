#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otasuke/error.h"

int ot_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return OT_EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return OT_EINVAL;
    *out = v;
    return OT_OK;
}

int ot_parse_size(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return OT_EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return OT_EINVAL;
    unsigned shift = 0;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    default:
        return OT_EINVAL;
    }
    if (shift && end[1] != '\0')
        return OT_EINVAL;
    if (v > (UINT64_MAX >> shift))
        return OT_EINVAL;
    *out = (uint64_t)v << shift;
    return OT_OK;
}

bool ot_strlcpy(char *dst, const char *src, size_t cap)
{
    if (cap == 0)
        return false;
    size_t n = strlen(src);
    bool fits = n < cap;
    if (!fits)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return fits;
}

bool ot_bytes_istarts(const uint8_t *p, size_t n, const char *prefix)
{
    size_t l = strlen(prefix);
    if (n < l)
        return false;
    for (size_t i = 0; i < l; i++)
        if (ot_ascii_lower(p[i]) != ot_ascii_lower((unsigned char)prefix[i]))
            return false;
    return true;
}

int ot_parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
        *out = true;
    else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
        *out = false;
    else
        return OT_EINVAL;
    return OT_OK;
}

int ot_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return OT_EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return OT_OK;
}
