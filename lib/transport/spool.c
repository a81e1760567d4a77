/*
 * Disk spool (see spool.h for the contract).
 *
 * In memory: the list of segments (number, bytes, complete lines), the
 * append buffer, the cursor (segment, offset, lines before the offset in
 * that segment) and the counters.  The last segment of the list is the one
 * being appended to.  The cursor's segment is always the oldest one: fully
 * acknowledged segments are deleted as the cursor leaves them.
 *
 * `generation` changes whenever the cursor jumps because its segment was
 * deleted at the bound; a batch read before the jump is then stale: its
 * acknowledgement only corrects the drop counters (its lines did arrive).
 */
#include "transport/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "transport/fsutil.h"

#define SEG_DIGITS   10
#define SEG_SUFFIX   ".ndjson"
#define UNSYNCED_MAX 4
#define SCAN_CHUNK   (64u << 10)
#define STATE_MAX    4096

struct segment {
    uint64_t seq;
    uint64_t bytes; /* bytes in the file */
    uint64_t lines; /* complete lines in the file */
};

struct ot_spool {
    pthread_mutex_t mu;
    pthread_mutex_t persist_mu; /* orders writers of spool.state; taken before mu */
    char *dir;
    uint64_t max_bytes;
    uint32_t seg_max;
    uint32_t sync_ms;

    struct segment *segs; /* sorted by seq; the last is the append segment */
    size_t nsegs, segcap;
    uint64_t seg_bytes;         /* sum of segs[].bytes */
    int wfd;                    /* the append segment, O_APPEND */
    int unsynced[UNSYNCED_MAX]; /* rotated segments not yet fsynced */
    unsigned nunsynced;

    char *buf;
    size_t buflen, bufcap;
    uint64_t buf_lines;

    uint64_t cur_seq, cur_off, cur_line;
    uint64_t generation;
    uint64_t dropped, unreported;
    bool state_dirty;
    uint64_t last_sync_ms;

    struct ot_spool_stats st;
};

/* Milliseconds on the monotonic clock. */
static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void seg_path(const struct ot_spool *sp, uint64_t seq, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%0*llu" SEG_SUFFIX, sp->dir, SEG_DIGITS, (unsigned long long)seq);
}

/* Does `name` look like a segment file?  Its number into *seq. */
static bool seg_name(const char *name, uint64_t *seq)
{
    if (strlen(name) != SEG_DIGITS + strlen(SEG_SUFFIX) ||
        strcmp(name + SEG_DIGITS, SEG_SUFFIX) != 0)
        return false;
    char digits[SEG_DIGITS + 1];
    memcpy(digits, name, SEG_DIGITS);
    digits[SEG_DIGITS] = '\0';
    for (unsigned i = 0; i < SEG_DIGITS; i++)
        if (digits[i] < '0' || digits[i] > '9')
            return false;
    return ot_parse_u64(digits, 0, UINT64_MAX, seq) == OT_OK;
}

/*
 * Move the append buffer into the append segment (caller holds mu).  On a
 * write error the buffer is kept: a later flush tries again.  A short write
 * followed by an error may leave a torn line in the file; it is cut at the
 * next open, like a crash.
 */
static int flush_locked(struct ot_spool *sp)
{
    if (sp->buflen == 0)
        return OT_OK;
    if (sp->wfd < 0 || ot_write_all(sp->wfd, sp->buf, sp->buflen) != OT_OK) {
        sp->st.write_errors++;
        return OT_EIO;
    }
    struct segment *cur = &sp->segs[sp->nsegs - 1];
    cur->bytes += sp->buflen;
    cur->lines += sp->buf_lines;
    sp->seg_bytes += sp->buflen;
    sp->buflen = 0;
    sp->buf_lines = 0;
    return OT_OK;
}

static int seg_push(struct ot_spool *sp, uint64_t seq, uint64_t bytes, uint64_t lines)
{
    if (sp->nsegs == sp->segcap) {
        size_t ncap = sp->segcap ? sp->segcap * 2 : 16;
        struct segment *n = realloc(sp->segs, ncap * sizeof(*n));
        if (!n)
            return OT_ENOMEM;
        sp->segs = n;
        sp->segcap = ncap;
    }
    sp->segs[sp->nsegs++] = (struct segment){.seq = seq, .bytes = bytes, .lines = lines};
    sp->seg_bytes += bytes;
    return OT_OK;
}

