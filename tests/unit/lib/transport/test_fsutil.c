/*
 * Whole-file replacement (transport/fsutil.c): the content and mode land,
 * a path with or without a folder, the temporary file does not stay, and a
 * failure names its step.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "otasuke/error.h"
#include "transport/fsutil.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ot-fsutil-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void expect_file(const char *path, const char *text, mode_t mode)
{
    char *got = NULL;
    size_t len = 0;
    assert_int_equal(ot_file_read(path, 1 << 20, &got, &len), OT_OK);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(got, text, len);
    free(got);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, mode);
}

static void test_replace_path(void **state)
{
    (void)state;
    char path[128], tmp[160];
    snprintf(path, sizeof(path), "%s/state.txt", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    const char *what = NULL;
    assert_int_equal(ot_file_replace_path(path, "one\n", 4, 0600, &what), OT_OK);
    expect_file(path, "one\n", 0600);
    assert_int_equal(ot_file_replace_path(path, "two, longer\n", 12, 0640, NULL), OT_OK);
    expect_file(path, "two, longer\n", 0640);
    assert_int_not_equal(access(tmp, F_OK), 0);
    /* A bare name is in the current folder. */
    char cwd[256];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(ot_file_replace_path("bare.txt", "b", 1, 0600, NULL), OT_OK);
    assert_int_equal(chdir(cwd), 0);
    char bare[128];
    snprintf(bare, sizeof(bare), "%s/bare.txt", dir);
    expect_file(bare, "b", 0600);
}

static void test_replace_fails(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/no-such-folder/state.txt", dir);
    const char *what = NULL;
    errno = 0;
    assert_int_equal(ot_file_replace_path(path, "x", 1, 0600, &what), OT_EIO);
    assert_string_equal(what, "creating the temporary file");
    assert_int_equal(errno, ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replace_path),
        cmocka_unit_test(test_replace_fails),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
