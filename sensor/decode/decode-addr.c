/* Text form of an address, for events and logs (not the packet path). */
#include <arpa/inet.h>
#include <string.h>

#include "decode/decode.h"

size_t ot_addr_fmt(const struct ot_addr *a, bool v6, char *out)
{
    if (!inet_ntop(v6 ? AF_INET6 : AF_INET, a->u.b, out, INET6_ADDRSTRLEN)) {
        out[0] = '\0';
        return 0;
    }
    return strlen(out);
}
