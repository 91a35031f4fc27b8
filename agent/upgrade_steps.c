/* The upgrade's own steps. The rehearsal runs while the old gateway keeps
 * serving: a copy of the state (and of every workspace the config names,
 * which a doctor migrates too), the target's own doctor on it, the
 * config generated on top, validated and booted by the target on a spare
 * loopback port with channels and providers off. The cutover then sets
 * the quiet live trees aside untouched and lets the target change fresh
 * copies at the live paths; a rollback is renames back. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/compat.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/json5.h"
#include "clawkeeper/log.h"
#include "clawkeeper/release.h"
#include "clawkeeper/sqlite_ro.h"
#include "clawkeeper/tree.h"

#include "engine_internal.h"

#define DOCTOR_TIMEOUT_MS 600000

static int agent_db_schema(const struct ck_instance *inst);

/* What OpenClaw's own update rehearsal turns off (2026.9.6 package,
 * resolveUpdateRehearsal env): no channel connects, no provider is asked. */
static const char *const rehearsal_env[] = {
	"OPENCLAW_SKIP_CHANNELS=1", "OPENCLAW_SKIP_PROVIDERS=1", "OPENCLAW_SKIP_CRON=1",
	"OPENCLAW_SKIP_GMAIL_WATCHER=1", "OPENCLAW_SKIP_CANVAS_HOST=1",
	"OPENCLAW_SKIP_BROWSER_CONTROL_SERVER=1", "OPENCLAW_SKIP_STARTUP_MODEL_PREWARM=1",
	"OPENCLAW_DISABLE_BONJOUR=1", NULL,
};

static unsigned
spare_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned port = 0;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* A gateway conf for running the target on some state: the engine's
 * gateway settings, another openclaw and other paths. */
static int
target_conf(struct run *r, const char *state, const char *config, const char *home,
	    struct ck_gateway_conf *out, struct ck_error *err)
{
	const struct ck_gateway_conf *gw = r->eng->conf->gw;

	ck_gateway_conf_init(out);
	out->driver = CK_GATEWAY_SUPERVISE;
	out->openclaw_argv = ck_op_openclaw_argv(r, r->target);
	out->state_dir = strdup(state);
	out->config_path = strdup(config);
	out->home = home ? strdup(home) : gw->home ? strdup(gw->home) : NULL;
	out->stop_timeout_ms = gw->stop_timeout_ms;
	if (out->openclaw_argv == NULL || out->state_dir == NULL || out->config_path == NULL) {
		ck_error_set(err, "no openclaw %s to run (release not staged?)", r->target);
		ck_gateway_conf_free(out);
		return -1;
	}
	return 0;
}

/* What a failed doctor says: its last lines ("Doctor stopped because …",
 * "Failing check …") are the reason; the boxes above are warnings. */
static const char *
doctor_why(const struct ck_spawn_result *res)
{
	const char *text = res->out_len ? res->out : res->errout;
	size_t n = text ? strlen(text) : 0;

	if (text == NULL)
		return "";
	return n > 400 ? text + n - 400 : text;
}

/* `openclaw doctor --fix --non-interactive --yes` of one release. */
static int
run_doctor(struct run *r, const struct ck_gateway_conf *tgw, const char *version,
	   const char *where, struct ck_error *err)
{
	static const char *const args[] = { "doctor", "--fix", "--non-interactive", "--yes", NULL };
	struct ck_spawn_result res;
	long long t0 = ck_clock_mono_ms();
	int rc = -1;

	if (ck_gateway_openclaw(tgw, args, NULL, DOCTOR_TIMEOUT_MS, &res, err) < 0)
		return -1;
	ck_op_add_ms(r, "openclaw_ms", ck_clock_mono_ms() - t0);
	ck_op_add_ms(r, "doctor_ms", ck_clock_mono_ms() - t0);
	if (res.timed_out)
		ck_error_set(err, "openclaw %s doctor --fix on %s did not finish within %d s",
			     version, where, DOCTOR_TIMEOUT_MS / 1000);
	else if (res.exit_code != 0)
		ck_error_set(err, "openclaw %s doctor --fix on %s failed (exit %d): %s",
			     version, where, res.exit_code, doctor_why(&res));
	else
		rc = 0;
	ck_spawn_result_free(&res);
	return rc;
}

/* One sha256 over every entry of a tree (paths, file digests, links). */
static int
tree_sum(const char *dir, char out[CK_SHA256_HEX_LEN], struct ck_error *err)
{
	json_t *d = ck_tree_digest(dir, err);
	char *text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(d);
	if (text == NULL)
		return -1;
	ck_sha256_hex(text, strlen(text), out);
	free(text);
	return 0;
}

