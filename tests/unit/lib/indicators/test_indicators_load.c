/*
 * Indicator loaders: plain lists and CSV, from buffers and files; per-file
 * defaults; every error message with its FILE:LINE; over-long lines; the
 * maximum count; the cap on reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ioc-test.h"

static void test_plain_basics(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct reports r;
    struct ot_ioc_load_stats st;
    struct ot_ioc_hit h;
    const char *text = "\xEF\xBB\xBF# header comment\r\n"
                       "\n"
                       "   \t\n"
                       "evil.example\r\n"
                       "  192.0.2.1  # trailing comment\n"
                       "198.51.100.7:8080\n"
                       "203.0.113.0/24 # net\n"
                       "192.0.2.9\t7\n" /* IPsum: count after the value */
                       "192.0.2.10 3 # x\n"
                       "; a Spamhaus-style comment\n"
                       "192.0.2.11 ; SBL123\n"
                       "http://evil.example/gate.php#frag\n"
                       "e7d705a3286e19ea42f587b344ee6865\n"
                       "192.0.2.1\n"     /* duplicate */
                       "EVIL.example.\n" /* duplicate */
                       "last.example";   /* no final newline */
    assert_int_equal(load_text(s, "/feeds/malware/emotet.txt", text, &r, &st), 0);
    dump_reports(&r);
    assert_int_equal(r.n, 0);
    assert_int_equal(st.lines, 16);
    assert_int_equal(st.loaded, 10);
    assert_int_equal(st.duplicates, 2);
    assert_int_equal(st.errors, 0);
    ot_ioc_set_finalize(s);
    assert_true(dom(s, "a.evil.example", &h));
    assert_string_equal(h.category, "emotet");
    assert_string_equal(h.source, "emotet.txt");
    assert_string_equal(h.file, "/feeds/malware/emotet.txt");
    assert_int_equal(h.line, 4);
    assert_int_equal(h.confidence, 100);
    assert_true(ip4(s, "192.0.2.1", &h));
    assert_int_equal(h.line, 5);
    assert_true(ip4(s, "198.51.100.7", &h));
    assert_int_equal(h.port, 8080);
    assert_true(ip4(s, "203.0.113.77", NULL));
    assert_true(ip4(s, "192.0.2.9", NULL));
    assert_true(ip4(s, "192.0.2.10", NULL));
    assert_true(ip4(s, "192.0.2.11", NULL));
    assert_true(ot_ioc_match_url(s, "evil.example", 12, "/gate.php", 9, &h));
    assert_string_equal(h.value, "http://evil.example/gate.php#frag");
    assert_true(ot_ioc_match_hash(s, OT_IOC_JA3, "e7d705a3286e19ea42f587b344ee6865", 32, NULL));
    assert_true(dom(s, "last.example", &h));
    assert_int_equal(h.line, 16);
    ot_ioc_set_free(s);
}

static void test_plain_options(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_hit h;
    struct ot_ioc_load_opts o = {.category = "c2", .source = "vendor", .confidence = 60};
    assert_int_equal(ot_ioc_load_buffer(s, "x.list", "a.example\n", 10, &o, NULL), 0);
    /* no extension: the whole base name; a leading dot is not an extension */
    assert_int_equal(ot_ioc_load_buffer(s, "dir.d/blocklist", "b.example\n", 10, NULL, NULL), 0);
    assert_int_equal(ot_ioc_load_buffer(s, ".hidden", "c.example\n", 10, NULL, NULL), 0);
    assert_int_equal(ot_ioc_load_buffer(s, "empty.txt", NULL, 0, NULL, NULL), 0);
    o.confidence = 101;
    assert_int_equal(ot_ioc_load_buffer(s, "x.list", "d.example\n", 10, &o, NULL), OT_EINVAL);
    assert_true(dom(s, "a.example", &h));
    assert_string_equal(h.category, "c2");
    assert_string_equal(h.source, "vendor");
    assert_int_equal(h.confidence, 60);
    assert_true(dom(s, "b.example", &h));
    assert_string_equal(h.category, "blocklist");
    assert_string_equal(h.source, "blocklist");
    assert_true(dom(s, "c.example", &h));
    assert_string_equal(h.category, ".hidden");
    assert_false(dom(s, "d.example", NULL));
    ot_ioc_set_free(s);
}

