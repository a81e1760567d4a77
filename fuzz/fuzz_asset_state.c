/*
 * libFuzzer target for the asset state-file parser, with a round-trip
 * oracle: whatever the parser accepts is written back out, and that text
 * must parse again without a single complaint into exactly the same text.
 *
 * Input: one config byte (max_assets = 1 + byte % 64), then the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asset/asset-internal.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ot_assets *fresh(uint32_t max)
{
    struct ot_asset_conf c;
    ot_asset_conf_defaults(&c);
    c.oui_path[0] = 0;
    c.max_assets = max;
    struct ot_assets *as;
    return ot_assets_new(&c, NULL, NULL, &as) == 0 ? as : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ot_log_set_level(OT_LOG_ERROR); /* corrupt lines are warnings: keep the run quiet */
    uint32_t max = 1u + data[0] % 64u;
    struct ot_assets *a = fresh(max), *b = fresh(max);
    if (!a || !b) {
        ot_assets_free(a);
        ot_assets_free(b);
        return 0;
    }
    ot_assets_load_buf(a, (const char *)data + 1, size - 1, "fuzz");
    const char *t1, *t2;
    size_t n1, n2;
    if (ot_assets_format_state(a, &t1, &n1) == 0) {
        ot_assets_load_buf(b, t1, n1, "round-trip");
        const struct ot_asset_stats *sb = ot_assets_stats(b);
        if (sb->state_load_errors || sb->state_dropped ||
            sb->state_loaded != ot_assets_stats(a)->tracked)
            abort();
        if (ot_assets_format_state(b, &t2, &n2) == 0 && (n1 != n2 || memcmp(t1, t2, n1) != 0))
            abort();
    }
    ot_assets_free(a);
    ot_assets_free(b);
    return 0;
}
