/*
 * Message catalogues: every plain-language text shown to a small firm's owner
 * or the provider's staff, in Japanese and English, from
 * server/catalog/messages.<lang>.tsv (compiled into the binary).  Keys are
 * dotted ("incident.ioc.title"); values may hold {name} placeholders.
 */
#ifndef OT_SERVER_CATALOG_H
#define OT_SERVER_CATALOG_H

#include <stddef.h>

/* "ja" or "en"; anything else falls back to "ja". */
const char *ot_catalog_lang(const char *requested);
/* The raw text for key in lang (falling back to English, then to the key itself). */
const char *ot_catalog_get(const char *lang, const char *key);
/*
 * Formats key's text into buf, replacing {name} with the value of the pair
 * whose name matches (vars: name, value, name, value, ..., NULL).  Returns the
 * length written (truncated to len - 1).
 */
size_t ot_catalog_format(const char *lang, const char *key, char *buf, size_t len,
                         const char *const *vars);

#endif