static void test_plain_errors(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct reports r;
    struct ot_ioc_load_stats st;
    char text[8192];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof(text) - n,
                          "good.example\n"                 /* 1 */
                          "a b\n"                          /* 2 */
                          "1.2.3.999\n"                    /* 3 */
                          "10.0.0.0/33\n"                  /* 4 */
                          "1.2.3.4:0\n"                    /* 5 */
                          "bad..example\n"                 /* 6 */
                          "evil.example other.example\n"   /* 7 */
                          "evil.example:8080\n"            /* 8 */
                          "[a-z]+\\.example\n"             /* 9 */
                          "http:///x\n"                    /* 10 */
                          "deadbeefdeadbeefdeadbeefdead\n" /* 11 */
                          "bad\x01.example\n"              /* 12 */
                          "sub.example\n");                /* 13 */
    memcpy(text + n, "nul\0byte.example\n", 17);           /* 14 */
    n += 17;
    memset(text + n, 'a', 5000); /* 15 */
    n += 5000;
    n += (size_t)snprintf(text + n, sizeof(text) - n, "\nafter.example\n"); /* 16 */
    struct ot_ioc_load_opts o = {.report = collect, .report_ctx = &r, .max_reports = 100};
    r.n = 0;
    assert_int_equal(ot_ioc_load_buffer(s, "t.txt", text, n, &o, &st), 0);
    dump_reports(&r);
    assert_int_equal(st.lines, 16);
    assert_int_equal(st.loaded, 3);
    assert_int_equal(st.errors, 13);
    assert_int_equal(r.n, 13);
    assert_true(reported(&r, "t.txt:2: ", "unexpected text 'b' after the value"));
    assert_true(reported(&r, "t.txt:3: ", "invalid IPv4 address '1.2.3.999'"));
    assert_true(reported(&r, "t.txt:4: ", "prefix length /33 out of range for IPv4"));
    assert_true(reported(&r, "t.txt:5: ", "invalid port in '1.2.3.4:0'"));
    assert_true(reported(&r, "t.txt:6: ", "empty label in domain name 'bad..example'"));
    assert_true(reported(&r, "t.txt:7: ", "unexpected text 'other.example'"));
    assert_true(reported(&r, "t.txt:8: ", "a port after a domain name is not supported"));
    assert_true(reported(&r, "t.txt:9: ", "is not a recognised indicator"));
    assert_true(reported(&r, "t.txt:10: ", "URL without a host 'http:///x'"));
    assert_true(reported(&r, "t.txt:11: ", "28 hex digits is no JA3"));
    assert_true(reported(&r, "t.txt:12: ", "'bad\\x01.example' is not a recognised indicator"));
    assert_true(reported(&r, "t.txt:14: ", "NUL byte in line"));
    assert_true(reported(&r, "t.txt:15: ", "line longer than 4096 bytes"));
    assert_true(dom(s, "after.example", NULL));
    assert_true(dom(s, "sub.example", NULL));
    ot_ioc_set_free(s);
}

static void test_line_length_limit(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct reports r;
    struct ot_ioc_load_stats st;
    /* a 4096-byte line is fine (here a URL), 4097 is not; CRLF does not count */
    static char text[3 * 4200];
    size_t n = 0;
    const char *pre = "evil.example/";
    for (int len = 4096; len <= 4097; len++) {
        memcpy(text + n, pre, strlen(pre));
        memset(text + n + strlen(pre), 'p', (size_t)len - strlen(pre));
        n += (size_t)len;
        memcpy(text + n, "\r\n", 2);
        n += 2;
    }
    struct ot_ioc_load_opts o = {.report = collect, .report_ctx = &r};
    r.n = 0;
    assert_int_equal(ot_ioc_load_buffer(s, "long.txt", text, n, &o, &st), 0);
    dump_reports(&r);
    assert_int_equal(st.loaded, 1);
    assert_int_equal(st.errors, 1);
    assert_true(reported(&r, "long.txt:2: ", "line longer than 4096 bytes"));
    ot_ioc_set_free(s);
}

