/*
 * Certificate authority and server certificate with OpenSSL libcrypto (see
 * pki.h).  Keys never leave the data folder except the server key, which is
 * handed to the TLS stack in memory.
 */
#include "pki/pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/util.h"
#include "otasuke/error.h"

#define CA_DAYS     3650
#define SERVER_DAYS 730
#define RENEW_DAYS  30

/* Everything that lives while one load_or_create runs. */
struct pki_work {
    const char *dir;
    char *err;
    size_t errlen;
    EVP_PKEY *ca_key, *srv_key;
    X509 *ca, *srv;
    const char *names[OT_PKI_MAX_SANS + 4];
    size_t nnames;
    char host[256];
};

static void fail(struct pki_work *w, const char *what, const char *file)
{
    snprintf(w->err, w->errlen, "%s/%s: %s", w->dir, file, what);
}

static void path_of(const struct pki_work *w, const char *file, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", w->dir, file);
}

/* Whole file into a malloc'd NUL-terminated string; NULL with errno set when absent. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            if (cap > (1u << 20)) { /* a PEM file is never this large */
                free(buf);
                fclose(f);
                errno = EFBIG;
                return NULL;
            }
            char *nb = realloc(buf, cap + 8192);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap += 8192;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* Writes data to dir/file with mode, through a temporary file and rename. */
static int write_file(struct pki_work *w, const char *file, const char *data, size_t len,
                      mode_t mode)
{
    char path[4096], tmp[4200];
    path_of(w, file, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        fail(w, strerror(errno), file);
        return OT_EIO;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fail(w, strerror(errno), file);
            close(fd);
            unlink(tmp);
            return OT_EIO;
        }
        off += (size_t)n;
    }
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0 || close(fd) != 0) {
        fail(w, strerror(errno), file);
        unlink(tmp);
        return OT_EIO;
    }
    if (rename(tmp, path) != 0) {
        fail(w, strerror(errno), file);
        unlink(tmp);
        return OT_EIO;
    }
    return 0;
}

/* PEM text of a certificate or private key, malloc'd; NULL on failure. */
static char *to_pem(X509 *cert, EVP_PKEY *key)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return NULL;
    int ok = cert ? PEM_write_bio_X509(b, cert)
                  : PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
    char *out = NULL;
    if (ok) {
        char *p;
        long n = BIO_get_mem_data(b, &p);
        out = malloc((size_t)n + 1);
        if (out) {
            memcpy(out, p, (size_t)n);
            out[n] = '\0';
        }
    }
    BIO_free(b);
    return out;
}

bool ot_pki_san_valid(const char *s)
{
    unsigned char a[16];
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    if (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1)
        return true;
    if (s[0] == '.' || s[0] == '-' || s[n - 1] == '.' || strstr(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || (c == '*' && i == 0 && s[1] == '.')))
            return false;
    }
    return true;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex)
        return OT_EINVAL;
    int ok = X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return ok ? 0 : OT_ENOMEM;
}

/* A fresh certificate skeleton: random serial, validity, subject CN, public key. */
static X509 *cert_new(EVP_PKEY *key, const char *cn, int days)
{
    X509 *c = X509_new();
    if (!c)
        return NULL;
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    ASN1_INTEGER *ai = NULL;
    if (RAND_bytes(serial, sizeof(serial)) != 1)
        goto out_fail;
    serial[0] &= 0x7f; /* positive */
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    if (!ai || !X509_set_version(c, 2) || !X509_set_serialNumber(c, ai) ||
        !X509_gmtime_adj(X509_getm_notBefore(c), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(c), (long)days * 86400) || !X509_set_pubkey(c, key))
        goto out_fail;
    X509_NAME *name = X509_get_subject_name(c);
    if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Otasuke", -1,
                                    -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0))
        goto out_fail;
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return c;

out_fail:
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    X509_free(c);
    return NULL;
}

