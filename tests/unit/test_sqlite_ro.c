/* Reading a SQLite database another program owns (common/sqlite_ro.c):
 * plain tables told from views, a name with URI characters, refusals of
 * what is not a regular file, no -wal/-shm left beside a file read, a
 * writer's lock waited for only until the deadline, a query stopped at
 * it, and a write open that runs no trigger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/sqlite_ro.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ck-sqlro-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	ck_rm_rf(dir, NULL);
	return 0;
}

static void
make_db(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
tables_views_columns(void **state)
{
	char path[128], wal[140], shm[140];
	struct ck_sqlite_ro ro;
	struct ck_error err;
	sqlite3_stmt *st;
	struct stat sb;

	(void)state;
	/* a name with characters a URI must escape */
	snprintf(path, sizeof(path), "%s/a b%%c?d#e.sqlite", dir);
	make_db(path, "CREATE TABLE t (id INTEGER, name TEXT); INSERT INTO t VALUES (1, 'x');"
	    "CREATE VIEW v AS SELECT * FROM t; CREATE INDEX i ON t (name);");
	assert_int_equal(ck_sqlite_ro_open(&ro, path, 200, &err), 0);
	assert_int_equal(ck_sqlite_ro_table(&ro, "t", &err), 1);
	assert_int_equal(ck_sqlite_ro_table(&ro, "nope", &err), 0);
	assert_int_equal(ck_sqlite_ro_table(&ro, "v", &err), -1);
	assert_int_equal(ck_sqlite_ro_table(&ro, "i", &err), -1);
	assert_int_equal(ck_sqlite_ro_has_column(&ro, "t", "name", &err), 1);
	assert_int_equal(ck_sqlite_ro_has_column(&ro, "t", "nope", &err), 0);
	assert_int_equal(ck_sqlite_ro_prepare(&ro, "SELECT name FROM t", &st, &err), 0);
	assert_int_equal(ck_sqlite_ro_step(&ro, st, &err), 1);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "x");
	assert_int_equal(ck_sqlite_ro_step(&ro, st, &err), 0);
	sqlite3_finalize(st);
	assert_int_equal(ck_sqlite_ro_prepare(&ro, "SELECT nonsense FROM", &st, &err), -1);
	ck_sqlite_ro_close(&ro);
	/* nothing left beside the file */
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	assert_int_equal(stat(wal, &sb), -1);
	assert_int_equal(stat(shm, &sb), -1);
}

static void
refusals(void **state)
{
	char path[128], side[140];
	struct ck_sqlite_ro ro;
	struct ck_error err;

	(void)state;
	snprintf(path, sizeof(path), "%s/none.sqlite", dir);
	assert_int_equal(ck_sqlite_ro_open(&ro, path, 200, &err), 1);
	snprintf(path, sizeof(path), "%s/dir.sqlite", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(ck_sqlite_ro_open(&ro, path, 200, &err), -1);
	assert_non_null(strstr(err.msg, "not a regular file"));
	/* a -wal beside it that is not a file */
	snprintf(path, sizeof(path), "%s/w.sqlite", dir);
	make_db(path, "CREATE TABLE t (id INTEGER);");
	snprintf(side, sizeof(side), "%s-wal", path);
	assert_int_equal(mkdir(side, 0700), 0);
	assert_int_equal(ck_sqlite_ro_open(&ro, path, 200, &err), -1);
	assert_non_null(strstr(err.msg, "not a regular file"));
	/* not a database */
	snprintf(path, sizeof(path), "%s/junk.sqlite", dir);
	{
		FILE *f = fopen(path, "w");

		fputs("this is not a database, not at all, no", f);
		fclose(f);
	}
	{
		int rc = ck_sqlite_ro_open(&ro, path, 200, &err);

		/* refused at the open, or at the first read of its schema */
		assert_int_not_equal(rc, 1);
		if (rc == 0) {
			assert_int_equal(ck_sqlite_ro_table(&ro, "t", &err), -1);
			ck_sqlite_ro_close(&ro);
		}
	}
}

/* A writer that holds its lock: the read waits until the deadline, then
 * says so; a long query stops at the deadline too. */
static void
deadlines(void **state)
{
	char path[128];
	struct ck_sqlite_ro ro;
	struct ck_error err;
	sqlite3_stmt *st;
	sqlite3 *w;
	long long t0;
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/locked.sqlite", dir);
	make_db(path, "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1);");
	assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
	assert_int_equal(sqlite3_exec(w, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;"
	    "INSERT INTO t VALUES (2);", NULL, NULL, NULL), SQLITE_OK);
	t0 = ck_clock_mono_ms();
	rc = ck_sqlite_ro_open(&ro, path, 300, &err);
	if (rc == 0) {
		rc = ck_sqlite_ro_prepare(&ro, "SELECT count(*) FROM t", &st, &err);
		if (rc == 0) {
			rc = ck_sqlite_ro_step(&ro, st, &err);
			sqlite3_finalize(st);
		}
		ck_sqlite_ro_close(&ro);
	}
	assert_int_equal(rc, -1);
	assert_true(ck_clock_mono_ms() - t0 >= 250);
	assert_true(ck_clock_mono_ms() - t0 < 5000);
	assert_true(strstr(err.msg, "locked") != NULL || strstr(err.msg, "did not finish") != NULL);
	sqlite3_exec(w, "COMMIT;", NULL, NULL, NULL);
	sqlite3_close(w);

	snprintf(path, sizeof(path), "%s/slow.sqlite", dir);
	make_db(path, "CREATE TABLE t (id INTEGER);");
	assert_int_equal(ck_sqlite_ro_open(&ro, path, 150, &err), 0);
	assert_int_equal(ck_sqlite_ro_prepare(&ro, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
	    "SELECT x + 1 FROM c) SELECT count(*) FROM c", &st, &err), 0);
	t0 = ck_clock_mono_ms();
	assert_int_equal(ck_sqlite_ro_step(&ro, st, &err), -1);
	assert_true(ck_clock_mono_ms() - t0 < 5000);
	assert_non_null(strstr(err.msg, "did not finish within 150 ms"));
	assert_int_equal(ro.timed_out, 1);
	sqlite3_finalize(st);
	ck_sqlite_ro_close(&ro);
}

/* The write open runs no trigger the file's author planted. */
static void
writes_run_no_trigger(void **state)
{
	char path[128];
	struct ck_sqlite_ro ro;
	struct ck_error err;
	sqlite3_stmt *st;
	sqlite3 *db;

	(void)state;
	snprintf(path, sizeof(path), "%s/trig.sqlite", dir);
	make_db(path, "CREATE TABLE t (id INTEGER); CREATE TABLE log (x INTEGER);"
	    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); END;");
	assert_int_equal(ck_sqlite_rw_open_beneath(&ro, dir, path, 500, &err), 0);
	assert_int_equal(ck_sqlite_ro_prepare(&ro, "INSERT INTO t VALUES (7)", &st, &err), 0);
	assert_int_equal(ck_sqlite_ro_step(&ro, st, &err), 0);
	sqlite3_finalize(st);
	ck_sqlite_ro_close(&ro);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM log)",
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_column_int(st, 1), 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tables_views_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(deadlines, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_run_no_trigger, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
