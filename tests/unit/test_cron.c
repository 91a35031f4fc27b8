/* Cron jobs from where each OpenClaw version keeps them (agent/cron.c),
 * read from real captures (tests/fixtures/cron/README.md) and checked
 * against what `openclaw cron list --json` said about the same jobs; and
 * the SQLite guard (common/sqlite_ro.c) against files OpenClaw did not
 * write: views, virtual tables, slow generated columns, FIFOs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/config_health.h"
#include "clawkeeper/credentials.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/json5.h"

#define FX CK_FIXTURES "/cron"
#define SRC_SQLITE "state/openclaw.sqlite cron_jobs"
#define SRC_JSON "cron/jobs.json"

/* The jobs every capture created (README.md): ids as OpenClaw chose them. */
struct capture {
	const char *version;
	size_t njobs;
	const char *model_only, *with_fallbacks, *strict, *system_ping;
};

static const struct capture captures[] = {
	{ "2026.6.1", 4, "0f2680c1-6f6d-4fdf-b3b2-52fe9fa95f96",
	  "5f974ab4-5dcf-4e06-a006-ea53f816b3bb",
	  "6a6fd617-e825-4ef0-abd5-74eb663977ff",
	  "49c8e743-4c84-4e18-8fe6-0cbce8c24278" },
	{ "2026.7.35", 4, "0327157a-f6c7-43da-8212-9d0c48692fb0",
	  "a4e0be81-4a6e-4d4e-bb70-aff3c75babbc",
	  "09bb6edb-1fcb-4dc8-836f-4dd04c66c7ed",
	  "4d704873-5b22-4075-8fde-5d5f3ae3d743" },
	{ "2026.8.2", 7, "154731e1-72d6-4db1-8f13-07a5f71a609e",
	  "5bafc4c8-c231-4bb0-9b91-68187e5daf7a",
	  "8ac30dd7-7c1c-4fcf-b2d5-88ac4c93b2a6",
	  "6148cfcd-8d97-41a6-8c83-146582d67162" },
	{ "2026.9.6", 7, "a9a6ff38-3689-41b7-ad0c-2ea0c07ec029",
	  "7f269649-a933-42bd-b4d8-4fd2155b88be",
	  "c7c4c9fe-df07-425e-b5e5-ea780e02ff41",
	  "856a804a-05f6-40d7-85fc-0fa05c030a6f" },
};

static const struct capture jobs_json_528 = {
	"2026.5.28", 4, "800e8293-fcfe-4a6f-b42d-1b11cd5aca06",
	"ea12dd22-94fc-45aa-9e6f-aba0544daf99",
	"14b79e69-ab36-4cb0-871b-ccf500c94941",
	"b00bfe50-e781-4e4d-8c28-63061ef2c700",
};

#define FALLBACKS_3 \
	"[\"anthropic/claude-sonnet-4-6\",\"openrouter/deepseek/deepseek-chat\"," \
	"\"ollama/llama3.3\"]"

#include "cron_env.h"

/* A database from a capture's dump, its rows keyed to this state dir as
 * OpenClaw keys them (path.resolve of <state>/cron/jobs.json); key NULL
 * keeps the capture's own key. */
static void
db_from_dump(struct env *e, const char *rel, const char *key)
{
	char *path = ck_path_join(FX, rel), *sql, *update;
	struct ck_error err;
	size_t len;

	if (ck_file_read(path, 1 << 20, &sql, &len, &err) < 0)
		fail_msg("%s", err.msg);
	exec_sql(e->db, sql);
	if (key != NULL) {
		update = sqlite3_mprintf("UPDATE cron_jobs SET store_key = %Q", key);
		exec_sql(e->db, update);
		sqlite3_free(update);
	}
	free(sql);
	free(path);
}

static void
jobs_json_from(struct env *e, const char *rel)
{
	char *src = ck_path_join(FX, rel), *dir = ck_path_join(e->state, "cron");
	struct ck_error err;

	assert_int_equal(ck_mkdir_p(dir, 0700, &err), 0);
	assert_int_equal(ck_file_copy(src, e->jobs_json, &err), 0);
	free(dir);
	free(src);
}

