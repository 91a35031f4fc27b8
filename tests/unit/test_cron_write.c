/* Setting cron job chains from the settings (agent/generate.c plans them,
 * agent/cron.c writes them) in every store layout a real release wrote
 * (tests/fixtures/cron/README.md), and moving an imported state's rows to
 * the host's store key. What is read back goes through the same reader
 * health uses, and the columns nobody asked to change are compared with
 * the capture byte for byte. */
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

#include "clawkeeper/config_health.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/json5.h"

#define FX CK_FIXTURES "/cron"

struct capture {
	const char *version;
	int in_db;
	const char *model_only, *with_fallbacks, *strict, *system_ping;
	const char *capture_state; /* the capture's state dir (its rows' key) */
};

static const struct capture captures[] = {
	{ "2026.5.28", 0, "800e8293-fcfe-4a6f-b42d-1b11cd5aca06",
	  "ea12dd22-94fc-45aa-9e6f-aba0544daf99",
	  "14b79e69-ab36-4cb0-871b-ccf500c94941",
	  "b00bfe50-e781-4e4d-8c28-63061ef2c700", NULL },
	{ "2026.6.1", 1, "0f2680c1-6f6d-4fdf-b3b2-52fe9fa95f96",
	  "5f974ab4-5dcf-4e06-a006-ea53f816b3bb",
	  "6a6fd617-e825-4ef0-abd5-74eb663977ff",
	  "49c8e743-4c84-4e18-8fe6-0cbce8c24278", "/tmp/cron-work/c601/state" },
	{ "2026.7.35", 1, "0327157a-f6c7-43da-8212-9d0c48692fb0",
	  "a4e0be81-4a6e-4d4e-bb70-aff3c75babbc",
	  "09bb6edb-1fcb-4dc8-836f-4dd04c66c7ed",
	  "4d704873-5b22-4075-8fde-5d5f3ae3d743", "/tmp/cron-work/c735/state" },
	{ "2026.8.2", 1, "154731e1-72d6-4db1-8f13-07a5f71a609e",
	  "5bafc4c8-c231-4bb0-9b91-68187e5daf7a",
	  "8ac30dd7-7c1c-4fcf-b2d5-88ac4c93b2a6",
	  "6148cfcd-8d97-41a6-8c83-146582d67162", "/tmp/cron-work/c802/state" },
	{ "2026.9.6", 1, "a9a6ff38-3689-41b7-ad0c-2ea0c07ec029",
	  "7f269649-a933-42bd-b4d8-4fd2155b88be",
	  "c7c4c9fe-df07-425e-b5e5-ea780e02ff41",
	  "856a804a-05f6-40d7-85fc-0fa05c030a6f", "/tmp/cron-work/c906/state" },
};

#include "cron_env.h"

