/*
 * libFuzzer target for the allowlist parser and matcher.
 *
 * Input: an allowlist file, loaded with ot_allowlist_load_buffer() (at most
 * 256 rules).  Then alerts built from the input are matched: the signature
 * id from the first four bytes, two IPv4 and two IPv6 addresses from the
 * first bytes, and the first word of each line as a domain name.
 * Invariant (abort on failure): a line holding one domain, address or
 * sid:N that adds cleanly to a fresh allowlist suppresses an alert carrying
 * exactly that domain, address or sid.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "indicators/allowlist.h"
#include "otasuke/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const char *file, uint32_t line, const char *reason)
{
    (void)ctx;
    (void)file;
    (void)line;
    (void)reason;
}

/* One word per line only; w is that word, NUL-terminated. */
static void check_self(const char *w)
{
    struct ot_allowlist *al;
    if (ot_allowlist_new(&al, 4) != 0)
        return;
    if (ot_allowlist_add(al, w, strlen(w), "f", 1, NULL, 0) != 0 || ot_allowlist_count(al) != 1) {
        ot_allowlist_free(al);
        return;
    }
    struct ot_allow_hit h = {0};
    const char *names[1] = {w};
    uint8_t a[16];
    struct ot_allow_addr addr = {a, false};
    bool ok = true;
    if (strncasecmp(w, "sid:", 4) == 0) {
        ok = ot_allowlist_match(al, (uint32_t)strtoul(w + 4, NULL, 10), NULL, 0, NULL, 0, &h);
    } else if (inet_pton(AF_INET, w, a) == 1) {
        ok = ot_allowlist_match(al, 0, &addr, 1, NULL, 0, &h);
    } else if (inet_pton(AF_INET6, w, a) == 1) {
        addr.v6 = true;
        ok = ot_allowlist_match(al, 0, &addr, 1, NULL, 0, &h);
    } else if (!strchr(w, '/') && !strchr(w, ':')) {
        ok = ot_allowlist_match(al, 0, NULL, 0, names, 1, &h);
    } else {
        h.line = 1; /* networks and other forms: not checked here */
    }
    if (!ok || h.line != 1)
        abort();
    ot_allowlist_free(al);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ot_allowlist *al;
    if (ot_allowlist_new(&al, 256) != 0)
        return 0;
    struct ot_ioc_load_opts o = {.report = ignore};
    struct ot_ioc_load_stats st;
    ot_allowlist_load_buffer(al, "fuzz.allow", data, size, &o, &st);
    if (ot_allowlist_count(al) != st.loaded)
        abort();

    uint8_t bytes[40] = {0};
    memcpy(bytes, data, size < sizeof(bytes) ? size : sizeof(bytes));
    uint32_t sid;
    memcpy(&sid, bytes, 4);
    struct ot_allow_addr addrs[4] = {
        {bytes, false}, {bytes + 4, false}, {bytes + 8, true}, {bytes + 24, true}};
    char words[16][256];
    const char *names[16];
    size_t nn = 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        size_t w = 0;
        while (w < n && p[w] != ' ' && p[w] != '\t' && p[w] != '\r' && p[w] != '\0')
            w++;
        if (w > 0 && w < sizeof(words[0]) && nn < 16) {
            memcpy(words[nn], p, w);
            words[nn][w] = '\0';
            names[nn] = words[nn];
            if (w == n)
                check_self(words[nn]);
            nn++;
        }
        p += n + 1;
    }
    struct ot_allow_hit h;
    for (size_t k = 0; k <= nn; k++)
        ot_allowlist_match(al, sid, addrs, 4, names, k, &h);
    ot_allowlist_match(al, 0, addrs, 2, NULL, 0, &h);
    ot_allowlist_free(al);
    return 0;
}
