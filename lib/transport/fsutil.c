#include "transport/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "otasuke/error.h"

int ot_dir_sync(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return OT_EIO;
    int rc = fsync(fd) == 0 ? OT_OK : OT_EIO;
    close(fd);
    return rc;
}

int ot_dir_ensure(const char *dir, mode_t mode)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? OT_OK : OT_EEXIST;
    if (errno != ENOENT)
        return OT_EIO;
    if (mkdir(dir, mode) != 0 && errno != EEXIST)
        return OT_EIO;
    return OT_OK;
}

/*
 * The temp file has a fixed name (name.tmp): only one writer per file is
 * expected (the spool's consumer, or the one enrolment run).  A stale temp
 * file from a crash is simply overwritten.
 */
/* ot_file_replace() with the step that failed in *what. */
static int replace(const char *dir, const char *name, const void *data, size_t len, mode_t mode,
                   const char **what)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    *what = "path too long";
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
        (size_t)snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name) >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return OT_EIO;
    }
    *what = "creating the temporary file";
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return OT_EIO;
    /* O_CREAT applies the umask and keeps an old file's mode: set it exactly. */
    *what = "writing";
    if (fchmod(fd, mode) != 0 || ot_write_all(fd, data, len) != OT_OK)
        goto out_fail;
    *what = "fsync";
    if (fsync(fd) != 0)
        goto out_fail;
    *what = "closing";
    if (close(fd) != 0) {
        fd = -1;
        goto out_fail;
    }
    fd = -1;
    *what = "renaming into place";
    if (rename(tmp, path) != 0)
        goto out_fail;
    *what = "fsync of the folder";
    return ot_dir_sync(dir);

out_fail:;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = saved;
    return OT_EIO;
}

int ot_file_replace(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
    const char *what;
    return replace(dir, name, data, len, mode, &what);
}

int ot_file_replace_path(const char *path, const void *data, size_t len, mode_t mode,
                         const char **what)
{
    const char *w;
    if (!what)
        what = &w;
    const char *slash = strrchr(path, '/');
    if (!slash)
        return replace(".", path, data, len, mode, what);
    char dir[PATH_MAX];
    size_t dl = slash == path ? 1 : (size_t)(slash - path);
    if (dl >= sizeof(dir)) {
        *what = "path too long";
        errno = ENAMETOOLONG;
        return OT_EIO;
    }
    memcpy(dir, path, dl);
    dir[dl] = '\0';
    return replace(dir, slash + 1, data, len, mode, what);
}

int ot_file_read(const char *path, size_t max, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? OT_ENOENT : OT_EIO;
    int rc = OT_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0)
        goto out_close;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto out_close;
    }
    if ((uint64_t)st.st_size > max) {
        rc = OT_ELIMIT;
        goto out_close;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        rc = OT_ENOMEM;
        goto out_close;
    }
    while (n < cap - 1) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            goto out_close;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    rc = OT_OK;
out_close:
    close(fd);
    return rc;
}
