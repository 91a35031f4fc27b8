/* POST /v1/regenerate, POST /v1/upgrades and POST /v1/instance/config/plan:
 * the HTTP face of the operation engine (agent/operation.c) and of the
 * generator's dry run. Parsing and status codes only; the work is in
 * agent/. */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clawkeeper/cron.h"
#include "clawkeeper/locks.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/instance.h"
#include "clawkeeper/log.h"
#include "clawkeeper/settings.h"
#include "clawkeeper/plan.h"
#include "internal.h"

/* A supervised gateway runs in its own process group, so an agent that
 * was killed (or stopped with gateway.keep_running) leaves it serving.
 * Its pid and start time (a pid alone never names a process: numbers are
 * reused) are kept in a file; the next agent adopts that gateway when the
 * same process still leads its group, so an agent restart is no
 * downtime. A pid file naming anything else is left alone. A clean stop
 * that stops the gateway removes the file. */
static char *
gateway_pidfile(const struct ck_agentconf *c)
{
	return ck_path_join(c->ops.work_dir, "gateway.pid");
}

static void
adopt_gateway(struct ck_agentconf *c)
{
	char *path = gateway_pidfile(c);
	char *text = NULL;
	long pid = 0;
	int i;

	long long recorded = -2, now = -1;

	if (path != NULL && ck_file_read(path, 64, &text, NULL, NULL) == 0 &&
	    sscanf(text, "%ld %lld", &pid, &recorded) < 2)
		recorded = -2;
	if (pid > 1)
		now = ck_lock_proc_starttime(pid);
	if (pid > 1 && (recorded < 0 || now != recorded)) {
		ck_log_warn("gateway.pid names process %ld%s, not the gateway an earlier agent "
			    "started: left alone", pid, now < 0 ? " (gone)" : " (another process now)");
	} else if (pid > 1 && ck_gateway_adopt(&c->ops.gw, (pid_t)pid, recorded) == 0) {
		ck_log_info("adopted the gateway an earlier agent started (pid %ld): it keeps "
			    "serving, no restart", pid);
		free(text);
		free(path);
		return;
	} else if (pid > 1 && kill((pid_t)-pid, 0) == 0) {
		/* the same process, but no longer leading its own group */
		ck_log_warn("ending gateway process group %ld left by an earlier agent", pid);
		kill((pid_t)-pid, SIGTERM);
		for (i = 0; i < 100 && kill((pid_t)-pid, 0) == 0; i++)
			usleep(50 * 1000);
		if (kill((pid_t)-pid, 0) == 0)
			kill((pid_t)-pid, SIGKILL);
	}
	if (path != NULL)
		unlink(path);
	free(text);
	free(path);
}

static void
record_gateway_pid(const struct ck_agentconf *c, pid_t pid)
{
	char *path = gateway_pidfile(c);
	char buf[64];
	struct ck_error err;
	int n = snprintf(buf, sizeof(buf), "%ld %lld\n", (long)pid,
			 ck_lock_proc_starttime((long long)pid));

	if (path != NULL && ck_file_write_atomic(path, buf, (size_t)n, 0600, &err) != 0)
		ck_log_warn("%s", err.msg);
	free(path);
}

static void
after_restart(void *ud)
{
	const struct ck_agentconf *c = ud;

	if (c->ops.gw.driver == CK_GATEWAY_SUPERVISE && c->ops.gw.pid > 0)
		record_gateway_pid(c, c->ops.gw.pid);
}

/* The watch changed the gateway's state: the health report says so now,
 * not at the next refresh. */
static void
watch_changed(void *ud)
{
	struct ck_server *srv = ud;

	ck_health_cache_poke(srv->health);
}

static void
watch_started(void *ud)
{
	struct ck_server *srv = ud;

	after_restart(srv->ops_conf->conf);
}

/* Interrupted atomic writes leave <file>.ck-tmp-<hex> beside the file
 * (one can sit next to the live openclaw.json, secrets included). A
 * minute's age spares a `clawkeeper` command writing right now. */
static void
sweep_temp_files(const struct ck_agentconf *c)
{
	const char *files[] = { c->config_path, c->settings_path };
	const char *dirs[] = { c->state_dir, c->journal_dir, c->ops.work_dir };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dirs[i] != NULL)
			ck_tmp_sweep(dirs[i], 60);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *copy = files[i] ? strdup(files[i]) : NULL;

		if (copy != NULL)
			ck_tmp_sweep(dirname(copy), 60);
		free(copy);
	}
}

/* One agent per instance, taken before the socket is bound (a second
 * agent would take the first one's socket path) and before anything is
 * judged an orphan (it would end the first one's gateway and settle its
 * running operation as if that agent had stopped). */
