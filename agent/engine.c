/* The operation engine: one operation at a time, submitted with its
 * idempotency key and run in a worker thread (or the caller's), waited
 * for, or held by the gateway watch between operations. The steps are in
 * steps.c (verify.c, upgrade_steps.c, import_steps.c), putting back in
 * rollback.c, settling after a crash in recovery.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/engine.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/journal.h"
#include "clawkeeper/log.h"

#include "engine_internal.h"

/* The operation has ended; its record must say so before anything else
 * runs, or a restarted agent would settle it from what the journal last
 * said (and roll back its stale snapshot over newer work). When the write
 * fails the record is kept, and new operations wait until it is written. */
void
ck_op_journal_final(struct run *r)
{
	struct ck_opengine *eng = r->eng;

	if (ck_op_journal(r) == 0)
		return;
	ck_log_error("operation %s ended %s but the journal cannot record it; new "
		     "operations wait until it can",
		     json_string_value(json_object_get(r->op, "id")),
		     json_string_value(json_object_get(r->op, "state")));
	pthread_mutex_lock(&eng->lock);
	json_decref(eng->unwritten);
	eng->unwritten = json_deep_copy(r->op);
	pthread_mutex_unlock(&eng->lock);
}

/* Called with eng->lock held before a new operation: 0 when the journal
 * is sound, else why not in err. */
static int
journal_blocker(struct ck_opengine *eng, struct ck_error *err)
{
	const char *dir = eng->conf->journal_dir;
	struct ck_error werr;

	if (eng->unwritten != NULL) {
#ifdef CK_TEST_HOOKS
		const char *fail = getenv("CK_TEST_JOURNAL_FAIL_FILE");

		if (fail != NULL && access(fail, F_OK) == 0) {
			ck_error_set(&werr, "write refused (test hook)");
		} else
#endif
		if (ck_op_write(dir, eng->unwritten, &werr) == 0) {
			ck_log_info("journal: the end of operation %s is recorded now",
				    json_string_value(json_object_get(eng->unwritten, "id")));
			json_decref(eng->unwritten);
			eng->unwritten = NULL;
		}
		if (eng->unwritten != NULL) {
			ck_error_set(err, "operation %s ended %s but the journal (%s) cannot "
				     "record it: %s; new operations wait until it can",
				     json_string_value(json_object_get(eng->unwritten, "id")),
				     json_string_value(json_object_get(eng->unwritten, "state")),
				     dir, werr.msg);
			return -1;
		}
	}
	if (ck_op_find_unreadable(dir, &werr) != 0) {
		ck_error_set(err, "journal record unreadable: %s; its operation cannot be "
			     "settled, so new operations wait until it is repaired or moved "
			     "out of %s", werr.msg, dir);
		return -1;
	}
	return 0;
}

void
ck_op_run_free(struct run *r)
{
	ck_instance_close(&r->inst);
	json_decref(r->op);
	json_decref(r->params);
	json_decref(r->settings);
	json_decref(r->new_config);
	json_decref(r->cron_patches);
	free(r->new_text);
	free(r->snap_dir);
	free(r->stage_dir);
	free(r->from_version);
	free(r->from_release);
	free(r->archive);
	free(r->import_stage);
	free(r->import_prev);
	free(r->import_failed);
	json_decref(r->rehearsal_ws);
	free(r->rehearsal_state);
	free(r);
}

struct run *
ck_op_run_new(struct ck_opengine *eng, const char *kind, json_t *op, const json_t *params,
	      struct ck_error *err)
{
	const struct ck_opengine_conf *c = eng->conf;
	const char *id = json_string_value(json_object_get(op, "id"));
	struct run *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->eng = eng;
	r->op = json_incref(op);
	r->params = params ? json_deep_copy(params) : json_object();
	r->kind = ck_op_kind_parse(kind);
	r->upgrade = r->kind == OP_UPGRADE;
	r->target = json_string_value(json_object_get(r->params, "target_version"));
	r->snap_dir = ck_strdup_printf("%s/snapshots/%s", c->work_dir, id);
	r->stage_dir = ck_strdup_printf("%s/staging/%s", c->work_dir, id);
	if (ck_instance_open(&c->inst, &r->inst, err) < 0) {
		ck_op_run_free(r);
		return NULL;
	}
	if (r->kind == OP_IMPORT)
		ck_op_import_paths(r);
	return r;
}

/* An ended operation leaves no staging behind: the staged config holds
 * the instance's secrets and a rehearsal's copy can be as big as the
 * instance. The journal record and the snapshot are what stay. */
void
ck_op_clear_staging(struct run *r)
{
	struct ck_error err;

	if (ck_rm_rf(r->stage_dir, &err) < 0)
		ck_log_warn("operation %s: removing its staging: %s",
			    json_string_value(json_object_get(r->op, "id")), err.msg);
}

