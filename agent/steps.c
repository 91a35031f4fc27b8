/* The steps of an operation and the runner that records each in the
 * journal before it starts: preflight, snapshot, generate, validate,
 * locks, switch, the one stop and the one start, verify and drill, and
 * which of them each kind runs (the upgrade's and import's own steps are
 * in upgrade_steps.c and import_steps.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/drill.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/locks.h"
#include "clawkeeper/log.h"
#include "clawkeeper/release.h"
#include "clawkeeper/settings.h"
#include "clawkeeper/snapshot.h"
#include "clawkeeper/spawn.h"
#include "clawkeeper/version.h"

#include "engine_internal.h"

#define DEFAULT_MIN_FREE (64LL << 20)
#define VALIDATE_TIMEOUT_MS 120000

int
ck_op_journal(struct run *r)
{
	struct ck_error err;

#ifdef CK_TEST_HOOKS
	/* Test builds: journal writes fail while this file exists (a full or
	 * read-only journal disk, which tests cannot make as they run). */
	const char *fail = getenv("CK_TEST_JOURNAL_FAIL_FILE");

	if (fail != NULL && access(fail, F_OK) == 0) {
		ck_log_error("journal: write refused (test hook %s)", fail);
		return -1;
	}
#endif
	if (ck_op_write(r->eng->conf->journal_dir, r->op, &err) < 0) {
		ck_log_error("%s", err.msg);
		return -1;
	}
	return 0;
}

void
ck_op_set_state(struct run *r, const char *state)
{
	char ts[32];

	ck_op_time(ck_clock_now_ms(), ts, sizeof(ts));
	json_object_set_new(r->op, "state", json_string(state));
	json_object_set_new(r->op, "updated_at", json_string(ts));
}

/* Test builds can die at a step boundary, after the step is recorded as
 * running and before it does anything: the crash tests restart the agent
 * from there. */
static void
crash_hook(const char *step)
{
#ifdef CK_TEST_HOOKS
	const char *at = getenv("CK_TEST_CRASH_AT");

	if (at != NULL && strcmp(at, step) == 0)
		raise(SIGKILL);
#else
	(void)step;
#endif
}

/* Test builds: the journal disk fills up the first time this step starts
 * (CK_TEST_JOURNAL_FAIL_AT names it): the fail file of ck_op_journal's
 * hook appears, and the test frees the disk by removing it. Only run by
 * the operation worker, one at a time. */
static void
journal_fill_hook(const char *step)
{
#ifdef CK_TEST_HOOKS
	static int fired; /* once: the next operation finds the disk freed */
	const char *at = getenv("CK_TEST_JOURNAL_FAIL_AT");
	const char *file = getenv("CK_TEST_JOURNAL_FAIL_FILE");
	FILE *f;

	if (!fired && at != NULL && file != NULL && strcmp(at, step) == 0 &&
	    (f = fopen(file, "w")) != NULL) {
		fired = 1;
		fclose(f);
	}
#else
	(void)step;
#endif
}

int
ck_op_run_step(struct run *r, const char *name, step_fn fn, struct ck_error *err)
{
	int rc;

	ck_op_step_set(r->op, name, "running", NULL, ck_clock_now_ms());
	journal_fill_hook(name);
	/* Durable before it starts: a restarted agent knows how far we got. */
	if (ck_op_journal(r) < 0) {
		ck_error_set(err, "%s: cannot record the step in the journal", name);
		return -1;
	}
	crash_hook(name);
	r->msg[0] = '\0';
	ck_error_clear(err);
	rc = fn(r, err);
	ck_op_step_set(r->op, name, rc == 0 ? "done" : "failed",
		       rc == 0 ? r->msg : err->msg, ck_clock_now_ms());
	if (ck_op_journal(r) < 0 && rc == 0) {
		/* Never go on with a journal that says something else. */
		ck_error_set(err, "%s: done, but the journal cannot record it", name);
		ck_op_step_set(r->op, name, "failed", err->msg, ck_clock_now_ms());
		return -1;
	}
	if (rc < 0)
		ck_error_prefix(err, "%s: ", name);
	return rc;
}

static void
use_current_release(struct run *r)
{
	const struct ck_opengine_conf *c = r->eng->conf;
	char *cur = c->releases_root ? ck_release_current(c->releases_root) : NULL;
	char **argv;

	if (cur == NULL)
		return;
	argv = ck_op_openclaw_argv(r, cur);
	free(cur);
	if (argv != NULL) {
		ck_gateway_argv_free(c->gw->openclaw_argv);
		c->gw->openclaw_argv = argv;
	}
}

