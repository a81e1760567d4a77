/*
 * Asset inventory without a state file: which packets make assets (home
 * sources only), the address cap, the table bound, gateways, DHCP names
 * (also before the address), name attribution and priority, change events
 * and their rate limit, refresh and final events, the new-device hook,
 * vendors, and lookups by address and MAC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "asset-test.h"
#include "otasuke/error.h"

static const uint8_t mac_a[6] = {0x00, 0x11, 0x32, 0x17, 0x49, 0xf0};
static const uint8_t mac_b[6] = {0x00, 0x25, 0x90, 0x34, 0xee, 0x54};
static const uint8_t mac_c[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0c}; /* locally administered */
static const uint8_t mac_r[6] = {0x00, 0x0d, 0xb9, 0x11, 0x22, 0x33}; /* the router */

static void test_home_only(void **unused)
{
    struct rig r;
    rig_conf(&r);
    rig_open(&r);
    struct ot_packet p;
    /* From the internet, with the router's MAC: not an asset. */
    rig_pkt(&p, mac_r, "198.51.100.7", "192.168.1.10", T0);
    ot_assets_packet(r.as, &p);
    /* Unusable sources: DHCP's 0.0.0.0, a multicast MAC, no MAC, a tunnel's inner packet. */
    rig_pkt(&p, mac_a, "0.0.0.0", "255.255.255.255", T0);
    ot_assets_packet(r.as, &p);
    static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
    rig_pkt(&p, mcast, "192.168.1.10", "224.0.0.251", T0);
    ot_assets_packet(r.as, &p);
    rig_pkt(&p, mac_a, "192.168.1.10", "192.0.2.1", T0);
    p.flags &= ~(uint32_t)OT_PKT_HAS_MAC;
    ot_assets_packet(r.as, &p);
    rig_pkt(&p, mac_a, "192.168.1.10", "192.0.2.1", T0);
    p.flags |= OT_PKT_TUNNELLED;
    ot_assets_packet(r.as, &p);
    assert_int_equal(ot_assets_stats(r.as)->tracked, 0);

    /* A home source: an asset; its "seen" event (new: no state file) waits 5 s for a name. */
    rig_seen(&r, mac_a, "192.168.1.10", T0 + 5 * SEC);
    ot_assets_tick(r.as, T0 + 9 * SEC);
    assert_int_equal(r.new_calls, 0);
    json_t *ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 0);
    json_decref(ev);
    ot_assets_tick(r.as, T0 + 10 * SEC);
    const struct ot_asset_stats *st = ot_assets_stats(r.as);
    assert_int_equal(st->tracked, 1);
    assert_int_equal(st->active, 1);
    assert_int_equal(st->new_devices, 1);
    assert_int_equal(r.new_calls, 1);
    assert_memory_equal(r.last_new.mac, mac_a, 6);
    assert_true(r.last_new.is_new);
    ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 1);
    json_t *e = json_array_get(ev, 0);
    assert_string_equal(json_string_value(json_object_get(e, "timestamp")),
                        "2023-11-14T22:13:30.000000+0000");
    assert_null(json_object_get(e, "src_ip"));
    assert_string_equal(ev_str(e, "mac"), "00:11:32:17:49:f0");
    assert_string_equal(ev_str(e, "reason"), "seen");
    assert_int_equal(json_array_size(ev_get(e, "ips")), 1);
    assert_string_equal(ev_ip(e, 0), "192.168.1.10");
    assert_true(json_is_true(ev_get(e, "new")));
    assert_null(ev_get(e, "hostname"));
    assert_null(ev_get(e, "vendor"));
    assert_string_equal(ev_str(e, "first_seen"), "2023-11-14T22:13:25.000000+0000");
    assert_string_equal(ev_str(e, "last_seen"), "2023-11-14T22:13:25.000000+0000");
    json_decref(ev);

    /* Finish: the final event carries the later last_seen. */
    rig_seen(&r, mac_a, "192.168.1.10", T0 + 26 * SEC);
    assert_int_equal(ot_assets_finish(r.as, T0 + 30 * SEC), 0);
    ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 2);
    e = json_array_get(ev, 1);
    assert_string_equal(ev_str(e, "reason"), "final");
    assert_string_equal(ev_str(e, "last_seen"), "2023-11-14T22:13:46.000000+0000");
    assert_null(ev_get(e, "changes"));
    json_decref(ev);
    rig_close(&r);
}