/* Remove segs[0] from the list and its file from the folder (caller holds mu). */
static void seg_remove_first(struct ot_spool *sp)
{
    char path[PATH_MAX];
    seg_path(sp, sp->segs[0].seq, path, sizeof(path));
    if (unlink(path) != 0 && errno != ENOENT)
        ot_warn("%s: cannot delete: %s", path, strerror(errno));
    sp->seg_bytes -= sp->segs[0].bytes;
    memmove(sp->segs, sp->segs + 1, (sp->nsegs - 1) * sizeof(*sp->segs));
    sp->nsegs--;
    sp->state_dirty = true;
}

/* Create segment `seq` and make it the append segment (caller holds mu). */
static int seg_create(struct ot_spool *sp, uint64_t seq)
{
    char path[PATH_MAX];
    seg_path(sp, seq, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        ot_err("%s: cannot create: %s", path, strerror(errno));
        return OT_EIO;
    }
    int rc = seg_push(sp, seq, 0, 0);
    if (rc != OT_OK) {
        close(fd);
        unlink(path);
        return rc;
    }
    sp->wfd = fd;
    return OT_OK;
}

/*
 * Start a new append segment: the old one's buffer is written and its fd
 * parked for the sender's next fsync (at most UNSYNCED_MAX parked; beyond
 * that the oldest is fsynced here, which only happens above ~16 MiB/s).
 */
static int rotate_locked(struct ot_spool *sp)
{
    int rc = flush_locked(sp);
    if (rc != OT_OK)
        return rc;
    if (sp->nunsynced == UNSYNCED_MAX) {
        if (fdatasync(sp->unsynced[0]) != 0)
            sp->st.write_errors++;
        close(sp->unsynced[0]);
        memmove(sp->unsynced, sp->unsynced + 1, (UNSYNCED_MAX - 1) * sizeof(int));
        sp->nunsynced--;
    }
    sp->unsynced[sp->nunsynced++] = sp->wfd;
    sp->wfd = -1;
    return seg_create(sp, sp->segs[sp->nsegs - 1].seq + 1);
}

/*
 * Delete the oldest segment to make room (caller holds mu; never the append
 * segment).  Its lines after the cursor are lost and counted.
 */
static void drop_oldest_locked(struct ot_spool *sp)
{
    struct segment *old = &sp->segs[0];
    uint64_t lost = 0;
    if (old->seq == sp->cur_seq) {
        lost = old->lines > sp->cur_line ? old->lines - sp->cur_line : 0;
        sp->cur_seq = sp->segs[1].seq;
        sp->cur_off = 0;
        sp->cur_line = 0;
        sp->generation++;
    }
    ot_warn("%s: spool full (%llu bytes): deleted segment %llu, %llu unsent events lost", sp->dir,
            (unsigned long long)sp->max_bytes, (unsigned long long)old->seq,
            (unsigned long long)lost);
    sp->dropped += lost;
    sp->unreported += lost;
    seg_remove_first(sp);
}

