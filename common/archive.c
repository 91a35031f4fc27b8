/* Safe tar.gz extraction with libarchive: every name is checked before it
 * touches the disk, every write goes through *at() calls relative to a
 * directory fd opened without following links, caps are enforced block by
 * block, and a failure removes the destination. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/openat2.h>

#include <archive.h>
#include <archive_entry.h>

#include "clawkeeper/archive.h"
#include "clawkeeper/fileio.h"

#define READ_BLOCK (64 * 1024)
#define NAME_MAX_LEN 4096

struct xstate {
	struct archive *a;
	struct ck_archive_limits lim;
	const char *label;
	int rootfd;
	int parentfd;             /* cached fd of the last parent dir */
	char parent[NAME_MAX_LEN];
	char **symlinks;          /* extracted symlinks, checked at the end */
	size_t n_symlinks;
	size_t cap_symlinks;
	struct ck_archive_stats st;
	struct ck_error *err;
};

void
ck_archive_limits_default(struct ck_archive_limits *lim)
{
	lim->max_total_bytes = CK_ARCHIVE_DEFAULT_TOTAL;
	lim->max_entries = CK_ARCHIVE_DEFAULT_ENTRIES;
	lim->max_file_bytes = CK_ARCHIVE_DEFAULT_FILE;
	lim->max_ratio = CK_ARCHIVE_DEFAULT_RATIO;
	lim->ratio_grace = CK_ARCHIVE_DEFAULT_GRACE;
	lim->max_member_bytes = CK_ARCHIVE_DEFAULT_MEMBER;
}

static void
limits_fill(struct ck_archive_limits *out, const struct ck_archive_limits *in)
{
	ck_archive_limits_default(out);
	if (in == NULL)
		return;
	if (in->max_total_bytes)
		out->max_total_bytes = in->max_total_bytes;
	if (in->max_entries)
		out->max_entries = in->max_entries;
	if (in->max_file_bytes)
		out->max_file_bytes = in->max_file_bytes;
	if (in->max_ratio)
		out->max_ratio = in->max_ratio;
	if (in->ratio_grace)
		out->ratio_grace = in->ratio_grace;
	if (in->max_member_bytes)
		out->max_member_bytes = in->max_member_bytes;
}

/* Entry names come from the archive: keep control bytes out of messages
 * and logs. */
static const char *
printable(const char *s, char *buf, size_t n)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < n; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	buf[i] = '\0';
	if (s[i] != '\0' && n > 4)
		memcpy(buf + n - 4, "...", 4);
	return buf;
}

static const char *
src_label(const struct ck_archive_src *src)
{
	const char *slash;

	if (src->name != NULL)
		return src->name;
	if (src->path == NULL)
		return "archive";
	slash = strrchr(src->path, '/');
	return slash != NULL ? slash + 1 : src->path;
}

int
ck_archive_normalize_name(const char *name, char *buf, size_t n,
			  struct ck_error *err)
{
	const char *p = name;
	size_t len = 0;

	if (name[0] == '/') {
		ck_error_set(err, "absolute path");
		return -1;
	}
	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t clen = end != NULL ? (size_t)(end - p) : strlen(p);

		if (clen == 2 && p[0] == '.' && p[1] == '.') {
			ck_error_set(err, "'..' path component");
			return -1;
		}
		if (clen > 0 && !(clen == 1 && p[0] == '.')) {
			if (len + clen + 2 > n) {
				ck_error_set(err, "name longer than %zu bytes", n - 1);
				return -1;
			}
			if (len > 0)
				buf[len++] = '/';
			memcpy(buf + len, p, clen);
			len += clen;
		}
		p += clen;
		if (*p == '/')
			p++;
	}
	buf[len] = '\0';
	return 0;
}