/* Up to 8 addresses, the most recently used kept and listed first. */
static void test_ip_cap(void **unused)
{
    struct rig r;
    rig_conf(&r);
    r.conf.change_interval_s = 0;
    rig_open(&r);
    char ip[32];
    for (int i = 1; i <= 10; i++) {
        snprintf(ip, sizeof(ip), "192.168.1.%d", i);
        /* 10 minutes apart: no more than 8 new addresses within an hour (not a gateway) */
        rig_seen(&r, mac_a, ip, T0 + (uint64_t)i * 600 * SEC);
    }
    rig_seen(&r, mac_a, "192.168.1.5", T0 + 7000 * SEC); /* an old one used again */
    struct ot_asset_info info;
    assert_true(ot_assets_find_mac(r.as, mac_a, &info));
    assert_int_equal(info.n_ips, 8);
    assert_false(info.gateway);
    char t[48];
    ot_addr_fmt(&info.ips[0].addr, info.ips[0].v6, t);
    assert_string_equal(t, "192.168.1.5");
    ot_addr_fmt(&info.ips[1].addr, info.ips[1].v6, t);
    assert_string_equal(t, "192.168.1.10");
    ot_addr_fmt(&info.ips[7].addr, info.ips[7].v6, t);
    assert_string_equal(t, "192.168.1.3");
    struct ot_addr a;
    bool v6;
    rig_addr(&a, "192.168.1.1", &v6);
    assert_false(ot_assets_find_ip(r.as, &a, false, &info)); /* dropped from the list */
    rig_addr(&a, "192.168.1.9", &v6);
    assert_true(ot_assets_find_ip(r.as, &a, false, &info));
    assert_memory_equal(info.mac, mac_a, 6);
    /* "seen" (at the second packet, with 2 addresses), then one event per new address. */
    json_t *ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 9);
    assert_int_equal(json_array_size(ev_get(json_array_get(ev, 0), "ips")), 2);
    json_t *last = json_array_get(ev, 8);
    assert_string_equal(ev_str(last, "reason"), "changed");
    assert_string_equal(json_string_value(json_array_get(ev_get(last, "changes"), 0)), "ips");
    assert_int_equal(json_array_size(ev_get(last, "ips")), 8);
    assert_string_equal(ev_ip(last, 0), "192.168.1.10");
    json_decref(ev);
    rig_close(&r);
}

/* An address moving to another MAC: lookups find the newer holder. */
static void test_ip_moves(void **unused)
{
    struct rig r;
    rig_conf(&r);
    rig_open(&r);
    rig_seen(&r, mac_a, "192.168.1.10", T0);
    rig_seen(&r, mac_b, "192.168.1.10", T0 + SEC);
    struct ot_addr a;
    bool v6;
    struct ot_asset_info info;
    rig_addr(&a, "192.168.1.10", &v6);
    assert_true(ot_assets_find_ip(r.as, &a, false, &info));
    assert_memory_equal(info.mac, mac_b, 6);
    rig_seen(&r, mac_a, "192.168.1.10", T0 + 2 * SEC);
    assert_true(ot_assets_find_ip(r.as, &a, false, &info));
    assert_memory_equal(info.mac, mac_a, 6);
    rig_close(&r);
}

