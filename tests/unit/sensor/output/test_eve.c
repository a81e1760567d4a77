#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "output/eve.h"
#include "output/eve-text.h"
#include "proto/proto.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/ot-eve-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static json_t *read_line(const char *path, int n)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[8192];
    json_t *j = NULL;
    for (int i = 0; i <= n; i++)
        assert_non_null(fgets(line, sizeof(line), fp));
    fclose(fp);
    json_error_t err;
    j = json_loads(line, 0, &err);
    assert_non_null(j);
    return j;
}

static void test_common_fields(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/e.json", dir);
    struct ot_eve_config c;
    ot_eve_config_defaults(&c);
    c.path = path;
    c.sensor_id = "s1";
    struct ot_eve e;
    assert_int_equal(ot_eve_open(&e, &c), 0);

    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    f.cli.u.b[0] = 192, f.cli.u.b[1] = 168, f.cli.u.b[2] = 1, f.cli.u.b[3] = 2;
    f.srv.u.b[0] = 8, f.srv.u.b[1] = 8, f.srv.u.b[2] = 8, f.srv.u.b[3] = 8;
    f.cli_port = 5555;
    f.srv_port = 53;
    f.ip_proto = 17;
    f.flow_id = 77;
    f.app_proto = OT_APP_DNS;
    f.vlan_count = 1;
    f.vlan[0] = 10;
    snprintf(f.community_id, sizeof(f.community_id), "1:abc=");

    struct ot_jw *w = ot_eve_begin(&e, "dns", 1609556645000006ULL, &f, 1);
    ot_jw_obj_open(w, "dns");
    ot_jw_str(w, "type", "answer");
    ot_jw_obj_close(w);
    assert_int_equal(ot_eve_end(&e), 0);
    w = ot_eve_begin(&e, "stats", 1609556645000006ULL, NULL, 0);
    assert_int_equal(ot_eve_end(&e), 0);
    assert_int_equal(ot_eve_close(&e), 0);

    json_t *j = read_line(path, 0);
    assert_string_equal(json_string_value(json_object_get(j, "timestamp")),
                        "2021-01-02T03:04:05.000006+0000");
    assert_int_equal(json_integer_value(json_object_get(j, "flow_id")), 77);
    assert_string_equal(json_string_value(json_object_get(j, "event_type")), "dns");
    /* dir 1: the server is the source */
    assert_string_equal(json_string_value(json_object_get(j, "src_ip")), "8.8.8.8");
    assert_int_equal(json_integer_value(json_object_get(j, "src_port")), 53);
    assert_string_equal(json_string_value(json_object_get(j, "dest_ip")), "192.168.1.2");
    assert_int_equal(json_integer_value(json_object_get(j, "dest_port")), 5555);
    assert_string_equal(json_string_value(json_object_get(j, "proto")), "UDP");
    assert_string_equal(json_string_value(json_object_get(j, "app_proto")), "dns");
    assert_string_equal(json_string_value(json_object_get(j, "community_id")), "1:abc=");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "vlan"), 0)), 10);
    assert_string_equal(json_string_value(json_object_get(j, "sensor_id")), "s1");
    const char *id1 = json_string_value(json_object_get(j, "event_id"));
    assert_non_null(id1);
    json_t *k = read_line(path, 1);
    const char *id2 = json_string_value(json_object_get(k, "event_id"));
    assert_non_null(id2);
    assert_string_not_equal(id1, id2);
    assert_null(json_object_get(k, "flow_id"));
    json_decref(j);
    json_decref(k);
}

static void test_rotation(void **state)
{
    char path[128], p1[140], p2[140], p3[140];
    snprintf(path, sizeof(path), "%s/r.json", dir);
    snprintf(p1, sizeof(p1), "%s.1", path);
    snprintf(p2, sizeof(p2), "%s.2", path);
    snprintf(p3, sizeof(p3), "%s.3", path);
    struct ot_eve_config c;
    ot_eve_config_defaults(&c);
    c.path = path;
    c.rotate_bytes = 1000;
    c.rotate_keep = 2;
    struct ot_eve e;
    assert_int_equal(ot_eve_open(&e, &c), 0);
    for (int i = 0; i < 100; i++) {
        ot_eve_begin(&e, "stats", 1000000, NULL, 0);
        assert_int_equal(ot_eve_end(&e), 0);
    }
    assert_int_equal(ot_eve_close(&e), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size <= 1000);
    assert_int_equal(stat(p1, &st), 0);
    assert_true(st.st_size <= 1000);
    assert_int_equal(stat(p2, &st), 0);
    assert_int_not_equal(stat(p3, &st), 0); /* only 2 kept */
    assert_true(e.stats.rotations > 2);
}