static int
disk_free_ok(const char *path, long long need, struct ck_error *err)
{
	struct statvfs sv;
	long long avail;

	if (path == NULL || statvfs(path, &sv) < 0)
		return 0;
	avail = (long long)sv.f_bavail * (long long)sv.f_frsize;
	if (avail < need) {
		ck_error_set(err, "%s: only %lld MiB free, need %lld MiB", path,
			     avail >> 20, need >> 20);
		return -1;
	}
	return 0;
}

static int
step_preflight(struct run *r, struct ck_error *err)
{
	const struct ck_opengine_conf *c = r->eng->conf;
	long long need = c->min_free_bytes ? c->min_free_bytes : DEFAULT_MIN_FREE;
	struct ck_version tv;

	/* An import may land on a fresh instance with no config yet. */
	if (r->inst.config == NULL && r->kind != OP_IMPORT) {
		ck_error_set(err, "live config unreadable: %s", r->inst.config_error);
		return -1;
	}
	r->settings = ck_settings_load(c->settings_path, err);
	if (r->settings == NULL)
		return -1;
	{
		char ver[64];

		/* The version is the installed release's, never what a config
		 * says wrote it (an imported 5.28 config on a 6.1 host is
		 * regenerated for 6.1). */
		use_current_release(r);
		if (ck_gateway_version(c->gw, ver, sizeof(ver), NULL, 0, err) < 0) {
			ck_error_prefix(err, "the installed release's version: ");
			return -1;
		}
		r->from_version = strdup(ver);
	}
	if (r->kind == OP_IMPORT && !ck_file_exists(r->archive) &&
	    json_object_get(r->params, "url") == NULL) {
		ck_error_set(err, "%s: no such archive", r->archive);
		return -1;
	}
	if (!r->upgrade) {
		if (r->from_version == NULL) {
			ck_error_set(err, "the instance's version is unknown; "
				     "regenerate needs it to pick the config shape");
			return -1;
		}
		r->target = r->from_version;
	} else {
		if (ck_version_parse(r->target, &tv) < 0) {
			ck_error_set(err, "target_version '%s' is not an OpenClaw version", r->target);
			return -1;
		}
		if (r->from_version != NULL && !json_is_true(json_object_get(r->params, "allow_downgrade")) &&
		    ck_version_cmp_str(r->target, r->from_version) <= 0) {
			ck_error_set(err, "target %s is not newer than the running %s "
				     "(set allow_downgrade to force)", r->target, r->from_version);
			return -1;
		}
		if (c->releases_root == NULL) {
			ck_error_set(err, "no releases root is configured; upgrades need one");
			return -1;
		}
		if (ck_op_upgrade_schema_ok(r, err) < 0)
			return -1;
	}
	if (disk_free_ok(r->inst.state_dir, need, err) < 0 ||
	    disk_free_ok(c->work_dir, need, err) < 0 ||
	    (c->releases_root && disk_free_ok(c->releases_root, need, err) < 0))
		return -1;
	snprintf(r->msg, sizeof(r->msg), "%s %s -> %s", r->upgrade ? "upgrade" : "regenerate",
		 r->from_version ? r->from_version : "unknown", r->target);
	return 0;
}

static int
step_snapshot(struct run *r, struct ck_error *err)
{
	const struct ck_opengine_conf *c = r->eng->conf;

	if (c->releases_root != NULL)
		r->from_release = ck_release_current(c->releases_root);
	json_object_set_new(r->op, "rollback", json_pack("{s:s, s:s?}",
		"snapshot", r->snap_dir, "release", r->from_release));
	if (ck_snapshot_take(&r->inst, r->snap_dir, err) < 0)
		return -1;
	snprintf(r->msg, sizeof(r->msg), "live config and credential files saved in %s",
		 r->snap_dir);
	return 0;
}

static int
step_generate(struct run *r, struct ck_error *err)
{
	struct ck_gen_opts gopts = { 0 };
	struct ck_instance target = r->inst;
	json_t *plan = NULL, *jobs = NULL;
	int rc;

	gopts.target_version = r->target;
	/* An imported config's provider URLs are the archive's: never asked. */
	gopts.no_fetch = r->kind == OP_IMPORT;
	/* Cron chains: the jobs where the target keeps them (after an
	 * upgrade's migration, the migrated state's). */
	target.version = (char *)r->target;
	if (json_object_get(r->settings, "cron") != NULL &&
	    (jobs = ck_cron_jobs_load(&target, err)) == NULL) {
		ck_error_prefix(err, "settings.cron: the cron jobs cannot be read: ");
		return -1;
	}
	gopts.cron_jobs = jobs;
	json_decref(r->cron_patches);
	r->cron_patches = NULL;
	gopts.out_cron = &r->cron_patches;
	rc = ck_generate(r->inst.config, r->settings, &gopts, &r->new_config, &plan, err);
	json_decref(jobs);
	if (rc < 0)
		return -1;
	r->new_text = ck_config_dump(r->new_config);
	json_object_set_new(r->op, "plan", plan);
	json_object_set_new(r->op, "diff", ck_config_diff(r->inst.config, r->new_config));
	snprintf(r->msg, sizeof(r->msg), "%zu model reference(s) planned%s",
		 json_array_size(plan), ck_plan_has_warnings(plan) ? ", with warnings" : "");
	return r->new_text ? 0 : -1;
}

