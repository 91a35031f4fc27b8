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

/* Join dir and name with one '/'. Caller frees. */
char *ck_path_join(const char *dir, const char *name);

#endif
