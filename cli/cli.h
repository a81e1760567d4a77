/*
 * otasuke, the admin CLI: a client of the server's REST API (docs/api.md).
 *
 * The program is split so its pieces can be unit-tested without a server:
 *   cli-args.c      command line → struct ot_cli_args (no I/O), durations,
 *                   dates, language;
 *   cli-table.c     aligned tables that count East Asian wide characters as
 *                   two columns and neutralise control characters;
 *   cli-http.c      one libcurl handle: admin key, CA, bounded answers;
 *   cli-commands.c  the command table, help texts and dispatch;
 *   cli-cmd-*.c     one file per command group.
 * main.c only calls ot_cli_main().
 *
 * Exit codes (docs/cli.md): 0 done, 1 usage or local problem (bad option,
 * unreadable key file), 2 the server refused (its reason is printed) or
 * answered something that is not the documented JSON, 3 cannot connect
 * (network, TLS).
 */
#ifndef OT_CLI_H
#define OT_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum ot_cli_exit {
    OT_CLI_EXIT_OK = 0,
    OT_CLI_EXIT_USAGE = 1,
    OT_CLI_EXIT_REFUSED = 2,
    OT_CLI_EXIT_CONNECT = 3,
};

#define OT_CLI_DEFAULT_SERVER "https://127.0.0.1:8443"
#define OT_CLI_DEFAULT_DATA   "./otasuke-data"
#define OT_CLI_MAX_WORDS      8 /* positional words: group, verb and its arguments */

/* Command options (those that are not global).  One bit each in ot_cli_args.seen. */
enum ot_cli_opt {
    OT_OPT_CUSTOMER = 0,
    OT_OPT_SITE,
    OT_OPT_TTL,
    OT_OPT_STATUS,
    OT_OPT_RESOLUTION,
    OT_OPT_NOTE,
    OT_OPT_ACTOR,
    OT_OPT_SINCE,
    OT_OPT_NAME,
    OT_OPT_SID,
    OT_OPT_FAMILY,
    OT_OPT_SRC,
    OT_OPT_DEST,
    OT_OPT_LIMIT,
    OT_OPT_COUNT_
};
#define OT_OPT_BIT(o) (1u << (o))

/*
 * The parsed command line.  Every string points into argv (nothing is
 * allocated); the struct lives as long as argv does.
 */
struct ot_cli_args {
    /* global options */
    const char *server;   /* --server URL */
    const char *data;     /* --data DIR */
    const char *key_file; /* --key-file FILE (default DATA/admin.key) */
    const char *ca;       /* --ca FILE (default DATA/ca.pem when it exists) */
    const char *lang;     /* "ja" or "en" */
    bool json;            /* --json: print the server's answer as it came */
    bool help;            /* --help / -h anywhere */
    bool version;         /* --version */
    /* the command: positional words in order ("incident", "set", "7", "resolved") */
    const char *words[OT_CLI_MAX_WORDS];
    unsigned nwords;
    /* command options */
    const char *opt[OT_OPT_COUNT_];
    unsigned seen; /* OT_OPT_BIT of each command option given */
};

/*
 * Parses argv (argv[0] is the program).  Global and command options may come
 * anywhere, as "--opt VALUE" or "--opt=VALUE"; "--" ends the options.
 * env_lang is the locale from the environment (LC_ALL, LC_MESSAGES or LANG,
 * first set wins; NULL = none) for the --lang default.  On a usage error
 * returns OT_EINVAL with a one-line reason in err.
 */
int ot_cli_parse(int argc, char **argv, const char *env_lang, struct ot_cli_args *out /* OUT */,
                 char *err, size_t errlen);
/* The long name of a command option ("customer" for OT_OPT_CUSTOMER). */
const char *ot_cli_opt_name(enum ot_cli_opt o);
/* "ja" when the locale string starts with "ja" (ja_JP.UTF-8, ja), else "en". */
const char *ot_cli_lang_from_locale(const char *locale);
/* The locale the environment asks for: LC_ALL, else LC_MESSAGES, else LANG (NULL: none). */
const char *ot_cli_env_locale(void);

/* "24h", "30m", "7d", "90s", "3600" (seconds) → seconds in [60, 30 days]. */
int ot_cli_parse_ttl(const char *s, int64_t *secs /* OUT */);
/*
 * A --since value → RFC 3339 UTC text in out (≥ 32 bytes): "2026-01-31"
 * (midnight UTC), "2026-01-31T10:00:00Z" or with an offset, or a duration
 * back from now ("7d", "12h").  now is seconds since the epoch.
 */