int ot_spool_append(struct ot_spool *sp, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len == 0 || memchr(line, '\n', len) || memchr(line, '\0', len)) {
        pthread_mutex_lock(&sp->mu);
        sp->st.refused++;
        pthread_mutex_unlock(&sp->mu);
        return OT_EINVAL;
    }
    int rc = OT_OK;
    pthread_mutex_lock(&sp->mu);
    if (len + 1 > sp->seg_max) {
        sp->st.refused++;
        rc = OT_ELIMIT;
        goto out_unlock;
    }
    struct segment *cur = &sp->segs[sp->nsegs - 1];
    if (cur->bytes + sp->buflen + len + 1 > sp->seg_max && cur->bytes + sp->buflen > 0) {
        rc = rotate_locked(sp);
        if (rc != OT_OK)
            goto out_drop;
    }
    while (sp->seg_bytes + sp->buflen + len + 1 > sp->max_bytes && sp->nsegs > 1)
        drop_oldest_locked(sp);
    if (sp->buflen + len + 1 > sp->bufcap) {
        rc = flush_locked(sp);
        if (rc != OT_OK)
            goto out_drop;
    }
    if (len + 1 > sp->bufcap) {
        /* Larger than the buffer: straight to the file, line and newline together. */
        char *tmp = malloc(len + 1);
        if (!tmp) {
            rc = OT_ENOMEM;
            goto out_drop;
        }
        memcpy(tmp, line, len);
        tmp[len] = '\n';
        rc = ot_write_all(sp->wfd, tmp, len + 1);
        free(tmp);
        if (rc != OT_OK) {
            sp->st.write_errors++;
            goto out_drop;
        }
        cur = &sp->segs[sp->nsegs - 1];
        cur->bytes += len + 1;
        cur->lines++;
        sp->seg_bytes += len + 1;
    } else {
        memcpy(sp->buf + sp->buflen, line, len);
        sp->buf[sp->buflen + len] = '\n';
        sp->buflen += len + 1;
        sp->buf_lines++;
    }
    sp->st.appended++;
    goto out_unlock;

out_drop:
    sp->dropped++;
    sp->unreported++;
    sp->state_dirty = true;
out_unlock:
    pthread_mutex_unlock(&sp->mu);
    return rc;
}

/* Fill `st` from the spool's persisted fields (caller holds mu). */
static void state_snapshot(struct ot_spool *sp, struct ot_spool_state *st)
{
    st->segment = sp->cur_seq;
    st->offset = sp->cur_off;
    st->dropped = sp->dropped;
    st->dropped_unreported = sp->unreported;
    sp->state_dirty = false;
}

/*
 * Write spool.state from the current fields (caller holds neither lock).
 * persist_mu orders the writers (the sender thread's acks, a producer's
 * explicit flush): the snapshot is taken under it, so a later file never
 * holds an older cursor.  only_if_dirty: skip when nothing changed.
 */
static int state_persist(struct ot_spool *sp, bool only_if_dirty)
{
    struct ot_spool_state st;
    int rc = OT_OK;
    pthread_mutex_lock(&sp->persist_mu);
    pthread_mutex_lock(&sp->mu);
    bool skip = only_if_dirty && !sp->state_dirty;
    if (!skip)
        state_snapshot(sp, &st);
    pthread_mutex_unlock(&sp->mu);
    if (skip)
        goto out_unlock;
    char text[256];
    size_t n = ot_spool_state_format(&st, text, sizeof(text));
    if (ot_file_replace(sp->dir, OT_SPOOL_STATE_FILE, text, n, 0600) != OT_OK) {
        ot_err("%s/%s: cannot save the spool cursor: %s", sp->dir, OT_SPOOL_STATE_FILE,
               strerror(errno));
        pthread_mutex_lock(&sp->mu);
        sp->st.write_errors++;
        sp->state_dirty = true;
        pthread_mutex_unlock(&sp->mu);
        rc = OT_EIO;
    }
out_unlock:
    pthread_mutex_unlock(&sp->persist_mu);
    return rc;
}

int ot_spool_flush(struct ot_spool *sp)
{
    int fds[UNSYNCED_MAX + 1];
    unsigned nfds = 0;

    pthread_mutex_lock(&sp->mu);
    int rc = flush_locked(sp);
    /* fsync outside the lock: dup the append fd, take the parked ones. */
    if (sp->wfd >= 0) {
        int d = dup(sp->wfd);
        if (d >= 0)
            fds[nfds++] = d;
        else
            rc = OT_EIO;
    }
    for (unsigned i = 0; i < sp->nunsynced; i++)
        fds[nfds++] = sp->unsynced[i];
    sp->nunsynced = 0;
    sp->last_sync_ms = now_ms();
    pthread_mutex_unlock(&sp->mu);

    for (unsigned i = 0; i < nfds; i++) {
        if (fdatasync(fds[i]) != 0) {
            rc = OT_EIO;
            pthread_mutex_lock(&sp->mu);
            sp->st.write_errors++;
            pthread_mutex_unlock(&sp->mu);
        }
        close(fds[i]);
    }
    if (state_persist(sp, true) != OT_OK)
        rc = OT_EIO;
    return rc;
}

