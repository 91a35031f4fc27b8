/* Reading a SQLite database another program owns, so that the read can
 * neither hang nor change it: a read-only URI open, one wall-clock
 * deadline over every statement and lock wait, a cap on value sizes,
 * and a check that a name is a plain table before anything reads it (a
 * view is code the file's author chose to run). */
#ifndef CK_SQLITE_RO_H
#define CK_SQLITE_RO_H

#include <sqlite3.h>
#include "error.h"

/* What a read of a few rows may take, lock waits included. */
#define CK_SQLITE_RO_BUDGET_MS 2000

struct ck_sqlite_ro {
	sqlite3 *db;
	char *path;             /* as given, for messages */
	long long deadline_ms;  /* CLOCK_MONOTONIC */
	int budget_ms;
	int timed_out;          /* the deadline stopped a statement */
};

/* Opens path read-only. While a <path>-wal exists the writer's newest
 * rows are only there, so it is read (a plain mode=ro open); without one
 * the file is opened immutable, which creates no -wal/-shm next to it.
 * Returns 0 (opened), 1 (no such file; nothing opened) or -1 (err: not a
 * regular file, not a database, cannot be opened). */
int ck_sqlite_ro_open(struct ck_sqlite_ro *ro, const char *path, int budget_ms,
		      struct ck_error *err);
/* ck_sqlite_ro_open of a file that must resolve beneath the directory
 * root (fileio.h ck_open_beneath): a database, or a -wal/-shm/-journal
 * beside it, reached through a link out of root is refused ("resolves
 * outside"), never opened. root NULL: the file's own directory (only
 * its last component is confined). */
int ck_sqlite_ro_open_beneath(struct ck_sqlite_ro *ro, const char *root,
			      const char *path, int budget_ms, struct ck_error *err);
/* The same, opened for writing, for a state no gateway runs on: the
 * deadline, the size caps and the refusals hold, and triggers do not
 * run (a write must not run code the file's author chose). */
int ck_sqlite_rw_open_beneath(struct ck_sqlite_ro *ro, const char *root,
			      const char *path, int budget_ms, struct ck_error *err);
/* 1 when name is a plain table, 0 when no table, view or index has that
 * name, -1 (err) when it is a view, a virtual table or an index, or the
 * schema cannot be read. */
int ck_sqlite_ro_table(struct ck_sqlite_ro *ro, const char *name,
		       struct ck_error *err);
/* 1 when table has the column, 0 when not, -1 on error. */
int ck_sqlite_ro_has_column(struct ck_sqlite_ro *ro, const char *table,
			    const char *column, struct ck_error *err);
int ck_sqlite_ro_prepare(struct ck_sqlite_ro *ro, const char *sql,
			 sqlite3_stmt **st, struct ck_error *err);
/* 1 for a row, 0 when done, -1 (err) when the statement failed, ran past
 * the deadline ("<path>: query did not finish within 2 s") or waited for
 * a lock that long. */
int ck_sqlite_ro_step(struct ck_sqlite_ro *ro, sqlite3_stmt *st,
		      struct ck_error *err);
void ck_sqlite_ro_close(struct ck_sqlite_ro *ro);

#endif
