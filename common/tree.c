/* Directory trees copied while their owner may still write them, and
 * digests that say whether a tree is exactly as it was. A database is
 * copied through SQLite's backup API: a plain copy of the main file
 * misses what is still in its -wal (and a copy taken mid-write is torn). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/tree.h"

#define COPY_BUF (256 * 1024)
#define ASIDE_PREFIX ".clawkeeper."

int
ck_tree_is_sqlite(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, head, sizeof(head));
	close(fd);
	return n == (ssize_t)sizeof(head) && memcmp(head, magic, sizeof(head)) == 0;
}

static int
has_suffix(const char *s, const char *sfx)
{
	size_t n = strlen(s), m = strlen(sfx);

	return n > m && strcmp(s + n - m, sfx) == 0;
}

/* "x.sqlite-wal" next to a database "x.sqlite": the backup holds it. */
static int
is_sidecar(const char *dir, const char *name)
{
	static const char *const sfx[] = { "-wal", "-shm", "-journal", NULL };
	size_t i;

	for (i = 0; sfx[i] != NULL; i++) {
		char *main_db;
		int yes;

		if (!has_suffix(name, sfx[i]))
			continue;
		main_db = ck_strdup_printf("%s/%.*s", dir, (int)(strlen(name) - strlen(sfx[i])),
					   name);
		yes = main_db != NULL && ck_tree_is_sqlite(main_db);
		free(main_db);
		if (yes)
			return 1;
	}
	return 0;
}

int
ck_tree_sqlite_copy(const char *src_path, const char *dest, mode_t mode, struct ck_error *err)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int rc = -1;

	unlink(dest);
	if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		ck_error_set(err, "%s: cannot open for a copy: %s", src_path,
			     src ? sqlite3_errmsg(src) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(src, 5000);
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL) {
		ck_error_set(err, "%s: copy: %s", src_path, sqlite3_errmsg(dst));
		goto out;
	}
	if (sqlite3_backup_step(b, -1) != SQLITE_DONE) {
		sqlite3_backup_finish(b);
		ck_error_set(err, "%s: copy: %s", src_path, sqlite3_errmsg(dst));
		goto out;
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		ck_error_set(err, "%s: copy: %s", src_path, sqlite3_errmsg(dst));
		goto out;
	}
	/* One self-contained file: no -wal beside the copy. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		ck_error_set(err, "%s: copy: %s", dest, sqlite3_errmsg(dst));
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(src);
	sqlite3_close(dst);
	if (rc == 0)
		chmod(dest, mode & 07777);
	else
		unlink(dest);
	return rc;
}

/* A file its writer rewrote while we read it (or has just truncated, to
 * write it again: an empty file changed within the last 2 s) is read
 * again, so a copy of a live tree holds no torn file. */
static int
changed_under_us(const struct stat *a, const struct stat *b)
{
	struct timespec now;

	if (a->st_size != b->st_size || a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec)
		return 1;
	clock_gettime(CLOCK_REALTIME, &now);
	return b->st_size == 0 && now.tv_sec - b->st_mtim.tv_sec < 2;
}

static int copy_bytes_once(const char *src, const char *dst, mode_t mode, int *torn,
			   struct ck_error *err);

static int
copy_bytes(const char *src, const char *dst, mode_t mode, struct ck_error *err)
{
	int attempt, torn = 0, rc = -1;

	for (attempt = 0; attempt < 40; attempt++) {
		torn = 0;
		rc = copy_bytes_once(src, dst, mode, &torn, err);
		if (rc < 0 || !torn)
			return rc;
		unlink(dst);
		usleep(50 * 1000);
	}
	/* Still changing after 2 s: keep the last whole read. */
	return copy_bytes_once(src, dst, mode, &torn, err);
}

static int
copy_bytes_once(const char *src, const char *dst, mode_t mode, int *torn,
		struct ck_error *err)
{
	struct stat before, after;
	int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int out = -1, rc = -1;
	char *buf = NULL;
	ssize_t n;

