/* ck_plan: the one dry run of a regenerate (plan.h), called by the CLI's
 * `plan` and the API's plan route. */
#include <string.h>

#include "clawkeeper/compat.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/plan.h"
#include "clawkeeper/settings.h"
#include "clawkeeper/version.h"

static const char *
shape_of(const char *target)
{
	struct ck_version v;

	return ck_version_parse(target, &v) == 0 &&
	    ck_compat_has(target, CK_FEAT_UNIFIED_PROVIDER) == 1 ? "unified" : "legacy";
}

enum ck_plan_status
ck_plan(const struct ck_plan_req *req, struct ck_plan_result *out,
    struct ck_error *err)
{
	struct ck_gen_opts gopts;
	struct ck_instance inst;
	json_t *settings, *jobs = NULL, *cron = NULL, *plan = NULL;
	enum ck_plan_status st = CK_PLAN_OK;

	memset(out, 0, sizeof(*out));
	ck_error_clear(err);
	if (req->settings != NULL) {
		if (ck_settings_validate(req->settings, err) != 0) {
			ck_error_prefix(err, "settings.");
			return CK_PLAN_BAD_SETTINGS;
		}
		settings = json_incref((json_t *)req->settings);
	} else if (req->settings_path == NULL ||
	    (settings = ck_settings_load(req->settings_path, err)) == NULL) {
		if (req->settings_path == NULL)
			ck_error_set(err, "no desired settings: none stored");
		return CK_PLAN_NO_SETTINGS;
	}
	if (ck_instance_open(req->inst, &inst, err) != 0) {
		json_decref(settings);
		return CK_PLAN_NO_INSTANCE;
	}
	memset(&gopts, 0, sizeof(gopts));
	/* the shape is the installed release's (its --version), never what
	 * the config says wrote it: a regenerate plans the same */
	gopts.target_version = req->target_version ? req->target_version : inst.version;
	gopts.no_fetch = req->no_fetch;
	if (inst.config == NULL) {
		ck_error_set(err, "%s", inst.config_error);
		st = CK_PLAN_CONFIG_UNREADABLE;
	} else if (gopts.target_version == NULL) {
		ck_error_set(err, "%s: the instance's version is unknown (no release "
		    "to ask, no meta.lastTouchedVersion): give a target version",
		    inst.config_path);
		st = CK_PLAN_NO_VERSION;
	} else if (json_object_get(settings, "cron") != NULL &&
	    (jobs = ck_cron_jobs_load(&inst, err)) == NULL) {
		ck_error_prefix(err, "settings.cron: ");
		st = CK_PLAN_CRON_UNREADABLE;
	} else {
		gopts.cron_jobs = jobs;
		gopts.out_cron = &cron;
		if (ck_generate(inst.config, settings, &gopts, &out->config, &plan, err) != 0)
			st = CK_PLAN_REFUSED;
	}
	if (st == CK_PLAN_OK && cron == NULL)
		cron = json_array();
	if (st == CK_PLAN_OK) {
		/* cron: the job patches the switch would write (ids, names, chains) */
		out->doc = json_pack("{s:s, s:s, s:s?, s:s, s:O, s:o, s:O, s:b}",
		    "config_path", inst.config_path,
		    "target_version", gopts.target_version,
		    "version_source", req->target_version ? "asked" : inst.version_source,
		    "shape", shape_of(gopts.target_version),
		    "plan", plan, "diff", ck_config_diff(inst.config, out->config),
		    "cron", cron,
		    "warnings", ck_plan_has_warnings(plan));
		if (out->doc == NULL) {
			ck_error_set(err, "out of memory");
			st = CK_PLAN_REFUSED;
		}
	}
	if (st != CK_PLAN_OK) {
		json_decref(out->config);
		out->config = NULL;
	}
	json_decref(plan);
	json_decref(cron);
	json_decref(jobs);
	json_decref(settings);
	ck_instance_close(&inst);
	return st;
}

void
ck_plan_result_free(struct ck_plan_result *out)
{
	json_decref(out->doc);
	json_decref(out->config);
	memset(out, 0, sizeof(*out));
}