static json_t *
load_ok(struct env *e)
{
	struct ck_error err;
	json_t *jobs;

	ck_error_clear(&err);
	jobs = ck_cron_jobs_load(&e->inst, &err);
	if (jobs == NULL)
		fail_msg("ck_cron_jobs_load: %s", err.msg);
	assert_true(json_is_array(jobs));
	return jobs;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_t *
job_by_id(json_t *jobs, const char *id)
{
	json_t *job;
	size_t i;

	json_array_foreach(jobs, i, job)
		if (str(job, "id") != NULL && strcmp(str(job, "id"), id) == 0)
			return job;
	return NULL;
}

static size_t
index_of(json_t *jobs, const char *id)
{
	json_t *job;
	size_t i;

	json_array_foreach(jobs, i, job)
		if (str(job, "id") != NULL && strcmp(str(job, "id"), id) == 0)
			return i;
	fail_msg("job %s not loaded", id);
	return 0;
}

/* fallbacks: the exact JSON array, or NULL for "no payload.fallbacks". */
static void
assert_job(json_t *jobs, const char *id, const char *name, const char *kind,
	   const char *model, const char *fallbacks, const char *source)
{
	json_t *job = job_by_id(jobs, id), *payload, *want;

	if (job == NULL)
		fail_msg("job %s not loaded", id);
	payload = json_object_get(job, "payload");
	assert_string_equal(str(job, "name"), name);
	assert_string_equal(str(payload, "kind"), kind);
	if (model != NULL)
		assert_string_equal(str(payload, "model"), model);
	else
		assert_null(json_object_get(payload, "model"));
	if (fallbacks == NULL) {
		assert_null(json_object_get(payload, "fallbacks"));
	} else {
		want = json_loads(fallbacks, 0, NULL);
		assert_non_null(want);
		if (!json_equal(want, json_object_get(payload, "fallbacks")))
			fail_msg("job %s: fallbacks %s, want %s", id,
				 json_dumps(json_object_get(payload, "fallbacks"), 0),
				 fallbacks);
		json_decref(want);
	}
	assert_string_equal(str(job, "source"), source);
}

static void
assert_capture_jobs(json_t *jobs, const struct capture *c, const char *source)
{
	assert_int_equal(json_array_size(jobs), c->njobs);
	assert_job(jobs, c->model_only, "model-only", "agentTurn",
		   "anthropic/claude-sonnet-4-6", NULL, source);
	assert_job(jobs, c->with_fallbacks, "with-fallbacks", "agentTurn",
		   "openai/gpt-5.5", FALLBACKS_3, source);
	assert_job(jobs, c->strict, "strict", "agentTurn", "openai/gpt-5.5", "[]",
		   source);
	assert_job(jobs, c->system_ping, "system-ping", "systemEvent", NULL, NULL,
		   source);
	/* in the order the CLI added them (sort_order) */
	assert_true(index_of(jobs, c->model_only) < index_of(jobs, c->with_fallbacks));
	assert_true(index_of(jobs, c->with_fallbacks) < index_of(jobs, c->strict));
	assert_true(index_of(jobs, c->strict) < index_of(jobs, c->system_ping));
}

/* Every job the gateway listed has the same model and fallbacks here
 * (both absent, or equal). */
static void
assert_same_as_cron_list(json_t *jobs, const char *version)
{
	char *rel = ck_strdup_printf("%s/%s/cron-list.json", FX, version);
	json_t *list = json_load_file(rel, 0, NULL), *cli, *job, *a, *b;
	size_t i;

	assert_non_null(list);
	assert_int_equal(json_array_size(json_object_get(list, "jobs")),
			 json_array_size(jobs));
	json_array_foreach(json_object_get(list, "jobs"), i, cli) {
		job = job_by_id(jobs, str(cli, "id"));
		if (job == NULL)
			fail_msg("%s: job %s listed by openclaw, not loaded", version,
				 str(cli, "id"));
		a = json_object_get(json_object_get(cli, "payload"), "model");
		b = json_object_get(json_object_get(job, "payload"), "model");
		assert_true((a == NULL && b == NULL) || json_equal(a, b));
		a = json_object_get(json_object_get(cli, "payload"), "fallbacks");
		b = json_object_get(json_object_get(job, "payload"), "fallbacks");
		if (!((a == NULL && b == NULL) || json_equal(a, b)))
			fail_msg("%s: job %s fallbacks differ from cron list", version,
				 str(cli, "id"));
	}
	json_decref(list);
	free(rel);
}

/* ---- real stores ------------------------------------------------------ */

static void
jobs_json_2026_5_28(void **state)
{
	struct env e;
	json_t *jobs, *job;
	size_t i;

	(void)state;
	env_init(&e, "2026.5.28");
	jobs_json_from(&e, "2026.5.28/jobs.json");
	/* a database with rows is not where 5.28 keeps jobs: not read */
	db_from_dump(&e, "2026.6.1/cron_jobs.sql", e.jobs_json);
	jobs = load_ok(&e);
	assert_capture_jobs(jobs, &jobs_json_528, SRC_JSON);
	assert_same_as_cron_list(jobs, "2026.5.28");
	json_array_foreach(jobs, i, job) {
		assert_int_equal(json_integer_value(json_object_get(job, "position")), i);
		assert_null(json_object_get(job, "pending_import"));
	}
	json_decref(jobs);
	env_free(&e);
}

static void
sqlite_rows_each_version(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		const struct capture *c = &captures[i];
		char *rel = ck_strdup_printf("%s/cron_jobs.sql", c->version);
		struct env e;
		json_t *jobs;

		env_init(&e, c->version);
		db_from_dump(&e, rel, e.jobs_json);
		jobs = load_ok(&e);
		assert_capture_jobs(jobs, c, SRC_SQLITE);
		assert_same_as_cron_list(jobs, c->version);
		json_decref(jobs);
		env_free(&e);
		free(rel);
	}
}

