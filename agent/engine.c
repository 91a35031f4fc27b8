/* The operation engine: regenerate and upgrade as recorded steps, one
 * operation at a time, exactly one gateway restart when all goes well,
 * and a rollback (restore, switch back, one more restart) when not. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "clawkeeper/compat.h"
#include "clawkeeper/clock.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/decision.h"
#include "clawkeeper/drill.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/gwlog.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/json5.h"
#include "clawkeeper/locks.h"
#include "clawkeeper/log.h"
#include "clawkeeper/engine.h"
#include "clawkeeper/journal.h"
#include "clawkeeper/release.h"
#include "clawkeeper/settings.h"
#include "clawkeeper/snapshot.h"
#include "clawkeeper/spawn.h"
#include "clawkeeper/version.h"

#define DEFAULT_MIN_FREE (64LL << 20)
#define VALIDATE_TIMEOUT_MS 120000
#define JOURNAL_SCAN_MAX 10000


#include "engine_internal.h"

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

/* The operation has ended; its record must say so before anything else
 * runs, or a restarted agent would settle it from what the journal last
 * said (and roll back its stale snapshot over newer work). When the write
 * fails the record is kept, and new operations wait until it is written. */
static void
journal_final(struct run *r)
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

static void
set_state(struct run *r, const char *state)
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

typedef int (*step_fn)(struct run *r, struct ck_error *err);

static void use_current_release(struct run *r);

static int
run_step(struct run *r, const char *name, step_fn fn, struct ck_error *err)
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

