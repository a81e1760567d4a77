#include "transport/curl-dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define LIBCURL "libcurl.so.4" /* the soname Debian's libcurl4 packages install */

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;

/* Until the library is loaded: the calls that need no handle load it first. */
static CURLcode first_global_init(long flags)
{
    return ot_curl_load() ? ot_curl.global_init(flags) : CURLE_FAILED_INIT;
}

static CURL *first_easy_init(void)
{
    return ot_curl_load() ? ot_curl.easy_init() : NULL;
}

static const char *first_easy_strerror(CURLcode code)
{
    return ot_curl_load() ? ot_curl.easy_strerror(code) : "libcurl could not be loaded";
}

static struct curl_slist *first_slist_append(struct curl_slist *list, const char *s)
{
    return ot_curl_load() ? ot_curl.slist_append(list, s) : NULL;
}

static void first_slist_free_all(struct curl_slist *list)
{
    if (list && ot_curl_load())
        ot_curl.slist_free_all(list);
}

struct ot_curl_fns ot_curl = {
    .global_init = first_global_init,
    .easy_init = first_easy_init,
    .easy_strerror = first_easy_strerror,
    .slist_append = first_slist_append,
    .slist_free_all = first_slist_free_all,
};

/* dlsym() into a function pointer of any type (the cast through memcpy is the portable one). */
#define SYM(field, name)                                                                           \
    do {                                                                                           \
        void *p_ = dlsym(h, name);                                                                 \
        if (!p_)                                                                                   \
            goto missing;                                                                          \
        memcpy(&fns.field, &p_, sizeof(p_));                                                       \
    } while (0)

static void load(void)
{
    /* OT_LIBCURL names another build of libcurl (tests use a name that does not exist). */
    const char *name = getenv("OT_LIBCURL");
    if (!name || !name[0])
        name = LIBCURL;
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        ot_err("cannot load %s (Debian package libcurl4): %s", name, dlerror());
        return;
    }
    struct ot_curl_fns fns;
    SYM(global_init, "curl_global_init");
    SYM(easy_init, "curl_easy_init");
    SYM(easy_setopt, "curl_easy_setopt");
    SYM(easy_perform, "curl_easy_perform");
    SYM(easy_getinfo, "curl_easy_getinfo");
    SYM(easy_cleanup, "curl_easy_cleanup");
    SYM(easy_strerror, "curl_easy_strerror");
    SYM(slist_append, "curl_slist_append");
    SYM(slist_free_all, "curl_slist_free_all");
    ot_curl = fns;
    loaded = true;
    return; /* the library stays loaded for the life of the process */
missing:
    ot_err("%s: %s", name, dlerror());
    dlclose(h);
}

bool ot_curl_load(void)
{
    pthread_once(&load_once, load);
    return loaded;
}