/* The waypoint's doctor, when the state needs one, then the target's. */
static int
migrate_with(struct run *r, const struct ck_gateway_conf *tgw, const char *where,
	     struct ck_error *err)
{
	const char *via = json_string_value(json_object_get(r->op, "waypoint"));

	if (via != NULL) {
		struct ck_gateway_conf wgw = *tgw; /* borrows tgw's strings */
		int rc;

		wgw.openclaw_argv = ck_op_openclaw_argv(r, via);
		if (wgw.openclaw_argv == NULL) {
			ck_error_set(err, "openclaw %s (the migration waypoint) is not staged", via);
			return -1;
		}
		rc = run_doctor(r, &wgw, via, where, err);
		ck_gateway_argv_free(wgw.openclaw_argv);
		if (rc < 0)
			return -1;
	}
	return run_doctor(r, tgw, r->target, where, err);
}

/* The release whose doctor must run before the target's (compat.c), or
 * NULL. */
static const char *
upgrade_waypoint(struct run *r)
{
	return ck_compat_doctor_waypoint(agent_db_schema(&r->inst), r->target);
}

/* The trees an upgrade changes: the state dir, then each workspace the
 * config names outside it. Recorded in the operation so a rollback after
 * a crash knows them. */
static json_t *
upgrade_trees(struct run *r)
{
	const char *id = json_string_value(json_object_get(r->op, "id"));
	json_t *trees = json_array();
	json_t *ws = ck_instance_workspaces(&r->inst, r->eng->conf->gw->home);
	char *kept = ck_strdup_printf(".pre-upgrade-%s", id);
	char *aside = ck_strdup_printf(".failed-upgrade-%s", id);
	json_t *v;
	size_t i;

	json_array_insert_new(ws, 0, json_string(r->inst.state_dir));
	json_array_foreach(ws, i, v) {
		const char *live = json_string_value(v);
		char *kp = kept ? ck_tree_beside(live, kept) : NULL;
		char *ap = aside ? ck_tree_beside(live, aside) : NULL;

		if (kp != NULL && ap != NULL)
			json_array_append_new(trees, json_pack("{s:s, s:s, s:s}", "live", live,
				"kept", kp, "aside", ap));
		free(kp);
		free(ap);
	}
	free(kept);
	free(aside);
	json_decref(ws);
	return trees;
}

/* In a copied config, every workspace path that was under `from` now
 * points under `to`. */
static void
relocate(json_t *config, const char *from, const char *to, const char *home)
{
	json_t *agents = json_object_get(config, "agents");
	json_t *holders[2] = { json_object_get(agents, "list"), json_object_get(agents, "entries") };
	json_t *all = json_array(), *it;
	const char *key;
	size_t i, n = strlen(from);

	json_array_append(all, json_object_get(agents, "defaults"));
	json_array_foreach(holders[0], i, it)
		json_array_append(all, it);
	json_object_foreach(holders[1], key, it)
		json_array_append(all, it);
	json_array_foreach(all, i, it) {
		const char *ws = json_string_value(json_object_get(it, "workspace"));
		char *abs;

		if (ws == NULL)
			continue;
		abs = ws[0] == '~' && home ? ck_strdup_printf("%s%s", home, ws + 1) : strdup(ws);
		if (abs != NULL && ck_path_within(abs, from))
			json_object_set_new(it, "workspace", json_sprintf("%s%s", to, abs + n));
		free(abs);
	}
	json_decref(all);
}

static int
write_config(const char *path, json_t *config, struct ck_error *err)
{
	char *text = ck_config_dump(config);
	int rc = text ? ck_file_write_atomic(path, text, strlen(text), 0600, err) : -1;

	free(text);
	return rc;
}

/* 2026.9.6 records its runtime leases in its databases
 * (agent_database_leases with the owner's pid, state_leases for the
 * gateway owner); in a copy they name the live gateway, which is alive,
 * so the target's doctor refuses the copy ("An agent database is in
 * use"). They are the live process's, not state: the copy drops them. */
