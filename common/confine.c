/* Checking that a tree stays inside itself (confine.h). A link's target is
 * judged from where the link will sit once the tree is installed, which
 * is what an extractor checking against the archive root misses: only a
 * subtree of the archive is installed, several levels down. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clawkeeper/confine.h"
#include "clawkeeper/fileio.h"

#define MAX_DEPTH 512

struct shared {
	dev_t dev;
	ino_t ino;
	nlink_t nlink;
	char *path;
};

struct walk {
	int rootfd;
	int flags;
	const char *at;
	struct shared *v;
	size_t n, cap;
	struct ck_confine_escape *esc;
	struct ck_error *err;
};

int
ck_confine_target_ok(const char *link_path, const char *target)
{
	const char *p;
	long depth = 0;

	if (target[0] == '/')
		return 0;
	/* The link's own directory: every component of link_path but the
	 * last. */
	for (p = link_path; *p != '\0';) {
		size_t clen = strcspn(p, "/");

		p += clen;
		if (*p == '/') {
			if (clen > 0)
				depth++;
			p++;
		}
	}
	for (p = target; *p != '\0';) {
		size_t clen = strcspn(p, "/");

		if (clen == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (clen > 0 && !(clen == 1 && p[0] == '.')) {
			depth++;
		}
		p += clen;
		p += strspn(p, "/");
	}
	return 1;
}

/* Names and targets come from whoever wrote the tree: no control bytes
 * in messages and logs. */
static void
copy_printable(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < n; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ? '?' : src[i];
	dst[i] = '\0';
}

static void
found(struct walk *w, const char *rel, const char *target, const char *why)
{
	copy_printable(w->esc->path, sizeof(w->esc->path), rel);
	copy_printable(w->esc->target, sizeof(w->esc->target), target);
	snprintf(w->esc->why, sizeof(w->esc->why), "%s", why);
}

static int
check_link(struct walk *w, int dirfd, const char *name, const char *rel)
{
	char target[1024], final[4096 + 256];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	int fd;

	if (n < 0) {
		ck_error_set(w->err, "%s: readlink: %s", rel, strerror(errno));
		return -1;
	}
	target[n] = '\0';
	if (target[0] == '/') {
		found(w, rel, target, "symlink to an absolute path");
		return 1;
	}
	snprintf(final, sizeof(final), "%s%s%s", w->at, w->at[0] ? "/" : "", rel);
	if (!ck_confine_target_ok(final, target)) {
		found(w, rel, target, "symlink leads out of the installed tree");
		return 1;
	}
	if (!(w->flags & CK_CONFINE_RESOLVE))
		return 0;
	fd = ck_open_beneath_at(w->rootfd, rel, O_PATH);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EXDEV) {
		found(w, rel, target, "symlink resolves out of the installed tree "
		      "through other links");
		return 1;
	}
	/* Dangling or looping inside the tree: it points nowhere outside. */
	return 0;
}

static int
remember_shared(struct walk *w, const struct stat *st, const char *rel)
{
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 16;
		struct shared *grown = realloc(w->v, ncap * sizeof(*grown));

		if (grown == NULL)
			goto oom;
		w->v = grown;
		w->cap = ncap;
	}
	w->v[w->n].path = strdup(rel);
	if (w->v[w->n].path == NULL)
		goto oom;
	w->v[w->n].dev = st->st_dev;
	w->v[w->n].ino = st->st_ino;
	w->v[w->n].nlink = st->st_nlink;
	w->n++;
	return 0;
oom:
	ck_error_set(w->err, "%s: out of memory", rel);
	return -1;
}

static int walk_dir(struct walk *w, int fd, const char *rel, int depth);

static int
walk_entry(struct walk *w, int dirfd, const char *name, const char *rel, int depth)
{
	struct stat st;
	int sub, rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		ck_error_set(w->err, "%s: %s", rel, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode))
		return check_link(w, dirfd, name, rel);
	if (S_ISREG(st.st_mode) && st.st_nlink > 1 && (w->flags & CK_CONFINE_HARDLINKS))
		return remember_shared(w, &st, rel);
	if (!S_ISDIR(st.st_mode))
		return 0;
	sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0) {
		ck_error_set(w->err, "%s: %s", rel, strerror(errno));
		return -1;
	}
	rc = walk_dir(w, sub, rel, depth + 1);
	return rc;
}

/* Takes ownership of fd. */
static int
walk_dir(struct walk *w, int fd, const char *rel, int depth)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > MAX_DEPTH) {
		close(fd);
		/* the reason first: the path alone would fill the message */
		ck_error_set(w->err, "more than %d directories deep: %.200s...", MAX_DEPTH, rel);
		return -1;
	}
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		ck_error_set(w->err, "%s: %s", rel[0] ? rel : ".", strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *child;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = rel[0] ? ck_strdup_printf("%s/%s", rel, de->d_name)
			       : strdup(de->d_name);
		if (child == NULL) {
			ck_error_set(w->err, "%s: out of memory", rel);
			rc = -1;
			break;
		}
		rc = walk_entry(w, dirfd(d), de->d_name, child, depth);
		free(child);
	}
	closedir(d);
	return rc;
}

static int
cmp_shared(const void *a, const void *b)
{
	const struct shared *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Every name of a multiply linked file must be inside the tree: a file
 * whose link count is higher than the names found shares its inode (and
 * so its content, now and after any write) with a file outside. */
static int
check_shared(struct walk *w)
{
	size_t i = 0, j;

	if (w->n > 1)
		qsort(w->v, w->n, sizeof(w->v[0]), cmp_shared);
	while (i < w->n) {
		for (j = i + 1; j < w->n && w->v[j].dev == w->v[i].dev &&
		     w->v[j].ino == w->v[i].ino; j++)
			;
		if ((nlink_t)(j - i) < w->v[i].nlink) {
			found(w, w->v[i].path, "", "hard link to a file outside the "
			      "installed tree");
			return 1;
		}
		i = j;
	}
	return 0;
}

int
ck_confine_check(const char *dir, const char *at, int flags,
		 struct ck_confine_escape *esc, struct ck_error *err)
{
	struct walk w;
	size_t i;
	int fd, rc;

	memset(&w, 0, sizeof(w));
	memset(esc, 0, sizeof(*esc));
	w.flags = flags;
	w.at = at != NULL ? at : "";
	w.esc = esc;
	w.err = err;
	w.rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (w.rootfd < 0) {
		ck_error_set(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	fd = dup(w.rootfd);
	rc = fd < 0 ? -1 : walk_dir(&w, fd, "", 0);
	if (fd < 0)
		ck_error_set(err, "%s: %s", dir, strerror(errno));
	if (rc == 0)
		rc = check_shared(&w);
	for (i = 0; i < w.n; i++)
		free(w.v[i].path);
	free(w.v);
	close(w.rootfd);
	return rc;
}

int
ck_confine_require(const char *dir, struct ck_error *err)
{
	struct ck_confine_escape esc;
	int rc = ck_confine_check(dir, "", CK_CONFINE_RESOLVE | CK_CONFINE_HARDLINKS,
				  &esc, err);

	if (rc == 1 && esc.target[0] != '\0')
		ck_error_set(err, "%s/%.300s: %s (it points to '%.200s')", dir, esc.path,
			     esc.why, esc.target);
	else if (rc == 1)
		ck_error_set(err, "%s/%.300s: %s", dir, esc.path, esc.why);
	return rc == 0 ? 0 : -1;
}
