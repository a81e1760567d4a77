/*
 * libpcap sources: files, folders of files, live interfaces.
 *
 * Classic pcap files (the usual input of a file run) are read by our own
 * reader instead of through libpcap's stdio reads: libpcap copies every
 * record twice (stdio buffer, then its packet buffer) at about 500
 * instructions a packet, a tenth of the sensor's whole budget.  The reader
 * pread()s the file in large blocks into one buffer that stays in the CPU's
 * cache, and hands out records where they lie in it.  (It used to map the
 * file: the page faults, and the madvise() calls that gave pages back, cost
 * more kernel time than the copy.)  libpcap still opens the file (so the
 * header checks, link-type mapping and messages are its own), and any record
 * the reader does not take as plainly valid (cut short, longer than the
 * snapshot length, the end of a damaged file) is handed back to libpcap at
 * that record's offset, so errors and corner cases behave exactly as before.
 */
#include "capture/capture.h"

#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otasuke/error.h"

/*
 * A classic pcap file (version 2.4, 16-byte record headers) read by our
 * reader: buf holds the file's bytes from file offset buf_off, the next
 * record at buf[at].
 */
struct direct {
    bool on; /* reading the current file directly */
    int fd;
    uint8_t *buf; /* block bytes, kept across files */
    size_t block;
    size_t have; /* valid bytes in buf */
    size_t at;   /* offset in buf of the next record */
    uint64_t buf_off;
    bool eof; /* the file has no bytes past buf[have] (as far as pread() saw) */
    uint32_t snapshot;
    bool swapped; /* written in the other byte order */
    bool nsec;    /* nanosecond timestamps (scaled down, as libpcap does for us) */
};

/*
 * Block size of the reader: small enough to stay in the CPU's L2 cache,
 * large enough for a record of the largest snapshot length libpcap reads
 * (262,144 bytes) with its header.
 */
#define DIRECT_BLOCK (512u << 10)

struct ot_capture {
    pcap_t *pcap;
    bool live;
    int fd; /* live: selectable descriptor */
    int dlt;
    char **files; /* folder/file run: paths in order */
    size_t nfiles, cur;
    uint64_t bytes_total;
    uint64_t bytes_before_cur; /* sizes of files already finished */
    uint64_t cur_size;
    long last_offset; /* offset of the record being read in the current file */
    uint32_t rec_hdr; /* classic pcap: bytes of a record header (0: pcapng, use ftell) */
    struct ot_capture_stats st;
    const char *bpf;
    struct bpf_program prog; /* the compiled filter (has_prog), applied by our reader too */
    bool has_prog;
    struct direct m; /* our reader of the current file, when m.on */
    size_t block;    /* its block size */
    char errbuf[PCAP_ERRBUF_SIZE];
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_file(struct ot_capture *c, const char *path)
{
    char **nf = realloc(c->files, (c->nfiles + 1) * sizeof(*nf));
    if (!nf)
        return OT_ENOMEM;
    c->files = nf;
    c->files[c->nfiles] = strdup(path);
    if (!c->files[c->nfiles])
        return OT_ENOMEM;
    c->nfiles++;
    struct stat st;
    if (stat(path, &st) == 0)
        c->bytes_total += (uint64_t)st.st_size;
    return OT_OK;
}

/* Every regular file of the folder (not recursing), in name order. */
static int list_folder(struct ot_capture *c, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open folder: %s", dir, strerror(errno));
        return OT_EIO;
    }
    char **names = NULL;
    size_t n = 0;
    int rc = OT_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        size_t l = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(l);
        char **nn = realloc(names, (n + 1) * sizeof(*names));
        if (!p || !nn) {
            free(p);
            if (nn)
                names = nn;
            rc = OT_ENOMEM;
            break;
        }
        names = nn;
        snprintf(p, l, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        names[n++] = p;
    }
    closedir(d);
    if (rc == OT_OK)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (rc == OT_OK)
            rc = add_file(c, names[i]);
        free(names[i]);
    }
    free(names);
    if (rc == OT_OK && c->nfiles == 0) {
        snprintf(err, errlen, "%s: the folder holds no capture files", dir);
        rc = OT_ENOENT;
    }
    return rc;
}