/* A MAC sending for many home addresses is a gateway: flagged once, then quiet. */
static void test_gateway(void **unused)
{
    struct rig r;
    rig_conf(&r);
    r.conf.change_interval_s = 0;
    rig_open(&r);
    char ip[32];
    for (int i = 1; i <= 20; i++) {
        snprintf(ip, sizeof(ip), "10.2.0.%d", i);
        rig_seen(&r, mac_r, ip, T0 + (uint64_t)i * SEC);
    }
    json_t *ev = rig_events(&r);
    /* seen (at 6 s, six addresses) + 2 address changes + the gateway change; then quiet */
    assert_int_equal(json_array_size(ev), 4);
    json_t *e = json_array_get(ev, 3);
    assert_true(json_is_true(ev_get(e, "gateway")));
    assert_string_equal(json_string_value(json_array_get(ev_get(e, "changes"), 0)), "gateway");
    assert_int_equal(json_array_size(ev_get(e, "changes")), 1);
    json_decref(ev);
    /* Names about its addresses are not pinned on it; lookups by address do not return it. */
    uint8_t b[600];
    const char *names[] = {"laptop.local"};
    const char *ips[] = {"10.2.0.20"};
    size_t n = rig_dns_answers(b, sizeof(b), names, ips, 1);
    struct ot_packet p;
    rig_udp(&p, mac_r, "10.2.0.20", "224.0.0.251", 5353, 5353, b, n, T0 + 30 * SEC);
    ot_assets_packet(r.as, &p);
    assert_int_equal(ot_assets_stats(r.as)->names_unattributed, 1);
    struct ot_asset_info info;
    assert_false(ot_assets_find_ip(r.as, &p.src, false, &info));
    assert_true(ot_assets_find_mac(r.as, mac_r, &info));
    assert_true(info.gateway);
    assert_string_equal(info.hostname, "");
    rig_close(&r);
}

static void test_table_full(void **unused)
{
    struct rig r;
    rig_conf(&r);
    r.conf.max_assets = 4;
    rig_open(&r);
    uint8_t m[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x00};
    for (int i = 1; i <= 6; i++) {
        m[5] = (uint8_t)i;
        rig_seen(&r, m, "192.168.1.50", T0 + (uint64_t)i * SEC);
    }
    ot_assets_tick(r.as, T0 + 20 * SEC);
    const struct ot_asset_stats *st = ot_assets_stats(r.as);
    assert_int_equal(st->tracked, 4);
    assert_int_equal(st->table_full, 2);
    assert_int_equal(st->new_devices, 4);
    assert_int_equal(r.new_calls, 4);
    m[5] = 5;
    struct ot_asset_info info;
    assert_false(ot_assets_find_mac(r.as, m, &info));
    m[5] = 1; /* tracked ones still work */
    rig_seen(&r, m, "192.168.1.51", T0 + 100 * SEC);
    assert_true(ot_assets_find_mac(r.as, m, &info));
    assert_int_equal(info.n_ips, 2);
    json_t *ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 5);
    json_decref(ev);
    rig_close(&r);
}

