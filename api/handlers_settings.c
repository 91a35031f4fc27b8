/* GET/PUT /v1/instance/settings: the desired settings the control plane
 * owns. ETag is the quoted SHA-256 of the stored bytes; a PUT over an
 * existing file needs If-Match (compare-and-set, 412 when stale), is
 * validated (the bad field named, malformed JSON with line and column)
 * and stored atomically. Secrets come back as fingerprints, and a
 * fingerprint sent back in a PUT keeps the stored secret. The store and
 * its compare-and-set are agent/settings.c's (ck_settings_get/put), which
 * `clawkeeper settings get|put` call too; this file parses and answers. */
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/settings.h"
#include "internal.h"

static enum MHD_Result
reply_result(struct ck_request *req, enum ck_settings_result r, json_t *doc,
    const char *etag, const struct ck_error *err)
{
	switch (r) {
	case CK_SETTINGS_OK:
		return ck_reply_json(req, 200, doc, etag);
	case CK_SETTINGS_MISSING:
		return ck_reply_error(req, 404, "not_found", "%s",
		    "no settings stored yet: PUT them first");
	case CK_SETTINGS_NEED_MATCH:
		return ck_reply_error(req, 428, "precondition_required", "%s", err->msg);
	case CK_SETTINGS_STALE:
		return ck_reply_error(req, 412, "precondition_failed", "%s", err->msg);
	case CK_SETTINGS_INVALID:
		return ck_reply_error(req, 400, "invalid_settings", "%s", err->msg);
	case CK_SETTINGS_UNWRITABLE:
		return ck_reply_error(req, 500, "settings_unwritable", "%s", err->msg);
	case CK_SETTINGS_UNREADABLE:
	default:
		return ck_reply_error(req, 500, "settings_unreadable", "%s", err->msg);
	}
}

enum MHD_Result
ck_h_settings_get(struct ck_request *req)
{
	char etag[CK_SETTINGS_ETAG_LEN];
	struct ck_error err;
	json_t *doc;
	enum ck_settings_result r = ck_settings_get(ck_req_conf(req)->settings_path,
	    &doc, etag, &err);

	return reply_result(req, r, doc, etag, &err);
}

enum MHD_Result
ck_h_settings_put(struct ck_request *req)
{
	json_error_t jerr;
	json_t *doc, *out;
	char etag[CK_SETTINGS_ETAG_LEN];
	struct ck_error err;
	enum ck_settings_result r;
	enum MHD_Result rc;

	if (!ck_req_json_body(req))
		return ck_reply_error(req, 415, "unsupported_media_type", "%s",
		    "send Content-Type: application/json");
	if (req->body_len == 0)
		return ck_reply_error(req, 400, "malformed_json", "%s",
		    "empty body: expected the settings JSON object");
	doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		json_t *e = json_pack("{s:{s:s, s:s+, s:i, s:i}}", "error", "code",
		    "malformed_json", "message", "body is not valid JSON: ",
		    jerr.text, "line", jerr.line, "column", jerr.column);
		char pos[64];

		snprintf(pos, sizeof(pos), " (line %d, column %d)", jerr.line,
		    jerr.column);
		if (e != NULL) {
			json_t *m = json_object_get(json_object_get(e, "error"),
			    "message");
			char *msg = ck_strdup_printf("%s%s", json_string_value(m), pos);

			if (msg != NULL)
				json_object_set_new(json_object_get(e, "error"),
				    "message", json_string(msg));
			free(msg);
		}
		return ck_reply_json(req, 400, e, NULL);
	}
	r = ck_settings_put(ck_req_conf(req)->settings_path, doc,
	    MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_MATCH), &out, etag, &err);
	json_decref(doc);
	rc = reply_result(req, r, out, etag, &err);
	if (req->status == 200)
		ck_health_cache_poke(req->srv->health);
	return rc;
}