int ot_spool_sync_due(struct ot_spool *sp)
{
    pthread_mutex_lock(&sp->mu);
    bool due = now_ms() - sp->last_sync_ms >= sp->sync_ms;
    pthread_mutex_unlock(&sp->mu);
    return due ? ot_spool_flush(sp) : OT_OK;
}

/* The index of the cursor's segment (caller holds mu); moves a lost cursor forward. */
static size_t cursor_index_locked(struct ot_spool *sp)
{
    /* Segments behind the cursor were acknowledged: delete them. */
    while (sp->nsegs > 1 && sp->segs[0].seq < sp->cur_seq)
        seg_remove_first(sp);
    for (size_t i = 0; i < sp->nsegs; i++) {
        if (sp->segs[i].seq == sp->cur_seq)
            return i;
        if (sp->segs[i].seq > sp->cur_seq) {
            sp->cur_seq = sp->segs[i].seq;
            sp->cur_off = 0;
            sp->cur_line = 0;
            sp->generation++;
            sp->state_dirty = true;
            return i;
        }
    }
    /* Cannot happen: the append segment is newer than any cursor. */
    sp->cur_seq = sp->segs[sp->nsegs - 1].seq;
    sp->cur_off = 0;
    sp->cur_line = 0;
    return sp->nsegs - 1;
}

/*
 * Move the cursor past `nlines` lines ending at `end` of the batch's
 * segment, when the batch is still current (caller holds mu).  Returns false
 * for a stale batch.
 */
static bool advance_locked(struct ot_spool *sp, const struct ot_spool_batch *b, uint64_t nlines)
{
    if (b->generation != sp->generation || b->segment != sp->cur_seq || b->start != sp->cur_off)
        return false;
    sp->cur_off = b->end;
    sp->cur_line += nlines;
    sp->state_dirty = true;
    return true;
}

/* Count `n` lines as lost (caller holds mu). */
static void lose_locked(struct ot_spool *sp, uint64_t n)
{
    sp->dropped += n;
    sp->unreported += n;
    sp->state_dirty = true;
}

/*
 * Find the end of an over-long line that starts at `off` in segment `seq`
 * (read in chunks); *end is just past its newline.  OT_ENOENT when the
 * file ends first.
 */
static int find_line_end(const char *path, uint64_t off, uint64_t limit, uint64_t *end)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? OT_EAGAIN : OT_EIO;
    char chunk[8192];
    int rc = OT_ENOENT;
    while (off < limit) {
        size_t want = (size_t)OT_MIN((uint64_t)sizeof(chunk), limit - off);
        ssize_t n = pread(fd, chunk, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? OT_EIO : OT_ENOENT;
            break;
        }
        const char *nl = memchr(chunk, '\n', (size_t)n);
        if (nl) {
            *end = off + (uint64_t)(nl - chunk) + 1;
            rc = OT_OK;
            break;
        }
        off += (uint64_t)n;
    }
    close(fd);
    return rc;
}

/*
 * Keep the good lines of buf[0, n) in place (at most max_lines), drop empty
 * ones and ones with NUL bytes (left by a crash on some file systems).
 * Returns the bytes consumed from buf (complete lines only).
 */
static size_t take_lines(struct ot_spool_batch *b, char *buf, size_t n, uint32_t max_lines)
{
    size_t rd = 0, wr = 0;
    while (rd < n && b->lines < max_lines) {
        char *nl = memchr(buf + rd, '\n', n - rd);
        if (!nl)
            break;
        size_t ll = (size_t)(nl - (buf + rd));
        if (ll == 0 || memchr(buf + rd, '\0', ll)) {
            b->skipped++;
        } else {
            memmove(buf + wr, buf + rd, ll + 1);
            wr += ll + 1;
            b->lines++;
        }
        rd += ll + 1;
    }
    b->len = wr;
    return rd;
}

