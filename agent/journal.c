/* The operations journal: one JSON record per operation in the journal
 * dir, rewritten atomically on every step change so an agent killed at
 * any moment finds the last recorded state on its next start. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/journal.h"

#define OP_FILE_MAX (4 * 1024 * 1024)

int
ck_op_id_valid(const char *id)
{
	size_t n = 0;
	const char *p;

	if (id == NULL || id[0] == '\0' || id[0] == '.')
		return 0;
	for (p = id; *p != '\0'; p++, n++) {
		if (n >= CK_OP_ID_MAX)
			return 0;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.'))
			return 0;
	}
	return 1;
}

void
ck_op_time(long long ms, char *buf, size_t n)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	char date[20];
	size_t len;

	gmtime_r(&secs, &tm);
	len = strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	date[len] = '\0';
	snprintf(buf, n, "%s.%03dZ", date, (int)(ms % 1000));
}

json_t *
ck_op_new(const char *kind, long long now_ms)
{
	uint8_t rnd[4];
	char hex[9], id[CK_OP_ID_MAX], ts[48];
	time_t secs = (time_t)(now_ms / 1000);
	struct tm tm;

	if (ck_random_bytes(rnd, sizeof(rnd)) != 0)
		return NULL;
	ck_hex_encode(rnd, sizeof(rnd), hex);
	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(id, sizeof(id), "op-%s-%s", ts, hex);
	ck_op_time(now_ms, ts, sizeof(ts));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[], s:i, s:n}",
	    "id", id, "kind", kind, "state", "pending", "created_at", ts,
	    "updated_at", ts, "steps", "restarts", 0, "result");
}

int
ck_op_add_step(json_t *op, const char *name)
{
	json_t *steps = json_object_get(op, "steps");

	if (!json_is_array(steps))
		return -1;
	return json_array_append_new(steps, json_pack(
	    "{s:s, s:s, s:n, s:n, s:s}", "name", name, "state", "pending",
	    "started_at", "ended_at", "message", ""));
}

int
ck_op_step_set(json_t *op, const char *name, const char *state,
    const char *message, long long now_ms)
{
	json_t *steps = json_object_get(op, "steps");
	json_t *step;
	size_t i;
	char ts[48];

	ck_op_time(now_ms, ts, sizeof(ts));
	json_array_foreach(steps, i, step) {
		const char *n = json_string_value(json_object_get(step, "name"));

		if (n == NULL || strcmp(n, name) != 0)
			continue;
		json_object_set_new(step, "state", json_string(state));
		if (strcmp(state, "running") == 0)
			json_object_set_new(step, "started_at", json_string(ts));
		else
			json_object_set_new(step, "ended_at", json_string(ts));
		if (message != NULL)
			json_object_set_new(step, "message", json_string(message));
		json_object_set_new(op, "updated_at", json_string(ts));
		return 0;
	}
	return -1;
}

int
ck_op_write(const char *dir, const json_t *op, struct ck_error *err)
{
	const char *id = json_string_value(json_object_get(op, "id"));
	char *path, *text;
	int rc;

	if (!ck_op_id_valid(id)) {
		ck_error_set(err, "operation record has no valid id");
		return -1;
	}
	if (ck_mkdir_p(dir, 0750, err) != 0)
		return -1;
	text = json_dumps(op, JSON_INDENT(2));
	path = ck_strdup_printf("%s/%s.json", dir, id);
	if (text == NULL || path == NULL) {
		free(text);
		free(path);
		ck_error_set(err, "out of memory");
		return -1;
	}
	rc = ck_file_write_atomic(path, text, strlen(text), 0640, err);
	free(text);
	free(path);
	return rc;
}

json_t *
ck_op_read(const char *dir, const char *id, struct ck_error *err)
{
	char *path, *buf = NULL;
	size_t len;
	json_t *op;
	json_error_t jerr;

	if (!ck_op_id_valid(id)) {
		ck_error_set(err, "not found: '%s' is not an operation id", id);
		return NULL;
	}
	path = ck_strdup_printf("%s/%s.json", dir, id);
	if (path == NULL) {
		ck_error_set(err, "out of memory");
		return NULL;
	}
	if (!ck_file_exists(path)) {
		ck_error_set(err, "not found: no operation %s", id);
		free(path);
		return NULL;
	}
	if (ck_file_read(path, OP_FILE_MAX, &buf, &len, err) != 0) {
		free(path);
		return NULL;
	}
	op = json_loadb(buf, len, 0, &jerr);
	if (op == NULL)
		ck_error_set(err, "%s:%d:%d: %s", path, jerr.line, jerr.column,
		    jerr.text);
	free(buf);
	free(path);
	return op;
}

static int
op_newest_first(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a;
	json_t *y = *(json_t *const *)b;
	const char *cx = json_string_value(json_object_get(x, "created_at"));
	const char *cy = json_string_value(json_object_get(y, "created_at"));
	int c = strcmp(cy ? cy : "", cx ? cx : "");

	if (c != 0)
		return c;
	cx = json_string_value(json_object_get(x, "id"));
	cy = json_string_value(json_object_get(y, "id"));
	return strcmp(cy ? cy : "", cx ? cx : "");
}

/* The operation id of a journal file name ("<id>.json"); 0 when the name
 * is not a record's (temp files, other names, ids too long). */
static int
record_id(const char *name, char *id, size_t n)
{
	size_t len = strlen(name);

	if (len < 6 || len - 5 >= n || strcmp(name + len - 5, ".json") != 0)
		return 0;
	memcpy(id, name, len - 5);
	id[len - 5] = '\0';
	return 1;
}

int
ck_op_find_unreadable(const char *dir, struct ck_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		ck_error_set(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (!found && (de = readdir(d)) != NULL) {
		char id[CK_OP_ID_MAX + 8];
		json_t *op;

		if (!record_id(de->d_name, id, sizeof(id)))
			continue;
		op = ck_op_read(dir, id, err);
		if (op == NULL || !json_is_string(json_object_get(op, "state")))
			found = 1;
		if (op != NULL && found)
			ck_error_set(err, "%s/%s: not an operation record (no state)", dir,
				     de->d_name);
		json_decref(op);
	}
	closedir(d);
	return found;
}

json_t *
ck_op_list(const char *dir, size_t max, struct ck_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	json_t **recs = NULL;
	size_t n = 0, cap = 0, i;
	json_t *out;

	if (d == NULL) {
		if (errno == ENOENT)
			return json_array();
		ck_error_set(err, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		char id[CK_OP_ID_MAX + 8];
		struct ck_error ignored;
		json_t *op;

		if (!record_id(de->d_name, id, sizeof(id)))
			continue;
		op = ck_op_read(dir, id, &ignored);
		if (op == NULL)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			json_t **nr = realloc(recs, ncap * sizeof(*nr));

			if (nr == NULL) {
				json_decref(op);
				break;
			}
			recs = nr;
			cap = ncap;
		}
		recs[n++] = op;
	}
	closedir(d);
	if (n > 0)
		qsort(recs, n, sizeof(*recs), op_newest_first);
	out = json_array();
	for (i = 0; i < n; i++) {
		if (out != NULL && i < max)
			json_array_append(out, recs[i]);
		json_decref(recs[i]);
	}
	free(recs);
	if (out == NULL)
		ck_error_set(err, "out of memory");
	return out;
}
