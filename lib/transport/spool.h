/*
 * Disk spool: the events a sensor (or agent) has produced and the server has
 * not yet acknowledged, in a folder of segment files.
 *
 * Layout of the folder (created 0700 when missing):
 *   NNNNNNNNNN.ndjson  segments, ten decimal digits, oldest = lowest number;
 *                      one event per line, every line ends with '\n'
 *   spool.state        read cursor (segment, offset) and drop counters,
 *                      replaced atomically (temp file, fsync, rename, fsync
 *                      of the folder) after each acknowledged batch
 *
 * Lines: ot_spool_append() takes one event WITHOUT its newline (a single
 * trailing '\n' is tolerated and removed); the spool adds it.  A line that
 * is empty or contains '\n' or NUL is refused (OT_EINVAL) and counted.
 *
 * Threads: one producer appends (the packet loop: a copy into a buffer, a
 * write(2) when the buffer is full, no fsync); one consumer (the sender
 * thread) reads batches, acknowledges them and calls ot_spool_sync_due()
 * at least every second.  ot_spool_stats() may be called from any thread.
 * Everything is behind one mutex held only for memory work and write(2).
 *
 * Bounds: the segments together never pass `max_bytes`: when an append would
 * pass it, the oldest segment is deleted and its unsent lines are counted in
 * `dropped` (persisted, and reported to the server in X-Otasuke-Dropped).
 *
 * Crashes: at open, a segment whose last line has no newline (torn write) is
 * cut back to its last complete line with a warning; a cursor inside a line
 * moves back to that line's start; lines past the persisted cursor are
 * read again (at-least-once; the server deduplicates by event_id).
 */
#ifndef OT_TRANSPORT_SPOOL_H
#define OT_TRANSPORT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OT_SPOOL_SEGMENT_MAX_DEFAULT (4u << 20)
#define OT_SPOOL_MAX_BYTES_DEFAULT   (256ull << 20)
#define OT_SPOOL_BUFFER_DEFAULT      (64u << 10)
#define OT_SPOOL_STATE_FILE          "spool.state"

struct ot_spool_config {
    const char *dir;           /* the spool folder (created 0700 if missing) */
    uint64_t max_bytes;        /* bound of all segments; 0 = default 256 MiB */
    uint32_t segment_max;      /* bytes per segment; 0 = default 4 MiB; at most max_bytes/4 */
    uint32_t buffer_bytes;     /* append buffer; 0 = default 64 KiB */
    uint32_t sync_interval_ms; /* ot_spool_sync_due() period; 0 = 1000 */
};

struct ot_spool_stats {
    uint64_t appended;  /* lines accepted by ot_spool_append() since open */
    uint64_t refused;   /* lines refused by ot_spool_append() (empty, newline, NUL, too big) */
    uint64_t read;      /* lines handed out in batches (retries count again) */
    uint64_t acked;     /* lines acknowledged (cursor moved past them) */
    uint64_t discarded; /* lines given up by ot_spool_discard() (too big, refused) */
    uint64_t dropped;   /* lines lost: oldest segments deleted at the bound, torn or
                           garbage lines, discarded lines (persisted, all time) */
    uint64_t dropped_unreported; /* part of `dropped` not yet reported to the server (persisted) */
    uint64_t torn;               /* torn or garbage lines skipped since open */
    uint64_t write_errors;       /* write(2)/fsync failures since open */
    uint64_t bytes_on_disk;      /* bytes in segment files (written, maybe not yet fsynced) */
    uint64_t bytes_buffered;     /* bytes in the append buffer */
    uint64_t pending_lines;      /* lines after the cursor (on disk or buffered) */
    uint32_t segments;           /* segment files */
};

/*
 * A batch: complete lines read from one segment, each ending with '\n'.
 * The spool fills it, the caller owns the struct and releases `body` with
 * ot_spool_batch_free().  `lines` counts the lines in `body`; `skipped`
 * counts lines between start and end that were left out (garbage) and will
 * be counted as dropped when the batch is acknowledged.
 */
