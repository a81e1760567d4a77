/*
 * Packet sources: a capture file (pcap or pcapng), every capture in a folder
 * read in name order as one stream, or a live interface (libpcap; TPACKET_V3
 * on Linux).
 *
 * A truncated or corrupt file ends the stream with OT_ETRUNC and a message
 * naming the file and the byte offset of the first record that could not be
 * read; every packet before it has been delivered.
 */
#ifndef OT_SENSOR_CAPTURE_H
#define OT_SENSOR_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ot_capture_config {
    const char *read_path; /* file or folder; NULL for live */
    const char *iface;     /* live interface */
    const char *bpf;       /* optional filter */
    uint32_t snaplen;
    uint32_t buffer_mb;
    bool promisc;
    uint32_t read_block; /* bytes per read of the file reader (tests, fuzzing); 0: 512 KiB */
};

struct ot_capture_pkt {
    const uint8_t *data;
    uint32_t caplen, wirelen;
    uint64_t ts_us;
    int dlt;
};

struct ot_capture_stats {
    uint64_t files;        /* files opened so far */
    uint64_t kernel_recv;  /* live: packets the kernel saw */
    uint64_t kernel_drops; /* live: dropped by the kernel or interface */
    uint64_t bytes_total;  /* file runs: size of all inputs */
    uint64_t bytes_done;   /* file runs: position reached */
    bool live;
};

struct ot_capture;

/* On failure, `err` holds a message for the operator. */
int ot_capture_open(const struct ot_capture_config *cfg, struct ot_capture **out /* OUT */,
                    char *err, size_t errlen);
/*
 * Next packet: 1 = a packet, 0 = end of input (or, live, a read timeout with
 * no packet: check ot_capture_live()), negative = error with `err` filled.
 */
int ot_capture_next(struct ot_capture *c, struct ot_capture_pkt *pkt /* OUT */, char *err,
                    size_t errlen);
bool ot_capture_live(const struct ot_capture *c);
/* Wake a blocking live read (safe from a signal handler). */
void ot_capture_break(struct ot_capture *c);
void ot_capture_stats(struct ot_capture *c, struct ot_capture_stats *st /* OUT */);
void ot_capture_close(struct ot_capture *c);

#endif