static int
is_empty(const struct ck_archive_src *src)
{
	struct stat st;

	if (src->path == NULL)
		return src->len == 0;
	return stat(src->path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

static struct archive *
reader_open(const struct ck_archive_src *src, struct ck_error *err)
{
	struct archive *a = archive_read_new();
	int r;

	if (a == NULL) {
		ck_error_set(err, "%s: out of memory", src_label(src));
		return NULL;
	}
	/* gzip + tar only: the accepted formats are `openclaw backup create`
	 * output and tar.gz of a state dir. */
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (src->path != NULL)
		r = archive_read_open_filename(a, src->path, READ_BLOCK);
	else
		r = archive_read_open_memory(a, src->data, src->len);
	if (r != ARCHIVE_OK && src->path != NULL && access(src->path, R_OK) != 0) {
		ck_error_set(err, "%s: cannot open: %s", src->path, strerror(errno));
		archive_read_free(a);
		return NULL;
	}
	if (r != ARCHIVE_OK && is_empty(src)) {
		ck_error_set(err, "%s: empty file, expected a tar.gz archive",
			     src_label(src));
		archive_read_free(a);
		return NULL;
	}
	if (r != ARCHIVE_OK) {
		ck_error_set(err, "%s: not a tar.gz archive (%s)", src_label(src),
			     archive_error_string(a) ? archive_error_string(a) : "unknown error");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Reads the next header, mapping libarchive's outcomes to 1 (entry), 0
 * (end) and -1, and checks the format on the first entry. */
static int
next_header(struct archive *a, const char *label, uint64_t seen,
	    struct archive_entry **ae, struct ck_error *err)
{
	const char *why;
	int r = archive_read_next_header(a, ae);

	if (r == ARCHIVE_EOF) {
		if (seen == 0) {
			ck_error_set(err, "%s: %s", label,
				     archive_filter_bytes(a, -1) == 0
				     ? "empty file, expected a tar.gz archive"
				     : "archive has no entries");
			return -1;
		}
		return 0;
	}
	if (r < ARCHIVE_WARN) {
		why = archive_error_string(a);
		if (seen == 0)
			ck_error_set(err, "%s: not a tar.gz archive (%s)", label,
				     why ? why : "unreadable");
		else
			ck_error_set(err, "%s: archive is damaged or truncated after "
				     "entry %llu: %s", label, (unsigned long long)seen,
				     why ? why : "read error");
		return -1;
	}
	if (seen == 0 && archive_filter_code(a, 0) != ARCHIVE_FILTER_GZIP) {
		ck_error_set(err, "%s: not gzip-compressed (expected a tar.gz archive)",
			     label);
		return -1;
	}
	return 1;
}

/* Uncompressed/compressed so far; a small input that inflates hugely is
 * stopped while it is inflating. */
static int
check_ratio(struct archive *a, const struct ck_archive_limits *lim,
	    const char *label, const char *name, struct ck_error *err)
{
	int64_t out = archive_filter_bytes(a, 0);
	int64_t in = archive_filter_bytes(a, -1);
	char pb[256];

	if (out < 0 || in <= 0 || (uint64_t)out < lim->ratio_grace)
		return 0;
	if ((uint64_t)out / (uint64_t)in >= lim->max_ratio) {
		ck_error_set(err, "%s: entry '%s': compression ratio over %llu:1 "
			     "(%lld bytes from %lld compressed); refusing a "
			     "decompression bomb", label, printable(name, pb, sizeof(pb)),
			     (unsigned long long)lim->max_ratio, (long long)out,
			     (long long)in);
		return -1;
	}
	return 0;
}

static void
refuse(struct xstate *x, const char *name, const char *fmt, const char *arg)
{
	char pb[256];
	char pa[160];
	char why[256];

	/* Checking the result keeps -Wformat-truncation quiet: long names are
	 * cut on purpose. */
	if (snprintf(why, sizeof(why), fmt,
		     arg != NULL ? printable(arg, pa, sizeof(pa)) : "") < 0)
		why[0] = '\0';
	ck_error_set(x->err, "%s: entry '%s': %s", x->label,
		     printable(name, pb, sizeof(pb)), why);
}

static void
close_parent(struct xstate *x)
{
	if (x->parentfd >= 0 && x->parentfd != x->rootfd)
		close(x->parentfd);
	x->parentfd = -1;
	x->parent[0] = '\0';
}

/* Opens dir `path` (relative to root) one component at a time, never
 * following a link; creates missing components (0700) when `create`. */
static int
walk_dir(struct xstate *x, const char *path, int create, const char *entry)
{
	char comp[NAME_MAX_LEN];
	const char *p = path;
	int fd = x->rootfd;

	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t clen = end != NULL ? (size_t)(end - p) : strlen(p);
		int nfd;

		memcpy(comp, p, clen);
		comp[clen] = '\0';
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0700) < 0 && errno != EEXIST) {
				refuse(x, entry, "cannot create directory: %s", strerror(errno));
				goto fail;
			}
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				refuse(x, entry, "path goes through '%s', a symlink or "
				       "not a directory", comp);
			else
				refuse(x, entry, "cannot open parent directory: %s",
				       strerror(errno));
			goto fail;
		}
		if (fd != x->rootfd)
			close(fd);
		fd = nfd;
		p += clen;
		if (*p == '/')
			p++;
	}
	return fd;
fail:
	if (fd != x->rootfd)
		close(fd);
	return -1;
}

