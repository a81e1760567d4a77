/*
 * Shared pieces of the transport's HTTP client (libcurl, loaded on first use:
 * transport/curl-dl.h): the once-per-process curl_global_init() and a
 * bounded answer buffer.
 */
#ifndef OT_TRANSPORT_HTTP_H
#define OT_TRANSPORT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Load libcurl and run curl_global_init(CURL_GLOBAL_DEFAULT), once per
 * process (pthread_once).  0, or OT_EIO (libcurl missing: logged).
 */
int ot_http_global_init(void);

/*
 * An answer body, kept up to `max` bytes (always NUL-terminated); the rest
 * is thrown away and `truncated` set.  The owner frees `data`.
 */
struct ot_http_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
    bool truncated;
};

/* CURLOPT_WRITEFUNCTION for an ot_http_buf (CURLOPT_WRITEDATA). */
size_t ot_http_buf_write(char *ptr, size_t size, size_t nmemb, void *userdata);

void ot_http_buf_reset(struct ot_http_buf *b);

#endif