static int apply_filter(struct ot_capture *c, char *err, size_t errlen, const char *what)
{
    if (!c->bpf || !*c->bpf)
        return OT_OK;
    struct bpf_program prog;
    if (pcap_compile(c->pcap, &prog, c->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "%s: bad capture filter '%s': %s", what, c->bpf,
                 pcap_geterr(c->pcap));
        return OT_EINVAL;
    }
    int rc = pcap_setfilter(c->pcap, &prog);
    if (rc != 0) {
        pcap_freecode(&prog);
        snprintf(err, errlen, "%s: cannot set filter: %s", what, pcap_geterr(c->pcap));
        return OT_EINVAL;
    }
    if (c->has_prog)
        pcap_freecode(&c->prog);
    c->prog = prog;
    c->has_prog = true;
    return OT_OK;
}

/*
 * Classic pcap files have fixed-size record headers, so the offset of each
 * record can be counted instead of asked of stdio (ftell() per packet costs
 * more than decoding it).  Returns the record header size, or 0 for pcapng
 * and anything else, where ftell() is used.
 */
static uint32_t classic_record_header(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t m[4];
    bool ok = fp && fread(m, 1, 4, fp) == 4;
    if (fp)
        fclose(fp);
    if (!ok)
        return 0;
    uint32_t le =
        (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
    uint32_t be =
        (uint32_t)m[3] | (uint32_t)m[2] << 8 | (uint32_t)m[1] << 16 | (uint32_t)m[0] << 24;
    if (le == 0xa1b2c3d4 || be == 0xa1b2c3d4 || le == 0xa1b23c4d || be == 0xa1b23c4d)
        return 16;
    if (le == 0xa1b2cd34 || be == 0xa1b2cd34) /* Kuznetzov's patched format */
        return 24;
    return 0;
}

static void direct_close(struct ot_capture *c)
{
    c->m.on = false;
}

static uint32_t rd32(const uint8_t *p, bool swapped)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

/*
 * Read the file libpcap just opened ourselves (through its descriptor, with
 * pread(), so its FILE position is left alone) when it is a classic pcap
 * file of version 2.4 with 16-byte record headers (what every current writer
 * produces); otherwise leave it to libpcap.  A file that cannot be read this
 * way (a pipe, say) is simply read by libpcap.
 */
static void direct_open(struct ot_capture *c)
{
    FILE *fp = pcap_file(c->pcap);
    if (c->rec_hdr != 16 || !fp)
        return;
    int fd = fileno(fp);
    struct stat st;
    uint32_t snapshot = (uint32_t)pcap_snapshot(c->pcap);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24 ||
        snapshot > c->block - 16)
        return;
    if (!c->m.buf) {
        c->m.buf = malloc(c->block);
        if (!c->m.buf)
            return;
    }
    uint8_t h[24];
    if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
        return;
    uint32_t magic;
    memcpy(&magic, h, 4);
    bool swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    bool nsec = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
    uint16_t major, minor;
    memcpy(&major, h + 4, 2);
    memcpy(&minor, h + 6, 2);
    if (swapped) {
        major = __builtin_bswap16(major);
        minor = __builtin_bswap16(minor);
    }
    if (major != 2 || minor != 4 || !(swapped || magic == 0xa1b2c3d4 || magic == 0xa1b23c4d))
        return;
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    uint8_t *buf = c->m.buf;
    c->m = (struct direct){.on = true,
                           .fd = fd,
                           .buf = buf,
                           .block = c->block,
                           .buf_off = 24,
                           .snapshot = snapshot,
                           .swapped = swapped,
                           .nsec = nsec};
}

static int open_file(struct ot_capture *c, char *err, size_t errlen)
{
    const char *path = c->files[c->cur];
    c->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, c->errbuf);
    if (!c->pcap) {
        snprintf(err, errlen, "%s: not a readable pcap or pcapng capture: %s", path, c->errbuf);
        return OT_EINVAL;
    }
    c->dlt = pcap_datalink(c->pcap);
    struct stat st;
    c->cur_size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    c->rec_hdr = classic_record_header(path);
    c->st.files++;
    c->last_offset = 24; /* classic pcap: after the file header */
    int rc = apply_filter(c, err, errlen, path);
    if (rc == OT_OK)
        direct_open(c);
    return rc;
}