/* Splits name into parent and leaf and returns the parent's fd (cached
 * across entries of the same directory; do not close it). */
static int
parent_fd(struct xstate *x, const char *name, const char **leaf)
{
	const char *slash = strrchr(name, '/');
	char parent[NAME_MAX_LEN];
	size_t plen = slash != NULL ? (size_t)(slash - name) : 0;

	*leaf = slash != NULL ? slash + 1 : name;
	memcpy(parent, name, plen);
	parent[plen] = '\0';
	if (x->parentfd >= 0 && strcmp(parent, x->parent) == 0)
		return x->parentfd;
	close_parent(x);
	x->parentfd = walk_dir(x, parent, 1, name);
	if (x->parentfd < 0)
		return -1;
	memcpy(x->parent, parent, plen + 1);
	return x->parentfd;
}

static mode_t
safe_mode(mode_t mode)
{
	/* No sticky bit, no group/other write: staged files are private. */
	return mode & 0755;
}

static int
write_all(int fd, const void *buf, size_t size, int64_t off)
{
	const char *p = buf;

	while (size > 0) {
		ssize_t n = pwrite(fd, p, size, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		size -= (size_t)n;
		off += n;
	}
	return 0;
}

static int
copy_data(struct xstate *x, int fd, const char *name)
{
	uint64_t end = 0;

	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t off;
		uint64_t e;
		int r = archive_read_data_block(x->a, &buf, &size, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			refuse(x, name, "archive is damaged or truncated: %s",
			       archive_error_string(x->a));
			return -1;
		}
		if (off < 0)
			return refuse(x, name, "negative data offset%s", NULL), -1;
		e = (uint64_t)off + size;
		if (e > x->lim.max_file_bytes) {
			char cap[32];

			snprintf(cap, sizeof(cap), "%llu", (unsigned long long)x->lim.max_file_bytes);
			refuse(x, name, "file grows past the %s byte per-file cap", cap);
			return -1;
		}
		if (x->st.bytes + e > x->lim.max_total_bytes) {
			char cap[32];

			snprintf(cap, sizeof(cap), "%llu", (unsigned long long)x->lim.max_total_bytes);
			refuse(x, name, "archive expands past the %s byte total cap", cap);
			return -1;
		}
		if (check_ratio(x->a, &x->lim, x->label, name, x->err) < 0)
			return -1;
		if (write_all(fd, buf, size, off) < 0) {
			refuse(x, name, "write: %s", strerror(errno));
			return -1;
		}
		if (e > end)
			end = e;
	}
	x->st.bytes += end;
	return 0;
}

static int
size_caps(struct xstate *x, struct archive_entry *ae, const char *name)
{
	char cap[32];
	uint64_t size;

	if (!archive_entry_size_is_set(ae) || archive_entry_size(ae) < 0)
		return 0;
	size = (uint64_t)archive_entry_size(ae);
	if (size > x->lim.max_file_bytes) {
		snprintf(cap, sizeof(cap), "%llu", (unsigned long long)x->lim.max_file_bytes);
		refuse(x, name, "file is larger than the %s byte per-file cap", cap);
		return -1;
	}
	if (x->st.bytes + size > x->lim.max_total_bytes) {
		snprintf(cap, sizeof(cap), "%llu", (unsigned long long)x->lim.max_total_bytes);
		refuse(x, name, "archive expands past the %s byte total cap", cap);
		return -1;
	}
	return 0;
}

static int
extract_file(struct xstate *x, struct archive_entry *ae, const char *name)
{
	const char *leaf;
	mode_t mode = archive_entry_perm(ae);
	int pfd, fd, rc;

	if (archive_entry_mode(ae) & (S_ISUID | S_ISGID)) {
		refuse(x, name, "setuid/setgid file%s", NULL);
		return -1;
	}
	if (size_caps(x, ae, name) < 0)
		return -1;
	pfd = parent_fd(x, name, &leaf);
	if (pfd < 0)
		return -1;
	fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		refuse(x, name, errno == EEXIST ? "duplicate entry (the name exists "
		       "already)%s" : "create: %s", errno == EEXIST ? NULL : strerror(errno));
		return -1;
	}
	rc = copy_data(x, fd, name);
	if (rc == 0 && archive_entry_size_is_set(ae) &&
	    (uint64_t)archive_entry_size(ae) > 0 &&
	    ftruncate(fd, archive_entry_size(ae)) < 0)
		rc = -1;
	if (rc == 0 && archive_entry_mtime_is_set(ae)) {
		struct timespec ts[2];

		ts[0].tv_sec = archive_entry_mtime(ae);
		ts[0].tv_nsec = archive_entry_mtime_nsec(ae);
		ts[1] = ts[0];
		(void)futimens(fd, ts);
	}
	if (rc == 0 && fchmod(fd, safe_mode(mode)) < 0) {
		refuse(x, name, "chmod: %s", strerror(errno));
		rc = -1;
	}
	close(fd);
	x->st.files++;
	return rc;
}

