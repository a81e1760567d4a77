/*
 * Shared by the login-protocol parser tests (FTP, Telnet, POP3, IMAP, SMTP,
 * IRC, rsh): a session as a list of client/server steps, run through the real
 * dispatcher and EVE writer whole, in pieces of every size or cut at every
 * byte, with the events summarised for comparison.  The including file
 * defines PROTO (the event type) and APP (its enum ot_app_proto) first.
 */
#ifndef OT_TESTS_LOGIN_TEST_H
#define OT_TESTS_LOGIN_TEST_H

struct step {
    int dir;
    const char *s;
    size_t n;
};
#define C(str)                                                                                     \
    {                                                                                              \
        0, str, sizeof(str) - 1                                                                    \
    }
#define S(str)                                                                                     \
    {                                                                                              \
        1, str, sizeof(str) - 1                                                                    \
    }

struct run {
    json_t *events;
    uint64_t errors;
    uint16_t app;
    char *raw; /* the whole EVE output */
};

/*
 * Feed the steps whole, or each one in pieces of `piece` bytes, or each one
 * cut in two at `cut` (the first too: the dispatcher holds what the probes
 * have not decided on yet).
 */
static void run(struct run *r, const struct step *st, size_t n, uint16_t port, size_t piece,
                size_t cut, uint32_t max_buffer)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", port, 6, true), 0);
    if (max_buffer)
        h.pe.conf.max_buffer = max_buffer;
    for (size_t i = 0; i < n; i++) {
        const char *p = st[i].s;
        size_t len = st[i].n;
        if (piece == 0 && cut == 0) {
            ot_harness_feed(&h, st[i].dir, p, len);
        } else if (cut) {
            size_t c = cut < len ? cut : len;
            ot_harness_feed(&h, st[i].dir, p, c);
            if (len > c)
                ot_harness_feed(&h, st[i].dir, p + c, len - c);
        } else {
            for (size_t off = 0; off < len; off += piece)
                ot_harness_feed(&h, st[i].dir, p + off, len - off < piece ? len - off : piece);
        }
    }
    r->app = h.flow.app_proto;
    ot_harness_finish(&h);
    r->events = ot_harness_events(&h, NULL);
    r->errors = h.pe.stats.errors[APP];
    FILE *fp = fopen(h.path, "r");
    assert_non_null(fp);
    r->raw = calloc(1, 1 << 20);
    assert_non_null(r->raw);
    size_t got = fread(r->raw, 1, (1 << 20) - 1, fp);
    r->raw[got] = '\0';
    fclose(fp);
    ot_harness_cleanup(&h);
}

static void run_free(struct run *r)
{
    json_decref(r->events);
    free(r->raw);
}

/* The PROTO objects of all events, one compact JSON per line. */
static char *summary(json_t *evs)
{
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    assert_non_null(out);
    size_t i;
    json_t *ev;
    json_array_foreach(evs, i, ev)
    {
        char *s = json_dumps(json_object_get(ev, PROTO), JSON_SORT_KEYS | JSON_COMPACT);
        assert_non_null(s);
        size_t l = strlen(s);
        assert_true(len + l + 2 < cap);
        memcpy(out + len, s, l);
        len += l;
        out[len++] = '\n';
        free(s);
    }
    return out;
}

static json_t *ev_obj(json_t *evs, size_t i)
{
    json_t *ev = json_array_get(evs, i);
    assert_non_null(ev);
    assert_string_equal(json_string_value(json_object_get(ev, "event_type")), PROTO);
    json_t *o = json_object_get(ev, PROTO);
    assert_non_null(o);
    return o;
}

static const char *str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return v ? json_string_value(v) : NULL;
}

/* Whole, byte by byte, every piece size and every cut give the same events. */
static void check_splits(const struct step *st, size_t n, uint16_t port)
{
    struct run whole;
    run(&whole, st, n, port, 0, 0, 0);
    char *want = summary(whole.events);
    size_t maxlen = 0;
    for (size_t i = 0; i < n; i++)
        maxlen = st[i].n > maxlen ? st[i].n : maxlen;
    for (size_t k = 1; k <= maxlen + 1; k++) {
        for (int mode = 0; mode < 2; mode++) {
            struct run r;
            run(&r, st, n, port, mode ? 0 : k, mode ? k : 0, 0);
            char *got = summary(r.events);
            if (strcmp(want, got) != 0)
                fail_msg("split %s %zu:\nwant %s\ngot  %s", mode ? "cut" : "piece", k, want, got);
            free(got);
            run_free(&r);
        }
    }
    free(want);
    run_free(&whole);
}

/*
 * One login-protocol event object: its type, user ("*": any, NULL: none),
 * auth_method (NULL: none), password_in_clear and login_result, and the
 * starttls flag present.
 */
static inline void check_login_ev(json_t *o, const char *type, const char *user, const char *method,
                                  bool clear, const char *result)
{
    assert_string_equal(str(o, "type"), type);
    if (user && strcmp(user, "*") == 0)
        assert_non_null(str(o, "user"));
    else if (user)
        assert_string_equal(str(o, "user"), user);
    else
        assert_null(json_object_get(o, "user"));
    if (method)
        assert_string_equal(str(o, "auth_method"), method);
    else
        assert_null(json_object_get(o, "auth_method"));
    assert_true(json_is_boolean(json_object_get(o, "password_in_clear")));
    assert_int_equal(json_is_true(json_object_get(o, "password_in_clear")), clear);
    assert_string_equal(str(o, "login_result"), result);
    assert_true(json_is_boolean(json_object_get(o, "starttls")));
}

/* Bytes in the session st[0..n). */
static inline size_t steps_len(const struct step *st, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += st[i].n;
    return len;
}

/* The session st[0..n) cut after its first `cut` bytes, into out (room for n steps); its steps. */
static inline size_t steps_prefix(const struct step *st, size_t n, size_t cut, struct step *out)
{
    size_t acc = 0, k = 0;
    for (size_t i = 0; i < n && acc < cut; i++) {
        out[k] = st[i];
        if (acc + out[k].n > cut)
            out[k].n = cut - acc;
        acc += out[k].n;
        k++;
    }
    return k;
}

/* `parser`'s probe on s[0..n), sent in direction dir of a TCP flow from cli_port to port. */
static inline enum ot_probe_result login_probe(const struct ot_proto_parser *parser,
                                               uint16_t cli_port, uint16_t port, int dir,
                                               const char *s, size_t n)
{
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    f.srv_port = port;
    f.cli_port = cli_port;
    f.ip_proto = 6;
    return parser->probe(&f, dir, (const uint8_t *)s, n);
}

#endif