static int open_live(struct ot_capture *c, const struct ot_capture_config *cfg, char *err,
                     size_t errlen)
{
    c->pcap = pcap_create(cfg->iface, c->errbuf);
    if (!c->pcap) {
        snprintf(err, errlen, "%s: %s", cfg->iface, c->errbuf);
        return OT_EIO;
    }
    pcap_set_snaplen(c->pcap, (int)cfg->snaplen);
    pcap_set_promisc(c->pcap, cfg->promisc);
    pcap_set_timeout(c->pcap, 100);
    pcap_set_buffer_size(c->pcap, (int)(cfg->buffer_mb << 20));
    pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(c->pcap);
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot capture: %s%s", cfg->iface, pcap_geterr(c->pcap),
                 rc == PCAP_ERROR_PERM_DENIED ? " (capture needs root or CAP_NET_RAW)" : "");
        return OT_EPERM;
    }
    c->dlt = pcap_datalink(c->pcap);
    /*
     * With TPACKET_V3 a blocking read on a silent interface may never time
     * out; read non-blocking and wait in poll() ourselves, so that a stop
     * request or the run's duration is noticed within 100 ms.
     */
    if (pcap_setnonblock(c->pcap, 1, c->errbuf) != 0) {
        snprintf(err, errlen, "%s: cannot set non-blocking mode: %s", cfg->iface, c->errbuf);
        return OT_EIO;
    }
    c->fd = pcap_get_selectable_fd(c->pcap);
    c->live = true;
    c->st.live = true;
    return apply_filter(c, err, errlen, cfg->iface);
}

int ot_capture_open(const struct ot_capture_config *cfg, struct ot_capture **out, char *err,
                    size_t errlen)
{
    struct ot_capture *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return OT_ENOMEM;
    }
    c->bpf = cfg->bpf;
    c->fd = -1;
    c->block = cfg->read_block >= 64 ? cfg->read_block : DIRECT_BLOCK;
    int rc;
    if (cfg->read_path && *cfg->read_path) {
        struct stat st;
        if (stat(cfg->read_path, &st) != 0) {
            snprintf(err, errlen, "%s: %s", cfg->read_path, strerror(errno));
            rc = OT_ENOENT;
        } else if (S_ISDIR(st.st_mode)) {
            rc = list_folder(c, cfg->read_path, err, errlen);
        } else {
            rc = add_file(c, cfg->read_path);
        }
        if (rc == OT_OK)
            rc = open_file(c, err, errlen);
    } else if (cfg->iface && *cfg->iface) {
        rc = open_live(c, cfg, err, errlen);
    } else {
        snprintf(err, errlen, "nothing to read: give -r FILE|FOLDER or -i INTERFACE");
        rc = OT_EINVAL;
    }
    if (rc) {
        ot_capture_close(c);
        return rc;
    }
    c->st.bytes_total = c->bytes_total;
    *out = c;
    return OT_OK;
}

static long file_pos(struct ot_capture *c)
{
    FILE *fp = pcap_file(c->pcap);
    return fp ? ftell(fp) : -1;
}

static void fill_packet(struct ot_capture_pkt *pkt, const struct pcap_pkthdr *h, const u_char *data,
                        int dlt)
{
    pkt->data = data;
    pkt->caplen = h->caplen;
    pkt->wirelen = h->len;
    pkt->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
    pkt->dlt = dlt;
}

/* File offset of the next record. */
static inline uint64_t direct_pos(const struct direct *m)
{
    return m->buf_off + m->at;
}

/*
 * Move the unread bytes to the front of the buffer and fill the rest from
 * the file.  False when no byte was added (end of file, or a read error,
 * which libpcap then meets and reports itself).
 */
__attribute__((noinline)) static bool direct_refill(struct direct *m)
{
    if (m->eof)
        return false;
    size_t left = m->have - m->at;
    memmove(m->buf, m->buf + m->at, left);
    m->buf_off += m->at;
    m->at = 0;
    m->have = left;
    size_t added = 0;
    while (m->have < m->block) {
        ssize_t n =
            pread(m->fd, m->buf + m->have, m->block - m->have, (off_t)(m->buf_off + m->have));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            m->eof = true;
            break;
        }
        m->have += (size_t)n;
        added += (size_t)n;
    }
    return added > 0;
}

/*
 * The timestamp of the record at r exactly as libpcap (1.10) gives it, which
 * depends on the byte order: seconds and sub-seconds are signed 32-bit
 * numbers in a file of our byte order and unsigned ones in a swapped file;
 * nanoseconds are divided by 1000 (towards zero); nothing is range-checked.
 */