static void
run_operation(struct run *r)
{
	struct ck_opengine *eng = r->eng;
	const char *state;

	ck_op_run_steps(r);
	ck_op_journal_final(r);
	ck_op_clear_staging(r);
	state = json_string_value(json_object_get(r->op, "state"));
	pthread_mutex_lock(&eng->lock);
	if (state != NULL && strcmp(state, "succeeded") == 0) {
		snprintf(eng->last_ok, sizeof(eng->last_ok), "%s",
			 json_string_value(json_object_get(r->op, "id")));
		eng->last_ok_mono_ms = ck_clock_mono_ms();
	} else {
		eng->last_ok[0] = '\0'; /* the state before it is the one to keep */
	}
	pthread_mutex_unlock(&eng->lock);
}

static void
finish(struct ck_opengine *eng)
{
	pthread_mutex_lock(&eng->lock);
	eng->busy = 0;
	eng->held = 0;
	eng->running[0] = '\0';
	pthread_cond_broadcast(&eng->idle);
	pthread_mutex_unlock(&eng->lock);
}

/* Joins the thread of the last async operation, which has ended (or
 * ends now: it signalled idle and returns). */
static void
reap_worker(struct ck_opengine *eng)
{
	pthread_t tid;
	int has;

	pthread_mutex_lock(&eng->lock);
	tid = eng->worker;
	has = eng->has_worker;
	eng->has_worker = 0;
	pthread_mutex_unlock(&eng->lock);
	if (has)
		pthread_join(tid, NULL);
}

static void *
worker(void *arg)
{
	struct run *r = arg;
	struct ck_opengine *eng = r->eng;

	run_operation(r);
	ck_op_run_free(r);
	finish(eng);
	return NULL;
}

struct ck_opengine *
ck_opengine_new(const struct ck_opengine_conf *conf, struct ck_error *err)
{
	struct ck_opengine *eng;

	if (conf->journal_dir == NULL || conf->work_dir == NULL ||
	    conf->settings_path == NULL || conf->gw == NULL) {
		ck_error_set(err, "operations need a journal dir, a work dir, a settings "
			     "path and a gateway");
		return NULL;
	}
	if (ck_mkdir_p(conf->journal_dir, 0700, err) < 0 ||
	    ck_mkdir_p(conf->work_dir, 0700, err) < 0)
		return NULL;
	eng = calloc(1, sizeof(*eng));
	if (eng == NULL) {
		ck_error_set(err, "out of memory");
		return NULL;
	}
	eng->conf = conf;
	pthread_mutex_init(&eng->lock, NULL);
	pthread_cond_init(&eng->idle, NULL);
	return eng;
}

void
ck_opengine_wait(struct ck_opengine *eng)
{
	pthread_mutex_lock(&eng->lock);
	while (eng->busy)
		pthread_cond_wait(&eng->idle, &eng->lock);
	pthread_mutex_unlock(&eng->lock);
}

int
ck_opengine_wait_for(struct ck_opengine *eng, int timeout_ms)
{
	struct timespec until;
	int busy;

	ck_clock_after(CLOCK_REALTIME, timeout_ms, &until);
	pthread_mutex_lock(&eng->lock);
	while (eng->busy && pthread_cond_timedwait(&eng->idle, &eng->lock, &until) == 0)
		;
	busy = eng->busy;
	pthread_mutex_unlock(&eng->lock);
	return busy ? -1 : 0;
}

void
ck_opengine_free(struct ck_opengine *eng)
{
	if (eng == NULL)
		return;
	ck_opengine_wait(eng);
	reap_worker(eng);
	json_decref(eng->unwritten);
	pthread_mutex_destroy(&eng->lock);
	pthread_cond_destroy(&eng->idle);
	free(eng);
}

const char *
ck_opengine_running(struct ck_opengine *eng, char *buf, size_t n)
{
	const char *out = NULL;

	pthread_mutex_lock(&eng->lock);
	if (eng->busy && !eng->held) {
		snprintf(buf, n, "%s", eng->running);
		out = buf;
	}
	pthread_mutex_unlock(&eng->lock);
	return out;
}

int
ck_opengine_hold(struct ck_opengine *eng)
{
	int rc = -1;

	pthread_mutex_lock(&eng->lock);
	if (!eng->busy) {
		eng->busy = 1;
		eng->held = 1;
		eng->running[0] = '\0';
		rc = 0;
	}
	pthread_mutex_unlock(&eng->lock);
	return rc;
}

void
ck_opengine_release(struct ck_opengine *eng)
{
	finish(eng);
}

static void
params_hash(const char *kind, const json_t *params, char out[CK_SHA256_HEX_LEN])
{
	/* An uploaded archive's path is where it landed; its sha256 and size
	 * say what it is. */
	json_t *copy = json_deep_copy(params);
	char *text;

	json_object_del(copy, "archive");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	char *both = ck_strdup_printf("%s\n%s", kind, text ? text : "");

	ck_sha256_hex(both ? both : "", both ? strlen(both) : 0, out);
	free(text);
	free(both);
}

