#include "core/family.h"

#include <string.h>

const char *const ot_families[] = {
    "ioc",
    "scan",
    "bruteforce",
    "exposure",
    "cleartext-credentials",
    "dns-tunnel",
    "dga",
    "beacon",
    "cryptomining",
    "lateral-movement",
    "remote-access-tool",
    "new-device",
    "malware",
    "persistence",
    "privilege",
    "suspicious-process",
};
const size_t ot_family_count = sizeof(ot_families) / sizeof(ot_families[0]);

bool ot_family_known(const char *family)
{
    if (!family)
        return false;
    for (size_t i = 0; i < ot_family_count; i++)
        if (strcmp(ot_families[i], family) == 0)
            return true;
    return false;
}
