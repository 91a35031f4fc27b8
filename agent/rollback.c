/* Putting the instance back: the rollback steps after a step that touched
 * the live instance failed (trees or snapshot back, release switched
 * back, one start, verify), rebuilt from the record after a crash, and
 * the gateway watch's rollback of an operation that just succeeded. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/journal.h"
#include "clawkeeper/log.h"
#include "clawkeeper/release.h"
#include "clawkeeper/snapshot.h"

#include "engine_internal.h"

static int
step_rollback_restore(struct run *r, struct ck_error *err)
{
	const struct ck_opengine_conf *c = r->eng->conf;
	struct ck_error serr;

	/* Nothing may write the files while they are put back (a gateway
	 * writes its state database as it runs). */
	if (ck_gateway_stop(c->gw, &serr) < 0)
		ck_log_warn("rollback: stopping the gateway: %s", serr.msg);
	/* An import replaced the whole state dir, an upgrade set the live
	 * trees aside: renames put the untouched originals back. */
	if (r->kind == OP_IMPORT) {
		if (ck_op_import_restore(r, err) < 0)
			return -1;
	} else if (r->kind == OP_UPGRADE) {
		if (ck_op_upgrade_put_back(r, err) < 0)
			return -1;
	}
	/* The config and credential files outside those trees (a regenerate's
	 * whole change) come back from the snapshot, checked before the old
	 * gateway starts writing again. */
	if (r->kind == OP_REGENERATE || !(ck_path_within(r->inst.config_path, r->inst.state_dir) &&
				 strcmp(r->inst.config_path, r->inst.state_dir) != 0)) {
		if (ck_snapshot_restore(r->snap_dir, err) < 0)
			return -1;
		if (ck_snapshot_matches(r->snap_dir, err) != 1) {
			if (err->msg[0] == '\0')
				ck_error_set(err, "restored files differ from the snapshot");
			return -1;
		}
	}
	if (r->kind == OP_IMPORT)
		return 0;
	if (r->upgrade && r->from_release != NULL &&
	    ck_release_switch(c->releases_root, r->from_release, err) < 0)
		return -1;
	snprintf(r->msg, sizeof(r->msg), "%s%s%s", r->kind == OP_UPGRADE ?
		 "the state set aside is back, every file byte-identical to before the cutover "
		 "(sha256 checked)" : "snapshot restored",
		 r->from_release ? ", release switched back to " : "",
		 r->from_release ? r->from_release : "");
	return 0;
}

static int
step_rollback_start(struct run *r, struct ck_error *err)
{
	/* The old gateway's boot is not the operation's: count from here. */
	json_object_set_new(r->op, "stopped_at_ms", json_integer(ck_clock_now_ms()));
	return ck_op_step_start(r, err);
}

static int
step_rollback_verify(struct run *r, struct ck_error *err)
{
	return ck_op_verify_gateway(r, r->upgrade ? r->from_release : NULL, 0, err);
}

void
ck_op_rollback(struct run *r, const char *why)
{
	struct ck_error err;
	int ok;

	ck_op_add_step(r->op, "rollback_restore");
	ck_op_add_step(r->op, "rollback_start");
	ck_op_add_step(r->op, "rollback_verify");
	ok = ck_op_run_step(r, "rollback_restore", step_rollback_restore, &err) == 0 &&
	     ck_op_run_step(r, "rollback_start", step_rollback_start, &err) == 0 &&
	     ck_op_run_step(r, "rollback_verify", step_rollback_verify, &err) == 0;
	ck_op_set_state(r, ok ? "rolled_back" : "failed");
	json_object_set_new(r->op, "result", json_pack("{s:b, s:s, s:s?}", "ok", 0,
		"message", why, "rollback_error", ok ? NULL : err.msg));
	ck_op_journal(r);
}

/* A run rebuilt from its record rolls back to what the record names:
 * the snapshot it took and the release it came from. */
void
ck_op_use_recorded_rollback(struct run *r)
{
	json_t *rb = json_object_get(r->op, "rollback");
	const char *snap = json_string_value(json_object_get(rb, "snapshot"));
	const char *release = json_string_value(json_object_get(rb, "release"));

	free(r->snap_dir);
	r->snap_dir = strdup(snap ? snap : "");
	if (release != NULL) {
		free(r->from_release);
		r->from_release = strdup(release);
	}
}

/* Puts back the state from before the last succeeded operation (its
 * rollback, as if its verify had failed) when it ended within_ms ago; once
 * per operation. The caller holds the engine (ck_opengine_hold). The record
 * says "auto_rollback" with the reason, so a restarted agent finishes the
 * rollback rather than settling it as verified. */
int
ck_opengine_revert_recent(struct ck_opengine *eng, long long within_ms, const char *why,
			  char *id, size_t id_len, struct ck_error *err)
{
	const char *kind, *state;
	json_t *op;
	struct run *r;
	int ok;

	pthread_mutex_lock(&eng->lock);
	if (eng->last_ok[0] == '\0' || within_ms <= 0 ||
	    ck_clock_mono_ms() - eng->last_ok_mono_ms > within_ms) {
		pthread_mutex_unlock(&eng->lock);
		return 0;
	}
	snprintf(id, id_len, "%s", eng->last_ok);
	eng->last_ok[0] = '\0';
	/* From here the hold is that operation running again: a submit gets
	 * 409 naming it rather than waiting out the rollback. */
	snprintf(eng->running, sizeof(eng->running), "%s", id);
	eng->held = 0;
	pthread_cond_broadcast(&eng->idle);
	pthread_mutex_unlock(&eng->lock);
	if ((op = ck_op_read(eng->conf->journal_dir, id, err)) == NULL)
		return -1;
	kind = json_string_value(json_object_get(op, "kind"));
	state = json_string_value(json_object_get(op, "state"));
	if (state == NULL || strcmp(state, "succeeded") != 0) {
		json_decref(op);
		return 0;
	}
	r = ck_op_run_new(eng, kind ? kind : "regenerate", op, json_object_get(op, "params"), err);
	json_decref(op);
	if (r == NULL)
		return -1;
	ck_op_use_recorded_rollback(r);
	json_object_set_new(r->op, "auto_rollback", json_string(why));
	ck_op_set_state(r, "running");
	if (ck_op_journal(r) < 0) {
		ck_error_set(err, "operation %s: cannot record the rollback in the journal", id);
		ck_op_run_free(r);
		return -1;
	}
	ck_op_rollback(r, why);
	ok = strcmp(json_string_value(json_object_get(r->op, "state")), "rolled_back") == 0;
	if (!ok)
		ck_error_set(err, "operation %s: %s", id, json_string_value(json_object_get(
			json_object_get(r->op, "result"), "rollback_error")));
	ck_op_journal_final(r);
	ck_op_run_free(r);
	return ok ? 1 : -1;
}