static inline void record_time(const struct direct *m, const uint8_t *r, int64_t *sec /* OUT */,
                               int64_t *usec /* OUT */)
{
    uint32_t s = rd32(r, m->swapped), u = rd32(r + 4, m->swapped);
    *sec = m->swapped ? (int64_t)s : (int64_t)(int32_t)s;
    *usec = m->swapped ? (int64_t)u : (int64_t)(int32_t)u;
    if (m->nsec)
        *usec /= 1000;
}

/*
 * The next record of the file into *pkt, unfiltered; false when the record
 * is not plainly valid, or the file ends, and libpcap must read it
 * (direct_hand_back()).  Mirrors libpcap's pcap_next_packet() for version
 * 2.4 files: signed 32-bit seconds and (micro or nano) seconds, nanoseconds
 * divided by 1000.  Inline: this is the whole per-packet cost of reading.
 */
static inline bool direct_record(struct ot_capture *c, struct ot_capture_pkt *pkt /* OUT */)
{
    struct direct *m = &c->m;
    size_t left = m->have - m->at;
    const uint8_t *r = m->buf + m->at;
    uint32_t caplen;
    if (__builtin_expect(left < 16 || left - 16 < (caplen = rd32(r + 8, m->swapped)), 0)) {
        /* The record runs past the buffer: read on, then judge it whole. */
        while (direct_refill(m) && m->have - m->at < 16 + (size_t)m->snapshot)
            ;
        left = m->have - m->at;
        r = m->buf + m->at;
        if (left < 16)
            return false;
        caplen = rd32(r + 8, m->swapped);
        if (left - 16 < caplen)
            return false;
    }
    if (caplen > m->snapshot)
        return false;
    int64_t sec, usec;
    record_time(m, r, &sec, &usec);
    c->last_offset = (long)direct_pos(m);
    m->at += 16 + (size_t)caplen;
    /*
     * The next record's header and the start of its packet (the link, IP
     * and transport headers): the kernel's copy into the block does not
     * leave them in cache, and the decoder will want them after this packet.
     * Only within the block: an address past it may not even be formed.
     */
    if (m->have - m->at >= 128) {
        __builtin_prefetch(m->buf + m->at);
        __builtin_prefetch(m->buf + m->at + 64);
    }
    /* As fill_packet() computes it from libpcap's header (time_t and suseconds_t). */
    pkt->data = r + 16;
    pkt->caplen = caplen;
    pkt->wirelen = rd32(r + 12, m->swapped);
    pkt->ts_us = (uint64_t)sec * 1000000u + (uint64_t)usec;
    pkt->dlt = c->dlt;
    return true;
}

/* Does the capture filter take the packet direct_record() just read? */
static bool direct_filter_ok(const struct ot_capture *c, const struct ot_capture_pkt *pkt)
{
    int64_t sec, usec;
    record_time(&c->m, pkt->data - 16, &sec, &usec);
    struct pcap_pkthdr h = {.ts = {.tv_sec = (time_t)sec, .tv_usec = (suseconds_t)usec},
                            .caplen = pkt->caplen,
                            .len = pkt->wirelen};
    return pcap_offline_filter(&c->prog, &h, pkt->data) != 0;
}

/*
 * The end of the file, or a record libpcap must judge: stop reading and let
 * libpcap continue at that record, through its FILE.  Returns 0, or -1 when
 * the seek failed.
 */
static int direct_hand_back(struct ot_capture *c)
{
    FILE *fp = pcap_file(c->pcap);
    c->last_offset = (long)direct_pos(&c->m);
    bool ok = fp && fseeko(fp, (off_t)direct_pos(&c->m), SEEK_SET) == 0;
    direct_close(c);
    return ok ? 0 : -1;
}

static int next_pcap(struct ot_capture *c, struct ot_capture_pkt *pkt, char *err, size_t errlen);

/* ot_capture_next() when our reader's fast path does not apply: filtered, or at its end. */
__attribute__((noinline)) static int next_slow(struct ot_capture *c, struct ot_capture_pkt *pkt,
                                               char *err, size_t errlen)
{
    if (c->m.on) {
        for (;;) {
            if (!direct_record(c, pkt))
                break;
            if (!c->has_prog || direct_filter_ok(c, pkt))
                return 1;
        }
        if (direct_hand_back(c) < 0) {
            snprintf(err, errlen, "%s: cannot seek to byte offset %ld", c->files[c->cur],
                     c->last_offset);
            return OT_EIO;
        }
    }
    return next_pcap(c, pkt, err, errlen);
}

