/*
 * The CLI's one HTTPS connection to the server: libcurl easy handle kept
 * for the whole run (keep-alive across the calls of one command), the admin
 * key as a Bearer header, the server's own CA from the data folder, and
 * answers bounded to OT_CLI_MAX_ANSWER bytes.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/util.h"
#include "otasuke/error.h"

#define KEY_MAX 256

struct ot_cli_http {
    CURL *curl;
    struct curl_slist *headers; /* Authorization, Accept, Content-Type */
    char url[512];              /* base URL without a trailing '/' */
    char ca[4096];              /* "" = the system's trust store */
    char curl_err[CURL_ERROR_SIZE];
};

/* Reads the first line of path into key (trimmed); OT_ENOENT / OT_EINVAL with a reason. */
static int read_key(const char *path, char *key, size_t len, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "cannot read the admin key %s: %s (give --data DIR or --key-file)",
                 path, strerror(errno));
        return OT_ENOENT;
    }
    char line[KEY_MAX + 2];
    bool got = fgets(line, sizeof(line), fp) != NULL;
    fclose(fp);
    size_t n = got ? strlen(line) : 0;
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                     line[n - 1] == '\t'))
        line[--n] = '\0';
    if (n == 0 || n > KEY_MAX || n + 1 > len) {
        snprintf(err, errlen, "%s: no admin key on its first line", path);
        return OT_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)line[i] <= ' ' || (unsigned char)line[i] >= 0x7f) {
            snprintf(err, errlen, "%s: the admin key holds a character it cannot have", path);
            return OT_EINVAL;
        }
    }
    memcpy(key, line, n + 1);
    return OT_OK;
}

/* Resolves the key and CA from the arguments and sets up the curl handle. */
int ot_cli_http_new(const struct ot_cli_args *a, struct ot_cli_http **out, char *err, size_t errlen)
{
    char path[4096], key[KEY_MAX + 1], auth[KEY_MAX + 32];
    int rc;
    struct ot_cli_http *h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return OT_ENOMEM;
    }
    if (!ot_strlcpy(h->url, a->server, sizeof(h->url))) {
        snprintf(err, errlen, "--server URL too long");
        rc = OT_EINVAL;
        goto out_free;
    }
    size_t ul = strlen(h->url);
    while (ul > 0 && h->url[ul - 1] == '/')
        h->url[--ul] = '\0';

    if (a->key_file)
        ot_strlcpy(path, a->key_file, sizeof(path));
    else
        snprintf(path, sizeof(path), "%s/admin.key", a->data);
    rc = read_key(path, key, sizeof(key), err, errlen);
    if (rc != OT_OK)
        goto out_free;

    if (a->ca) {
        if (access(a->ca, R_OK) != 0) {
            snprintf(err, errlen, "cannot read the CA certificate %s: %s", a->ca, strerror(errno));
            rc = OT_ENOENT;
            goto out_free;
        }
        ot_strlcpy(h->ca, a->ca, sizeof(h->ca));
    } else {
        snprintf(path, sizeof(path), "%s/ca.pem", a->data);
        if (access(path, R_OK) == 0)
            ot_strlcpy(h->ca, path, sizeof(h->ca));
        /* else: the system's trust store (a server with a public certificate) */
    }

    h->curl = curl_easy_init();
    if (!h->curl) {
        snprintf(err, errlen, "cannot start libcurl");
        rc = OT_ENOMEM;
        goto out_free;
    }
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    explicit_bzero(key, sizeof(key));
    static const char *const fixed[] = {"Accept: application/json",
                                        "Content-Type: application/json"};
    struct curl_slist *l = curl_slist_append(NULL, auth);
    explicit_bzero(auth, sizeof(auth));
    for (size_t i = 0; l && i < OT_ARRAY_SIZE(fixed); i++) {
        h->headers = l;
        l = curl_slist_append(h->headers, fixed[i]);
    }
    if (!l) {
        snprintf(err, errlen, "out of memory");
        rc = OT_ENOMEM;
        goto out_free;
    }
    h->headers = l;
    *out = h;
    return OT_OK;

out_free:
    ot_cli_http_free(h);
    return rc;
}

/* Releases the handle and the header list (which holds the key). */
void ot_cli_http_free(struct ot_cli_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    free(h);
}

/* The base URL (borrowed from the handle). */
const char *ot_cli_http_url(const struct ot_cli_http *h)
{
    return h->url;
}

/* The answer being received; refuses to grow past OT_CLI_MAX_ANSWER. */
struct sink {
    char *buf;
    size_t len, cap;
    bool too_big;
};

/* libcurl write callback: appends to the sink; returning 0 makes curl stop. */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n + 1 > OT_CLI_MAX_ANSWER) {
        s->too_big = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    if (s->len + n + 1 > s->cap) {
        size_t ncap = s->cap ? s->cap : 4096;
        while (ncap < s->len + n + 1)
            ncap *= 2;
        char *nb = realloc(s->buf, ncap);
        if (!nb)
            return 0;
        s->buf = nb;
        s->cap = ncap;
    }
    memcpy(s->buf + s->len, ptr, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

/* Frees what an exchange left. */
void ot_cli_answer_free(struct ot_cli_answer *ans)
{
    free(ans->body);
    json_decref(ans->json);
    memset(ans, 0, sizeof(*ans));
}

/* One request/answer exchange (see cli.h). */
int ot_cli_http_call(struct ot_cli_http *h, const char *method, const char *path,
                     const json_t *body, struct ot_cli_answer *ans, char *err, size_t errlen)
{
    char url[1024];
    struct sink s = {0};
    char *payload = NULL;
    int rc = OT_OK;
    memset(ans, 0, sizeof(*ans));
    if ((size_t)snprintf(url, sizeof(url), "%s%s", h->url, path) >= sizeof(url)) {
        snprintf(err, errlen, "request URL too long");
        return OT_EINVAL;
    }
    CURL *c = h->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_err);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "otasuke-cli");
    if (h->ca[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, h->ca);
    if (body) {
        payload = json_dumps(body, JSON_COMPACT);
        if (!payload) {
            snprintf(err, errlen, "out of memory");
            return OT_ENOMEM;
        }
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    }
    if (strcmp(method, "GET") != 0 && !(body && !strcmp(method, "POST")))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "POST") && !body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    h->curl_err[0] = '\0';
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        if (s.too_big)
            snprintf(err, errlen, "the answer from %s is larger than %u MiB", h->url,
                     OT_CLI_MAX_ANSWER >> 20);
        else
            snprintf(err, errlen, "cannot reach %s: %s", h->url,
                     h->curl_err[0] ? h->curl_err : curl_easy_strerror(cc));
        rc = OT_EIO;
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ans->status);
    if (!s.buf) {
        s.buf = calloc(1, 1);
        if (!s.buf) {
            rc = OT_ENOMEM;
            goto out;
        }
    }
    ans->body = s.buf;
    ans->len = s.len;
    s.buf = NULL;
    if (ans->len > 0)
        ans->json = json_loadb(ans->body, ans->len, JSON_REJECT_DUPLICATES, NULL);
out:
    free(s.buf);
    free(payload);
    return rc;
}
