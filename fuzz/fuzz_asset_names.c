/*
 * libFuzzer target for the asset name parsers (mDNS, LLMNR, NetBIOS name
 * service) and the inventory behind them.
 *
 * Input: one config byte, then a UDP payload.
 *   config: bits 0-1 source port 5353/5355/137/5353; bit 2 IPv6 sender
 *           (fe80::1, else 192.168.1.10); bit 3 a second sender (another MAC
 *           and address) repeats the payload, so names about other hosts are
 *           attributed through the address index.
 * Every parser reads the payload directly (their findings are checked for
 * NUL-terminated, bounded, acceptable names); then the payload goes through
 * ot_assets_packet() and ot_assets_finish() with events to /dev/null, and
 * serves as a DHCP host name and vendor class too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asset/asset-names.h"
#include "asset/asset.h"
#include "output/eve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct ot_name_find *f, int n)
{
    if (n > OT_NAMES_MAX)
        abort();
    for (int i = 0; i < n; i++) {
        size_t l = strnlen(f[i].name, sizeof(f[i].name));
        if (l == sizeof(f[i].name) || !ot_asset_name_ok(f[i].name, l))
            abort();
    }
}

static void packet(struct ot_assets *as, const uint8_t *mac, bool v6, const char *who, uint16_t sp,
                   const uint8_t *data, size_t size, uint64_t ts)
{
    struct ot_packet p;
    memset(&p, 0, sizeof(p));
    p.flags = (v6 ? OT_PKT_IPV6 : OT_PKT_IPV4) | OT_PKT_UDP | OT_PKT_HAS_MAC;
    if (v6) {
        p.src.u.b[0] = 0xfe;
        p.src.u.b[1] = 0x80;
        p.src.u.b[15] = (uint8_t)who[0];
        p.dst.u.b[0] = 0xff;
        p.dst.u.b[1] = 0x02;
        p.dst.u.b[15] = 0xfb;
    } else {
        p.src.u.b[0] = 192;
        p.src.u.b[1] = 168;
        p.src.u.b[2] = 1;
        p.src.u.b[3] = (uint8_t)who[0];
        p.dst.u.b[0] = 224;
        p.dst.u.b[3] = 251;
    }
    p.eth_src = mac;
    p.eth_dst = mac;
    p.ts_us = ts;
    p.ip_proto = 17;
    p.sp = sp;
    p.dp = sp;
    p.payload = data;
    p.payload_len = (uint32_t)size;
    ot_assets_packet(as, &p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t ports[4] = {5353, 5355, 137, 5353};
    static const uint8_t mac1[6] = {0x00, 0x11, 0x32, 0x17, 0x49, 0xf0};
    static const uint8_t mac2[6] = {0x00, 0x25, 0x90, 0x34, 0xee, 0x54};
    if (size < 1)
        return 0;
    uint8_t cfg = data[0];
    data++;
    size--;

    struct ot_name_find f[OT_NAMES_MAX];
    check(f, ot_names_mdns(data, size, f, OT_NAMES_MAX));
    check(f, ot_names_llmnr(data, size, f, OT_NAMES_MAX));
    check(f, ot_names_nbns(data, size, f, OT_NAMES_MAX));
    check(f, ot_names_mdns(data, size, f, 1));
    if (size >= 32) {
        char name[16];
        uint8_t suffix;
        /* The name may hold NUL bytes (callers check it with ot_asset_name_ok()). */
        int n = ot_nbns_decode_name(data, 32, name, &suffix);
        if (n > 15 || (n >= 0 && name[n] != 0))
            abort();
    }

    struct ot_eve eve;
    struct ot_eve_config ec;
    ot_eve_config_defaults(&ec);
    ec.path = "/dev/null";
    if (ot_eve_open(&eve, &ec) != 0)
        return 0;
    struct ot_asset_conf c;
    ot_asset_conf_defaults(&c);
    c.oui_path[0] = 0;
    c.max_assets = 4;
    struct ot_assets *as;
    if (ot_assets_new(&c, &eve, NULL, &as) != 0) {
        ot_eve_close(&eve);
        return 0;
    }
    struct ot_addr p_home;
    memset(&p_home, 0, sizeof(p_home));
    p_home.u.b[0] = 10;
    p_home.u.b[3] = 7;
    bool v6 = cfg & 4;
    uint16_t sp = ports[cfg & 3];
    uint64_t ts = 1700000000000000ull;
    packet(as, mac1, v6, "\x0a", sp, data, size, ts);
    if (cfg & 8) {
        packet(as, mac2, v6, "\x0b", sp, data, size, ts + 10000000);
        packet(as, mac1, !v6, "\x0a", sp, data, size, ts + 80000000);
    }
    /* The payload as a DHCP host name and vendor class, with and without an address. */
    ot_assets_dhcp(as, mac2, (const char *)data, size, NULL, (const char *)data, size, ts);
    ot_assets_dhcp(as, mac2, (const char *)data, size < 70 ? size : 70, &p_home, NULL, 0,
                   ts + 1000000);
    ot_assets_tick(as, ts + 100000000);
    (void)ot_assets_finish(as, ts + 200000000);
    ot_assets_free(as);
    ot_eve_close(&eve);
    return 0;
}
