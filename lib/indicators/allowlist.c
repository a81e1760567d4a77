/*
 * Allowlists (format and semantics in allowlist.h and docs/indicators.md).
 *
 * Rules live in one array in load order; their strings (file names, rule
 * text, domain terms) in one arena addressed by 32-bit offsets.  A query
 * walks the rules and stops at the first that matches, so the answer names
 * the earliest rule, as an operator reading the file would expect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "indicators/allowlist.h"
#include "indicators/ioc-internal.h"
#include "otasuke/error.h"

enum term_kind { T_IP = 1, T_DOMAIN, T_SID };

struct term {
    uint8_t kind;
    bool v6;
    uint8_t plen;
    uint8_t addr[16];
    uint16_t dlen;
    uint32_t dom; /* arena offset of the normalised domain */
    uint32_t sid;
};

struct rule {
    struct term t[2];
    uint8_t nterms;
    uint32_t line;
    uint32_t file; /* arena offsets */
    uint32_t text;
};

struct ot_allowlist {
    struct rule *rules;
    uint32_t n, cap, max;
    char *arena;
    size_t alen, acap;
    uint32_t last_file; /* 0: none yet */
};

int ot_allowlist_new(struct ot_allowlist **out, uint32_t max_rules)
{
    *out = NULL;
    struct ot_allowlist *al = calloc(1, sizeof(*al));
    if (!al)
        return OT_ENOMEM;
    al->max = max_rules ? max_rules : OT_ALLOW_DEFAULT_MAX;
    al->arena = malloc(4096);
    if (!al->arena) {
        free(al);
        return OT_ENOMEM;
    }
    al->acap = 4096;
    al->arena[0] = '\0'; /* offset 0: "" */
    al->alen = 1;
    *out = al;
    return OT_OK;
}

void ot_allowlist_free(struct ot_allowlist *al)
{
    if (!al)
        return;
    free(al->rules);
    free(al->arena);
    free(al);
}

uint32_t ot_allowlist_count(const struct ot_allowlist *al)
{
    return al ? al->n : 0;
}

static int put_str(struct ot_allowlist *al, const char *s, size_t n, uint32_t *off)
{
    if (n + 1 > (size_t)UINT32_MAX - al->alen)
        return OT_ELIMIT;
    if (al->alen + n + 1 > al->acap) {
        size_t cap = al->acap;
        while (cap < al->alen + n + 1)
            cap *= 2;
        if (cap > (size_t)UINT32_MAX)
            cap = UINT32_MAX;
        char *a = realloc(al->arena, cap);
        if (!a)
            return OT_ENOMEM;
        al->arena = a;
        al->acap = cap;
    }
    *off = (uint32_t)al->alen;
    memcpy(al->arena + al->alen, s, n);
    al->arena[al->alen + n] = '\0';
    al->alen += n + 1;
    return OT_OK;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static int parse_sid(const char *s, size_t n, uint32_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 10)
        return OT_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return OT_EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0 || v > UINT32_MAX)
        return OT_EINVAL;
    *out = (uint32_t)v;
    return OT_OK;
}

/* One term: sid:N, an address or network, or a domain.  Domains are stored
 * normalised into dom[] and put in the arena by the caller. */
static int parse_term(const char *s, size_t n, struct term *t, char *dom, char *why, size_t cap)
{
    char q[96];
    memset(t, 0, sizeof(*t));
    ot_ioc_quote_(q, sizeof(q), s, n);
    if (n >= 4 && strncasecmp(s, "sid:", 4) == 0) {
        if (parse_sid(s + 4, n - 4, &t->sid)) {
            snprintf(why, cap, "invalid signature id %s (sid:1 to sid:4294967295)", q);
            return OT_EINVAL;
        }
        t->kind = T_SID;
        return OT_OK;
    }
    char dwhy[OT_IOC_WHY_LEN];
    enum ot_ioc_type type = ot_ioc_detect_(s, n, dwhy, sizeof(dwhy));
    if (type == OT_IOC_IP || type == OT_IOC_CIDR) {
        struct ot_ioc_ipspec ip;
        if (ot_ioc_parse_ipspec_(s, n, false, &ip, why, cap))
            return OT_EINVAL;
        t->kind = T_IP;
        t->v6 = ip.v6;
        t->plen = ip.plen;
        memcpy(t->addr, ip.addr, sizeof(t->addr));
        return OT_OK;
    }
    if (type == OT_IOC_DOMAIN) {
        size_t dlen;
        if (ot_ioc_domain_norm_(s, n, dom, &dlen, why, cap))
            return OT_EINVAL;
        t->kind = T_DOMAIN;
        t->dlen = (uint16_t)dlen;
        return OT_OK;
    }
    if (type == OT_IOC_AUTO)
        snprintf(why, cap,
                 "unknown term %s (expected an address, a network, a domain or sid:NUMBER)", q);
    else
        snprintf(why, cap,
                 "%s is a %s; allowlist terms are addresses, networks, domains and sid:NUMBER", q,
                 ot_ioc_type_name(type));
    return OT_EINVAL;
}