static void
clear_leases_in(const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	json_t *tables = json_array(), *t;
	size_t i;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 2000);
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' "
			       "AND name LIKE '%!_leases' ESCAPE '!'", -1, &st, NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(tables, json_string((const char *)sqlite3_column_text(st, 0)));
	json_array_foreach(tables, i, t) {
		char *sql = sqlite3_mprintf("DELETE FROM \"%w\"", json_string_value(t));

		if (sql != NULL && sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			ck_log_warn("rehearsal copy %s: clearing %s: %s", db_path,
				    json_string_value(t), sqlite3_errmsg(db));
		sqlite3_free(sql);
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	json_decref(tables);
}

static void
clear_leases(const char *dir, int depth)
{
	DIR *d = depth < 8 ? opendir(dir) : NULL;
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char *p;

		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		p = ck_path_join(dir, de->d_name);
		if (p != NULL && de->d_type == DT_DIR)
			clear_leases(p, depth + 1);
		else if (p != NULL && de->d_type == DT_REG && ck_tree_is_sqlite(p))
			clear_leases_in(p);
		free(p);
	}
	if (d != NULL)
		closedir(d);
}

/* The copy the rehearsal works on: state, workspaces, a home of its own,
 * a config pointing at them, its own log and port. */
static int
rehearsal_copy(struct run *r, const char *dir, unsigned port, char **config_out,
	       struct ck_error *err)
{
	const char *home = r->eng->conf->gw->home;
	char *state = ck_path_join(dir, "state");
	char *rhome = ck_path_join(dir, "home");
	char *log = ck_path_join(dir, "gateway.log");
	json_t *ws = ck_instance_workspaces(&r->inst, home), *v, *cfg = NULL;
	struct ck_tree_stats st = { 0 };
	long long t0 = ck_clock_mono_ms();
	size_t i, sl = strlen(r->inst.state_dir);
	int rc = -1;

	*config_out = NULL;
	if (ck_mkdir_p(rhome, 0700, err) < 0 || ck_tree_copy(r->inst.state_dir, state, &st, err) < 0)
		goto out;
	/* The running gateway's lock files (2026.9.6: tmp/openclaw-<uid>/)
	 * name its live pid: in a copy they make the target's doctor refuse
	 * ("Doctor could not enter maintenance. An agent database is in use"). */
	{
		char *tmp = ck_path_join(state, "tmp");

		ck_rm_rf(tmp, NULL);
		free(tmp);
	}
	clear_leases(state, 0);
	cfg = json_deep_copy(r->inst.config);
	json_array_foreach(ws, i, v) {
		char *to = ck_strdup_printf("%s/ws%zu", dir, i);

		if (to == NULL || ck_tree_copy(json_string_value(v), to, &st, err) < 0) {
			free(to);
			goto out;
		}
		relocate(cfg, json_string_value(v), to, home);
		json_array_append_new(r->rehearsal_ws, json_pack("[s,s]", json_string_value(v), to));
		free(to);
	}
	if (ck_path_within(r->inst.config_path, r->inst.state_dir) &&
	    strcmp(r->inst.config_path, r->inst.state_dir) != 0)
		*config_out = ck_path_join(state, r->inst.config_path + sl + 1);
	else
		*config_out = ck_path_join(state, "openclaw.json");
	if (json_object_get(cfg, "logging") == NULL)
		json_object_set_new(cfg, "logging", json_object());
	json_object_set_new(json_object_get(cfg, "logging"), "file", json_string(log));
	if (json_object_get(cfg, "gateway") == NULL)
		json_object_set_new(cfg, "gateway", json_object());
	json_object_set_new(json_object_get(cfg, "gateway"), "port", json_integer(port));
	rc = write_config(*config_out, cfg, err);
	ck_op_add_ms(r, "copy_ms", ck_clock_mono_ms() - t0);
	ck_op_add_ms(r, "agent_ms", ck_clock_mono_ms() - t0);
out:
	json_decref(cfg);
	json_decref(ws);
	free(state);
	free(rhome);
	free(log);
	return rc;
}

static int
validate_with(struct run *r, const struct ck_gateway_conf *tgw, struct ck_error *err)
{
	static const char *const args[] = { "config", "validate", "--json", NULL };
	struct ck_spawn_result res;
	long long t0 = ck_clock_mono_ms();
	int rc = -1;

	if (ck_gateway_openclaw(tgw, args, NULL, 120000, &res, err) < 0)
		return -1;
	ck_op_add_ms(r, "openclaw_ms", ck_clock_mono_ms() - t0);
	if (res.exit_code == 0)
		rc = 0;
	else
		ck_error_set(err, "openclaw %s rejects the generated config (exit %d): %.300s",
			     r->target, res.exit_code, res.err_len ? res.errout : res.out);
	ck_spawn_result_free(&res);
	return rc;
}

