/*
 * The inventory on real captures from the shared data set (read in place,
 * never copied): every decoded packet goes through libpcap and ot_decode()
 * to ot_assets_packet(), with home networks 10/8, 192.168/16, fd00::/8 and
 * fe80::/10.  Skipped with a message when the data set is absent (set OT_DATA
 * to its location; default: ../shared/data beside the source tree).
 *
 *   zeek dns/mdns.pcap           mDNS announcements over v4 and v6
 *   arkime nbns.pcap             NetBIOS registrations (unique, group, user names)
 *   nDPI netbios.pcap            NetBIOS queries, responses, node status
 *   suricata-verify llmnr-udp    an LLMNR response
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "asset-test.h"
#include "decode/decode.h"

static char data_dir[4096];

static bool have_data(void)
{
    const char *env = getenv("OT_DATA");
    if (env && *env)
        snprintf(data_dir, sizeof(data_dir), "%s/pcaps", env);
    else
        snprintf(data_dir, sizeof(data_dir), "%s/../shared/data/pcaps", OT_SOURCE_DIR);
    struct stat st;
    return stat(data_dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Feed one capture; returns false (test skipped) when the file is not there. */
static bool run_pcap(struct rig *r, const char *rel)
{
    char path[8192], err[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof(path), "%s/%s", data_dir, rel);
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc) {
        printf("skip: %s: %s\n", path, err);
        return false;
    }
    struct ot_decoder dec;
    struct ot_decode_config dc;
    ot_decode_config_defaults(&dc);
    assert_int_equal(ot_decoder_init(&dec, &dc), 0);
    int dlt = pcap_datalink(pc);
    struct pcap_pkthdr *h;
    const u_char *d;
    uint64_t last = 0;
    while (pcap_next_ex(pc, &h, &d) == 1) {
        struct ot_packet p;
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        if (ot_decode(&dec, dlt, d, h->caplen, h->len, ts, &p) == OT_DECODE_OK)
            ot_assets_packet(r->as, &p);
        ot_assets_tick(r->as, ts);
        last = ts;
    }
    ot_decoder_free(&dec);
    pcap_close(pc);
    assert_int_equal(ot_assets_finish(r->as, last), 0);
    return true;
}

static void mac_of(const char *s, uint8_t m[6])
{
    unsigned v[6];
    assert_int_equal(sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]), 6);
    for (int i = 0; i < 6; i++)
        m[i] = (uint8_t)v[i];
}

static bool has_ip(const struct ot_asset_info *in, const char *ip)
{
    for (unsigned i = 0; i < in->n_ips; i++) {
        char t[48];
        ot_addr_fmt(&in->ips[i].addr, in->ips[i].v6, t);
        if (strcmp(t, ip) == 0)
            return true;
    }
    return false;
}

/* Open a rig, run the capture, look up one MAC. False = skipped. */
static bool run_and_find(struct rig *r, const char *rel, const char *mac,
                         struct ot_asset_info *info)
{
    if (!have_data()) {
        printf("skip: shared captures not found at %s\n", data_dir);
        return false;
    }
    rig_conf(r);
    rig_open(r);
    if (!run_pcap(r, rel)) {
        rig_close(r);
        return false;
    }
    uint8_t m[6];
    mac_of(mac, m);
    assert_true(ot_assets_find_mac(r->as, m, info));
    return true;
}

static void test_mdns(void **unused)
{
    struct rig r;
    struct ot_asset_info in;
    if (!run_and_find(&r, "zeek__zeek/testing/btest/Traces/dns/mdns.pcap", "8a:3c:d6:e1:4d:c4",
                      &in))
        skip();
    assert_string_equal(in.hostname, "johanna-QEMU-Virtual-Machine");
    assert_int_equal(in.hostname_source, OT_NAME_MDNS);
    assert_true(has_ip(&in, "10.0.2.7"));
    assert_true(has_ip(&in, "fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4"));
    assert_true(has_ip(&in, "fe80::883c:d6ff:fee1:4dc4"));
    /* Announced in the records, never a packet source: joined through the name. */
    assert_true(has_ip(&in, "fd52:429e:c03c:8235:5968:5bc6:1563:f82f"));
    assert_null(in.vendor); /* locally administered MAC */
    const struct ot_asset_stats *st = ot_assets_stats(r.as);
    assert_int_equal(st->tracked, 1);
    assert_int_equal(st->names_malformed[OT_NAME_MDNS], 0);
    json_t *ev = rig_events(&r);
    assert_true(json_array_size(ev) >= 1);
    printf("mdns.pcap: %zu asset events, %llu mDNS names\n", json_array_size(ev),
           (unsigned long long)st->names_seen[OT_NAME_MDNS]);
    json_decref(ev);
    rig_close(&r);
}

static void test_nbns_registrations(void **unused)
{
    struct rig r;
    struct ot_asset_info in;
    if (!run_and_find(&r, "arkime__arkime/tests/pcap/nbns.pcap", "00:50:56:33:78:9e", &in))
        skip();
    /* WORKGROUP is a group, "MARTIN ROSENAU"<03> a user: the host is MDJR98. */
    assert_string_equal(in.hostname, "MDJR98");
    assert_int_equal(in.hostname_source, OT_NAME_NETBIOS);
    assert_int_equal(in.n_ips, 1);
    assert_true(has_ip(&in, "192.168.239.129"));
    json_t *ev = rig_events(&r);
    /* seen (5 s after the first registration, which was <03>: with the name), final */
    assert_int_equal(json_array_size(ev), 2);
    assert_string_equal(ev_str(json_array_get(ev, 0), "hostname"), "MDJR98");
    json_decref(ev);
    rig_close(&r);
}

static void test_netbios_mixed(void **unused)
{
    struct rig r;
    struct ot_asset_info in;
    if (!run_and_find(&r, "ntop__nDPI/tests/cfgs/default/pcap/netbios.pcap", "00:1c:c4:10:79:0f",
                      &in))
        skip();
    assert_string_equal(in.hostname, "GUNNAR");
    assert_true(has_ip(&in, "10.0.4.24"));
    const struct ot_asset_stats *st = ot_assets_stats(r.as);
    assert_int_equal(st->names_malformed[OT_NAME_NETBIOS], 0);
    printf("netbios.pcap: %llu assets, %llu NetBIOS names (%llu about unknown hosts)\n",
           (unsigned long long)st->tracked, (unsigned long long)st->names_seen[OT_NAME_NETBIOS],
           (unsigned long long)st->names_unattributed);
    rig_close(&r);
}

static void test_llmnr(void **unused)
{
    struct rig r;
    struct ot_asset_info in;
    if (!run_and_find(&r, "OISF__suricata-verify/tests/llmnr/llmnr-udp/input.pcap",
                      "00:25:90:34:ee:54", &in))
        skip();
    assert_string_equal(in.hostname, "HS2011"); /* the answer's name, as the host wrote it */
    assert_int_equal(in.hostname_source, OT_NAME_LLMNR);
    uint8_t asker[6];
    mac_of("a4:db:30:19:ad:73", asker);
    assert_true(ot_assets_find_mac(r.as, asker, &in));
    assert_string_equal(in.hostname, ""); /* the asker's query names someone else */
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mdns),
        cmocka_unit_test(test_nbns_registrations),
        cmocka_unit_test(test_netbios_mixed),
        cmocka_unit_test(test_llmnr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
