/*
 * Observations: what the application parsers tell the detection stage.
 *
 * A parser that learns something a detector may care about (a DNS name, a
 * TLS SNI, an HTTP request, a login attempt) fills a struct ot_obs and calls
 * ot_proto_observe() (proto.h).  The observation lives on the parser's stack:
 * every pointer in it is valid only during the call, and strings are not
 * NUL-terminated (each comes with its length).  Parsers observe whether or
 * not they write events, so detection works with metadata events switched
 * off.
 */
#ifndef OT_SENSOR_DETECT_OBSERVE_H
#define OT_SENSOR_DETECT_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

enum ot_obs_kind {
    OT_OBS_DNS_QUERY = 0, /* a DNS question (one per question) */
    OT_OBS_DNS_ANSWER,    /* a DNS response: question, rcode, answer records */
    OT_OBS_TLS,           /* a TLS handshake: ClientHello SNI, JA3, JA4; server certificate */
    OT_OBS_HTTP,          /* one HTTP transaction (request, and response when seen) */
    OT_OBS_LOGIN,         /* a login attempt ended (FTP, Telnet, POP3, IMAP, SMTP, HTTP Basic) */
    OT_OBS_SSH,           /* SSH software banner of one side */
    OT_OBS_DHCP,          /* a DHCP message from or for a client */
    OT_OBS_TLS_CLIENT_CERT, /* a TLS client's certificate (u.tls: cert_subject, cert_issuer) */
    OT_OBS__COUNT
};

/* A string that is not NUL-terminated; len 0 = absent. */
struct ot_str {
    const char *s;
    size_t len;
};

#define OT_OBS_DNS_MAX_ANSWERS 16

struct ot_obs_dns_rr {
    uint16_t rtype;       /* 1 A, 28 AAAA, 5 CNAME, 16 TXT, ... */
    struct ot_addr addr;  /* A / AAAA */
    struct ot_str name;   /* CNAME / NS / PTR / MX target */
    uint32_t data_len;    /* rdata bytes (TXT size for tunnels) */
};

struct ot_obs_dns {
    struct ot_str qname;  /* dotted, without the final dot */
    uint16_t qtype;
    uint8_t rcode;        /* answers only */
    uint16_t n_answers;   /* records in the answer section (may exceed `rrs`) */
    uint16_t n_rrs;       /* records given in rrs[] */
    const struct ot_obs_dns_rr *rrs;
};

struct ot_obs_tls {
    struct ot_str sni;
    struct ot_str ja3;    /* md5 hex */
    struct ot_str ja4;
    struct ot_str ja3s;
    struct ot_str cert_sha1;   /* server certificate (TLS <= 1.2): hex, lowercase, no colons */
    struct ot_str cert_subject; /* its subject and issuer as the tls event writes them */
    struct ot_str cert_issuer;  /* ("CN=AnyDesk Client"); absent when it did not decode */
};

struct ot_obs_http {
    struct ot_str method;
    struct ot_str host;
    struct ot_str uri;        /* request target as sent */
    struct ot_str user_agent;
    uint16_t status;          /* 0: no response seen */
    bool basic_auth;          /* Authorization: Basic */
};

enum ot_obs_login_result { OT_OBS_LOGIN_UNKNOWN = 0, OT_OBS_LOGIN_SUCCESS, OT_OBS_LOGIN_FAILURE };

struct ot_obs_login {
    const char *proto;        /* "ftp", "telnet", "pop3", "imap", "smtp", "http" (NUL-terminated) */
    struct ot_str user;
    bool password_in_clear;
    enum ot_obs_login_result result;
};

struct ot_obs_ssh {
    struct ot_str software;   /* "OpenSSH_8.9p1" */
    bool server;              /* the banner came from the server */
};

struct ot_obs_dhcp {
    const uint8_t *client_mac;   /* 6 bytes, or NULL */
    struct ot_str hostname;
    struct ot_str vendor_class;
    const struct ot_addr *assigned; /* IPv4, or NULL */
    uint8_t msg_type;             /* DHCP message type (1 discover ... 8 inform) */
};

struct ot_obs {
    enum ot_obs_kind kind;
    int dir;          /* direction of the data that carried it: 0 client → server */
    uint64_t ts_us;
    union {
        struct ot_obs_dns dns;
        struct ot_obs_tls tls;
        struct ot_obs_http http;
        struct ot_obs_login login;
        struct ot_obs_ssh ssh;
        struct ot_obs_dhcp dhcp;
    } u;
};

struct ot_flow;

/* Where observations go (the sensor sets one up; NULL = nobody listens). */
struct ot_obs_sink {
    void *ctx;
    void (*observe)(void *ctx, const struct ot_flow *f, const struct ot_obs *o);
};

static inline struct ot_str ot_str_make(const char *s, size_t len)
{
    struct ot_str r = {s, len};
    return r;
}

#endif