/* Every string value that starts with the directory from starts with to
 * instead. */
static void
unprefix(json_t *v, const char *from, const char *to)
{
	size_t n = strlen(from), i;
	const char *key;
	json_t *it;

	if (json_is_object(v)) {
		json_object_foreach(v, key, it) {
			const char *s = json_string_value(it);

			if (s != NULL && ck_path_within(s, from))
				json_object_set_new(v, key, json_sprintf("%s%s", to, s + n));
			else
				unprefix(it, from, to);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, it) {
			const char *s = json_string_value(it);

			if (s != NULL && ck_path_within(s, from))
				json_array_set_new(v, i, json_sprintf("%s%s", to, s + n));
			else
				unprefix(it, from, to);
		}
	}
}

/* The config as it would read at the live paths: the rehearsal's own
 * workspace copies, log and port mapped back; meta (timestamps a doctor
 * writes) left out. */
static json_t *
as_live(struct run *r, const json_t *config)
{
	json_t *c = json_deep_copy(config), *m, *live_gw, *live_log;
	size_t i;

	json_array_foreach(r->rehearsal_ws, i, m)
		relocate(c, json_string_value(json_array_get(m, 1)),
			 json_string_value(json_array_get(m, 0)), NULL);
	/* Any other path a doctor wrote under the copy's state dir. */
	if (r->rehearsal_state != NULL)
		unprefix(c, r->rehearsal_state, r->inst.state_dir);
	/* Records of the doctor's own run (2026.9.6 writes wizard.lastRunAt). */
	json_object_del(c, "meta");
	json_object_del(c, "wizard");
	live_log = json_object_get(json_object_get(r->inst.config, "logging"), "file");
	live_gw = json_object_get(json_object_get(r->inst.config, "gateway"), "port");
	if (live_log != NULL)
		json_object_set(json_object_get(c, "logging"), "file", live_log);
	else
		json_object_del(json_object_get(c, "logging"), "file");
	if (live_gw != NULL)
		json_object_set(json_object_get(c, "gateway"), "port", live_gw);
	else
		json_object_del(json_object_get(c, "gateway"), "port");
	return c;
}

/* sha256 of a config in its live form (static buffer per run). */
const char *
ck_op_config_sum(struct run *r, const json_t *config)
{
	json_t *c = r->rehearsal_ws ? as_live(r, config) : json_deep_copy(config);
	char *text;

	if (r->rehearsal_ws == NULL) {
		json_object_del(c, "meta");
		json_object_del(c, "wizard");
	}
	text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	ck_sha256_hex(text ? text : "", text ? strlen(text) : 0, r->config_sum);
	free(text);
	return r->config_sum;
}

/* Generates on top of a doctored copy's config and writes it there. */
static int
generate_into(struct run *r, const char *config_path, struct ck_error *err)
{
	struct ck_gen_opts gopts = { 0 };
	json_t *doctored = ck_json5_load_file(config_path, err), *out = NULL, *plan = NULL;
	int rc = -1;

	if (doctored == NULL)
		return -1;
	gopts.target_version = r->target;
	gopts.no_fetch = 1;
	if (ck_generate(doctored, r->settings, &gopts, &out, &plan, err) == 0) {
		rc = write_config(config_path, out, err);
		if (rc == 0)
			json_object_set_new(r->op, "rehearsed_config_sha256",
					    json_string(ck_op_config_sum(r, out)));
	}
	json_decref(doctored);
	json_decref(out);
	json_decref(plan);
	return rc;
}

static int
boot_once(struct run *r, struct ck_gateway_conf *tgw, unsigned port, long long *ready_ms,
	  struct ck_error *err)
{
	struct ck_error serr;
	long long t0 = ck_clock_mono_ms();
	int rc;

	tgw->port = port;
	tgw->run_env = ck_gateway_argv_dup((char *const *)rehearsal_env);
	if (ck_gateway_start(tgw, err) < 0)
		return -1;
	{
		/* The larger of what the version needs and what the host allows
		 * its gateway (a busy host is slower). */
		int want = ck_compat_ready_timeout_ms(r->target);
		int conf = r->eng->conf->ready_timeout_ms ? r->eng->conf->ready_timeout_ms :
			   r->eng->conf->gw->ready_timeout_ms;

		rc = ck_gateway_wait_ready(tgw, conf > want ? conf : want, ready_ms, err);
	}
	if (ck_gateway_stop(tgw, &serr) < 0)
		ck_log_warn("rehearsal: stopping the target gateway: %s", serr.msg);
	ck_op_add_ms(r, "openclaw_ms", ck_clock_mono_ms() - t0);
	return rc;
}

