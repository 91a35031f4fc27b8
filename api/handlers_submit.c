/* POST /v1/regenerate, /v1/upgrades, /v1/imports and
 * /v1/instance/config/plan: the HTTP face of the operation engine
 * (agent/engine.c) and of the dry run (agent/plan.c). Parsing and
 * status codes only; the work is in agent/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/log.h"
#include "clawkeeper/plan.h"
#include "internal.h"

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
	ck_agentconf_instance(c, 1, &io);
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
		if (!ck_req_json_body(req))
			return ck_reply_error(req, 415, "unsupported_media_type",
					      "Content-Type %.60s: send the archive as the body with "
					      "Content-Type: application/gzip, or JSON {url, sha256, size}",
					      ck_req_content_type(req));
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
