/*
 * libFuzzer target for capture files (sensor/capture/capture-pcap.c), checked
 * against libpcap itself.
 *
 * Input: one byte choosing the reader's block size (64 + 16 * byte, so small
 * inputs cross block ends), then the content of a capture file (classic pcap
 * in either byte order, nanosecond stamps, pcapng, or anything else).  The
 * file is read through ot_capture and through plain libpcap; both must give
 * the same packets (lengths, time, bytes) and end the same way (end of file,
 * or an error after the same packets), since our reader hands every record
 * it does not take as plainly valid back to libpcap.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int fd = memfd_create("fuzz-capture", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *ref =
        pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    struct ot_capture_config cfg = {.read_path = path, .read_block = 64 + 16u * data[0]};
    struct ot_capture *c = NULL;
    char err[512];
    int rc = ot_capture_open(&cfg, &c, err, sizeof(err));
    /* Both open the file, or neither does. */
    if ((rc == 0) != (ref != NULL))
        abort();
    if (rc == 0) {
        for (;;) {
            struct ot_capture_pkt pkt;
            int n = ot_capture_next(c, &pkt, err, sizeof(err));
            struct pcap_pkthdr *h;
            const u_char *d;
            int r = pcap_next_ex(ref, &h, &d);
            if (n == 1) {
                uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
                if (r != 1 || pkt.caplen != h->caplen || pkt.wirelen != h->len || pkt.ts_us != ts ||
                    pkt.dlt != pcap_datalink(ref) || memcmp(pkt.data, d, pkt.caplen) != 0)
                    abort();
                continue;
            }
            /* The end: of the file for both, or an error for both. */
            if ((n == 0) != (r == PCAP_ERROR_BREAK) || (n < 0) != (r == PCAP_ERROR))
                abort();
            break;
        }
        ot_capture_close(c);
    }
    if (ref)
        pcap_close(ref);
    close(fd);
    return 0;
}
