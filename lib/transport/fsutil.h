/*
 * File helpers for the transport: atomic replacement of small files
 * (temp file, fsync, rename, fsync of the folder) and whole-file reads with
 * a bound.  Used for spool.state, enroll.json and ca.pem.
 */
#ifndef OT_TRANSPORT_FSUTIL_H
#define OT_TRANSPORT_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace dir/name with `len` bytes of `data`, created with `mode`: write
 * dir/name.tmp, fsync it, rename it over dir/name, fsync dir.  After a crash
 * either the old or the new content is there, never a mix.  0 or OT_EIO
 * (errno kept).
 */
int ot_file_replace(const char *dir, const char *name, const void *data, size_t len, mode_t mode);
/* The same for a path ("dir/name" or "name"); on failure *what (may be NULL) names the step. */
int ot_file_replace_path(const char *path, const void *data, size_t len, mode_t mode,
                         const char **what /* OUT */);

/*
 * Read all of `path` into a new NUL-terminated buffer the caller frees.
 * OT_ENOENT when missing, OT_ELIMIT when larger than `max`, OT_EIO else.
 */
int ot_file_read(const char *path, size_t max, char **out /* OUT */, size_t *len /* OUT */);

/* fsync a folder (after a rename, create or unlink inside it). */
int ot_dir_sync(const char *dir);

/* Create `dir` with `mode` unless it exists (as a folder). */
int ot_dir_ensure(const char *dir, mode_t mode);

#endif
