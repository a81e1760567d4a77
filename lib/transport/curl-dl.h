/*
 * libcurl for the transport (sender, enrolment), loaded when first needed.
 *
 * Linked the usual way, libcurl and the 35 libraries it pulls in (TLS
 * stacks, Kerberos, LDAP, SSH, ...) are mapped and relocated at every start
 * of every program that links the transport (8 ms for an empty program
 * linked against them; 3.8 ms of the sensor's 27 ms start-up here), for a
 * run that never talks to a server.  So the
 * transport calls libcurl through this table, which ot_curl_load() fills
 * from libcurl.so.4 (dlopen) the first time a sender or an enrolment needs
 * it; the programs stay linked only against what every run uses.
 *
 * Calls that take no handle (global_init, easy_init, slist_append,
 * easy_strerror, slist_free_all) load the library themselves and fail as
 * libcurl would when it cannot be loaded (NULL, CURLE_FAILED_INIT); the
 * others take a handle, which only a loaded library can have given out.
 */
#ifndef OT_TRANSPORT_CURL_DL_H
#define OT_TRANSPORT_CURL_DL_H

#include <stdbool.h>

#include <curl/curl.h>

struct ot_curl_fns {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
};

extern struct ot_curl_fns ot_curl;

/*
 * Load libcurl once (thread-safe); false when it cannot be (logged, with
 * dlerror()'s reason).  The environment variable OT_LIBCURL, when set,
 * names the library to load instead of libcurl.so.4.
 */
bool ot_curl_load(void);

#endif
