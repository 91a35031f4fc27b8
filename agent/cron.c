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
		/* The row's key: what a write names it by (ck_cron_apply). */
		if (job != NULL && json_object_set_new(job, "store_key", json_string(key)) < 0) {
			json_decref(job);
			job = NULL;
		}
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

char *
ck_cron_store_path(const struct ck_instance *inst)
{
	return store_path(inst);
}

const json_t *
ck_cron_job_find(const json_t *jobs, const char *key, size_t *n_named)
{
	const json_t *named = NULL, *job;
	const char *name;
	size_t i;

	*n_named = 0;
	json_array_foreach(jobs, i, job) {
		const char *id = job_id((json_t *)job);

		if (id != NULL && strcmp(id, key) == 0) {
			*n_named = 1;
			return job;
		}
	}
	json_array_foreach(jobs, i, job) {
		name = json_string_value(json_object_get(job, "name"));
		if (name != NULL && strcmp(name, key) == 0) {
			named = job;
			(*n_named)++;
		}
	}
	return *n_named == 1 ? named : NULL;
}

/* ---- writes: only while no gateway runs on the state ---------------- */

/* payload.model / payload.fallbacks of a job object as the patch says. */
static int
patch_payload(json_t *job, const json_t *patch)
{
	json_t *payload = json_object_get(job, "payload");
	json_t *want = json_object_get(patch, "payload");
	const char *key;
	json_t *v;

	if (!json_is_object(payload)) {
		payload = json_object();
		if (json_object_set_new(job, "payload", payload) < 0)
			return -1;
	}
	json_object_foreach(want, key, v)
		if (json_object_set_new(payload, key, json_deep_copy(v)) < 0)
			return -1;
	return 0;
}

/* 1 when the patch is for that store (ck_cron_apply checked every
 * patch's source first). */
static int
from_store(const json_t *patch, const char *source)
{
	return strcmp(json_string_value(json_object_get(patch, "source")), source) == 0;
}

static size_t
patches_for(const json_t *patches, const char *source)
{
	json_t *patch;
	size_t i, n = 0;

	json_array_foreach(patches, i, patch)
		n += (size_t)from_store(patch, source);
	return n;
}

static int
apply_json(const struct ck_instance *inst, const json_t *patches, struct ck_error *err)
{
	char *path = store_path(inst), *text = NULL;
	json_t *root = NULL, *jobs, *patch, *job;
	size_t i;
	int rc = -1;

	if (patches_for(patches, CK_CRON_SOURCE_JSON) == 0) {
		free(path);
		return 0;
	}
	if (path == NULL || (root = ck_json5_load_file(path, err)) == NULL)
		goto out;
	jobs = ck_model_cron_jobs_array(root);
	json_array_foreach(patches, i, patch) {
		const char *id = json_string_value(json_object_get(patch, "id"));
		json_int_t pos = json_integer_value(json_object_get(patch, "position"));

		if (!from_store(patch, CK_CRON_SOURCE_JSON))
			continue;
		job = json_array_get(jobs, (size_t)pos);
		if (id == NULL || job_id(job) == NULL || strcmp(job_id(job), id) != 0) {
			ck_error_set(err, "%s: cron job %s is no longer at position %lld: the "
				     "store changed since it was read", path, id ? id : "?",
				     (long long)pos);
			goto out;
		}
		if (patch_payload(job, patch) < 0) {
			ck_error_set(err, "cron jobs: out of memory");
			goto out;
		}
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL) {
		ck_error_set(err, "cron jobs: out of memory");
		goto out;
	}
	{
		size_t len = strlen(text);
		char *nl = realloc(text, len + 2);

		if (nl == NULL) {
			ck_error_set(err, "cron jobs: out of memory");
			goto out;
		}
		text = nl;
		memcpy(text + len, "\n", 2);
		rc = ck_file_replace(path, text, len + 1, 0600, err);
	}
out:
	free(text);
	free(path);
	json_decref(root);
	return rc;
}

#define WRITE_BUDGET_MS 5000

/* The state database opened for writing (sqlite_ro.h: beneath the state
 * dir, a deadline, no triggers) with a transaction begun, when it has a
 * plain cron_jobs table: 1. 0 when there is no database or no such table
 * (nothing opened), -1 with err. */