/* Changes within change_interval_s are merged into one later event. */
static void test_rate_limit(void **unused)
{
    struct rig r;
    rig_conf(&r);
    rig_open(&r);
    rig_seen(&r, mac_a, "192.168.1.10", T0);
    ot_assets_tick(r.as, T0 + 5 * SEC); /* "seen" */
    rig_seen(&r, mac_a, "fd00::10", T0 + 6 * SEC);
    struct ot_addr yi;
    bool v6;
    rig_addr(&yi, "192.168.1.10", &v6);
    rig_dhcp(&r, mac_a, "nas1", &yi, "MSFT 5.0", T0 + 7 * SEC);
    rig_seen(&r, mac_a, "fd00::11", T0 + 8 * SEC);
    ot_assets_tick(r.as, T0 + 30 * SEC);
    json_t *ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 1); /* only "seen" so far */
    json_decref(ev);
    assert_int_equal(ot_assets_stats(r.as)->changes_merged, 3);
    ot_assets_tick(r.as, T0 + 64 * SEC);
    ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 1);
    json_decref(ev);
    ot_assets_tick(r.as, T0 + 65 * SEC);
    ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 2);
    json_t *e = json_array_get(ev, 1);
    assert_string_equal(ev_str(e, "reason"), "changed");
    assert_string_equal(json_string_value(json_object_get(e, "timestamp")),
                        "2023-11-14T22:14:25.000000+0000");
    json_t *ch = ev_get(e, "changes");
    assert_int_equal(json_array_size(ch), 2);
    assert_string_equal(json_string_value(json_array_get(ch, 0)), "ips");
    assert_string_equal(json_string_value(json_array_get(ch, 1)), "hostname");
    assert_int_equal(json_array_size(ev_get(e, "ips")), 3);
    assert_string_equal(ev_ip(e, 0), "fd00::11");
    assert_string_equal(ev_str(e, "hostname"), "nas1");
    assert_string_equal(ev_str(e, "hostname_source"), "dhcp");
    assert_string_equal(ev_str(e, "dhcp_vendor_class"), "MSFT 5.0");
    json_decref(ev);
    /* The next change, long after: written at once. */
    rig_seen(&r, mac_a, "fd00::12", T0 + 200 * SEC);
    ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 3);
    json_decref(ev);
    /* A change just after it waits; finish writes it as the final event. */
    rig_seen(&r, mac_a, "fd00::13", T0 + 201 * SEC);
    assert_int_equal(ot_assets_finish(r.as, T0 + 202 * SEC), 0);
    ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 4);
    e = json_array_get(ev, 3);
    assert_string_equal(ev_str(e, "reason"), "final");
    assert_string_equal(json_string_value(json_array_get(ev_get(e, "changes"), 0)), "ips");
    json_decref(ev);
    rig_close(&r);
}

/* A host flapping between two names every second: at most one event a minute. */
static void test_flapping(void **unused)
{
    struct rig r;
    rig_conf(&r);
    rig_open(&r);
    struct ot_addr yi;
    bool v6;
    rig_addr(&yi, "192.168.1.10", &v6);
    for (int i = 0; i < 600; i++) { /* ten minutes */
        uint64_t ts = T0 + (uint64_t)i * SEC;
        rig_dhcp(&r, mac_a, i % 2 ? "name-b" : "name-a", &yi, NULL, ts);
        ot_assets_tick(r.as, ts);
    }
    json_t *ev = rig_events(&r);
    /* "seen" at 0, then one merged change at 60, 120, ... 540 */
    assert_int_equal(json_array_size(ev), 10);
    json_decref(ev);
    assert_true(ot_assets_stats(r.as)->changes_merged > 500);
    rig_close(&r);
}

/* A daily refresh for an asset that stays active and unchanged. */
static void test_refresh(void **unused)
{
    struct rig r;
    rig_conf(&r);
    rig_open(&r);
    rig_seen(&r, mac_a, "192.168.1.10", T0);
    ot_assets_tick(r.as, T0 + 5 * SEC);
    rig_seen(&r, mac_a, "192.168.1.10", T0 + 3600 * SEC);
    rig_seen(&r, mac_a, "192.168.1.10", T0 + 86404 * SEC);
    rig_seen(&r, mac_a, "192.168.1.10", T0 + 86405 * SEC);
    rig_seen(&r, mac_a, "192.168.1.10", T0 + 86406 * SEC);
    json_t *ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 2);
    assert_string_equal(ev_str(json_array_get(ev, 1), "reason"), "refresh");
    json_decref(ev);
    /* Finish within the first 5 s: the "seen" event then, and no final one. */
    rig_close(&r);
    rig_conf(&r);
    rig_open(&r);
    rig_seen(&r, mac_a, "192.168.1.10", T0);
    assert_int_equal(ot_assets_finish(r.as, T0 + 2 * SEC), 0);
    assert_int_equal(r.new_calls, 1);
    ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 1);
    assert_string_equal(ev_str(json_array_get(ev, 0), "reason"), "seen");
    json_decref(ev);
    rig_close(&r);
}

