/*
 * transport/curl-dl: libcurl is not loaded until the transport first needs
 * it (so programs linking the transport do not pay for mapping it and its
 * dependencies at start), then the first call that needs no handle loads it
 * and every entry of the table works.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "transport/curl-dl.h"

static void test_loaded_on_first_use(void **state)
{
    (void)state;
    /* Nothing in this program has used the transport yet: libcurl is not mapped. */
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD);
    assert_null(h);
    /* A call without a handle loads it. */
    struct curl_slist *l = ot_curl.slist_append(NULL, "Accept: application/json");
    assert_non_null(l);
    h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(h);
    dlclose(h); /* the NOLOAD reference only */
    assert_true(ot_curl_load());
    l = ot_curl.slist_append(l, "X-Test: 1");
    assert_non_null(l);
    assert_int_equal(ot_curl.global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    CURL *c = ot_curl.easy_init();
    assert_non_null(c);
    assert_int_equal(ot_curl.easy_setopt(c, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
    assert_int_equal(ot_curl.easy_setopt(c, CURLOPT_HTTPHEADER, l), CURLE_OK);
    assert_int_equal(ot_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L), CURLE_OK);
    /* Port 1 refuses: a real transfer attempt, answered as libcurl answers it. */
    CURLcode r = ot_curl.easy_perform(c);
    assert_int_not_equal(r, CURLE_OK);
    assert_non_null(ot_curl.easy_strerror(r));
    long code = -1;
    assert_int_equal(ot_curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code), CURLE_OK);
    assert_int_equal(code, 0);
    ot_curl.easy_cleanup(c);
    ot_curl.slist_free_all(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loaded_on_first_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
