/* Read-only, deadline-bounded access to a SQLite file another program
 * owns (sqlite_ro.h). Nothing here knows what the tables mean. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/sqlite_ro.h"

/* Virtual-machine steps between two looks at the clock. A step can be
 * one whole function call on a value up to VALUE_MAX (~10 ms), so the
 * overrun is a few such calls; the clock read itself costs nanoseconds. */
#define PROGRESS_STEPS 100
/* No single value the agent reads is near this; a table whose columns
 * compute larger ones is refused instead of filling memory. */
#define VALUE_MAX (16 << 20)

static void
budget_text(int budget_ms, char *buf, size_t n)
{
	if (budget_ms % 1000 == 0)
		snprintf(buf, n, "%d s", budget_ms / 1000);
	else
		snprintf(buf, n, "%d ms", budget_ms);
}

static int
on_progress(void *ud)
{
	struct ck_sqlite_ro *ro = ud;

	if (ck_clock_mono_ms() < ro->deadline_ms)
		return 0;
	ro->timed_out = 1;
	return 1;
}

/* A lock wait counts against the same deadline as the statement. */
static int
on_busy(void *ud, int count)
{
	struct ck_sqlite_ro *ro = ud;

	(void)count;
	if (ck_clock_mono_ms() >= ro->deadline_ms)
		return 0;
	sqlite3_sleep(10);
	return 1;
}

/* 1 regular file, 0 absent, -1 something else (a FIFO would block the
 * open itself, where no deadline reaches). */
static int
regular_or_absent(const char *path, int nofollow)
{
	struct stat st;

	if ((nofollow ? lstat(path, &st) : stat(path, &st)) != 0)
		return 0;
	return S_ISREG(st.st_mode) ? 1 : -1;
}

/* RFC 3986 percent-encoding of the path of a file: URI, with query
 * (e.g. "?mode=ro"). */
static char *
file_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path);
	char *uri = malloc(n * 3 + strlen(query) + 16);
	char *p;

	if (uri == NULL)
		return NULL;
	/* "file://" + "/abs": an empty authority, so "//x" stays a path */
	p = uri + sprintf(uri, path[0] == '/' ? "file://" : "file:");
	for (; *path; path++) {
		unsigned char c = (unsigned char)*path;

		if (c == '%' || c == '?' || c == '#' || c <= 0x20 || c >= 0x7f) {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = (char)c;
		}
	}
	strcpy(p, query);
	return uri;
}

static int
check_files(const char *path, int nofollow, struct ck_error *err)
{
	static const char *const sides[] = { "", "-wal", "-shm", "-journal" };
	char side[4096];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		snprintf(side, sizeof(side), "%s%s", path, sides[i]);
		rc = regular_or_absent(side, nofollow);
		if (rc == 0 && i == 0)
			return 1;
		if (rc < 0) {
			ck_error_set(err, "%s: not a regular file; refusing to open it",
				     side);
			return -1;
		}
	}
	return 0;
}

static void
harden(sqlite3 *db, int writable)
{
	/* A write must not run code the file's author put in its schema. */
	if (writable)
		sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)NULL);
#ifdef SQLITE_DBCONFIG_DEFENSIVE
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
#endif
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
#endif
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, VALUE_MAX);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
}

/* Opens `path` (checked already; nofollow: its sidecars must not be links
 * either) and names it `label` in messages. */
static int
open_checked(struct ck_sqlite_ro *ro, const char *path, const char *label,
	     int nofollow, int writable, int budget_ms, struct ck_error *err)
{
	char wal[4096];
	char *uri;
	int rc;

	memset(ro, 0, sizeof(*ro));
	if ((rc = check_files(path, nofollow, err)) != 0)
		return rc;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	ro->path = strdup(label);
	uri = file_uri(path, writable ? "" : !regular_or_absent(wal, nofollow) ?
		       "?mode=ro&immutable=1" : "?mode=ro");
	if (ro->path == NULL || uri == NULL) {
		free(uri);
		ck_sqlite_ro_close(ro);
		ck_error_set(err, "%s: out of memory", label);
		return -1;
	}
	ro->budget_ms = budget_ms;
	ro->deadline_ms = ck_clock_mono_ms() + budget_ms;
	rc = sqlite3_open_v2(uri, &ro->db, (writable ? SQLITE_OPEN_READWRITE :
					    SQLITE_OPEN_READONLY) | SQLITE_OPEN_URI, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		ck_error_set(err, "%s: cannot open %s: %s", label,
			     writable ? "for writing" : "read-only",
			     ro->db ? sqlite3_errmsg(ro->db) : sqlite3_errstr(rc));
		ck_sqlite_ro_close(ro);
		return -1;
	}
	harden(ro->db, writable);
	sqlite3_busy_handler(ro->db, on_busy, ro);
	sqlite3_progress_handler(ro->db, PROGRESS_STEPS, on_progress, ro);
	return 0;
}

int
ck_sqlite_ro_open(struct ck_sqlite_ro *ro, const char *path, int budget_ms,
		  struct ck_error *err)
{
	return open_checked(ro, path, path, 0, 0, budget_ms, err);
}

/* SQLite opens by name (and finds its -wal beside that name), so the file
 * is first resolved beneath root to an fd and opened by the fd's own
 * link-free path: the name SQLite gets has no link left in it to swap. */
