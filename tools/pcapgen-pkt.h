/*
 * ot-pcapgen frames: Ethernet (optionally 802.1Q), IPv4/IPv6, UDP, ICMP,
 * ICMPv6 and TCP conversations, every checksum computed.
 *
 * Hosts are plain structs owned by the caller; a frame only reads them,
 * except that the sender's IPv4 identification counter advances.  Every
 * emitter writes into a sink (pcapgen-sink.h) and reports failures through
 * the sink's sticky error.
 */
#ifndef OT_TOOLS_PCAPGEN_PKT_H
#define OT_TOOLS_PCAPGEN_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcapgen-sink.h"

#define OT_PG_IPPROTO_ICMP   1
#define OT_PG_IPPROTO_TCP    6
#define OT_PG_IPPROTO_UDP    17
#define OT_PG_IPPROTO_ICMPV6 58

#define OT_PG_TCP_FIN 0x01
#define OT_PG_TCP_SYN 0x02
#define OT_PG_TCP_RST 0x04
#define OT_PG_TCP_PSH 0x08
#define OT_PG_TCP_ACK 0x10

#define OT_PG_US 1000000ull /* microseconds per second */

/* Deterministic generator (splitmix64): same seed, same capture. */
struct ot_pg_rng {
    uint64_t s;
};

uint64_t ot_pg_rand(struct ot_pg_rng *r);
/* Uniform in [0, n) for n >= 1. */
uint32_t ot_pg_below(struct ot_pg_rng *r, uint32_t n);
void ot_pg_fill(struct ot_pg_rng *r, uint8_t *out, size_t n);

struct ot_pg_host {
    uint8_t mac[6]; /* as seen on the capture link: the router's MAC for remote hosts */
    bool v6;
    uint8_t ip[16]; /* IPv4 in the first 4 bytes */
    uint8_t ttl;    /* TTL or hop limit on arrival at the capture point */
    uint16_t ip_id; /* next IPv4 identification */
};

/* Fill H from an address literal (IPv4 or IPv6).  Returns OT_EINVAL for a bad literal. */
int ot_pg_host_init(struct ot_pg_host *h, const uint8_t mac[6], const char *ip, uint8_t ttl);

/* One IP packet being built in place in a sink frame. */
struct ot_pg_ip {
    struct ot_pg_sink *sk;
    uint8_t *frame, *l3, *l4;
    struct ot_pg_host *src;
    const struct ot_pg_host *dst;
    uint8_t proto;
    uint32_t flow_label; /* IPv6 */
};

/* Largest L4 length (header + payload) that fits a 1500-byte MTU. */
size_t ot_pg_ip_room(const struct ot_pg_host *src);

/*
 * Start a packet from SRC to DST (same family) on VLAN (0: untagged) and return
 * where its L4 header goes (ot_pg_ip_room() bytes available).
 */
uint8_t *ot_pg_ip_begin(struct ot_pg_ip *p, struct ot_pg_sink *sk, struct ot_pg_host *src,
                        const struct ot_pg_host *dst, uint16_t vlan, uint8_t proto);

/* Finish it: lengths, IPv4 header checksum, L4 checksum, then commit at TS_US. */
void ot_pg_ip_end(struct ot_pg_ip *p, uint64_t ts_us, size_t l4len);

/*
 * One UDP datagram.  An IPv4 datagram larger than the MTU is sent as fragments
 * of at most FRAG bytes of IP payload each (multiple of 8; 0: fill the MTU).
 */
void ot_pg_udp(struct ot_pg_sink *sk, uint64_t ts_us, struct ot_pg_host *src, uint16_t sport,
               const struct ot_pg_host *dst, uint16_t dport, uint16_t vlan, const void *data,
               size_t len, size_t frag);

/* ICMP or ICMPv6 echo request (TYPE 8/128) or reply (0/129) carrying DATA. */
void ot_pg_icmp_echo(struct ot_pg_sink *sk, uint64_t ts_us, struct ot_pg_host *src,
                     const struct ot_pg_host *dst, bool reply, uint16_t id, uint16_t seq,
                     const void *data, size_t len);

/* ARP request (REPLY false: who-has DST, tell SRC) or reply to DST. */
void ot_pg_arp(struct ot_pg_sink *sk, uint64_t ts_us, const struct ot_pg_host *src,
               const struct ot_pg_host *dst, bool reply);

enum { OT_PG_C2S = 0, OT_PG_S2C = 1 };

/*
 * A TCP conversation: [0] the client, [1] the server.  Each emitter moves the
 * conversation clock T forward by its DELAY (microseconds) before the first
 * packet it writes, then by GAP_US between back-to-back segments.  The
 * capture point is taken to sit next to the client: packets the client sends
 * in answer follow within microseconds, the server's answers trail by RTT_US.
 */
struct ot_pg_tcp {
    struct ot_pg_sink *sk;
    struct ot_pg_host *host[2];
    uint16_t port[2];
    uint32_t nxt[2]; /* next sequence number each side sends */
    uint16_t win[2]; /* window field once scaling is on */
    uint16_t mss;
    uint16_t vlan;
    uint64_t t;      /* time of the last packet written */
    uint32_t gap_us; /* spacing of back-to-back segments */
    uint32_t rtt_us; /* capture point to server and back (set by the handshake) */
};

/* Set up a conversation starting at T with initial sequence numbers ISN_C/ISN_S. */
void ot_pg_tcp_init(struct ot_pg_tcp *c, struct ot_pg_sink *sk, struct ot_pg_host *cli,
                    uint16_t cport, struct ot_pg_host *srv, uint16_t sport, uint32_t isn_c,
                    uint32_t isn_s, uint64_t t);

/* One raw segment from DIR at TS (no state change; for retransmissions and reordering). */
void ot_pg_tcp_segment(struct ot_pg_tcp *c, int dir, uint64_t ts_us, uint8_t flags, uint32_t seq,
                       uint32_t ack, const void *data, size_t len);

/* The client's SYN (alone, for a scan; ot_pg_tcp_handshake() sends its own). */
void ot_pg_tcp_syn(struct ot_pg_tcp *c, uint32_t delay_us);

/* SYN, SYN-ACK, ACK over a path with round-trip time RTT_US (remembered for the close). */
void ot_pg_tcp_handshake(struct ot_pg_tcp *c, uint32_t delay_us, uint32_t rtt_us);

/* DATA from DIR in MSS-sized segments, PSH on the last. */
void ot_pg_tcp_send(struct ot_pg_tcp *c, int dir, const void *data, size_t len, uint32_t delay_us);

/* A pure ACK from DIR of everything received. */
void ot_pg_tcp_ack(struct ot_pg_tcp *c, int dir, uint32_t delay_us);

/* Teardown started by DIR: FIN-ACK, the peer's FIN-ACK, the last ACK. */
void ot_pg_tcp_close(struct ot_pg_tcp *c, int dir, uint32_t delay_us);

#endif