/* 8.2+ also keep OpenClaw's own jobs; they set no model of their own. */
static void
sqlite_2026_9_6_builtin_jobs(void **state)
{
	struct env e;
	json_t *jobs, *hb;

	(void)state;
	env_init(&e, "2026.9.6");
	db_from_dump(&e, "2026.9.6/cron_jobs.sql", e.jobs_json);
	jobs = load_ok(&e);
	hb = job_by_id(jobs, "e7a62bd5-2227-4066-9cfd-d69c74a7f3aa");
	assert_non_null(hb);
	assert_string_equal(str(hb, "name"), "heartbeat-main");
	assert_string_equal(str(hb, "agentId"), "main");
	assert_string_equal(str(json_object_get(hb, "payload"), "kind"), "heartbeat");
	assert_job(jobs, "d25829b0-d77d-4b34-b8a8-38f229b7483a",
		   "Memory Dreaming Promotion", "agentTurn", NULL, NULL, SRC_SQLITE);
	assert_int_equal(index_of(jobs, "d25829b0-d77d-4b34-b8a8-38f229b7483a"), 0);
	json_decref(jobs);
	env_free(&e);
}

/* Rows keyed to another path are not this instance's: a 2026.6.1
 * gateway started on a moved copy of the state listed no jobs. */
static void
rows_of_another_store_key(void **state)
{
	struct env e;
	json_t *jobs;

	(void)state;
	env_init(&e, "2026.6.1");
	db_from_dump(&e, "2026.6.1/cron_jobs.sql", NULL);
	jobs = load_ok(&e);
	assert_int_equal(json_array_size(jobs), 0);
	json_decref(jobs);
	env_free(&e);
}

/* The gateway keyed its rows through a symlink to the state dir. */
static void
rows_keyed_through_symlink(void **state)
{
	struct env e;
	char *link, *key;
	json_t *jobs;

	(void)state;
	env_init(&e, "2026.6.1");
	link = ck_path_join(e.tmp, "link");
	key = ck_path_join(link, "cron/jobs.json");
	assert_int_equal(symlink(e.state, link), 0);
	db_from_dump(&e, "2026.6.1/cron_jobs.sql", key);
	jobs = load_ok(&e);
	assert_capture_jobs(jobs, &captures[0], SRC_SQLITE);
	json_decref(jobs);
	/* and the other way round: the agent is given the link */
	free(e.inst.state_dir);
	e.inst.state_dir = ck_strdup_printf("%s/./", link);
	exec_sql(e.db, "UPDATE cron_jobs SET store_key = replace(store_key, '/link/', '/state/')");
	jobs = load_ok(&e);
	assert_int_equal(json_array_size(jobs), 4);
	json_decref(jobs);
	free(key);
	free(link);
	env_free(&e);
}