static void test_max_count_in_load(void **state)
{
    struct ot_ioc_set *s = new_set(3);
    struct reports r;
    struct ot_ioc_load_stats st;
    int rc = load_text(s, "many.txt",
                       "a.example\nb.example\na.example\nc.example\nd.example\n"
                       "e.example\n",
                       &r, &st);
    assert_int_equal(rc, OT_ELIMIT);
    dump_reports(&r);
    assert_int_equal(st.loaded, 3);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.lines, 5); /* line 6 is never read */
    assert_true(reported(&r, "many.txt:5: ",
                         "the set already holds its maximum of 3 indicators; the rest of the "
                         "file is not loaded"));
    ot_ioc_set_free(s);
}

static void test_report_cap(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct reports r = {0};
    struct ot_ioc_load_stats st;
    static char text[150 * 4];
    for (int i = 0; i < 150; i++)
        memcpy(text + i * 4, "a:b\n", 4);
    struct ot_ioc_load_opts o = {.report = collect, .report_ctx = &r, .max_reports = 0};
    assert_int_equal(ot_ioc_load_buffer(s, "junk.txt", text, sizeof(text), &o, &st), 0);
    assert_int_equal(st.errors, 150);
    assert_int_equal(r.n, OT_IOC_DEFAULT_MAX_REPORTS + 1);
    assert_string_equal(r.msg[r.n - 1], "junk.txt: 50 more problems not reported");
    ot_ioc_set_free(s);
}

static void test_files(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct reports r = {0};
    struct ot_ioc_load_stats st;
    struct ot_ioc_hit h;
    char path[256];
    /* > 64 KiB so that lines straddle the reader's chunks */
    static char big[200000];
    size_t n = 0;
    int count = 0;
    while (n + 40 < sizeof(big)) {
        n += (size_t)snprintf(big + n, sizeof(big) - n, "host-%d.example\n", count);
        count++;
    }
    temp_file(path, sizeof(path), "phishing.txt", big, n);
    struct ot_ioc_load_opts o = {.report = collect, .report_ctx = &r};
    assert_int_equal(ot_ioc_load_file(s, path, &o, &st), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(st.loaded, (uint64_t)count);
    assert_int_equal(st.lines, (uint64_t)count);
    for (int i = 0; i < count; i += 97) {
        char name[64];
        snprintf(name, sizeof(name), "x.host-%d.example", i);
        assert_true(dom(s, name, &h));
        assert_string_equal(h.category, "phishing");
        assert_string_equal(h.file, path);
        assert_int_equal(h.line, (uint32_t)i + 1);
    }
    temp_remove(path);

    /* format follows the extension: .csv (any case) is CSV */
    const char *csv = "value,category\n\"q.example\",\"c, with comma\"\n";
    temp_file(path, sizeof(path), "list.CSV", csv, strlen(csv));
    assert_int_equal(ot_ioc_load_file(s, path, &o, &st), 0);
    assert_int_equal(st.loaded, 1);
    assert_true(dom(s, "q.example", &h));
    assert_string_equal(h.category, "c, with comma");
    assert_int_equal(h.line, 2);
    temp_remove(path);

    r.n = 0;
    assert_int_equal(ot_ioc_load_file(s, "/nonexistent/feed.txt", &o, &st), OT_ENOENT);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.msg[0], "/nonexistent/feed.txt: cannot open: No such file or directory");
    r.n = 0;
    assert_int_equal(ot_ioc_load_file(s, "/tmp", &o, &st), OT_EIO);
    assert_true(reported(&r, "/tmp: ", "read error"));
    ot_ioc_set_free(s);
}

