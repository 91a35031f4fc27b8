/* The import steps of the operation engine: fetch the archive (an upload
 * already on disk, or a download checked against its SHA-256), stage it
 * beside the live state dir, and swap it in with one atomic exchange,
 * keeping the replaced state as a restorable snapshot. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clawkeeper/tree.h"
#include "clawkeeper/backup.h"
#include "clawkeeper/confine.h"
#include "clawkeeper/download.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/gateway.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/json5.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/spawn.h"
#include "clawkeeper/version.h"
#include "engine_internal.h"

#define MARKER ".clawkeeper-import"
#define DEFAULT_MAX_DOWNLOAD ((size_t)4 << 30)
#define VALIDATE_TIMEOUT_MS 120000

void
ck_op_import_paths(struct run *r)
{
	const char *id = json_string_value(json_object_get(r->op, "id"));
	const char *archive = json_string_value(json_object_get(r->params, "archive"));
	char *stage = ck_strdup_printf(".import-%s", id);
	char *prev = ck_strdup_printf(".pre-import-%s", id);
	char *failed = ck_strdup_printf(".failed-import-%s", id);

	/* Beside the state dir, on its filesystem, so the swap is a rename;
	 * inside it when it is a mount point (then the swap is by contents). */
	r->import_stage = stage ? ck_tree_beside(r->inst.state_dir, stage) : NULL;
	r->import_prev = prev ? ck_tree_beside(r->inst.state_dir, prev) : NULL;
	r->import_failed = failed ? ck_tree_beside(r->inst.state_dir, failed) : NULL;
	free(stage);
	free(prev);
	free(failed);
	if (archive != NULL)
		r->archive = strdup(archive);
	else
		r->archive = ck_strdup_printf("%s/imports/%s.tar.gz", r->eng->conf->work_dir, id);
}

int
ck_op_import_fetch(struct run *r, struct ck_error *err)
{
	const char *url = json_string_value(json_object_get(r->params, "url"));
	const char *want = json_string_value(json_object_get(r->params, "sha256"));
	json_int_t size = json_integer_value(json_object_get(r->params, "size"));
	char hex[CK_SHA256_HEX_LEN];
	struct stat st;

	if (url != NULL) {
		struct ck_download_opts dopts = { 0 };
		char *dir = ck_strdup_printf("%s/imports", r->eng->conf->work_dir);
		int rc = dir ? ck_mkdir_p(dir, 0700, err) : -1;

		free(dir);
		if (rc < 0)
			return -1;
		dopts.max_bytes = size > 0 ? (size_t)size : DEFAULT_MAX_DOWNLOAD;
		dopts.allow_http = r->eng->conf->allow_http;
		dopts.want_sha256 = want;
		dopts.connect_timeout_s = 10;
		dopts.total_timeout_s = 1800;
		if (ck_download(url, r->archive, &dopts, hex, err) < 0)
			return -1;
	} else if (ck_sha256_file(r->archive, hex) < 0) {
		ck_error_set(err, "%s: %s", r->archive, strerror(errno));
		return -1;
	} else if (want != NULL && strcasecmp(want, hex) != 0) {
		ck_error_set(err, "archive SHA-256 mismatch: got %s, expected %s", hex, want);
		return -1;
	}
	if (stat(r->archive, &st) < 0) {
		ck_error_set(err, "%s: %s", r->archive, strerror(errno));
		return -1;
	}
	if (size > 0 && st.st_size != size) {
		ck_error_set(err, "archive is %lld bytes, expected %lld",
			     (long long)st.st_size, (long long)size);
		return -1;
	}
	snprintf(r->msg, sizeof(r->msg), "%lld bytes, sha256 %.16s…", (long long)st.st_size, hex);
	return 0;
}

/* The instance's own OpenClaw on the staged copy, never the live one. */
static int
validate_staged(struct run *r, const char *state, struct ck_error *err)
{
	static const char *const args[] = { "config", "validate", "--json", NULL };
	struct ck_gateway_conf vgw;
	struct ck_spawn_result res;
	int rc = -1;

	ck_gateway_conf_init(&vgw);
	vgw.openclaw_argv = ck_op_openclaw_argv(r, r->target);
	vgw.state_dir = strdup(state);
	vgw.config_path = ck_path_join(state, "openclaw.json");
	vgw.home = strdup(r->import_stage);
	if (vgw.openclaw_argv == NULL) {
		ck_gateway_conf_free(&vgw);
		return 0; /* no binary configured: health on the copy is the check */
	}
	if (ck_gateway_openclaw(&vgw, args, NULL, VALIDATE_TIMEOUT_MS, &res, err) == 0) {
		if (res.exit_code == 0)
			rc = 0;
		else
			ck_error_set(err, "openclaw %s rejects the imported config (exit %d): %.300s",
				     r->target ? r->target : "", res.exit_code,
				     res.err_len ? res.errout : res.out);
		ck_spawn_result_free(&res);
	}
	ck_gateway_conf_free(&vgw);
	return rc;
}