/* A running gateway's newest rows are only in its WAL: they must be
 * seen. With no WAL the file is opened immutable and nothing appears
 * next to it. */
static void
rows_still_in_the_wal(void **state)
{
	struct env e;
	sqlite3 *writer;
	char *wal, *shm;
	json_t *jobs;

	(void)state;
	env_init(&e, "2026.6.1");
	db_from_dump(&e, "2026.6.1/cron_jobs.sql", e.jobs_json);
	wal = ck_strdup_printf("%s-wal", e.db);
	shm = ck_strdup_printf("%s-shm", e.db);
	assert_int_equal(sqlite3_open(e.db, &writer), SQLITE_OK);
	assert_int_equal(sqlite3_exec(writer, "PRAGMA journal_mode=WAL; "
		"PRAGMA wal_autocheckpoint=0; "
		"CREATE TEMP TABLE t AS SELECT * FROM cron_jobs WHERE name = 'strict'; "
		"UPDATE t SET job_id = 'added-while-running', sort_order = 9; "
		"INSERT INTO cron_jobs SELECT * FROM t;", NULL, NULL, NULL), SQLITE_OK);
	assert_true(ck_file_exists(wal));
	jobs = load_ok(&e);
	assert_int_equal(json_array_size(jobs), 5);
	assert_job(jobs, "added-while-running", "strict", "agentTurn", "openai/gpt-5.5",
		   "[]", SRC_SQLITE);
	json_decref(jobs);
	sqlite3_close(writer);
	assert_false(ck_file_exists(wal));
	jobs = load_ok(&e);
	assert_int_equal(json_array_size(jobs), 5);
	assert_false(ck_file_exists(wal));
	assert_false(ck_file_exists(shm));
	json_decref(jobs);
	free(wal);
	free(shm);
	env_free(&e);
}

/* 2026.6.1 on a 5.28 state before doctor: jobs.json is not run; after
 * doctor the rows carry the same ids (fixture 2026.5.28-to-2026.6.1). */
static void
legacy_jobs_json_on_2026_6_1(void **state)
{
	struct env e;
	json_t *jobs, *job;
	size_t i;

	(void)state;
	env_init(&e, "2026.6.1");
	jobs_json_from(&e, "2026.5.28/jobs.json");
	jobs = load_ok(&e);
	assert_capture_jobs(jobs, &jobs_json_528, SRC_JSON);
	json_array_foreach(jobs, i, job)
		assert_true(json_is_true(json_object_get(job, "pending_import")));
	json_decref(jobs);

	db_from_dump(&e, "2026.5.28-to-2026.6.1/cron_jobs.after-doctor.sql", e.jobs_json);
	jobs = load_ok(&e);
	assert_capture_jobs(jobs, &jobs_json_528, SRC_SQLITE);
	json_decref(jobs);
	env_free(&e);
}

/* Unknown version: the database first, then what only jobs.json has. */
static void
unknown_version_reads_both(void **state)
{
	struct env e;
	json_t *jobs, *job;

	(void)state;
	env_init(&e, NULL);
	jobs_json_from(&e, "2026.5.28/jobs.json");
	jobs = load_ok(&e);
	assert_capture_jobs(jobs, &jobs_json_528, SRC_JSON);
	assert_null(json_object_get(json_array_get(jobs, 0), "pending_import"));
	json_decref(jobs);
	db_from_dump(&e, "2026.6.1/cron_jobs.sql", e.jobs_json);
	jobs = load_ok(&e);
	assert_int_equal(json_array_size(jobs), 8);
	assert_string_equal(str(json_array_get(jobs, 0), "id"), captures[0].model_only);
	assert_string_equal(str(json_array_get(jobs, 0), "source"), SRC_SQLITE);
	job = json_array_get(jobs, 4);
	assert_string_equal(str(job, "id"), jobs_json_528.model_only);
	assert_string_equal(str(job, "source"), SRC_JSON);
	json_decref(jobs);
	env_free(&e);
}

