/* GET/PUT /v1/instance/settings: the desired settings the control plane
 * owns. ETag is the quoted SHA-256 of the stored bytes; a PUT over an
 * existing file needs If-Match (compare-and-set, 412 when stale), is
 * validated (the bad field named, malformed JSON with line and column)
 * and stored atomically. Secrets come back as fingerprints, and a
 * fingerprint sent back in a PUT keeps the stored secret. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/redact.h"
#include "clawkeeper/settings.h"
#include "internal.h"

#define SETTINGS_MAX (1024 * 1024)

/* Serializes read-compare-write so two PUTs cannot both pass If-Match. */
static pthread_mutex_t settings_lock = PTHREAD_MUTEX_INITIALIZER;

struct stored {
	char *bytes;   /* NULL when there is no file */
	size_t len;
	char etag[CK_SHA256_HEX_LEN + 2];
};

static int
read_stored(const char *path, struct stored *st, struct ck_error *err)
{
	char hex[CK_SHA256_HEX_LEN];

	memset(st, 0, sizeof(*st));
	if (!ck_file_exists(path))
		return 0;
	if (ck_file_read(path, SETTINGS_MAX, &st->bytes, &st->len, err) != 0)
		return -1;
	ck_sha256_hex(st->bytes, st->len, hex);
	snprintf(st->etag, sizeof(st->etag), "\"%s\"", hex);
	return 0;
}

static enum MHD_Result
reply_settings(struct ck_request *req, unsigned status, const char *bytes,
    size_t len, const char *etag)
{
	json_error_t jerr;
	json_t *doc = json_loadb(bytes, len, 0, &jerr);
	json_t *redacted;

	if (doc == NULL)
		return ck_reply_error(req, 500, "settings_unreadable",
		    "stored settings: line %d, column %d: %s", jerr.line,
		    jerr.column, jerr.text);
	redacted = ck_redact(doc);
	json_decref(doc);
	return ck_reply_json(req, status, redacted, etag);
}

enum MHD_Result
ck_h_settings_get(struct ck_request *req)
{
	const char *path = ck_req_conf(req)->settings_path;
	struct stored st;
	struct ck_error err;
	enum MHD_Result rc;
	int r;

	pthread_mutex_lock(&settings_lock);
	r = read_stored(path, &st, &err);
	pthread_mutex_unlock(&settings_lock);
	if (r != 0)
		return ck_reply_error(req, 500, "settings_unreadable", "%s",
		    err.msg);
	if (st.bytes == NULL)
		return ck_reply_error(req, 404, "not_found", "%s",
		    "no settings stored yet: PUT them first");
	rc = reply_settings(req, 200, st.bytes, st.len, st.etag);
	free(st.bytes);
	return rc;
}

/* 0 when If-Match allows writing over st; else the status to answer. */
static unsigned
precondition(struct ck_request *req, const struct stored *st)
{
	const char *im = MHD_lookup_connection_value(req->conn,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MATCH);

	if (im == NULL)
		return st->bytes == NULL ? 0 : 428;
	while (*im == ' ')
		im++;
	if (st->bytes == NULL)
		return 412;
	if (strcmp(im, "*") == 0 || strcmp(im, st->etag) == 0)
		return 0;
	return 412;
}

static int
content_type_ok(struct ck_request *req)
{
	const char *ct = MHD_lookup_connection_value(req->conn,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	return ct == NULL || strncmp(ct, "application/json", 16) == 0;
}

static enum MHD_Result
put_locked(struct ck_request *req, json_t *doc)
{
	const char *path = ck_req_conf(req)->settings_path;
	struct stored st;
	struct ck_error err;
	char *text;
	unsigned pre;
	enum MHD_Result rc;

	if (read_stored(path, &st, &err) != 0)
		return ck_reply_error(req, 500, "settings_unreadable", "%s",
		    err.msg);
	pre = precondition(req, &st);
	if (pre != 0) {
		free(st.bytes);
		return pre == 428 ?
		    ck_reply_error(req, 428, "precondition_required", "%s",
		    "settings exist: send If-Match with the ETag of a GET (or *)") :
		    ck_reply_error(req, 412, "precondition_failed", "%s",
		    "If-Match does not match the stored settings: GET them again");
	}
	if (st.bytes != NULL) {
		json_t *old = json_loadb(st.bytes, st.len, 0, NULL);

		ck_redact_restore(doc, old);
		json_decref(old);
		free(st.bytes);
	}
	if (ck_settings_validate(doc, &err) != 0)
		return ck_reply_error(req, 400, "invalid_settings", "%s", err.msg);
	text = json_dumps(doc, JSON_INDENT(2));
	if (text == NULL)
		return ck_reply_error(req, 500, "internal", "%s", "out of memory");
	/* 0600: provider configs may hold keys */
	if (ck_file_write_atomic(path, text, strlen(text), 0600, &err) != 0) {
		free(text);
		return ck_reply_error(req, 500, "settings_unwritable", "%s",
		    err.msg);
	}
	ck_sha256_hex(text, strlen(text), st.etag + 1);
	st.etag[0] = '"';
	strcat(st.etag, "\"");
	rc = reply_settings(req, 200, text, strlen(text), st.etag);
	free(text);
	return rc;
}

enum MHD_Result
ck_h_settings_put(struct ck_request *req)
{
	json_error_t jerr;
	json_t *doc;
	enum MHD_Result rc;

	if (!content_type_ok(req))
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
	pthread_mutex_lock(&settings_lock);
	rc = put_locked(req, doc);
	pthread_mutex_unlock(&settings_lock);
	json_decref(doc);
	if (req->status == 200)
		ck_health_cache_poke(req->srv->health);
	return rc;
}
