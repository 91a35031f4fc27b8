/* Settling what an earlier agent left running: an operation that had not
 * touched the live instance failed, one verified before the agent stopped
 * succeeded, any other rolled back. */
#include <string.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/journal.h"
#include "clawkeeper/log.h"

#include "engine_internal.h"

static const char *
step_state(json_t *op, const char *name)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(op, "steps"), i, s) {
		const char *n = json_string_value(json_object_get(s, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return json_string_value(json_object_get(s, "state"));
	}
	return NULL;
}

static int
recover_one(struct ck_opengine *eng, json_t *op)
{
	const char *kind = json_string_value(json_object_get(op, "kind"));
	const struct step_def *first_live =
		ck_op_steps_for(ck_op_kind_parse(kind ? kind : "regenerate"));
	const char *sw;
	const char *verify = step_state(op, "verify");
	const char *drill = step_state(op, "drill");
	struct ck_error err;
	struct run *r;

	while (first_live->name != NULL && !first_live->touches_live)
		first_live++;
	sw = first_live->name ? step_state(op, first_live->name) : NULL;
	r = ck_op_run_new(eng, kind ? kind : "regenerate", op, json_object_get(op, "params"),
			  &err);
	if (r == NULL)
		return -1;
	if (step_state(op, "rollback_restore") != NULL) {
		/* Died while rolling back: roll back again from the start. */
		json_t *steps_arr = json_object_get(r->op, "steps");
		size_t n = json_array_size(steps_arr);

		while (n > 0) {
			const char *nm = json_string_value(json_object_get(
				json_array_get(steps_arr, n - 1), "name"));

			if (nm == NULL || strncmp(nm, "rollback_", 9) != 0)
				break;
			json_array_remove(steps_arr, --n);
		}
	}
	if (sw == NULL || strcmp(sw, "pending") == 0) {
		if (r->kind == OP_IMPORT)
			ck_rm_rf(r->import_stage, NULL);
		ck_op_set_state(r, "failed");
		json_object_set_new(r->op, "result", json_pack("{s:b, s:s}", "ok", 0, "message",
			"the agent stopped before the live instance was changed; nothing was changed"));
		ck_op_journal(r);
	} else if (json_object_get(op, "auto_rollback") == NULL &&
		   verify != NULL && strcmp(verify, "done") == 0 &&
		   (drill == NULL || strcmp(drill, "done") == 0)) {
		ck_op_set_state(r, "succeeded");
		json_object_set_new(r->op, "result", json_pack("{s:b, s:s}", "ok", 1, "message",
			"verified before the agent stopped"));
		ck_op_journal(r);
	} else {
		ck_op_use_recorded_rollback(r);
		ck_op_rollback(r, json_object_get(op, "auto_rollback") != NULL ?
			 json_string_value(json_object_get(op, "auto_rollback")) :
			 "the agent stopped during the operation; rolled back on restart");
	}
	ck_op_journal_final(r);
	ck_op_clear_staging(r);
	ck_op_run_free(r);
	return 0;
}

int
ck_opengine_recover(struct ck_opengine *eng, struct ck_error *err)
{
	json_t *list = ck_op_list(eng->conf->journal_dir, JOURNAL_SCAN_MAX, err);
	json_t *op;
	size_t i;
	int settled = 0;

	if (list == NULL)
		return -1;
	json_array_foreach(list, i, op) {
		const char *state = json_string_value(json_object_get(op, "state"));

		if (state == NULL || (strcmp(state, "running") != 0 && strcmp(state, "pending") != 0))
			continue;
		ck_log_warn("operation %s was %s when the agent stopped; settling it",
			    json_string_value(json_object_get(op, "id")), state);
		if (recover_one(eng, op) == 0)
			settled++;
	}
	json_decref(list);
	return settled;
}