struct ot_spool_batch {
    char *body;
    size_t len;
    size_t cap;
    uint32_t lines;
    uint32_t skipped;
    uint64_t segment;        /* segment number */
    uint64_t start;          /* offset of the first line in the segment */
    uint64_t end;            /* offset just past the last line */
    uint64_t dropped_report; /* dropped_unreported when the batch was read */
    uint64_t generation;     /* the cursor generation the batch was read at */
};

/* The persisted part of the spool (spool.state), also used by the fuzz target. */
struct ot_spool_state {
    uint64_t segment;
    uint64_t offset;
    uint64_t dropped;
    uint64_t dropped_unreported;
};

struct ot_spool;

/*
 * Open (or create) the spool in cfg->dir: repairs torn segments, loads the
 * cursor, starts a new segment for appends.  *out is owned by the caller
 * and released with ot_spool_close().  Returns 0 or a negative ot_err.
 */
int ot_spool_open(const struct ot_spool_config *cfg, struct ot_spool **out /* OUT */);

/*
 * Write the buffer, fsync the segment, persist the state, close every file
 * and free the spool.  Returns the first error seen while doing so.
 */
int ot_spool_close(struct ot_spool *sp);

/*
 * Append one line (see above for what a line may be).  Cheap: a memcpy, and
 * a write(2) when the buffer fills.  OT_EINVAL for a bad line, OT_ELIMIT for
 * a line longer than a segment, OT_EIO when the disk refused (the line is
 * then dropped and counted).
 */
int ot_spool_append(struct ot_spool *sp, const char *line, size_t len);

/* Write the buffer and fsync the current segment now. */
int ot_spool_flush(struct ot_spool *sp);

/* ot_spool_flush() when sync_interval_ms has passed since the last one. */
int ot_spool_sync_due(struct ot_spool *sp);

/*
 * Read the next batch at the cursor: at most max_lines lines and max_bytes
 * bytes (newlines included).  Returns 0 with b->lines > 0, OT_ENOENT when
 * nothing is pending, or a negative error.  A single line longer than
 * max_bytes is skipped with a warning and counted as dropped.  The cursor
 * moves only with ot_spool_ack() or ot_spool_discard().
 */
int ot_spool_read(struct ot_spool *sp, struct ot_spool_batch *b, uint32_t max_lines,
                  size_t max_bytes);

/*
 * The server took the batch: move the cursor past it, subtract
 * b->dropped_report from the unreported drops, and persist the state
 * atomically.  A batch whose segment was deleted meanwhile (the bound) only
 * corrects the counters.  Returns 0 or OT_EIO when the state could not be
 * persisted (the lines will be sent again after a restart).
 */
int ot_spool_ack(struct ot_spool *sp, const struct ot_spool_batch *b);

/*
 * Give up the batch's lines (a single line the server will never take):
 * move the cursor past it and count its lines as dropped.
 */
int ot_spool_discard(struct ot_spool *sp, const struct ot_spool_batch *b);

void ot_spool_stats(struct ot_spool *sp, struct ot_spool_stats *out /* OUT */);

/* True when lines are waiting after the cursor. */
bool ot_spool_pending(struct ot_spool *sp);

void ot_spool_batch_free(struct ot_spool_batch *b);

/*
 * Parse the text of spool.state (bytes, not NUL-terminated).  On a bad line
 * returns OT_EINVAL and sets *bad_line to its number (1-based).
 */
int ot_spool_state_parse(const char *text, size_t len, struct ot_spool_state *st /* OUT */,
                         uint32_t *bad_line /* OUT */);

/* Render the state as text into buf (cap >= 160 is always enough); returns the length. */
size_t ot_spool_state_format(const struct ot_spool_state *st, char *buf, size_t cap);

/*
 * Check a segment's bytes: the number of complete lines and the length of
 * the complete part (the part up to and with the last '\n').  A tail after
 * it is a torn line.
 */
void ot_spool_scan(const char *data, size_t len, uint64_t *lines /* OUT */,
                   size_t *complete /* OUT */);

#endif
