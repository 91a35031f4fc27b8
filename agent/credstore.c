/* Reading OpenClaw's credential stores as they are on disk: the legacy
 * auth-profiles.json / auth-state.json pair, the 2026.7+ rows in
 * state/openclaw.sqlite, and the JSON `openclaw models status` prints.
 * Only reads; what the stores mean is credentials.c's business. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "clawkeeper/credentials.h"
#include "clawkeeper/fileio.h"

#define STORE_MAX (16u << 20)

/* jansson's own message can quote the text it choked on; a store holds
 * secrets, so only its position and a generic reason are reported. */
static int
load_json_file(const char *path, json_t **out, struct ck_error *err)
{
	json_error_t jerr;
	char *buf = NULL;
	size_t len = 0;

	*out = NULL;
	if (!ck_file_exists(path))
		return 0;
	if (ck_file_read(path, STORE_MAX, &buf, &len, err) == -1)
		return -1;
	*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (*out == NULL) {
		ck_error_set(err, "%s:%d:%d: not valid JSON (%s)", path,
			     jerr.line, jerr.column,
			     json_error_code(&jerr) == json_error_premature_end_of_input ?
			     "file ends early" : "syntax error");
		return -1;
	}
	if (!json_is_object(*out)) {
		ck_error_set(err, "%s:1:1: expected a JSON object", path);
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int
ck_credentials_read_json(const char *agent_dir, json_t **store, json_t **state,
			 struct ck_error *err)
{
	char *path;
	int rc;

	*store = NULL;
	*state = NULL;
	path = ck_path_join(agent_dir, "auth-profiles.json");
	rc = load_json_file(path, store, err);
	free(path);
	if (rc == -1)
		return -1;
	path = ck_path_join(agent_dir, "auth-state.json");
	rc = load_json_file(path, state, err);
	free(path);
	if (rc == -1) {
		json_decref(*store);
		*store = NULL;
		return -1;
	}
	return 0;
}

/* RFC 3986 percent-encoding for the path part of a file: URI. */
static char *
file_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path);
	char *uri = malloc(n * 3 + 32);
	char *p;

	if (uri == NULL)
		return NULL;
	p = uri + sprintf(uri, "file:");
	for (; *path; path++) {
		unsigned char c = (unsigned char)*path;
		if (c == '%' || c == '?' || c == '#' || c <= 0x20 || c >= 0x7f) {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = (char)c;
		}
	}
	/* immutable: no locks, no -shm/-wal created or replayed, so a live
	 * gateway is never disturbed. The price is that rows still only in
	 * its WAL are not seen until OpenClaw checkpoints them. */
	strcpy(p, "?mode=ro&immutable=1");
	return uri;
}

/* 1 when the row exists (*out set), 0 when not, -1 on error. */
static int
read_row(sqlite3 *db, const char *db_path, const char *key, json_t **out,
	 struct ck_error *err)
{
	static const char sql[] =
		"SELECT value_json FROM config_machine_state WHERE state_key = ?1";
	sqlite3_stmt *st = NULL;
	json_error_t jerr;
	const char *text;
	int rc;

	*out = NULL;
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		const char *why = sqlite3_errmsg(db);
		if (rc == SQLITE_ERROR && strstr(why, "no such table") != NULL)
			return 0;
		ck_error_set(err, "%s: cannot read config_machine_state: %s",
			     db_path, why);
		return -1;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		ck_error_set(err, "%s: cannot read row %s: %s", db_path, key,
			     sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	text = (const char *)sqlite3_column_text(st, 0);
	*out = text ? json_loads(text, 0, &jerr) : NULL;
	sqlite3_finalize(st);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		ck_error_set(err, "%s: row %s of config_machine_state is not a "
			     "JSON object (column %d)", db_path, key,
			     text ? jerr.column : 0);
		return -1;
	}
	return 1;
}

int
ck_credentials_read_sqlite(const char *db_path, json_t **store, json_t **state,
			   struct ck_error *err)
{
	sqlite3 *db = NULL;
	char *uri;
	int rc;

	*store = NULL;
	*state = NULL;
	if (!ck_file_exists(db_path))
		return 0;
	uri = file_uri(db_path);
	if (uri == NULL) {
		ck_error_set(err, "%s: out of memory", db_path);
		return -1;
	}
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		ck_error_set(err, "%s: cannot open read-only: %s", db_path,
			     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -1;
	}
	rc = read_row(db, db_path, "authProfiles.store", store, err);
	if (rc == 1 && read_row(db, db_path, "authProfiles.state", state, err) == -1) {
		json_decref(*store);
		*store = NULL;
		rc = -1;
	}
	sqlite3_close(db);
	return rc;
}

/* Drops ANSI CSI/OSC sequences in place; OpenClaw colours its output even
 * when stdout is not a terminal. */
static size_t
strip_ansi(char *s, size_t len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		if (s[i] == '\x1b' && i + 1 < len && s[i + 1] == '[') {
			i += 2;
			while (i < len && !(s[i] >= 0x40 && s[i] <= 0x7e))
				i++;
			i++;
		} else if (s[i] == '\x1b' && i + 1 < len && s[i + 1] == ']') {
			i += 2;
			while (i < len && s[i] != '\a' && s[i] != '\x1b')
				i++;
			i += (i < len && s[i] == '\x1b') ? 2 : 1;
		} else {
			s[o++] = s[i++];
		}
	}
	s[o] = '\0';
	return o;
}

static json_t *
status_from_text(const char *text, size_t len, struct ck_error *err)
{
	json_error_t jerr;
	const char *p = text;
	json_t *root;

	/* The object starts with a '{' at the start of a line; banner and
	 * warning lines before it never do. */
	while (p != NULL && *p != '{') {
		p = memchr(p, '\n', len - (size_t)(p - text));
		if (p != NULL)
			p++;
	}
	if (p == NULL || *p == '\0') {
		ck_error_set(err, "models status --json: no JSON object in the output");
		return NULL;
	}
	root = json_loadb(p, len - (size_t)(p - text), JSON_DISABLE_EOF_CHECK, &jerr);
	if (root == NULL) {
		/* jerr.text may quote the masked key labels; position only */
		ck_error_set(err, "models status --json: line %d, column %d: "
			     "not valid JSON", jerr.line, jerr.column);
		return NULL;
	}
	return root;
}

json_t *
ck_credentials_parse_status(const char *buf, size_t len, struct ck_error *err)
{
	json_t *root, *error;
	char *copy;

	copy = malloc(len + 1);
	if (copy == NULL) {
		ck_error_set(err, "models status --json: out of memory");
		return NULL;
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	len = strip_ansi(copy, len);
	root = status_from_text(copy, len, err);
	free(copy);
	if (root == NULL)
		return NULL;
	error = json_object_get(root, "error");
	if (json_is_false(json_object_get(root, "ok")) || json_is_object(error)) {
		const char *msg = json_string_value(json_object_get(error, "message"));
		ck_error_set(err, "models status --json failed: %s",
			     msg ? msg : "no message");
		json_decref(root);
		return NULL;
	}
	if (!json_is_object(json_object_get(root, "auth"))) {
		ck_error_set(err, "models status --json: no 'auth' object");
		json_decref(root);
		return NULL;
	}
	return root;
}
