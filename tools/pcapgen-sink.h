/*
 * ot-pcapgen output: a classic pcap file (LINKTYPE_ETHERNET, microsecond
 * timestamps, little-endian headers whatever the host).
 *
 * Frames are built in place: ot_pg_sink_frame() hands out room for one frame
 * and ot_pg_sink_commit() records it.  A streaming sink writes frames in the
 * order they are committed through one large buffer (the benchmark capture);
 * a sorted sink keeps them in memory and writes them in timestamp order on
 * close, so a scenario can be written one conversation at a time (the demo).
 *
 * Errors are sticky, like ferror(): after the first failure every call is a
 * no-op and ot_pg_sink_close() returns the error (and removes the partial
 * file if it is a regular file).  The sink owns its buffers; ot_pg_sink_close() frees them.
 */
#ifndef OT_TOOLS_PCAPGEN_SINK_H
#define OT_TOOLS_PCAPGEN_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OT_PG_FRAME_MAX   1536u        /* room for 1514-byte frames plus a VLAN tag */
#define OT_PG_SORTED_MAX  (256u << 20) /* memory bound of a sorted sink (frames) */
#define OT_PG_OUTBUF_SIZE (8u << 20)   /* write buffer */

struct ot_pg_rec {
    uint64_t ts_us;
    uint64_t seq; /* commit order: ties keep it */
    size_t off;   /* into the arena */
    uint32_t len;
};

struct ot_pg_sink {
    FILE *fp;
    const char *path;     /* "-" is standard output */
    bool remove_on_error; /* PATH is a regular file this sink created */
    uint8_t *out;         /* write buffer */
    size_t out_len;
    bool sorted;
    uint8_t *arena; /* sorted: frames back to back */
    size_t arena_len, arena_cap;
    struct ot_pg_rec *recs;
    size_t nrecs, recs_cap;
    uint8_t scratch[OT_PG_FRAME_MAX]; /* handed out after an error */
    uint8_t *cur;                     /* frame handed out and not yet committed */
    uint64_t packets;                 /* frames committed */
    uint64_t bytes;                   /* bytes of those frames */
    uint64_t first_ts, last_ts;       /* smallest and largest timestamp seen */
    int err;                          /* first error (OT_E*), sticky */
};

/* Create PATH ("-": standard output) and write the file header. */
int ot_pg_sink_open(struct ot_pg_sink *sk, const char *path, bool sorted);

/* Room for one frame of up to OT_PG_FRAME_MAX bytes, valid until the next call. */
uint8_t *ot_pg_sink_frame(struct ot_pg_sink *sk);

/* Record the frame last handed out: LEN bytes captured at TS_US (since the epoch). */
void ot_pg_sink_commit(struct ot_pg_sink *sk, uint64_t ts_us, size_t len);

/* Record an error if none is recorded yet (a builder ran out of room...). */
void ot_pg_sink_fail(struct ot_pg_sink *sk, int err);

/* Write what is pending, close, free.  Returns the first error; on error the file is removed. */
int ot_pg_sink_close(struct ot_pg_sink *sk);

#endif
