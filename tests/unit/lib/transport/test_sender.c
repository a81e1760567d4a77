#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mock-server.h"
#include "otasuke/error.h"
#include "transport/sender.h"

struct fixture {
    struct mock_server srv;
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    mock_start(&f->srv, NULL, NULL);
    mock_tempdir(f->dir, sizeof(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mock_stop(&f->srv);
    mock_rmdir(f->dir);
    free(f);
    return 0;
}

/* Short timings for tests: 10 ms polling, 20 ms backoff base, 80 ms cap. */
static void test_config(struct ot_sender_config *cfg, const char *url, const char *dir)
{
    ot_sender_config_init(cfg, url, "otd_test", NULL, dir);
    cfg->poll_ms = 10;
    cfg->backoff_base_ms = 20;
    cfg->backoff_cap_ms = 80;
    cfg->batch_max_lines = 50;
    cfg->connect_timeout_ms = 2000;
    cfg->request_timeout_ms = 3000;
    cfg->sync_interval_ms = 100;
}

static void submit_range(struct ot_sender *s, unsigned from, unsigned to, const char *prefix)
{
    char line[256];
    for (unsigned i = from; i < to; i++) {
        int n = snprintf(line, sizeof(line),
                         "{\"event_id\":\"%s%u\",\"event_type\":\"alert\","
                         "\"timestamp\":\"2026-01-01T00:00:00Z\",\"pad\":\"%0*u\"}",
                         prefix, i, (int)(i % 64), i);
        assert_int_equal(ot_sender_submit(s, line, (size_t)n), OT_OK);
    }
}

/* Wait up to ms for the server to hold `n` distinct events. */
static bool wait_unique(struct mock_server *m, size_t n, unsigned ms)
{
    uint64_t until = mock_now_ms() + ms;
    while (mock_now_ms() < until) {
        if (mock_unique(m) >= n)
            return true;
        usleep(5000);
    }
    return mock_unique(m) >= n;
}

static void expect_all_ids(struct mock_server *m, const char *prefix, unsigned n)
{
    char id[64];
    pthread_mutex_lock(&m->mu);
    for (unsigned i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "%s%u", prefix, i);
        if (!mock_has_id(m, id))
            fail_msg("the server never got %s", id);
    }
    pthread_mutex_unlock(&m->mu);
}

/*
 * Every event arrives, exactly once in content, across a sender restart in
 * the middle of the stream, with a connection dropped after the server
 * stored a batch (so one batch is sent twice and deduplicated).
 */
static void test_delivery_across_restart(void **state)
{
    struct fixture *f = *state;
    int script[] = {MOCK_OK, MOCK_STORE_DROP, MOCK_OK, MOCK_DROP};
    mock_script(&f->srv, script, 4);
    f->srv.delay_ms = 5;
    struct ot_sender_config cfg;
    test_config(&cfg, f->srv.url, f->dir);
    struct ot_sender *s;
    assert_int_equal(ot_sender_new(&cfg, &s), OT_OK);
    submit_range(s, 0, 600, "a");
    assert_int_equal(ot_sender_start(s), OT_OK);
    assert_true(wait_unique(&f->srv, 150, 5000));
    /* Stop at once, mid-stream: whatever is in flight is abandoned. */
    assert_int_equal(ot_sender_stop(s, 0), OT_OK);
    ot_sender_free(s);

    assert_int_equal(ot_sender_new(&cfg, &s), OT_OK);
    submit_range(s, 600, 1000, "a");
    assert_int_equal(ot_sender_start(s), OT_OK);
    assert_int_equal(ot_sender_stop(s, 8000), OT_OK);
    struct ot_sender_stats st;
    ot_sender_stats(s, &st);
    assert_int_equal(st.spool.pending_lines, 0);
    assert_int_equal(st.spool.dropped, 0);
    ot_sender_free(s);

    assert_int_equal(mock_unique(&f->srv), 1000);
    expect_all_ids(&f->srv, "a", 1000);
    assert_true(f->srv.duplicates >= 1); /* the batch stored, then dropped, came again */
    assert_string_equal(f->srv.auth, "Bearer otd_test");
}

/* The spool bound: oldest events dropped, the count sent in X-Otasuke-Dropped once. */
static void test_bound_dropped_header(void **state)
{
    struct fixture *f = *state;
    struct ot_sender_config cfg;
    test_config(&cfg, f->srv.url, f->dir);
    cfg.spool_max_bytes = 64 << 10;
    struct ot_sender *s;
    assert_int_equal(ot_sender_new(&cfg, &s), OT_OK);
    submit_range(s, 0, 2000, "b");
    struct ot_sender_stats st;
    ot_sender_stats(s, &st);
    uint64_t dropped = st.spool.dropped;
    assert_true(dropped > 0);
    assert_int_equal(ot_sender_start(s), OT_OK);
    assert_int_equal(ot_sender_stop(s, 8000), OT_OK);
    ot_sender_stats(s, &st);
    assert_int_equal(st.spool.pending_lines, 0);
    assert_int_equal(st.spool.dropped_unreported, 0);
    ot_sender_free(s);
    assert_int_equal(f->srv.dropped_sum, dropped);
    assert_int_equal(mock_unique(&f->srv), 2000 - dropped);
    char id[32];
    snprintf(id, sizeof(id), "b%u", 1999);
    assert_true(mock_has_id(&f->srv, id)); /* the newest survive */
}

/* 503s and dropped connections: exponential backoff with jitter, bounded by the cap. */
static void test_backoff(void **state)
{
    struct fixture *f = *state;
    /* The drop comes first: on a reused connection curl itself would retry once. */
    int script[] = {MOCK_DROP, 503, 503, 500, 503, 503};
    mock_script(&f->srv, script, 6);
    struct ot_sender_config cfg;
    test_config(&cfg, f->srv.url, f->dir);
    struct ot_sender *s;
    assert_int_equal(ot_sender_new(&cfg, &s), OT_OK);
    submit_range(s, 0, 10, "c");
    uint64_t t0 = mock_now_ms();
    assert_int_equal(ot_sender_start(s), OT_OK);
    assert_true(wait_unique(&f->srv, 10, 3000));
    uint64_t took = mock_now_ms() - t0;
    struct ot_sender_stats st;
    ot_sender_stats(s, &st);
    assert_int_equal(st.server_errors, 5);
    assert_int_equal(st.network_errors, 1);
    assert_int_equal(mock_requests(&f->srv), 7);
    /* Waits are at most 20, 40, 80, 80, 80, 80 ms (+ scheduling slack). */
    for (unsigned i = 1; i < 7; i++) {
        uint64_t gap = f->srv.req_ms[i] - f->srv.req_ms[i - 1];
        if (gap > 80 + 150)
            fail_msg("wait %u was %llu ms, above the 80 ms cap", i, (unsigned long long)gap);
    }
    assert_true(took < 2000);
    ot_sender_free(s);
}

/* 429: the sender waits what Retry-After says. */
static void test_retry_after(void **state)
{
    struct fixture *f = *state;
    int script[] = {429};
    mock_script(&f->srv, script, 1);
    f->srv.retry_after = 1;
    struct ot_sender_config cfg;
    test_config(&cfg, f->srv.url, f->dir);
    struct ot_sender *s;
    assert_int_equal(ot_sender_new(&cfg, &s), OT_OK);
    submit_range(s, 0, 5, "d");
    assert_int_equal(ot_sender_start(s), OT_OK);
    assert_true(wait_unique(&f->srv, 5, 4000));
    uint64_t gap = f->srv.req_ms[1] - f->srv.req_ms[0];
    assert_true(gap >= 950);
    assert_true(gap < 2000);
    struct ot_sender_stats st;
    ot_sender_stats(s, &st);
    assert_int_equal(st.throttled, 1);
    assert_int_equal(st.last_delay_ms, 1000);
    ot_sender_free(s);
}

/* 401: stop sending, keep the events, say so. */
static void test_refused_credential(void **state)
{
    struct fixture *f = *state;
    f->srv.always_401 = true;
    struct ot_sender_config cfg;
    test_config(&cfg, f->srv.url, f->dir);
    struct ot_sender *s;
    assert_int_equal(ot_sender_new(&cfg, &s), OT_OK);
    submit_range(s, 0, 20, "e");
    assert_int_equal(ot_sender_start(s), OT_OK);
    usleep(300 * 1000);
    struct ot_sender_stats st;
    ot_sender_stats(s, &st);
    assert_int_equal(st.state, OT_SENDER_REFUSED);
    assert_int_equal(mock_requests(&f->srv), 1);
    assert_int_equal(st.spool.pending_lines, 20);
    uint64_t t0 = mock_now_ms();
    assert_int_equal(ot_sender_stop(s, 5000), OT_OK);
    assert_true(mock_now_ms() - t0 < 1000); /* no drain attempt against a refusal */
    ot_sender_free(s);
}

/* 413: batches are halved; a single line the server will never take is dropped and counted. */
static void test_too_large(void **state)
{
    struct fixture *f = *state;
    f->srv.max_lines = 7;
    f->srv.max_line_bytes = 1000;
    struct ot_sender_config cfg;
    test_config(&cfg, f->srv.url, f->dir);
    cfg.batch_max_lines = 64;
    struct ot_sender *s;
    assert_int_equal(ot_sender_new(&cfg, &s), OT_OK);
    submit_range(s, 0, 30, "f");
    char big[2100];
    int n = snprintf(big, sizeof(big), "{\"event_id\":\"huge\",\"pad\":\"%01500u\"}", 1);
    assert_int_equal(ot_sender_submit(s, big, (size_t)n), OT_OK);
    submit_range(s, 30, 100, "f");
    assert_int_equal(ot_sender_start(s), OT_OK);
    assert_int_equal(ot_sender_stop(s, 8000), OT_OK);
    struct ot_sender_stats st;
    ot_sender_stats(s, &st);
    assert_int_equal(st.spool.pending_lines, 0);
    assert_int_equal(st.dropped_too_large, 1);
    assert_int_equal(st.spool.dropped, 1);
    assert_int_equal(st.spool.dropped_unreported, 0);
    ot_sender_free(s);
    assert_int_equal(mock_unique(&f->srv), 100);
    expect_all_ids(&f->srv, "f", 100);
    assert_int_equal(f->srv.dropped_sum, 1);
}

/* Rejected lines are counted and not resent. */
static void test_rejected(void **state)
{
    struct fixture *f = *state;
    f->srv.reject_prefix = "bad";
    struct ot_sender_config cfg;
    test_config(&cfg, f->srv.url, f->dir);
    struct ot_sender *s;
    assert_int_equal(ot_sender_new(&cfg, &s), OT_OK);
    submit_range(s, 0, 10, "g");
    submit_range(s, 0, 8, "bad");
    submit_range(s, 10, 20, "g");
    assert_int_equal(ot_sender_start(s), OT_OK);
    assert_int_equal(ot_sender_stop(s, 5000), OT_OK);
    struct ot_sender_stats st;
    ot_sender_stats(s, &st);
    assert_int_equal(st.rejected, 8);
    assert_int_equal(st.accepted, 20);
    assert_int_equal(st.spool.pending_lines, 0);
    ot_sender_free(s);
    assert_int_equal(f->srv.lines_total, 28);
    assert_int_equal(f->srv.rejected, 8);
}

/* HTTPS with the CA: delivered; with another CA: refused by verification, nothing sent. */
static void test_https(void **state)
{
    struct mock_pki pki, other;
    if (!mock_pki_make(&pki) || !mock_pki_make(&other)) {
        mock_pki_free(&pki);
        skip(); /* needs the openssl command */
    }
    struct mock_server srv;
    mock_start(&srv, pki.key_pem, pki.cert_pem);
    char dir[64];
    mock_tempdir(dir, sizeof(dir));

    struct ot_sender_config cfg;
    test_config(&cfg, srv.url, dir);
    cfg.ca_file = other.ca_file;
    struct ot_sender *s;
    assert_int_equal(ot_sender_new(&cfg, &s), OT_OK);
    submit_range(s, 0, 10, "h");
    assert_int_equal(ot_sender_start(s), OT_OK);
    usleep(300 * 1000);
    assert_int_equal(ot_sender_stop(s, 0), OT_OK);
    struct ot_sender_stats st;
    ot_sender_stats(s, &st);
    assert_true(st.network_errors >= 1);
    assert_int_equal(mock_unique(&srv), 0);
    ot_sender_free(s);

    cfg.ca_file = pki.ca_file;
    assert_int_equal(ot_sender_new(&cfg, &s), OT_OK);
    assert_int_equal(ot_sender_start(s), OT_OK);
    assert_int_equal(ot_sender_stop(s, 5000), OT_OK);
    ot_sender_free(s);
    assert_int_equal(mock_unique(&srv), 10);

    mock_stop(&srv);
    mock_rmdir(dir);
    mock_pki_free(&pki);
    mock_pki_free(&other);
}

/* The producer appends (and flushes now and then) while the sender thread sends. */
static void test_concurrent_producer(void **state)
{
    struct fixture *f = *state;
    struct ot_sender_config cfg;
    test_config(&cfg, f->srv.url, f->dir);
    cfg.segment_max = 8 << 10; /* many segment rotations on the way */
    struct ot_sender *s;
    assert_int_equal(ot_sender_new(&cfg, &s), OT_OK);
    assert_int_equal(ot_sender_start(s), OT_OK);
    for (unsigned i = 0; i < 3000; i += 100) {
        submit_range(s, i, i + 100, "k");
        if (i % 500 == 0)
            assert_int_equal(ot_sender_flush(s), OT_OK);
        usleep(1000);
    }
    assert_int_equal(ot_sender_stop(s, 8000), OT_OK);
    struct ot_sender_stats st;
    ot_sender_stats(s, &st);
    assert_int_equal(st.spool.pending_lines, 0);
    assert_int_equal(st.spool.appended, 3000);
    assert_int_equal(st.spool.dropped, 0);
    ot_sender_free(s);
    assert_int_equal(mock_unique(&f->srv), 3000);
    expect_all_ids(&f->srv, "k", 3000);
}

static void test_bad_config(void **state)
{
    struct fixture *f = *state;
    struct ot_sender_config cfg;
    struct ot_sender *s;
    ot_sender_config_init(&cfg, "ftp://x", "otd_x", NULL, f->dir);
    assert_int_equal(ot_sender_new(&cfg, &s), OT_EINVAL);
    ot_sender_config_init(&cfg, "https://x", "otd_x\r\nX-Evil: 1", NULL, f->dir);
    assert_int_equal(ot_sender_new(&cfg, &s), OT_EINVAL);
    ot_sender_config_init(&cfg, NULL, "otd_x", NULL, f->dir);
    assert_int_equal(ot_sender_new(&cfg, &s), OT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_delivery_across_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bound_dropped_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_credential, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected, setup, teardown),
        cmocka_unit_test(test_https),
        cmocka_unit_test_setup_teardown(test_concurrent_producer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
