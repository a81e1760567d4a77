/*
 * Enrolment client (see enroll.h for the contract).
 *
 * Trust: the first request (GET /api/v1/ca) is made without verification;
 * nothing it returns is trusted until its certificate's SHA-256 equals the
 * pin the operator pasted.  Only that one certificate is saved (a second
 * certificate in the answer would otherwise become trusted too), and every
 * later request verifies the server against it.
 */
#include "transport/enroll.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport/curl-dl.h"
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "core/util.h"
#include "otasuke/error.h"
#include "otasuke/version.h"
#include "transport/fsutil.h"
#include "transport/http.h"

#define ANSWER_MAX (64u << 10)
#define ENROLL_MAX (64u << 10)
#define CRED_MAX   200

/* Format the operator's reason into err and return rc. */
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Only characters that are safe in an HTTP header and a JSON file: base64url and '_'. */
static bool credential_ok(const char *c)
{
    size_t n = strlen(c);
    if (n < 5 || n > CRED_MAX || strncmp(c, "otd_", 4) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)c[i]) && c[i] != '_' && c[i] != '-')
            return false;
    return true;
}

int ot_enroll_parse_token(const char *token, char *secret, size_t secret_cap,
                          char pin[OT_ENROLL_PIN_HEX + 1])
{
    if (!token || strncmp(token, "ote_", 4) != 0)
        return OT_EINVAL;
    const char *dot = strrchr(token, '.');
    if (!dot || dot == token + 4 || strlen(dot + 1) != OT_ENROLL_PIN_HEX)
        return OT_EINVAL;
    for (const char *p = token; p < dot; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return OT_EINVAL;
    for (unsigned i = 0; i < OT_ENROLL_PIN_HEX; i++) {
        char c = dot[1 + i];
        if (!isxdigit((unsigned char)c))
            return OT_EINVAL;
        pin[i] = (char)tolower((unsigned char)c);
    }
    pin[OT_ENROLL_PIN_HEX] = '\0';
    size_t slen = (size_t)(dot - token);
    if (slen + 1 > secret_cap)
        return OT_EINVAL;
    memcpy(secret, token, slen);
    secret[slen] = '\0';
    return OT_OK;
}

/*
 * One request with a fresh handle.  ca == NULL: no verification (only for
 * fetching the CA that is then checked against the pin).  Fills *status
 * and the answer; OT_EIO with the reason in err on a transport failure.
 */
static int http_do(const char *url, const char *ca, const char *json_body, uint32_t timeout_ms,
                   long *status, struct ot_http_buf *answer, char *err, size_t errlen)
{
    CURL *c = ot_curl.easy_init();
    if (!c)
        return fail(err, errlen, OT_ENOMEM, "cannot start the HTTP client");
    struct curl_slist *h = NULL;
    CURLcode r = CURLE_OK;
    r |= ot_curl.easy_setopt(c, CURLOPT_URL, url);
    r |= ot_curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    r |= ot_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    r |= ot_curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    r |= ot_curl.easy_setopt(c, CURLOPT_USERAGENT, "otasuke/" OT_VERSION);
    r |= ot_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, ot_http_buf_write);
    r |= ot_curl.easy_setopt(c, CURLOPT_WRITEDATA, answer);
    if (ca) {
        r |= ot_curl.easy_setopt(c, CURLOPT_CAINFO, ca);
        r |= ot_curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        r |= ot_curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    } else {
        r |= ot_curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        r |= ot_curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (json_body) {
        h = ot_curl.slist_append(h, "Content-Type: application/json");
        if (!h) {
            ot_curl.easy_cleanup(c);
            return fail(err, errlen, OT_ENOMEM, "out of memory");
        }
        r |= ot_curl.easy_setopt(c, CURLOPT_HTTPHEADER, h);
        r |= ot_curl.easy_setopt(c, CURLOPT_POSTFIELDS, json_body);
    }
    int rc = OT_OK;
    if (r != CURLE_OK) {
        rc = fail(err, errlen, OT_EINVAL, "%s: bad URL or HTTP client option", url);
        goto out;
    }
    CURLcode pr = ot_curl.easy_perform(c);
    if (pr != CURLE_OK) {
        rc = fail(err, errlen, OT_EIO, "%s: %s", url, ot_curl.easy_strerror(pr));
        goto out;
    }
    ot_curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
out:
    ot_curl.slist_free_all(h);
    ot_curl.easy_cleanup(c);
    return rc;
}

static void hex_of(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/*
 * Check the first certificate of `pem` against the pin and render it alone
 * as PEM into *out (the caller frees).
 */
static int pin_check(const char *pem, size_t len, const char *pin, char **out, size_t *outlen,
                     char *err, size_t errlen)
{
    int rc = OT_EINVAL;
    unsigned char *der = NULL;
    BIO *in = BIO_new_mem_buf(pem, (int)len), *mem = NULL;
    X509 *x = in ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
    if (!x) {
        rc = fail(err, errlen, OT_EINVAL,
                  "the server's /api/v1/ca answer is not a PEM certificate: not enrolling");
        goto out;
    }
    int dlen = i2d_X509(x, &der);
    if (dlen <= 0) {
        rc = fail(err, errlen, OT_EINVAL, "cannot encode the server's certificate");
        goto out;
    }
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    SHA256(der, (size_t)dlen, md);
    hex_of(md, sizeof(md), hex);
    if (strcmp(hex, pin) != 0) {
        rc = fail(err, errlen, OT_EPERM,
                  "the server's certificate authority does not match the token: not enrolling "
                  "(the token expects %.16s…, the server has %.16s…)",
                  pin, hex);
        goto out;
    }
    mem = BIO_new(BIO_s_mem());
    char *p;
    if (!mem || !PEM_write_bio_X509(mem, x)) {
        rc = fail(err, errlen, OT_ENOMEM, "out of memory");
        goto out;
    }
    long n = BIO_get_mem_data(mem, &p);
    *out = malloc((size_t)n + 1);
    if (!*out) {
        rc = fail(err, errlen, OT_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(*out, p, (size_t)n);
    (*out)[n] = '\0';
    *outlen = (size_t)n;
    rc = OT_OK;
out:
    OPENSSL_free(der);
    X509_free(x);
    BIO_free(in);
    BIO_free(mem);
    return rc;
}

/* The reason from an {"error": "..."} answer, or "" (points into j or a literal). */
static const char *answer_reason(json_t *j)
{
    const char *r = json_string_value(json_object_get(j, "error"));
    return r ? r : "";
}

/* Read the 201 answer into `e` (url and ca_file already set). */
static int parse_enrolled(const struct ot_http_buf *a, struct ot_enrollment *e, char *err,
                          size_t errlen)
{
    json_error_t je;
    json_t *j = a->data ? json_loadb(a->data, a->len, 0, &je) : NULL;
    json_t *dev = json_object_get(j, "device_id"), *cus = json_object_get(j, "customer_id");
    json_t *site = json_object_get(j, "site_id");
    const char *cred = json_string_value(json_object_get(j, "credential"));
    int rc = OT_OK;
    if (!json_is_integer(dev) || !json_is_integer(cus) || !cred || !credential_ok(cred) ||
        (site && !json_is_integer(site) && !json_is_null(site))) {
        rc = fail(err, errlen, OT_EINVAL,
                  "the server's enrolment answer lacks device_id, customer_id or a valid "
                  "credential: not enrolled");
        goto out;
    }
    e->device_id = json_integer_value(dev);
    e->customer_id = json_integer_value(cus);
    e->site_id = json_is_integer(site) ? json_integer_value(site) : 0;
    ot_strlcpy(e->credential, cred, sizeof(e->credential));
out:
    json_decref(j);
    return rc;
}

/* Write enroll.json (0600, atomic). */
static int save_enrollment(const char *state_dir, const struct ot_enrollment *e, char *err,
                           size_t errlen)
{
    json_t *j =
        json_pack("{s:s, s:I, s:I, s:I, s:s, s:s}", "url", e->url, "device_id",
                  (json_int_t)e->device_id, "customer_id", (json_int_t)e->customer_id, "site_id",
                  (json_int_t)e->site_id, "credential", e->credential, "ca_file", e->ca_file);
    char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    json_decref(j);
    if (!text)
        return fail(err, errlen, OT_ENOMEM, "out of memory");
    size_t n = strlen(text);
    char *withnl = realloc(text, n + 2);
    if (!withnl) {
        free(text);
        return fail(err, errlen, OT_ENOMEM, "out of memory");
    }
    withnl[n] = '\n';
    withnl[n + 1] = '\0';
    int rc = ot_file_replace(state_dir, OT_ENROLL_FILE, withnl, n + 1, 0600);
    free(withnl);
    if (rc != OT_OK)
        return fail(err, errlen, rc, "%s/%s: cannot write: %s", state_dir, OT_ENROLL_FILE,
                    strerror(errno));
    return OT_OK;
}

/* Fetch the CA, check the pin, save ca.pem; e->ca_file gets its path. */
static int fetch_ca(const char *base, const char *pin, const char *state_dir, uint32_t timeout,
                    struct ot_enrollment *e, char *err, size_t errlen)
{
    char url[600];
    snprintf(url, sizeof(url), "%s/api/v1/ca", base);
    struct ot_http_buf a = {.max = ANSWER_MAX};
    long status = 0;
    char *pem = NULL;
    size_t pemlen = 0;
    int rc = http_do(url, NULL, NULL, timeout, &status, &a, err, errlen);
    if (rc != OT_OK)
        goto out;
    if (status != 200) {
        rc = fail(err, errlen, OT_EIO, "%s: the server answered %ld instead of its certificate",
                  url, status);
        goto out;
    }
    rc = pin_check(a.data ? a.data : "", a.len, pin, &pem, &pemlen, err, errlen);
    if (rc != OT_OK)
        goto out;
    rc = ot_file_replace(state_dir, OT_ENROLL_CA, pem, pemlen, 0644);
    if (rc != OT_OK) {
        rc = fail(err, errlen, rc, "%s/%s: cannot write: %s", state_dir, OT_ENROLL_CA,
                  strerror(errno));
        goto out;
    }
    char real[PATH_MAX];
    if (!realpath(state_dir, real))
        ot_strlcpy(real, state_dir, sizeof(real));
    if ((size_t)snprintf(e->ca_file, sizeof(e->ca_file), "%s/%s", real, OT_ENROLL_CA) >=
        sizeof(e->ca_file))
        rc = fail(err, errlen, OT_EINVAL, "%s: path too long", state_dir);
out:
    free(pem);
    free(a.data);
    return rc;
}

int ot_enroll_opts(const char *url, const char *token, const char *name, const char *state_dir,
                   const struct ot_enroll_options *opt, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!url || strncmp(url, "https://", 8) != 0)
        return fail(err, errlen, OT_EINVAL, "the server URL must start with https://");
    if (!state_dir || !*state_dir)
        return fail(err, errlen, OT_EINVAL, "no state folder given");
    char secret[256], pin[OT_ENROLL_PIN_HEX + 1];
    if (ot_enroll_parse_token(token, secret, sizeof(secret), pin) != OT_OK)
        return fail(err, errlen, OT_EINVAL,
                    "the token is not of the form ote_<secret>.<64 hex digits>: copy it again "
                    "from the provider");
    const char *kind = opt && opt->kind ? opt->kind : "sensor";
    uint32_t timeout = opt && opt->timeout_ms ? opt->timeout_ms : 30000;
    char host[256];
    if (!name || !*name) {
        if (gethostname(host, sizeof(host)) != 0)
            ot_strlcpy(host, "unnamed", sizeof(host));
        host[sizeof(host) - 1] = '\0';
        name = host;
    }
    if (ot_http_global_init() != OT_OK)
        return fail(err, errlen, OT_EIO, "cannot start the HTTP client");
    if (ot_dir_ensure(state_dir, 0700) != OT_OK)
        return fail(err, errlen, OT_EIO, "%s: cannot create the state folder: %s", state_dir,
                    strerror(errno));

    struct ot_enrollment e;
    memset(&e, 0, sizeof(e));
    size_t ulen = strlen(url);
    while (ulen > 8 && url[ulen - 1] == '/')
        ulen--;
    if (ulen + 1 > sizeof(e.url) - 32)
        return fail(err, errlen, OT_EINVAL, "the server URL is too long");
    memcpy(e.url, url, ulen);
    e.url[ulen] = '\0';

    int rc = fetch_ca(e.url, pin, state_dir, timeout, &e, err, errlen);
    if (rc != OT_OK)
        return rc;

    json_t *req = json_pack("{s:s, s:s, s:s}", "token", secret, "name", name, "kind", kind);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body)
        return fail(err, errlen, OT_ENOMEM, "out of memory (is the name valid UTF-8?)");
    char purl[600];
    snprintf(purl, sizeof(purl), "%s/api/v1/enroll", e.url);
    struct ot_http_buf a = {.max = ANSWER_MAX};
    long status = 0;
    rc = http_do(purl, e.ca_file, body, timeout, &status, &a, err, errlen);
    free(body);
    if (rc != OT_OK)
        goto out;
    json_error_t je;
    json_t *ans = a.data ? json_loadb(a.data, a.len, 0, &je) : NULL;
    switch (status) {
    case 201:
        rc = parse_enrolled(&a, &e, err, errlen);
        if (rc == OT_OK)
            rc = save_enrollment(state_dir, &e, err, errlen);
        break;
    case 401:
        rc = fail(err, errlen, OT_EPERM,
                  "token unknown: the server does not know this enrolment token");
        break;
    case 409:
        rc = fail(err, errlen, OT_EEXIST,
                  "token already used: ask the provider for a new enrolment token");
        break;
    case 410:
        rc = fail(err, errlen, OT_EPERM,
                  "token expired: ask the provider for a new enrolment token");
        break;
    default:
        rc = fail(err, errlen, OT_EIO, "%s: the server answered %ld %s", purl, status,
                  answer_reason(ans));
        break;
    }
    json_decref(ans);
out:
    free(a.data);
    return rc;
}

int ot_enroll(const char *url, const char *token, const char *name, const char *state_dir,
              char *err, size_t errlen)
{
    return ot_enroll_opts(url, token, name, state_dir, NULL, err, errlen);
}

/* Copy a required string field into dst; false when missing or too long. */
static bool get_str(json_t *j, const char *key, char *dst, size_t cap)
{
    const char *v = json_string_value(json_object_get(j, key));
    return v && *v && ot_strlcpy(dst, v, cap);
}

int ot_enroll_load(const char *state_dir, struct ot_enrollment *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, OT_ENROLL_FILE) >= sizeof(path))
        return fail(err, errlen, OT_EINVAL, "%s: path too long", state_dir);
    char *text;
    size_t len;
    int rc = ot_file_read(path, ENROLL_MAX, &text, &len);
    if (rc == OT_ENOENT)
        return fail(err, errlen, OT_ENOENT,
                    "%s: not enrolled (run: otasuke-sensor enroll URL "
                    "TOKEN)",
                    path);
    if (rc != OT_OK)
        return fail(err, errlen, rc, "%s: cannot read: %s", path, ot_strerror(rc));
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    free(text);
    if (!j || !json_is_object(j)) {
        rc = fail(err, errlen, OT_EINVAL, "%s:%d: %s", path, j ? 1 : je.line,
                  j ? "not a JSON object" : je.text);
        goto out;
    }
    json_t *dev = json_object_get(j, "device_id"), *cus = json_object_get(j, "customer_id");
    if (!get_str(j, "url", out->url, sizeof(out->url)) || strncmp(out->url, "https://", 8) != 0 ||
        !get_str(j, "credential", out->credential, sizeof(out->credential)) ||
        !credential_ok(out->credential) ||
        !get_str(j, "ca_file", out->ca_file, sizeof(out->ca_file)) || !json_is_integer(dev) ||
        !json_is_integer(cus)) {
        rc = fail(err, errlen, OT_EINVAL,
                  "%s: damaged (needs url, device_id, customer_id, credential, ca_file): "
                  "enrol again",
                  path);
        memset(out, 0, sizeof(*out));
        goto out;
    }
    out->device_id = json_integer_value(dev);
    out->customer_id = json_integer_value(cus);
    out->site_id = json_integer_value(json_object_get(j, "site_id"));
    rc = OT_OK;
out:
    json_decref(j);
    return rc;
}
