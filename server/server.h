/*
 * otasuke-server: configuration, the data folder and the running server
 * (docs/server/operations.md).  The configuration is one struct, filled from
 * defaults, then the -c file, then the command line (which wins), and passed
 * down; nothing is global.
 *
 * Ownership: struct ot_server owns the store, the triage engine, the PKI
 * material and the API; ot_server_close() stops the API gracefully and frees
 * them all.
 */
#ifndef OT_SERVER_SERVER_H
#define OT_SERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "api/api.h"
#include "pki/pki.h"

#define OT_SERVER_PATH_MAX 1024

struct ot_server_conf {
    char data[OT_SERVER_PATH_MAX];  /* data folder */
    char store[OT_SERVER_PATH_MAX]; /* store URL; "" = sqlite:<data>/otasuke.db */
    char sans[OT_PKI_MAX_SANS][254];
    size_t nsans;
    unsigned store_pool; /* 0 = threads + 2 */
    char log_level[16];
    char home_nets[512]; /* triage: "" = RFC 1918 + ULA */
    int64_t window_s;    /* triage grouping window */
    struct ot_api_conf api;
};

void ot_server_conf_defaults(struct ot_server_conf *c);
/* Sets one key (same names in the file and for the options).  err: the reason, for FILE:LINE. */
int ot_server_conf_set(struct ot_server_conf *c, const char *key, const char *value, char *err,
                       size_t errlen);
/* Reads "key = value" lines; err gets "FILE:LINE: reason" on the first bad line. */
int ot_server_conf_load(struct ot_server_conf *c, const char *path, char *err, size_t errlen);
/* Checks what the setters cannot check alone (listen address form). */
int ot_server_conf_check(const struct ot_server_conf *c, char *err, size_t errlen);
/* Prints every key with the value in force (for -T). */
void ot_server_conf_print(const struct ot_server_conf *c, FILE *f);
/* The store URL in force (c->store, or the SQLite file in the data folder). */
void ot_server_store_url(const struct ot_server_conf *c, char *out, size_t len);

struct ot_server;
/*
 * Creates the data folder (0700) when needed, the CA and server
 * certificate, opens the store, makes the admin key on first start, and
 * starts listening.  Prints where things are on first start (to out).
 */
int ot_server_open(const struct ot_server_conf *c, FILE *out, struct ot_server **s /* OUT */,
                   char *err, size_t errlen);
/* Applies what can change while running (limits, rates, log level); logs what needs a restart. */
void ot_server_reload(struct ot_server *s, const struct ot_server_conf *c);
/* Graceful stop: requests in flight are answered, then everything is freed. */
void ot_server_close(struct ot_server *s);
/* The bound port (useful with --listen ADDR:0). */
uint16_t ot_server_port(const struct ot_server *s);

#endif
