#include "pcapgen-scenario.h"

#include <string.h>

/*
 * One row per scenario; the functions live in pcapgen-scenario-<family>.c.
 * Keep rows grouped by family.
 */
#define SCENARIO(fn) int fn(struct ot_pg_sink *sk, const struct ot_pg_scenario_args *a)
/* scenario declarations */

const struct ot_pg_scenario ot_pg_scenarios[] = {
    /* scenario rows */
    {NULL, NULL, NULL, 0, NULL},
};

const struct ot_pg_scenario *ot_pg_scenario_find(const char *name)
{
    for (const struct ot_pg_scenario *s = ot_pg_scenarios; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}