static void test_csv_headerless(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct reports r;
    struct ot_ioc_load_stats st;
    struct ot_ioc_hit h;
    const char *text = "# comment\n"
                       "evil.example,domain,phishing,80,feedA\n"
                       "192.0.2.1\n"
                       "192.0.2.2,,,,\n"
                       " \"198.51.100.0/24\" , cidr , \"scan,ners\" , 5 , \"the \"\"X\"\" feed\"\n"
                       "tk,domain,malware\n"
                       "e7d705a3286e19ea42f587b344ee6865,ja3,,100\n";
    struct ot_ioc_load_opts o = {
        .report = collect, .report_ctx = &r, .format = OT_IOC_FMT_CSV, .confidence = 50};
    r.n = 0;
    assert_int_equal(ot_ioc_load_buffer(s, "intel.txt", text, strlen(text), &o, &st), 0);
    dump_reports(&r);
    assert_int_equal(st.loaded, 6);
    assert_int_equal(st.errors, 0);
    assert_true(dom(s, "evil.example", &h));
    assert_string_equal(h.category, "phishing");
    assert_int_equal(h.confidence, 80);
    assert_string_equal(h.source, "feedA");
    assert_int_equal(h.line, 2);
    assert_true(ip4(s, "192.0.2.1", &h));
    assert_string_equal(h.category, "intel");
    assert_string_equal(h.source, "intel.txt");
    assert_int_equal(h.confidence, 50);
    assert_true(ip4(s, "192.0.2.2", &h));
    assert_true(ip4(s, "198.51.100.9", &h));
    assert_string_equal(h.category, "scan,ners");
    assert_string_equal(h.source, "the \"X\" feed");
    assert_string_equal(h.value, "198.51.100.0/24");
    assert_int_equal(h.confidence, 5);
    assert_true(dom(s, "x.tk", &h));
    assert_string_equal(h.category, "malware");
    ot_ioc_set_free(s);
}

/*
 * Many type names in one file, in turn and repeated (the loader remembers the
 * ones it parsed): each row gets its own type, and a bad one stays an error
 * every time.
 */
static void test_csv_type_names(void **state)
{
    static const char *const rows[][3] = {
        {"192.0.2.", "", "ip"},           {"d", ".example", "domain"},  {"198.51.100.", "", "IPv4"},
        {"h", ".example", "hostname"},    {"e", ".example", "FQDN"},    {"f", ".example", "dns"},
        {"g", ".example", "domain-name"}, {"203.0.113.", "", "ip-dst"}, {"k", ".example", "host"},
        {"http://u", ".example/", "url"}, {"10.", ".0.0/16", "cidr"},   {"m", ".example", "Domain"},
    };
    enum { N = sizeof(rows) / sizeof(rows[0]), ROUNDS = 3 };
    char *text = calloc(1, 64 * N * ROUNDS + 64);
    assert_non_null(text);
    size_t len = 0;
    for (unsigned k = 0; k < ROUNDS; k++) {
        for (unsigned i = 0; i < N; i++) {
            len += (size_t)sprintf(text + len, "%s%u%s,%s\n", rows[i][0], k * N + i + 1, rows[i][1],
                                   rows[i][2]);
        }
        len += (size_t)sprintf(text + len, "bad%u.example,nonsense\n", k);
    }
    struct ot_ioc_set *s = new_set(0);
    struct reports r;
    struct ot_ioc_load_stats st;
    struct ot_ioc_load_opts o = {.report = collect, .report_ctx = &r, .format = OT_IOC_FMT_CSV};
    r.n = 0;
    assert_int_equal(ot_ioc_load_buffer(s, "types.csv", text, len, &o, &st), 0);
    assert_int_equal(st.loaded, N * ROUNDS);
    assert_int_equal(st.errors, ROUNDS);
    assert_true(reported(&r, "types.csv:13:", "unknown type 'nonsense'"));
    struct ot_ioc_set_info info;
    ot_ioc_set_info(s, &info);
    assert_int_equal(info.by_type[OT_IOC_IP], 3 * ROUNDS);
    assert_int_equal(info.by_type[OT_IOC_DOMAIN], 7 * ROUNDS);
    assert_int_equal(info.by_type[OT_IOC_URL], ROUNDS);
    assert_int_equal(info.by_type[OT_IOC_CIDR], ROUNDS);
    ot_ioc_set_free(s);
    free(text);
}