static int
extract_dir(struct xstate *x, struct archive_entry *ae, const char *name)
{
	const char *leaf;
	int pfd, fd;

	pfd = parent_fd(x, name, &leaf);
	if (pfd < 0)
		return -1;
	if (mkdirat(pfd, leaf, 0700) < 0 && errno != EEXIST) {
		refuse(x, name, "mkdir: %s", strerror(errno));
		return -1;
	}
	fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		refuse(x, name, "exists and is not a directory (or is a symlink)%s", NULL);
		return -1;
	}
	/* setgid on a directory only steers group inheritance: stripped, as is
	 * sticky; owner rwx stays so extraction and cleanup always work. */
	(void)fchmod(fd, safe_mode(archive_entry_perm(ae)) | 0700);
	close(fd);
	x->st.dirs++;
	return 0;
}

/* Lexical check: the target, taken from the link's directory, never climbs
 * above the root. Links through other links are checked at the end. */
static int
symlink_stays_inside(const char *name, const char *target)
{
	long depth = 0;
	const char *p;

	for (p = name; *p != '\0'; p++)
		if (*p == '/')
			depth++;
	p = target;
	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t clen = end != NULL ? (size_t)(end - p) : strlen(p);

		if (clen == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (clen > 0 && !(clen == 1 && p[0] == '.')) {
			depth++;
		}
		p += clen;
		if (*p == '/')
			p++;
	}
	return 1;
}

