/* The dry run of a regenerate, as `clawkeeper plan` and POST
 * /v1/instance/config/plan both give it: for the instance's release (or a
 * version asked for), what each model reference becomes, the diff of the
 * live config, and the cron-job patches the settings need. Nothing is
 * written. */
#ifndef CK_PLAN_H
#define CK_PLAN_H

#include <jansson.h>

#include "error.h"
#include "instance.h"

struct ck_plan_req {
	const struct ck_instance_opts *inst; /* with openclaw_bin: its --version */
	const json_t *settings;     /* NULL: read settings_path */
	const char *settings_path;
	const char *target_version; /* NULL: the instance's version */
	int no_fetch;               /* never ask a provider for its listing */
};

struct ck_plan_result {
	json_t *doc;     /* {config_path, target_version, version_source?, shape,
	                    plan, diff, cron, warnings} */
	json_t *config;  /* the generated config, secrets included: never shown
	                    as is (ck_config_redacted) */
};

enum ck_plan_status {
	CK_PLAN_OK,
	CK_PLAN_NO_SETTINGS,        /* none given, none stored, or unreadable */
	CK_PLAN_BAD_SETTINGS,       /* given settings break the schema */
	CK_PLAN_NO_INSTANCE,        /* the state dir cannot be opened */
	CK_PLAN_CONFIG_UNREADABLE,
	CK_PLAN_NO_VERSION,         /* no version given and none known */
	CK_PLAN_CRON_UNREADABLE,    /* settings.cron and the jobs cannot be read */
	CK_PLAN_REFUSED,            /* the generator refused (err says why) */
};

enum ck_plan_status ck_plan(const struct ck_plan_req *req,
    struct ck_plan_result *out, struct ck_error *err);
void ck_plan_result_free(struct ck_plan_result *out);

#endif