	if (in < 0 || fstat(in, &before) < 0) {
		ck_error_set(err, "%s: %s", src, strerror(errno));
		if (in >= 0)
			close(in);
		return -1;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
	buf = malloc(COPY_BUF);
	if (out < 0 || buf == NULL) {
		ck_error_set(err, "%s: %s", dst, out < 0 ? strerror(errno) : "out of memory");
		goto out;
	}
	while ((n = read(in, buf, COPY_BUF)) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			ck_error_set(err, "%s: write: %s", dst, strerror(errno));
			goto out;
		}
	}
	if (n < 0) {
		ck_error_set(err, "%s: read: %s", src, strerror(errno));
		goto out;
	}
	if (fstat(in, &after) == 0 && changed_under_us(&before, &after))
		*torn = 1;
	/* The umask must not narrow what the owner had. */
	if (fchmod(out, mode & 07777) < 0 || fsync(out) < 0) {
		ck_error_set(err, "%s: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(buf);
	close(in);
	if (out >= 0)
		close(out);
	return rc;
}

static int copy_dir(const char *src, const char *dst, mode_t mode, int raw, int top,
		    struct ck_tree_stats *st, struct ck_error *err);

/* raw: the tree is quiet (its owner stopped): every file byte for byte,
 * databases and their -wal/-shm too, and no database is opened (opening
 * one rewrites its -shm, which would change the source). */
static int
copy_entry(const char *src_dir, const char *dst_dir, const char *name, int raw,
	   struct ck_tree_stats *st, struct ck_error *err)
{
	char *s = ck_path_join(src_dir, name);
	char *d = ck_path_join(dst_dir, name);
	char target[PATH_MAX];
	struct stat sb;
	ssize_t n;
	int rc = -1;

	if (s == NULL || d == NULL || lstat(s, &sb) < 0) {
		ck_error_set(err, "%s: %s", s ? s : name, s ? strerror(errno) : "out of memory");
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		rc = copy_dir(s, d, sb.st_mode, raw, 0, st, err);
	} else if (S_ISLNK(sb.st_mode)) {
		n = readlink(s, target, sizeof(target) - 1);
		if (n < 0 || (target[n] = '\0', symlink(target, d)) < 0) {
			ck_error_set(err, "%s: %s", d, strerror(errno));
			goto out;
		}
		rc = 0;
	} else if (S_ISREG(sb.st_mode)) {
		if (!raw && is_sidecar(src_dir, name)) {
			rc = 0;
			goto out;
		}
		if (!raw && ck_tree_is_sqlite(s)) {
			rc = ck_tree_sqlite_copy(s, d, sb.st_mode, err);
			st->databases++;
		} else {
			rc = copy_bytes(s, d, sb.st_mode, err);
		}
		st->files++;
		st->bytes += sb.st_size;
	} else {
		/* Sockets and fifos are a running process's, not state. */
		rc = 0;
	}
out:
	free(s);
	free(d);
	return rc;
}

/* What is kept inside a mount-point tree (ck_tree_beside) is not part of
 * it: no copy, digest or move by contents of the tree's top takes it. */
static int
is_aside(const char *name)
{
	return strncmp(name, ASIDE_PREFIX, sizeof(ASIDE_PREFIX) - 1) == 0;
}

static int
skipped(const char *name, int top)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || (top && is_aside(name));
}

/* Every entry of src copied into the existing dir dst. */
static int
copy_entries(const char *src, const char *dst, int raw, int top, struct ck_tree_stats *st,
	     struct ck_error *err)
{
	DIR *dir = opendir(src);
	struct dirent *de;
	int rc = 0;

	if (dir == NULL) {
		ck_error_set(err, "%s: %s", src, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		if (!skipped(de->d_name, top))
			rc = copy_entry(src, dst, de->d_name, raw, st, err);
	}
	closedir(dir);
	return rc;
}

/* top: dst is the tree's own root (its aside entries are left out). */
static int
copy_dir(const char *src, const char *dst, mode_t mode, int raw, int top,
	 struct ck_tree_stats *st, struct ck_error *err)
{
	int rc;

