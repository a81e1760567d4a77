/*
 * libFuzzer target for the IEEE registry parsers (sensor/asset/oui.c).
 *
 * Input: one config byte, then a registry file's content.
 *   config: bit 0 CSV (else the text listing); bit 1 also load the content
 *           a second time as the other kind (two sources, as oui.csv with a
 *           sibling).
 * Every MAC whose first three bytes appear in the input as six hex digits is
 * looked up too; a name found must be NUL-terminated within
 * OT_OUI_NAME_MAX bytes, and the counters must add up to no more entries
 * than records could have been in the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asset/oui.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t cfg = data[0];
    struct ot_oui_src src[2] = {
        {.data = (const char *)data + 1, .len = size - 1, .csv = cfg & 1},
        {.data = (const char *)data + 1, .len = size - 1, .csv = !(cfg & 1)},
    };
    struct ot_oui *o = NULL;
    if (ot_oui_load_buffers(src, (cfg & 2) ? 2 : 1, &o) != 0)
        return 0;
    const struct ot_oui_stats *st = ot_oui_stats(o);
    if ((size_t)st->ma_l + st->ma_m + st->ma_s > 2 * (size - 1))
        abort();
    for (size_t i = 1; i + 6 <= size; i++) {
        uint8_t mac[6] = {0};
        int ok = 1;
        for (int k = 0; k < 6 && ok; k++) {
            int v = hexval(data[i + (size_t)k]);
            if (v < 0)
                ok = 0;
            else
                mac[k / 2] = (uint8_t)(mac[k / 2] << 4 | v);
        }
        if (!ok)
            continue;
        const char *name = ot_oui_lookup(o, mac);
        if (name && strnlen(name, OT_OUI_NAME_MAX + 1) > OT_OUI_NAME_MAX)
            abort();
    }
    ot_oui_free(o);
    return 0;
}