int
ck_server_lock_instance(struct ck_server *srv, const struct ck_agentconf *c,
			struct ck_error *err)
{
	char *lock;

	if (c->ops.work_dir == NULL || c->journal_dir == NULL || c->settings_path == NULL ||
	    c->ops.gw.openclaw_argv == NULL)
		return 0; /* no operations, no gateway of its own: nothing to own */
	lock = ck_path_join(c->ops.work_dir, "agent.lock");
	if (lock == NULL) {
		ck_error_set(err, "out of memory");
		return -1;
	}
	if (ck_mkdir_p(c->ops.work_dir, 0700, err) == 0)
		srv->agent_lock_fd = ck_lock_hold(lock, err);
	free(lock);
	return srv->agent_lock_fd < 0 ? -1 : 0;
}

int
ck_server_ops_start(struct ck_server *srv, struct ck_error *err)
{
	struct ck_agentconf *c;
	int settled;

	srv->ops_conf = ck_server_conf_get(srv);
	c = srv->ops_conf->conf;
	if (c->journal_dir == NULL || c->settings_path == NULL ||
	    c->ops.gw.openclaw_argv == NULL) {
		ck_log_info("operations disabled: they need journal_dir, "
			    "instance.settings_path and instance.openclaw_bin");
		return 0;
	}
	srv->ops_inst.state_dir = c->state_dir;
	srv->ops_inst.config_path = c->config_path;
	srv->ops_inst.openclaw_bin = NULL; /* versions come from the gateway checks */
	srv->ops_inst.log_file = c->log_file;
	ck_opconf_engine(&c->ops, c->journal_dir, c->settings_path, &srv->ops_inst,
			 &srv->ops_engine_conf);
	srv->ops_engine_conf.after_restart = after_restart;
	srv->ops_engine_conf.ud = c;
	/* published for the health thread, which already runs */
	__atomic_store_n(&srv->engine, ck_opengine_new(&srv->ops_engine_conf, err),
			 __ATOMIC_RELEASE);
	if (srv->engine == NULL)
		return -1;
	if (c->ops.gw.driver == CK_GATEWAY_SUPERVISE)
		adopt_gateway(c);
	sweep_temp_files(c);
	settled = ck_opengine_recover(srv->engine, err);
	if (settled > 0)
		ck_log_warn("settled %d operation(s) an earlier agent left running", settled);
	if (c->ops.gw.driver == CK_GATEWAY_SUPERVISE) {
		struct ck_error gerr;

		struct ck_gwwatch_conf wc = c->ops.watch;
		struct ck_gwwatch *w;

		if (c->ops.gw.pid > 0)
			record_gateway_pid(c, c->ops.gw.pid);
		else if (ck_gateway_start(&c->ops.gw, &gerr) != 0)
			ck_log_error("supervised gateway did not start: %s", gerr.msg);
		else
			record_gateway_pid(c, c->ops.gw.pid);
		wc.after_start = watch_started;
		wc.changed = watch_changed;
		wc.ud = srv;
		if ((w = ck_gwwatch_start(srv->engine, &c->ops.gw, &wc, err)) == NULL)
			return -1;
		__atomic_store_n(&srv->gwwatch, w, __ATOMIC_RELEASE);
	}
	return 0;
}

/* What an operation still running at stop keeps using until the process
 * exits (see ck_server_ops_stop). */
static struct {
	struct ck_opengine *engine;
	struct ck_confref *conf;
} left_running;

void
ck_server_ops_stop(struct ck_server *srv)
{
	struct ck_agentconf *c;

	if (srv->ops_conf == NULL)
		return;
	c = srv->ops_conf->conf;
	/* the watch first: it would start the gateway stopped below */
	ck_gwwatch_stop(__atomic_exchange_n(&srv->gwwatch, NULL, __ATOMIC_ACQ_REL));
	if (srv->engine != NULL && ck_opengine_wait_for(srv->engine, c->ops.stop_grace_ms) < 0) {
		char id[CK_OP_ID_MAX + 1];

		/* SIGTERM ends the agent within its grace whatever runs: every
		 * step is in the journal before it starts, so stopping here is
		 * what a crash is, and the next agent settles the operation (as
		 * the crash tests prove for every step). The operation's thread
		 * keeps the engine, the config and the gateway until the
		 * process exits. */
		ck_log_warn("operation %s still runs after %d ms; stopping anyway: the next "
			    "agent settles it from the journal",
			    ck_opengine_running(srv->engine, id, sizeof(id)) ? id : "?",
			    c->ops.stop_grace_ms);
		/* kept (reachable) for the running thread until exit */
		left_running.engine = srv->engine;
		left_running.conf = srv->ops_conf;
		srv->engine = NULL;
		srv->ops_conf = NULL;
		srv->agent_lock_fd = -1; /* held until the process is gone */
		return;
	}
	if (srv->engine != NULL) {
		ck_opengine_free(srv->engine);
		srv->engine = NULL;
		if (c->ops.gw.driver == CK_GATEWAY_SUPERVISE && c->ops.gw.keep_running &&
		    ck_gateway_running(&c->ops.gw) == 1) {
			ck_log_info("leaving the gateway (pid %ld) serving for the next agent "
				    "(gateway.keep_running)", (long)c->ops.gw.pid);
		} else if (c->ops.gw.driver == CK_GATEWAY_SUPERVISE) {
			struct ck_error gerr;

			if (ck_gateway_stop(&c->ops.gw, &gerr) != 0) {
				ck_log_warn("supervised gateway stop: %s", gerr.msg);
			} else {
				char *path = gateway_pidfile(c);

				if (path != NULL)
					unlink(path);
				free(path);
			}
		}
	}
	ck_confref_put(srv->ops_conf);
	srv->ops_conf = NULL;
}

