#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mock-server.h"
#include "otasuke/error.h"
#include "transport/enroll.h"

#define SECRET "ote_AbCdEf0123456789-_xyz"

struct fixture {
    struct mock_pki pki;
    struct mock_server srv;
    char dir[64];
    char token[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!mock_pki_make(&f->pki)) {
        mock_pki_free(&f->pki);
        free(f);
        return -1;
    }
    mock_start(&f->srv, f->pki.key_pem, f->pki.cert_pem);
    f->srv.ca_pem = strdup(f->pki.ca_pem);
    f->srv.expect_token = SECRET;
    mock_tempdir(f->dir, sizeof(f->dir));
    snprintf(f->token, sizeof(f->token), "%s.%s", SECRET, f->pki.pin);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mock_stop(&f->srv);
    mock_rmdir(f->dir);
    mock_pki_free(&f->pki);
    free(f);
    return 0;
}

static bool file_exists(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void test_happy_path(void **state)
{
    struct fixture *f = *state;
    char err[512];
    assert_int_equal(ot_enroll(f->srv.url, f->token, "shop-sensor", f->dir, err, sizeof(err)),
                     OT_OK);
    assert_string_equal(f->srv.enroll_name, "shop-sensor");
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", f->dir, OT_ENROLL_FILE);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    struct ot_enrollment e;
    assert_int_equal(ot_enroll_load(f->dir, &e, err, sizeof(err)), OT_OK);
    assert_string_equal(e.url, f->srv.url);
    assert_string_equal(e.credential, "otd_TestCredential-_0123456789");
    assert_int_equal(e.device_id, 7);
    assert_int_equal(e.customer_id, 3);
    assert_int_equal(e.site_id, 4);
    /* The saved CA is the pinned one, byte for byte once re-read. */
    char *saved = mock_slurp(e.ca_file);
    assert_non_null(saved);
    assert_string_equal(saved, f->pki.ca_pem);
    free(saved);
}

/* Only the first certificate of the answer is saved (and so trusted). */
static void test_extra_certificate_not_saved(void **state)
{
    struct fixture *f = *state;
    free(f->srv.ca_pem);
    size_t n = strlen(f->pki.ca_pem) + strlen(f->pki.cert_pem) + 1;
    f->srv.ca_pem = malloc(n);
    snprintf(f->srv.ca_pem, n, "%s%s", f->pki.ca_pem, f->pki.cert_pem);
    char err[512];
    assert_int_equal(ot_enroll(f->srv.url, f->token, "x", f->dir, err, sizeof(err)), OT_OK);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", f->dir, OT_ENROLL_CA);
    char *saved = mock_slurp(path);
    assert_string_equal(saved, f->pki.ca_pem);
    free(saved);
}

static void test_wrong_pin(void **state)
{
    struct fixture *f = *state;
    char token[256], err[512];
    snprintf(token, sizeof(token), "%s.%064d", SECRET, 0);
    assert_int_equal(ot_enroll(f->srv.url, token, "x", f->dir, err, sizeof(err)), OT_EPERM);
    assert_non_null(strstr(err, "does not match the token"));
    assert_int_equal(f->srv.enroll_posts, 0);
    assert_false(file_exists(f->dir, OT_ENROLL_FILE));
    assert_false(file_exists(f->dir, OT_ENROLL_CA));
}

/* /api/v1/ca gives the pinned CA, but the TLS certificate is from another CA: refused. */
static void test_server_not_signed_by_pinned_ca(void **state)
{
    struct fixture *f = *state;
    struct mock_pki other;
    assert_true(mock_pki_make(&other));
    struct mock_server srv;
    mock_start(&srv, other.key_pem, other.cert_pem);
    srv.ca_pem = strdup(f->pki.ca_pem);
    srv.expect_token = SECRET;
    char err[512];
    assert_int_equal(ot_enroll(srv.url, f->token, "x", f->dir, err, sizeof(err)), OT_EIO);
    assert_int_equal(srv.enroll_posts, 0);
    assert_false(file_exists(f->dir, OT_ENROLL_FILE));
    mock_stop(&srv);
    mock_pki_free(&other);
}

static void test_refusals(void **state)
{
    struct fixture *f = *state;
    static const struct {
        int status;
        int rc;
        const char *text;
    } cases[] = {
        {401, OT_EPERM, "token unknown"},
        {409, OT_EEXIST, "token already used"},
        {410, OT_EPERM, "token expired"},
        {500, OT_EIO, "answered 500 test error"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f->srv.enroll_status = cases[i].status;
        char err[512];
        assert_int_equal(ot_enroll(f->srv.url, f->token, "x", f->dir, err, sizeof(err)),
                         cases[i].rc);
        if (!strstr(err, cases[i].text))
            fail_msg("status %d: \"%s\" lacks \"%s\"", cases[i].status, err, cases[i].text);
        assert_false(file_exists(f->dir, OT_ENROLL_FILE));
    }
}

static void test_bad_input(void **state)
{
    struct fixture *f = *state;
    char err[512];
    assert_int_equal(ot_enroll(f->srv.url, "ote_abc", "x", f->dir, err, sizeof(err)), OT_EINVAL);
    assert_non_null(strstr(err, "token"));
    assert_int_equal(ot_enroll("http://127.0.0.1:1", f->token, "x", f->dir, err, sizeof(err)),
                     OT_EINVAL);
    char secret[64], pin[65];
    assert_int_equal(ot_enroll_parse_token("ote_a.b.ABCDEF0123456789ABCDEF0123456789ABCDEF0123"
                                           "456789ABCDEF0123456789",
                                           secret, sizeof(secret), pin),
                     OT_EINVAL); /* '.' inside the secret */
    assert_int_equal(ot_enroll_parse_token("ote_ab.ABCDEF0123456789ABCDEF0123456789ABCDEF0123"
                                           "456789ABCDEF0123456789",
                                           secret, sizeof(secret), pin),
                     OT_OK);
    assert_string_equal(secret, "ote_ab");
    assert_string_equal(pin, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
    assert_int_equal(ot_enroll_parse_token("otd_ab.ABCDEF0123456789ABCDEF0123456789ABCDEF0123"
                                           "456789ABCDEF0123456789",
                                           secret, sizeof(secret), pin),
                     OT_EINVAL);

    /* Loading: missing, then damaged. */
    struct ot_enrollment e;
    assert_int_equal(ot_enroll_load(f->dir, &e, err, sizeof(err)), OT_ENOENT);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", f->dir, OT_ENROLL_FILE);
    FILE *fp = fopen(path, "w");
    fputs("{\"url\":\"https://x\",\"credential\":\"otd_a\\r\\nX: y\",\"ca_file\":\"/c\","
          "\"device_id\":1,\"customer_id\":2}",
          fp);
    fclose(fp);
    assert_int_equal(ot_enroll_load(f->dir, &e, err, sizeof(err)), OT_EINVAL);
    fp = fopen(path, "w");
    fputs("{\"url\":", fp);
    fclose(fp);
    assert_int_equal(ot_enroll_load(f->dir, &e, err, sizeof(err)), OT_EINVAL);
    assert_non_null(strstr(err, "enroll.json:1:"));
}

int main(void)
{
    if (system("openssl version >/dev/null 2>&1") != 0) {
        printf("skipped: the openssl command is needed to make a test CA\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_happy_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extra_certificate_not_saved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_pin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_not_signed_by_pinned_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