/* Makes ca_key and ca (self-signed, CA:TRUE, pathlen 0). */
static int make_ca(struct pki_work *w)
{
    w->ca_key = EVP_EC_gen("P-256");
    if (!w->ca_key)
        return OT_ENOMEM;
    char cn[320];
    snprintf(cn, sizeof(cn), "Otasuke server CA (%s)", w->host[0] ? w->host : "local");
    w->ca = cert_new(w->ca_key, cn, CA_DAYS);
    if (!w->ca || !X509_set_issuer_name(w->ca, X509_get_subject_name(w->ca)) ||
        add_ext(w->ca, w->ca, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        add_ext(w->ca, w->ca, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        add_ext(w->ca, w->ca, NID_subject_key_identifier, "hash") ||
        !X509_sign(w->ca, w->ca_key, EVP_sha256()))
        return OT_ENOMEM;
    return 0;
}

/* Makes srv_key and srv, signed by the CA, with every wanted name as a SAN. */
static int make_server(struct pki_work *w)
{
    EVP_PKEY_free(w->srv_key);
    X509_free(w->srv);
    w->srv = NULL;
    w->srv_key = EVP_EC_gen("P-256");
    if (!w->srv_key)
        return OT_ENOMEM;
    char san[8192];
    size_t off = 0;
    for (size_t i = 0; i < w->nnames; i++) {
        unsigned char a[16];
        bool ip =
            inet_pton(AF_INET, w->names[i], a) == 1 || inet_pton(AF_INET6, w->names[i], a) == 1;
        int n = snprintf(san + off, sizeof(san) - off, "%s%s:%s", off ? "," : "", ip ? "IP" : "DNS",
                         w->names[i]);
        if (n < 0 || (size_t)n >= sizeof(san) - off)
            return OT_ELIMIT;
        off += (size_t)n;
    }
    w->srv = cert_new(w->srv_key, w->names[0], SERVER_DAYS);
    if (!w->srv || !X509_set_issuer_name(w->srv, X509_get_subject_name(w->ca)) ||
        add_ext(w->srv, w->ca, NID_basic_constraints, "critical,CA:FALSE") ||
        add_ext(w->srv, w->ca, NID_key_usage, "critical,digitalSignature") ||
        add_ext(w->srv, w->ca, NID_ext_key_usage, "serverAuth") ||
        add_ext(w->srv, w->ca, NID_subject_key_identifier, "hash") ||
        add_ext(w->srv, w->ca, NID_authority_key_identifier, "keyid:always") ||
        add_ext(w->srv, w->ca, NID_subject_alt_name, san) ||
        !X509_sign(w->srv, w->ca_key, EVP_sha256()))
        return OT_ENOMEM;
    return 0;
}

/* true when the SAN extension of c holds name (as DNS or IP, by its form). */
static bool has_name(X509 *c, const char *name)
{
    unsigned char a[16];
    int alen = 0;
    if (inet_pton(AF_INET, name, a) == 1)
        alen = 4;
    else if (inet_pton(AF_INET6, name, a) == 1)
        alen = 16;
    GENERAL_NAMES *gens = X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL);
    bool found = false;
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && !found; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (alen && g->type == GEN_IPADD) {
            found = ASN1_STRING_length(g->d.iPAddress) == alen &&
                    memcmp(ASN1_STRING_get0_data(g->d.iPAddress), a, (size_t)alen) == 0;
        } else if (!alen && g->type == GEN_DNS) {
            const char *d = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
            found = (size_t)ASN1_STRING_length(g->d.dNSName) == strlen(name) &&
                    strncasecmp(d, name, strlen(name)) == 0;
        }
    }
    GENERAL_NAMES_free(gens);
    return found;
}

/* true when the loaded server certificate can be kept as it is. */
static bool server_usable(struct pki_work *w)
{
    if (!w->srv || !w->srv_key || X509_verify(w->srv, w->ca_key) != 1 ||
        X509_check_private_key(w->srv, w->srv_key) != 1)
        return false;
    time_t soon = time(NULL) + (time_t)RENEW_DAYS * 86400;
    if (X509_cmp_time(X509_get0_notAfter(w->srv), &soon) <= 0)
        return false;
    for (size_t i = 0; i < w->nnames; i++)
        if (!has_name(w->srv, w->names[i]))
            return false;
    return true;
}

/* Loads file as a certificate (key == NULL) or private key; absent is not an error. */
static int load_pem(struct pki_work *w, const char *file, X509 **cert, EVP_PKEY **key, bool *absent)
{
    char path[4096];
    path_of(w, file, path, sizeof(path));
    char *text = read_file(path);
    *absent = false;
    if (!text) {
        if (errno == ENOENT) {
            *absent = true;
            return 0;
        }
        fail(w, strerror(errno), file);
        return OT_EIO;
    }
    BIO *b = BIO_new_mem_buf(text, -1);
    if (cert)
        *cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    else
        *key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    free(text);
    if (cert ? !*cert : !*key) {
        fail(w, cert ? "not a PEM certificate" : "not a PEM private key", file);
        return OT_EINVAL;
    }
    return 0;
}

/* Fills the list of names the server certificate must carry. */
static int collect_names(struct pki_work *w, const char *const *sans, size_t nsans)
{
    static const char *const builtin[] = {"localhost", "127.0.0.1", "::1"};
    for (size_t i = 0; i < 3; i++)
        w->names[w->nnames++] = builtin[i];
    if (gethostname(w->host, sizeof(w->host) - 1) == 0 && ot_pki_san_valid(w->host) &&
        strcmp(w->host, "localhost") != 0)
        w->names[w->nnames++] = w->host;
    else
        w->host[0] = '\0';
    for (size_t i = 0; i < nsans; i++) {
        if (!ot_pki_san_valid(sans[i])) {
            snprintf(w->err, w->errlen, "--san %s: not a host name or IP address", sans[i]);
            return OT_EINVAL;
        }
        if (w->nnames >= OT_ARRAY_SIZE(w->names)) {
            snprintf(w->err, w->errlen, "more than %d --san names", OT_PKI_MAX_SANS);
            return OT_ELIMIT;
        }
        w->names[w->nnames++] = sans[i];
    }
    return 0;
}

