/*
 * new-device: a device the sensor has never seen before appeared on the home
 * network.
 *
 * The asset inventory (sensor/asset/) decides what "never seen" means (its
 * state file survives restarts) and calls ot_detect_new_device(); this
 * detector only turns that into an alert, so it can be switched off and
 * allowlisted like any other.
 */
#include <stdio.h>
#include <string.h>

#include "detect/detect.h"

extern const struct ot_detector ot_detector_newdev;

static const struct ot_signature sigs[] = {
    {8111001, "New device on the network", 3, "T1200"},
};

void ot_detect_new_device(struct ot_detect *d, const uint8_t mac[6], const struct ot_addr *ip,
                          bool v6, const char *vendor, const char *hostname, uint64_t ts_us)
{
    if (!ot_detect_enabled(d, &ot_detector_newdev))
        return;
    struct ot_alert a;
    ot_alert_init_addrs(&a, &sigs[0], ts_us, ip, NULL, v6, 0, 0, 0);
    char m[18];
    snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
             mac[4], mac[5]);
    ot_alert_str(&a, "mac", m, 17);
    ot_alert_key(&a, m, 17); /* two devices on one address (a new lease) stay two alerts */
    if (vendor && *vendor)
        ot_alert_str(&a, "vendor", vendor, strlen(vendor));
    if (hostname && *hostname)
        ot_alert_str(&a, "hostname", hostname, strlen(hostname));
    ot_detect_alert(d, &ot_detector_newdev, &a);
}

const struct ot_detector ot_detector_newdev = {
    .name = "new-device",
    .family = "new-device",
    .summary = "a device never seen before (by MAC, across runs with the asset state file)",
    .sigs = sigs,
    .n_sigs = sizeof(sigs) / sizeof(sigs[0]),
};
