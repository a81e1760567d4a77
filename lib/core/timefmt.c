#include "core/timefmt.h"

#include <stdbool.h>
#include <string.h>

void ot_timefmt_init(struct ot_timefmt *tf)
{
    tf->cached_sec = -1;
    tf->cached[0] = '\0';
    tf->sec[0] = tf->sec[1] = UINT64_MAX;
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Two decimal digits of v (0..99) at o. */
static inline void put2(char *o, unsigned v)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    memcpy(o, pairs + 2 * v, 2);
}

/*
 * "YYYY-MM-DDTHH:MM:SS" of second `sec` at out; the date part cached per day.
 * Out of line: the caller meets a new second rarely and stays small.
 */
__attribute__((noinline)) static void fmt_second(struct ot_timefmt *tf, uint64_t sec, char *out)
{
    int64_t day = (int64_t)(sec / 86400);
    unsigned sod = (unsigned)(sec % 86400);
    if (day != tf->cached_sec) {
        int64_t y;
        unsigned m, d;
        civil_from_days(day, &y, &m, &d);
        unsigned yy = (unsigned)(y % 10000);
        tf->cached[0] = (char)('0' + yy / 1000);
        tf->cached[1] = (char)('0' + yy / 100 % 10);
        tf->cached[2] = (char)('0' + yy / 10 % 10);
        tf->cached[3] = (char)('0' + yy % 10);
        tf->cached[4] = '-';
        put2(tf->cached + 5, m);
        tf->cached[7] = '-';
        put2(tf->cached + 8, d);
        tf->cached[10] = 'T';
        tf->cached_sec = day;
    }
    memcpy(out, tf->cached, 11);
    put2(out + 11, sod / 3600);
    out[13] = ':';
    put2(out + 14, sod / 60 % 60);
    out[16] = ':';
    put2(out + 17, sod % 60);
}

size_t ot_timefmt_us(struct ot_timefmt *tf, uint64_t us, char *out)
{
    uint64_t sec = us / 1000000;
    unsigned usec = (unsigned)(us % 1000000);
    unsigned slot = (unsigned)(sec & 1);
    if (tf->sec[slot] != sec) {
        fmt_second(tf, sec, tf->sec_text[slot]);
        tf->sec[slot] = sec;
    }
    memcpy(out, tf->sec_text[slot], 19);
    out[19] = '.';
    unsigned hi = usec / 10000, lo = usec - hi * 10000, mid = lo / 100;
    put2(out + 20, hi);
    put2(out + 22, mid);
    put2(out + 24, lo - mid * 100);
    memcpy(out + 26, "+0000", 6);
    return OT_TS_LEN;
}

/* n decimal digits at s into *v; false when one is not a digit. */
static bool digits(const char *s, size_t n, int *v)
{
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

/* See timefmt.h (Howard Hinnant's algorithm). */
int64_t ot_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* See timefmt.h.  Leap second 60 is accepted and counted as 59.999999. */
bool ot_rfc3339_parse(const char *s, size_t n, int64_t *us)
{
    int y, mo, d, h, mi, sec;
    if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return false;
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && s[i] == '.') {
        size_t nd = 0;
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (nd < 6)
                frac = frac * 10 + (s[i] - '0');
            nd++;
            i++;
        }
        if (nd == 0 || nd > 9)
            return false;
        for (size_t k = nd; k < 6; k++)
            frac *= 10;
    }
    int64_t off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        int sign = s[i] == '-' ? -1 : 1;
        i++;
        if (n - i == 5 && s[i + 2] == ':') {
            if (!digits(s + i, 2, &oh) || !digits(s + i + 3, 2, &om))
                return false;
            i += 5;
        } else if (n - i == 4) {
            if (!digits(s + i, 2, &oh) || !digits(s + i + 2, 2, &om))
                return false;
            i += 4;
        } else {
            return false;
        }
        if (oh > 23 || om > 59)
            return false;
        off = sign * (int64_t)(oh * 60 + om) * 60;
    } else {
        return false;
    }
    if (i != n)
        return false;
    if (sec == 60) {
        sec = 59;
        frac = 999999;
    }
    int64_t t = ot_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    *us = t * 1000000 + frac;
    return true;
}