static int
rw_open(struct ck_sqlite_ro *db, const char *state_dir, const char *db_path,
	struct ck_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = ck_sqlite_rw_open_beneath(db, state_dir, db_path, WRITE_BUDGET_MS, err);

	if (rc != 0)
		return rc == 1 ? 0 : -1;
	rc = ck_sqlite_ro_table(db, "cron_jobs", err);
	if (rc == 1 && (ck_sqlite_ro_prepare(db, "BEGIN IMMEDIATE", &st, err) < 0 ||
			ck_sqlite_ro_step(db, st, err) < 0))
		rc = -1;
	sqlite3_finalize(st);
	if (rc != 1)
		ck_sqlite_ro_close(db);
	return rc;
}

static int
rw_exec(struct ck_sqlite_ro *db, const char *sql, struct ck_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = ck_sqlite_ro_prepare(db, sql, &st, err);

	if (rc == 0)
		rc = ck_sqlite_ro_step(db, st, err) < 0 ? -1 : 0;
	sqlite3_finalize(st);
	return rc;
}

/* Commits (rc 0) or rolls back, and closes. */
static int
rw_close(struct ck_sqlite_ro *db, int rc, struct ck_error *err)
{
	struct ck_error ignored;

	if (rc == 0)
		rc = rw_exec(db, "COMMIT", err);
	if (rc < 0)
		rw_exec(db, "ROLLBACK", &ignored);
	ck_sqlite_ro_close(db);
	return rc;
}

/* One row: its job_json gets the patch, and on the split layout the
 * columns the release runs the job from too. */
