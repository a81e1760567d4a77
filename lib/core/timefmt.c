#include "core/timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void ot_timefmt_init(struct ot_timefmt *tf)
{
    tf->cached_sec = -1;
    tf->cached[0] = '\0';
}

size_t ot_timefmt_us(struct ot_timefmt *tf, uint64_t us, char *out)
{
    int64_t sec = (int64_t)(us / 1000000);
    unsigned usec = (unsigned)(us % 1000000);
    if (sec != tf->cached_sec) {
        time_t t = (time_t)sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(tf->cached, sizeof(tf->cached), "%Y-%m-%dT%H:%M:%S", &tm);
        tf->cached_sec = sec;
    }
    memcpy(out, tf->cached, 19);
    out[19] = '.';
    for (int i = 25; i >= 20; i--) {
        out[i] = (char)('0' + usec % 10);
        usec /= 10;
    }
    memcpy(out + 26, "+0000", 6);
    return OT_TS_LEN;
}
