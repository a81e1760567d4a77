/*
 * The compiled message catalogues: catalog-data.c is generated at build time
 * from server/catalog/messages.<lang>.tsv by server/catalog/gen/catalog-gen.c
 * (one table per language, entries sorted by key for bsearch).  Only
 * catalog.c reads these.
 */
#ifndef OT_SERVER_CATALOG_DATA_H
#define OT_SERVER_CATALOG_DATA_H

#include <stddef.h>

struct ot_catalog_entry {
    const char *key;
    const char *text;
};

struct ot_catalog_table {
    const char *lang; /* "en", "ja" */
    const struct ot_catalog_entry *entries;
    size_t n;
};

extern const struct ot_catalog_table ot_catalog_tables[];
extern const size_t ot_catalog_n_tables;

#endif