/* The openclaw entry point to run: the target release's for an upgrade,
 * else the gateway's. */
char **
ck_op_openclaw_argv(struct run *r, const char *version)
{
	const struct ck_opengine_conf *c = r->eng->conf;
	char **argv;

	if (c->releases_root != NULL && version != NULL) {
		char *dir = ck_release_path(c->releases_root, version);

		argv = dir ? ck_release_openclaw_argv(dir) : NULL;
		free(dir);
		if (argv != NULL)
			return argv;
	}
	return ck_gateway_argv_dup(c->gw->openclaw_argv);
}

static int
step_validate(struct run *r, struct ck_error *err)
{
	static const char *const args[] = { "config", "validate", "--json", NULL };
	struct ck_gateway_conf vgw;
	struct ck_spawn_result res;
	char *cfg = NULL;
	int rc = -1;

	/* The cutover's config is the one the rehearsal validated and booted
	 * (same doctor, same settings, same state but for what the gateway
	 * wrote meanwhile): not validated again inside the downtime. */
	{
		const char *rehearsed = json_string_value(json_object_get(r->op,
			"rehearsed_config_sha256"));

		if (r->upgrade && rehearsed != NULL &&
		    strcmp(rehearsed, ck_op_config_sum(r, r->new_config)) == 0) {
			snprintf(r->msg, sizeof(r->msg), "the config openclaw %s validated and "
				 "booted in the rehearsal (sha256 %.12s); not run again while the "
				 "gateway is down", r->target, rehearsed);
			return 0;
		}
	}
	if (ck_mkdir_p(r->stage_dir, 0700, err) < 0)
		return -1;
	cfg = ck_path_join(r->stage_dir, "openclaw.json");
	if (ck_file_write_atomic(cfg, r->new_text, strlen(r->new_text), 0600, err) < 0)
		goto out;
	/* The target's own validator, on a staged copy, never the live file. */
	ck_gateway_conf_init(&vgw);
	vgw.openclaw_argv = ck_op_openclaw_argv(r, r->target);
	/* Against the instance's own state (after an upgrade's migration, the
	 * migrated copy): a config is only valid for the state it runs on. */
	vgw.state_dir = strdup(r->inst.state_dir);
	vgw.config_path = strdup(cfg);
	vgw.home = strdup(r->eng->conf->gw->home ? r->eng->conf->gw->home : r->stage_dir);
	if (vgw.openclaw_argv == NULL) {
		ck_error_set(err, "no openclaw binary to validate with");
		ck_gateway_conf_free(&vgw);
		goto out;
	}
	if (ck_gateway_openclaw(&vgw, args, NULL, VALIDATE_TIMEOUT_MS, &res, err) == 0) {
		if (res.exit_code == 0) {
			snprintf(r->msg, sizeof(r->msg), "openclaw %s accepts the generated config",
				 r->target);
			rc = 0;
		} else {
			const char *why = res.err_len ? res.errout : res.out;

			ck_error_set(err, "openclaw %s rejects the generated config (exit %d): %.300s",
				     r->target, res.exit_code, why);
		}
		ck_spawn_result_free(&res);
	}
	ck_gateway_conf_free(&vgw);
out:
	free(cfg);
	return rc;
}

static int
step_locks(struct run *r, struct ck_error *err)
{
	json_t *findings = json_array();
	json_t *locks = ck_locks_check(&r->inst, ck_clock_now_ms(), 0, 1, findings);
	size_t i, removed = 0;
	json_t *l;

	(void)err;
	json_array_foreach(locks, i, l)
		if (json_is_true(json_object_get(l, "removed")))
			removed++;
	snprintf(r->msg, sizeof(r->msg), "%zu stale session lock(s) removed", removed);
	json_decref(locks);
	json_decref(findings);
	return 0;
}

