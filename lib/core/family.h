/*
 * The alert families: the fixed list of `alert.category` slugs from the
 * design (docs/events/alert.md, /work/shared/DESIGN.md "Event model"), in
 * one place for the sensor, the server and the CLI.
 */
#ifndef OT_CORE_FAMILY_H
#define OT_CORE_FAMILY_H

#include <stdbool.h>
#include <stddef.h>

extern const char *const ot_families[];
extern const size_t ot_family_count;

/* True when `family` is one of ot_families (exact, case-sensitive). */
bool ot_family_known(const char *family);

#endif
