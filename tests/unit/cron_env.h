/* The temporary instance the cron tests share (test_cron.c reads jobs,
 * test_cron_write.c writes them): a state dir with state/ made, the
 * paths of its database and job file, and an instance naming it. Only
 * for the unit tests; each includes it once. */
#ifndef CK_TEST_CRON_ENV_H
#define CK_TEST_CRON_ENV_H

#include <sqlite3.h>
#include "clawkeeper/fileio.h"
#include "clawkeeper/instance.h"

struct env {
	char *tmp;
	char *state;
	char *db;           /* <state>/state/openclaw.sqlite */
	char *jobs_json;    /* <state>/cron/jobs.json, also the rows' key */
	struct ck_instance inst;
};

static void
env_init(struct env *e, const char *version)
{
	char tmpl[] = "/tmp/ck-cron-XXXXXX";
	struct ck_error err;
	char *dir;

	memset(e, 0, sizeof(*e));
	assert_non_null(mkdtemp(tmpl));
	e->tmp = strdup(tmpl);
	e->state = ck_path_join(e->tmp, "state");
	e->db = ck_path_join(e->state, "state/openclaw.sqlite");
	e->jobs_json = ck_path_join(e->state, "cron/jobs.json");
	dir = ck_path_join(e->state, "state");
	assert_int_equal(ck_mkdir_p(dir, 0700, &err), 0);
	free(dir);
	e->inst.state_dir = strdup(e->state);
	e->inst.version = version ? strdup(version) : NULL;
}

static void
env_free(struct env *e)
{
	struct ck_error err;

	assert_int_equal(ck_rm_rf(e->tmp, &err), 0);
	free(e->inst.state_dir);
	free(e->inst.version);
	json_decref(e->inst.config);
	free(e->tmp);
	free(e->state);
	free(e->db);
	free(e->jobs_json);
}

static void
exec_sql(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", db, msg);
	sqlite3_close(h);
}

#endif
