/* File helpers: capped whole-file reads, atomic replace with fsync of the
 * file and its directory, mkdir -p, rm -rf without following links. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"

int
ck_file_read(const char *path, size_t max, char **out, size_t *out_len,
	     struct ck_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t cap, len = 0;
	ssize_t n;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ck_error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ck_error_set(err, "%s: not a regular file", path);
		goto fail;
	}
	if ((size_t)st.st_size > max) {
		ck_error_set(err, "%s: file is %lld bytes, larger than the %zu byte limit",
			     path, (long long)st.st_size, max);
		goto fail;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		ck_error_set(err, "%s: out of memory", path);
		goto fail;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *grown;

			if (len > max) {
				ck_error_set(err, "%s: file grew past the %zu byte limit",
					     path, max);
				goto fail;
			}
			/* Never read more than one byte past the limit. */
			cap = cap > max / 2 ? max + 2 : cap * 2;
			grown = realloc(buf, cap);
			if (grown == NULL) {
				ck_error_set(err, "%s: out of memory", path);
				goto fail;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ck_error_set(err, "%s: read: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		ck_error_set(err, "%s: larger than the %zu byte limit", path, max);
		goto fail;
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	if (out_len != NULL)
		*out_len = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc;

	if (copy == NULL)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_atomic_owned(const char *path, const void *data, size_t len,
			      mode_t mode, uid_t uid, gid_t gid, struct ck_error *err);

int
ck_file_write_atomic(const char *path, const void *data, size_t len,
		     mode_t mode, struct ck_error *err)
{
	return write_atomic_owned(path, data, len, mode, (uid_t)-1, (gid_t)-1, err);
}

int
ck_file_replace(const char *path, const void *data, size_t len, mode_t dflt_mode,
		struct ck_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return write_atomic_owned(path, data, len, dflt_mode, (uid_t)-1,
					  (gid_t)-1, err);
	return write_atomic_owned(path, data, len, st.st_mode & 07777, st.st_uid,
				  st.st_gid, err);
}

static int
write_atomic_owned(const char *path, const void *data, size_t len, mode_t mode,
		   uid_t uid, gid_t gid, struct ck_error *err)
{
	char tmp[PATH_MAX];
	uint8_t rnd[6];
	char rhex[13];
	int fd;

	if (ck_random_bytes(rnd, sizeof(rnd)) < 0) {
		ck_error_set(err, "%s: no random bytes for a temp name", path);
		return -1;
	}
	ck_hex_encode(rnd, sizeof(rnd), rhex);
	if (snprintf(tmp, sizeof(tmp), "%s.ck-tmp-%s", path, rhex) >= (int)sizeof(tmp)) {
		ck_error_set(err, "%s: path too long", path);
		return -1;
	}
	/* Created with the final mode: the file is never briefly readable by
	 * others, whatever the umask had allowed. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		ck_error_set(err, "%s: create: %s", tmp, strerror(errno));
		return -1;
	}
	/* Same owner as the file it replaces (as root); a plain user can only
	 * keep its own, which is then already right. */
	if (uid != (uid_t)-1 && fchown(fd, uid, gid) < 0 && errno != EPERM) {
		ck_error_set(err, "%s: chown: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		ck_error_set(err, "%s: write: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0) {
		ck_error_set(err, "%s: close: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		ck_error_set(err, "%s: rename: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (fsync_dir_of(path) < 0) {
		ck_error_set(err, "%s: fsync of the directory: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
ck_file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int
ck_dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
ck_mkdir_p(const char *path, mode_t mode, struct ck_error *err)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		ck_error_set(err, "mkdir: bad path length (%zu)", len);
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST) {
			ck_error_set(err, "%s: mkdir: %s", buf, strerror(errno));
			return -1;
		}
		if (i < len)
			buf[i] = '/';
	}
	if (!ck_dir_exists(path)) {
		ck_error_set(err, "%s: exists and is not a directory", path);
		return -1;
	}
	return 0;
}

int
ck_rm_rf(const char *path, struct ck_error *err)
{
	struct stat st;
	struct dirent *de;
	DIR *dir;
	int rc = 0;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		ck_error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0) {
			ck_error_set(err, "%s: unlink: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	dir = opendir(path);
	if (dir == NULL) {
		ck_error_set(err, "%s: opendir: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		char *child;

		de = readdir(dir);
		if (de == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = ck_path_join(path, de->d_name);
		if (child == NULL || ck_rm_rf(child, err) < 0)
			rc = -1;
		free(child);
	}
	closedir(dir);
	if (rmdir(path) < 0) {
		ck_error_set(err, "%s: rmdir: %s", path, strerror(errno));
		return -1;
	}
	return rc;
}

int
ck_file_copy(const char *src, const char *dst, struct ck_error *err)
{
	struct stat st;
	char *data;
	size_t len;
	int rc;

	if (stat(src, &st) < 0) {
		ck_error_set(err, "%s: %s", src, strerror(errno));
		return -1;
	}
	if (ck_file_read(src, (size_t)1 << 30, &data, &len, err) < 0)
		return -1;
	rc = ck_file_write_atomic(dst, data, len, st.st_mode & 07777, err);
	free(data);
	return rc;
}

char *
ck_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *out;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&out, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : out;
}

char *
ck_path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir);

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	return ck_strdup_printf("%.*s/%s", (int)dl, dir, name);
}

int
ck_path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}
