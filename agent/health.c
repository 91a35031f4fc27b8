/* The health report: config, credential, decision-log and lock health of
 * one instance, composed into {status, version, findings[], credentials[],
 * decisions{}, locks[]}. Missing or garbled inputs become findings. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/config_health.h"
#include "clawkeeper/credentials.h"
#include "clawkeeper/decision.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/health.h"
#include "clawkeeper/locks.h"
#include "clawkeeper/settings.h"

static json_t *
load_settings(const char *path, json_t *findings)
{
	struct ck_error err;
	json_t *settings;

	if (path == NULL)
		return NULL;
	ck_error_clear(&err);
	settings = ck_settings_load(path, &err);
	if (settings == NULL)
		ck_finding_add(findings, "SETTINGS_INVALID", CK_SEV_CRITICAL, "settings",
			       "fix the desired settings the control plane wrote "
			       "(PUT /v1/instance/settings)", "%s", err.msg);
	return settings;
}

static json_t *
decisions_part(const struct ck_instance *inst, long long since_ms, json_t *findings)
{
	struct ck_error err;
	json_t *summary;

	ck_error_clear(&err);
	summary = ck_decision_summary((const char *const *)inst->log_paths,
				      inst->n_logs, since_ms, findings, &err);
	if (summary == NULL) {
		ck_finding_add(findings, "DECISION_LOG_UNREADABLE", CK_SEV_WARNING,
			       "defaults", "check logging.file and its permissions",
			       "%s", err.msg);
		summary = json_object();
	}
	json_object_set_new(summary, "log_file",
			    inst->log_file ? json_string(inst->log_file) : json_null());
	json_object_set_new(summary, "files_read", json_integer((json_int_t)inst->n_logs));
	return summary;
}

json_t *
ck_health_report(const struct ck_health_opts *opts, struct ck_error *err)
{
	struct ck_instance inst;
	json_t *report, *findings, *settings;
	long long now = opts->now_ms > 0 ? opts->now_ms : ck_clock_now_ms();
	long long lock_age = opts->lock_max_age_ms;
	enum ck_severity worst;

	if (ck_instance_open(&opts->inst, &inst, err) < 0)
		return NULL;
	findings = json_array();
	settings = load_settings(opts->settings_path, findings);
	report = json_object();
	json_object_set_new(report, "status", json_string("ok"));
	json_object_set_new(report, "version",
			    inst.version ? json_string(inst.version) : json_null());
	json_object_set_new(report, "version_source",
			    inst.version_source ? json_string(inst.version_source) : json_null());
	json_object_set_new(report, "state_dir", json_string(inst.state_dir));
	json_object_set_new(report, "config_path", json_string(inst.config_path));
	ck_config_health(&inst, settings, findings);
	json_object_set_new(report, "credentials",
			    ck_credentials_health(&inst, now, findings));
	json_object_set_new(report, "decisions",
			    decisions_part(&inst, opts->since_ms, findings));
	json_object_set_new(report, "locks",
			    ck_locks_check(&inst, now, lock_age, opts->fix_locks, findings));
	worst = ck_findings_worst(findings);
	json_object_set_new(report, "status", json_string(ck_status_name(worst)));
	json_object_set_new(report, "findings", findings);
	json_decref(settings);
	ck_instance_close(&inst);
	return report;
}