int ot_pki_pem_pin(const char *pem, char hex[65])
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *c = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!c)
        return OT_EINVAL;
    unsigned char md[32];
    unsigned int mdlen = 0;
    int ok = X509_digest(c, EVP_sha256(), md, &mdlen);
    X509_free(c);
    if (!ok || mdlen != 32)
        return OT_EINVAL;
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* Loads or makes the CA; sets p->ca_created. */
static int ensure_ca(struct pki_work *w, struct ot_pki *p)
{
    bool no_cert, no_key;
    int rc = load_pem(w, "ca.pem", &w->ca, NULL, &no_cert);
    if (rc)
        return rc;
    rc = load_pem(w, "ca.key", NULL, &w->ca_key, &no_key);
    if (rc)
        return rc;
    if (no_cert != no_key) {
        fail(w, no_cert ? "missing while ca.key exists" : "missing while ca.pem exists",
             no_cert ? "ca.pem" : "ca.key");
        return OT_EINVAL;
    }
    if (!no_cert) {
        if (X509_check_private_key(w->ca, w->ca_key) != 1) {
            fail(w, "does not belong to ca.key", "ca.pem");
            return OT_EINVAL;
        }
        return 0;
    }
    if (make_ca(w)) {
        fail(w, "could not create the certificate authority", "ca.pem");
        return OT_ENOMEM;
    }
    char *key = to_pem(NULL, w->ca_key), *cert = to_pem(w->ca, NULL);
    rc = (!key || !cert) ? OT_ENOMEM : 0;
    if (!rc)
        rc = write_file(w, "ca.key", key, strlen(key), 0600);
    if (!rc)
        rc = write_file(w, "ca.pem", cert, strlen(cert), 0644);
    if (key)
        OPENSSL_cleanse(key, strlen(key));
    free(key);
    free(cert);
    p->ca_created = rc == 0;
    return rc;
}

/* Loads the server certificate, issuing a new one when it cannot be kept. */
static int ensure_server(struct pki_work *w, struct ot_pki *p)
{
    bool no_cert = true, no_key = true;
    int rc = load_pem(w, "server.pem", &w->srv, NULL, &no_cert);
    if (rc == 0)
        rc = load_pem(w, "server.key", NULL, &w->srv_key, &no_key);
    if (rc == OT_EIO)
        return rc;
    if (rc == 0 && !no_cert && !no_key && server_usable(w))
        return 0;
    if (make_server(w)) {
        fail(w, "could not issue the server certificate", "server.pem");
        return OT_ENOMEM;
    }
    char *key = to_pem(NULL, w->srv_key), *cert = to_pem(w->srv, NULL);
    rc = (!key || !cert) ? OT_ENOMEM : 0;
    if (!rc)
        rc = write_file(w, "server.key", key, strlen(key), 0600);
    if (!rc)
        rc = write_file(w, "server.pem", cert, strlen(cert), 0644);
    if (key)
        OPENSSL_cleanse(key, strlen(key));
    free(key);
    free(cert);
    p->cert_created = rc == 0;
    return rc;
}

/* See pki.h. */
int ot_pki_load_or_create(const char *dir, const char *const *sans, size_t nsans, struct ot_pki *p,
                          char *err, size_t errlen)
{
    struct pki_work w = {.dir = dir, .err = err, .errlen = errlen};
    memset(p, 0, sizeof(*p));
    int rc = collect_names(&w, sans, nsans);
    if (rc)
        goto out;
    rc = ensure_ca(&w, p);
    if (rc)
        goto out;
    rc = ensure_server(&w, p);
    if (rc)
        goto out;
    p->ca_pem = to_pem(w.ca, NULL);
    p->cert_pem = to_pem(w.srv, NULL);
    p->key_pem = to_pem(NULL, w.srv_key);
    unsigned int mdlen = 0;
    if (!p->ca_pem || !p->cert_pem || !p->key_pem ||
        !X509_digest(w.ca, EVP_sha256(), p->ca_sha256, &mdlen) || mdlen != 32) {
        snprintf(err, errlen, "%s: out of memory", dir);
        rc = OT_ENOMEM;
        goto out;
    }
    for (int i = 0; i < 32; i++)
        snprintf(p->ca_pin + 2 * i, 3, "%02x", p->ca_sha256[i]);
out:
    if (rc)
        ot_pki_free(p);
    X509_free(w.ca);
    X509_free(w.srv);
    EVP_PKEY_free(w.ca_key);
    EVP_PKEY_free(w.srv_key);
    return rc;
}

/* Frees the PEM strings (the key is wiped first). */
void ot_pki_free(struct ot_pki *p)
{
    if (!p)
        return;
    if (p->key_pem)
        OPENSSL_cleanse(p->key_pem, strlen(p->key_pem));
    free(p->key_pem);
    free(p->cert_pem);
    free(p->ca_pem);
    p->key_pem = p->cert_pem = p->ca_pem = NULL;
}
