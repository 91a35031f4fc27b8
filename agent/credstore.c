/* Reading OpenClaw's credential stores as they are on disk: the legacy
 * auth-profiles.json / auth-state.json pair, the rows of the agent's
 * openclaw-agent.sqlite (2026.6.35 - 2026.7.35), the 2026.8+ rows in
 * state/openclaw.sqlite, and the JSON `openclaw models status` prints.
 * Only reads; what the stores mean is credentials.c's business. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/credentials.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/sqlite_ro.h"

#define STORE_MAX (16u << 20)

/* jansson's own message can quote the text it choked on; a store holds
 * secrets, so only its position and a generic reason are reported. */
static int
load_json_file(const char *root, const char *path, json_t **out,
	       struct ck_error *err)
{
	json_error_t jerr;
	char *buf = NULL;
	size_t len = 0;

	*out = NULL;
	if (!ck_file_exists(path))
		return 0;
	/* A store that is a link out of the instance (another tenant's) is
	 * refused, never read: the error names the file, not its content. */
	if (ck_file_read_beneath(root, path, STORE_MAX, &buf, &len, err) == -1)
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
ck_credentials_read_json(const char *root, const char *agent_dir, json_t **store,
			 json_t **state, struct ck_error *err)
{
	char *path;
	int rc;

	*store = NULL;
	*state = NULL;
	path = ck_path_join(agent_dir, "auth-profiles.json");
	rc = load_json_file(root, path, store, err);
	free(path);
	if (rc == -1)
		return -1;
	path = ck_path_join(agent_dir, "auth-state.json");
	rc = load_json_file(root, path, state, err);
	free(path);
	if (rc == -1) {
		json_decref(*store);
		*store = NULL;
		return -1;
	}
	return 0;
}

/* One JSON object cell, selected by `sql` with ?1 = key. 1 when the row
 * exists (*out set), 0 when not, -1 on error. */
static int
read_cell(struct ck_sqlite_ro *ro, const char *sql, const char *table,
	  const char *key, json_t **out, struct ck_error *err)
{
	sqlite3_stmt *st = NULL;
	json_error_t jerr;
	const char *text;
	int rc;

	*out = NULL;
	if (ck_sqlite_ro_prepare(ro, sql, &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = ck_sqlite_ro_step(ro, st, err);
	if (rc <= 0) {
		sqlite3_finalize(st);
		return rc;
	}
	text = (const char *)sqlite3_column_text(st, 0);
	*out = text ? json_loads(text, 0, &jerr) : NULL;
	sqlite3_finalize(st);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		ck_error_set(err, "%s: row %s of %s is not a JSON object (column %d)",
			     ro->path, key, table, text ? jerr.column : 0);
		return -1;
	}
	return 1;
}

/* The store cell and, when there is a store, the state cell of one
 * database: 1, 0 (no file, table or store row) or -1. */
static int
read_pair(const char *root, const char *db_path, const char *store_table, const char *store_sql,
	  const char *store_key, const char *state_table, const char *state_sql,
	  const char *state_key, json_t **store, json_t **state, struct ck_error *err)
{
	struct ck_sqlite_ro ro;
	int rc;

	*store = NULL;
	*state = NULL;
	rc = ck_sqlite_ro_open_beneath(&ro, root, db_path, CK_SQLITE_RO_BUDGET_MS, err);
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	rc = ck_sqlite_ro_table(&ro, store_table, err);
	if (rc == 1)
		rc = read_cell(&ro, store_sql, store_table, store_key, store, err);
	if (rc == 1 && strcmp(state_table, store_table) != 0) {
		int has = ck_sqlite_ro_table(&ro, state_table, err);

		if (has == -1)
			rc = -1;
		else if (has == 0)
			state_sql = NULL;
	}
	if (rc == 1 && state_sql != NULL &&
	    read_cell(&ro, state_sql, state_table, state_key, state, err) == -1)
		rc = -1;
	if (rc == -1) {
		json_decref(*store);
		*store = NULL;
	}
	ck_sqlite_ro_close(&ro);
	return rc;
}

/* Read-only under a deadline (sqlite_ro.h): a live gateway's newest rows
 * (a key pasted a moment ago) are still in its WAL, and a file that is
 * not OpenClaw's may hold a view that never finishes. */
int
ck_credentials_read_sqlite(const char *root, const char *db_path, json_t **store,
			   json_t **state, struct ck_error *err)
{
	static const char sql[] =
		"SELECT value_json FROM config_machine_state WHERE state_key = ?1";

	return read_pair(root, db_path, "config_machine_state", sql, "authProfiles.store",
			 "config_machine_state", sql, "authProfiles.state", store, state, err);
}

/* 2026.6.35 - 2026.7.35 (what the versions tier saw; 2026.8 moved the
 * store into the state db): tables auth_profile_store / auth_profile_state
 * of the agent's own openclaw-agent.sqlite, one row each under the key
 * "primary" (the package's PRIMARY_ROW_KEY), the JSON of
 * auth-profiles.json / auth-state.json. */
int
ck_credentials_read_agent_db(const char *root, const char *agent_dir, json_t **store,
			     json_t **state, struct ck_error *err)
{
	char *path = ck_path_join(agent_dir, "openclaw-agent.sqlite");
	int rc;

	*store = NULL;
	*state = NULL;
	if (path == NULL) {
		ck_error_set(err, "%s: out of memory", agent_dir);
		return -1;
	}
	rc = read_pair(root, path, "auth_profile_store",
		       "SELECT store_json FROM auth_profile_store WHERE store_key = ?1",
		       "primary", "auth_profile_state",
		       "SELECT state_json FROM auth_profile_state WHERE state_key = ?1",
		       "primary", store, state, err);
	free(path);
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