static int
step_switch(struct run *r, struct ck_error *err)
{
	const struct ck_opengine_conf *c = r->eng->conf;

	if (r->upgrade && ck_release_switch(c->releases_root, r->target, err) < 0)
		return -1;
	if (ck_file_replace(r->inst.config_path, r->new_text, strlen(r->new_text),
			    0600, err) < 0)
		return -1;
	/* Job chains live in the cron store, not the config: written here,
	 * still between the stop and the start. */
	if (json_array_size(r->cron_patches) > 0) {
		if (ck_cron_apply(&r->inst, r->cron_patches, err) < 0)
			return -1;
		json_object_set(r->op, "cron_written", r->cron_patches);
	}
	snprintf(r->msg, sizeof(r->msg), "%sconfig written to %s%s",
		 r->upgrade ? "release switched, " : "", r->inst.config_path,
		 json_array_size(r->cron_patches) ? ", cron job chains set" : "");
	return 0;
}

/* The one start of an operation: the gateway was stopped before anything
 * changed, so this is the restart, and the only boot the log may show. */
int
ck_op_start_gateway(struct run *r, struct ck_error *err)
{
	json_int_t n = json_integer_value(json_object_get(r->op, "restarts"));
	int rc;

	use_current_release(r);
	/* Counted before it happens: a restart the agent dies in still counts. */
	json_object_set_new(r->op, "restarts", json_integer(n + 1));
	if (ck_op_journal(r) < 0) {
		ck_error_set(err, "cannot record the restart in the journal");
		return -1;
	}
	r->restart_ms = ck_clock_now_ms();
	if (json_object_get(r->op, "stopped_at_ms") == NULL)
		json_object_set_new(r->op, "stopped_at_ms", json_integer(r->restart_ms));
	rc = ck_gateway_start(r->eng->conf->gw, err);
	if (r->eng->conf->after_restart != NULL)
		r->eng->conf->after_restart(r->eng->conf->ud);
	return rc;
}

void
ck_op_add_ms(struct run *r, const char *what, long long ms)
{
	json_t *t = json_object_get(r->op, "timings");

	if (t == NULL) {
		t = json_object();
		json_object_set_new(r->op, "timings", t);
	}
	json_object_set_new(t, what, json_integer(
		json_integer_value(json_object_get(t, what)) + ms));
}

int
ck_op_stop_gateway(struct run *r, struct ck_error *err)
{
	long long t0 = ck_clock_mono_ms();

	if (ck_gateway_stop(r->eng->conf->gw, err) < 0)
		return -1;
	json_object_set_new(r->op, "stopped_at_ms", json_integer(ck_clock_now_ms()));
	ck_op_add_ms(r, "stop_ms", ck_clock_mono_ms() - t0);
	snprintf(r->msg, sizeof(r->msg), "gateway stopped (%s); nothing below changes "
		 "under a running gateway", ck_gateway_driver_name(r->eng->conf->gw->driver));
	return 0;
}

int
ck_op_step_start(struct run *r, struct ck_error *err)
{
	if (ck_op_start_gateway(r, err) < 0)
		return -1;
	snprintf(r->msg, sizeof(r->msg), "gateway started (%s)",
		 ck_gateway_driver_name(r->eng->conf->gw->driver));
	return 0;
}

static int
step_verify(struct run *r, struct ck_error *err)
{
	return ck_op_verify_gateway(r, r->upgrade ? r->target : NULL, 1, err);
}

static int
drill_wanted(const struct run *r)
{
	json_t *d = json_object_get(r->params, "drill");

	if (json_is_boolean(d))
		return json_is_true(d);
	/* operations.drill of the agent config, for every operation. */
	return r->eng->conf->drill;
}

/* Proves failover now instead of waiting for a real error: one turn of the
 * installed OpenClaw against a stub that answers 401 to every provider of
 * the planned chain, in a throw-away state dir. */
static int
step_drill(struct run *r, struct ck_error *err)
{
	struct ck_drill_opts dopts = { 0 };
	json_t *chain, *res;
	int passed;

	if (!drill_wanted(r)) {
		snprintf(r->msg, sizeof(r->msg), "skipped (drill off)");
		return 0;
	}
	chain = ck_drill_chain_from_config(r->new_config, NULL, err);
	if (chain == NULL)
		return -1;
	/* A chain of one (a legacy Codex runtime drops its fallbacks; the
	 * plan says so) has nothing to fail over to: no drill can prove
	 * failover there, and failing the operation for it would refuse the
	 * instance as the settings ask for it. Said, not passed. */
	if (json_array_size(chain) < 2) {
		json_object_set_new(r->op, "drill", json_pack("{s:n, s:b, s:s}", "passed",
			"skipped", 1, "message", "the planned chain has a single candidate: "
			"nothing to fail over to (see the plan)"));
		snprintf(r->msg, sizeof(r->msg), "skipped: the planned chain has a single "
			 "candidate, nothing to fail over to (see the plan)");
		json_decref(chain);
		return 0;
	}
	dopts.version = r->target;
	res = ck_drill_run(r->eng->conf->gw, r->new_config, chain, &dopts, err);
	json_decref(chain);
	if (res == NULL)
		return -1;
	passed = json_is_true(json_object_get(res, "passed"));
	json_object_set(r->op, "drill", res);
	if (!passed)
		ck_error_set(err, "fallback drill failed: %s",
			     json_string_value(json_object_get(res, "message")));
	else
		snprintf(r->msg, sizeof(r->msg), "%s",
			 json_string_value(json_object_get(res, "message")));
	json_decref(res);
	return passed ? 0 : -1;
}