/*
 * The batch's segment file is gone.  Deleted at the bound meanwhile: the
 * cursor has moved, read again.  Deleted by hand: count its unsent lines as
 * lost and move on.  Returns true when the caller should read again.
 */
static bool segment_vanished(struct ot_spool *sp, const struct ot_spool_batch *b, const char *path)
{
    pthread_mutex_lock(&sp->mu);
    if (b->generation == sp->generation && b->segment == sp->cur_seq) {
        struct segment *s = &sp->segs[0];
        ot_warn("%s: segment file deleted by someone else: %llu unsent events lost", path,
                (unsigned long long)(s->lines - OT_MIN(s->lines, sp->cur_line)));
        lose_locked(sp, s->lines - OT_MIN(s->lines, sp->cur_line));
        if (sp->nsegs > 1) {
            sp->cur_seq = sp->segs[1].seq;
            sp->cur_off = 0;
            sp->cur_line = 0;
            seg_remove_first(sp);
        } else {
            sp->cur_off = s->bytes;
            sp->cur_line = s->lines;
        }
        sp->generation++;
    }
    pthread_mutex_unlock(&sp->mu);
    return true;
}

int ot_spool_read(struct ot_spool *sp, struct ot_spool_batch *b, uint32_t max_lines,
                  size_t max_bytes)
{
    if (max_lines == 0 || max_bytes < 2)
        return OT_EINVAL;
    if (b->cap < max_bytes) {
        char *nb = realloc(b->body, max_bytes);
        if (!nb)
            return OT_ENOMEM;
        b->body = nb;
        b->cap = max_bytes;
    }
    for (;;) {
        b->len = 0;
        b->lines = 0;
        b->skipped = 0;
        pthread_mutex_lock(&sp->mu);
        flush_locked(sp);
        size_t i = cursor_index_locked(sp);
        while (sp->cur_off >= sp->segs[i].bytes && i + 1 < sp->nsegs) {
            /* Fully acknowledged and no longer appended to: delete it. */
            sp->cur_seq = sp->segs[i + 1].seq;
            sp->cur_off = 0;
            sp->cur_line = 0;
            seg_remove_first(sp);
            i = 0;
        }
        uint64_t avail = sp->segs[i].bytes - OT_MIN(sp->cur_off, sp->segs[i].bytes);
        b->segment = sp->cur_seq;
        b->start = sp->cur_off;
        b->generation = sp->generation;
        b->dropped_report = sp->unreported;
        pthread_mutex_unlock(&sp->mu);
        if (avail == 0)
            return OT_ENOENT;

        char path[PATH_MAX];
        seg_path(sp, b->segment, path, sizeof(path));
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT && segment_vanished(sp, b, path))
                continue;
            ot_err("%s: cannot read: %s", path, strerror(errno));
            return OT_EIO;
        }
        size_t want = (size_t)OT_MIN((uint64_t)max_bytes, avail), got = 0;
        while (got < want) {
            ssize_t n = pread(fd, b->body + got, want - got, (off_t)(b->start + got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        close(fd);
        size_t used = take_lines(b, b->body, got, max_lines);
        b->end = b->start + used;
        pthread_mutex_lock(&sp->mu);
        if (used == 0 && got == want && want == max_bytes && avail > want) {
            /* One line longer than a batch may be: skip it. */
            pthread_mutex_unlock(&sp->mu);
            uint64_t end;
            int rc = find_line_end(path, b->start + got, b->start + avail, &end);
            if (rc == OT_EAGAIN)
                continue;
            if (rc != OT_OK)
                return rc == OT_ENOENT ? OT_ENOENT : rc;
            ot_warn("%s: offset %llu: an event of %llu bytes is larger than a batch "
                    "(%zu bytes): not sent",
                    path, (unsigned long long)b->start, (unsigned long long)(end - b->start),
                    max_bytes);
            b->end = end;
            pthread_mutex_lock(&sp->mu);
            if (advance_locked(sp, b, 1)) {
                lose_locked(sp, 1);
                sp->st.discarded++;
            }
            pthread_mutex_unlock(&sp->mu);
            continue;
        }
        if (b->lines == 0 && b->skipped > 0) {
            ot_warn("%s: offset %llu: %u empty or garbled lines skipped", path,
                    (unsigned long long)b->start, b->skipped);
            if (advance_locked(sp, b, b->skipped)) {
                lose_locked(sp, b->skipped);
                sp->st.torn += b->skipped;
            }
            pthread_mutex_unlock(&sp->mu);
            continue;
        }
        if (b->lines == 0) {
            /* No complete line (cannot happen: whole lines are written). */
            pthread_mutex_unlock(&sp->mu);
            return OT_ENOENT;
        }
        sp->st.read += b->lines;
        pthread_mutex_unlock(&sp->mu);
        return OT_OK;
    }
}

int ot_spool_ack(struct ot_spool *sp, const struct ot_spool_batch *b)
{
    pthread_mutex_lock(&sp->mu);
    if (advance_locked(sp, b, (uint64_t)b->lines + b->skipped)) {
        sp->st.acked += b->lines;
        if (b->skipped) {
            lose_locked(sp, b->skipped);
            sp->st.torn += b->skipped;
        }
    } else {
        /* Its segment was deleted at the bound while in flight: the lines
         * were counted as lost, but they arrived. */
        sp->st.acked += b->lines;
        sp->dropped -= OT_MIN(sp->dropped, (uint64_t)b->lines);
        sp->unreported -= OT_MIN(sp->unreported, (uint64_t)b->lines);
    }
    sp->unreported -= OT_MIN(sp->unreported, b->dropped_report);
    sp->state_dirty = true;
    pthread_mutex_unlock(&sp->mu);
    return state_persist(sp, false);
}

int ot_spool_discard(struct ot_spool *sp, const struct ot_spool_batch *b)
{
    pthread_mutex_lock(&sp->mu);
    if (advance_locked(sp, b, (uint64_t)b->lines + b->skipped)) {
        lose_locked(sp, (uint64_t)b->lines + b->skipped);
        sp->st.discarded += b->lines;
    }
    pthread_mutex_unlock(&sp->mu);
    return state_persist(sp, false);
}

void ot_spool_stats(struct ot_spool *sp, struct ot_spool_stats *out)
{
    pthread_mutex_lock(&sp->mu);
    *out = sp->st;
    out->dropped = sp->dropped;
    out->dropped_unreported = sp->unreported;
    out->bytes_on_disk = sp->seg_bytes;
    out->bytes_buffered = sp->buflen;
    out->segments = (uint32_t)sp->nsegs;
    uint64_t pending = sp->buf_lines;
    for (size_t i = 0; i < sp->nsegs; i++) {
        if (sp->segs[i].seq == sp->cur_seq)
            pending += sp->segs[i].lines - OT_MIN(sp->segs[i].lines, sp->cur_line);
        else if (sp->segs[i].seq > sp->cur_seq)
            pending += sp->segs[i].lines;
    }
    out->pending_lines = pending;
    pthread_mutex_unlock(&sp->mu);
}

bool ot_spool_pending(struct ot_spool *sp)
{
    struct ot_spool_stats st;
    ot_spool_stats(sp, &st);
    return st.pending_lines > 0;
}

void ot_spool_batch_free(struct ot_spool_batch *b)
{
    free(b->body);
    memset(b, 0, sizeof(*b));
}

/*
 * Scan one segment at open: count its lines, cut a torn tail, and when it
 * holds the cursor, move the cursor to a line start and count the lines
 * before it.  Returns 0, or an error for a file that cannot be read.
 */
static int seg_load(struct ot_spool *sp, uint64_t seq, const struct ot_spool_state *state,
                    bool *cursor_here)
{
    char path[PATH_MAX];
    seg_path(sp, seq, path, sizeof(path));
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        ot_warn("%s: cannot open: %s (skipped)", path, strerror(errno));
        return OT_EIO;
    }
    char *chunk = malloc(SCAN_CHUNK);
    if (!chunk) {
        close(fd);
        return OT_ENOMEM;
    }
    bool here = seq == state->segment;
    uint64_t off = 0, lines = 0, complete = 0, line_start = 0, lines_before = 0;
    int rc = OT_OK;
    for (;;) {
        ssize_t n = pread(fd, chunk, SCAN_CHUNK, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ot_warn("%s: cannot read: %s (skipped)", path, strerror(errno));
            rc = OT_EIO;
            goto out_free;
        }
        if (n == 0)
            break;
        for (const char *p = chunk, *e = chunk + n; p < e;) {
            const char *nl = memchr(p, '\n', (size_t)(e - p));
            if (!nl)
                break;
            uint64_t pos = off + (uint64_t)(nl - chunk) + 1;
            lines++;
            complete = pos;
            if (here && pos <= state->offset) {
                line_start = pos;
                lines_before = lines;
            }
            p = nl + 1;
        }
        off += (uint64_t)n;
    }
    if (complete < off) {
        ot_warn("%s: offset %llu: the last line is incomplete (%llu bytes, written when the "
                "program stopped abruptly): cut off, not sent",
                path, (unsigned long long)complete, (unsigned long long)(off - complete));
        if (ftruncate(fd, (off_t)complete) != 0 || fsync(fd) != 0) {
            ot_warn("%s: cannot cut: %s (skipped)", path, strerror(errno));
            rc = OT_EIO;
            goto out_free;
        }
        sp->st.torn++;
        sp->dropped++;
        sp->unreported++;
        sp->state_dirty = true;
    }
    if (complete == 0) {
        unlink(path);
        goto out_free;
    }
    rc = seg_push(sp, seq, complete, lines);
    if (rc == OT_OK && here) {
        *cursor_here = true;
        if (line_start != state->offset)
            ot_warn("%s: the saved cursor %llu is not at a line start: resending from %llu", path,
                    (unsigned long long)state->offset, (unsigned long long)line_start);
        sp->cur_seq = seq;
        sp->cur_off = line_start;
        sp->cur_line = lines_before;
    }
out_free:
    free(chunk);
    close(fd);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The segment numbers in the folder, sorted; *out freed by the caller. */
static int list_segments(const char *dir, uint64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        ot_err("%s: cannot open the spool folder: %s", dir, strerror(errno));
        return OT_EIO;
    }
    size_t cap = 0;
    int rc = OT_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint64_t seq;
        if (!seg_name(e->d_name, &seq))
            continue;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            uint64_t *nv = realloc(*out, ncap * sizeof(*nv));
            if (!nv) {
                rc = OT_ENOMEM;
                break;
            }
            *out = nv;
            cap = ncap;
        }
        (*out)[(*n)++] = seq;
    }
    closedir(d);
    if (rc == OT_OK && *n)
        qsort(*out, *n, sizeof(**out), cmp_u64);
    return rc;
}