int ot_capture_next(struct ot_capture *c, struct ot_capture_pkt *pkt, char *err, size_t errlen)
{
    /* The common case inline: a file read by our reader, no filter. */
    if (__builtin_expect(c->m.on && !c->has_prog, 1) && direct_record(c, pkt))
        return 1;
    return next_slow(c, pkt, err, errlen);
}

/* Through libpcap: live capture, pcapng, and whatever our reader hands back. */
__attribute__((noinline)) static int next_pcap(struct ot_capture *c, struct ot_capture_pkt *pkt,
                                               char *err, size_t errlen)
{
    for (;;) {
        if (!c->pcap)
            return 0;
        struct pcap_pkthdr *h;
        const u_char *data;
        if (!c->live && !c->rec_hdr)
            c->last_offset = file_pos(c);
        errno = 0;
        int rc = pcap_next_ex(c->pcap, &h, &data);
        if (rc == PCAP_ERROR && c->live && (errno == EAGAIN || errno == EWOULDBLOCK))
            rc = 0; /* libpcap's netfilter (nflog:N) reader reports an empty non-blocking read so */
        if (rc == 1) {
            fill_packet(pkt, h, data, c->dlt);
            if (c->rec_hdr)
                c->last_offset += (long)(c->rec_hdr + h->caplen);
            return 1;
        }
        if (rc == 0) {
            /* Live: nothing buffered. Wait up to 100 ms for more, then let the caller look around.
             */
            if (c->fd >= 0) {
                struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
                if (poll(&pfd, 1, 100) > 0) {
                    errno = 0;
                    rc = pcap_next_ex(c->pcap, &h, &data);
                    if (rc == PCAP_ERROR && (errno == EAGAIN || errno == EWOULDBLOCK))
                        rc = 0;
                    if (rc == 1) {
                        fill_packet(pkt, h, data, c->dlt);
                        return 1;
                    }
                }
            }
            if (rc >= 0)
                return 0;
        }
        if (rc == PCAP_ERROR_BREAK && c->live)
            return 0;
        if (rc == PCAP_ERROR_BREAK) {
            /* End of this file: go on with the next one of the folder. */
            c->bytes_before_cur += c->cur_size;
            direct_close(c);
            pcap_close(c->pcap);
            c->pcap = NULL;
            if (++c->cur >= c->nfiles)
                return 0;
            int orc = open_file(c, err, errlen);
            if (orc)
                return orc;
            if (c->m.on)
                return ot_capture_next(c, pkt, err, errlen);
            continue;
        }
        if (c->live) {
            snprintf(err, errlen, "capture failed: %s", pcap_geterr(c->pcap));
            return OT_EIO;
        }
        snprintf(err, errlen, "%s: truncated or corrupt capture at byte offset %ld: %s",
                 c->files[c->cur], c->last_offset, pcap_geterr(c->pcap));
        return OT_ETRUNC;
    }
}

bool ot_capture_live(const struct ot_capture *c)
{
    return c->live;
}

void ot_capture_break(struct ot_capture *c)
{
    if (c && c->pcap)
        pcap_breakloop(c->pcap);
}

void ot_capture_stats(struct ot_capture *c, struct ot_capture_stats *st)
{
    if (c->live && c->pcap) {
        struct pcap_stat ps;
        if (pcap_stats(c->pcap, &ps) == 0) {
            c->st.kernel_recv = ps.ps_recv;
            c->st.kernel_drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
        }
    }
    if (!c->live) {
        long pos = c->m.on ? (long)direct_pos(&c->m) : c->pcap ? file_pos(c) : 0;
        c->st.bytes_done = c->bytes_before_cur + (pos > 0 ? (uint64_t)pos : 0);
    }
    *st = c->st;
}

void ot_capture_close(struct ot_capture *c)
{
    if (!c)
        return;
    direct_close(c);
    free(c->m.buf);
    if (c->has_prog)
        pcap_freecode(&c->prog);
    if (c->pcap)
        pcap_close(c->pcap);
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i]);
    free(c->files);
    free(c);
}
