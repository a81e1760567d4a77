/* Routing table: every endpoint of docs/api.md routes; ids, 404 and 405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/router.h"
#include "otasuke/error.h"

static int find(const char *method, const char *path, struct ot_route_match *m)
{
    size_t n;
    const struct ot_route *t = ot_routes(&n);
    return ot_route_find(t, n, method, path, m);
}

/*
 * Reads the endpoint table of docs/api.md ("| `METHOD /path` | who | ...")
 * and routes each row with ids put in for the {placeholders}: the table and
 * the documentation must not drift apart.
 */
static void test_docs_rows(void **state)
{
    FILE *f = fopen(OT_SOURCE_DIR "/docs/api.md", "r");
    assert_non_null(f);
    char line[1024];
    unsigned rows = 0;
    bool seen[OT_R_COUNT] = {false};
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "| `", 3) != 0)
            continue;
        char method[16], path[512];
        if (sscanf(line, "| `%15s %511[^` ]", method, path) != 2)
            continue;
        char real[600];
        size_t o = 0;
        for (const char *p = path; *p && o < sizeof(real) - 8; p++) {
            if (*p == '{') {
                const char *e = strchr(p, '}');
                assert_non_null(e);
                o += (size_t)snprintf(real + o, sizeof(real) - o, "42");
                p = e;
            } else {
                real[o++] = *p;
            }
        }
        real[o] = '\0';
        struct ot_route_match m;
        if (find(method, real, &m) != 0)
            fail_msg("docs/api.md row %s %s has no route", method, path);
        seen[m.route->id] = true;
        for (unsigned i = 0; i < m.nparam; i++)
            assert_true(m.param[i] == 42);
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, OT_R_COUNT);
    for (int i = 0; i < OT_R_COUNT; i++)
        if (!seen[i])
            fail_msg("route %d is not documented in docs/api.md", i);
}

static void test_params(void **state)
{
    struct ot_route_match m;
    assert_int_equal(find("DELETE", "/api/v1/customers/7/suppressions/9223372036854775807", &m), 0);
    assert_int_equal(m.route->id, OT_R_SUPPRESSION_DELETE);
    assert_int_equal(m.nparam, 2);
    assert_true(m.param[0] == 7);
    assert_true(m.param[1] == INT64_MAX);
    assert_int_equal(m.route->auth, OT_AUTH_ADMIN);
    assert_int_equal(find("POST", "/api/v1/events", &m), 0);
    assert_int_equal(m.route->auth, OT_AUTH_DEVICE);
    assert_int_equal(m.route->body, OT_BODY_NDJSON);
    assert_int_equal(find("GET", "/api/v1/incidents/12", &m), 0);
    assert_int_equal(m.route->id, OT_R_INCIDENT_GET);
    /* ids: positive decimal, no sign, no leading zero, fits int64 */
    assert_int_equal(find("GET", "/api/v1/incidents/0", &m), OT_ENOENT);
    assert_int_equal(find("GET", "/api/v1/incidents/007", &m), OT_ENOENT);
    assert_int_equal(find("GET", "/api/v1/incidents/-1", &m), OT_ENOENT);
    assert_int_equal(find("GET", "/api/v1/incidents/+1", &m), OT_ENOENT);
    assert_int_equal(find("GET", "/api/v1/incidents/1x", &m), OT_ENOENT);
    assert_int_equal(find("GET", "/api/v1/incidents/9223372036854775808", &m), OT_ENOENT);
    assert_int_equal(find("GET", "/api/v1/incidents/", &m), OT_ENOENT);
}

static void test_misses(void **state)
{
    struct ot_route_match m;
    assert_int_equal(find("GET", "/api/v1/events", &m), OT_EUNSUPP);
    assert_int_equal(find("PUT", "/api/v1/customers", &m), OT_EUNSUPP);
    assert_int_equal(find("GET", "/api/v1/customers/", &m), OT_ENOENT);
    assert_int_equal(find("GET", "/api/v1/health/", &m), OT_ENOENT);
    assert_int_equal(find("GET", "/api/v1//health", &m), OT_ENOENT);
    assert_int_equal(find("GET", "/api/v2/health", &m), OT_ENOENT);
    assert_int_equal(find("GET", "", &m), OT_ENOENT);
    assert_int_equal(find("GET", "/", &m), OT_ENOENT);
    assert_int_equal(find("GET", "api/v1/health", &m), OT_ENOENT);
    assert_int_equal(find("get", "/api/v1/health", &m), OT_EUNSUPP);
    assert_int_equal(find("GET", "/api/v1/customers/1/sites/2", &m), OT_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_rows),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_misses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
