/*
 * Text form of an address, for events.  Called several times per event, so
 * IPv4 (the common case) is formatted by hand rather than through
 * inet_ntop(), which goes through the printf machinery.
 */
#include <arpa/inet.h>
#include <string.h>

#include "decode/decode.h"

static char *put_octet(char *o, unsigned v)
{
    if (v >= 100) {
        *o++ = (char)('0' + v / 100);
        v %= 100;
        *o++ = (char)('0' + v / 10);
        *o++ = (char)('0' + v % 10);
    } else if (v >= 10) {
        *o++ = (char)('0' + v / 10);
        *o++ = (char)('0' + v % 10);
    } else {
        *o++ = (char)('0' + v);
    }
    return o;
}

size_t ot_addr_fmt(const struct ot_addr *a, bool v6, char *out)
{
    if (!v6) {
        char *o = out;
        for (int i = 0; i < 4; i++) {
            if (i)
                *o++ = '.';
            o = put_octet(o, a->u.b[i]);
        }
        *o = '\0';
        return (size_t)(o - out);
    }
    if (!inet_ntop(AF_INET6, a->u.b, out, INET6_ADDRSTRLEN)) {
        out[0] = '\0';
        return 0;
    }
    return strlen(out);
}
