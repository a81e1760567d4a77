/*
 * libFuzzer target for the spool's reading of what it finds on disk after a
 * crash: a segment file and a spool.state, both arbitrary.  The spool must
 * open, hand out only complete, non-empty lines without NUL bytes, in
 * batches within their bounds, and account for every line (sent or
 * dropped); it must never abort or hang.
 *
 * Input: segment bytes, then optionally 0xFF 0xFE and the state file's bytes.
 * Files go to one temp folder per process, emptied for each input.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "otasuke/error.h"
#include "transport/spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void empty_dir(void)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static void put(const char *name, const uint8_t *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        abort();
    if (n && write(fd, p, n) != (ssize_t)n)
        abort();
    close(fd);
}

/* Remove the temp folder when the process ends. */
static void remove_dir(void)
{
    empty_dir();
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ot_log_set_level(OT_LOG_ERROR);
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/ot-fuzz-spool-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    empty_dir();
    size_t seglen = size;
    for (size_t i = 0; i + 1 < size; i++) {
        if (data[i] == 0xFF && data[i + 1] == 0xFE) {
            seglen = i;
            put("spool.state", data + i + 2, size - i - 2);
            break;
        }
    }
    put("0000000007.ndjson", data, seglen);

    struct ot_spool_config cfg = {.dir = dir, .max_bytes = 1 << 20};
    struct ot_spool *sp;
    if (ot_spool_open(&cfg, &sp) != OT_OK)
        abort();
    struct ot_spool_batch b = {0};
    uint32_t max_lines = 1 + (seglen % 7);
    size_t max_bytes = 16 + (seglen % 61);
    for (unsigned guard = 0; guard < 100000; guard++) {
        int rc = ot_spool_read(sp, &b, max_lines, max_bytes);
        if (rc == OT_ENOENT)
            break;
        if (rc != OT_OK)
            abort();
        if (b.lines == 0 || b.lines > max_lines || b.len > max_bytes || b.len == 0 ||
            b.body[b.len - 1] != '\n' || memchr(b.body, '\0', b.len))
            abort();
        for (size_t i = 0, start = 0; i < b.len; i++)
            if (b.body[i] == '\n') {
                if (i == start)
                    abort(); /* an empty line */
                start = i + 1;
            }
        if (ot_spool_ack(sp, &b) != OT_OK)
            abort();
    }
    struct ot_spool_stats st;
    ot_spool_stats(sp, &st);
    if (st.pending_lines != 0)
        abort();
    ot_spool_batch_free(&b);
    ot_spool_close(sp);
    return 0;
}