/* DHCP before the address: the name waits, then the asset starts with it. */
static void test_dhcp_pending(void **unused)
{
    struct rig r;
    rig_conf(&r);
    rig_open(&r);
    rig_dhcp(&r, mac_a, "nas1.", NULL, "android-dhcp-13", T0); /* DISCOVER */
    struct ot_addr yi, out;
    bool v6;
    rig_addr(&out, "198.51.100.9", &v6);
    rig_dhcp(&r, mac_a, NULL, &out, NULL, T0 + SEC); /* not a home address */
    assert_int_equal(ot_assets_stats(r.as)->tracked, 0);
    rig_addr(&yi, "192.168.1.20", &v6);
    rig_dhcp(&r, mac_a, NULL, &yi, NULL, T0 + 2 * SEC); /* ACK */
    ot_assets_tick(r.as, T0 + 7 * SEC);
    assert_int_equal(r.new_calls, 1);
    assert_string_equal(r.last_new_name, "nas1"); /* the hook already sees the name */
    json_t *ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 1);
    json_t *e = json_array_get(ev, 0);
    assert_string_equal(ev_str(e, "hostname"), "nas1");
    assert_string_equal(ev_str(e, "hostname_source"), "dhcp");
    assert_string_equal(ev_str(e, "dhcp_vendor_class"), "android-dhcp-13");
    assert_string_equal(ev_ip(e, 0), "192.168.1.20");
    json_decref(ev);
    /* Unusable DHCP names are ignored: control characters, too long, empty. */
    rig_dhcp(&r, mac_a, "bad\x01name", &yi, NULL, T0 + 100 * SEC);
    rig_dhcp(&r, mac_a, "", &yi, NULL, T0 + 101 * SEC);
    char lng[80];
    memset(lng, 'n', 70);
    lng[70] = 0;
    rig_dhcp(&r, mac_a, lng, &yi, NULL, T0 + 102 * SEC);
    struct ot_asset_info info;
    assert_true(ot_assets_find_mac(r.as, mac_a, &info));
    assert_string_equal(info.hostname, "nas1");
    /* Lengths, not C strings: an embedded NUL is refused, a trailing one dropped. */
    ot_assets_dhcp(r.as, mac_a, "na\0s2", 5, &yi, "x", 1, T0 + 103 * SEC);
    assert_true(ot_assets_find_mac(r.as, mac_a, &info));
    assert_string_equal(info.hostname, "nas1");
    ot_assets_dhcp(r.as, mac_a, "nas2\0", 5, &yi, "MSFT 5.0\0", 9, T0 + 104 * SEC);
    assert_true(ot_assets_find_mac(r.as, mac_a, &info));
    assert_string_equal(info.hostname, "nas2");
    assert_string_equal(info.dhcp_vendor_class, "MSFT 5.0");
    ot_assets_dhcp(r.as, NULL, "x", 1, &yi, NULL, 0, T0 + 105 * SEC); /* no MAC: ignored */
    /* The pending list is bounded: 100 discovers, nothing grows. */
    uint8_t m[6] = {0x00, 0x99, 0, 0, 0, 0};
    for (int i = 0; i < 100; i++) {
        m[5] = (uint8_t)i;
        rig_dhcp(&r, m, "flood", NULL, NULL, T0 + 200 * SEC);
    }
    m[5] = 99; /* the newest pending names survive */
    rig_dhcp(&r, m, NULL, &yi, NULL, T0 + 201 * SEC);
    assert_true(ot_assets_find_mac(r.as, m, &info));
    assert_string_equal(info.hostname, "flood");
    m[5] = 0; /* the oldest were dropped */
    rig_dhcp(&r, m, NULL, &yi, NULL, T0 + 202 * SEC);
    assert_true(ot_assets_find_mac(r.as, m, &info));
    assert_string_equal(info.hostname, "");
    rig_close(&r);
}