int ot_cli_parse_since(const char *s, int64_t now, char *out, size_t len);
/* A whole positive id ("12") → 12; OT_EINVAL for anything else. */
int ot_cli_parse_id(const char *s, int64_t *id /* OUT */);
/* One of new, acknowledged, in_progress (or in-progress), resolved → the API's spelling. */
const char *ot_cli_status_name(const char *s, bool allow_open);

/* ---- tables ---- */

#define OT_TABLE_MAX_COLS 12
#define OT_TABLE_MAX_ROWS 100000 /* rows beyond are counted, not kept */

/*
 * A table of text cells printed with aligned columns.  Cells are copied,
 * with control characters replaced (so a hostile customer name cannot move
 * the cursor or forge lines) and cut to the column's maxw display columns
 * with "…".  The table owns its cells; ot_cli_table_free() releases them.
 */
struct ot_cli_table {
    unsigned ncols;
    const char *head[OT_TABLE_MAX_COLS];
    unsigned maxw[OT_TABLE_MAX_COLS]; /* 0 = no limit */
    bool right[OT_TABLE_MAX_COLS];    /* right-align (numbers) */
    char **cells;                     /* nrows * ncols */
    size_t nrows, cap;
    size_t max_rows; /* OT_TABLE_MAX_ROWS unless the caller lowers it */
    size_t dropped;  /* rows refused because max_rows was reached */
};

/* head: ncols column titles (static strings, not copied). */
int ot_cli_table_init(struct ot_cli_table *t, const char *const *head, unsigned ncols);
/* Appends one row of ncols cells (NULL or empty cell = "-").  OT_ELIMIT (counted) past max_rows. */
int ot_cli_table_add(struct ot_cli_table *t, const char *const *cells);
/* Prints the header line and the rows; then "(N more rows not shown)" when some were dropped. */
int ot_cli_table_print(const struct ot_cli_table *t, FILE *fp);
void ot_cli_table_free(struct ot_cli_table *t);

/* Columns a terminal uses for UTF-8 text s (wide CJK = 2, controls as their replacement). */
size_t ot_cli_text_width(const char *s);
/*
 * Copies s into out (len bytes) with C0/C1 controls and DEL replaced by '?',
 * cut to at most maxw display columns (0 = no limit) with "…" at the cut.
 * Invalid UTF-8 bytes become '?'.  Returns the display width written.
 */
size_t ot_cli_text_clean(const char *s, unsigned maxw, char *out, size_t len);
/* "2026-11-26T01:14:23.123456Z" → "2026-11-26 01:14:23"; NULL or "" → "-". */
const char *ot_cli_time_short(const char *rfc3339, char *buf, size_t len);

/* ---- HTTP ---- */

#define OT_CLI_MAX_ANSWER (64u << 20) /* bytes of one answer kept; more is an error */

struct ot_cli_http;

/*
 * The connection settings resolved from the arguments: reads the admin key
 * (first line of key_file, at most 256 bytes), checks the CA file.  Writes a
 * reason into err and returns OT_ENOENT / OT_EINVAL when it cannot.
 */
int ot_cli_http_new(const struct ot_cli_args *a, struct ot_cli_http **out /* OUT */, char *err,
                    size_t errlen);
void ot_cli_http_free(struct ot_cli_http *h);

/* One exchange with the server. */
struct ot_cli_answer {
    long status; /* HTTP status, 0 when no answer came */
    char *body;  /* NUL-terminated, owned (free()) */
    size_t len;
    json_t *json; /* parsed body when it is JSON, else NULL (owned) */
};
void ot_cli_answer_free(struct ot_cli_answer *ans);

/*
 * Sends method path (path starts with "/api/v1/", query included) with an
 * optional JSON body.  Returns OT_OK when the server answered (any status),
 * OT_EIO when it could not be reached (reason in err).
 */
int ot_cli_http_call(struct ot_cli_http *h, const char *method, const char *path,
                     const json_t *body, struct ot_cli_answer *ans /* OUT */, char *err,
                     size_t errlen);
/* The base URL in use ("https://127.0.0.1:8443"), for messages. */
const char *ot_cli_http_url(const struct ot_cli_http *h);

/* ---- commands ---- */

/* What a command runs with. */
struct ot_cli_ctx {
    const struct ot_cli_args *args;
    struct ot_cli_http *http;
    FILE *out;  /* results */
    FILE *err;  /* reasons */
    bool quiet; /* set around look-ups whose answers --json must not print */
};

