/*
 * Helpers for the EVE writers that render several fields into one buffer
 * before handing them to the JSON writer (output-eve.c, output-flow.c).
 * Only for our own text: nothing here escapes.  Internal to sensor/output/.
 */
#ifndef OT_SENSOR_EVE_TEXT_H
#define OT_SENSOR_EVE_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A string literal at o (its length is known at compile time); the new end. */
#define OT_PUT_LIT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) + sizeof(lit) - 1)

/* Decimal v at o (at most 20 bytes); returns the new end. */
static inline char *ot_put_u64(char *o, uint64_t v)
{
    char tmp[20];
    char *p = tmp + sizeof(tmp);
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    size_t n = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(o, p, n);
    return o + n;
}

static inline char *ot_put_text(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

#endif