/* Read spool.state; a missing or unreadable one means "from the oldest segment". */
static void state_load(struct ot_spool *sp, struct ot_spool_state *st)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", sp->dir, OT_SPOOL_STATE_FILE);
    char *text;
    size_t len;
    memset(st, 0, sizeof(*st));
    int rc = ot_file_read(path, STATE_MAX, &text, &len);
    if (rc == OT_ENOENT)
        return;
    if (rc != OT_OK) {
        ot_warn("%s: cannot read (%s): sending every spooled event again", path, ot_strerror(rc));
        return;
    }
    uint32_t bad;
    if (ot_spool_state_parse(text, len, st, &bad) != OT_OK)
        ot_warn("%s:%u: not a spool state line: sending every spooled event again", path, bad);
    free(text);
}

static int spool_load(struct ot_spool *sp)
{
    struct ot_spool_state state;
    state_load(sp, &state);
    sp->dropped = state.dropped;
    sp->unreported = state.dropped_unreported;

    uint64_t *seqs;
    size_t n;
    int rc = list_segments(sp->dir, &seqs, &n);
    if (rc != OT_OK)
        return rc;
    bool cursor_found = false;
    uint64_t next = state.segment + 1;
    for (size_t i = 0; i < n; i++) {
        next = OT_MAX(next, seqs[i] + 1);
        if (seqs[i] < state.segment) {
            /* Acknowledged before a crash, not yet deleted. */
            char path[PATH_MAX];
            seg_path(sp, seqs[i], path, sizeof(path));
            unlink(path);
            continue;
        }
        rc = seg_load(sp, seqs[i], &state, &cursor_found);
        if (rc == OT_ENOMEM)
            goto out_free;
        rc = OT_OK; /* an unreadable segment is skipped, not fatal */
    }
    rc = seg_create(sp, next);
    if (rc != OT_OK)
        goto out_free;
    if (!cursor_found) {
        /* Its segment is gone (sent, or dropped and counted): start at the oldest. */
        sp->cur_seq = sp->segs[0].seq;
        sp->cur_off = 0;
        sp->cur_line = 0;
        if (state.offset || n)
            sp->state_dirty = true;
    }
    ot_dir_sync(sp->dir);
out_free:
    free(seqs);
    return rc;
}