/* ---- steps ---- */

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
step_stage(struct run *r, struct ck_error *err)
{
	const struct ck_opengine_conf *c = r->eng->conf;
	json_t *src = json_object_get(r->params, "source");
	struct ck_release_source rs = { 0 };

	rs.dir = json_string_value(json_object_get(src, "dir"));
	rs.url = json_string_value(json_object_get(src, "url"));
	rs.sha256 = json_string_value(json_object_get(src, "sha256"));
	rs.install = c->install_template;
	rs.allow_http = c->allow_http;
	if (ck_release_stage(c->releases_root, r->target, &rs, err) < 0)
		return -1;
	snprintf(r->msg, sizeof(r->msg), "release %s staged", r->target);
	/* A state the target's doctor cannot take as it is goes through a
	 * waypoint release's doctor first (a present release is reused). */
	{
		const char *via = ck_op_upgrade_waypoint(r);
		struct ck_release_source ws = { 0 };

		if (via == NULL)
			return 0;
		ws.install = c->install_template;
		ws.allow_http = c->allow_http;
		if (ck_release_stage(c->releases_root, via, &ws, err) < 0) {
			ck_error_prefix(err, "the migration waypoint %s: ", via);
			return -1;
		}
		json_object_set_new(r->op, "waypoint", json_string(via));
		snprintf(r->msg, sizeof(r->msg), "release %s staged, and %s: its doctor "
			 "migrates this state before %s's can", r->target, via, r->target);
	}
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

static int
step_start(struct run *r, struct ck_error *err)
{
	if (ck_op_start_gateway(r, err) < 0)
		return -1;
	snprintf(r->msg, sizeof(r->msg), "gateway started (%s)",
		 ck_gateway_driver_name(r->eng->conf->gw->driver));
	return 0;
}

static int
chain_matches(struct run *r, json_t *live, struct ck_error *err)
{
	json_t *model = json_object_get(json_object_get(json_object_get(r->new_config,
		"agents"), "defaults"), "model");
	const char *want_primary = json_is_string(model) ? json_string_value(model) :
		json_string_value(json_object_get(model, "primary"));
	json_t *want_fb = json_object_get(model, "fallbacks");
	const char *got_primary = json_string_value(json_object_get(live, "primary"));
	json_t *got_fb = json_object_get(live, "fallbacks");

	if (want_fb == NULL)
		want_fb = json_array();
	else
		json_incref(want_fb);
	if ((want_primary && (!got_primary || strcmp(want_primary, got_primary) != 0)) ||
	    !json_equal(want_fb, got_fb ? got_fb : json_array())) {
		char *w = json_dumps(want_fb, JSON_COMPACT);
		char *g = got_fb ? json_dumps(got_fb, JSON_COMPACT) : strdup("[]");

		ck_error_set(err, "live chain %s %s is not the planned %s %s",
			     got_primary ? got_primary : "(none)", g ? g : "?",
			     want_primary ? want_primary : "(none)", w ? w : "?");
		free(w);
		free(g);
		json_decref(want_fb);
		return -1;
	}
	json_decref(want_fb);
	return 0;
}

static int
no_failover_since(struct run *r, long long since, struct ck_error *err)
{
	json_t *findings = json_array();
	json_t *summary;
	size_t i;
	json_t *f;
	int rc = 0;

	summary = ck_decision_summary((const char *const *)r->inst.log_paths,
				      r->inst.n_logs, since, findings, err);
	json_array_foreach(findings, i, f) {
		const char *code = json_string_value(json_object_get(f, "code"));

		if (code && strcmp(code, "DECISION_NO_FAILOVER") == 0) {
			ck_error_set(err, "decision log since the restart: %s",
				     json_string_value(json_object_get(f, "message")));
			rc = -1;
		}
	}
	json_decref(summary);
	json_decref(findings);
	return rc;
}

/* What the gateway's own log says happened since it was stopped: one
 * boot, and no config reload (nothing was written under it). A log the
 * agent cannot read is said, not judged. */
static int
boots_seen(struct run *r, struct ck_error *err)
{
	struct ck_gwlog_counts c;
	long long since = json_integer_value(json_object_get(r->op, "stopped_at_ms"));

	if (ck_gwlog_count((const char *const *)r->inst.log_paths, r->inst.n_logs, since, &c) < 0) {
		json_object_set_new(r->op, "boots_seen", json_null());
		return 0;
	}
	json_object_set_new(r->op, "boots_seen", json_pack("{s:i, s:i, s:i}", "boots", c.boots,
		"reloads", c.reloads, "in_process_restarts", c.restarts));
	if (c.boots > 1 || c.restarts > 0 || c.reloads > 0) {
		ck_error_set(err, "the gateway's log shows %d boot(s), %d in-process restart(s) "
			     "and %d config reload(s) since it was stopped; expected exactly one "
			     "boot", c.boots, c.restarts, c.reloads);
		return -1;
	}
	return 0;
}

/* One good /readyz is not a gateway that stays up: one that dies right
 * after its first 200 must fail the verify, not leave a succeeded
 * operation and no gateway. */
static int
still_ready(struct run *r, long long ready_at, struct ck_error *err)
{
	struct ck_gateway_conf *gw = r->eng->conf->gw;
	long long left = ready_at + r->eng->conf->settle_ms - ck_clock_mono_ms();

	if (r->eng->conf->settle_ms <= 0)
		return 0;
	if (left > 0)
		usleep((useconds_t)(left * 1000));
	if (ck_gateway_running(gw) == 0) {
		ck_error_set(err, "the gateway was ready, then exited (status %d) within %d ms",
			     gw->last_exit, r->eng->conf->settle_ms);
		return -1;
	}
	if (ck_gateway_wait_ready(gw, 5000, NULL, err) < 0) {
		ck_error_prefix(err, "the gateway was ready, then not within %d ms: ",
				r->eng->conf->settle_ms);
		return -1;
	}
	return 0;
}

int
ck_op_verify_gateway(struct run *r, const char *want_version, int check_chain,
	       struct ck_error *err)
{
	struct ck_gateway_conf *gw = r->eng->conf->gw;
	char ver[64], sha[32];
	long long waited = 0, ready_at;
	json_t *live;
	int rc;

	if (ck_gateway_wait_ready(gw, r->eng->conf->ready_timeout_ms, &waited, err) < 0)
		return -1;
	ready_at = ck_clock_mono_ms();
	if (ck_gateway_version(gw, ver, sizeof(ver), sha, sizeof(sha), err) < 0)
		return -1;
	if (want_version != NULL && strcmp(ver, want_version) != 0) {
		ck_error_set(err, "gateway reports version %s, expected %s", ver, want_version);
		return -1;
	}
	if (!check_chain)
		goto done;
	live = ck_gateway_live_chain(gw, err);
	if (live == NULL)
		return -1;
	rc = chain_matches(r, live, err);
	json_decref(live);
	if (rc < 0)
		return -1;
	/* Reopen: the log file list may have rotated since the start. */
	ck_instance_close(&r->inst);
	if (ck_instance_open(&r->eng->conf->inst, &r->inst, err) < 0)
		return -1;
	if (no_failover_since(r, r->restart_ms, err) < 0)
		return -1;
	if (boots_seen(r, err) < 0)
		return -1;
done:
	if (still_ready(r, ready_at, err) < 0)
		return -1;
	snprintf(r->msg, sizeof(r->msg), "ready after %lld ms and still after %d ms, version %s%s",
		 waited, r->eng->conf->settle_ms, ver,
		 check_chain ? ", live chain as planned, no next=none since the restart" : "");
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

/* ---- rollback ---- */

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
	return step_start(r, err);
}

static int
step_rollback_verify(struct run *r, struct ck_error *err)
{
	return ck_op_verify_gateway(r, r->upgrade ? r->from_release : NULL, 0, err);
}

static void
add_step(json_t *op, const char *name)
{
	ck_op_add_step(op, name);
}

static void
rollback(struct run *r, const char *why)
{
	struct ck_error err;
	int ok;

	add_step(r->op, "rollback_restore");
	add_step(r->op, "rollback_start");
	add_step(r->op, "rollback_verify");
	ok = run_step(r, "rollback_restore", step_rollback_restore, &err) == 0 &&
	     run_step(r, "rollback_start", step_rollback_start, &err) == 0 &&
	     run_step(r, "rollback_verify", step_rollback_verify, &err) == 0;
	set_state(r, ok ? "rolled_back" : "failed");
	json_object_set_new(r->op, "result", json_pack("{s:b, s:s, s:s?}", "ok", 0,
		"message", why, "rollback_error", ok ? NULL : err.msg));
	ck_op_journal(r);
}

struct step_def {
	const char *name;
	step_fn fn;
	int touches_live; /* from this step on, failure means rollback */
};

static const struct step_def regenerate_steps[] = {
	{ "preflight", step_preflight, 0 },
	{ "snapshot", step_snapshot, 0 },
	{ "generate", step_generate, 0 },
	{ "validate", step_validate, 0 },
	{ "stop", ck_op_stop_gateway, 1 },
	{ "locks", step_locks, 1 },
	{ "switch", step_switch, 1 },
	{ "start", step_start, 1 },
	{ "verify", step_verify, 1 },
	{ "drill", step_drill, 1 },
	{ NULL, NULL, 0 },
};

/* Rehearsal while the old gateway serves (a failure there changes
 * nothing), then the cutover between one stop and one start. */
static const struct step_def upgrade_steps[] = {
	{ "preflight", step_preflight, 0 },
	{ "snapshot", step_snapshot, 0 },
	{ "stage", step_stage, 0 },
	{ "rehearse", ck_op_upgrade_rehearse, 0 },
	{ "stop", ck_op_stop_gateway, 1 },
	{ "set_aside", ck_op_upgrade_set_aside, 1 },
	{ "migrate", ck_op_upgrade_migrate, 1 },
	{ "generate", step_generate, 1 },
	{ "validate", step_validate, 1 },
	{ "locks", step_locks, 1 },
	{ "switch", step_switch, 1 },
	{ "start", step_start, 1 },
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
	{ "start", step_start, 1 },
	{ "verify", step_verify, 1 },
	{ "drill", step_drill, 1 },
	{ NULL, NULL, 0 },
};

static enum op_kind
kind_parse(const char *kind)
{
	if (strcmp(kind, "upgrade") == 0)
		return OP_UPGRADE;
	if (strcmp(kind, "import") == 0)
		return OP_IMPORT;
	return OP_REGENERATE;
}

static const struct step_def *
steps_for(enum op_kind k)
{
	if (k == OP_UPGRADE)
		return upgrade_steps;
	if (k == OP_IMPORT)
		return import_steps;
	return regenerate_steps;
}

/* An ended operation leaves no staging behind: the staged config holds
 * the instance's secrets and a rehearsal's copy can be as big as the
 * instance. The journal record and the snapshot are what stay. */
static void
clear_staging(struct run *r)
{
	struct ck_error err;

	if (ck_rm_rf(r->stage_dir, &err) < 0)
		ck_log_warn("operation %s: removing its staging: %s",
			    json_string_value(json_object_get(r->op, "id")), err.msg);
}

static void
run_steps(struct run *r)
{
	const struct step_def *s;
	struct ck_error err;

	set_state(r, "running");
	ck_op_journal(r);
	for (s = steps_for(r->kind); s->name != NULL; s++) {
		if (run_step(r, s->name, s->fn, &err) == 0)
			continue;
		if (s->touches_live) {
			rollback(r, err.msg);
		} else {
			set_state(r, "failed");
			json_object_set_new(r->op, "result", json_pack("{s:b, s:s}", "ok", 0,
				"message", err.msg));
			ck_op_journal(r);
		}
		return;
	}
	set_state(r, "succeeded");
	json_object_set_new(r->op, "result", json_pack("{s:b, s:s, s:s}", "ok", 1,
		"message", r->upgrade ? "upgraded" : "regenerated", "version", r->target));
	ck_op_journal(r);
}

/* A run rebuilt from its record rolls back to what the record names:
 * the snapshot it took and the release it came from. */
static void
use_recorded_rollback(struct run *r)
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

static void run_free(struct run *r);
static struct run *run_new(struct ck_opengine *eng, const char *kind, json_t *op,
			   const json_t *params, struct ck_error *err);

static void
run_operation(struct run *r)
{
	struct ck_opengine *eng = r->eng;
	const char *state;

	run_steps(r);
	journal_final(r);
	clear_staging(r);
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
	r = run_new(eng, kind ? kind : "regenerate", op, json_object_get(op, "params"), err);
	json_decref(op);
	if (r == NULL)
		return -1;
	use_recorded_rollback(r);
	json_object_set_new(r->op, "auto_rollback", json_string(why));
	set_state(r, "running");
	if (ck_op_journal(r) < 0) {
		ck_error_set(err, "operation %s: cannot record the rollback in the journal", id);
		run_free(r);
		return -1;
	}
	rollback(r, why);
	ok = strcmp(json_string_value(json_object_get(r->op, "state")), "rolled_back") == 0;
	if (!ok)
		ck_error_set(err, "operation %s: %s", id, json_string_value(json_object_get(
			json_object_get(r->op, "result"), "rollback_error")));
	journal_final(r);
	run_free(r);
	return ok ? 1 : -1;
}

/* ---- engine ---- */

static void
run_free(struct run *r)
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

static void *
worker(void *arg)
{
	struct run *r = arg;
	struct ck_opengine *eng = r->eng;

	run_operation(r);
	run_free(r);
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

static int
validate_params(const char *kind, const json_t *params, struct ck_error *err)
{
	const char *key;
	json_t *v;

	if (params != NULL && !json_is_object(params)) {
		ck_error_set(err, "body: expected a JSON object");
		return -1;
	}
	json_object_foreach((json_t *)params, key, v) {
		if (strcmp(key, "drill") == 0 || strcmp(key, "allow_downgrade") == 0) {
			if (!json_is_boolean(v)) {
				ck_error_set(err, "%s: expected true or false", key);
				return -1;
			}
		} else if (strcmp(kind, "upgrade") == 0 && strcmp(key, "target_version") == 0) {
			struct ck_version tv;

			if (!json_is_string(v) || ck_version_parse(json_string_value(v), &tv) < 0) {
				ck_error_set(err, "target_version: expected an OpenClaw version "
					     "like 2026.9.6");
				return -1;
			}
		} else if (strcmp(kind, "import") == 0 && (strcmp(key, "archive") == 0 ||
			   strcmp(key, "url") == 0 || strcmp(key, "sha256") == 0)) {
			if (!json_is_string(v) || json_string_length(v) == 0) {
				ck_error_set(err, "%s: expected a non-empty string", key);
				return -1;
			}
		} else if (strcmp(kind, "import") == 0 && strcmp(key, "size") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0) {
				ck_error_set(err, "size: expected the archive's size in bytes");
				return -1;
			}
		} else if (strcmp(kind, "upgrade") == 0 && strcmp(key, "source") == 0) {
			if (!json_is_object(v)) {
				ck_error_set(err, "source: expected an object {dir} or {url, sha256}");
				return -1;
			}
		} else {
			ck_error_set(err, "%s: unknown field for %s", key, kind);
			return -1;
		}
	}
	if (strcmp(kind, "upgrade") == 0 && json_object_get(params, "target_version") == NULL) {
		ck_error_set(err, "target_version: required");
		return -1;
	}
	if (strcmp(kind, "import") == 0) {
		int has_url = json_object_get(params, "url") != NULL;
		int has_archive = json_object_get(params, "archive") != NULL;

		if (has_url == has_archive) {
			ck_error_set(err, "import: give either the archive or {url, sha256, size}");
			return -1;
		}
		if (has_url && json_object_get(params, "sha256") == NULL) {
			ck_error_set(err, "sha256: required with url (checked before anything "
				     "is extracted)");
			return -1;
		}
	}
	return 0;
}

static struct run *
run_new(struct ck_opengine *eng, const char *kind, json_t *op, const json_t *params,
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
	r->kind = kind_parse(kind);
	r->upgrade = r->kind == OP_UPGRADE;
	r->target = json_string_value(json_object_get(r->params, "target_version"));
	r->snap_dir = ck_strdup_printf("%s/snapshots/%s", c->work_dir, id);
	r->stage_dir = ck_strdup_printf("%s/staging/%s", c->work_dir, id);
	if (ck_instance_open(&c->inst, &r->inst, err) < 0) {
		run_free(r);
		return NULL;
	}
	if (r->kind == OP_IMPORT)
		ck_op_import_paths(r);
	return r;
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
	if (validate_params(kind, params, err) < 0)
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
	for (i = 0; steps_for(kind_parse(kind))[i].name != NULL; i++)
		ck_op_add_step(op, steps_for(kind_parse(kind))[i].name);
	if (ck_op_write(c->journal_dir, op, err) < 0) {
		pthread_mutex_unlock(&eng->lock);
		json_decref(op);
		return CK_SUBMIT_ERROR;
	}
	r = run_new(eng, kind, op, params, err);
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

		if (snapshot != NULL && pthread_create(&tid, NULL, worker, r) == 0) {
			pthread_detach(tid);
			json_decref(op);
			*op_out = snapshot;
			return CK_SUBMIT_CREATED;
		}
		json_decref(snapshot);
	}
	run_operation(r);
	json_decref(op);
	*op_out = json_incref(r->op);
	run_free(r);
	finish(eng);
	return CK_SUBMIT_CREATED;
}

