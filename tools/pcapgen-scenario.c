#include "pcapgen-scenario.h"

#include <string.h>

/*
 * One row per scenario; the functions live in pcapgen-scenario-<family>.c.
 * Keep rows grouped by family.
 */
#define SCENARIO(fn) int fn(struct ot_pg_sink *sk, const struct ot_pg_scenario_args *a)
/* scenario declarations */
/* flows: scan, bruteforce, exposure, lateral-movement (pcapgen-scenario-flows.c) */
SCENARIO(ot_pg_sc_scan_horizontal);
SCENARIO(ot_pg_sc_scan_vertical);
SCENARIO(ot_pg_sc_scan_udp);
SCENARIO(ot_pg_sc_icmp_sweep);
SCENARIO(ot_pg_sc_busy_web_client);
SCENARIO(ot_pg_sc_bruteforce_ssh);
SCENARIO(ot_pg_sc_bruteforce_ssh_success);
SCENARIO(ot_pg_sc_bruteforce_ftp);
SCENARIO(ot_pg_sc_bruteforce_ftp_success);
SCENARIO(ot_pg_sc_bruteforce_rdp);
SCENARIO(ot_pg_sc_bruteforce_http);
SCENARIO(ot_pg_sc_exposure_rdp);
SCENARIO(ot_pg_sc_rdp_outbound);
SCENARIO(ot_pg_sc_lateral_smb);
/* content: dns-tunnel, dga, beacon, cryptomining, remote-access-tool (pcapgen-scenario-content.c) */
SCENARIO(ot_pg_sc_dns_tunnel);
SCENARIO(ot_pg_sc_dns_tunnel_txt);
SCENARIO(ot_pg_sc_dns_benign_cdn);
SCENARIO(ot_pg_sc_dns_benign_dnsbl);
SCENARIO(ot_pg_sc_dga);
SCENARIO(ot_pg_sc_dns_benign_browsing);
SCENARIO(ot_pg_sc_beacon);
SCENARIO(ot_pg_sc_beacon_benign_irregular);
SCENARIO(ot_pg_sc_ntp_periodic);
SCENARIO(ot_pg_sc_stratum);
SCENARIO(ot_pg_sc_jsonrpc_benign);
SCENARIO(ot_pg_sc_mining_pool_names);
SCENARIO(ot_pg_sc_rat_anydesk_sni);
SCENARIO(ot_pg_sc_rat_teamviewer_dns);
SCENARIO(ot_pg_sc_rat_vnc_banner);
SCENARIO(ot_pg_sc_rat_nomachine_banner);
/* assets: new-device (pcapgen-scenario-assets.c) */
SCENARIO(ot_pg_sc_assets_office);

const struct ot_pg_scenario ot_pg_scenarios[] = {
    /* scenario rows */
    /* flows (pcapgen-scenario-flows.c) */
    {"scan-horizontal", "scan", "office hosts probed on 445", 40, ot_pg_sc_scan_horizontal},
    {"scan-vertical", "scan", "TCP ports probed on one host", 100, ot_pg_sc_scan_vertical},
    {"scan-udp", "scan", "UDP ports probed on one host", 100, ot_pg_sc_scan_udp},
    {"icmp-sweep", "scan", "hosts pinged", 50, ot_pg_sc_icmp_sweep},
    {"busy-web-client", "none", "HTTPS connections in 5 minutes", 300, ot_pg_sc_busy_web_client},
    {"bruteforce-ssh", "bruteforce", "short SSH sessions", 40, ot_pg_sc_bruteforce_ssh},
    {"bruteforce-ssh-success", "bruteforce", "short SSH sessions before a long one", 40,
     ot_pg_sc_bruteforce_ssh_success},
    {"bruteforce-ftp", "bruteforce", "failed FTP logins", 20, ot_pg_sc_bruteforce_ftp},
    {"bruteforce-ftp-success", "bruteforce", "failed FTP logins before a good one", 20,
     ot_pg_sc_bruteforce_ftp_success},
    {"bruteforce-rdp", "bruteforce", "short RDP sessions", 40, ot_pg_sc_bruteforce_rdp},
    {"bruteforce-http", "bruteforce", "HTTP Basic requests answered 401", 20,
     ot_pg_sc_bruteforce_http},
    {"exposure-rdp", "exposure", "outside clients answered", 3, ot_pg_sc_exposure_rdp},
    {"rdp-outbound", "none", "RDP sessions to an outside server", 3, ot_pg_sc_rdp_outbound},
    {"lateral-smb", "lateral-movement", "office hosts reached on 445", 20, ot_pg_sc_lateral_smb},
    /* content (pcapgen-scenario-content.c) */
    {"dns-tunnel", "dns-tunnel", "distinct encoded TXT names under one domain", 60,
     ot_pg_sc_dns_tunnel},
    {"dns-tunnel-txt", "dns-tunnel", "distinct names answered with 220-byte TXT", 30,
     ot_pg_sc_dns_tunnel_txt},
    {"dns-benign-cdn", "none", "CDN and video-server look-ups (48 distinct names)", 200,
     ot_pg_sc_dns_benign_cdn},
    {"dns-benign-dnsbl", "none", "mail server DNS-blocklist look-ups", 300,
     ot_pg_sc_dns_benign_dnsbl},
    {"dga", "dga", "generated domains resolved (3 in 4 NXDOMAIN)", 20, ot_pg_sc_dga},
    {"dns-benign-browsing", "none", "look-ups of ordinary sites (64 distinct names)", 200,
     ot_pg_sc_dns_benign_browsing},
    {"beacon", "beacon", "check-ins every 60 s (+-1.5 s) to one outside host", 12,
     ot_pg_sc_beacon},
    {"beacon-benign-irregular", "none", "connections at irregular 15-240 s intervals", 30,
     ot_pg_sc_beacon_benign_irregular},
    {"ntp-periodic", "none", "NTP polls every 64 s", 30, ot_pg_sc_ntp_periodic},
    {"stratum", "cryptomining", "office PCs mining (XMRig login / mining.subscribe) on 3333", 2,
     ot_pg_sc_stratum},
    {"jsonrpc-benign", "none", "non-mining JSON-RPC exchanges on 3333", 6,
     ot_pg_sc_jsonrpc_benign},
    {"mining-pool-names", "cryptomining", "pool look-ups + TLS connections (SNI)", 2,
     ot_pg_sc_mining_pool_names},
    {"rat-anydesk-sni", "remote-access-tool", "AnyDesk relay TLS sessions from one PC", 2,
     ot_pg_sc_rat_anydesk_sni},
    {"rat-teamviewer-dns", "remote-access-tool", "TeamViewer server look-ups from one PC", 3,
     ot_pg_sc_rat_teamviewer_dns},
    {"rat-vnc-banner", "remote-access-tool", "VNC sessions from outside to one office PC", 2,
     ot_pg_sc_rat_vnc_banner},
    {"rat-nomachine-banner", "remote-access-tool", "NoMachine sessions between two office PCs",
     1, ot_pg_sc_rat_nomachine_banner},
    /* assets (pcapgen-scenario-assets.c) */
    {"assets-office", "new-device", "devices named by DHCP, mDNS, NetBIOS, LLMNR, then plain ones",
     4, ot_pg_sc_assets_office},
    {NULL, NULL, NULL, 0, NULL},
};

const struct ot_pg_scenario *ot_pg_scenario_find(const char *name)
{
    for (const struct ot_pg_scenario *s = ot_pg_scenarios; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}