int ot_spool_open(const struct ot_spool_config *cfg, struct ot_spool **out)
{
    *out = NULL;
    if (!cfg || !cfg->dir || !*cfg->dir)
        return OT_EINVAL;
    struct ot_spool *sp = calloc(1, sizeof(*sp));
    if (!sp)
        return OT_ENOMEM;
    sp->wfd = -1;
    sp->max_bytes = cfg->max_bytes ? cfg->max_bytes : OT_SPOOL_MAX_BYTES_DEFAULT;
    sp->seg_max = cfg->segment_max ? cfg->segment_max : OT_SPOOL_SEGMENT_MAX_DEFAULT;
    /* At least four segments fit, so the bound never deletes the append segment. */
    if (sp->seg_max > sp->max_bytes / 4)
        sp->seg_max = (uint32_t)(sp->max_bytes / 4);
    sp->sync_ms = cfg->sync_interval_ms ? cfg->sync_interval_ms : 1000;
    sp->bufcap = cfg->buffer_bytes ? cfg->buffer_bytes : OT_SPOOL_BUFFER_DEFAULT;
    int rc = OT_EINVAL;
    if (sp->seg_max < 64) {
        ot_err("%s: spool size %llu is too small", cfg->dir, (unsigned long long)sp->max_bytes);
        goto out_free;
    }
    rc = OT_ENOMEM;
    sp->dir = strdup(cfg->dir);
    sp->buf = malloc(sp->bufcap);
    if (!sp->dir || !sp->buf)
        goto out_free;
    rc = ot_dir_ensure(sp->dir, 0700);
    if (rc != OT_OK) {
        ot_err("%s: cannot create the spool folder: %s", sp->dir, strerror(errno));
        goto out_free;
    }
    if (pthread_mutex_init(&sp->mu, NULL) != 0) {
        rc = OT_ENOMEM;
        goto out_free;
    }
    if (pthread_mutex_init(&sp->persist_mu, NULL) != 0) {
        pthread_mutex_destroy(&sp->mu);
        rc = OT_ENOMEM;
        goto out_free;
    }
    rc = spool_load(sp);
    if (rc != OT_OK)
        goto out_mutex;
    sp->last_sync_ms = now_ms();
    *out = sp;
    return OT_OK;

out_mutex:
    pthread_mutex_destroy(&sp->persist_mu);
    pthread_mutex_destroy(&sp->mu);
out_free:
    if (sp->wfd >= 0)
        close(sp->wfd);
    free(sp->segs);
    free(sp->buf);
    free(sp->dir);
    free(sp);
    return rc;
}

int ot_spool_close(struct ot_spool *sp)
{
    if (!sp)
        return OT_OK;
    pthread_mutex_lock(&sp->mu);
    sp->state_dirty = true;
    pthread_mutex_unlock(&sp->mu);
    int rc = ot_spool_flush(sp);
    if (sp->wfd >= 0)
        close(sp->wfd);
    for (unsigned i = 0; i < sp->nunsynced; i++)
        close(sp->unsynced[i]);
    pthread_mutex_destroy(&sp->persist_mu);
    pthread_mutex_destroy(&sp->mu);
    free(sp->segs);
    free(sp->buf);
    free(sp->dir);
    free(sp);
    return rc;
}