int
ck_op_upgrade_stage(struct run *r, struct ck_error *err)
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
		const char *via = upgrade_waypoint(r);
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

int
ck_op_upgrade_rehearse(struct run *r, struct ck_error *err)
{
	char *dir = ck_path_join(r->stage_dir, "rehearsal");
	char *state = ck_path_join(dir, "state");
	char *home = ck_path_join(dir, "home");
	char *config = NULL;
	struct ck_gateway_conf tgw;
	unsigned port = spare_port();
	long long ready_ms = 0;
	int rc = -1, have_conf = 0;

	ck_rm_rf(dir, NULL);
	json_decref(r->rehearsal_ws);
	r->rehearsal_ws = json_array();
	free(r->rehearsal_state);
	r->rehearsal_state = strdup(state);
	if (port == 0) {
		ck_error_set(err, "no spare loopback port for the rehearsal");
		goto out;
	}
	if (ck_mkdir_p(dir, 0700, err) < 0 || rehearsal_copy(r, dir, port, &config, err) < 0)
		goto out;
	if (target_conf(r, state, config, home, &tgw, err) < 0)
		goto out;
	have_conf = 1;
	if (migrate_with(r, &tgw, "a copy of the state", err) < 0 ||
	    generate_into(r, config, err) < 0 || validate_with(r, &tgw, err) < 0)
		goto out;
	if (boot_once(r, &tgw, port, &ready_ms, err) < 0) {
		ck_error_prefix(err, "openclaw %s on a copy of the state: ", r->target);
		goto out;
	}
	snprintf(r->msg, sizeof(r->msg), "openclaw %s migrated a copy of the state (doctor "
		 "%lld ms), accepts the config generated on it and was ready after %lld ms "
		 "on port %u; the live gateway kept serving", r->target,
		 (long long)json_integer_value(json_object_get(json_object_get(r->op, "timings"),
							       "doctor_ms")), ready_ms, port);
	rc = 0;
out:
	if (have_conf)
		ck_gateway_conf_free(&tgw);
	ck_rm_rf(dir, NULL);
	free(dir);
	free(state);
	free(home);
	free(config);
	return rc;
}

int
ck_op_upgrade_set_aside(struct run *r, struct ck_error *err)
{
	json_t *rb = json_object_get(r->op, "rollback");
	json_t *trees = json_object_get(rb, "trees"), *t;
	struct ck_tree_stats st = { 0 };
	long long t0 = ck_clock_mono_ms();
	size_t i;

	if (trees == NULL) {
		trees = upgrade_trees(r);
		json_object_set_new(rb, "trees", trees);
	}
	/* Durable before the first rename: a crash from here rolls back. */
	if (ck_op_journal(r) < 0) {
		ck_error_set(err, "cannot record the trees in the journal");
		return -1;
	}
	json_array_foreach(trees, i, t) {
		const char *live = json_string_value(json_object_get(t, "live"));
		char sum[CK_SHA256_HEX_LEN];

		/* What the quiet tree holds, so a rollback can prove it put
		 * back exactly that (every file, databases included). */
		if (json_object_get(t, "sha256") == NULL && ck_dir_exists(live)) {
			if (tree_sum(live, sum, err) < 0)
				return -1;
			json_object_set_new(t, "sha256", json_string(sum));
			if (ck_op_journal(r) < 0) {
				ck_error_set(err, "cannot record the trees in the journal");
				return -1;
			}
		}
		if (ck_tree_set_aside(live, json_string_value(json_object_get(t, "kept")), &st,
				      err) < 0)
			return -1;
	}
	ck_op_add_ms(r, "copy_ms", ck_clock_mono_ms() - t0);
	ck_op_add_ms(r, "agent_ms", ck_clock_mono_ms() - t0);
	snprintf(r->msg, sizeof(r->msg), "%zu tree(s) kept untouched aside (%s, ...); "
		 "the target works on copies (%lld files, %lld MiB, %lld database(s))",
		 json_array_size(trees),
		 json_string_value(json_object_get(json_array_get(trees, 0), "kept")),
		 st.files, st.bytes >> 20, st.databases);
	return 0;
}