static int
apply_row(struct ck_sqlite_ro *db, const json_t *patch, int split, struct ck_error *err)
{
	const char *id = json_string_value(json_object_get(patch, "id"));
	const char *key = json_string_value(json_object_get(patch, "store_key"));
	json_t *want = json_object_get(patch, "payload");
	json_t *job = NULL, *fb = json_object_get(want, "fallbacks");
	json_t *model = json_object_get(want, "model");
	sqlite3_stmt *st = NULL;
	char *text = NULL, *fbtext = NULL;
	int rc = -1;

	if (id == NULL || key == NULL) {
		ck_error_set(err, "%s: a cron patch without job id or store key", db->path);
		return -1;
	}
	if (ck_sqlite_ro_prepare(db, "SELECT job_json FROM cron_jobs WHERE store_key = ?1 "
				 "AND job_id = ?2", &st, err) < 0)
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if ((rc = ck_sqlite_ro_step(db, st, err)) != 1) {
		if (rc == 0)
			ck_error_set(err, "%s: cron job %s is gone: the store changed since "
				     "it was read", db->path, id);
		rc = -1;
		goto out;
	}
	rc = -1;
	job = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	st = NULL;
	if (!json_is_object(job) || patch_payload(job, patch) < 0 ||
	    (text = json_dumps(job, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL ||
	    (fb != NULL && (fbtext = json_dumps(fb, JSON_COMPACT)) == NULL)) {
		ck_error_set(err, "%s: cron_jobs row %s: job_json is not a JSON object",
			     db->path, id);
		goto out;
	}
	if (ck_sqlite_ro_prepare(db, split ?
				 "UPDATE cron_jobs SET job_json = ?3, "
				 "payload_model = coalesce(?4, payload_model), "
				 "payload_fallbacks_json = coalesce(?5, payload_fallbacks_json) "
				 "WHERE store_key = ?1 AND job_id = ?2" :
				 "UPDATE cron_jobs SET job_json = ?3 WHERE store_key = ?1 AND "
				 "job_id = ?2", &st, err) < 0)
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	if (split) {
		if (json_is_string(model))
			sqlite3_bind_text(st, 4, json_string_value(model), -1, SQLITE_STATIC);
		if (fbtext != NULL)
			sqlite3_bind_text(st, 5, fbtext, -1, SQLITE_STATIC);
	}
	if (ck_sqlite_ro_step(db, st, err) < 0)
		goto out;
	if (sqlite3_changes(db->db) != 1) {
		ck_error_set(err, "%s: cron job %s: not updated", db->path, id);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	json_decref(job);
	free(text);
	free(fbtext);
	return rc;
}

static int
apply_sqlite(const struct ck_instance *inst, const json_t *patches, struct ck_error *err)
{
	struct ck_sqlite_ro db;
	char *db_path = NULL;
	json_t *patch;
	size_t i;
	int rc, split;

	if (patches_for(patches, CK_CRON_SOURCE_SQLITE) == 0)
		return 0;
	db_path = ck_path_join(inst->state_dir, DB_REL);
	rc = db_path ? rw_open(&db, inst->state_dir, db_path, err) : -1;
	if (rc == 0)
		ck_error_set(err, "%s: no cron_jobs table: the jobs read from it are gone",
			     db_path);
	free(db_path);
	if (rc != 1)
		return -1;
	rc = 0;
	split = ck_sqlite_ro_has_column(&db, "cron_jobs", "payload_fallbacks_json", err);
	if (split < 0)
		rc = -1;
	json_array_foreach(rc == 0 ? patches : NULL, i, patch) {
		if (!from_store(patch, CK_CRON_SOURCE_SQLITE))
			continue;
		if ((rc = apply_row(&db, patch, split, err)) < 0)
			break;
	}
	return rw_close(&db, rc, err);
}

int
ck_cron_apply(const struct ck_instance *inst, const json_t *patches, struct ck_error *err)
{
	json_t *patch;
	size_t i;

	json_array_foreach(patches, i, patch) {
		const char *src = json_string_value(json_object_get(patch, "source"));

		if (src == NULL || (strcmp(src, CK_CRON_SOURCE_JSON) != 0 &&
				    strcmp(src, CK_CRON_SOURCE_SQLITE) != 0)) {
			ck_error_set(err, "cron patch %zu: no known source", i);
			return -1;
		}
	}
	if (inst->state_dir == NULL) {
		ck_error_set(err, "cron jobs: the instance has no state dir");
		return -1;
	}
	if (apply_sqlite(inst, patches, err) < 0)
		return -1;
	return apply_json(inst, patches, err);
}

int
ck_cron_rekey(const char *state_dir, ck_cron_key_fn fn, void *ud, json_t *moved,
	      struct ck_error *err)
{
	char *db_path = ck_path_join(state_dir, DB_REL);
	struct ck_sqlite_ro db;
	sqlite3_stmt *st = NULL;
	json_t *keys = json_array(), *k;
	size_t i;
	int rc;

	rc = db_path && keys ? rw_open(&db, state_dir, db_path, err) : -1;
	free(db_path);
	if (rc != 1) {
		json_decref(keys);
		return rc;
	}
	rc = ck_sqlite_ro_prepare(&db, "SELECT DISTINCT store_key FROM cron_jobs", &st, err);
	if (rc == 0) {
		while ((rc = ck_sqlite_ro_step(&db, st, err)) == 1)
			if (sqlite3_column_type(st, 0) == SQLITE_TEXT)
				json_array_append_new(keys, json_string(
					(const char *)sqlite3_column_text(st, 0)));
	}
	sqlite3_finalize(st);
	st = NULL;
	json_array_foreach(rc == 0 ? keys : NULL, i, k) {
		const char *from = json_string_value(k);
		char *to = from ? fn(from, ud) : NULL;

		if (to != NULL && strcmp(to, from) != 0 &&
		    (rc = ck_sqlite_ro_prepare(&db, "UPDATE cron_jobs SET store_key = ?2 "
					       "WHERE store_key = ?1", &st, err)) == 0) {
			sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
			rc = ck_sqlite_ro_step(&db, st, err) < 0 ? -1 : 0;
			sqlite3_finalize(st);
			st = NULL;
			if (rc == 0)
				json_array_append_new(moved, json_pack("{s:s, s:s, s:I}",
					"from", from, "to", to,
					"rows", (json_int_t)sqlite3_changes(db.db)));
			else
				ck_error_prefix(err, "moving the cron jobs of %s to %s: ",
						from, to);
		}
		free(to);
		if (rc < 0)
			break;
	}
	json_decref(keys);
	return rw_close(&db, rc, err);
}