static void test_csv_header(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct reports r;
    struct ot_ioc_load_stats st;
    struct ot_ioc_hit h;
    /* any order, any case, aliases, unknown columns ignored */
    const char *text = "First_Seen,Threat,IOC,Score,Feed,Type,notes\n"
                       "2024-01-01,c2,evil.example,70,abuse,domain,x\n"
                       "2024-01-02,,192.0.2.1,,,,\n"
                       "2024-01-03,botnet,\"http://evil.example/a,b\",90,,url,\n";
    assert_int_equal(load_text(s, "h.csv", text, &r, &st), 0);
    dump_reports(&r);
    assert_int_equal(st.loaded, 3);
    assert_int_equal(st.errors, 0);
    assert_true(dom(s, "evil.example", &h));
    assert_string_equal(h.category, "c2");
    assert_int_equal(h.confidence, 70);
    assert_string_equal(h.source, "abuse");
    assert_true(ip4(s, "192.0.2.1", &h));
    assert_string_equal(h.category, "h");
    assert_int_equal(h.confidence, 100);
    assert_true(ot_ioc_match_url(s, "evil.example", 12, "/a,b", 4, &h));
    assert_string_equal(h.category, "botnet");
    ot_ioc_set_free(s);

    /* explicit value names win over type-named columns */
    s = new_set(0);
    text = "url,indicator,reason\nhttp://x.example/,y.example,phish\n";
    assert_int_equal(load_text(s, "v.csv", text, &r, &st), 0);
    assert_int_equal(st.loaded, 1);
    assert_true(dom(s, "y.example", &h));
    assert_string_equal(h.category, "phish");
    ot_ioc_set_free(s);

    /* viriback-style: Family,URL,IP,FirstSeen -- URL is the value */
    s = new_set(0);
    text = "Family,URL,IP,FirstSeen\nPony,http://a.example/admin.php,192.0.2.5,03-01-2026\n";
    assert_int_equal(load_text(s, "viri.csv", text, &r, &st), 0);
    assert_int_equal(st.loaded, 1);
    assert_true(ot_ioc_match_url(s, "a.example", 9, "/admin.php", 10, &h));
    assert_string_equal(h.category, "Pony");
    assert_false(ip4(s, "192.0.2.5", NULL));
    ot_ioc_set_free(s);
}

static void test_csv_comment_header(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct reports r;
    struct ot_ioc_load_stats st;
    struct ot_ioc_hit h;
    const char *text = "################################\n"
                       "# abuse.ch SSLBL (SHA1 Fingerprints) #\n"
                       "# Terms Of Use: https://sslbl.abuse.ch/blacklist/\n"
                       "#\n"
                       "# Listingdate,SHA1,Listingreason\n"
                       "2024-07-19 07:47:19,854c68ab7ad70b6f95f76ec64b8a46c145997629,AsyncRAT C&C\n"
                       "2024-07-16 06:03:34,a9990103ef2745e7deac94dbfe252f14cb4d63e9,DCRat C&C\n";
    assert_int_equal(load_text(s, "sslblacklist.csv", text, &r, &st), 0);
    dump_reports(&r);
    assert_int_equal(st.loaded, 2);
    assert_int_equal(st.errors, 0);
    assert_true(
        ot_ioc_match_hash(s, OT_IOC_SHA1, "854C68AB7AD70B6F95F76EC64B8A46C145997629", 40, &h));
    assert_string_equal(h.category, "AsyncRAT C&C");
    assert_int_equal(h.line, 6);
    ot_ioc_set_free(s);

    /* a real header after a commented one wins */
    s = new_set(0);
    text = "# date,sha1,reason\nvalue,category\nz.example,real\n";
    assert_int_equal(load_text(s, "two.csv", text, &r, &st), 0);
    assert_true(dom(s, "z.example", &h));
    assert_string_equal(h.category, "real");
    ot_ioc_set_free(s);
}

static void test_csv_multiline(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct reports r;
    struct ot_ioc_load_stats st;
    struct ot_ioc_hit h;
    const char *text = "value,category\n"
                       "a.example,\"two\r\nlines\"\n"
                       "b.example,\"# not a comment\n"
                       "\n"
                       "still inside\"\n"
                       "c.example,x\n";
    assert_int_equal(load_text(s, "m.csv", text, &r, &st), 0);
    dump_reports(&r);
    assert_int_equal(st.loaded, 3);
    assert_int_equal(st.lines, 7);
    assert_true(dom(s, "a.example", &h));
    assert_string_equal(h.category, "two\nlines");
    assert_int_equal(h.line, 2);
    assert_true(dom(s, "b.example", &h));
    assert_string_equal(h.category, "# not a comment\n\nstill inside");
    assert_int_equal(h.line, 4);
    assert_true(dom(s, "c.example", &h));
    assert_int_equal(h.line, 7);
    ot_ioc_set_free(s);
}