/* The capture's rows; key NULL keeps the capture's own store key. */
static void
load_capture(struct env *e, const struct capture *c, const char *key)
{
	char *path, *sql, *update;
	struct ck_error err;
	size_t len;

	if (!c->in_db) {
		char *dir = ck_path_join(e->state, "cron");

		assert_int_equal(ck_mkdir_p(dir, 0700, &err), 0);
		free(dir);
		path = ck_path_join(FX, "2026.5.28/jobs.json");
		assert_int_equal(ck_file_copy(path, e->jobs_json, &err), 0);
		free(path);
		return;
	}
	path = ck_strdup_printf("%s/%s/cron_jobs.sql", FX, c->version);
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

/* Every column of a row but the ones named, as text: what a patch must
 * leave alone. */
static char *
row_text(const char *db, const char *id, const char *skip)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	char *out = strdup(""), *next;
	int i;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT * FROM cron_jobs WHERE job_id = ?1",
					    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	for (i = 0; i < sqlite3_column_count(st); i++) {
		const char *name = sqlite3_column_name(st, i);
		const char *v = (const char *)sqlite3_column_text(st, i);

		if (strstr(skip, name) != NULL)
			continue;
		next = ck_strdup_printf("%s%s=%s;", out, name, v ? v : "NULL");
		free(out);
		out = next;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static char *
cell(const char *db, const char *sql, const char *id)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	char *out = NULL;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static json_t *
load_jobs(struct env *e)
{
	struct ck_error err;
	json_t *jobs = ck_cron_jobs_load(&e->inst, &err);

	if (jobs == NULL)
		fail_msg("ck_cron_jobs_load: %s", err.msg);
	return jobs;
}

static json_t *
job(json_t *jobs, const char *id)
{
	json_t *j;
	size_t i;

	json_array_foreach(jobs, i, j)
		if (strcmp(json_string_value(json_object_get(j, "id")), id) == 0)
			return j;
	fail_msg("job %s not loaded", id);
	return NULL;
}

static void
assert_payload(json_t *jobs, const char *id, const char *model, const char *fallbacks)
{
	json_t *p = json_object_get(job(jobs, id), "payload");
	json_t *want = json_loads(fallbacks, JSON_DECODE_ANY, NULL);
	char *got = json_dumps(json_object_get(p, "fallbacks"), JSON_COMPACT | JSON_ENCODE_ANY);

	assert_string_equal(json_string_value(json_object_get(p, "model")), model);
	if (!json_equal(want, json_object_get(p, "fallbacks")))
		fail_msg("job %s: fallbacks %s, want %s", id, got ? got : "(none)", fallbacks);
	free(got);
	json_decref(want);
}

static int
count_code(json_t *plan, const char *code)
{
	json_t *e;
	size_t i;
	int n = 0;

	json_array_foreach(plan, i, e)
		if (json_string_value(json_object_get(e, "code")) != NULL &&
		    strcmp(json_string_value(json_object_get(e, "code")), code) == 0)
			n++;
	return n;
}

/* Plans and writes: the model-only job gets fallbacks (by id), the strict
 * job a primary and one fallback (by name), with-fallbacks asks for what
 * it has (no write), a systemEvent job and a missing name are warnings. */
static void
apply_capture(const struct capture *c)
{
	struct env e;
	struct ck_gen_opts opts = { .target_version = c->version, .no_fetch = 1 };
	struct ck_error err;
	json_t *settings, *jobs, *out = NULL, *plan = NULL, *patches = NULL, *after;
	json_t *live = json_pack("{s:{s:{s:{s:s}}}}", "agents", "defaults", "model",
				 "primary", "openai/gpt-5.5");
	char *untouched_before = NULL, *ping_before = NULL, *model_only_before = NULL;
	char *text;

	env_init(&e, c->version);
	load_capture(&e, c, c->in_db ? e.jobs_json : NULL);
	settings = json_pack("{s:s, s:{s:{s:[s,s]}, s:{s:s, s:[s]}, s:{s:s, s:[s,s,s]}, "
			     "s:{s:[]}, s:{s:[]}}}",
			     "primary", "openai/gpt-5.5", "cron",
			     c->model_only, "fallbacks", "openai/gpt-5.5",
			     "openrouter/deepseek/deepseek-chat",
			     "strict", "primary", "anthropic/claude-sonnet-4-6", "fallbacks",
			     "openai/gpt-5.5",
			     "with-fallbacks", "primary", "openai/gpt-5.5", "fallbacks",
			     "anthropic/claude-sonnet-4-6", "openrouter/deepseek/deepseek-chat",
			     "ollama/llama3.3",
			     "system-ping", "fallbacks", "no-such-job", "fallbacks");
	assert_non_null(settings);
	if (c->in_db) {
		untouched_before = row_text(e.db, c->with_fallbacks, "");
		ping_before = row_text(e.db, c->system_ping, "");
		model_only_before = row_text(e.db, c->model_only,
					     "job_json payload_fallbacks_json");
	}
	jobs = load_jobs(&e);
	opts.cron_jobs = jobs;
	opts.out_cron = &patches;
	if (ck_generate(live, settings, &opts, &out, &plan, &err) < 0)
		fail_msg("ck_generate: %s", err.msg);
	assert_int_equal(json_array_size(patches), 2);
	assert_int_equal(count_code(plan, "CRON_JOB_NOT_FOUND"), 2);
	if (ck_cron_apply(&e.inst, patches, &err) < 0)
		fail_msg("ck_cron_apply: %s", err.msg);

	after = load_jobs(&e);
	assert_payload(after, c->model_only, "anthropic/claude-sonnet-4-6",
		       "[\"openai/gpt-5.5\",\"openrouter/deepseek/deepseek-chat\"]");
	assert_payload(after, c->strict, "anthropic/claude-sonnet-4-6", "[\"openai/gpt-5.5\"]");
	assert_payload(after, c->with_fallbacks, "openai/gpt-5.5",
		       "[\"anthropic/claude-sonnet-4-6\",\"openrouter/deepseek/deepseek-chat\","
		       "\"ollama/llama3.3\"]");
	if (c->in_db) {
		/* Rows nobody asked to change: byte for byte; the patched one:
		 * all but its payload. */
		text = row_text(e.db, c->with_fallbacks, "");
		assert_string_equal(text, untouched_before);
		free(text);
		text = row_text(e.db, c->system_ping, "");
		assert_string_equal(text, ping_before);
		free(text);
		text = row_text(e.db, c->model_only, "job_json payload_fallbacks_json");
		assert_string_equal(text, model_only_before);
		free(text);
		/* job_json agrees with the columns (the 2026.8.2+ release runs
		 * from job_json, 6.1 to 7.35 from the columns). */
		text = cell(e.db, "SELECT json_extract(job_json, '$.payload.fallbacks') "
			    "FROM cron_jobs WHERE job_id = ?1", c->model_only);
		assert_string_equal(text, "[\"openai/gpt-5.5\",\"openrouter/deepseek/deepseek-chat\"]");
		free(text);
		text = cell(e.db, "SELECT json_extract(job_json, '$.payload.message') "
			    "FROM cron_jobs WHERE job_id = ?1", c->model_only);
		assert_string_equal(text, "summarize the inbox");
		free(text);
	} else {
		json_t *before_file, *after_file;
		char *src = ck_path_join(FX, "2026.5.28/jobs.json");

		before_file = ck_json5_load_file(src, &err);
		after_file = ck_json5_load_file(e.jobs_json, &err);
		assert_non_null(after_file);
		/* every job but the two patched is as the gateway wrote it */
		assert_true(json_equal(job(json_object_get(before_file, "jobs"), c->with_fallbacks),
				       job(json_object_get(after_file, "jobs"), c->with_fallbacks)));
		assert_true(json_equal(job(json_object_get(before_file, "jobs"), c->system_ping),
				       job(json_object_get(after_file, "jobs"), c->system_ping)));
		assert_int_equal(json_integer_value(json_object_get(after_file, "version")), 1);
		free(src);
		json_decref(before_file);
		json_decref(after_file);
	}
	free(untouched_before);
	free(ping_before);
	free(model_only_before);
	json_decref(after);
	json_decref(jobs);
	json_decref(out);
	json_decref(plan);
	json_decref(patches);
	json_decref(settings);
	json_decref(live);
	env_free(&e);
}

static void
chains_in_every_layout(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(captures) / sizeof(captures[0]); i++)
		apply_capture(&captures[i]);
}

/* Asking for what the jobs have writes nothing. */
static void
nothing_to_change_writes_nothing(void **state)
{
	struct env e;
	struct ck_gen_opts opts = { .target_version = "2026.9.6", .no_fetch = 1 };
	struct ck_error err;
	json_t *settings, *jobs, *out = NULL, *plan = NULL, *patches = NULL;
	json_t *live = json_object();

	(void)state;
	env_init(&e, "2026.9.6");
	load_capture(&e, &captures[4], e.jobs_json);
	settings = json_pack("{s:s, s:{s:{s:s, s:[]}}}", "primary", "openai/gpt-5.5", "cron",
			     "strict", "primary", "openai/gpt-5.5", "fallbacks");
	jobs = load_jobs(&e);
	opts.cron_jobs = jobs;
	opts.out_cron = &patches;
	assert_int_equal(ck_generate(live, settings, &opts, &out, &plan, &err), 0);
	assert_int_equal(json_array_size(patches), 0);
	assert_int_equal(count_code(plan, "CRON_JOB_NOT_FOUND"), 0);
	json_decref(jobs);
	json_decref(out);
	json_decref(plan);
	json_decref(patches);
	json_decref(settings);
	json_decref(live);
	env_free(&e);
}

static char *
map_prefix(const char *key, void *ud)
{
	const char *const *m = ud;
	size_t n = strlen(m[0]);

	if (strncmp(key, m[0], n) != 0 || key[n] != '/')
		return NULL;
	return ck_strdup_printf("%s%s", m[1], key + n);
}

/* An imported state's rows carry the source's key: after the move the
 * reader (which, like the release, loads only its own key) sees them. */
static void
rekey_imported_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 1; i < sizeof(captures) / sizeof(captures[0]); i++) {
		struct env e;
		struct ck_error err;
		json_t *jobs, *moved = json_array();
		const char *map[2];

		env_init(&e, captures[i].version);
		load_capture(&e, &captures[i], NULL);
		jobs = load_jobs(&e);
		assert_int_equal(json_array_size(jobs), 0);
		json_decref(jobs);
		map[0] = captures[i].capture_state;
		map[1] = e.state;
		if (ck_cron_rekey(e.state, map_prefix, map, moved, &err) < 0)
			fail_msg("ck_cron_rekey: %s", err.msg);
		assert_int_equal(json_array_size(moved), 1);
		assert_string_equal(json_string_value(json_object_get(json_array_get(moved, 0),
								      "to")), e.jobs_json);
		jobs = load_jobs(&e);
		assert_int_equal(json_array_size(jobs),
				 json_integer_value(json_object_get(json_array_get(moved, 0),
								    "rows")));
		assert_true(json_array_size(jobs) >= 4);
		assert_payload(jobs, captures[i].with_fallbacks, "openai/gpt-5.5",
			       "[\"anthropic/claude-sonnet-4-6\",\"openrouter/deepseek/deepseek-chat\","
			       "\"ollama/llama3.3\"]");
		json_decref(jobs);
		json_decref(moved);
		env_free(&e);
	}
}