/* Names from the name protocols, attributed to the right asset. */
static void test_name_attribution(void **unused)
{
    struct rig r;
    rig_conf(&r);
    rig_open(&r);
    uint8_t b[600];
    struct ot_packet p;
    /* Host A announces its name with its v4 and a link-local v6 address (from v4). */
    const char *names[] = {"hosta.local", "hosta.local", "other.local"};
    const char *ips[] = {"192.168.1.10", "fe80::211:32ff:fe17:49f0", "192.168.1.99"};
    size_t n = rig_dns_answers(b, sizeof(b), names, ips, 3);
    rig_udp(&p, mac_a, "192.168.1.10", "224.0.0.251", 5353, 5353, b, n, T0);
    ot_assets_packet(r.as, &p);
    struct ot_asset_info info;
    assert_true(ot_assets_find_mac(r.as, mac_a, &info));
    assert_string_equal(info.hostname, "hosta");
    assert_int_equal(info.hostname_source, OT_NAME_MDNS);
    assert_int_equal(info.n_ips, 2); /* the v6 address joined; 192.168.1.99 is nobody's */
    const struct ot_asset_stats *st = ot_assets_stats(r.as);
    assert_int_equal(st->names_seen[OT_NAME_MDNS], 3);
    assert_int_equal(st->names_unattributed, 1);
    /* The first event has the name. */
    ot_assets_tick(r.as, T0 + 5 * SEC);
    json_t *ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 1);
    assert_string_equal(ev_str(json_array_get(ev, 0), "hostname"), "hosta");
    json_decref(ev);

    /* A WINS server (B) answers for host A: attributed through the address index. */
    rig_seen(&r, mac_b, "192.168.1.2", T0 + SEC);
    rig_close(&r);
    rig_conf(&r);
    rig_open(&r);
    rig_seen(&r, mac_a, "192.168.1.10", T0);
    rig_seen(&r, mac_b, "192.168.1.2", T0 + SEC);
    n = rig_nbns_answer(b, "HOSTA", "192.168.1.10");
    rig_udp(&p, mac_b, "192.168.1.2", "192.168.1.30", 137, 137, b, n, T0 + 2 * SEC);
    ot_assets_packet(r.as, &p);
    assert_true(ot_assets_find_mac(r.as, mac_a, &info));
    assert_string_equal(info.hostname, "HOSTA");
    assert_int_equal(info.hostname_source, OT_NAME_NETBIOS);
    assert_true(ot_assets_find_mac(r.as, mac_b, &info));
    assert_string_equal(info.hostname, "");

    /* Priority: LLMNR beats NetBIOS, mDNS beats LLMNR, DHCP beats all; not the reverse. */
    const char *ln[] = {"HostA-Long-Name"};
    const char *li[] = {"192.168.1.10"};
    n = rig_dns_answers(b, sizeof(b), ln, li, 1);
    b[2] = 0x80; /* LLMNR response flags */
    rig_udp(&p, mac_a, "192.168.1.10", "192.168.1.30", 5355, 50123, b, n, T0 + 3 * SEC);
    ot_assets_packet(r.as, &p);
    assert_true(ot_assets_find_mac(r.as, mac_a, &info));
    assert_string_equal(info.hostname, "HostA-Long-Name");
    assert_int_equal(info.hostname_source, OT_NAME_LLMNR);
    n = rig_nbns_answer(b, "SOMETHINGELSE", "192.168.1.10");
    rig_udp(&p, mac_a, "192.168.1.10", "192.168.1.30", 137, 137, b, n, T0 + 4 * SEC);
    ot_assets_packet(r.as, &p);
    assert_true(ot_assets_find_mac(r.as, mac_a, &info));
    assert_string_equal(info.hostname, "HostA-Long-Name");
    struct ot_addr yi;
    bool v6;
    rig_addr(&yi, "192.168.1.10", &v6);
    rig_dhcp(&r, mac_a, "hosta-dhcp", &yi, NULL, T0 + 5 * SEC);
    const char *mn[] = {"hosta-mdns.local"};
    n = rig_dns_answers(b, sizeof(b), mn, li, 1);
    rig_udp(&p, mac_a, "192.168.1.10", "224.0.0.251", 5353, 5353, b, n, T0 + 6 * SEC);
    ot_assets_packet(r.as, &p);
    assert_true(ot_assets_find_mac(r.as, mac_a, &info));
    assert_string_equal(info.hostname, "hosta-dhcp");
    assert_int_equal(info.hostname_source, OT_NAME_DHCP);
    /* The same name in another case from a better source: no change event. */
    rig_close(&r);
    rig_conf(&r);
    rig_open(&r);
    n = rig_nbns_answer(b, "NAS1", "192.168.1.10");
    rig_udp(&p, mac_a, "192.168.1.10", "192.168.1.255", 137, 137, b, n, T0);
    ot_assets_packet(r.as, &p);
    rig_dhcp(&r, mac_a, "nas1", &yi, NULL, T0 + 100 * SEC);
    ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 1);
    json_decref(ev);
    assert_true(ot_assets_find_mac(r.as, mac_a, &info));
    assert_string_equal(info.hostname, "nas1");
    assert_int_equal(info.hostname_source, OT_NAME_DHCP);
    /* Malformed name packets are counted. */
    rig_udp(&p, mac_a, "192.168.1.10", "224.0.0.251", 5353, 5353, b, 5, T0 + 101 * SEC);
    ot_assets_packet(r.as, &p);
    assert_int_equal(ot_assets_stats(r.as)->names_malformed[OT_NAME_MDNS], 1);
    rig_close(&r);
}