static void test_oversized_event_dropped(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/big.json", dir);
    struct ot_eve_config c;
    ot_eve_config_defaults(&c);
    c.path = path;
    c.max_event_bytes = 512;
    struct ot_eve e;
    assert_int_equal(ot_eve_open(&e, &c), 0);
    struct ot_jw *w = ot_eve_begin(&e, "x", 0, NULL, 0);
    char big[1000];
    memset(big, 'a', sizeof(big));
    ot_jw_strn(w, "big", big, sizeof(big));
    assert_int_not_equal(ot_eve_end(&e), 0);
    ot_eve_begin(&e, "y", 0, NULL, 0);
    assert_int_equal(ot_eve_end(&e), 0);
    assert_int_equal(e.stats.dropped_large, 1);
    assert_int_equal(ot_eve_close(&e), 0);
    json_t *j = read_line(path, 0);
    assert_string_equal(json_string_value(json_object_get(j, "event_type")), "y");
    json_decref(j);
}

/* ot_put_u64() and ot_put_bytes() against snprintf/memcpy at every digit-count boundary. */
static void test_put_helpers(void **state)
{
    uint64_t x = 0x2545f4914f6cdd1dULL, p = 1;
    for (int d = 0; d <= 20; d++) {
        x ^= x << 13;
        x ^= x >> 7;
        uint64_t vs[] = {p - 1, p, p + 1, p * 3, UINT64_MAX, x, x >> (x % 64)};
        for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
            char got[32], want[32];
            memset(got, '#', sizeof(got));
            char *end = ot_put_u64(got, vs[i]);
            int n = snprintf(want, sizeof(want), "%llu", (unsigned long long)vs[i]);
            assert_int_equal(end - got, n);
            assert_memory_equal(got, want, (size_t)n);
            assert_int_equal(got[n], '#'); /* nothing written past the end */
            assert_int_equal(ot_dec_digits(vs[i]), n);
        }
        if (d < 19)
            p *= 10;
    }
    char src[40], dst[48];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (char)('A' + i);
    for (size_t n = 0; n <= sizeof(src); n++) {
        memset(dst, '#', sizeof(dst));
        assert_ptr_equal(ot_put_bytes(dst, src, n), dst + n);
        assert_memory_equal(dst, src, n);
        assert_int_equal(dst[n], '#');
    }
}

/* A flow event and a header with a flow still written whole when the bound is below the header's
 * worst case. */
static void test_small_bound_keeps_events(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/small.json", dir);
    struct ot_eve_config c;
    ot_eve_config_defaults(&c);
    c.path = path;
    c.max_event_bytes = 1024;
    struct ot_eve e;
    assert_int_equal(ot_eve_open(&e, &c), 0);
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    f.ip_proto = 6;
    f.cli.u.b[0] = 10;
    f.srv.u.b[0] = 192;
    f.cli_port = 1234;
    f.srv_port = 80;
    f.flow_id = 42;
    ot_eve_flow(&e, &f, "timeout", NULL);
    ot_eve_begin(&e, "dns", 1, &f, 1);
    assert_int_equal(ot_eve_end(&e), 0);
    assert_int_equal(e.stats.dropped_large, 0);
    assert_int_equal(e.stats.events, 2);
    assert_int_equal(ot_eve_close(&e), 0);
    json_t *j = read_line(path, 1);
    assert_string_equal(json_string_value(json_object_get(j, "src_ip")), "192.0.0.0");
    assert_int_equal(json_integer_value(json_object_get(j, "dest_port")), 1234);
    json_decref(j);
}

/*
 * The header and the flow event as they were written field by field before
 * ot_eve_begin() and ot_eve_flow() rendered them in one buffer: the
 * reference both must match byte for byte.
 */
