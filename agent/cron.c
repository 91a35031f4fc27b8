/* Cron jobs from cron/jobs.json or from the cron_jobs rows of
 * state/openclaw.sqlite (cron.h). The database comes in the two layouts
 * the releases write (tests/fixtures/cron/README.md): 2026.6.1 to
 * 2026.7.35 split the payload into columns (payload_model,
 * payload_fallbacks_json) and run the job from them; 2026.8.2 on keep
 * it in job_json only. Which one a file has is read from its columns,
 * not assumed from the version. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clawkeeper/compat.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/json5.h"
#include "clawkeeper/model.h"
#include "clawkeeper/sqlite_ro.h"

#define DB_REL "state/openclaw.sqlite"

struct load {
	json_t *jobs;           /* the result */
	json_t *seen;           /* job ids already in jobs */
	char *store;            /* cron store path: jobs.json and the rows' key */
	char *store_abs;
	char *store_real;
	struct ck_error *err;
};

/* cron.store in the config moves the store; relative paths are taken
 * from the state dir, "~/" from HOME. */
static char *
store_path(const struct ck_instance *inst)
{
	const char *store, *home;

	store = json_string_value(json_object_get(json_object_get(inst->config,
								  "cron"), "store"));
	if (store == NULL || store[0] == '\0')
		return inst->state_dir ? ck_path_join(inst->state_dir, "cron/jobs.json")
				       : NULL;
	if (store[0] == '/')
		return strdup(store);
	if (strncmp(store, "~/", 2) == 0 && (home = getenv("HOME")) != NULL)
		return ck_path_join(home, store + 2);
	return inst->state_dir ? ck_path_join(inst->state_dir, store) : NULL;
}

/* What node's path.resolve() makes of a path, which is how OpenClaw
 * spells a row's store_key: absolute, no ".", "..", "//" or trailing /. */