static const struct step_def regenerate_steps[] = {
	{ "preflight", step_preflight, 0 },
	{ "snapshot", step_snapshot, 0 },
	{ "generate", step_generate, 0 },
	{ "validate", step_validate, 0 },
	{ "stop", ck_op_stop_gateway, 1 },
	{ "locks", step_locks, 1 },
	{ "switch", step_switch, 1 },
	{ "start", ck_op_step_start, 1 },
	{ "verify", step_verify, 1 },
	{ "drill", step_drill, 1 },
	{ NULL, NULL, 0 },
};

/* Rehearsal while the old gateway serves (a failure there changes
 * nothing), then the cutover between one stop and one start. */
static const struct step_def upgrade_steps[] = {
	{ "preflight", step_preflight, 0 },
	{ "snapshot", step_snapshot, 0 },
	{ "stage", ck_op_upgrade_stage, 0 },
	{ "rehearse", ck_op_upgrade_rehearse, 0 },
	{ "stop", ck_op_stop_gateway, 1 },
	{ "set_aside", ck_op_upgrade_set_aside, 1 },
	{ "migrate", ck_op_upgrade_migrate, 1 },
	{ "generate", step_generate, 1 },
	{ "validate", step_validate, 1 },
	{ "locks", step_locks, 1 },
	{ "switch", step_switch, 1 },
	{ "start", ck_op_step_start, 1 },
	{ "verify", step_verify, 1 },
	{ "drill", step_drill, 1 },
	{ NULL, NULL, 0 },
};

/* Import: the archive is staged and checked before the live state is
 * touched; the gateway stops before "install" swaps it in. */
static const struct step_def import_steps[] = {
	{ "preflight", step_preflight, 0 },
	{ "fetch", ck_op_import_fetch, 0 },
	{ "stage", ck_op_import_stage, 0 },
	{ "snapshot", step_snapshot, 0 },
	{ "stop", ck_op_stop_gateway, 1 },
	{ "install", ck_op_import_install, 1 },
	{ "generate", step_generate, 1 },
	{ "validate", step_validate, 1 },
	{ "locks", step_locks, 1 },
	{ "switch", step_switch, 1 },
	{ "start", ck_op_step_start, 1 },
	{ "verify", step_verify, 1 },
	{ "drill", step_drill, 1 },
	{ NULL, NULL, 0 },
};

enum op_kind
ck_op_kind_parse(const char *kind)
{
	if (strcmp(kind, "upgrade") == 0)
		return OP_UPGRADE;
	if (strcmp(kind, "import") == 0)
		return OP_IMPORT;
	return OP_REGENERATE;
}

const struct step_def *
ck_op_steps_for(enum op_kind k)
{
	if (k == OP_UPGRADE)
		return upgrade_steps;
	if (k == OP_IMPORT)
		return import_steps;
	return regenerate_steps;
}

void
ck_op_run_steps(struct run *r)
{
	const struct step_def *s;
	struct ck_error err;

	ck_op_set_state(r, "running");
	ck_op_journal(r);
	for (s = ck_op_steps_for(r->kind); s->name != NULL; s++) {
		if (ck_op_run_step(r, s->name, s->fn, &err) == 0)
			continue;
		if (s->touches_live) {
			ck_op_rollback(r, err.msg);
		} else {
			ck_op_set_state(r, "failed");
			json_object_set_new(r->op, "result", json_pack("{s:b, s:s}", "ok", 0,
				"message", err.msg));
			ck_op_journal(r);
		}
		return;
	}
	ck_op_set_state(r, "succeeded");
	json_object_set_new(r->op, "result", json_pack("{s:b, s:s, s:s}", "ok", 1,
		"message", r->upgrade ? "upgraded" : "regenerated", "version", r->target));
	ck_op_journal(r);
}