static void ref_header(struct ot_jw *w, struct ot_timefmt *tf, const struct ot_eve *e,
                       const char *event_type, uint64_t ts_us, const struct ot_flow *f, int side,
                       uint64_t seq)
{
    char ts[OT_TS_LEN + 1];
    ot_jw_reset(w);
    ot_jw_obj_open(w, NULL);
    ot_jw_strn(w, "timestamp", ts, ot_timefmt_us(tf, ts_us, ts));
    if (f)
        ot_jw_u64(w, "flow_id", f->flow_id);
    ot_jw_str(w, "event_type", event_type);
    if (f) {
        if (f->vlan_count) {
            ot_jw_arr_open(w, "vlan");
            for (unsigned i = 0; i < f->vlan_count && i < OT_VLAN_MAX; i++)
                ot_jw_u64(w, NULL, f->vlan[i]);
            ot_jw_arr_close(w);
        }
        const struct ot_addr *sa = side ? &f->srv : &f->cli;
        const struct ot_addr *da = side ? &f->cli : &f->srv;
        char ip[48], tmp[4];
        bool ports = f->ip_proto == 6 || f->ip_proto == 17 || f->ip_proto == 132;
        ot_jw_strn(w, "src_ip", ip, ot_addr_fmt(sa, f->v6, ip));
        if (ports)
            ot_jw_u64(w, "src_port", side ? f->srv_port : f->cli_port);
        ot_jw_strn(w, "dest_ip", ip, ot_addr_fmt(da, f->v6, ip));
        if (ports)
            ot_jw_u64(w, "dest_port", side ? f->cli_port : f->srv_port);
        ot_jw_str(w, "proto", ot_ipproto_name(f->ip_proto, tmp));
        if (f->app_proto != OT_APP_UNKNOWN)
            ot_jw_str(w, "app_proto", ot_app_proto_name(f->app_proto));
        if (f->app_proto_orig != OT_APP_UNKNOWN)
            ot_jw_str(w, "app_proto_orig", ot_app_proto_name(f->app_proto_orig));
        if (f->community_id[0])
            ot_jw_str(w, "community_id", f->community_id);
    }
    char id[64];
    int n = snprintf(id, sizeof(id), "%s-%llx", e->run_id, (unsigned long long)seq);
    ot_jw_strn(w, "event_id", id, (size_t)n);
    ot_jw_str(w, "sensor_id", e->sensor_id);
}

