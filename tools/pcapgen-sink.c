/*
 * ot-pcapgen output: classic pcap writer with a streaming and a sorted mode.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otasuke/error.h"
#include "pcapgen-sink.h"

#define PCAP_MAGIC_US     0xa1b2c3d4u
#define PCAP_SNAPLEN      65535u
#define LINKTYPE_ETHERNET 1u
#define REC_HDR           16u

static void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p + 2, (uint16_t)(v >> 16));
}

static void flush_out(struct ot_pg_sink *sk)
{
    if (sk->out_len && !sk->err && fwrite(sk->out, 1, sk->out_len, sk->fp) != sk->out_len) {
        fprintf(stderr, "ot-pcapgen: writing %s: %s\n", sk->path, strerror(errno));
        sk->err = OT_EIO;
    }
    sk->out_len = 0;
}

/* Make room for N more bytes in the write buffer. */
static uint8_t *out_reserve(struct ot_pg_sink *sk, size_t n)
{
    if (sk->out_len + n > OT_PG_OUTBUF_SIZE)
        flush_out(sk);
    return sk->out + sk->out_len;
}

int ot_pg_sink_open(struct ot_pg_sink *sk, const char *path, bool sorted)
{
    memset(sk, 0, sizeof(*sk));
    sk->path = path;
    sk->sorted = sorted;
    sk->first_ts = UINT64_MAX;
    sk->out = malloc(OT_PG_OUTBUF_SIZE);
    if (!sk->out)
        return OT_ENOMEM;
    if (strcmp(path, "-") == 0) {
        sk->fp = stdout;
    } else {
        sk->fp = fopen(path, "wb");
        if (!sk->fp) {
            fprintf(stderr, "ot-pcapgen: cannot create %s: %s\n", path, strerror(errno));
            free(sk->out);
            sk->out = NULL;
            return OT_EIO;
        }
        /* Only a regular file is ours to remove on failure (never /dev/full, a FIFO...). */
        struct stat st;
        sk->remove_on_error = fstat(fileno(sk->fp), &st) == 0 && S_ISREG(st.st_mode);
    }
    uint8_t *h = out_reserve(sk, 24);
    le32(h, PCAP_MAGIC_US);
    le16(h + 4, 2);
    le16(h + 6, 4);
    le32(h + 8, 0);  /* thiszone */
    le32(h + 12, 0); /* sigfigs */
    le32(h + 16, PCAP_SNAPLEN);
    le32(h + 20, LINKTYPE_ETHERNET);
    sk->out_len += 24;
    return OT_OK;
}

void ot_pg_sink_fail(struct ot_pg_sink *sk, int err)
{
    if (!sk->err)
        sk->err = err;
}

/* Grow the sorted arena so that one more frame fits, within OT_PG_SORTED_MAX. */
static bool arena_room(struct ot_pg_sink *sk)
{
    if (sk->arena_len + OT_PG_FRAME_MAX <= sk->arena_cap)
        return true;
    size_t cap = sk->arena_cap ? sk->arena_cap * 2 : (1u << 20);
    if (cap > OT_PG_SORTED_MAX) {
        fprintf(stderr, "ot-pcapgen: scenario larger than %u MiB\n", OT_PG_SORTED_MAX >> 20);
        sk->err = OT_ELIMIT;
        return false;
    }
    uint8_t *p = realloc(sk->arena, cap);
    if (!p) {
        sk->err = OT_ENOMEM;
        return false;
    }
    sk->arena = p;
    sk->arena_cap = cap;
    return true;
}

uint8_t *ot_pg_sink_frame(struct ot_pg_sink *sk)
{
    sk->cur = sk->scratch;
    if (sk->err)
        return sk->cur;
    if (sk->sorted) {
        if (arena_room(sk))
            sk->cur = sk->arena + sk->arena_len;
    } else {
        sk->cur = out_reserve(sk, REC_HDR + OT_PG_FRAME_MAX) + REC_HDR;
    }
    return sk->cur;
}

static void put_record_header(uint8_t *h, uint64_t ts_us, size_t len)
{
    le32(h, (uint32_t)(ts_us / 1000000u));
    le32(h + 4, (uint32_t)(ts_us % 1000000u));
    le32(h + 8, (uint32_t)len);
    le32(h + 12, (uint32_t)len);
}

void ot_pg_sink_commit(struct ot_pg_sink *sk, uint64_t ts_us, size_t len)
{
    if (sk->err || sk->cur == sk->scratch || len > OT_PG_FRAME_MAX) {
        if (!sk->err && len > OT_PG_FRAME_MAX)
            sk->err = OT_ELIMIT;
        return;
    }
    sk->cur = sk->scratch;
    if (sk->sorted) {
        if (sk->nrecs == sk->recs_cap) {
            size_t cap = sk->recs_cap ? sk->recs_cap * 2 : 1024;
            struct ot_pg_rec *r = realloc(sk->recs, cap * sizeof(*r));
            if (!r) {
                sk->err = OT_ENOMEM;
                return;
            }
            sk->recs = r;
            sk->recs_cap = cap;
        }
        sk->recs[sk->nrecs] = (struct ot_pg_rec){
            .ts_us = ts_us, .seq = sk->nrecs, .off = sk->arena_len, .len = (uint32_t)len};
        sk->nrecs++;
        sk->arena_len += len;
    } else {
        put_record_header(sk->out + sk->out_len, ts_us, len);
        sk->out_len += REC_HDR + len;
    }
    sk->packets++;
    sk->bytes += len;
    if (ts_us < sk->first_ts)
        sk->first_ts = ts_us;
    if (ts_us > sk->last_ts)
        sk->last_ts = ts_us;
}

static int rec_cmp(const void *a, const void *b)
{
    const struct ot_pg_rec *x = a, *y = b;
    if (x->ts_us != y->ts_us)
        return x->ts_us < y->ts_us ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorted sink: write every kept frame in timestamp order (commit order on ties). */
static void write_sorted(struct ot_pg_sink *sk)
{
    if (sk->err || !sk->nrecs)
        return;
    qsort(sk->recs, sk->nrecs, sizeof(*sk->recs), rec_cmp);
    for (size_t i = 0; i < sk->nrecs && !sk->err; i++) {
        const struct ot_pg_rec *r = &sk->recs[i];
        uint8_t *o = out_reserve(sk, REC_HDR + r->len);
        put_record_header(o, r->ts_us, r->len);
        memcpy(o + REC_HDR, sk->arena + r->off, r->len);
        sk->out_len += REC_HDR + r->len;
    }
}

int ot_pg_sink_close(struct ot_pg_sink *sk)
{
    if (sk->sorted)
        write_sorted(sk);
    flush_out(sk);
    if (sk->fp) {
        int rc = sk->fp == stdout ? fflush(sk->fp) : fclose(sk->fp);
        if (rc != 0 && !sk->err) {
            fprintf(stderr, "ot-pcapgen: writing %s: %s\n", sk->path, strerror(errno));
            sk->err = OT_EIO;
        }
        sk->fp = NULL;
    }
    if (sk->err && sk->remove_on_error)
        unlink(sk->path);
    free(sk->out);
    free(sk->arena);
    free(sk->recs);
    sk->out = sk->arena = NULL;
    sk->recs = NULL;
    return sk->err;
}