	if (mkdir(dst, 0700) < 0) {
		ck_error_set(err, "%s: mkdir: %s", dst, strerror(errno));
		return -1;
	}
	rc = copy_entries(src, dst, raw, top, st, err);
	if (rc == 0 && chmod(dst, mode & 07777) < 0) {
		ck_error_set(err, "%s: chmod: %s", dst, strerror(errno));
		rc = -1;
	}
	return rc;
}

static int
tree_copy(const char *src, const char *dst, int raw, struct ck_tree_stats *stats,
	  struct ck_error *err)
{
	struct ck_tree_stats local = { 0 };
	struct stat sb, db;
	int rc;

	if (lstat(src, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		ck_error_set(err, "%s: not a directory", src);
		return -1;
	}
	if (lstat(dst, &db) == 0) {
		ck_error_set(err, "%s: already exists", dst);
		return -1;
	}
	rc = copy_dir(src, dst, sb.st_mode, raw, 1, stats ? stats : &local, err);
	if (rc < 0)
		ck_rm_rf(dst, NULL);
	return rc;
}

int
ck_tree_copy(const char *src, const char *dst, struct ck_tree_stats *stats,
	     struct ck_error *err)
{
	return tree_copy(src, dst, 0, stats, err);
}

static int
digest_dir(const char *root, const char *rel, json_t *out, struct ck_error *err)
{
	char *path = rel[0] ? ck_path_join(root, rel) : strdup(root);
	DIR *dir = path ? opendir(path) : NULL;
	struct dirent *de;
	int rc = 0;

	if (dir == NULL) {
		ck_error_set(err, "%s: %s", path ? path : root, strerror(errno));
		free(path);
		return -1;
	}
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		char *r, *full, hex[CK_SHA256_HEX_LEN], target[PATH_MAX];
		struct stat sb;
		ssize_t n;

		if (skipped(de->d_name, rel[0] == '\0'))
			continue;
		r = rel[0] ? ck_strdup_printf("%s/%s", rel, de->d_name) : strdup(de->d_name);
		full = r ? ck_path_join(root, r) : NULL;
		if (full == NULL || lstat(full, &sb) < 0) {
			rc = -1;
		} else if (S_ISDIR(sb.st_mode)) {
			json_object_set_new(out, r, json_string("dir"));
			rc = digest_dir(root, r, out, err);
		} else if (S_ISLNK(sb.st_mode)) {
			n = readlink(full, target, sizeof(target) - 1);
			target[n < 0 ? 0 : n] = '\0';
			json_object_set_new(out, r, json_sprintf("link:%s", target));
		} else if (S_ISREG(sb.st_mode)) {
			if (ck_sha256_file(full, hex) < 0) {
				ck_error_set(err, "%s: cannot read", full);
				rc = -1;
			} else {
				json_object_set_new(out, r, json_string(hex));
			}
		}
		free(r);
		free(full);
	}
	closedir(dir);
	free(path);
	return rc;
}

json_t *
ck_tree_digest(const char *root, struct ck_error *err)
{
	json_t *out = json_object();

	if (out == NULL || digest_dir(root, "", out, err) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static int
path_exists(const char *p)
{
	struct stat sb;

	return lstat(p, &sb) == 0;
}

int
ck_tree_is_mount(const char *path)
{
	struct statx sx;
	struct stat a, b;
	char *parent;
	int rc;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &sx) == 0 &&
	    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0)
		return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	/* Kernels before 5.8: another device than its parent (a bind mount
	 * of the same filesystem is not seen). */
	parent = ck_path_join(path, "..");
	rc = parent != NULL && lstat(path, &a) == 0 && S_ISDIR(a.st_mode) &&
	     stat(parent, &b) == 0 && a.st_dev != b.st_dev;
	free(parent);
	return rc;
}

char *
ck_tree_beside(const char *live, const char *suffix)
{
	size_t n = strlen(live);

	while (n > 1 && live[n - 1] == '/')
		n--;
	if (ck_tree_is_mount(live))
		return ck_strdup_printf("%.*s/.clawkeeper%s", (int)n, live, suffix);
	return ck_strdup_printf("%.*s%s", (int)n, live, suffix);
}

/* A kept tree inside a mount point: its entries are the tree's, markers
 * named ASIDE_PREFIX... say how far a move by contents got. */
static char *
marker(const char *dir, const char *what)
{
	return ck_strdup_printf("%s/" ASIDE_PREFIX "%s", dir, what);
}

static int
mark(const char *dir, const char *what, struct ck_error *err)
{
	char *m = marker(dir, what);
	int rc = m ? ck_file_write_atomic(m, "", 0, 0600, err) : -1;

	free(m);
	return rc;
}

static int
marked(const char *dir, const char *what)
{
	char *m = marker(dir, what);
	int rc = m != NULL && path_exists(m);

	free(m);
	return rc;
}

static int
sync_dir(const char *dir, struct ck_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		ck_error_set(err, "%s: fsync: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void
free_names(char **names)
{
	size_t i;

	for (i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

/* The names of dir's entries, aside ones left out; NULL-terminated. */
static char **
entries(const char *dir, struct ck_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, **grown;
	size_t n = 0;

	if (d == NULL) {
		ck_error_set(err, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	names = calloc(1, sizeof(*names));
	while (names != NULL && (de = readdir(d)) != NULL) {
		if (skipped(de->d_name, 1))
			continue;
		grown = realloc(names, (n + 2) * sizeof(*names));
		if (grown == NULL || (grown[n] = strdup(de->d_name)) == NULL) {
			names = grown ? grown : names;
			names[n] = NULL;
			free_names(names);
			names = NULL;
			break;
		}
		names = grown;
		names[++n] = NULL;
	}
	closedir(d);
	if (names == NULL)
		ck_error_set(err, "%s: out of memory", dir);
	return names;
}

/* Test builds die after the Nth move of an entry (CK_TEST_MOVE_KILL_AFTER),
 * inside a swap by contents: the crash tests restart from there. */
static void
move_hook(void)
{
#ifdef CK_TEST_HOOKS
	static long moved;
	const char *at = getenv("CK_TEST_MOVE_KILL_AFTER");

	if (at != NULL && ++moved == atol(at))
		raise(SIGKILL);
#endif
}

/* Every entry of from (aside ones excepted) renamed into to, which is
 * made when absent; run again, it moves what is left. */
static int
move_entries(const char *from, const char *to, struct ck_error *err)
{
	char **names;
	int rc = 0;
	size_t i;

	if (mkdir(to, 0700) < 0 && errno != EEXIST) {
		ck_error_set(err, "%s: mkdir: %s", to, strerror(errno));
		return -1;
	}
	names = entries(from, err);
	if (names == NULL)
		return -1;
	for (i = 0; rc == 0 && names[i] != NULL; i++) {
		char *a = ck_path_join(from, names[i]), *b = ck_path_join(to, names[i]);

		if (a == NULL || b == NULL || rename(a, b) < 0) {
			ck_error_set(err, "%s -> %s: rename: %s", a ? a : from, b ? b : to,
				     strerror(errno));
			rc = -1;
		}
		free(a);
		free(b);
		if (rc == 0)
			move_hook();
	}
	free_names(names);
	if (rc == 0)
		rc = sync_dir(to, err);
	if (rc == 0)
		rc = sync_dir(from, err);
	return rc;
}

/* Every entry of dir (aside ones excepted) removed. */
static int
empty_dir(const char *dir, struct ck_error *err)
{
	char **names = entries(dir, err);
	int rc = 0;
	size_t i;

	if (names == NULL)
		return -1;
	for (i = 0; rc == 0 && names[i] != NULL; i++) {
		char *p = ck_path_join(dir, names[i]);

		rc = p ? ck_rm_rf(p, err) : -1;
		free(p);
	}
	free_names(names);
	return rc;
}

/* with is gone in one step (a rename), then removed: no run again sees a
 * half-removed with and takes it for one not yet moved. */
static int
retire(const char *with, struct ck_error *err)
{
	char *gone = ck_strdup_printf("%s.gone", with);
	int rc = -1;

	if (gone == NULL)
		goto out;
	if (rename(with, gone) < 0) {
		ck_error_set(err, "%s -> %s: rename: %s", with, gone, strerror(errno));
		goto out;
	}
	rc = ck_rm_rf(gone, err);
out:
	free(gone);
	return rc;
}

int
ck_tree_replace(const char *live, const char *with, const char *aside, struct ck_error *err)
{
	char *gone;

	if (!path_exists(with)) {
		/* a run that got to the end: only its leftovers go */
		gone = ck_strdup_printf("%s.gone", with);
		if (gone != NULL)
			ck_rm_rf(gone, NULL);
		free(gone);
		return 0;
	}
	if (!ck_tree_is_mount(live)) {
		if (path_exists(live) && rename(live, aside) < 0) {
			ck_error_set(err, "%s -> %s: rename: %s", live, aside, strerror(errno));
			return -1;
		}
		if (rename(with, live) < 0) {
			ck_error_set(err, "%s -> %s: rename: %s", with, live, strerror(errno));
			return -1;
		}
		return 0;
	}
	/* A mount point: by contents, in two halves; the mark on with says
	 * the first is done, so a run again never takes with's entries
	 * already moved into live for what live held. aside, complete, is
	 * a tree set aside (ck_tree_put_back takes it back). */
	if (!marked(with, "live-moved")) {
		if (move_entries(live, aside, err) < 0 || mark(aside, "complete", err) < 0 ||
		    mark(with, "live-moved", err) < 0)
			return -1;
	}
	if (move_entries(with, live, err) < 0)
		return -1;
	return retire(with, err);
}

/* A move of live's entries into aside that stopped before its end is
 * undone: they go back (live holds only the rest of them), aside goes. */
static int
move_back(const char *aside, const char *live, struct ck_error *err)
{
	if (!path_exists(aside))
		return 0;
	if (move_entries(aside, live, err) < 0)
		return -1;
	return retire(aside, err);
}

int
ck_tree_replace_undo(const char *live, const char *with, const char *aside, const char *failed,
		     struct ck_error *err)
{
	if (ck_tree_is_mount(live)) {
		if (path_exists(with) && !marked(with, "live-moved"))
			return move_back(aside, live, err);
	} else if (path_exists(with)) {
		/* killed between the renames: live is gone, aside holds it */
		if (!path_exists(live) && path_exists(aside) && rename(aside, live) < 0) {
			ck_error_set(err, "%s -> %s: rename: %s", aside, live, strerror(errno));
			return -1;
		}
		return 0;
	}
	return ck_tree_put_back(live, aside, failed, err);
}

int
ck_tree_set_aside(const char *live, const char *kept, struct ck_tree_stats *stats,
		  struct ck_error *err)
{
	struct ck_tree_stats local = { 0 };

	if (ck_tree_is_mount(live)) {
		/* kept is inside live: live's entries go there (a run again
		 * moves what is left), then live gets copies of them */
		if (!marked(kept, "complete") &&
		    (move_entries(live, kept, err) < 0 || mark(kept, "complete", err) < 0))
			return -1;
		if (empty_dir(live, err) < 0)
			return -1;
		return copy_entries(kept, live, 1, 1, stats ? stats : &local, err);
	}
	/* Run again after a crash: the original is already aside. */
	if (!path_exists(kept)) {
		if (rename(live, kept) < 0) {
			ck_error_set(err, "%s -> %s: rename: %s", live, kept, strerror(errno));
			return -1;
		}
	}
	/* A copy a killed agent left half-made is made again. The kept tree
	 * is quiet: copied byte for byte, never opened as a database. */
	if (path_exists(live) && ck_rm_rf(live, err) < 0)
		return -1;
	return tree_copy(kept, live, 1, stats, err);
}

int
ck_tree_put_back(const char *live, const char *kept, const char *aside,
		 struct ck_error *err)
{
	char *slot = NULL;
	int i, rc;

	if (!path_exists(kept))
		return ck_tree_replace(live, kept, aside, err); /* its leftovers */
	if (ck_tree_is_mount(live)) {
		/* a set-aside killed while it moved entries: live holds no copy
		 * yet, only the originals not moved */
		if (!marked(kept, "complete"))
			return move_back(kept, live, err);
		return ck_tree_replace(live, kept, aside, err);
	}
	/* Keep what was written meanwhile under a name nothing reuses. */
	for (i = 0; path_exists(live) && i < 100; i++) {
		free(slot);
		slot = i == 0 ? strdup(aside) : ck_strdup_printf("%s.%d", aside, i);
		if (slot == NULL || !path_exists(slot))
			break;
	}
	rc = ck_tree_replace(live, kept, slot ? slot : aside, err);
	free(slot);
	return rc;
}
