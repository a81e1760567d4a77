/*
 * The limit: a bare libpcap loop that reads every packet of a capture and
 * touches one byte of each (so the read cannot be optimised away), nothing
 * else.  Prints packets, bytes, wall time, packets/s, Mbit/s and peak RSS in
 * the same "key=value" form as the other bench rows.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_pcap_loop CAPTURE\n");
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    double t0 = now_s();
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (!p) {
        fprintf(stderr, "bench_pcap_loop: %s\n", errbuf);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t packets = 0, bytes = 0;
    unsigned sum = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->len;
        sum += data[0];
    }
    double el = now_s() - t0;
    pcap_close(p);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("packets=%llu bytes=%llu seconds=%.4f pps=%.0f mbps=%.1f peak_rss_mb=%.1f checksum=%u\n",
           (unsigned long long)packets, (unsigned long long)bytes, el, (double)packets / el,
           (double)bytes * 8 / el / 1e6, (double)ru.ru_maxrss / 1024.0, sum & 0xff);
    return rc == PCAP_ERROR_BREAK ? 0 : 1;
}