/* A file the archive's author wrote: a trigger on the table does not run
 * when the agent writes, and a view under the table's name is refused. */
static void
hostile_databases(void **state)
{
	struct env e;
	struct ck_error err;
	json_t *moved = json_array();
	const char *map[2];
	char *n;

	(void)state;
	env_init(&e, "2026.9.6");
	load_capture(&e, &captures[4], NULL);
	exec_sql(e.db, "CREATE TABLE side (x TEXT); CREATE TRIGGER t AFTER UPDATE ON cron_jobs "
		 "BEGIN INSERT INTO side VALUES (new.store_key); END;");
	map[0] = captures[4].capture_state;
	map[1] = e.state;
	assert_int_equal(ck_cron_rekey(e.state, map_prefix, map, moved, &err), 0);
	n = cell(e.db, "SELECT count(*) FROM side WHERE ?1 IS NOT NULL", "x");
	assert_string_equal(n, "0");
	free(n);
	json_decref(moved);
	env_free(&e);

	env_init(&e, "2026.9.6");
	exec_sql(e.db, "CREATE TABLE real_jobs (store_key TEXT, job_id TEXT, job_json TEXT); "
		 "CREATE VIEW cron_jobs AS SELECT * FROM real_jobs;");
	moved = json_array();
	assert_int_equal(ck_cron_rekey(e.state, map_prefix, map, moved, &err), -1);
	assert_non_null(strstr(err.msg, "view"));
	json_decref(moved);
	env_free(&e);
}

