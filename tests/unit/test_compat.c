/* The version table: each row's boundary, and unknown versions. The
 * boundaries are the ones the fixtures and the installed packages show
 * (agent/compat.c names where each was learned). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
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
	assert_int_equal(ck_compat_has("2026.7.35", CK_FEAT_TOUCHED_AT_IN_DB), 0);
	assert_int_equal(ck_compat_has("2026.8.2", CK_FEAT_TOUCHED_AT_IN_DB), 1);
	assert_int_equal(ck_compat_has("2026.7.35", CK_FEAT_AGENTS_ENTRIES), 0);
	assert_int_equal(ck_compat_has("2026.8.2", CK_FEAT_AGENTS_ENTRIES), 1);
	assert_int_equal(ck_compat_has("2026.9.6", CK_FEAT_AGENTS_ENTRIES), 1);
	assert_int_equal(ck_compat_has("2026.7.35", CK_FEAT_AGENTS_OWNERSHIP), 0);
	assert_int_equal(ck_compat_has("2026.8.2", CK_FEAT_AGENTS_OWNERSHIP), 1);
	assert_int_equal(ck_compat_has("2026.7.35", CK_FEAT_AUTH_IN_SQLITE), 0);
	assert_int_equal(ck_compat_has("2026.8.2", CK_FEAT_AUTH_IN_SQLITE), 1);
	assert_int_equal(ck_compat_has("2026.7.35", CK_FEAT_CODEX_HARNESS_DEFAULT), 0);
	assert_int_equal(ck_compat_has("2026.8.2", CK_FEAT_CODEX_HARNESS_DEFAULT), 1);
	assert_int_equal(ck_compat_has("2026.7.35", CK_FEAT_SUPERVISOR_EXTERNAL), 0);
	assert_int_equal(ck_compat_has("2026.8.2", CK_FEAT_SUPERVISOR_EXTERNAL), 1);
	assert_int_equal(ck_compat_has("2026.7.35", CK_FEAT_LOCAL_AGENT_EXCLUSIVE), 0);
	assert_int_equal(ck_compat_has("2026.8.2", CK_FEAT_LOCAL_AGENT_EXCLUSIVE), 1);
	assert_int_equal(ck_compat_has("2026.5.28", CK_FEAT_LOGIN_FORCE), 0);
	assert_int_equal(ck_compat_has("2026.6.1", CK_FEAT_LOGIN_FORCE), 1);
	assert_int_equal(ck_compat_has("2026.5.28", CK_FEAT_UPDATE_CHECK_KEY), 1);
	/* OPENCLAW_AGENT_SCHEMA_VERSION of each package checked */
	assert_int_equal(ck_compat_agent_db_schema("2026.6.1"), 0);
	/* 7.35's schema-1 agent db goes through 8.2's doctor before 9.x's. */
	assert_string_equal(ck_compat_doctor_waypoint(1, "2026.9.6"), "2026.8.2");
	assert_null(ck_compat_doctor_waypoint(0, "2026.9.6"));
	assert_null(ck_compat_doctor_waypoint(19, "2026.9.6"));
	assert_null(ck_compat_doctor_waypoint(1, "2026.8.2"));
	assert_int_equal(ck_compat_agent_db_schema("2026.6.5"), 1);
	assert_int_equal(ck_compat_agent_db_schema("2026.6.35"), 1);
	assert_int_equal(ck_compat_agent_db_schema("2026.7.35"), 1);
	assert_int_equal(ck_compat_agent_db_schema("2026.8.1-beta.1"), 16);
	assert_int_equal(ck_compat_agent_db_schema("2026.8.1"), 19);
	assert_int_equal(ck_compat_agent_db_schema("2026.8.2"), 19);
	assert_int_equal(ck_compat_agent_db_schema("2026.9.1"), 19);
	assert_int_equal(ck_compat_agent_db_schema("2026.9.4"), 19);
	assert_int_equal(ck_compat_agent_db_schema("2026.9.5"), 21);
	assert_int_equal(ck_compat_agent_db_schema("2026.9.6"), 23);
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