/* The host owns how its gateway listens: the imported config takes the
 * live instance's gateway port, bind, auth and mode (the import report
 * warned about the ones it had). */
/* The host owns the gateway wholly: the imported `gateway` (bind, auth,
 * tailscale funnel, remote, tls, controlUi, ...) is replaced by the live
 * one, or by loopback-only local defaults when the host has none; and
 * the gateway's file log is the host's (an archive's logging.file would
 * let the gateway write where the archive says). The report names what
 * was dropped. */
static int
keep_host_gateway(struct run *r, const char *cfg, struct ck_error *err)
{
	json_t *live_gw = json_object_get(r->inst.config, "gateway");
	json_t *live_log = json_object_get(json_object_get(r->inst.config, "logging"), "file");
	json_t *conf, *gw, *dropped = json_array(), *logging, *v;
	const char *key;
	char *text;
	int rc = -1;

	conf = ck_json5_load_file(cfg, err);
	if (conf == NULL) {
		json_decref(dropped);
		return -1;
	}
	json_object_foreach(json_object_get(conf, "gateway"), key, v)
		json_array_append_new(dropped, json_sprintf("gateway.%s", key));
	gw = json_is_object(live_gw) ? json_deep_copy(live_gw) :
		json_pack("{s:s, s:s}", "mode", "local", "bind", "loopback");
	json_object_set_new(conf, "gateway", gw);
	logging = json_object_get(conf, "logging");
	if (json_is_object(logging) && json_object_get(logging, "file") != NULL) {
		json_array_append_new(dropped, json_string("logging.file"));
		json_object_del(logging, "file");
	}
	if (live_log != NULL) {
		if (!json_is_object(logging)) {
			logging = json_object();
			json_object_set_new(conf, "logging", logging);
		}
		json_object_set(logging, "file", live_log);
	}
	text = ck_config_dump(conf);
	if (text != NULL && ck_file_replace(cfg, text, strlen(text), 0600, err) == 0)
		rc = 0;
	json_object_set_new(json_object_get(r->op, "import"), "gateway_from_host",
			    json_string(json_is_object(live_gw) ? "the host's gateway section" :
					"local, loopback (the host has no gateway section)"));
	json_object_set_new(json_object_get(r->op, "import"), "replaced_from_archive", dropped);
	free(text);
	json_decref(conf);
	return rc;
}

/* An archive an OpenClaw newer than the host's release made cannot be
 * installed on it: releases read older configs and migrate older state,
 * never newer ones (the real 2026.6.1 refuses a 9.6 config: "meta:
 * Invalid input", "agents: Invalid input"; 8.2 refuses a 9.6 agent
 * database, schema 23 > 19). Refused before anything is installed,
 * naming both versions and the way out. */
static int
newer_than_host(struct run *r, const char *made_by, struct ck_error *err)
{
	struct ck_version a, b;

	if (made_by == NULL || r->target == NULL || ck_version_parse(made_by, &a) < 0 ||
	    ck_version_parse(r->target, &b) < 0 || ck_version_cmp(&a, &b) <= 0)
		return 0;
	ck_error_set(err, "the archive was made by OpenClaw %s, newer than this host's %s: "
		     "an older release cannot read its config and state; upgrade the instance "
		     "to %s (POST /v1/upgrades), then import", made_by, r->target, made_by);
	return -1;
}

int
ck_op_import_stage(struct run *r, struct ck_error *err)
{
	struct ck_backup_opts bopts = { 0 };
	json_t *report = NULL;
	char *ws = ck_path_join(r->inst.state_dir, "workspace");
	char *state = ck_path_join(r->import_stage, "state");
	char *cfg = ck_path_join(state, "openclaw.json");
	int rc = -1;

	bopts.staging_dir = r->import_stage;
	bopts.new_state_dir = r->inst.state_dir;
	bopts.new_workspace_dir = ws;
	if (ck_backup_stage(r->archive, &bopts, &report, err) < 0)
		goto out;
	json_object_set_new(r->op, "import", report);
	if (newer_than_host(r, json_string_value(json_object_get(report, "runtime_version")),
			    err) < 0)
		goto out;
	if (!ck_file_exists(cfg)) {
		ck_error_set(err, "the archive holds no openclaw.json");
		goto out;
	}
	if (keep_host_gateway(r, cfg, err) < 0)
		goto out;
	if (validate_staged(r, state, err) < 0)
		goto out;
	snprintf(r->msg, sizeof(r->msg), "%s staged: %zu agent(s), %zu path(s) remapped, %zu warning(s)",
		 json_string_value(json_object_get(report, "format")),
		 json_array_size(json_object_get(report, "agents")),
		 json_array_size(json_object_get(report, "remaps")),
		 json_array_size(json_object_get(report, "warnings")));
	rc = 0;
out:
	if (rc < 0)
		ck_rm_rf(r->import_stage, NULL);
	free(ws);
	free(state);
	free(cfg);
	return rc;
}