static void test_csv_errors(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct reports r;
    struct ot_ioc_load_stats st;
    char text[12000];
    size_t n =
        (size_t)snprintf(text, sizeof(text),
                         "value,type,confidence\n" /* 1 */
                         "good.example,,\n"        /* 2 */
                         "\"x.example\"junk,,\n"   /* 3 */
                         ",domain,\n"              /* 4 */
                         "x.example,md5,\n"        /* 5 */
                         "x.example,,101\n"        /* 6 */
                         "x.example,,high\n"       /* 7 */
                         "x.example,ip,\n"         /* 8 */
                         "1.2.3.999,,\n"           /* 9 */
                         "%s\n"                    /* 10 */
                         "y.example,,\n",          /* 11 */
                         "a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,"
                         "a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a");
    memset(text + n, 'a', 4100); /* 12: too long */
    n += 4100;
    memcpy(text + n, "\nnul\0.example,,\n", 16); /* 13 */
    n += 16;
    n += (size_t)snprintf(text + n, sizeof(text) - n, "z.example,\"open,\n"); /* 14.. */
    struct ot_ioc_load_opts o = {.report = collect, .report_ctx = &r};
    r.n = 0;
    assert_int_equal(ot_ioc_load_buffer(s, "e.csv", text, n, &o, &st), 0);
    dump_reports(&r);
    assert_int_equal(st.loaded, 2);
    assert_int_equal(st.errors, 11);
    assert_true(reported(&r, "e.csv:3: ", "text after a closing quote"));
    assert_true(reported(&r, "e.csv:4: ", "empty value"));
    assert_true(reported(&r, "e.csv:5: ", "unknown type 'md5'"));
    assert_true(
        reported(&r, "e.csv:6: ", "invalid confidence '101' (a whole number from 0 to 100)"));
    assert_true(reported(&r, "e.csv:7: ", "invalid confidence 'high'"));
    assert_true(reported(&r, "e.csv:8: ", "invalid IPv4 address 'x.example'"));
    assert_true(reported(&r, "e.csv:9: ", "invalid IPv4 address '1.2.3.999'"));
    assert_true(reported(&r, "e.csv:10: ", "more than 64 fields"));
    assert_true(reported(&r, "e.csv:12: ", "line longer than 4096 bytes"));
    assert_true(reported(&r, "e.csv:13: ", "NUL byte in line"));
    assert_true(reported(&r, "e.csv:14: ", "unterminated quoted field"));
    ot_ioc_set_free(s);

    /* headerless rows with more than five fields */
    s = new_set(0);
    assert_int_equal(load_text(s, "six.csv", "a.example,domain,c,1,s,extra\n", &r, &st), 0);
    assert_true(reported(&r, "six.csv:1: ",
                         "6 fields; without a header row the columns are "
                         "value,type,category,confidence,source"));
    ot_ioc_set_free(s);

    /* a header with no value column loads nothing */
    s = new_set(0);
    assert_int_equal(load_text(s, "nv.csv", "category,source\nx.example,y\n", &r, &st), OT_EINVAL);
    assert_true(reported(&r, "nv.csv:1: ", "header names no value column"));
    assert_int_equal(st.loaded, 0);
    assert_int_equal(st.errors, 1);
    ot_ioc_set_free(s);

    /* a record that grows past the limit over several lines */
    s = new_set(0);
    static char big[6000];
    size_t k = (size_t)snprintf(big, sizeof(big), "a.example,\"");
    while (k + 100 < sizeof(big))
        k += (size_t)snprintf(big + k, sizeof(big) - k, "%s\n", "0123456789012345678901234567890");
    assert_int_equal(ot_ioc_load_buffer(s, "r.csv", big, k,
                                        &(struct ot_ioc_load_opts){
                                            .report = collect,
                                            .report_ctx = &r,
                                        },
                                        &st),
                     0);
    assert_true(st.errors >= 1);
    assert_true(reported(&r, "r.csv:1: ", "record longer than 4096 bytes"));
    ot_ioc_set_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_basics),
        cmocka_unit_test(test_plain_options),
        cmocka_unit_test(test_plain_errors),
        cmocka_unit_test(test_line_length_limit),
        cmocka_unit_test(test_max_count_in_load),
        cmocka_unit_test(test_report_cap),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_csv_headerless),
        cmocka_unit_test(test_csv_type_names),
        cmocka_unit_test(test_csv_header),
        cmocka_unit_test(test_csv_comment_header),
        cmocka_unit_test(test_csv_multiline),
        cmocka_unit_test(test_csv_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