/* The database reached through a link out of the state dir is never
 * opened for writing. */
static void
database_link_out_is_refused(void **state)
{
	struct env e, other;
	struct ck_error err;
	json_t *moved = json_array();
	const char *map[2];
	char *before, *after;

	(void)state;
	env_init(&e, "2026.9.6");
	env_init(&other, "2026.9.6");
	load_capture(&other, &captures[4], NULL);
	assert_int_equal(symlink(other.db, e.db), 0);
	map[0] = captures[4].capture_state;
	map[1] = e.state;
	before = row_text(other.db, captures[4].with_fallbacks, "");
	assert_int_equal(ck_cron_rekey(e.state, map_prefix, map, moved, &err), -1);
	assert_non_null(strstr(err.msg, "outside"));
	after = row_text(other.db, captures[4].with_fallbacks, "");
	assert_string_equal(before, after);
	free(before);
	free(after);
	json_decref(moved);
	env_free(&other);
	env_free(&e);
}

static size_t
findings_of(json_t *findings, const char *code, const char *surface)
{
	json_t *f;
	size_t i, n = 0;

	json_array_foreach(findings, i, f)
		if (strcmp(json_string_value(json_object_get(f, "code")), code) == 0 &&
		    (surface == NULL ||
		     strcmp(json_string_value(json_object_get(f, "surface")), surface) == 0))
			n++;
	return n;
}

