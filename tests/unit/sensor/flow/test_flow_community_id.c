/*
 * Community ID v1 against published vectors: the reference implementation's
 * tests (corelight/pycommunityid, tests/communityid_test.py: seed 0 and
 * seed 1), plus values computed by Wireshark 4.0's communityid dissector for
 * cases those tests lack (UDP over IPv6, another seed, equal addresses).
 */
#include "flow-test.h"

struct vec {
    const char *src, *dst;
    uint16_t sp, dp; /* ICMP: type, code */
    uint8_t proto;
    uint16_t seed;
    const char *want;
};

static const struct vec vectors[] = {
    /* pycommunityid test_tcp */
    {"128.232.110.120", "66.35.250.204", 34855, 80, 6, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {"66.35.250.204", "128.232.110.120", 80, 34855, 6, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {"128.232.110.120", "66.35.250.204", 34855, 80, 6, 1, "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
    {"10.0.0.1", "10.0.0.2", 10, 11569, 6, 0, "1:SXBGMX1lBOwhhoDrZynfROxnhnM="},
    {"10.0.0.1", "10.0.0.2", 10, 11569, 6, 1, "1:HmBRGR+fUyXF4t8WEtal7Y0gEAo="},
    /* test_udp */
    {"192.168.1.52", "8.8.8.8", 54585, 53, 17, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {"8.8.8.8", "192.168.1.52", 53, 54585, 17, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {"192.168.1.52", "8.8.8.8", 54585, 53, 17, 1, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
    /* test_sctp */
    {"192.168.170.8", "192.168.170.56", 7, 80, 132, 0, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ="},
    {"192.168.170.56", "192.168.170.8", 80, 7, 132, 1, "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU="},
    /* test_icmp: echo and reply pair up; type 20 has no counterpart (one-way) */
    {"192.168.0.89", "192.168.0.1", 8, 0, 1, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {"192.168.0.1", "192.168.0.89", 0, 8, 1, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {"192.168.0.89", "192.168.0.1", 8, 0, 1, 1, "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
    {"192.168.0.89", "192.168.0.1", 20, 0, 1, 0, "1:3o2RFccXzUgjl7zDpqmY7yJi8rI="},
    {"192.168.0.89", "192.168.0.1", 20, 1, 1, 0, "1:tz/fHIDUHs19NkixVVoOZywde+I="},
    {"192.168.0.89", "192.168.0.1", 20, 1, 1, 1, "1:Ie3wmFyxiEyikbsbcO03d2nh+PM="},
    {"192.168.0.1", "192.168.0.89", 0, 20, 1, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    /* test_icmp6 */
    {"fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, 58, 0,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {"fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0, 58, 0,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {"fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, 58, 1,
     "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
    {"3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, 58, 0,
     "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w="},
    {"3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0, 58, 0,
     "1:/OGBt9BN1ofenrmSPWYicpij2Vc="},
    {"3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0, 58, 1,
     "1:Ij4ZxnC87/MXzhOjvH2vHu7LRmE="},
    /* test_ip: no ports (protocol 46) */
    {"10.1.24.4", "10.1.12.1", 0, 0, 46, 0, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4="},
    {"10.1.12.1", "10.1.24.4", 0, 0, 46, 0, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4="},
    {"10.1.24.4", "10.1.12.1", 0, 0, 46, 1, "1:BK3BVW3U2eemuwVQVN3zd/GULno="},

    /* Wireshark 4.0.17, communityid dissector (seeds 0, 1, 4242) */
    {"2001:db8::1", "2001:db8::53", 5353, 53, 17, 0, "1:8rGE/8caNsUS5YBADl0Jqq5Khdw="},
    {"2001:db8::53", "2001:db8::1", 53, 5353, 17, 0, "1:8rGE/8caNsUS5YBADl0Jqq5Khdw="},
    {"2001:db8::1", "2001:db8::53", 5353, 53, 17, 1, "1:0bW8J7StIiYk961PlrwV5s1ROqc="},
    {"2001:db8::1", "2001:db8::53", 5353, 53, 17, 4242, "1:cLtcwXBfuQiwLZlH2I/quXB/nNk="},
    {"fe80::1", "ff02::1:ff00:2", 546, 547, 17, 0, "1:fJqk+MxKnpiCDf67UDmtzQYUfUs="},
    {"2001:db8::1", "2001:db8::2", 1234, 80, 6, 0, "1:r0kqPLw6hSIAasyo9ANthUgbhVA="},
    {"2001:db8::1", "2001:db8::2", 1234, 80, 6, 4242, "1:G9xNNGW+kdRGAhOS58+voy3NCxA="},
    {"10.0.0.1", "10.0.0.2", 40000, 443, 6, 0, "1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8="},
    {"192.168.1.52", "8.8.8.8", 54585, 53, 17, 4242, "1:0sssq7jlnhpQjOA3/6vrscUK7HQ="},
    {"10.0.0.1", "10.0.0.1", 2000, 1000, 17, 0, "1:Gv0o4uh/r12CgtHWMgO2ie1BPKU="},
    {"10.0.0.1", "10.0.0.1", 1000, 2000, 17, 1, "1:dtpk3as98jVpQ6/rTGF51OCJaQ0="},
    {"2001:db8::2", "2001:db8::1", 128, 0, 58, 0, "1:YDcnf7YthUKAbDNo6Cs3rX4jq4w="},
    {"2001:db8::1", "2001:db8::2", 129, 0, 58, 1, "1:ijuGdmu34PuVMV7EyU8k7e9BQjY="},
    {"10.0.0.1", "10.0.0.2", 13, 0, 1, 0, "1:6zK3cgZa+RmEpj3VhWmGXnOWUZk="},
    {"10.0.0.2", "10.0.0.1", 14, 0, 1, 1, "1:rSbXdMRkYSirMqivqAAU5l0McpI="},
    {"10.0.0.1", "10.0.0.2", 11, 1, 1, 0, "1:SdShbcOZgHMr+/zTriiMrDAp0Gw="},
    {"10.0.0.1", "10.0.0.2", 11, 1, 1, 4242, "1:XVOVEihqfyUd1jEDO7UalDl23bQ="},
    {"10.0.0.2", "10.0.0.1", 0, 0, 47, 0, "1:+KlEHDT0vJgzs/eNmzHq0aSpRYw="},
    {"10.0.0.1", "10.0.0.2", 0, 0, 47, 1, "1:BuvF116GIMVorQSVAHuZSothg0Q="},
};

static void test_vectors(void **state)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vec *v = &vectors[i];
        struct ot_addr a, b;
        bool v6a, v6b;
        set_addr(&a, v->src, &v6a);
        set_addr(&b, v->dst, &v6b);
        char out[64];
        memset(out, 'x', sizeof(out));
        ot_community_id(v->seed, &a, v->sp, &b, v->dp, v->proto, v6a, out);
        if (strcmp(out, v->want) != 0)
            fail_msg("vector %zu (%s -> %s proto %u seed %u): got %s, want %s", i, v->src, v->dst,
                     v->proto, v->seed, out, v->want);
    }
}

/* The flow table fills community_id from its configured seed, the same for either first packet. */
static void test_flow_fills_community_id(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.community_id_seed = 1;
    struct ot_flow_table *t = table_new(r, &cfg);
    struct ot_packet p = mk_tcp("66.35.250.204", 80, "128.232.110.120", 34855,
                                OT_TH_SYN | OT_TH_ACK, 1, 2, NULL, 0, T0);
    ot_flow_process(t, &p);
    assert_string_equal(r->last_flow->community_id, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");
    p = mk_udp("2001:db8::53", 53, "2001:db8::1", 5353, "x", 1, T0);
    ot_flow_process(t, &p);
    assert_string_equal(r->last_flow->community_id, "1:0bW8J7StIiYk961PlrwV5s1ROqc=");
    ot_flow_table_free(t, T0);
    rec_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_flow_fills_community_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
