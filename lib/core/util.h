/*
 * Small helpers that replace the C library's unsafe or silent ones
 * (atoi, strtol without checks, strcpy).
 */
#ifndef OT_CORE_UTIL_H
#define OT_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define OT_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define OT_MAX(a, b)     ((a) > (b) ? (a) : (b))

/* Parse a whole decimal string into [min, max]; OT_EINVAL when it is not one. */
int ot_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out /* OUT */);
/* Like ot_parse_u64 but accepts a k/M/G suffix (powers of 1024) for sizes. */
int ot_parse_size(const char *s, uint64_t *out /* OUT */);
/* Copy with truncation; always NUL-terminates when cap > 0. Returns false if truncated. */
bool ot_strlcpy(char *dst, const char *src, size_t cap);
/*
 * Writes all len bytes of buf to fd, retrying on EINTR and short writes.
 * OT_OK, or OT_EIO with errno from the failing write(2) (a write of 0
 * bytes counts as a failure, so a stuck descriptor cannot spin).
 */
int ot_write_all(int fd, const void *buf, size_t len);
/* "yes"/"true"/"on"/"1" or "no"/"false"/"off"/"0" into *out; OT_EINVAL for anything else. */
int ot_parse_bool(const char *v, bool *out);
/* ASCII lower case, whatever the locale: protocol keywords and DNS names are ASCII. */
static inline unsigned char ot_ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* ASCII case-insensitive prefix test over a byte buffer. */
bool ot_bytes_istarts(const uint8_t *p, size_t n, const char *prefix);

static inline uint16_t ot_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t ot_be24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static inline uint32_t ot_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint16_t ot_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t ot_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

#endif