/*
 * Calls the server and checks the status: on success (2xx, and a JSON body
 * unless expect_json is false) returns OT_CLI_EXIT_OK with *ans filled;
 * otherwise prints the reason (the server's "error" text, or why it could
 * not be reached) and returns the exit code.  With --json a successful
 * answer is printed as it came.
 */
int ot_cli_call(struct ot_cli_ctx *c, const char *method, const char *path, const json_t *body,
                bool expect_json, struct ot_cli_answer *ans /* OUT */);
/* Prints "otasuke: " and a message on c->err; returns code (for "return ot_cli_fail(...)"). */
int ot_cli_fail(struct ot_cli_ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A member as text for a table cell: strings as they are, integers in decimal, null → "-". */
const char *ot_cli_jstr(const json_t *obj, const char *key, char *buf, size_t len);
/*
 * A customer given by id ("12") or by exact name ("Tanaka Shoten", looked up
 * in the customer list).  Prints the reason and returns the exit code when
 * there is no such customer.
 */
int ot_cli_customer_id(struct ot_cli_ctx *c, const char *text, int64_t *id /* OUT */);
/*
 * With --customer, appends "customer=ID" to path's query (the server then
 * answers 404 for another customer's object); without, leaves path alone.
 * Returns an exit code like ot_cli_customer_id().
 */
int ot_cli_scope(struct ot_cli_ctx *c, char *path, size_t len);
/* The items array of a list answer, or NULL (with a message) when the answer has none. */
const json_t *ot_cli_items(struct ot_cli_ctx *c, const struct ot_cli_answer *ans);

/*
 * Prints the list answer's items as a table: column i is titled head[i] and
 * shows member keys[i] (members ending in "_at" or named "last_seen" as short
 * UTC times); bit i of right_mask right-aligns column i.  Nothing is printed
 * with --json (ot_cli_call already printed the answer).
 */
int ot_cli_print_items(struct ot_cli_ctx *c, const struct ot_cli_answer *ans,
                       const char *const *head, const char *const *keys, unsigned ncols,
                       unsigned right_mask);
/* True for a family slug of docs (alert.category): ioc, scan, bruteforce, ... */
bool ot_cli_family_known(const char *family);

int ot_cli_cmd_customer_add(struct ot_cli_ctx *c);
int ot_cli_cmd_customer_list(struct ot_cli_ctx *c);
int ot_cli_cmd_site_add(struct ot_cli_ctx *c);
int ot_cli_cmd_site_list(struct ot_cli_ctx *c);
int ot_cli_cmd_token_create(struct ot_cli_ctx *c);
int ot_cli_cmd_device_list(struct ot_cli_ctx *c);
int ot_cli_cmd_device_revoke(struct ot_cli_ctx *c);
int ot_cli_cmd_incident_list(struct ot_cli_ctx *c);
int ot_cli_cmd_incident_show(struct ot_cli_ctx *c);
int ot_cli_cmd_incident_set(struct ot_cli_ctx *c);
int ot_cli_cmd_funnel(struct ot_cli_ctx *c);
int ot_cli_cmd_suppress_add(struct ot_cli_ctx *c);
int ot_cli_cmd_suppress_list(struct ot_cli_ctx *c);
int ot_cli_cmd_suppress_delete(struct ot_cli_ctx *c);

/* One row of the command table. */
struct ot_cli_cmd {
    const char *group; /* "customer" */
    const char *verb;  /* "add"; NULL for a one-word command ("funnel") */
    const char *args;  /* positional arguments for the usage line ("NAME") */
    unsigned nargs;    /* how many */
    unsigned opts;     /* OT_OPT_BITs it accepts */
    unsigned required; /* OT_OPT_BITs it needs */
    const char *usage; /* the options part of the usage line */
    const char *help;  /* what it does, one sentence */
    int (*run)(struct ot_cli_ctx *c);
};

/*
 * Finds the command named by the words; NULL when there is none (*group_only
 * set when the first word names a group, so its verbs can be listed).
 */
const struct ot_cli_cmd *ot_cli_find(const struct ot_cli_args *a, bool *group_only /* OUT */);
/*
 * Checks the words and options against the command's row; returns OT_EINVAL
 * with the reason in err on a mismatch.
 */
int ot_cli_check(const struct ot_cli_cmd *cmd, const struct ot_cli_args *a, char *err,
                 size_t errlen);
/* The whole program: parse, dispatch, exit code. */
int ot_cli_main(int argc, char **argv, FILE *out, FILE *err);

#endif