/* NULL body is {}. On a malformed body a 400 naming line and column has
 * been queued and *rc holds its result. */
static json_t *
body_json(struct ck_request *req, enum MHD_Result *rc)
{
	json_error_t jerr;
	json_t *doc;

	if (req->body_len == 0)
		return json_object();
	doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		*rc = ck_reply_error(req, 400, "malformed_json",
				     "body is not valid JSON: %s (line %d, column %d)",
				     jerr.text, jerr.line, jerr.column);
	else if (!json_is_object(doc)) {
		json_decref(doc);
		doc = NULL;
		*rc = ck_reply_error(req, 400, "bad_parameter", "%s",
				     "body: expected a JSON object");
	}
	return doc;
}

/* The answer to a submitted operation: 202 with the record, or the
 * status that says why not. op is stolen. */
static enum MHD_Result
reply_submitted(struct ck_request *req, enum ck_submit res, json_t *op,
		const struct ck_error *err)
{
	const char *id = json_string_value(json_object_get(op, "id"));

	if (id != NULL)
		snprintf(req->op_id, sizeof(req->op_id), "%s", id);
	if (res == CK_SUBMIT_CREATED || res == CK_SUBMIT_EXISTING)
		return ck_reply_json(req, 202, op, NULL);
	json_decref(op);
	switch (res) {
	case CK_SUBMIT_BUSY:
		return ck_reply_error(req, 409, "operation_running", "%s", err->msg);
	case CK_SUBMIT_JOURNAL:
		return ck_reply_error(req, 503, "journal_unavailable", "%s", err->msg);
	case CK_SUBMIT_KEY_REUSED:
		return ck_reply_error(req, 422, "idempotency_key_reused", "%s", err->msg);
	case CK_SUBMIT_INVALID:
		return ck_reply_error(req, 400, "bad_parameter", "%s", err->msg);
	default:
		return ck_reply_error(req, 500, "internal", "%s", err->msg);
	}
}

static enum MHD_Result
submit(struct ck_request *req, const char *kind)
{
	const char *key = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						      "Idempotency-Key");
	enum MHD_Result rc = MHD_NO;
	struct ck_error err;
	enum ck_submit res;
	json_t *params, *op = NULL;

	if (req->srv->engine == NULL)
		return ck_reply_error(req, 503, "operations_disabled", "%s",
				      "operations need journal_dir, instance.settings_path "
				      "and instance.openclaw_bin in the agent config");
	if (key != NULL && (strlen(key) == 0 || strlen(key) > 200))
		return ck_reply_error(req, 400, "bad_parameter", "%s",
				      "Idempotency-Key: 1 to 200 characters");
	params = body_json(req, &rc);
	if (params == NULL)
		return rc;
	ck_error_clear(&err);
	res = ck_opengine_submit(req->srv->engine, kind, params, key, 1, &op, &err);
	json_decref(params);
	return reply_submitted(req, res, op, &err);
}

enum MHD_Result
ck_h_regenerate(struct ck_request *req)
{
	return submit(req, "regenerate");
}

enum MHD_Result
ck_h_upgrade(struct ck_request *req)
{
	return submit(req, "upgrade");
}

/* Dry run: {"target_version"?, "settings"?} -> ck_plan's document.
 * Settings default to the stored ones; nothing is written. */