/* Vendor from a registry file. */
static void test_vendor(void **unused)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/ot-asset-oui-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char csv[] = "Registry,Assignment,Organization Name,Organization Address\n"
                              "MA-L,001132,Synology Incorporated,\"Taipei TW\"\n";
    assert_int_equal(write(fd, csv, sizeof(csv) - 1), (ssize_t)(sizeof(csv) - 1));
    close(fd);
    struct rig r;
    rig_conf(&r);
    ot_strlcpy(r.conf.oui_path, path, sizeof(r.conf.oui_path));
    rig_open(&r);
    assert_int_equal(ot_assets_stats(r.as)->oui_entries, 1);
    rig_seen(&r, mac_a, "192.168.1.10", T0);
    rig_seen(&r, mac_b, "192.168.1.11", T0);
    ot_assets_tick(r.as, T0 + 5 * SEC);
    json_t *ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 2);
    assert_string_equal(ev_str(json_array_get(ev, 0), "vendor"), "Synology Incorporated");
    assert_null(ev_get(json_array_get(ev, 1), "vendor"));
    json_decref(ev);
    rig_close(&r);
    unlink(path);
    /* A missing registry is a warning, not a failure. */
    rig_conf(&r);
    ot_strlcpy(r.conf.oui_path, "/nonexistent/oui.csv", sizeof(r.conf.oui_path));
    rig_open(&r);
    assert_int_equal(ot_assets_stats(r.as)->oui_entries, 0);
    rig_close(&r);
}

static void test_conf(void **unused)
{
    struct ot_asset_conf c;
    ot_asset_conf_defaults(&c);
    assert_true(c.enabled); /* on by default: asset events need no set-up */
    assert_int_equal(c.max_assets, 4096);
    assert_int_equal(c.save_interval_s, 300);
    assert_int_equal(c.change_interval_s, 60);
    assert_string_equal(c.state_path, "");
    assert_non_null(strstr(c.oui_path, "/usr/share/ieee-data/oui."));
    struct ot_assets *as;
    c.max_assets = 0;
    assert_int_equal(ot_assets_new(&c, NULL, NULL, &as), OT_EINVAL);
    c.max_assets = OT_ASSET_MAX_ASSETS + 1;
    assert_int_equal(ot_assets_new(&c, NULL, NULL, &as), OT_EINVAL);
    /* No eve, no hooks: every address is home, nothing written, no crash. */
    c.max_assets = 2;
    c.oui_path[0] = 0;
    assert_int_equal(ot_assets_new(&c, NULL, NULL, &as), 0);
    struct ot_packet p;
    rig_pkt(&p, mac_a, "198.51.100.7", "192.0.2.1", T0);
    ot_assets_packet(as, &p);
    assert_int_equal(ot_assets_stats(as)->tracked, 1);
    assert_int_equal(ot_assets_stats(as)->events, 0);
    assert_int_equal(ot_assets_finish(as, T0), 0);
    ot_assets_free(as);
    ot_assets_free(NULL);
    ot_assets_packet(NULL, &p);
    assert_string_equal(ot_asset_name_src_name(OT_NAME_NETBIOS), "netbios");
    assert_string_equal(ot_asset_name_src_name((enum ot_asset_name_src)99), "");
}

