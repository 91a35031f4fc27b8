/* Trees an upgrade sets aside and puts back: the kept tree stays exactly
 * as it was (a WAL database's -wal and -shm included: it is never opened),
 * the live copy is identical, and the put-back is safe to run again from
 * any point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "clawkeeper/error.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/tree.h"

static char tmp[] = "/tmp/ck-test-tree-XXXXXX";

static char *
at(const char *rel)
{
	return ck_path_join(tmp, rel);
}

/* A database left in WAL mode with rows only in its -wal (a writer that
 * was stopped without a checkpoint), beside ordinary files and a link. */
static void
make_state(const char *dir)
{
	char *db = ck_path_join(dir, "state/openclaw.sqlite");
	char *sub = ck_path_join(dir, "state");
	char *f = ck_path_join(dir, "identity.json");
	char *lnk = ck_path_join(dir, "link");
	sqlite3 *h;
	struct ck_error err;

	assert_int_equal(ck_mkdir_p(sub, 0700, &err), 0);
	assert_int_equal(ck_file_write_atomic(f, "{\"device\":1}\n", 13, 0600, &err), 0);
	assert_int_equal(symlink("identity.json", lnk), 0);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
				      "CREATE TABLE t(x); INSERT INTO t VALUES (1),(2),(3);",
				      NULL, NULL, NULL), SQLITE_OK);
	/* Keep the -wal: copy the files while the connection is open. */
	{
		char *wal = ck_strdup_printf("%s-wal", db), *shm = ck_strdup_printf("%s-shm", db);
		char *wal2 = ck_strdup_printf("%s.keep-wal", db), *shm2 = ck_strdup_printf("%s.keep-shm", db);

		assert_int_equal(ck_file_copy(wal, wal2, &err), 0);
		assert_int_equal(ck_file_copy(shm, shm2, &err), 0);
		sqlite3_close(h);
		assert_int_equal(rename(wal2, wal), 0);
		assert_int_equal(rename(shm2, shm), 0);
		free(wal);
		free(shm);
		free(wal2);
		free(shm2);
	}
	free(db);
	free(sub);
	free(f);
	free(lnk);
}

static char *
digest_text(const char *dir)
{
	struct ck_error err;
	json_t *d = ck_tree_digest(dir, &err);
	char *text;

	assert_non_null(d);
	text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	return text;
}

static void
test_set_aside_and_put_back(void **state)
{
	char *live = at("live"), *kept = at("live.pre"), *aside = at("live.failed");
	char *before, *kept_after, *live_copy, *back, *wal;
	struct ck_tree_stats st = { 0 };
	struct ck_error err;

	(void)state;
	make_state(live);
	wal = ck_path_join(live, "state/openclaw.sqlite-wal");
	assert_true(ck_file_exists(wal));
	free(wal);
	before = digest_text(live);
	assert_int_equal(ck_tree_set_aside(live, kept, &st, &err), 0);
	kept_after = digest_text(kept);
	live_copy = digest_text(live);
	assert_string_equal(kept_after, before);
	assert_string_equal(live_copy, before);
	assert_int_equal(st.files, 4); /* identity, db, -wal, -shm */
	/* A second run after a crash keeps the original aside and copies again. */
	assert_int_equal(ck_tree_set_aside(live, kept, &st, &err), 0);
	free(kept_after);
	kept_after = digest_text(kept);
	assert_string_equal(kept_after, before);
	/* The new version writes; the put-back keeps that aside. */
	{
		char *f = ck_path_join(live, "written-by-new.txt");

		assert_int_equal(ck_file_write_atomic(f, "new\n", 4, 0600, &err), 0);
		free(f);
	}
	assert_int_equal(ck_tree_put_back(live, kept, aside, &err), 0);
	back = digest_text(live);
	assert_string_equal(back, before);
	{
		char *f = ck_path_join(aside, "written-by-new.txt");

		assert_true(ck_file_exists(f));
		free(f);
	}
	/* Again: nothing left to do, nothing changes. */
	assert_int_equal(ck_tree_put_back(live, kept, aside, &err), 0);
	free(back);
	back = digest_text(live);
	assert_string_equal(back, before);
	free(before);
	free(kept_after);
	free(live_copy);
	free(back);
	free(live);
	free(kept);
	free(aside);
}

/* Killed between the two renames of a put-back: live is gone, kept is
 * there; running it again finishes it. */
static void
test_put_back_after_crash(void **state)
{
	char *live = at("c"), *kept = at("c.pre"), *aside = at("c.failed");
	char *before, *back;
	struct ck_error err;

	(void)state;
	make_state(live);
	before = digest_text(live);
	assert_int_equal(ck_tree_set_aside(live, kept, NULL, &err), 0);
	assert_int_equal(rename(live, aside), 0); /* the first rename, then the kill */
	assert_int_equal(ck_tree_put_back(live, kept, aside, &err), 0);
	back = digest_text(live);
	assert_string_equal(back, before);
	assert_false(ck_dir_exists(kept));
	free(before);
	free(back);
	free(live);
	free(kept);
	free(aside);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmp) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return ck_rm_rf(tmp, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_aside_and_put_back),
		cmocka_unit_test(test_put_back_after_crash),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