static int
remember_symlink(struct xstate *x, const char *name)
{
	if (x->n_symlinks == x->cap_symlinks) {
		size_t ncap = x->cap_symlinks ? x->cap_symlinks * 2 : 16;
		char **grown = realloc(x->symlinks, ncap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		x->symlinks = grown;
		x->cap_symlinks = ncap;
	}
	x->symlinks[x->n_symlinks] = strdup(name);
	if (x->symlinks[x->n_symlinks] == NULL)
		return -1;
	x->n_symlinks++;
	return 0;
}

static int
extract_symlink(struct xstate *x, struct archive_entry *ae, const char *name)
{
	const char *target = archive_entry_symlink(ae);
	const char *leaf;
	int pfd;

	if (target == NULL || target[0] == '\0') {
		refuse(x, name, "symlink without a target%s", NULL);
		return -1;
	}
	if (target[0] == '/') {
		refuse(x, name, "symlink to an absolute path (%s)", target);
		return -1;
	}
	if (!symlink_stays_inside(name, target)) {
		refuse(x, name, "symlink target '%s' points outside the archive root",
		       target);
		return -1;
	}
	pfd = parent_fd(x, name, &leaf);
	if (pfd < 0)
		return -1;
	if (symlinkat(target, pfd, leaf) < 0) {
		refuse(x, name, errno == EEXIST ? "duplicate entry (the name exists "
		       "already)%s" : "symlink: %s", errno == EEXIST ? NULL : strerror(errno));
		return -1;
	}
	if (remember_symlink(x, name) < 0) {
		refuse(x, name, "out of memory%s", NULL);
		return -1;
	}
	x->st.symlinks++;
	return 0;
}

static int
extract_hardlink(struct xstate *x, const char *name, const char *raw_target)
{
	char target[NAME_MAX_LEN];
	char tparent[NAME_MAX_LEN];
	struct ck_error why;
	struct stat st;
	const char *tleaf, *slash, *leaf;
	int tfd, pfd, rc = -1;

	if (ck_archive_normalize_name(raw_target, target, sizeof(target), &why) < 0 ||
	    target[0] == '\0') {
		refuse(x, name, "hardlink target outside the archive root (%s)",
		       target[0] == '\0' ? "empty" : why.msg);
		return -1;
	}
	slash = strrchr(target, '/');
	tleaf = slash != NULL ? slash + 1 : target;
	memcpy(tparent, target, slash != NULL ? (size_t)(slash - target) : 0);
	tparent[slash != NULL ? (size_t)(slash - target) : 0] = '\0';
	tfd = walk_dir(x, tparent, 0, name);
	if (tfd < 0) {
		refuse(x, name, "hardlink to '%s', which was not extracted before it",
		       target);
		return -1;
	}
	if (fstatat(tfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		refuse(x, name, "hardlink to '%s', which was not extracted before it",
		       target);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		refuse(x, name, "hardlink to '%s', which is not a regular file "
		       "extracted before it", target);
		goto out;
	}
	pfd = parent_fd(x, name, &leaf);
	if (pfd < 0)
		goto out;
	if (linkat(tfd, tleaf, pfd, leaf, 0) < 0) {
		refuse(x, name, errno == EEXIST ? "duplicate entry (the name exists "
		       "already)%s" : "link: %s", errno == EEXIST ? NULL : strerror(errno));
		goto out;
	}
	x->st.hardlinks++;
	rc = 0;
out:
	if (tfd != x->rootfd)
		close(tfd);
	return rc;
}

static const char *
type_name(mode_t type)
{
	switch (type) {
	case AE_IFCHR:
		return "character device";
	case AE_IFBLK:
		return "block device";
	case AE_IFIFO:
		return "fifo";
	case AE_IFSOCK:
		return "socket";
	default:
		return "unknown entry type";
	}
}

static int
extract_entry(struct xstate *x, struct archive_entry *ae)
{
	char name[NAME_MAX_LEN];
	struct ck_error why;
	const char *raw = archive_entry_pathname(ae);
	const char *hard = archive_entry_hardlink(ae);
	mode_t type = archive_entry_filetype(ae);

	if (raw == NULL) {
		refuse(x, "?", "entry without a name%s", NULL);
		return -1;
	}
	if (ck_archive_normalize_name(raw, name, sizeof(name), &why) < 0) {
		refuse(x, raw, "%s", why.msg);
		return -1;
	}
	if (name[0] == '\0') {
		if (type == AE_IFDIR && hard == NULL)
			return 0; /* "./" itself */
		refuse(x, raw, "empty name%s", NULL);
		return -1;
	}
	if (hard != NULL)
		return extract_hardlink(x, name, hard);
	switch (type) {
	case AE_IFREG:
		return extract_file(x, ae, name);
	case AE_IFDIR:
		return extract_dir(x, ae, name);
	case AE_IFLNK:
		return extract_symlink(x, ae, name);
	default:
		refuse(x, name, "%s entries are not allowed", type_name(type));
		return -1;
	}
}

static long
openat2_beneath(int dirfd, const char *path)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Links that go through other links can leave the root even when each
 * passes the lexical test: resolve each one as the kernel would, refusing
 * any resolution that would climb out (EXDEV). */
static int
check_symlinks(struct xstate *x)
{
	size_t i;

	for (i = 0; i < x->n_symlinks; i++) {
		long fd = openat2_beneath(x->rootfd, x->symlinks[i]);

		if (fd >= 0) {
			close((int)fd);
			continue;
		}
		if (errno == EXDEV) {
			refuse(x, x->symlinks[i], "symlink resolves outside the "
			       "archive root%s", NULL);
			return -1;
		}
		if (errno == ENOSYS) {
			/* No openat2: accept only targets without "..". */
			char target[PATH_MAX];
			ssize_t n = readlinkat(x->rootfd, x->symlinks[i], target,
					       sizeof(target) - 1);

			if (n < 0)
				continue;
			target[n] = '\0';
			if (strstr(target, "..") != NULL) {
				refuse(x, x->symlinks[i], "symlink with '..' in its "
				       "target ('%s') cannot be verified here", target);
				return -1;
			}
		}
		/* ENOENT/ELOOP: dangling or looping inside the root; harmless. */
	}
	return 0;
}

static int
extract_loop(struct xstate *x)
{
	struct archive_entry *ae;
	char cap[32];

	for (;;) {
		int r = next_header(x->a, x->label, x->st.entries, &ae, x->err);

		if (r <= 0)
			return r;
		if (++x->st.entries > x->lim.max_entries) {
			snprintf(cap, sizeof(cap), "%llu", (unsigned long long)x->lim.max_entries);
			refuse(x, archive_entry_pathname(ae) ? archive_entry_pathname(ae)
			       : "?", "more than %s entries (entry cap)", cap);
			return -1;
		}
		if (check_ratio(x->a, &x->lim, x->label,
				archive_entry_pathname(ae) ? archive_entry_pathname(ae) : "?",
				x->err) < 0)
			return -1;
		if (extract_entry(x, ae) < 0)
			return -1;
	}
}

int
ck_archive_extract(const struct ck_archive_src *src, const char *dest,
		   const struct ck_archive_limits *lim,
		   struct ck_archive_stats *stats, struct ck_error *err)
{
	struct xstate x;
	struct ck_error ignored;
	size_t i;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	limits_fill(&x.lim, lim);
	x.label = src_label(src);
	x.err = err;
	x.rootfd = -1;
	x.parentfd = -1;
	if (mkdir(dest, 0700) < 0) {
		ck_error_set(err, "%s: cannot create staging dir: %s", dest,
			     strerror(errno));
		return -1;
	}
	x.rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (x.rootfd < 0) {
		ck_error_set(err, "%s: %s", dest, strerror(errno));
		goto out;
	}
	x.a = reader_open(src, err);
	if (x.a == NULL)
		goto out;
	if (extract_loop(&x) < 0)
		goto out;
	if (check_symlinks(&x) < 0)
		goto out;
	rc = 0;
out:
	if (x.a != NULL) {
		x.st.compressed_bytes = (uint64_t)archive_filter_bytes(x.a, -1);
		archive_read_free(x.a);
	}
	close_parent(&x);
	if (x.rootfd >= 0)
		close(x.rootfd);
	for (i = 0; i < x.n_symlinks; i++)
		free(x.symlinks[i]);
	free(x.symlinks);
	if (rc < 0)
		(void)ck_rm_rf(dest, &ignored);
	if (stats != NULL)
		*stats = x.st;
	return rc;
}

static int
read_member_data(struct archive *a, const char *label, const char *name,
		 size_t max, char **data, size_t *len, struct ck_error *err)
{
	char *buf;
	size_t used = 0;
	char pb[256];

	buf = malloc(max + 1);
	if (buf == NULL) {
		ck_error_set(err, "%s: out of memory", label);
		return -1;
	}
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf + used, max + 1 - used);

		if (n < 0) {
			ck_error_set(err, "%s: entry '%s': archive is damaged or "
				     "truncated: %s", label, printable(name, pb, sizeof(pb)),
				     archive_error_string(a));
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			ck_error_set(err, "%s: entry '%s' is larger than the %zu byte "
				     "limit", label, printable(name, pb, sizeof(pb)), max);
			free(buf);
			return -1;
		}
	}
	buf[used] = '\0';
	*data = buf;
	*len = used;
	return 0;
}

