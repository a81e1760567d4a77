/*
 * Request limits of the HTTP API: a per-device token-bucket rate limiter and
 * a gzip inflater with a bound on the inflated size.  Both are pure (the
 * caller passes the clock), so they are unit-tested without a server.
 */
#ifndef OT_SERVER_API_LIMITS_H
#define OT_SERVER_API_LIMITS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Token buckets keyed by device id, in a fixed table (slots, a power of
 * two, chosen at creation).  A device whose probe window is full takes the
 * least recently used slot of the window (counted in `evicted`); it starts
 * with a full bucket, so eviction can only make the limit more lenient,
 * never refuse a well-behaved device.  Thread-safe (one mutex).
 */
struct ot_rate_slot {
    int64_t key; /* 0 = free */
    double tokens;
    int64_t last_us; /* last refill */
};
struct ot_rate {
    pthread_mutex_t lock;
    struct ot_rate_slot *slot;
    size_t nslots;
    double rate;  /* tokens per second */
    double burst; /* bucket size */
    uint64_t evicted;
    uint64_t refused;
};
/* rate <= 0 disables the limiter (every request passes). */
int ot_rate_init(struct ot_rate *r, size_t slots, double rate, double burst);
void ot_rate_free(struct ot_rate *r);
/* Changes rate and burst (SIGHUP); buckets keep their tokens, capped at the new burst. */
void ot_rate_set(struct ot_rate *r, double rate, double burst);
/*
 * Takes one token for key at now_us.  true: allowed.  false: refused, and
 * *retry_after_s says how many whole seconds until a token is there (>= 1).
 */
bool ot_rate_take(struct ot_rate *r, int64_t key, int64_t now_us, unsigned *retry_after_s);

/* Results of ot_inflate_gzip besides 0 / OT_ENOMEM. */
#define OT_INFLATE_TOO_BIG OT_ELIMIT /* more than max bytes out: 413 */
#define OT_INFLATE_BAD     OT_EINVAL /* not gzip, corrupt, or truncated: 400 */

/*
 * Inflates a gzip body (one or more concatenated members) into a new
 * malloc'd buffer (*out, caller frees; NUL-terminated, *outlen without it).
 * Stops as soon as the output would pass max.  A stream that ends before
 * its gzip trailer is OT_INFLATE_BAD.  why (may be NULL) gets a short
 * reason for the client.
 */
int ot_inflate_gzip(const void *in, size_t inlen, size_t max, char **out /* OUT */,
                    size_t *outlen /* OUT */, const char **why /* OUT */);

#endif