static void
no_store_no_jobs(void **state)
{
	struct env e;
	json_t *jobs;

	(void)state;
	env_init(&e, "2026.9.6");
	jobs = load_ok(&e);
	assert_int_equal(json_array_size(jobs), 0);
	json_decref(jobs);
	/* a database without the table (another tool's, or a fresh one) */
	exec_sql(e.db, "CREATE TABLE schema_meta(k TEXT)");
	jobs = load_ok(&e);
	assert_int_equal(json_array_size(jobs), 0);
	json_decref(jobs);
	env_free(&e);
}

/* ---- config health on the real rows ------------------------------------ */

static json_t *
finding_on(json_t *findings, const char *code, const char *surface)
{
	json_t *f;
	size_t i;

	json_array_foreach(findings, i, f)
		if (strcmp(str(f, "code"), code) == 0 &&
		    strcmp(str(f, "surface"), surface) == 0)
			return f;
	return NULL;
}

static size_t
count_cron_findings(json_t *findings)
{
	json_t *f;
	size_t i, n = 0;

	json_array_foreach(findings, i, f)
		n += strncmp(str(f, "surface"), "cron", 4) == 0;
	return n;
}

static json_t *
health(struct env *e)
{
	char *config = ck_path_join(FX, "2026.6.1/openclaw.json");
	json_t *findings = json_array();
	struct ck_error err;

	e->inst.config = ck_json5_load_file(config, &err);
	assert_non_null(e->inst.config);
	assert_int_equal(ck_config_health(&e->inst, NULL, findings), 0);
	free(config);
	return findings;
}

static void
strict_job_finding_2026_6_1(void **state)
{
	const struct capture *c = &captures[0];
	char surface[128];
	struct env e;
	json_t *findings, *f;

	(void)state;
	env_init(&e, "2026.6.1");
	db_from_dump(&e, "2026.6.1/cron_jobs.sql", e.jobs_json);
	findings = health(&e);

	snprintf(surface, sizeof(surface), "cron:%s", c->strict);
	f = finding_on(findings, "CRON_FALLBACKS_OVERRIDE", surface);
	assert_non_null(f);
	assert_string_equal(str(f, "severity"), "info");
	assert_string_equal(str(f, "message"), "cron job "
		"6a6fd617-e825-4ef0-abd5-74eb663977ff sets payload.fallbacks to []: "
		"its runs use openai/gpt-5.5 only and never fail over (job in "
		"state/openclaw.sqlite cron_jobs)");
	assert_non_null(strstr(str(f, "fix"), "`openclaw cron edit "
		"6a6fd617-e825-4ef0-abd5-74eb663977ff --fallbacks <provider>/<model>"));
	assert_non_null(strstr(str(f, "fix"), "openclaw gateway call cron.update "
		"--params '{\"id\":\"6a6fd617-e825-4ef0-abd5-74eb663977ff\","));

	snprintf(surface, sizeof(surface), "cron:%s", c->with_fallbacks);
	f = finding_on(findings, "CRON_FALLBACKS_OVERRIDE", surface);
	assert_non_null(f);
	assert_string_equal(str(f, "severity"), "info");
	assert_string_equal(str(f, "message"), "cron job "
		"5f974ab4-5dcf-4e06-a006-ea53f816b3bb replaces the model fallback "
		"chain with its own payload.fallbacks: anthropic/claude-sonnet-4-6, "
		"openrouter/deepseek/deepseek-chat, ollama/llama3.3 (job in "
		"state/openclaw.sqlite cron_jobs)");
	f = finding_on(findings, "FALLBACK_UNRESOLVED", surface);
	assert_non_null(f);
	assert_string_equal(str(f, "severity"), "warning");
	assert_non_null(strstr(str(f, "message"), "fallback ollama/llama3.3 does not "
		"resolve"));
	/* the model-only and system jobs have nothing to report */
	assert_int_equal(count_cron_findings(findings), 3);
	json_decref(findings);
	env_free(&e);
}

/* Before this module a 6.1+ instance's strict job had no finding at all;
 * a 5.28 one keeps it, now naming jobs.json. */
