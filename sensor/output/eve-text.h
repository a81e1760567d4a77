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

#include "core/json.h"

/* A string literal at o (its length is known at compile time); the new end. */
#define OT_PUT_LIT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) + sizeof(lit) - 1)

/* Decimal digits of v (1..20). */
static inline unsigned ot_dec_digits(uint64_t v)
{
    static const uint64_t pow10[20] = {
        UINT64_C(1),
        UINT64_C(10),
        UINT64_C(100),
        UINT64_C(1000),
        UINT64_C(10000),
        UINT64_C(100000),
        UINT64_C(1000000),
        UINT64_C(10000000),
        UINT64_C(100000000),
        UINT64_C(1000000000),
        UINT64_C(10000000000),
        UINT64_C(100000000000),
        UINT64_C(1000000000000),
        UINT64_C(10000000000000),
        UINT64_C(100000000000000),
        UINT64_C(1000000000000000),
        UINT64_C(10000000000000000),
        UINT64_C(100000000000000000),
        UINT64_C(1000000000000000000),
        UINT64_C(10000000000000000000),
    };
    /* floor(bits * log10(2)) is the digit count or one more than it (v | 1: 0 has one digit). */
    unsigned t = (unsigned)(64 - __builtin_clzll(v | 1)) * 1233u >> 12;
    return t + ((v | 1) >= pow10[t]);
}

/*
 * Decimal v at o (at most 20 bytes); returns the new end.  Written in
 * place from the end, two digits per division: flow ids have 16 digits and
 * a flow event carries a dozen numbers.
 */
static inline char *ot_put_u64(char *o, uint64_t v)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    char *end = o + ot_dec_digits(v), *p = end;
    while (v >= 100) {
        uint64_t q = v / 100;
        p -= 2;
        memcpy(p, pairs + 2 * (v - q * 100), 2);
        v = q;
    }
    if (v >= 10)
        memcpy(p - 2, pairs + 2 * v, 2);
    else
        p[-1] = (char)('0' + v);
    return end;
}

/*
 * Where up to `max` bytes of fields (ot_jw_fields() text) are rendered:
 * straight into the writer's buffer when they surely fit, else `stack`
 * (`max` bytes).  ot_put_fields_end() then commits them or copies them in.
 */
static inline char *ot_put_fields_begin(struct ot_jw *w, char *stack, size_t max)
{
    char *o = ot_jw_fields_reserve(w, max);
    return o ? o : stack;
}

static inline void ot_put_fields_end(struct ot_jw *w, const char *stack, const char *start,
                                     const char *end)
{
    if (start == stack)
        ot_jw_fields(w, stack, (size_t)(end - stack));
    else
        ot_jw_fields_commit(w, end);
}

#endif