/* Strip a comment: '#' at the start or after a blank. */
static size_t cut_comment(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '#' && (i == 0 || blank(s[i - 1])))
            return i;
    return n;
}

static int intern_file(struct ot_allowlist *al, const char *file, uint32_t *off)
{
    if (!file || !*file) {
        *off = 0;
        return OT_OK;
    }
    if (al->last_file && strcmp(al->arena + al->last_file, file) == 0) {
        *off = al->last_file;
        return OT_OK;
    }
    int rc = put_str(al, file, strlen(file), off);
    if (!rc)
        al->last_file = *off;
    return rc;
}

/* The work of ot_allowlist_add; *added says whether the line held a rule. */
static int add_rule(struct ot_allowlist *al, const char *s, size_t n, const char *file,
                    uint32_t line, bool *added, char *why, size_t cap)
{
    *added = false;
    n = cut_comment(s, n);
    ot_ioc_trim_(&s, &n);
    if (n == 0)
        return OT_OK;
    const char *tok[3];
    size_t tlen[3];
    unsigned nt = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && blank(s[i]))
            i++;
        if (i == n)
            break;
        size_t start = i;
        while (i < n && !blank(s[i]))
            i++;
        if (nt == 2) {
            snprintf(why, cap,
                     "more than two terms (a rule is one term, or two that must both "
                     "match)");
            return OT_EINVAL;
        }
        tok[nt] = s + start;
        tlen[nt++] = i - start;
    }
    struct rule r = {.nterms = (uint8_t)nt, .line = line};
    char dom[2][OT_IOC_DOMAIN_MAX + 1];
    for (unsigned k = 0; k < nt; k++)
        if (parse_term(tok[k], tlen[k], &r.t[k], dom[k], why, cap))
            return OT_EINVAL;
    if (nt == 2 && r.t[0].kind == T_SID && r.t[1].kind == T_SID) {
        snprintf(why, cap, "two sid terms can never both match (an alert has one signature)");
        return OT_EINVAL;
    }
    if (al->n >= al->max) {
        snprintf(why, cap, "the allowlist already holds its maximum of %u rules", al->max);
        return OT_ELIMIT;
    }
    if (al->n == al->cap) {
        uint32_t ncap = al->cap ? (al->cap > al->max / 2 ? al->max : al->cap * 2)
                                : (al->max < 64 ? al->max : 64);
        struct rule *nr = realloc(al->rules, (size_t)ncap * sizeof(*nr));
        if (!nr)
            return OT_ENOMEM;
        al->rules = nr;
        al->cap = ncap;
    }
    int rc = intern_file(al, file, &r.file);
    if (!rc)
        rc = put_str(al, s, n, &r.text);
    for (unsigned k = 0; !rc && k < nt; k++)
        if (r.t[k].kind == T_DOMAIN)
            rc = put_str(al, dom[k], r.t[k].dlen, &r.t[k].dom);
    if (rc) {
        snprintf(why, cap, "%s", rc == OT_ENOMEM ? "out of memory" : "allowlist storage full");
        return rc;
    }
    al->rules[al->n++] = r;
    *added = true;
    return OT_OK;
}

int ot_allowlist_add(struct ot_allowlist *al, const char *text, size_t len, const char *file,
                     uint32_t line, char *why, size_t why_cap)
{
    char local[OT_IOC_WHY_LEN];
    bool added;
    if (!why || why_cap == 0) {
        why = local;
        why_cap = sizeof(local);
    }
    why[0] = '\0';
    if (!al || (!text && len)) {
        snprintf(why, why_cap, "invalid argument");
        return OT_EINVAL;
    }
    if (len > OT_IOC_MAX_LINE) {
        snprintf(why, why_cap, "line longer than %d bytes", OT_IOC_MAX_LINE);
        return OT_EINVAL;
    }
    if (text && memchr(text, '\0', len)) {
        snprintf(why, why_cap, "NUL byte in line");
        return OT_EINVAL;
    }
    return add_rule(al, text ? text : "", len, file, line, &added, why, why_cap);
}

struct load {
    struct ot_allowlist *al;
    struct ot_ioc_reporter rep;
    struct ot_ioc_load_stats *st;
    const char *file;
};

static int allow_line(void *ctx, uint32_t lineno, const char *s, size_t n, bool too_long)
{
    struct load *ld = ctx;
    char why[OT_IOC_WHY_LEN];
    bool added = false;
    int rc;
    ld->st->lines++;
    if (too_long) {
        snprintf(why, sizeof(why), "line longer than %d bytes", OT_IOC_MAX_LINE);
        rc = OT_EINVAL;
    } else if (memchr(s, '\0', n)) {
        snprintf(why, sizeof(why), "NUL byte in line");
        rc = OT_EINVAL;
    } else {
        rc = add_rule(ld->al, s, n, ld->file, lineno, &added, why, sizeof(why));
    }
    if (rc == OT_OK) {
        ld->st->loaded += added;
        return 0;
    }
    ld->st->errors++;
    if (rc == OT_EINVAL) {
        ot_ioc_report_(&ld->rep, lineno, "%s", why);
        return 0;
    }
    ot_ioc_report_(&ld->rep, lineno, "%s; the rest of the file is not loaded", why);
    return rc;
}