/* Health holds the jobs to the settings: a wanted fallback the job lacks
 * is FALLBACKS_STRIPPED on its surface until the chain is written; a key
 * naming no model job is CRON_JOB_NOT_FOUND. */
static void
health_compares_cron_chains(void **state)
{
	const struct capture *c = &captures[1];
	struct ck_gen_opts opts = { .target_version = "2026.6.1", .no_fetch = 1 };
	struct ck_error err;
	struct env e;
	json_t *settings, *jobs, *findings, *out = NULL, *plan = NULL, *patches = NULL;
	char surface[64];

	(void)state;
	env_init(&e, c->version);
	load_capture(&e, c, e.jobs_json);
	e.inst.config = json_pack("{s:{s:{s:{s:s, s:[s]}}}}", "agents", "defaults", "model",
				  "primary", "openai/gpt-5.5", "fallbacks",
				  "anthropic/claude-sonnet-4-6");
	settings = json_pack("{s:s, s:[s], s:{s:{s:[s]}, s:{s:[]}, s:{s:[]}}}",
			     "primary", "openai/gpt-5.5", "fallbacks",
			     "anthropic/claude-sonnet-4-6", "cron",
			     "strict", "fallbacks", "openrouter/deepseek/deepseek-chat",
			     "system-ping", "fallbacks", "gone", "fallbacks");
	snprintf(surface, sizeof(surface), "cron:%s", c->strict);
	findings = json_array();
	assert_int_equal(ck_config_health(&e.inst, settings, findings), 0);
	assert_int_equal(findings_of(findings, "FALLBACKS_STRIPPED", surface), 1);
	assert_int_equal(findings_of(findings, "FALLBACKS_STRIPPED", NULL), 1);
	assert_int_equal(findings_of(findings, "CRON_JOB_NOT_FOUND", "cron:system-ping"), 1);
	assert_int_equal(findings_of(findings, "CRON_JOB_NOT_FOUND", "cron:gone"), 1);
	json_decref(findings);

	jobs = load_jobs(&e);
	opts.cron_jobs = jobs;
	opts.out_cron = &patches;
	assert_int_equal(ck_generate(e.inst.config, settings, &opts, &out, &plan, &err), 0);
	assert_int_equal(ck_cron_apply(&e.inst, patches, &err), 0);
	findings = json_array();
	assert_int_equal(ck_config_health(&e.inst, settings, findings), 0);
	assert_int_equal(findings_of(findings, "FALLBACKS_STRIPPED", NULL), 0);
	assert_int_equal(findings_of(findings, "CRON_JOB_NOT_FOUND", NULL), 2);
	json_decref(findings);
	json_decref(jobs);
	json_decref(out);
	json_decref(plan);
	json_decref(patches);
	json_decref(settings);
	json_decref(e.inst.config);
	e.inst.config = NULL;
	env_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chains_in_every_layout),
		cmocka_unit_test(nothing_to_change_writes_nothing),
		cmocka_unit_test(rekey_imported_rows),
		cmocka_unit_test(hostile_databases),
		cmocka_unit_test(database_link_out_is_refused),
		cmocka_unit_test(health_compares_cron_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
