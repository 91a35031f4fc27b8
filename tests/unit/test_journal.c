/* The operations journal on disk (agent/journal.c): ids that can name a
 * file and those that cannot, records written and read back, the listing
 * newest first (created_at, then id) with at most max records, files that
 * are not records skipped, and the unreadable-record finder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/journal.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ck-journal-XXXXXX");
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
put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
ids(void **state)
{
	char longid[CK_OP_ID_MAX + 2];

	(void)state;
	assert_true(ck_op_id_valid("op-20261201T000000Z-0a1b2c3d"));
	assert_true(ck_op_id_valid("a.b_c-D9"));
	assert_false(ck_op_id_valid(NULL));
	assert_false(ck_op_id_valid(""));
	assert_false(ck_op_id_valid(".hidden"));
	assert_false(ck_op_id_valid("../etc/passwd"));
	assert_false(ck_op_id_valid("a/b"));
	assert_false(ck_op_id_valid("a b"));
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_false(ck_op_id_valid(longid));
}

static void
write_read_list(void **state)
{
	struct ck_error err;
	json_t *a = ck_op_new("regenerate", 1796000000000LL);
	json_t *b = ck_op_new("upgrade", 1796000001000LL);
	json_t *got, *list;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(ck_op_add_step(a, "preflight"), 0);
	assert_int_equal(ck_op_step_set(a, "preflight", "done", "ok", 1796000000500LL), 0);
	assert_int_equal(ck_op_write(dir, a, &err), 0);
	assert_int_equal(ck_op_write(dir, b, &err), 0);
	got = ck_op_read(dir, json_string_value(json_object_get(a, "id")), &err);
	assert_non_null(got);
	assert_true(json_equal(got, a));
	json_decref(got);
	/* not records: a temp file, another name, a hidden file */
	put("x.json.ck-tmp-1234", "{}");
	put("notes.txt", "hello");
	put(".json", "{}");
	list = ck_op_list(dir, 10, &err);
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "kind")), "upgrade");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "kind")), "regenerate");
	json_decref(list);
	list = ck_op_list(dir, 1, &err);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	assert_int_equal(ck_op_find_unreadable(dir, &err), 0);
	/* the same created_at: by id, the greater first */
	put("op-b.json", "{\"id\":\"op-b\",\"state\":\"failed\",\"created_at\":\"2030-01-01T00:00:00.000Z\"}");
	put("op-a.json", "{\"id\":\"op-a\",\"state\":\"failed\",\"created_at\":\"2030-01-01T00:00:00.000Z\"}");
	list = ck_op_list(dir, 10, &err);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")), "op-b");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "id")), "op-a");
	json_decref(list);
	json_decref(a);
	json_decref(b);
}

static void
missing_and_broken(void **state)
{
	struct ck_error err;
	char gone[96];
	json_t *list;

	(void)state;
	assert_null(ck_op_read(dir, "../x", &err));
	assert_non_null(strstr(err.msg, "not found"));
	assert_null(ck_op_read(dir, "op-nope", &err));
	assert_non_null(strstr(err.msg, "not found"));
	snprintf(gone, sizeof(gone), "%s/none", dir);
	list = ck_op_list(gone, 10, &err);
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	assert_int_equal(ck_op_find_unreadable(gone, &err), 0);
	/* a record with no state, and one that is not JSON: listed around,
	 * found by the finder, which names the file */
	put("op-nostate.json", "{\"id\":\"op-nostate\"}");
	assert_int_equal(ck_op_find_unreadable(dir, &err), 1);
	assert_non_null(strstr(err.msg, "op-nostate.json"));
	unlink(strcat(strcpy(gone, dir), "/op-nostate.json"));
	put("op-junk.json", "{not json");
	assert_int_equal(ck_op_find_unreadable(dir, &err), 1);
	list = ck_op_list(dir, 10, &err);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	/* an id that is not an id cannot be written */
	{
		json_t *bad = json_pack("{s:s, s:s}", "id", "../evil", "state", "pending");

		assert_int_equal(ck_op_write(dir, bad, &err), -1);
		assert_non_null(strstr(err.msg, "no valid id"));
		json_decref(bad);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ids),
		cmocka_unit_test_setup_teardown(write_read_list, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_and_broken, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