static int load(struct ot_allowlist *al, const char *name, const void *data, size_t len,
                const struct ot_ioc_load_opts *opts, struct ot_ioc_load_stats *stats)
{
    struct ot_ioc_load_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    if (!al || !name)
        return OT_EINVAL;
    struct load ld = {.al = al, .st = stats, .file = name};
    ot_ioc_reporter_init_(&ld.rep, name, opts ? opts->report : NULL, opts ? opts->report_ctx : NULL,
                          opts ? opts->max_reports : 0);
    int rc = ot_ioc_read_lines_(name, data, len, allow_line, &ld, &ld.rep);
    ot_ioc_report_end_(&ld.rep);
    return rc;
}

int ot_allowlist_load_file(struct ot_allowlist *al, const char *path,
                           const struct ot_ioc_load_opts *opts, struct ot_ioc_load_stats *stats)
{
    return load(al, path, NULL, 0, opts, stats);
}

int ot_allowlist_load_buffer(struct ot_allowlist *al, const char *name, const void *data,
                             size_t len, const struct ot_ioc_load_opts *opts,
                             struct ot_ioc_load_stats *stats)
{
    if (!data && len)
        return OT_EINVAL;
    return load(al, name, data ? data : "", len, opts, stats);
}

/* Is `name` (any case, maybe a trailing dot) equal to or below `dom`
 * (normalised)? */
static bool name_under(const char *name, const char *dom, size_t dlen)
{
    size_t n = strlen(name);
    if (n && name[n - 1] == '.')
        n--;
    if (n < dlen || strncasecmp(name + n - dlen, dom, dlen) != 0)
        return false;
    return n == dlen || name[n - dlen - 1] == '.';
}

struct alert {
    uint32_t sid;
    const struct ot_allow_addr *addrs;
    size_t n_addrs;
    const char *const *domains;
    size_t n_domains;
};

/* Does term t match item i of the alert (an address or a name, by kind)? */
static bool term_at(const struct ot_allowlist *al, const struct term *t, const struct alert *a,
                    size_t i)
{
    if (t->kind == T_IP)
        return a->addrs[i].addr && a->addrs[i].v6 == t->v6 &&
               ot_ioc_prefix_eq_(t->addr, a->addrs[i].addr, t->v6, t->plen);
    return a->domains[i] && name_under(a->domains[i], al->arena + t->dom, t->dlen);
}

static size_t items(const struct term *t, const struct alert *a)
{
    return t->kind == T_IP ? a->n_addrs : t->kind == T_DOMAIN ? a->n_domains : 0;
}

/* Does t match some item other than `skip` (SIZE_MAX: none skipped)? */
static bool term_any(const struct ot_allowlist *al, const struct term *t, const struct alert *a,
                     size_t skip)
{
    if (t->kind == T_SID)
        return a->sid && a->sid == t->sid;
    for (size_t i = 0; i < items(t, a); i++)
        if (i != skip && term_at(al, t, a, i))
            return true;
    return false;
}

static bool rule_matches(const struct ot_allowlist *al, const struct rule *r, const struct alert *a)
{
    if (r->nterms == 1)
        return term_any(al, &r->t[0], a, SIZE_MAX);
    const struct term *t0 = &r->t[0], *t1 = &r->t[1];
    bool same_class = t0->kind == t1->kind; /* two addresses or two names */
    if (!same_class)
        return term_any(al, t0, a, SIZE_MAX) && term_any(al, t1, a, SIZE_MAX);
    for (size_t i = 0; i < items(t0, a); i++)
        if (term_at(al, t0, a, i) && term_any(al, t1, a, i))
            return true;
    return false;
}

bool ot_allowlist_match(const struct ot_allowlist *al, uint32_t sid,
                        const struct ot_allow_addr *addrs, size_t n_addrs,
                        const char *const *domains, size_t n_domains, struct ot_allow_hit *hit)
{
    if (!al)
        return false;
    struct alert a = {
        .sid = sid,
        .addrs = addrs,
        .n_addrs = addrs ? n_addrs : 0,
        .domains = domains,
        .n_domains = domains ? n_domains : 0,
    };
    for (uint32_t k = 0; k < al->n; k++) {
        const struct rule *r = &al->rules[k];
        if (!rule_matches(al, r, &a))
            continue;
        if (hit) {
            hit->file = al->arena + r->file;
            hit->line = r->line;
            hit->rule = al->arena + r->text;
        }
        return true;
    }
    return false;
}
