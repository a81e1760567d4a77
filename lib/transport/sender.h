/*
 * Sender: delivers the spool's events to the server (POST /api/v1/events,
 * see docs/server/design.md "Sender") on its own thread.
 *
 * The producing thread calls ot_sender_submit() (an ot_spool_append(): no
 * network, no fsync).  The sender thread reads batches from the spool,
 * gzips them, POSTs them with the device credential over HTTPS (peer and
 * host verified against cfg.ca_file) and moves the spool's cursor when the
 * server answered 200.  It also fsyncs the spool at least every
 * sync_interval_ms.
 *
 * Answers: 200 → acknowledged (rejected lines logged and counted, never
 * resent); 429 → wait Retry-After; 5xx, network errors, timeouts and other
 * answers → exponential backoff (base doubling to cap, full jitter); 401
 * and 403 → stop sending, saying so (events stay spooled); 413 → halve the
 * batch, a single line too large is dropped and counted; 400 → halve, a
 * single line the server calls malformed is dropped and counted.
 *
 * libcurl: ot_sender_new() loads it (transport/curl-dl.h) and calls
 * curl_global_init() once per process (pthread_once); a program that uses
 * curl elsewhere may call it first.
 *
 * Ownership: the sender copies the strings of its configuration; the caller
 * owns the config struct.  ot_sender_free() releases everything.
 */
#ifndef OT_TRANSPORT_SENDER_H
#define OT_TRANSPORT_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/spool.h"

struct ot_sender_config {
    const char *url;             /* server base URL, e.g. https://host:8443 */
    const char *credential;      /* device credential (otd_…) */
    const char *ca_file;         /* PEM CA to verify the server; NULL = the system's */
    const char *spool_dir;       /* spool folder */
    uint64_t spool_max_bytes;    /* 0 = 256 MiB */
    uint32_t segment_max;        /* 0 = 4 MiB */
    uint32_t batch_max_lines;    /* 0 = 1000 */
    uint32_t batch_max_bytes;    /* uncompressed, 0 = 1 MiB */
    uint32_t connect_timeout_ms; /* 0 = 10 s */
    uint32_t request_timeout_ms; /* 0 = 60 s */
    uint32_t backoff_base_ms;    /* 0 = 500 ms */
    uint32_t backoff_cap_ms;     /* 0 = 60 s */
    uint32_t retry_after_max_ms; /* longest Retry-After obeyed; 0 = 10 min */
    uint32_t poll_ms;            /* look for new events this often when idle; 0 = 1 s */
    uint32_t sync_interval_ms;   /* fsync the spool this often; 0 = 1 s */
};

enum ot_sender_state {
    OT_SENDER_IDLE = 0, /* nothing to send, or not started */
    OT_SENDER_SENDING,  /* a request is in flight */
    OT_SENDER_BACKOFF,  /* waiting after a failure or a 429 */
    OT_SENDER_REFUSED,  /* the server refused the credential: not sending */
    OT_SENDER_STOPPED,  /* ot_sender_stop() returned */
};

struct ot_sender_stats {
    struct ot_spool_stats spool;
    uint64_t requests;          /* POSTs attempted */
    uint64_t lines_sent;        /* lines in those POSTs (a retried line counts again) */
    uint64_t bytes_sent;        /* compressed bytes in those POSTs */
    uint64_t batches_acked;     /* 200 answers */
    uint64_t accepted;          /* lines the server stored */
    uint64_t duplicates;        /* lines the server already had */
    uint64_t rejected;          /* lines the server refused (not resent) */
    uint64_t dropped_too_large; /* single lines dropped after 413 or 400 */
    uint64_t throttled;         /* 429 answers */
    uint64_t server_errors;     /* 5xx and other unexpected answers */
    uint64_t network_errors;    /* connection failures, timeouts, TLS errors */
    uint64_t ack_errors;        /* acknowledged batches whose cursor could not be persisted */
    uint32_t last_status;       /* HTTP status of the last answer, 0 = none */
    uint32_t last_delay_ms;     /* the last backoff or Retry-After wait */
    enum ot_sender_state state;
};

struct ot_sender;

/* Fill `cfg` with zeros (= the defaults) and the given strings. */
void ot_sender_config_init(struct ot_sender_config *cfg, const char *url, const char *credential,
                           const char *ca_file, const char *spool_dir);

/*
 * Open the spool and prepare the HTTP client; does not start the thread
 * (events may be submitted before ot_sender_start()).  0 or a negative
 * ot_err; *out is released with ot_sender_free().
 */
int ot_sender_new(const struct ot_sender_config *cfg, struct ot_sender **out /* OUT */);

/* Start the sender thread. */
int ot_sender_start(struct ot_sender *s);

/* Spool one event line (see ot_spool_append()).  Any thread, but one producer. */
int ot_sender_submit(struct ot_sender *s, const char *line, size_t len);

/* fsync the spool now and wake the thread to send what is pending. */
int ot_sender_flush(struct ot_sender *s);

void ot_sender_stats(struct ot_sender *s, struct ot_sender_stats *out /* OUT */);

/*
 * Stop the thread: it keeps delivering what is spooled for up to
 * drain_timeout_ms (0 = stop at once; an in-flight request is abandoned and
 * will be resent later), then the spool is fsynced, the cursor persisted and
 * the thread joined.  Safe to call when not started or twice.
 */
int ot_sender_stop(struct ot_sender *s, uint32_t drain_timeout_ms);

/* Stop (without draining) if needed, close the spool and free. */
void ot_sender_free(struct ot_sender *s);

#endif