static json_t *
find_by_key(const char *dir, const char *key)
{
	struct ck_error err;
	json_t *list = ck_op_list(dir, JOURNAL_SCAN_MAX, &err);
	json_t *op, *found = NULL;
	size_t i;

	json_array_foreach(list, i, op) {
		const char *k = json_string_value(json_object_get(op, "idempotency_key"));

		if (k != NULL && strcmp(k, key) == 0) {
			found = json_incref(op);
			break;
		}
	}
	json_decref(list);
	return found;
}

enum ck_submit
ck_opengine_submit(struct ck_opengine *eng, const char *kind, const json_t *params,
		   const char *idem_key, int async, json_t **op_out, struct ck_error *err)
{
	const struct ck_opengine_conf *c = eng->conf;
	char hash[CK_SHA256_HEX_LEN];
	struct run *r;
	pthread_t tid;
	json_t *op;
	size_t i;

	*op_out = NULL;
	if (strcmp(kind, "upgrade") != 0 && strcmp(kind, "regenerate") != 0 &&
	    strcmp(kind, "import") != 0) {
		ck_error_set(err, "unknown operation kind '%s'", kind);
		return CK_SUBMIT_INVALID;
	}
	if (ck_op_params_validate(kind, params, err) < 0)
		return CK_SUBMIT_INVALID;
	params_hash(kind, params ? params : json_object(), hash);
	pthread_mutex_lock(&eng->lock);
	if (idem_key != NULL) {
		json_t *prev = find_by_key(c->journal_dir, idem_key);

		if (prev != NULL) {
			const char *h = json_string_value(json_object_get(prev, "params_sha256"));
			int same = h != NULL && strcmp(h, hash) == 0;

			pthread_mutex_unlock(&eng->lock);
			if (!same) {
				ck_error_set(err, "Idempotency-Key '%s' was used for operation %s "
					     "with a different request", idem_key,
					     json_string_value(json_object_get(prev, "id")));
				json_decref(prev);
				return CK_SUBMIT_KEY_REUSED;
			}
			*op_out = prev;
			return CK_SUBMIT_EXISTING;
		}
	}
	/* A watch check holds the engine for an instant (a start is a fork
	 * and exec, no wait for ready): wait for it rather than answer busy. */
	while (eng->busy && eng->held)
		pthread_cond_wait(&eng->idle, &eng->lock);
	if (!eng->busy && journal_blocker(eng, err) < 0) {
		pthread_mutex_unlock(&eng->lock);
		return CK_SUBMIT_JOURNAL;
	}
	if (eng->busy) {
		*op_out = ck_op_read(c->journal_dir, eng->running, err);
		ck_error_set(err, "operation %s is running; one operation at a time", eng->running);
		pthread_mutex_unlock(&eng->lock);
		return CK_SUBMIT_BUSY;
	}
	op = ck_op_new(kind, ck_clock_now_ms());
	json_object_set_new(op, "params", params ? json_deep_copy(params) : json_object());
	json_object_set_new(op, "params_sha256", json_string(hash));
	if (idem_key != NULL)
		json_object_set_new(op, "idempotency_key", json_string(idem_key));
	for (i = 0; ck_op_steps_for(ck_op_kind_parse(kind))[i].name != NULL; i++)
		ck_op_add_step(op, ck_op_steps_for(ck_op_kind_parse(kind))[i].name);
	if (ck_op_write(c->journal_dir, op, err) < 0) {
		pthread_mutex_unlock(&eng->lock);
		json_decref(op);
		return CK_SUBMIT_ERROR;
	}
	r = ck_op_run_new(eng, kind, op, params, err);
	if (r == NULL) {
		pthread_mutex_unlock(&eng->lock);
		json_decref(op);
		return CK_SUBMIT_ERROR;
	}
	eng->busy = 1;
	snprintf(eng->running, sizeof(eng->running), "%s",
		 json_string_value(json_object_get(op, "id")));
	pthread_mutex_unlock(&eng->lock);
	if (async) {
		/* The caller gets its own copy: the worker changes r->op from the
		 * moment it starts, and jansson objects are not safe to read while
		 * another thread writes them (the 202 body was once serialised
		 * while the worker freed a step under it). */
		json_t *snapshot = json_deep_copy(op);

		reap_worker(eng);
		if (snapshot != NULL && pthread_create(&tid, NULL, worker, r) == 0) {
			pthread_mutex_lock(&eng->lock);
			eng->worker = tid;
			eng->has_worker = 1;
			pthread_mutex_unlock(&eng->lock);
			json_decref(op);
			*op_out = snapshot;
			return CK_SUBMIT_CREATED;
		}
		json_decref(snapshot);
	}
	run_operation(r);
	json_decref(op);
	*op_out = json_incref(r->op);
	ck_op_run_free(r);
	finish(eng);
	return CK_SUBMIT_CREATED;
}
