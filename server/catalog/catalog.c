/*
 * Message catalogues: look-up and {placeholder} formatting over the tables
 * compiled from messages.<lang>.tsv (catalog-data.h).  Everything returned
 * points into those static tables; nothing here allocates.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/catalog-data.h"

/* The language code served for requested: "en" (or "en-…", "en_…"), else "ja". */
const char *ot_catalog_lang(const char *requested)
{
    if (requested && strncmp(requested, "en", 2) == 0 &&
        (requested[2] == '\0' || requested[2] == '-' || requested[2] == '_'))
        return "en";
    return "ja";
}

/* The table of lang (exact code), or NULL. */
static const struct ot_catalog_table *table_of(const char *lang)
{
    for (size_t i = 0; i < ot_catalog_n_tables; i++)
        if (lang && strcmp(ot_catalog_tables[i].lang, lang) == 0)
            return &ot_catalog_tables[i];
    return NULL;
}

static int cmp_key(const void *key, const void *entry)
{
    return strcmp(key, ((const struct ot_catalog_entry *)entry)->key);
}

/* key's text in table t, or NULL. */
static const char *lookup(const struct ot_catalog_table *t, const char *key)
{
    const struct ot_catalog_entry *e;

    if (!t || !key || t->n == 0)
        return NULL;
    e = bsearch(key, t->entries, t->n, sizeof(*t->entries), cmp_key);
    return e ? e->text : NULL;
}

/* key's text in lang (after ot_catalog_lang), else in English, else key itself. */
const char *ot_catalog_get(const char *lang, const char *key)
{
    const char *s = lookup(table_of(ot_catalog_lang(lang)), key);

    if (!s)
        s = lookup(table_of("en"), key);
    return s ? s : key;
}

/* True when lang's own table (exact code) has key, without falling back. */
bool ot_catalog_has(const char *lang, const char *key)
{
    return lookup(table_of(lang), key) != NULL;
}

/* Entries in lang's table (exact code); 0 for an unknown language. */
size_t ot_catalog_size(const char *lang)
{
    const struct ot_catalog_table *t = table_of(lang);

    return t ? t->n : 0;
}

/* The i-th key (in key order) of lang's table, or NULL past the end. */
const char *ot_catalog_key_at(const char *lang, size_t i)
{
    const struct ot_catalog_table *t = table_of(lang);

    return t && i < t->n ? t->entries[i].key : NULL;
}

/* The value of placeholder name[0..n) in vars, or NULL. */
static const char *var_of(const char *const *vars, const char *name, size_t n)
{
    for (size_t i = 0; vars && vars[i] && vars[i + 1]; i += 2)
        if (strlen(vars[i]) == n && memcmp(vars[i], name, n) == 0)
            return vars[i + 1];
    return NULL;
}

/* Appends s[0..n) to buf at *pos, cutting at a UTF-8 boundary; false once full. */
static bool put(char *buf, size_t len, size_t *pos, const char *s, size_t n)
{
    size_t room = len - 1 - *pos;

    if (n > room) {
        n = room;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
        memcpy(buf + *pos, s, n);
        *pos += n;
        return false;
    }
    memcpy(buf + *pos, s, n);
    *pos += n;
    return true;
}

/* Formats key's text with {name} replaced from vars; see catalog.h. */
size_t ot_catalog_format(const char *lang, const char *key, char *buf, size_t len,
                         const char *const *vars)
{
    const char *p = ot_catalog_get(lang, key);
    size_t pos = 0;

    if (!buf || len == 0)
        return 0;
    while (*p) {
        const char *open = strchr(p, '{'), *close, *val;
        if (!open) {
            put(buf, len, &pos, p, strlen(p));
            break;
        }
        if (!put(buf, len, &pos, p, (size_t)(open - p)))
            break;
        close = strchr(open, '}');
        val = close ? var_of(vars, open + 1, (size_t)(close - open - 1)) : NULL;
        if (!val) { /* not a placeholder we know: keep the brace */
            if (!put(buf, len, &pos, open, 1))
                break;
            p = open + 1;
            continue;
        }
        if (!put(buf, len, &pos, val, strlen(val)))
            break;
        p = close + 1;
    }
    buf[pos] = '\0';
    return pos;
}