static void
strict_job_finding_2026_5_28(void **state)
{
	struct env e;
	json_t *findings, *f;

	(void)state;
	env_init(&e, "2026.5.28");
	jobs_json_from(&e, "2026.5.28/jobs.json");
	findings = health(&e);
	f = finding_on(findings, "CRON_FALLBACKS_OVERRIDE",
		       "cron:14b79e69-ab36-4cb0-871b-ccf500c94941");
	assert_non_null(f);
	assert_string_equal(str(f, "severity"), "info");
	assert_string_equal(str(f, "message"), "cron job "
		"14b79e69-ab36-4cb0-871b-ccf500c94941 sets payload.fallbacks to []: "
		"its runs use openai/gpt-5.5 only and never fail over (job in "
		"cron/jobs.json)");
	assert_int_equal(count_cron_findings(findings), 3);
	json_decref(findings);
	env_free(&e);
}

static void
unreadable_store_is_a_finding(void **state)
{
	struct env e;
	json_t *findings, *f;
	char *want;

	(void)state;
	env_init(&e, "2026.6.1");
	exec_sql(e.db, "CREATE TABLE cron_jobs(store_key TEXT, job_id TEXT)");
	findings = health(&e);
	f = finding_on(findings, "CRON_UNREADABLE", "cron");
	assert_non_null(f);
	assert_string_equal(str(f, "severity"), "warning");
	want = ck_strdup_printf("%s: cron_jobs has neither payload_fallbacks_json nor "
				"job_json, a layout no OpenClaw release writes", e.db);
	assert_string_equal(str(f, "message"), want);
	free(want);
	json_decref(findings);
	env_free(&e);
}

/* ---- databases OpenClaw did not write ----------------------------------- */

static const char recursive_cron_view[] =
	"CREATE VIEW cron_jobs AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL "
	"SELECT x+1 FROM r) SELECT '/k' AS store_key, 'j' || x AS job_id, "
	"'{}' AS job_json, x AS sort_order, x AS updated_at FROM r";
static const char recursive_auth_view[] =
	"CREATE VIEW config_machine_state AS WITH RECURSIVE r(x) AS (SELECT 1 "
	"UNION ALL SELECT x+1 FROM r) SELECT 'authProfiles.store' AS state_key, "
	"'{}' AS value_json FROM r WHERE x < 0";

/* A plain table whose key column is computed per row, ~10 ms each: the
 * view check cannot see it, only the deadline stops it. The column is
 * added after the rows (an INSERT would compute it too). */
#define ROWS_1000 "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 " \
	"FROM r WHERE x < 1000) "
static const char slow_cron_table[] =
	"CREATE TABLE cron_jobs(raw TEXT, job_id TEXT, job_json TEXT, "
	"sort_order INTEGER, updated_at INTEGER);"
	ROWS_1000 "INSERT INTO cron_jobs SELECT '/k', 'j' || x, '{}', x, x FROM r;"
	"ALTER TABLE cron_jobs ADD COLUMN store_key TEXT GENERATED ALWAYS AS "
	"(raw || substr(hex(zeroblob(4000000 + length(raw))), 1, 0)) VIRTUAL";
static const char slow_auth_table[] =
	"CREATE TABLE config_machine_state(raw TEXT, value_json TEXT);"
	ROWS_1000 "INSERT INTO config_machine_state SELECT 'k' || x, '{}' FROM r;"
	"ALTER TABLE config_machine_state ADD COLUMN state_key TEXT GENERATED "
	"ALWAYS AS (raw || substr(hex(zeroblob(4000000 + length(raw))), 1, 0)) "
	"VIRTUAL";

/* Both readers on one hostile file: the exact error, in under 5 s and
 * (min_ms) not before the deadline when that is what stopped them. */
static void
assert_both_refuse(struct env *e, const char *cron_sql, const char *auth_sql,
		   const char *why, long long min_ms)
{
	char *want = ck_strdup_printf("%s: %s", e->db, why);
	struct ck_error err;
	json_t *store = NULL, *st = NULL, *jobs;
	long long t0, ms;

	if (cron_sql != NULL) {
		exec_sql(e->db, cron_sql);
		ck_error_clear(&err);
		t0 = ck_clock_mono_ms();
		jobs = ck_cron_jobs_load(&e->inst, &err);
		ms = ck_clock_mono_ms() - t0;
		assert_null(jobs);
		assert_string_equal(err.msg, want);
		if (ms >= 5000 || ms < min_ms)
			fail_msg("cron reader returned after %lld ms", ms);
	}
	if (auth_sql != NULL) {
		exec_sql(e->db, auth_sql);
		ck_error_clear(&err);
		t0 = ck_clock_mono_ms();
		assert_int_equal(ck_credentials_read_sqlite(NULL, e->db, &store, &st, &err), -1);
		ms = ck_clock_mono_ms() - t0;
		assert_null(store);
		assert_null(st);
		assert_string_equal(err.msg, want);
		if (ms >= 5000 || ms < min_ms)
			fail_msg("credential reader returned after %lld ms", ms);
	}
	free(want);
}

