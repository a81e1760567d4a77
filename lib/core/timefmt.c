#include "core/timefmt.h"

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

static void put2(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DDTHH:MM:SS" of second `sec` at out; the date part cached per day. */
static void fmt_second(struct ot_timefmt *tf, uint64_t sec, char *out)
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
    put2(out + 20, usec / 10000);
    put2(out + 22, usec / 100 % 100);
    put2(out + 24, usec % 100);
    memcpy(out + 26, "+0000", 6);
    return OT_TS_LEN;
}