/* Many assets: the table and indexes grow; every one is still found. */
static void test_growth(void **unused)
{
    struct rig r;
    rig_conf(&r);
    r.conf.max_assets = 3000;
    rig_open(&r);
    uint8_t m[6] = {0x00, 0x50, 0x56, 0, 0, 0};
    char ip[32];
    for (int i = 0; i < 3000; i++) {
        m[4] = (uint8_t)(i >> 8);
        m[5] = (uint8_t)i;
        snprintf(ip, sizeof(ip), "10.%d.%d.1", i >> 8, i & 255);
        rig_seen(&r, m, ip, T0 + (uint64_t)i);
    }
    assert_int_equal(ot_assets_stats(r.as)->tracked, 3000);
    struct ot_asset_info info;
    for (int i = 0; i < 3000; i++) {
        struct ot_addr a;
        bool v6;
        snprintf(ip, sizeof(ip), "10.%d.%d.1", i >> 8, i & 255);
        rig_addr(&a, ip, &v6);
        assert_true(ot_assets_find_ip(r.as, &a, false, &info));
        assert_int_equal(info.mac[5], (uint8_t)i);
        assert_int_equal(info.mac[4], (uint8_t)(i >> 8));
    }
    rig_close(&r);
}

/*
 * Pending events go out in table order when due, and an entry low in the
 * table that becomes pending after later ones were written is still found
 * (the scan starts at the lowest pending entry, not where the last one ended).
 */
static void test_due_order(void **unused)
{
    struct rig r;
    rig_conf(&r);
    rig_open(&r);
    rig_seen(&r, mac_a, "192.168.1.10", T0);
    rig_seen(&r, mac_b, "192.168.1.11", T0 + 1 * SEC);
    rig_seen(&r, mac_c, "192.168.1.12", T0 + 2 * SEC);
    ot_assets_tick(r.as, T0 + OT_ASSET_FIRST_DELAY_S * SEC); /* a's "seen" only */
    json_t *ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 1);
    json_decref(ev);
    ot_assets_tick(r.as, T0 + (OT_ASSET_FIRST_DELAY_S + 2) * SEC); /* b's, then c's */
    ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 3);
    /* Table order: a, b, c. */
    assert_string_equal(ev_str(json_array_get(ev, 0), "mac"), "00:11:32:17:49:f0");
    assert_string_equal(ev_str(json_array_get(ev, 1), "mac"), "00:25:90:34:ee:54");
    assert_string_equal(ev_str(json_array_get(ev, 2), "mac"), "02:00:00:00:00:0c");
    json_decref(ev);
    /* a (the first entry) changes inside its rate limit: pending again, written when due. */
    rig_seen(&r, mac_a, "fd00::10", T0 + 10 * SEC);
    ot_assets_tick(r.as, T0 + 30 * SEC);
    ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 3);
    json_decref(ev);
    ot_assets_tick(r.as, T0 + (OT_ASSET_FIRST_DELAY_S + 60) * SEC);
    ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 4);
    json_t *e = json_array_get(ev, 3);
    assert_string_equal(ev_str(e, "reason"), "changed");
    assert_string_equal(ev_str(e, "mac"), "00:11:32:17:49:f0");
    json_decref(ev);
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_home_only),    cmocka_unit_test(test_ip_cap),
        cmocka_unit_test(test_ip_moves),     cmocka_unit_test(test_gateway),
        cmocka_unit_test(test_table_full),   cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_flapping),     cmocka_unit_test(test_refresh),
        cmocka_unit_test(test_dhcp_pending), cmocka_unit_test(test_name_attribution),
        cmocka_unit_test(test_vendor),       cmocka_unit_test(test_conf),
        cmocka_unit_test(test_growth),       cmocka_unit_test(test_due_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