static void ref_flow(struct ot_jw *w, struct ot_timefmt *tf, const struct ot_flow *f,
                     const char *reason)
{
    char ts[OT_TS_LEN + 1];
    if (f->ip_proto == 1 || f->ip_proto == 58) {
        ot_jw_u64(w, "icmp_type", f->cli_port);
        ot_jw_u64(w, "icmp_code", f->srv_port);
    }
    ot_jw_obj_open(w, "flow");
    ot_jw_u64(w, "pkts_toserver", f->pkts[0]);
    ot_jw_u64(w, "pkts_toclient", f->pkts[1]);
    ot_jw_u64(w, "bytes_toserver", f->bytes[0]);
    ot_jw_u64(w, "bytes_toclient", f->bytes[1]);
    ot_jw_strn(w, "start", ts, ot_timefmt_us(tf, f->start_us, ts));
    ot_jw_strn(w, "end", ts, ot_timefmt_us(tf, f->last_us, ts));
    ot_jw_u64(w, "age", (f->last_us - f->start_us) / 1000000);
    ot_jw_str(w, "state", ot_flow_state_name(f->state));
    ot_jw_str(w, "reason", reason);
    ot_jw_obj_close(w);
    if (f->ip_proto == 6) {
        static const struct {
            uint8_t bit;
            const char *name;
        } names[] = {{OT_TH_FIN, "fin"}, {OT_TH_SYN, "syn"}, {OT_TH_RST, "rst"},
                     {OT_TH_PSH, "psh"}, {OT_TH_ACK, "ack"}, {OT_TH_URG, "urg"},
                     {OT_TH_ECE, "ecn"}, {OT_TH_CWR, "cwr"}};
        uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
        ot_jw_obj_open(w, "tcp");
        ot_jw_hex(w, "tcp_flags", &all, 1, 0);
        ot_jw_hex(w, "tcp_flags_ts", &f->tcp_flags[0], 1, 0);
        ot_jw_hex(w, "tcp_flags_tc", &f->tcp_flags[1], 1, 0);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (all & names[i].bit)
                ot_jw_bool(w, names[i].name, true);
        ot_jw_str(w, "state", ot_flow_state_name(f->state));
        ot_jw_obj_close(w);
    }
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* A flow with every header-relevant field drawn at random (addresses mostly zero groups). */
static void random_flow(struct ot_flow *f, uint64_t *x)
{
    static const uint8_t protos[] = {6, 17, 1, 58, 132, 47, 50, 2, 255};
    memset(f, 0, sizeof(*f));
    f->v6 = rnd(x) & 1;
    for (int i = 0; i < (f->v6 ? 16 : 4); i++) {
        f->cli.u.b[i] = (rnd(x) & 3) ? 0 : (uint8_t)rnd(x);
        f->srv.u.b[i] = (uint8_t)rnd(x);
    }
    f->cli_port = (uint16_t)rnd(x);
    f->srv_port = (uint16_t)(rnd(x) & 1 ? 443 : rnd(x));
    f->ip_proto = protos[rnd(x) % sizeof(protos)];
    f->flow_id = rnd(x) >> (rnd(x) % 64);
    f->vlan_count = (uint8_t)(rnd(x) % (OT_VLAN_MAX + 2));
    for (unsigned i = 0; i < OT_VLAN_MAX; i++)
        f->vlan[i] = (uint16_t)(rnd(x) & 4095);
    f->app_proto = (uint16_t)(rnd(x) % OT_APP__COUNT);
    f->app_proto_orig = (uint16_t)((rnd(x) & 3) ? 0 : rnd(x) % OT_APP__COUNT);
    if (rnd(x) % 8) {
        static const char b64[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        memcpy(f->community_id, "1:", 2);
        for (int i = 2; i < 30; i++)
            f->community_id[i] = b64[rnd(x) % 64];
    }
    f->pkts[0] = rnd(x) >> (rnd(x) % 64);
    f->pkts[1] = rnd(x) >> (rnd(x) % 64);
    f->bytes[0] = rnd(x) >> (rnd(x) % 64);
    f->bytes[1] = rnd(x) >> (rnd(x) % 64);
    f->start_us = 1500000000000000ULL + rnd(x) % 100000000000000ULL;
    f->last_us = f->start_us + rnd(x) % 7200000000ULL;
    f->state = (uint8_t)(rnd(x) % 4);
    f->tcp_flags[0] = (uint8_t)rnd(x);
    f->tcp_flags[1] = (uint8_t)rnd(x);
}

static void test_rendered_fields_match_field_writer(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/fast.json", dir);
    struct ot_eve_config c;
    ot_eve_config_defaults(&c);
    c.path = path;
    c.sensor_id = "s\"1\\\x01\xc3\xa9"; /* needs escaping: rendered once at open */
    struct ot_eve e;
    assert_int_equal(ot_eve_open(&e, &c), 0);
    struct ot_jw ref;
    assert_int_equal(ot_jw_init(&ref, 256, 1 << 20), 0);
    struct ot_timefmt tf;
    ot_timefmt_init(&tf);
    /* The last two take the field-by-field path: one needs escaping, one is over 64 bytes. */
    static const char long_type[] =
        "a-very-long-event-type-name-that-the-fast-path-leaves-to-the-field-writer";
    static const char *types[] = {"flow", "dns", "tls", "a\"b", long_type};
    static const char *reasons[] = {"timeout", "evicted", "shutdown", "tcp_reuse"};
    FILE *out = fopen(path, "r");
    assert_non_null(out);
    char line[4096];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 3000; i++) {
        struct ot_flow f;
        random_flow(&f, &x);
        const char *type = types[rnd(&x) % 5];
        int side = (int)(rnd(&x) & 1);
        bool flow_event = rnd(&x) & 1;
        const char *reason = reasons[rnd(&x) % 4];
        if (i % 7 == 0) /* event ids of every length */
            e.next_seq = rnd(&x) >> (rnd(&x) % 64);
        uint64_t seq = e.next_seq;
        if (flow_event) {
            ot_eve_flow(&e, &f, reason, NULL);
            ref_header(&ref, &tf, &e, "flow", f.last_us, &f, 0, seq);
            ref_flow(&ref, &tf, &f, reason);
        } else {
            bool with_flow = rnd(&x) % 4;
            uint64_t ts = f.start_us + rnd(&x) % 1000000;
            ot_eve_begin(&e, type, ts, with_flow ? &f : NULL, side);
            ot_jw_u64(&e.jw, "n", (uint64_t)i);
            assert_int_equal(ot_eve_end(&e), 0);
            ref_header(&ref, &tf, &e, type, ts, with_flow ? &f : NULL, side, seq);
            ot_jw_u64(&ref, "n", (uint64_t)i);
        }
        ot_jw_obj_close(&ref);
        ot_jw_putc(&ref, '\n');
        assert_true(ot_jw_ok(&ref));
        assert_int_equal(ot_eve_flush(&e), 0);
        assert_non_null(fgets(line, sizeof(line), out));
        if (strlen(line) != ref.len || memcmp(line, ref.buf, ref.len) != 0)
            fail_msg("event %d differs:\n got %s want %.*s", i, line, (int)ref.len, ref.buf);
    }
    fclose(out);
    ot_jw_free(&ref);
    assert_int_equal(ot_eve_close(&e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_fields),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_oversized_event_dropped),
        cmocka_unit_test(test_rendered_fields_match_field_writer),
        cmocka_unit_test(test_put_helpers),
        cmocka_unit_test(test_small_bound_keeps_events),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