/* ---- recovery ---- */

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
	const struct step_def *first_live = steps_for(kind_parse(kind ? kind : "regenerate"));
	const char *sw;
	const char *verify = step_state(op, "verify");
	const char *drill = step_state(op, "drill");
	struct ck_error err;
	struct run *r;

	while (first_live->name != NULL && !first_live->touches_live)
		first_live++;
	sw = first_live->name ? step_state(op, first_live->name) : NULL;
	r = run_new(eng, kind ? kind : "regenerate", op, json_object_get(op, "params"), &err);
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
		set_state(r, "failed");
		json_object_set_new(r->op, "result", json_pack("{s:b, s:s}", "ok", 0, "message",
			"the agent stopped before the live instance was changed; nothing was changed"));
		ck_op_journal(r);
	} else if (json_object_get(op, "auto_rollback") == NULL &&
		   verify != NULL && strcmp(verify, "done") == 0 &&
		   (drill == NULL || strcmp(drill, "done") == 0)) {
		set_state(r, "succeeded");
		json_object_set_new(r->op, "result", json_pack("{s:b, s:s}", "ok", 1, "message",
			"verified before the agent stopped"));
		ck_op_journal(r);
	} else {
		use_recorded_rollback(r);
		rollback(r, json_object_get(op, "auto_rollback") != NULL ?
			 json_string_value(json_object_get(op, "auto_rollback")) :
			 "the agent stopped during the operation; rolled back on restart");
	}
	journal_final(r);
	clear_staging(r);
	run_free(r);
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