static int
open_beneath(struct ck_sqlite_ro *ro, const char *root, const char *path,
	     int writable, int budget_ms, struct ck_error *err)
{
	char link[64], real[PATH_MAX];
	char *dir = NULL;
	struct stat st;
	ssize_t n;
	int fd, rc, saved;

	memset(ro, 0, sizeof(*ro));
	if (root == NULL) {
		dir = strdup(path);
		if (dir == NULL) {
			ck_error_set(err, "%s: out of memory", path);
			return -1;
		}
		root = dirname(dir);
	}
	/* O_PATH: a FIFO under the database's name does not block here. */
	fd = ck_open_beneath(root, path, O_PATH);
	saved = errno;
	if (fd < 0 && saved == EXDEV)
		ck_error_set(err, "%s: resolves outside %s (a link leads out of it); "
			     "not opened", path, root);
	else if (fd < 0 && saved != ENOENT && saved != ENOTDIR)
		ck_error_set(err, "%s: %s", path, strerror(saved));
	free(dir);
	if (fd < 0)
		return saved == ENOENT || saved == ENOTDIR ? 1 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		ck_error_set(err, "%s: not a regular file; refusing to open it", path);
		return -1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	close(fd);
	if (n <= 0 || real[0] != '/') {
		ck_error_set(err, "%s: cannot tell where it resolves (no /proc?); "
			     "not opened", path);
		return -1;
	}
	real[n] = '\0';
	rc = open_checked(ro, real, path, 1, writable, budget_ms, err);
	return rc;
}

int
ck_sqlite_ro_open_beneath(struct ck_sqlite_ro *ro, const char *root,
			  const char *path, int budget_ms, struct ck_error *err)
{
	return open_beneath(ro, root, path, 0, budget_ms, err);
}

int
ck_sqlite_rw_open_beneath(struct ck_sqlite_ro *ro, const char *root,
			  const char *path, int budget_ms, struct ck_error *err)
{
	return open_beneath(ro, root, path, 1, budget_ms, err);
}

static void
step_error(struct ck_sqlite_ro *ro, int rc, struct ck_error *err)
{
	char budget[32];

	budget_text(ro->budget_ms, budget, sizeof(budget));
	if (ro->timed_out || rc == SQLITE_INTERRUPT)
		ck_error_set(err, "%s: query did not finish within %s", ro->path, budget);
	else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		ck_error_set(err, "%s: the database stayed locked for %s (a writer "
			     "holds it); try again", ro->path, budget);
	else
		ck_error_set(err, "%s: %s", ro->path, sqlite3_errmsg(ro->db));
}

int
ck_sqlite_ro_prepare(struct ck_sqlite_ro *ro, const char *sql, sqlite3_stmt **st,
		     struct ck_error *err)
{
	int rc = sqlite3_prepare_v2(ro->db, sql, -1, st, NULL);

	if (rc == SQLITE_OK)
		return 0;
	step_error(ro, rc, err);
	sqlite3_finalize(*st);
	*st = NULL;
	return -1;
}

int
ck_sqlite_ro_step(struct ck_sqlite_ro *ro, sqlite3_stmt *st, struct ck_error *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	step_error(ro, rc, err);
	return -1;
}

static const char *
kind_of(const char *type, const char *sql)
{
	if (strcmp(type, "table") != 0)
		return type;
	if (sql != NULL && strncasecmp(sql, "CREATE VIRTUAL", 14) == 0)
		return "virtual table";
	return NULL;
}

int
ck_sqlite_ro_table(struct ck_sqlite_ro *ro, const char *name, struct ck_error *err)
{
	static const char sql[] =
		"SELECT type, sql FROM sqlite_master WHERE name = ?1 COLLATE NOCASE "
		"AND type IN ('table', 'view', 'index')";
	sqlite3_stmt *st = NULL;
	const char *kind;
	int rc;

	if (ck_sqlite_ro_prepare(ro, sql, &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = ck_sqlite_ro_step(ro, st, err);
	if (rc == 1) {
		kind = kind_of((const char *)sqlite3_column_text(st, 0),
			       (const char *)sqlite3_column_text(st, 1));
		if (kind != NULL) {
			ck_error_set(err, "%s: %s is a %s, not a plain table; refusing to "
				     "read it (a view or virtual table runs whatever "
				     "the file's author wrote)", ro->path, name, kind);
			rc = -1;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int
ck_sqlite_ro_has_column(struct ck_sqlite_ro *ro, const char *table,
			const char *column, struct ck_error *err)
{
	static const char sql[] =
		"SELECT count(*) FROM pragma_table_xinfo(?1) WHERE name = ?2 "
		"COLLATE NOCASE";
	sqlite3_stmt *st = NULL;
	int rc;

	if (ck_sqlite_ro_prepare(ro, sql, &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	rc = ck_sqlite_ro_step(ro, st, err);
	if (rc == 1)
		rc = sqlite3_column_int(st, 0) > 0;
	else if (rc == 0) {
		ck_error_set(err, "%s: no column list for %s", ro->path, table);
		rc = -1;
	}
	sqlite3_finalize(st);
	return rc;
}

void
ck_sqlite_ro_close(struct ck_sqlite_ro *ro)
{
	sqlite3_close(ro->db);
	free(ro->path);
	memset(ro, 0, sizeof(*ro));
}