static int
exchange(const char *a, const char *b, struct ck_error *err)
{
	if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) < 0) {
		ck_error_set(err, "swap %s <-> %s: %s", a, b, strerror(errno));
		return -1;
	}
	return 0;
}

static int
move_workspaces(struct run *r, struct ck_error *err)
{
	json_t *list = json_object_get(json_object_get(json_object_get(r->op, "import"),
		"staging"), "workspaces");
	json_t *w;
	size_t i;

	json_array_foreach(list, i, w) {
		const char *from = json_string_value(w);
		const char *base = from ? strrchr(from, '/') : NULL;
		char *to;
		int rc;

		if (base == NULL || !ck_dir_exists(from))
			continue;
		to = ck_path_join(r->inst.state_dir, base + 1);
		if (to == NULL)
			return -1;
		ck_rm_rf(to, NULL);
		rc = rename(from, to);
		if (rc < 0)
			ck_error_set(err, "%s -> %s: %s", from, to, strerror(errno));
		free(to);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
ck_op_import_install(struct run *r, struct ck_error *err)
{
	char *staged = ck_path_join(r->import_stage, "state");
	char *marker = ck_path_join(staged, MARKER);
	struct ck_error oerr;
	int rc = -1;

	json_object_set_new(json_object_get(r->op, "rollback"), "import_prev",
			    json_string(r->import_prev));
	ck_op_journal(r);
	/* The marker tells a recovering agent which side of the swap the
	 * live dir is on. */
	if (ck_file_write_atomic(marker, "", 0, 0600, err) < 0)
		goto out;
	if (ck_tree_is_mount(r->inst.state_dir)) {
		if (ck_tree_replace(r->inst.state_dir, staged, r->import_prev, err) < 0)
			goto out;
	} else if (ck_dir_exists(r->inst.state_dir)) {
		if (exchange(staged, r->inst.state_dir, err) < 0)
			goto out;
		if (rename(staged, r->import_prev) < 0) {
			ck_error_set(err, "%s: %s", r->import_prev, strerror(errno));
			goto out;
		}
	} else if (rename(staged, r->inst.state_dir) < 0) {
		ck_error_set(err, "%s: %s", r->inst.state_dir, strerror(errno));
		goto out;
	}
	/* Checked where it now lives: anything in the installed state that
	 * leads out of it fails the step, and the previous state goes back. */
	if (move_workspaces(r, err) < 0 || ck_confine_require(r->inst.state_dir, err) < 0)
		goto out;
	free(marker);
	marker = ck_path_join(r->inst.state_dir, MARKER);
	unlink(marker);
	ck_rm_rf(r->import_stage, NULL);
	ck_instance_close(&r->inst);
	if (ck_instance_open(&r->eng->conf->inst, &r->inst, &oerr) < 0) {
		ck_error_set(err, "reopening the imported instance: %s", oerr.msg);
		goto out;
	}
	if (r->inst.config == NULL) {
		ck_error_set(err, "imported config unreadable: %s", r->inst.config_error);
		goto out;
	}
	snprintf(r->msg, sizeof(r->msg), "imported state installed at %s; the previous "
		 "state is kept at %s", r->inst.state_dir, r->import_prev);
	rc = 0;
out:
	free(staged);
	free(marker);
	return rc;
}

int
ck_op_import_restore(struct run *r, struct ck_error *err)
{
	char *marker = ck_path_join(r->inst.state_dir, MARKER);
	char *staged = ck_path_join(r->import_stage, "state");
	const char *failed = r->import_failed;
	int rc = 0;

	if (ck_tree_is_mount(r->inst.state_dir)) {
		/* swapped by contents: undone from wherever it stopped */
		rc = ck_tree_replace_undo(r->inst.state_dir, staged, r->import_prev, failed, err);
		goto done;
	}
	/* Killed between the exchange and the rename: the live dir carries
	 * the marker and the old state is still in the staging dir. */
	if (!ck_dir_exists(r->import_prev) && ck_dir_exists(staged) && ck_file_exists(marker) &&
	    rename(staged, r->import_prev) < 0) {
		ck_error_set(err, "%s -> %s: %s", staged, r->import_prev, strerror(errno));
		rc = -1;
	}
	/* Renames only, each safe to run again: the failed import is kept
	 * aside, never removed here, so no retry can delete the original. */
	if (rc == 0)
		rc = ck_tree_put_back(r->inst.state_dir, r->import_prev, failed, err);
done:
	if (rc == 0) {
		ck_rm_rf(r->import_stage, NULL);
		snprintf(r->msg, sizeof(r->msg), "previous state put back at %s; the failed "
			 "import is kept at %s", r->inst.state_dir, failed);
	}
	free(marker);
	free(staged);
	return rc;
}