static char *
resolve_lexical(const char *path)
{
	char cwd[PATH_MAX];
	char *full, *out;
	const char *p, *seg;
	size_t n = 0, len;

	if (path[0] == '/')
		full = strdup(path);
	else
		full = getcwd(cwd, sizeof(cwd)) ? ck_path_join(cwd, path) : NULL;
	out = full ? malloc(strlen(full) + 2) : NULL;
	for (p = full; out != NULL && *p != '\0';) {
		while (*p == '/')
			p++;
		for (seg = p; *p != '\0' && *p != '/'; p++)
			;
		len = (size_t)(p - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		out[n++] = '/';
		memcpy(out + n, seg, len);
		n += len;
	}
	if (out != NULL) {
		if (n == 0)
			out[n++] = '/';
		out[n] = '\0';
	}
	free(full);
	return out;
}

/* The real path of the longest prefix that exists with the rest
 * appended: a key written through a symlinked state dir names the same
 * store even when cron/ itself was never created. */
static char *
resolve_real(const char *abs)
{
	char *prefix = strdup(abs), *real = NULL, *cut, *out;
	const char *rest;

	while (prefix != NULL && (real = realpath(prefix, NULL)) == NULL) {
		cut = strrchr(prefix, '/');
		if (cut == NULL || cut == prefix) {
			strcpy(prefix, "/");
			real = realpath(prefix, NULL);
			break;
		}
		*cut = '\0';
	}
	if (real == NULL) {
		free(prefix);
		return NULL;
	}
	rest = strcmp(prefix, "/") == 0 ? abs : abs + strlen(prefix);
	if (strcmp(real, "/") == 0)
		out = strdup(rest[0] ? rest : "/");
	else
		out = ck_strdup_printf("%s%s", real, rest);
	free(real);
	free(prefix);
	return out;
}

static int
is_our_key(struct load *l, const char *key)
{
	char *abs = resolve_lexical(key), *real = NULL;
	int ours;

	ours = abs != NULL && strcmp(abs, l->store_abs) == 0;
	if (!ours && abs != NULL && l->store_real != NULL) {
		real = resolve_real(abs);
		ours = real != NULL && strcmp(real, l->store_real) == 0;
	}
	free(abs);
	free(real);
	return ours;
}

static const char *
job_id(json_t *job)
{
	const char *id = json_string_value(json_object_get(job, "id"));

	return id ? id : json_string_value(json_object_get(job, "jobId"));
}

/* Takes job. Returns 1 when kept, 0 when a job with its id is already
 * there (the database's copy wins, as doctor's import decides), -1 OOM. */
static int
add_job(struct load *l, json_t *job, const char *source)
{
	const char *id = job_id(job);

	if (id != NULL && json_object_get(l->seen, id) != NULL) {
		json_decref(job);
		return 0;
	}
	if ((id != NULL && json_object_set_new(l->seen, id, json_true()) < 0) ||
	    json_object_set_new(job, "source", json_string(source)) < 0 ||
	    json_array_append_new(l->jobs, job) < 0) {
		ck_error_set(l->err, "cron jobs: out of memory");
		return -1;
	}
	return 1;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return (const char *)sqlite3_column_text(st, i);
}

/* payload_fallbacks_json: a JSON array; OpenClaw keeps its strings. */
static json_t *
string_array(const char *text)
{
	json_t *parsed = json_loads(text, JSON_DECODE_ANY, NULL);
	json_t *out = json_is_array(parsed) ? json_array() : NULL;
	json_t *v;
	size_t i;

	json_array_foreach(out ? parsed : NULL, i, v)
		if (json_is_string(v))
			json_array_append(out, v);
	json_decref(parsed);
	return out;
}

/* 2026.6.1-2026.7.x. A NULL payload_fallbacks_json is a job without
 * fallbacks of its own (it uses the agent's chain); '[]' is a job with
 * none at all: the release reads "[]" as an empty list, not as unset. */
static json_t *
job_from_columns(struct ck_sqlite_ro *ro, sqlite3_stmt *st, struct ck_error *err)
{
	const char *id = col_text(st, 0), *model = col_text(st, 5);
	const char *fb = col_text(st, 6);
	json_t *job, *payload, *fallbacks = NULL;

	if (fb != NULL && fb[0] != '\0' && (fallbacks = string_array(fb)) == NULL) {
		ck_error_set(err, "%s: cron_jobs row %s: payload_fallbacks_json is "
			     "not a JSON array", ro->path, id ? id : "(no job_id)");
		return NULL;
	}
	payload = json_pack("{s:s*, s:s*, s:o*}", "kind", col_text(st, 4),
			    "model", model && model[0] ? model : NULL,
			    "fallbacks", fallbacks);
	if (payload == NULL) {
		ck_error_set(err, "%s: cron_jobs row %s: a payload column is not "
			     "UTF-8 text", ro->path, id ? id : "(no job_id)");
		return NULL;
	}
	job = json_pack("{s:s*, s:s*, s:b, s:s*, s:o}", "id", id,
			"name", col_text(st, 1), "enabled", sqlite3_column_int(st, 2) != 0,
			"agentId", col_text(st, 3), "payload", payload);
	if (job == NULL)
		ck_error_set(err, "%s: cron_jobs row %s: job_id, name or agent_id is "
			     "not UTF-8 text", ro->path, id ? id : "(no job_id)");
	return job;
}

/* 2026.8.2 on: job_json is the job, and the release takes its id from
 * job_id. Only the position of a parse error is reported: the text is
 * the job's prompt. */
static json_t *
job_from_json(struct ck_sqlite_ro *ro, sqlite3_stmt *st, struct ck_error *err)
{
	const char *id = col_text(st, 0), *text = col_text(st, 1);
	json_error_t jerr;
	json_t *job;

	if (id == NULL)
		id = "(no job_id)";
	job = text ? json_loads(text, 0, &jerr) : NULL;
	if (job == NULL && text != NULL)
		ck_error_set(err, "%s: cron_jobs row %s: job_json is not valid JSON "
			     "(line %d, column %d)", ro->path, id, jerr.line, jerr.column);
	else if (!json_is_object(job))
		ck_error_set(err, "%s: cron_jobs row %s: job_json is not a JSON object",
			     ro->path, id);
	if (!json_is_object(job)) {
		json_decref(job);
		return NULL;
	}
	if (json_object_set_new(job, "id", json_string(id)) < 0) {
		ck_error_set(err, "%s: cron_jobs row %s: job_id is not UTF-8 text",
			     ro->path, id);
		json_decref(job);
		return NULL;
	}
	return job;
}

static int
read_rows(struct load *l, struct ck_sqlite_ro *ro, const char *key, int split)
{
	static const char split_sql[] =
		"SELECT job_id, name, enabled, agent_id, payload_kind, payload_model, "
		"payload_fallbacks_json FROM cron_jobs WHERE store_key = ?1 "
		"ORDER BY sort_order, updated_at, job_id";
	static const char json_sql[] =
		"SELECT job_id, job_json FROM cron_jobs WHERE store_key = ?1 "
		"ORDER BY sort_order, updated_at, job_id";
	sqlite3_stmt *st = NULL;
	json_t *job;
	int rc;

	if (ck_sqlite_ro_prepare(ro, split ? split_sql : json_sql, &st, l->err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	while ((rc = ck_sqlite_ro_step(ro, st, l->err)) == 1) {
		job = split ? job_from_columns(ro, st, l->err)
			    : job_from_json(ro, st, l->err);
		if (job == NULL || add_job(l, job, CK_CRON_SOURCE_SQLITE) < 0) {
			rc = -1;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* The store keys that name this instance's store (normally one). */
static json_t *
our_keys(struct load *l, struct ck_sqlite_ro *ro)
{
	static const char sql[] = "SELECT DISTINCT store_key FROM cron_jobs";
	sqlite3_stmt *st = NULL;
	json_t *keys = json_array();
	const char *key;
	int rc;

	if (keys == NULL || ck_sqlite_ro_prepare(ro, sql, &st, l->err) < 0) {
		json_decref(keys);
		return NULL;
	}
	while ((rc = ck_sqlite_ro_step(ro, st, l->err)) == 1) {
		key = col_text(st, 0);
		if (key != NULL && is_our_key(l, key))
			json_array_append_new(keys, json_string(key));
	}
	sqlite3_finalize(st);
	if (rc < 0) {
		json_decref(keys);
		return NULL;
	}
	return keys;
}

/* 1 for the split-column layout, 0 for job_json only, -1 neither. */
static int
layout(struct load *l, struct ck_sqlite_ro *ro)
{
	int rc = ck_sqlite_ro_has_column(ro, "cron_jobs", "payload_fallbacks_json",
					 l->err);

	if (rc != 0)
		return rc;
	rc = ck_sqlite_ro_has_column(ro, "cron_jobs", "job_json", l->err);
	if (rc == 0)
		ck_error_set(l->err, "%s: cron_jobs has neither payload_fallbacks_json "
			     "nor job_json, a layout no OpenClaw release writes", ro->path);
	return rc == 1 ? 0 : -1;
}

static int
load_sqlite(struct load *l, const char *state_dir)
{
	struct ck_sqlite_ro ro;
	char *db = ck_path_join(state_dir, DB_REL);
	json_t *keys = NULL, *key;
	size_t i;
	int rc, split = 0;

	rc = db ? ck_sqlite_ro_open_beneath(&ro, state_dir, db, CK_SQLITE_RO_BUDGET_MS,
					    l->err) : -1;
	free(db);
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	rc = ck_sqlite_ro_table(&ro, "cron_jobs", l->err);
	if (rc == 1 && (split = layout(l, &ro)) >= 0 && (keys = our_keys(l, &ro)) != NULL) {
		json_array_foreach(keys, i, key)
			if ((rc = read_rows(l, &ro, json_string_value(key), split)) < 0)
				break;
	}
	if (rc == 1 && keys == NULL)
		rc = -1;
	json_decref(keys);
	ck_sqlite_ro_close(&ro);
	return rc < 0 ? -1 : 0;
}

static int
mark_json_job(json_t *job, size_t position, int pending)
{
	if (json_object_set_new(job, "position", json_integer((json_int_t)position)) < 0)
		return -1;
	if (pending && json_object_set_new(job, "pending_import", json_true()) < 0)
		return -1;
	return 0;
}

/* pending: the version reads only the database, so these jobs wait for
 * doctor to import them. */
static int
load_json(struct load *l, int pending)
{
	json_t *root, *jobs, *job;
	struct stat st;
	size_t i;
	int rc = 0;

	if (stat(l->store, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		ck_error_set(l->err, "%s: %s", l->store, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		ck_error_set(l->err, "%s: not a regular file", l->store);
		return -1;
	}
	if ((root = ck_json5_load_file(l->store, l->err)) == NULL)
		return -1;
	if ((jobs = ck_model_cron_jobs_array(root)) == NULL) {
		ck_error_set(l->err, "%s: expected an array of jobs or {\"jobs\": [...]}",
			     l->store);
		rc = -1;
	}
	json_array_foreach(rc == 0 ? jobs : NULL, i, job) {
		if (!json_is_object(job))
			continue;
		if (mark_json_job(job, i, pending) < 0 ||
		    add_job(l, json_incref(job), CK_CRON_SOURCE_JSON) < 0) {
			ck_error_set(l->err, "cron jobs: out of memory");
			rc = -1;
			break;
		}
	}
	json_decref(root);
	return rc;
}

json_t *
ck_cron_jobs_load(const struct ck_instance *inst, struct ck_error *err)
{
	int in_db = ck_compat_has(inst->version, CK_FEAT_CRON_IN_SQLITE);
	struct load l;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	l.err = err;
	l.jobs = json_array();
	l.seen = json_object();
	l.store = store_path(inst);
	if (l.store != NULL && (l.store_abs = resolve_lexical(l.store)) != NULL)
		l.store_real = resolve_real(l.store_abs);
	if (l.jobs == NULL || l.seen == NULL ||
	    (l.store != NULL && (l.store_abs == NULL || l.store_real == NULL))) {
		ck_error_set(err, "cron jobs: cannot resolve the store path (%s)",
			     l.store ? l.store : "out of memory");
		rc = -1;
	}
	if (rc == 0 && l.store != NULL && in_db != 0 && inst->state_dir != NULL)
		rc = load_sqlite(&l, inst->state_dir);
	if (rc == 0 && l.store != NULL)
		rc = load_json(&l, in_db == 1);
	free(l.store);
	free(l.store_abs);
	free(l.store_real);
	json_decref(l.seen);
	if (rc < 0) {
		json_decref(l.jobs);
		return NULL;
	}
	return l.jobs;
}
