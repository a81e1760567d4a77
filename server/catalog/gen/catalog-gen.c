/*
 * catalog-gen: compiles message catalogues (TSV) into C for the server, at
 * build time, so the server needs no data files.
 *
 *   catalog-gen OUT.c LANG=FILE.tsv [LANG=FILE.tsv ...]
 *
 * A catalogue line is `key<TAB>text`; empty lines and lines starting with
 * `#` are skipped.  Keys are [a-z0-9._-]; the text may use \n (new line),
 * \t and \\ escapes and {name} placeholders ([a-z_]).  Any other backslash,
 * a malformed placeholder, a duplicate key, a line without a TAB, invalid
 * UTF-8 or a line over 8 KiB is an error reported as file:line, and the
 * build stops.  This is a build tool: it may exit.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 8192
#define ENTRIES_MAX    4096

struct entry {
    char *key;
    char *text; /* escapes undone */
};

struct cat {
    const char *lang;
    const char *path;
    struct entry *e;
    size_t n;
};

/* Prints file:line: reason and reports failure. */
static int fail(const char *path, unsigned line, const char *why)
{
    fprintf(stderr, "%s:%u: %s\n", path, line, why);
    return -1;
}

/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i], need, min, cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            need = 1, min = 0x80, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            need = 2, min = 0x800, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            need = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + need >= n)
            return false;
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += need + 1;
    }
    return true;
}

static bool key_ok(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '.' || *k == '_' ||
              *k == '-'))
            return false;
    return true;
}

/* Undoes the escapes of text in place; checks placeholders.  NULL or the reason. */
static const char *unescape(char *text)
{
    char *r = text, *w = text;

    while (*r) {
        if (*r == '\\') {
            r++;
            if (*r == 'n')
                *w++ = '\n';
            else if (*r == 't')
                *w++ = '\t';
            else if (*r == '\\')
                *w++ = '\\';
            else
                return "unknown escape (only \\n, \\t and \\\\)";
            r++;
            continue;
        }
        if (*r == '{') {
            const char *p = r + 1;
            while ((*p >= 'a' && *p <= 'z') || *p == '_')
                p++;
            if (p == r + 1 || *p != '}')
                return "malformed placeholder (want {name}, name of a-z and _)";
        }
        *w++ = *r++;
    }
    *w = '\0';
    return NULL;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

/* Reads one catalogue into c; -1 after printing file:line and the reason. */
static int load(struct cat *c)
{
    char line[LINE_MAX_BYTES + 2];
    unsigned lineno = 0;
    FILE *f = fopen(c->path, "r");
    int rc = 0;

    if (!f) {
        fprintf(stderr, "%s: %s\n", c->path, strerror(errno));
        return -1;
    }
    c->e = calloc(ENTRIES_MAX, sizeof(*c->e));
    if (!c->e) {
        fclose(f);
        return fail(c->path, 0, "out of memory");
    }
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        char *tab;
        const char *why;

        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        else if (!feof(f)) {
            rc = fail(c->path, lineno, "line longer than 8192 bytes");
            break;
        }
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        if (!utf8_ok((const unsigned char *)line, len)) {
            rc = fail(c->path, lineno, "not valid UTF-8");
            break;
        }
        tab = strchr(line, '\t');
        if (!tab) {
            rc = fail(c->path, lineno, "no TAB between key and text");
            break;
        }
        *tab = '\0';
        if (!key_ok(line)) {
            rc = fail(c->path, lineno, "bad key (want [a-z0-9._-]+)");
            break;
        }
        if (!tab[1]) {
            rc = fail(c->path, lineno, "empty text");
            break;
        }
        why = unescape(tab + 1);
        if (why) {
            rc = fail(c->path, lineno, why);
            break;
        }
        for (size_t i = 0; i < c->n && rc == 0; i++)
            if (strcmp(c->e[i].key, line) == 0)
                rc = fail(c->path, lineno, "duplicate key");
        if (rc)
            break;
        if (c->n == ENTRIES_MAX) {
            rc = fail(c->path, lineno, "more than 4096 entries");
            break;
        }
        c->e[c->n].key = strdup(line);
        c->e[c->n].text = strdup(tab + 1);
        if (!c->e[c->n].key || !c->e[c->n].text) {
            free(c->e[c->n].key);
            free(c->e[c->n].text);
            rc = fail(c->path, lineno, "out of memory");
            break;
        }
        c->n++;
    }
    if (rc == 0 && ferror(f))
        rc = fail(c->path, lineno, "read error");
    fclose(f);
    if (rc == 0)
        qsort(c->e, c->n, sizeof(*c->e), by_key);
    return rc;
}

/* Writes s as a C string literal (octal escapes: never joined with a following digit). */
static void put_str(FILE *o, const char *s)
{
    fputc('"', o);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(o, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", o);
        else if (*p < 0x20 || *p == 0x7f || *p == '?')
            fprintf(o, "\\%03o", *p); /* '?' too: no trigraphs */
        else
            fputc(*p, o);
    }
    fputc('"', o);
}

static int emit(const char *out, struct cat *cats, size_t n)
{
    FILE *o = fopen(out, "w");

    if (!o) {
        fprintf(stderr, "%s: %s\n", out, strerror(errno));
        return -1;
    }
    fprintf(o, "/* Generated by server/catalog/gen/catalog-gen.c: do not edit. */\n");
    fprintf(o, "#include \"catalog/catalog-data.h\"\n\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(o, "/* %s */\nstatic const struct ot_catalog_entry entries_%zu[] = {\n",
                cats[i].path, i);
        for (size_t k = 0; k < cats[i].n; k++) {
            fputs("    {", o);
            put_str(o, cats[i].e[k].key);
            fputs(", ", o);
            put_str(o, cats[i].e[k].text);
            fputs("},\n", o);
        }
        if (cats[i].n == 0)
            fputs("    {0, 0},\n", o);
        fputs("};\n\n", o);
    }
    fputs("const struct ot_catalog_table ot_catalog_tables[] = {\n", o);
    for (size_t i = 0; i < n; i++) {
        fputs("    {", o);
        put_str(o, cats[i].lang);
        fprintf(o, ", entries_%zu, %zu},\n", i, cats[i].n);
    }
    fprintf(o, "};\nconst size_t ot_catalog_n_tables = %zu;\n", n);
    if (fclose(o) != 0) {
        fprintf(stderr, "%s: write failed\n", out);
        return -1;
    }
    return 0;
}

static void free_cats(struct cat *cats, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < cats[i].n; k++) {
            free(cats[i].e[k].key);
            free(cats[i].e[k].text);
        }
        free(cats[i].e);
    }
    free(cats);
}

int main(int argc, char **argv)
{
    struct cat *cats;
    size_t n = 0;
    int rc = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: catalog-gen OUT.c LANG=FILE.tsv [LANG=FILE.tsv ...]\n");
        return 2;
    }
    cats = calloc((size_t)argc, sizeof(*cats));
    if (!cats)
        return 1;
    for (int i = 2; i < argc && rc == 0; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            fprintf(stderr, "catalog-gen: want LANG=FILE, got \"%s\"\n", argv[i]);
            rc = -1;
            break;
        }
        *eq = '\0';
        cats[n].lang = argv[i];
        cats[n].path = eq + 1;
        rc = load(&cats[n]);
        n++;
    }
    if (rc == 0)
        rc = emit(argv[1], cats, n);
    if (rc != 0)
        remove(argv[1]);
    free_cats(cats, n);
    return rc == 0 ? 0 : 1;
}