int
ck_op_upgrade_migrate(struct run *r, struct ck_error *err)
{
	const struct ck_gateway_conf *gw = r->eng->conf->gw;
	struct ck_gateway_conf tgw;
	struct ck_error oerr;
	long long t0 = ck_clock_mono_ms();
	int rc;

	if (target_conf(r, r->inst.state_dir, r->inst.config_path, gw->home, &tgw, err) < 0)
		return -1;
	rc = migrate_with(r, &tgw, r->inst.state_dir, err);
	ck_gateway_conf_free(&tgw);
	if (rc < 0)
		return -1;
	ck_instance_close(&r->inst);
	if (ck_instance_open(&r->eng->conf->inst, &r->inst, &oerr) < 0 || r->inst.config == NULL) {
		ck_error_set(err, "the config after openclaw %s doctor: %s", r->target,
			     r->inst.config ? oerr.msg : r->inst.config_error);
		return -1;
	}
	snprintf(r->msg, sizeof(r->msg), "openclaw %s doctor --fix migrated the state in "
		 "%lld ms", r->target, ck_clock_mono_ms() - t0);
	return 0;
}

int
ck_op_upgrade_put_back(struct run *r, struct ck_error *err)
{
	json_t *trees = json_object_get(json_object_get(r->op, "rollback"), "trees"), *t;
	size_t n;

	/* Last first: the state dir is put back after its workspaces. */
	for (n = json_array_size(trees); n > 0; n--) {
		const char *want, *live;
		char sum[CK_SHA256_HEX_LEN];

		const char *kept;
		struct stat kst;
		int was_kept;

		t = json_array_get(trees, n - 1);
		live = json_string_value(json_object_get(t, "live"));
		want = json_string_value(json_object_get(t, "sha256"));
		kept = json_string_value(json_object_get(t, "kept"));
		was_kept = kept != NULL && lstat(kept, &kst) == 0;
		if (ck_tree_put_back(live, kept, json_string_value(json_object_get(t, "aside")),
				     err) < 0)
			return -1;
		if (want == NULL)
			continue; /* never set aside */
		/* Back and verified by an earlier run of this rollback, whose
		 * start may have let the old gateway write to it since: not
		 * held to the old sums again. */
		if (!was_kept && json_is_true(json_object_get(t, "verified")))
			continue;
		if (tree_sum(live, sum, err) < 0)
			return -1;
		if (strcmp(sum, want) != 0) {
			ck_error_set(err, "%s: put back, but its files differ from the tree set "
				     "aside (sha256 %.12s, expected %.12s)", live, sum, want);
			return -1;
		}
		json_object_set_new(t, "verified", json_true());
	}
	snprintf(r->msg, sizeof(r->msg), "%zu tree(s) put back, every file byte-identical "
		 "to before the cutover", json_array_size(trees));
	return 0;
}

/* The agent database schema a state holds (the highest user_version of
 * any agents/<id>/agent/openclaw-agent.sqlite), 0 when none. */
static int
agent_db_schema(const struct ck_instance *inst)
{
	int best = 0;
	size_t i;

	for (i = 0; i < inst->n_agents; i++) {
		char *dir = ck_instance_agent_dir(inst, inst->agent_ids[i]);
		char *db = dir ? ck_path_join(dir, "openclaw-agent.sqlite") : NULL;
		struct ck_sqlite_ro ro;
		struct ck_error e;
		sqlite3_stmt *st = NULL;
		/* never through a link out of the instance (an agentDir the host
		 * placed elsewhere is confined to itself) */
		const char *root = db != NULL && ck_path_within(db, inst->state_dir) ?
				   inst->state_dir : dir;
		int opened = db != NULL && ck_sqlite_ro_open_beneath(&ro, root, db,
						CK_SQLITE_RO_BUDGET_MS, &e) == 0;

		if (opened && ck_sqlite_ro_prepare(&ro, "PRAGMA user_version", &st, &e) == 0 &&
		    ck_sqlite_ro_step(&ro, st, &e) == 1 && sqlite3_column_int(st, 0) > best)
			best = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (opened)
			ck_sqlite_ro_close(&ro);
		free(db);
		free(dir);
	}
	return best;
}

int
ck_op_upgrade_schema_ok(struct run *r, struct ck_error *err)
{
	int have = agent_db_schema(&r->inst);
	int reads = ck_compat_agent_db_schema(r->target);

	if (have > reads) {
		ck_error_set(err, "the state's agent database is at schema %d; openclaw %s reads "
			     "%s%d (an older version cannot open a newer state)", have, r->target,
			     reads ? "up to " : "no agent database, ", reads);
		return -1;
	}
	return 0;
}
