/*
 * Per-device rate limiting and bounded gzip inflation (see limits.h).
 */
#include "api/limits.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "otasuke/error.h"

#define PROBE 8

/* Sets up an empty table of `slots` buckets (rounded up to a power of two, at least PROBE). */
int ot_rate_init(struct ot_rate *r, size_t slots, double rate, double burst)
{
    memset(r, 0, sizeof(*r));
    size_t n = PROBE;
    while (n < slots && n < ((size_t)1 << 24))
        n <<= 1;
    r->slot = calloc(n, sizeof(*r->slot));
    if (!r->slot)
        return OT_ENOMEM;
    r->nslots = n;
    r->rate = rate;
    r->burst = burst < 1 ? 1 : burst;
    pthread_mutex_init(&r->lock, NULL);
    return 0;
}

/* Releases the table; r may be zeroed (never initialised). */
void ot_rate_free(struct ot_rate *r)
{
    if (!r->slot)
        return;
    free(r->slot);
    r->slot = NULL;
    pthread_mutex_destroy(&r->lock);
}

void ot_rate_set(struct ot_rate *r, double rate, double burst)
{
    pthread_mutex_lock(&r->lock);
    r->rate = rate;
    r->burst = burst < 1 ? 1 : burst;
    for (size_t i = 0; i < r->nslots; i++)
        if (r->slot[i].tokens > r->burst)
            r->slot[i].tokens = r->burst;
    pthread_mutex_unlock(&r->lock);
}

static size_t hash_key(int64_t key)
{
    uint64_t x = (uint64_t)key;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

/* Finds key's slot in its probe window, else a free or the least recently used one. */
static struct ot_rate_slot *find_slot(struct ot_rate *r, int64_t key)
{
    size_t mask = r->nslots - 1, h = hash_key(key);
    struct ot_rate_slot *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        struct ot_rate_slot *s = &r->slot[(h + i) & mask];
        if (s->key == key)
            return s;
        if (s->key == 0) {
            if (!victim || victim->key != 0)
                victim = s;
        } else if (!victim || (victim->key != 0 && s->last_us < victim->last_us)) {
            victim = s;
        }
    }
    if (victim->key != 0)
        r->evicted++;
    victim->key = key;
    victim->tokens = r->burst;
    victim->last_us = INT64_MIN;
    return victim;
}

/* See limits.h. */
bool ot_rate_take(struct ot_rate *r, int64_t key, int64_t now_us, unsigned *retry_after_s)
{
    if (r->rate <= 0 || !r->slot)
        return true;
    if (key == 0)
        key = INT64_MIN; /* 0 marks a free slot */
    pthread_mutex_lock(&r->lock);
    struct ot_rate_slot *s = find_slot(r, key);
    if (s->last_us != INT64_MIN && now_us > s->last_us) {
        s->tokens += (double)(now_us - s->last_us) / 1e6 * r->rate;
        if (s->tokens > r->burst)
            s->tokens = r->burst;
    }
    if (s->last_us == INT64_MIN || now_us > s->last_us)
        s->last_us = now_us;
    bool ok = s->tokens >= 1.0;
    if (ok) {
        s->tokens -= 1.0;
    } else {
        r->refused++;
        double wait = (1.0 - s->tokens) / r->rate;
        unsigned w = (unsigned)wait;
        if ((double)w < wait)
            w++;
        *retry_after_s = w < 1 ? 1 : w;
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

/* See limits.h. */
int ot_inflate_gzip(const void *in, size_t inlen, size_t max, char **out, size_t *outlen,
                    const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *out = NULL;
    *outlen = 0;
    if (inlen < 2 || ((const unsigned char *)in)[0] != 0x1f ||
        ((const unsigned char *)in)[1] != 0x8b) {
        *why = "body is not gzip";
        return OT_INFLATE_BAD;
    }
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return OT_ENOMEM;
    size_t cap = inlen * 4 + 1024, len = 0;
    if (cap > max + 1)
        cap = max + 1;
    char *buf = malloc(cap + 1);
    int rc = OT_ENOMEM;
    if (!buf)
        goto out_end;
    z.next_in = (Bytef *)(uintptr_t)in;
    const unsigned char *inp = in;
    size_t consumed = 0;
    for (;;) {
        size_t chunk_in = inlen - consumed;
        if (chunk_in > UINT32_MAX)
            chunk_in = UINT32_MAX;
        z.next_in = (Bytef *)(uintptr_t)(inp + consumed);
        z.avail_in = (uInt)chunk_in;
        if (len == cap) {
            if (cap > max) {
                *why = "inflated body too large";
                rc = OT_INFLATE_TOO_BIG;
                goto out_free;
            }
            size_t nc = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, nc + 1);
            if (!nb)
                goto out_free;
            buf = nb;
            cap = nc;
        }
        size_t room = cap - len;
        if (room > UINT32_MAX)
            room = UINT32_MAX;
        z.next_out = (Bytef *)buf + len;
        z.avail_out = (uInt)room;
        int zr = inflate(&z, Z_NO_FLUSH);
        len += room - z.avail_out;
        consumed += chunk_in - z.avail_in;
        if (len > max) {
            *why = "inflated body too large";
            rc = OT_INFLATE_TOO_BIG;
            goto out_free;
        }
        if (zr == Z_STREAM_END) {
            /* another member may follow (concatenated gzip) */
            if (consumed == inlen)
                break;
            if (inflateReset(&z) != Z_OK) {
                *why = "corrupt gzip body";
                rc = OT_INFLATE_BAD;
                goto out_free;
            }
            continue;
        }
        if (zr == Z_MEM_ERROR)
            goto out_free;
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            *why = "corrupt gzip body";
            rc = OT_INFLATE_BAD;
            goto out_free;
        }
        if (zr == Z_BUF_ERROR && consumed == inlen && z.avail_out > 0) {
            *why = "truncated gzip body";
            rc = OT_INFLATE_BAD;
            goto out_free;
        }
        if (consumed == inlen && z.avail_out > 0) {
            /* all input used, output room left, no stream end: truncated */
            *why = "truncated gzip body";
            rc = OT_INFLATE_BAD;
            goto out_free;
        }
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    rc = 0;
    goto out_end;

out_free:
    free(buf);
out_end:
    inflateEnd(&z);
    return rc;
}
