/*
 * Enrolment client: turns a one-time token into a device credential
 * (docs/server/design.md "Credentials and enrolment").
 *
 * The token the operator pastes is `ote_<secret>.<pin>`, the pin being the
 * SHA-256 (hex) of the server CA certificate's DER.  ot_enroll():
 *   1. GET URL/api/v1/ca without verification; refuses unless the first
 *      certificate's SHA-256 equals the pin;
 *   2. saves that one certificate as state_dir/ca.pem (0644, atomic);
 *   3. POST URL/api/v1/enroll {"token": "ote_<secret>", "name", "kind"},
 *      verifying the server with ca.pem (peer and host name);
 *   4. on 201 writes state_dir/enroll.json (0600, atomic):
 *      {"url","device_id","customer_id","site_id","credential","ca_file"}.
 * The token sent in step 3 is the part before the pin; the server must
 * accept that form (and may accept the whole token too).
 *
 * Errors are returned as a negative ot_err and a plain English reason in
 * `err` for the operator (e.g. "token already used").
 *
 * libcurl: loaded on first use (transport/curl-dl.h), and curl_global_init()
 * is done once per process (pthread_once).
 */
#ifndef OT_TRANSPORT_ENROLL_H
#define OT_TRANSPORT_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#define OT_ENROLL_FILE    "enroll.json"
#define OT_ENROLL_CA      "ca.pem"
#define OT_ENROLL_PIN_HEX 64

/* What enroll.json holds; plain arrays, nothing to free. */
struct ot_enrollment {
    char url[512];
    char credential[256];
    char ca_file[4096];
    int64_t device_id;
    int64_t customer_id;
    int64_t site_id;
};

/* Options beyond the brief's arguments; zero = defaults. */
struct ot_enroll_options {
    const char *kind;    /* "sensor" (default) or "agent" */
    uint32_t timeout_ms; /* per request; 0 = 30 s */
};

/*
 * Enrol with the server at `url` (https://host:port) using `token` (with its
 * pin), naming the device `name` (NULL = the host name), writing into
 * `state_dir` (created 0700 if missing).  0 on success; else a negative
 * ot_err with the reason in err[errlen].
 */
int ot_enroll(const char *url, const char *token, const char *name, const char *state_dir,
              char *err, size_t errlen);

/* ot_enroll() with options (NULL = defaults). */
int ot_enroll_opts(const char *url, const char *token, const char *name, const char *state_dir,
                   const struct ot_enroll_options *opt, char *err, size_t errlen);

/*
 * Read state_dir/enroll.json back.  OT_ENOENT when the device is not
 * enrolled; OT_EINVAL (reason in err) when the file is damaged.
 */
int ot_enroll_load(const char *state_dir, struct ot_enrollment *out /* OUT */, char *err,
                   size_t errlen);

/*
 * Split a token into its secret part and its pin (lower-case hex).  OT_EINVAL
 * when the token does not have the form ote_<secret>.<64 hex digits>.
 */
int ot_enroll_parse_token(const char *token, char *secret, size_t secret_cap,
                          char pin[OT_ENROLL_PIN_HEX + 1]);

#endif
