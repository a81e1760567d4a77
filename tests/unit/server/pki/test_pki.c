/* PKI: CA and server certificate made, verified, names present, kept or reissued. */
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
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"
#include "otasuke/error.h"

static X509 *pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *c = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(c);
    return c;
}

/* The server certificate verifies against the CA for TLS server use. */
static void verify(const struct ot_pki *p, const char *host, const char *ip)
{
    X509 *ca = pem_cert(p->ca_pem), *srv = pem_cert(p->cert_pem);
    X509_STORE *st = X509_STORE_new();
    X509_STORE_add_cert(st, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_int_equal(X509_STORE_CTX_init(ctx, st, srv, NULL), 1);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    if (host)
        X509_VERIFY_PARAM_set1_host(vp, host, 0);
    if (ip)
        X509_VERIFY_PARAM_set1_ip_asc(vp, ip);
    int ok = X509_verify_cert(ctx);
    if (ok != 1)
        fail_msg("verify %s %s: %s", host ? host : "", ip ? ip : "",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    X509_free(ca);
    X509_free(srv);
    /* the key belongs to the certificate */
    BIO *b = BIO_new_mem_buf(p->key_pem, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    srv = pem_cert(p->cert_pem);
    assert_int_equal(X509_check_private_key(srv, k), 1);
    assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
    EVP_PKEY_free(k);
    X509_free(srv);
}

static bool verifies(const struct ot_pki *p, const char *host)
{
    X509 *ca = pem_cert(p->ca_pem), *srv = pem_cert(p->cert_pem);
    X509_STORE *st = X509_STORE_new();
    X509_STORE_add_cert(st, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, st, srv, NULL);
    X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), host, 0);
    bool ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    X509_free(ca);
    X509_free(srv);
    return ok;
}

static mode_t mode_of(const char *dir, const char *file)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, file);
    struct stat s;
    assert_int_equal(stat(p, &s), 0);
    return s.st_mode & 0777;
}

static void test_create_and_reload(void **state)
{
    char dir[] = "/tmp/ot-pki-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char err[256] = "";
    struct ot_pki p;
    const char *sans[] = {"otasuke.example.jp", "192.0.2.7"};
    if (ot_pki_load_or_create(dir, sans, 2, &p, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_true(p.ca_created);
    assert_true(p.cert_created);
    verify(&p, "localhost", NULL);
    verify(&p, NULL, "127.0.0.1");
    verify(&p, NULL, "::1");
    verify(&p, "otasuke.example.jp", NULL);
    verify(&p, NULL, "192.0.2.7");
    assert_false(verifies(&p, "other.example.jp"));
    assert_int_equal(mode_of(dir, "ca.key"), 0600);
    assert_int_equal(mode_of(dir, "server.key"), 0600);
    assert_int_equal(mode_of(dir, "ca.pem"), 0644);
    char pin[65];
    assert_int_equal(ot_pki_pem_pin(p.ca_pem, pin), 0);
    assert_string_equal(pin, p.ca_pin);
    assert_int_equal(strlen(pin), 64);
    char *cert1 = strdup(p.cert_pem);
    char pin1[65];
    memcpy(pin1, p.ca_pin, 65);
    ot_pki_free(&p);

    /* second start with the same names: nothing new */
    assert_int_equal(ot_pki_load_or_create(dir, sans, 2, &p, err, sizeof(err)), 0);
    assert_false(p.ca_created);
    assert_false(p.cert_created);
    assert_string_equal(p.cert_pem, cert1);
    assert_string_equal(p.ca_pin, pin1);
    ot_pki_free(&p);

    /* a new --san name: same CA, new server certificate carrying it */
    const char *more[] = {"otasuke.example.jp", "192.0.2.7", "new.example.jp"};
    assert_int_equal(ot_pki_load_or_create(dir, more, 3, &p, err, sizeof(err)), 0);
    assert_false(p.ca_created);
    assert_true(p.cert_created);
    assert_string_equal(p.ca_pin, pin1);
    verify(&p, "new.example.jp", NULL);
    ot_pki_free(&p);
    free(cert1);

    /* a broken CA file is an error naming the file, not a silent new CA */
    char path[512];
    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    FILE *f = fopen(path, "w");
    fputs("garbage\n", f);
    fclose(f);
    assert_int_not_equal(ot_pki_load_or_create(dir, NULL, 0, &p, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "ca.pem"));
    const char *files[] = {"ca.pem", "ca.key", "server.pem", "server.key"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void test_san_names(void **state)
{
    assert_true(ot_pki_san_valid("a.example.jp"));
    assert_true(ot_pki_san_valid("10.0.0.1"));
    assert_true(ot_pki_san_valid("fe80::1"));
    assert_false(ot_pki_san_valid(""));
    assert_false(ot_pki_san_valid("a,DNS:evil"));
    assert_false(ot_pki_san_valid("a..b"));
    assert_false(ot_pki_san_valid("-a"));
    assert_false(ot_pki_san_valid("a b"));
    char err[256];
    struct ot_pki p;
    const char *bad[] = {"x,IP:1.2.3.4"};
    assert_int_equal(ot_pki_load_or_create("/nonexistent", bad, 1, &p, err, sizeof(err)),
                     OT_EINVAL);
    assert_non_null(strstr(err, "--san"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_reload),
        cmocka_unit_test(test_san_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
