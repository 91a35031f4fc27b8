/* Files: whole-file reads with a size cap, atomic replace (temp in the
 * same dir, write, fsync, rename, fsync dir; final mode from the start),
 * directory helpers. */
#ifndef CK_FILEIO_H
#define CK_FILEIO_H

#include <stddef.h>
#include <sys/types.h>
#include "error.h"

/* Read a file into a NUL-terminated buffer. Fails when it exceeds max. */
int ck_file_read(const char *path, size_t max, char **out, size_t *out_len,
		 struct ck_error *err);
/* Atomically replace `path` with `data`, created with `mode`. */
/* Removes the temp files interrupted ck_file_write_atomic calls left in
 * dir (<name>.ck-tmp-<12 hex>, regular, at least min_age_s old; nothing
 * else, no recursion). Returns how many. */
int ck_tmp_sweep(const char *dir, long long min_age_s);
int ck_file_write_atomic(const char *path, const void *data, size_t len,
			 mode_t mode, struct ck_error *err);
/* Atomically replace an existing file keeping its mode and owner (a
 * gateway running as another user must still read its config); a new
 * file gets dflt_mode. */
int ck_file_replace(const char *path, const void *data, size_t len,
		    mode_t dflt_mode, struct ck_error *err);
int ck_file_exists(const char *path);
int ck_dir_exists(const char *path);
/* mkdir -p with mode for the created components. */
int ck_mkdir_p(const char *path, mode_t mode, struct ck_error *err);
/* rm -rf; does not follow symlinks. */
int ck_rm_rf(const char *path, struct ck_error *err);
/* Copy a file byte for byte preserving mode (atomic at the destination). */
int ck_file_copy(const char *src, const char *dst, struct ck_error *err);
/* snprintf into a malloc'd string. */
char *ck_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1 when path is dir or lies below it (component-wise: /a/bc is not
 * under /a/b). */
int ck_path_within(const char *path, const char *dir);

/* Opens path beneath the directory root, resolving it the way the kernel
 * does with openat2(RESOLVE_BENEATH): links inside root are followed, but
 * an absolute link, a ".." above root or a link that leads out of it fails
 * with errno EXDEV. path is relative to root, or absolute and lexically
 * within it. flags as for open(2) (O_CLOEXEC is added; no O_CREAT).
 * Without openat2 (ENOSYS) the same walk is done one component at a time
 * with O_NOFOLLOW and the result checked against realpath(root). Returns
 * an fd or -1 with errno set. */
int ck_open_beneath(const char *root, const char *path, int flags);
/* The same relative to an open directory fd. */
int ck_open_beneath_at(int rootfd, const char *relpath, int flags);
/* ck_file_read of a file opened with ck_open_beneath; a path that leads
 * out of root fails with "<path>: resolves outside <root> (a link leads
 * out of it); not read". root NULL: the file's own directory (only the
 * last component is confined). */
int ck_file_read_beneath(const char *root, const char *path, size_t max,
			 char **out, size_t *out_len, struct ck_error *err);
/* Tests only: 1 forces the component-by-component walk. */
extern int ck_beneath_no_openat2;

/* Join dir and name with one '/'. Caller frees. */
char *ck_path_join(const char *dir, const char *name);

#endif