enum MHD_Result
ck_h_plan(struct ck_request *req)
{
	struct ck_agentconf *c = ck_req_conf(req);
	struct ck_instance_opts io = { 0 };
	struct ck_plan_req pr = { 0 };
	struct ck_plan_result res;
	enum MHD_Result rc = MHD_NO;
	struct ck_error err;
	json_t *body;

	body = body_json(req, &rc);
	if (body == NULL)
		return rc;
	io.state_dir = c->state_dir;
	io.config_path = c->config_path;
	io.log_file = c->log_file;
	io.openclaw_bin = c->openclaw_bin;
	pr.inst = &io;
	pr.settings = json_object_get(body, "settings");
	pr.settings_path = c->settings_path;
	pr.target_version = json_string_value(json_object_get(body, "target_version"));
	switch (ck_plan(&pr, &res, &err)) {
	case CK_PLAN_OK:
		rc = ck_reply_json(req, 200, json_incref(res.doc), NULL);
		break;
	case CK_PLAN_BAD_SETTINGS:
		rc = ck_reply_error(req, 400, "invalid_settings", "%s", err.msg);
		break;
	case CK_PLAN_NO_SETTINGS:
		rc = ck_reply_error(req, 409, "no_settings", "%s", err.msg);
		break;
	case CK_PLAN_NO_INSTANCE:
		rc = ck_reply_error(req, 500, "internal", "%s", err.msg);
		break;
	case CK_PLAN_CONFIG_UNREADABLE:
		rc = ck_reply_error(req, 409, "config_unreadable", "%s", err.msg);
		break;
	case CK_PLAN_CRON_UNREADABLE:
		rc = ck_reply_error(req, 409, "cron_unreadable", "%s", err.msg);
		break;
	case CK_PLAN_NO_VERSION:
	case CK_PLAN_REFUSED:
	default:
		rc = ck_reply_error(req, 400, "bad_parameter", "%s", err.msg);
		break;
	}
	ck_plan_result_free(&res);
	json_decref(body);
	return rc;
}

/* POST /v1/imports: an archive body (application/gzip, streamed to disk
 * by the server) or JSON {"url", "sha256", "size"} the agent downloads
 * and checks before anything is extracted. */
enum MHD_Result
ck_h_import(struct ck_request *req)
{
	const char *key = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						      "Idempotency-Key");
	struct ck_agentconf *c = ck_req_conf(req);
	enum MHD_Result rc = MHD_NO;
	struct ck_error err;
	enum ck_submit res;
	json_t *params, *op = NULL;
	char *archive = NULL;

	if (req->srv->engine == NULL)
		return ck_reply_error(req, 503, "operations_disabled", "%s",
				      "operations need journal_dir, instance.settings_path "
				      "and instance.openclaw_bin in the agent config");
	if (req->upload_path != NULL) {
		if (req->upload_len == 0)
			return ck_reply_error(req, 400, "bad_parameter", "%s",
					      "empty upload: send the archive as the body");
		/* Its own name (content hash + the upload's unique suffix): a
		 * refused duplicate must never remove a file a running import
		 * reads. Idempotency compares sha256 and size, not the path. */
		archive = ck_strdup_printf("%s/imports/%s-%s.tar.gz", c->ops.work_dir,
					   req->upload_sha_hex,
					   strrchr(req->upload_path, '-') + 1);
		{
			char *dir = ck_path_join(c->ops.work_dir, "imports");

			if (dir == NULL || ck_mkdir_p(dir, 0700, &err) != 0 ||
			    archive == NULL || rename(req->upload_path, archive) != 0) {
				free(dir);
				free(archive);
				return ck_reply_error(req, 503, "upload_unavailable", "%s",
						      "cannot keep the upload (see the agent log)");
			}
			free(dir);
		}
		free(req->upload_path);
		req->upload_path = NULL;
		params = json_pack("{s:s, s:s, s:I}", "archive", archive, "sha256",
				   req->upload_sha_hex, "size", (json_int_t)req->upload_len);
	} else {
		params = body_json(req, &rc);
		if (params == NULL)
			return rc;
		if (json_object_get(params, "archive") != NULL) {
			json_decref(params);
			return ck_reply_error(req, 400, "bad_parameter", "%s",
					      "archive: not accepted here; send the archive as "
					      "the body (Content-Type: application/gzip) or {url, sha256, size}");
		}
		if (json_object_get(params, "url") == NULL) {
			json_decref(params);
			return ck_reply_error(req, 415, "unsupported_media_type", "%s",
					      "send the archive as the body with Content-Type: "
					      "application/gzip, or JSON {url, sha256, size}");
		}
	}
	ck_error_clear(&err);
	res = ck_opengine_submit(req->srv->engine, "import", params, key, 1, &op, &err);
	json_decref(params);
	/* Only a new operation keeps its upload (an earlier one with the same
	 * key has its own copy). */
	if (res != CK_SUBMIT_CREATED && archive != NULL)
		unlink(archive);
	free(archive);
	return reply_submitted(req, res, op, &err);
}
