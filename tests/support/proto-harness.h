/*
 * Test and fuzz harness for application parsers: one synthetic flow, the
 * real dispatcher and the real EVE writer (to a temporary file, or /dev/null
 * when fuzzing), with helpers to read the events back (tests only, jansson).
 */
#ifndef OT_TESTS_PROTO_HARNESS_H
#define OT_TESTS_PROTO_HARNESS_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/eve.h"
#include "proto/dispatch.h"

struct ot_harness {
    struct ot_eve eve;
    struct ot_proto_engine pe;
    struct ot_flow flow;
    char path[64];
    uint64_t ts_us;
};

static inline void ot_harness_addr(struct ot_addr *a, const char *ip, bool *v6)
{
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, ip, a->u.b) == 1) {
        *v6 = false;
        return;
    }
    if (inet_pton(AF_INET6, ip, a->u.b) == 1) {
        *v6 = true;
        return;
    }
    abort();
}

/* to_file: write events to a temporary file to read back; else /dev/null. */
static inline int ot_harness_init(struct ot_harness *h, const char *cli, uint16_t cport,
                                  const char *srv, uint16_t sport, uint8_t ipproto, bool to_file)
{
    memset(h, 0, sizeof(*h));
    struct ot_eve_config ec;
    ot_eve_config_defaults(&ec);
    ec.sensor_id = "test-sensor";
    if (to_file) {
        snprintf(h->path, sizeof(h->path), "/tmp/ot-harness-XXXXXX");
        int fd = mkstemp(h->path);
        if (fd < 0)
            return -1;
        close(fd);
        ec.path = h->path;
    } else {
        ec.path = "/dev/null";
    }
    if (ot_eve_open(&h->eve, &ec) != 0)
        return -1;
    struct ot_proto_conf pc;
    ot_proto_conf_defaults(&pc);
    ot_proto_engine_init(&h->pe, &pc, &h->eve);
    ot_harness_addr(&h->flow.cli, cli, &h->flow.v6);
    ot_harness_addr(&h->flow.srv, srv, &h->flow.v6);
    h->flow.cli_port = cport;
    h->flow.srv_port = sport;
    h->flow.ip_proto = ipproto;
    h->flow.flow_id = 1234567;
    h->ts_us = 1700000000000000ULL;
    h->flow.start_us = h->ts_us;
    return 0;
}

static inline void ot_harness_feed(struct ot_harness *h, int dir, const void *data, size_t len)
{
    h->ts_us += 1000;
    h->flow.last_us = h->ts_us;
    ot_proto_on_data(&h->pe, &h->flow, dir, data, (uint32_t)len, 0, h->ts_us);
}

static inline void ot_harness_gap(struct ot_harness *h, int dir, size_t len)
{
    ot_proto_on_data(&h->pe, &h->flow, dir, NULL, (uint32_t)len, OT_DATA_GAP, h->ts_us);
}

/*
 * The next chunk of a fuzz input made of chunks: a header byte h (bit 7 the
 * direction; bit 6 set: the length is (h & 0x3f) << 8 | the next byte, else
 * h & 0x3f), then that many bytes, or what is left.  False at the end.
 */
static inline bool ot_harness_chunk(const uint8_t **data, size_t *size, int *dir,
                                    const uint8_t **chunk, size_t *n)
{
    if (*size == 0)
        return false;
    uint8_t hb = (*data)[0];
    *dir = hb >> 7;
    *n = hb & 0x3f;
    (*data)++;
    (*size)--;
    if (hb & 0x40) {
        if (*size == 0)
            return false;
        *n = (*n << 8) | (*data)[0];
        (*data)++;
        (*size)--;
    }
    if (*n > *size)
        *n = *size;
    *chunk = *data;
    *data += *n;
    *size -= *n;
    return true;
}

/* End the flow, flush and close the writer. */
static inline void ot_harness_finish(struct ot_harness *h)
{
    ot_proto_on_end(&h->pe, &h->flow, h->ts_us);
    ot_eve_close(&h->eve);
}

static inline void ot_harness_cleanup(struct ot_harness *h)
{
    if (h->path[0])
        unlink(h->path);
}

#ifdef OT_HARNESS_JSON
#include <jansson.h>

/* Every event of `event_type` (or all when NULL) written so far, as a JSON array. */
static inline json_t *ot_harness_events(struct ot_harness *h, const char *event_type)
{
    json_t *arr = json_array();
    FILE *fp = fopen(h->path, "r");
    if (!fp)
        return arr;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, fp) > 0) {
        json_error_t err;
        json_t *ev = json_loads(line, JSON_ALLOW_NUL, &err);
        if (!ev) {
            fprintf(stderr, "harness: invalid JSON line: %s (%s)\n", line, err.text);
            abort();
        }
        const char *t = json_string_value(json_object_get(ev, "event_type"));
        if (!event_type || (t && strcmp(t, event_type) == 0))
            json_array_append_new(arr, ev);
        else
            json_decref(ev);
    }
    free(line);
    fclose(fp);
    return arr;
}
#endif

#endif
