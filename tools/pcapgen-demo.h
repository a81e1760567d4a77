/*
 * The demo office network, shared by the two halves of the scenario:
 * pcapgen-demo.c (hosts, DHCP, ARP, DNS, ICMP, the scan, the timeline) and
 * pcapgen-demo-apps.c (the TCP applications).
 */
#ifndef OT_TOOLS_PCAPGEN_DEMO_H
#define OT_TOOLS_PCAPGEN_DEMO_H

#include "pcapgen-pkt.h"
#include "pcapgen-proto.h"
#include "pcapgen-sink.h"

struct ot_pg_demo {
    struct ot_pg_sink sk;
    struct ot_pg_rng rng;
    uint64_t conversations;
    uint16_t win_port[256]; /* next Windows ephemeral port, by the host's last MAC byte */
    /* the office: 192.168.1.0/24 and fd6f:7461:7375:1::/64 */
    struct ot_pg_host router, router6, fileserver, fileserver6, terminal, printer;
    struct ot_pg_host pc1, pc1_6, pc1_unset, pc2, laptop, laptop6, broadcast;
    /* the Internet, reached through the router */
    struct ot_pg_host web, files, portal, www_org, mail, scanner;
};

/* Base time plus MS milliseconds. */
uint64_t ot_pg_demo_at(uint32_t ms);

/* A TCP conversation from CLI (ephemeral port) to SRV:SPORT starting at T. */
void ot_pg_demo_tcp(struct ot_pg_demo *d, struct ot_pg_tcp *c, struct ot_pg_host *cli,
                    struct ot_pg_host *srv, uint16_t sport, uint64_t t);

/* Send a finished buffer (a builder overflow fails the capture). */
void ot_pg_demo_send(struct ot_pg_demo *d, struct ot_pg_tcp *c, int dir, const struct ot_pg_buf *b,
                     uint32_t delay_us);

/* One message of a conversation; DELAY_US is think time, the server's also adds the RTT. */
struct ot_pg_say {
    int dir;
    uint32_t delay_us;
    const char *text;
    size_t len; /* 0: strlen(text) */
};

/* Play messages in turn with delayed ACKs where nothing else carries them. */
void ot_pg_demo_converse(struct ot_pg_demo *d, struct ot_pg_tcp *c, const struct ot_pg_say *s,
                         size_t n);

/* The TCP applications (pcapgen-demo-apps.c). */
void ot_pg_demo_http(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_http_post(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_http_vlan(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_tls12(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_tls13(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_ssh(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_smb(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_rdp(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_ftp(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_telnet(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_pop3(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_imap(struct ot_pg_demo *d, uint64_t t);
void ot_pg_demo_smtp(struct ot_pg_demo *d, uint64_t t);

#endif
