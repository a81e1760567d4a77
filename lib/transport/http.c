#include "transport/http.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "transport/curl-dl.h"

#include "otasuke/error.h"

/* The only process-wide state of the transport: libcurl's own initialisation. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init(void)
{
    curl_init_rc = ot_curl.global_init(CURL_GLOBAL_DEFAULT);
}

int ot_http_global_init(void)
{
    pthread_once(&curl_once, curl_init);
    return curl_init_rc == CURLE_OK ? OT_OK : OT_EIO;
}

size_t ot_http_buf_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct ot_http_buf *b = userdata;
    size_t n = size * nmemb;
    size_t room = b->max > b->len ? b->max - b->len : 0;
    size_t take = n < room ? n : room;
    if (take < n)
        b->truncated = true;
    if (take > 0) {
        if (b->len + take + 1 > b->cap) {
            size_t ncap = b->cap ? b->cap : 1024;
            while (ncap < b->len + take + 1)
                ncap *= 2;
            char *nd = realloc(b->data, ncap);
            if (!nd)
                return 0; /* curl fails the transfer: CURLE_WRITE_ERROR */
            b->data = nd;
            b->cap = ncap;
        }
        memcpy(b->data + b->len, ptr, take);
        b->len += take;
        b->data[b->len] = '\0';
    }
    return n;
}

void ot_http_buf_reset(struct ot_http_buf *b)
{
    b->len = 0;
    b->truncated = false;
    if (b->data)
        b->data[0] = '\0';
}