static void
recursive_views_are_refused(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, "2026.9.6");
	assert_both_refuse(&e, recursive_cron_view, NULL, "cron_jobs is a view, not "
			   "a plain table; refusing to read it (a view or virtual "
			   "table runs whatever the file's author wrote)", 0);
	assert_both_refuse(&e, NULL, recursive_auth_view, "config_machine_state is a "
			   "view, not a plain table; refusing to read it (a view or "
			   "virtual table runs whatever the file's author wrote)", 0);
	env_free(&e);
}

static void
slow_tables_hit_the_deadline(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, "2026.9.6");
	/* the deadline runs from the open: >= 2 s minus the clock's rounding */
	assert_both_refuse(&e, slow_cron_table, slow_auth_table,
			   "query did not finish within 2 s", 1990);
	env_free(&e);
}

static void
plain_and_virtual_tables_refused(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, "2026.6.1");
	exec_sql(e.db, "CREATE TABLE jobs_real(store_key TEXT, job_id TEXT, "
		 "job_json TEXT, sort_order INTEGER, updated_at INTEGER)");
	assert_both_refuse(&e, "CREATE VIEW cron_jobs AS SELECT * FROM jobs_real",
			   NULL, "cron_jobs is a view, not a plain table; refusing to "
			   "read it (a view or virtual table runs whatever the file's "
			   "author wrote)", 0);
	assert_both_refuse(&e, NULL, "CREATE VIEW config_machine_state AS SELECT "
			   "'authProfiles.store' AS state_key, '{}' AS value_json",
			   "config_machine_state is a view, not a plain table; "
			   "refusing to read it (a view or virtual table runs "
			   "whatever the file's author wrote)", 0);
	env_free(&e);

	env_init(&e, "2026.9.6");
	assert_both_refuse(&e, "CREATE VIRTUAL TABLE cron_jobs USING fts5(store_key, "
			   "job_id, job_json)", NULL, "cron_jobs is a virtual table, "
			   "not a plain table; refusing to read it (a view or virtual "
			   "table runs whatever the file's author wrote)", 0);
	env_free(&e);
}

/* open() of a FIFO blocks before any deadline could apply. */
static void
fifos_are_refused(void **state)
{
	struct env e;
	struct ck_error err;
	json_t *store, *st;
	char *want;

	(void)state;
	env_init(&e, "2026.6.1");
	assert_int_equal(mkfifo(e.db, 0600), 0);
	want = ck_strdup_printf("%s: not a regular file; refusing to open it", e.db);
	assert_null(ck_cron_jobs_load(&e.inst, &err));
	assert_string_equal(err.msg, want);
	assert_int_equal(ck_credentials_read_sqlite(NULL, e.db, &store, &st, &err), -1);
	assert_string_equal(err.msg, want);
	free(want);
	env_free(&e);

	env_init(&e, "2026.5.28");
	jobs_json_from(&e, "2026.5.28/jobs.json");
	unlink(e.jobs_json);
	assert_int_equal(mkfifo(e.jobs_json, 0600), 0);
	want = ck_strdup_printf("%s: not a regular file", e.jobs_json);
	assert_null(ck_cron_jobs_load(&e.inst, &err));
	assert_string_equal(err.msg, want);
	free(want);
	env_free(&e);
}

