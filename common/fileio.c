/* File helpers: capped whole-file reads, atomic replace with fsync of the
 * file and its directory, mkdir -p, rm -rf without following links, and
 * opens confined beneath a directory (an instance's files are read through
 * those, so a link planted in an instance cannot lead a read out of it). */
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
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/log.h"
#include "clawkeeper/hash.h"

#define BENEATH_MAX_LINKS 40   /* the kernel's own MAXSYMLINKS */
#define BENEATH_MAX_DEPTH 256

int ck_beneath_no_openat2;

static int
read_fd(int fd, const char *path, size_t max, char **out, size_t *out_len,
	struct ck_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t cap, len = 0;
	ssize_t n;

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

int
ck_file_read(const char *path, size_t max, char **out, size_t *out_len,
	     struct ck_error *err)
{
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ck_error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	return read_fd(fd, path, max, out, out_len, err);
}

/* ---- opening beneath a directory ---- */

static int
openat2_beneath(int rootfd, const char *relpath, int flags)
{
	struct open_how how;
	long fd;
	int tries;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	/* EAGAIN: a rename raced a ".." resolution; the kernel asks again. */
	for (tries = 0; tries < 8; tries++) {
		fd = syscall(SYS_openat2, rootfd, relpath, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return (int)fd;
}

/* Belt and braces for the walk below: where the fd really is must lie
 * within where root really is (skipped when /proc is not mounted). */
static int
fd_within(int fd, int rootfd)
{
	char link[64], real[PATH_MAX], rreal[PATH_MAX];
	ssize_t n, rn;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", rootfd);
	rn = readlink(link, rreal, sizeof(rreal) - 1);
	if (n < 0 || rn < 0)
		return 1;
	real[n] = '\0';
	rreal[rn] = '\0';
	return ck_path_within(real, rreal) || strcmp(rreal, "/") == 0;
}

/* Splices a link's target in front of what is left to resolve. */
static int
splice_link(char *rest, size_t cap, const char *target, const char *tail)
{
	size_t tl = strlen(target), rl = strlen(tail);

	if (tl + rl + 2 > cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memmove(rest + tl + 1, tail, rl + 1);
	memcpy(rest, target, tl);
	rest[tl] = '/';
	return 0;
}

/* RESOLVE_BENEATH by hand, for kernels before 5.6: one component at a
 * time, each opened with O_NOFOLLOW from the fd of the one before, a
 * link's target spliced into the path still to resolve, ".." popping back
 * to the fd it came from and refused at root. */
static int
walk_beneath(int rootfd, const char *relpath, int flags)
{
	int stack[BENEATH_MAX_DEPTH];
	char rest[2 * PATH_MAX], comp[NAME_MAX + 1], target[PATH_MAX];
	char *p;
	int depth = 0, links = 0, fd = -1, err = 0;

	if (strlen(relpath) >= sizeof(rest)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(rest, relpath);
	stack[0] = rootfd;
	p = rest;
	for (;;) {
		struct stat st;
		size_t clen;
		int cur = stack[depth], last, nfd;
		ssize_t tn;

		if (*p == '/') {
			err = EXDEV; /* an absolute link */
			break;
		}
		clen = strcspn(p, "/");
		if (clen > NAME_MAX) {
			err = ENAMETOOLONG;
			break;
		}
		memcpy(comp, p, clen);
		comp[clen] = '\0';
		p += clen;
		p += strspn(p, "/");
		last = *p == '\0';
		if (clen == 0 || strcmp(comp, ".") == 0) {
			if (!last)
				continue;
			fd = openat(cur, ".", flags | O_CLOEXEC);
			err = fd < 0 ? errno : 0;
			break;
		}
		if (strcmp(comp, "..") == 0) {
			if (depth == 0) {
				err = EXDEV;
				break;
			}
			close(stack[depth--]);
			if (!last)
				continue;
			fd = openat(stack[depth], ".", flags | O_CLOEXEC);
			err = fd < 0 ? errno : 0;
			break;
		}
		if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err = errno;
			break;
		}
		if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
			if (++links > BENEATH_MAX_LINKS) {
				err = ELOOP;
				break;
			}
			tn = readlinkat(cur, comp, target, sizeof(target) - 1);
			if (tn < 0) {
				err = errno;
				break;
			}
			target[tn] = '\0';
			if (splice_link(rest, sizeof(rest), target, p) < 0) {
				err = errno;
				break;
			}
			p = rest;
			continue;
		}
		if (last) {
			fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC);
			err = fd < 0 ? errno : 0;
			break;
		}
		if (depth + 1 == BENEATH_MAX_DEPTH) {
			err = ENAMETOOLONG;
			break;
		}
		nfd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			err = errno;
			break;
		}
		stack[++depth] = nfd;
	}
	while (depth > 0)
		close(stack[depth--]);
	if (fd >= 0 && !fd_within(fd, rootfd)) {
		close(fd);
		fd = -1;
		err = EXDEV;
	}
	errno = err;
	return fd;
}

int
ck_open_beneath_at(int rootfd, const char *relpath, int flags)
{
	int fd;

	if ((flags & O_CREAT) || relpath[0] == '/') {
		errno = relpath[0] == '/' ? EXDEV : EINVAL;
		return -1;
	}
	if (relpath[0] == '\0')
		relpath = ".";
	if (!ck_beneath_no_openat2) {
		fd = openat2_beneath(rootfd, relpath, flags);
		if (fd >= 0 || errno != ENOSYS)
			return fd;
	}
	return walk_beneath(rootfd, relpath, flags);
}

int
ck_open_beneath(const char *root, const char *path, int flags)
{
	size_t n = strlen(root);
	int rootfd, fd, saved;

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (path[0] == '/') {
		if (strncmp(path, root, n) != 0 ||
		    (path[n] != '/' && path[n] != '\0' && !(n == 1 && root[0] == '/'))) {
			errno = EXDEV;
			return -1;
		}
		path += n;
		path += strspn(path, "/");
	}
	/* root itself is the caller's choice (a configured state dir may be
	 * a link); everything below it is confined. */
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -1;
	fd = ck_open_beneath_at(rootfd, path, flags);
	saved = errno;
	close(rootfd);
	errno = saved;
	return fd;
}

int
ck_file_read_beneath(const char *root, const char *path, size_t max,
		     char **out, size_t *out_len, struct ck_error *err)
{
	char *dir = NULL;
	int fd;

	*out = NULL;
	if (root == NULL) {
		dir = strdup(path);
		if (dir == NULL) {
			ck_error_set(err, "%s: out of memory", path);
			return -1;
		}
		root = dirname(dir);
	}
	/* O_NONBLOCK: a FIFO planted under a store's name must not hang the
	 * open; read_fd refuses anything but a regular file. */
	fd = ck_open_beneath(root, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0 && errno == EXDEV)
		ck_error_set(err, "%s: resolves outside %s (a link leads out of it); "
			     "not read", path, root);
	else if (fd < 0)
		ck_error_set(err, "%s: %s", path, strerror(errno));
	free(dir);
	if (fd < 0)
		return -1;
	return read_fd(fd, path, max, out, out_len, err);
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

int
ck_tmp_sweep(const char *dir, long long min_age_s)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	time_t now = time(NULL);
	int removed = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		const char *mark = strstr(de->d_name, ".ck-tmp-");

		/* exactly our names: <file>.ck-tmp-<12 hex> */
		if (mark == NULL || strlen(mark) != 8 + 12 ||
		    strspn(mark + 8, "0123456789abcdef") != 12)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || now - st.st_mtime < min_age_s)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
			ck_log_warn("%s/%s: removed the temp file of an interrupted write", dir,
				    de->d_name);
			removed++;
		}
	}
	closedir(d);
	return removed;
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