int
ck_archive_read_member(const struct ck_archive_src *src,
		       ck_archive_match_fn match, void *ud,
		       const struct ck_archive_limits *limits,
		       char **name_out, char **data, size_t *len,
		       struct ck_error *err)
{
	struct ck_archive_limits lim;
	struct archive_entry *ae;
	struct archive *a;
	const char *label = src_label(src);
	char name[NAME_MAX_LEN];
	struct ck_error why;
	uint64_t seen = 0;
	int rc = -1;

	*name_out = NULL;
	*data = NULL;
	*len = 0;
	limits_fill(&lim, limits);
	a = reader_open(src, err);
	if (a == NULL)
		return -1;
	for (;;) {
		int r = next_header(a, label, seen, &ae, err);

		if (r < 0)
			goto out;
		if (r == 0) {
			rc = 0;
			goto out;
		}
		if (++seen > lim.max_entries) {
			ck_error_set(err, "%s: more than %llu entries (entry cap)", label,
				     (unsigned long long)lim.max_entries);
			goto out;
		}
		if (check_ratio(a, &lim, label, archive_entry_pathname(ae) ?
				archive_entry_pathname(ae) : "?", err) < 0)
			goto out;
		if (archive_entry_pathname(ae) == NULL ||
		    archive_entry_filetype(ae) != AE_IFREG ||
		    archive_entry_hardlink(ae) != NULL ||
		    ck_archive_normalize_name(archive_entry_pathname(ae), name,
					      sizeof(name), &why) < 0 ||
		    !match(name, ud))
			continue;
		if (read_member_data(a, label, name, lim.max_member_bytes, data, len,
				     err) < 0)
			goto out;
		*name_out = strdup(name);
		if (*name_out == NULL) {
			free(*data);
			*data = NULL;
			ck_error_set(err, "%s: out of memory", label);
			goto out;
		}
		rc = 1;
		goto out;
	}
out:
	archive_read_free(a);
	return rc;
}
