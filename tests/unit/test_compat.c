/* The version table: each row's boundary, and unknown versions. The
 * boundaries are the ones the fixtures and the installed packages show
 * (agent/compat.c names where each was learned). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clawkeeper/compat.h"

static void
test_unified(void **state)
{
	(void)state;
	assert_int_equal(ck_compat_has("2026.5.28", CK_FEAT_UNIFIED_PROVIDER), 0);
	assert_int_equal(ck_compat_has("2026.5.30-beta.1", CK_FEAT_UNIFIED_PROVIDER), 1);
	assert_int_equal(ck_compat_has("2026.6.1", CK_FEAT_UNIFIED_PROVIDER), 1);
	assert_int_equal(ck_compat_has("v2026.9.6", CK_FEAT_UNIFIED_PROVIDER), 1);
	assert_int_equal(ck_compat_has("not-a-version", CK_FEAT_UNIFIED_PROVIDER), -1);
	assert_int_equal(ck_compat_has(NULL, CK_FEAT_UNIFIED_PROVIDER), -1);
}

static void
test_boundaries(void **state)
{
	(void)state;
	assert_int_equal(ck_compat_has("2026.6.35", CK_FEAT_NODE24), 0);
	assert_int_equal(ck_compat_has("2026.7.1", CK_FEAT_NODE24), 1);
	assert_int_equal(ck_compat_has("2026.5.28", CK_FEAT_CRON_IN_SQLITE), 0);
	assert_int_equal(ck_compat_has("2026.6.1", CK_FEAT_CRON_IN_SQLITE), 1);
	assert_int_equal(ck_compat_has("2026.6.35", CK_FEAT_TOUCHED_AT_IN_DB), 0);
	assert_int_equal(ck_compat_has("2026.9.6", CK_FEAT_TOUCHED_AT_IN_DB), 1);
	assert_int_equal(ck_compat_has("2026.8.2", CK_FEAT_AGENTS_ENTRIES), 0);
	assert_int_equal(ck_compat_has("2026.9.6", CK_FEAT_AGENTS_ENTRIES), 1);
	assert_int_equal(ck_compat_agent_db_schema("2026.8.2"), 19);
	assert_int_equal(ck_compat_agent_db_schema("2026.9.6"), 23);
	assert_int_equal(ck_compat_agent_db_schema("2026.6.1"), 0);
}

static void
test_every_row_named(void **state)
{
	int f;

	(void)state;
	for (f = 0; f < CK_FEAT_COUNT; f++) {
		const struct ck_compat_row *row = ck_compat_row((enum ck_feature)f);

		assert_non_null(row);
		assert_int_equal(row->feature, f);
		assert_non_null(row->name);
		assert_non_null(row->learned);
		assert_int_not_equal(ck_compat_has(row->since, (enum ck_feature)f), -1);
	}
	assert_null(ck_compat_row(CK_FEAT_COUNT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unified),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_every_row_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
