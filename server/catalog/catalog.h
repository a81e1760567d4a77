/*
 * Message catalogues: every plain-language text shown to a small firm's owner
 * or the provider's staff, in Japanese and English, from
 * server/catalog/messages.<lang>.tsv (compiled into the binary).  Keys are
 * dotted ("incident.ioc.title"); values may hold {name} placeholders.
 *
 * Keys (docs/server/triage.md lists them): incident.<family>.title,
 * .summary and .steps for every family of the triage table (steps are one
 * step per line, separated by '\n'; the API splits them into an array),
 * status.<status>, resolution.<resolution>, severity.<1..3>,
 * correlation.<rule>.  Placeholders: {entity}, {count}, {first_seen},
 * {last_seen}, {severity}.  Returned texts are static; never freed.
 */
#ifndef OT_SERVER_CATALOG_H
#define OT_SERVER_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

/* "ja" or "en" ("en-US", "en_GB" too); anything else falls back to "ja". */
const char *ot_catalog_lang(const char *requested);
/* The raw text for key in lang (falling back to English, then to the key itself). */
const char *ot_catalog_get(const char *lang, const char *key);
/*
 * Formats key's text into buf, replacing {name} with the value of the pair
 * whose name matches (vars: name, value, name, value, ..., NULL).  Returns the
 * length written (truncated to len - 1, at a UTF-8 character boundary).
 * A {name} with no value in vars is left as it is.
 */
size_t ot_catalog_format(const char *lang, const char *key, char *buf, size_t len,
                         const char *const *vars);

/* True when lang's own table has key (no fallback); for tests and checks. */
bool ot_catalog_has(const char *lang, const char *key);
/* Number of keys in lang's table (0 for an unknown language). */
size_t ot_catalog_size(const char *lang);
/* The i-th key of lang's table in key order, NULL past the end. */
const char *ot_catalog_key_at(const char *lang, size_t i);

#endif