static void
garbage_rows_are_errors(void **state)
{
	struct env e;
	struct ck_error err;
	char *want;

	(void)state;
	env_init(&e, "2026.6.1");
	db_from_dump(&e, "2026.6.1/cron_jobs.sql", e.jobs_json);
	exec_sql(e.db, "UPDATE cron_jobs SET payload_fallbacks_json = '{\"a\":1}' "
		 "WHERE name = 'strict'");
	want = ck_strdup_printf("%s: cron_jobs row %s: payload_fallbacks_json is not "
				"a JSON array", e.db, captures[0].strict);
	assert_null(ck_cron_jobs_load(&e.inst, &err));
	assert_string_equal(err.msg, want);
	free(want);
	env_free(&e);

	env_init(&e, "2026.9.6");
	db_from_dump(&e, "2026.9.6/cron_jobs.sql", e.jobs_json);
	exec_sql(e.db, "UPDATE cron_jobs SET job_json = '[1]' WHERE name = 'strict'");
	want = ck_strdup_printf("%s: cron_jobs row %s: job_json is not a JSON object",
				e.db, captures[3].strict);
	assert_null(ck_cron_jobs_load(&e.inst, &err));
	assert_string_equal(err.msg, want);
	free(want);
	exec_sql(e.db, "UPDATE cron_jobs SET job_json = '{\"id\":' WHERE name = 'strict'");
	want = ck_strdup_printf("%s: cron_jobs row %s: job_json is not valid JSON "
				"(line 1, column 6)", e.db, captures[3].strict);
	assert_null(ck_cron_jobs_load(&e.inst, &err));
	assert_string_equal(err.msg, want);
	free(want);
	env_free(&e);

	env_init(&e, "2026.5.28");
	jobs_json_from(&e, "2026.5.28/jobs.json");
	assert_int_equal(ck_file_write_atomic(e.jobs_json, "{\"jobs\": 3}", 11, 0600,
					      &err), 0);
	want = ck_strdup_printf("%s: expected an array of jobs or {\"jobs\": [...]}",
				e.jobs_json);
	assert_null(ck_cron_jobs_load(&e.inst, &err));
	assert_string_equal(err.msg, want);
	free(want);
	env_free(&e);
}

/* The credential reader under the same guard still sees a key a running
 * gateway has only in its WAL (9.6 paste-api-key under a live gateway:
 * the row was invisible to an immutable open). */
static void
credentials_row_in_the_wal(void **state)
{
	struct env e;
	struct ck_error err;
	json_t *store = NULL, *st = NULL;
	sqlite3 *writer;

	(void)state;
	env_init(&e, "2026.9.6");
	exec_sql(e.db, "CREATE TABLE config_machine_state(state_key TEXT NOT NULL "
		 "PRIMARY KEY, value_json TEXT NOT NULL, updated_at_ms INTEGER NOT "
		 "NULL) STRICT");
	assert_int_equal(sqlite3_open(e.db, &writer), SQLITE_OK);
	assert_int_equal(sqlite3_exec(writer, "PRAGMA journal_mode=WAL; "
		"PRAGMA wal_autocheckpoint=0; INSERT INTO config_machine_state "
		"VALUES('authProfiles.store', '{\"version\":1,\"profiles\":"
		"{\"openrouter:manual\":{\"type\":\"api_key\",\"provider\":"
		"\"openrouter\",\"key\":\"k\"}}}', 1)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(ck_credentials_read_sqlite(NULL, e.db, &store, &st, &err), 1);
	assert_string_equal(str(json_object_get(json_object_get(store, "profiles"),
						"openrouter:manual"), "provider"),
			    "openrouter");
	assert_null(st);
	json_decref(store);
	sqlite3_close(writer);
	env_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jobs_json_2026_5_28),
		cmocka_unit_test(sqlite_rows_each_version),
		cmocka_unit_test(sqlite_2026_9_6_builtin_jobs),
		cmocka_unit_test(rows_of_another_store_key),
		cmocka_unit_test(rows_keyed_through_symlink),
		cmocka_unit_test(rows_still_in_the_wal),
		cmocka_unit_test(legacy_jobs_json_on_2026_6_1),
		cmocka_unit_test(unknown_version_reads_both),
		cmocka_unit_test(no_store_no_jobs),
		cmocka_unit_test(strict_job_finding_2026_6_1),
		cmocka_unit_test(strict_job_finding_2026_5_28),
		cmocka_unit_test(unreadable_store_is_a_finding),
		cmocka_unit_test(recursive_views_are_refused),
		cmocka_unit_test(slow_tables_hit_the_deadline),
		cmocka_unit_test(plain_and_virtual_tables_refused),
		cmocka_unit_test(fifos_are_refused),
		cmocka_unit_test(garbage_rows_are_errors),
		cmocka_unit_test(credentials_row_in_the_wal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
