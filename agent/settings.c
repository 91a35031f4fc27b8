/* Desired settings: loading and schema validation. The schema is a table
 * of keys, each with its own check, so a new key is one row; anything not
 * in the table is refused by name. Messages name the field path. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/redact.h"
#include "clawkeeper/settings.h"

#define REF_MAX 200
#define ID_MAX 64

typedef int (*check_fn)(const json_t *v, const char *path, struct ck_error *err);

struct key_rule {
	const char *name;
	int required;
	check_fn check;
};

static int check_ref(const json_t *, const char *, struct ck_error *);
static int check_ref_list(const json_t *, const char *, struct ck_error *);
static int check_agents(const json_t *, const char *, struct ck_error *);
static int check_cron(const json_t *, const char *, struct ck_error *);
static int check_providers(const json_t *, const char *, struct ck_error *);

static const struct key_rule top_rules[] = {
	{ "primary", 1, check_ref },
	{ "fallbacks", 0, check_ref_list },
	{ "agents", 0, check_agents },
	{ "cron", 0, check_cron },
	{ "providers", 0, check_providers },
};

static const struct key_rule agent_rules[] = {
	{ "primary", 0, check_ref },
	{ "fallbacks", 0, check_ref_list },
};

#define NRULES(t) (sizeof(t) / sizeof((t)[0]))

/* What a bad value was, for the message. Strings are cut short and
 * control bytes escaped so a message stays one readable line. */
static void
describe(const json_t *v, char *buf, size_t n)
{
	const char *s;
	size_t i, o = 0;

	if (v == NULL) {
		snprintf(buf, n, "nothing");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		buf[o++] = '"';
		for (i = 0; s[i] != '\0' && o + 6 < n && i < 60; i++)
			buf[o++] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
		if (s[i] != '\0')
			o += (size_t)snprintf(buf + o, n - o, "...");
		snprintf(buf + o, n - o, "\"");
		return;
	case JSON_INTEGER:
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
		return;
	case JSON_REAL:
		snprintf(buf, n, "%g", json_real_value(v));
		return;
	case JSON_TRUE:
		snprintf(buf, n, "true");
		return;
	case JSON_FALSE:
		snprintf(buf, n, "false");
		return;
	case JSON_NULL:
		snprintf(buf, n, "null");
		return;
	case JSON_OBJECT:
		snprintf(buf, n, "an object");
		return;
	case JSON_ARRAY:
		snprintf(buf, n, "an array");
		return;
	}
	snprintf(buf, n, "something else");
}

static int
id_valid(const char *s, int lower_only)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > ID_MAX || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (lower_only && isupper(c))
			return 0;
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return 0;
	}
	return 1;
}

int
ck_settings_ref_valid(const char *s)
{
	const char *slash, *p;
	char provider[ID_MAX + 1];
	size_t plen;

	if (s == NULL || strlen(s) > REF_MAX)
		return 0;
	slash = strchr(s, '/');
	if (slash == NULL || slash[1] == '\0')
		return 0;
	plen = (size_t)(slash - s);
	if (plen == 0 || plen > ID_MAX)
		return 0;
	memcpy(provider, s, plen);
	provider[plen] = '\0';
	if (!id_valid(provider, 1))
		return 0;
	for (p = slash + 1; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return 0;
	return 1;
}

static int
check_ref(const json_t *v, const char *path, struct ck_error *err)
{
	char got[96];

	if (json_is_string(v) && ck_settings_ref_valid(json_string_value(v)))
		return 0;
	describe(v, got, sizeof(got));
	ck_error_set(err, "%s: expected \"provider/model\", got %s", path, got);
	return -1;
}

static int
check_ref_list(const json_t *v, const char *path, struct ck_error *err)
{
	char item[128];
	char got[96];
	size_t i, j;

	if (!json_is_array(v)) {
		describe(v, got, sizeof(got));
		ck_error_set(err, "%s: expected an array of \"provider/model\", got %s",
			     path, got);
		return -1;
	}
	for (i = 0; i < json_array_size(v); i++) {
		const char *s;

		snprintf(item, sizeof(item), "%s[%zu]", path, i);
		if (check_ref(json_array_get(v, i), item, err) < 0)
			return -1;
		s = json_string_value(json_array_get(v, i));
		for (j = 0; j < i; j++) {
			if (strcmp(s, json_string_value(json_array_get(v, j))) == 0) {
				ck_error_set(err, "%s: \"%s\" is already %s[%zu]",
					     item, s, path, j);
				return -1;
			}
		}
	}
	return 0;
}

static void
known_keys(const struct key_rule *rules, size_t nrules, char *buf, size_t n)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < nrules && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "",
				      rules[i].name);
}

/* Checks an object against a rule table: required keys present, every
 * key known, each value passing its rule. */
static int
check_object(const json_t *obj, const char *path, const struct key_rule *rules,
	     size_t nrules, struct ck_error *err)
{
	char sub[160], known[128];
	const char *key;
	json_t *val;
	size_t i;

	for (i = 0; i < nrules; i++) {
		if (rules[i].required && json_object_get(obj, rules[i].name) == NULL) {
			ck_error_set(err, "%s%s%s: required", path, *path ? "." : "",
				     rules[i].name);
			return -1;
		}
	}
	json_object_foreach((json_t *)obj, key, val) {
		for (i = 0; i < nrules; i++)
			if (strcmp(key, rules[i].name) == 0)
				break;
		if (i == nrules) {
			known_keys(rules, nrules, known, sizeof(known));
			ck_error_set(err, "%s%sunknown key \"%.64s\" (known: %s)", path,
				     *path ? ": " : "", key, known);
			return -1;
		}
		/* Field paths are short; a truncated one still names the field. */
		snprintf(sub, sizeof(sub), "%.80s%s%.64s", path, *path ? "." : "", key);
		if (rules[i].check(val, sub, err) < 0)
			return -1;
	}
	return 0;
}

/* A cron job is named by its id (OpenClaw's UUID) or its name: any
 * printable text up to 128 bytes. */
static int
job_key_valid(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > 128)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (iscntrl((unsigned char)s[i]))
			return 0;
	return 1;
}

/* {<key>: {primary?, fallbacks?}}: agents by id, cron jobs by id or name. */
static int
check_chain_map(const json_t *v, const char *path, int jobs, struct ck_error *err)
{
	const char *what = jobs ? "cron job" : "agent";
	char sub[160], got[96];
	const char *id;
	json_t *chain;

	if (!json_is_object(v)) {
		describe(v, got, sizeof(got));
		ck_error_set(err, "%s: expected an object of %s %s, got %s", path, what,
			     jobs ? "ids or names" : "ids", got);
		return -1;
	}
	json_object_foreach((json_t *)v, id, chain) {
		if (jobs && !job_key_valid(id)) {
			ck_error_set(err, "%s: a cron job id or name is 1 to 128 bytes "
				     "without control characters", path);
			return -1;
		}
		if (!jobs && !id_valid(id, 0)) {
			ck_error_set(err, "%s: \"%.64s\" is not an agent id (letters, digits, "
				     "'-', '_', '.')", path, id);
			return -1;
		}
		snprintf(sub, sizeof(sub), "%s.%.128s", path, id);
		if (!json_is_object(chain)) {
			describe(chain, got, sizeof(got));
			ck_error_set(err, "%s: expected an object {primary, fallbacks}, got %s",
				     sub, got);
			return -1;
		}
		if (check_object(chain, sub, agent_rules, NRULES(agent_rules), err) < 0)
			return -1;
	}
	return 0;
}

static int
check_agents(const json_t *v, const char *path, struct ck_error *err)
{
	return check_chain_map(v, path, 0, err);
}

static int
check_cron(const json_t *v, const char *path, struct ck_error *err)
{
	return check_chain_map(v, path, 1, err);
}

/* Provider configs go to models.providers.<id> as they are; only their
 * shape is checked here. Values are never quoted: they may hold keys. */
static int
check_providers(const json_t *v, const char *path, struct ck_error *err)
{
	const char *id;
	json_t *prov, *models;

	if (!json_is_object(v)) {
		ck_error_set(err, "%s: expected an object of provider ids, got %s", path,
			     json_is_array(v) ? "an array" : "a non-object");
		return -1;
	}
	json_object_foreach((json_t *)v, id, prov) {
		if (!id_valid(id, 1)) {
			ck_error_set(err, "%s: \"%.64s\" is not a provider id (lower-case "
				     "letters, digits, '-', '_', '.')", path, id);
			return -1;
		}
		if (!json_is_object(prov)) {
			ck_error_set(err, "%s.%s: expected an object (the provider config)",
				     path, id);
			return -1;
		}
		models = json_object_get(prov, "models");
		if (models != NULL && !json_is_array(models)) {
			ck_error_set(err, "%s.%s.models: expected an array", path, id);
			return -1;
		}
	}
	return 0;
}

static int
validate(const json_t *doc, struct ck_error *err)
{
	char got[96];

	if (!json_is_object(doc)) {
		describe(doc, got, sizeof(got));
		ck_error_set(err, "expected an object at the top level, got %s", got);
		return -1;
	}
	return check_object(doc, "", top_rules, NRULES(top_rules), err);
}

int
ck_settings_validate(const json_t *doc, struct ck_error *err)
{
	if (validate(doc, err) < 0) {
		ck_error_prefix(err, "settings: ");
		return -1;
	}
	return 0;
}

json_t *
ck_settings_load(const char *path, struct ck_error *err)
{
	json_error_t jerr;
	json_t *doc;
	size_t len;
	char *buf;

	if (ck_file_read(path, CK_SETTINGS_MAX_BYTES, &buf, &len, err) < 0)
		return NULL;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (doc == NULL) {
		ck_error_set(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (validate(doc, err) < 0) {
		ck_error_prefix(err, "%s: ", path);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* ------------------------------------------------------------------ store */

/* Serializes read-compare-write in this process (flock is per open file,
 * so two threads of one agent need this too). */
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;

struct stored {
	char *bytes;   /* NULL when there is no file */
	size_t len;
	char etag[CK_SETTINGS_ETAG_LEN];
};

static void
etag_of(const char *bytes, size_t len, char etag[CK_SETTINGS_ETAG_LEN])
{
	char hex[CK_SHA256_HEX_LEN];

	ck_sha256_hex(bytes, len, hex);
	snprintf(etag, CK_SETTINGS_ETAG_LEN, "\"%s\"", hex);
}

static int
read_stored(const char *path, struct stored *st, struct ck_error *err)
{
	memset(st, 0, sizeof(*st));
	if (!ck_file_exists(path))
		return 0;
	if (ck_file_read(path, CK_SETTINGS_MAX_BYTES, &st->bytes, &st->len, err) != 0)
		return -1;
	etag_of(st->bytes, st->len, st->etag);
	return 0;
}

/* The redacted form of stored bytes, or NULL with err. */
static json_t *
redacted(const char *path, const char *bytes, size_t len, struct ck_error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(bytes, len, 0, &jerr), *r;

	if (doc == NULL) {
		ck_error_set(err, "stored settings %s: line %d, column %d: %s",
		    path, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	r = ck_redact(doc);
	json_decref(doc);
	if (r == NULL)
		ck_error_set(err, "out of memory");
	return r;
}

/* A lock on the settings' directory for the whole compare-and-set: the
 * file itself is replaced by rename, so its inode cannot carry one. */
static int
lock_dir(const char *path, struct ck_error *err)
{
	char *copy = strdup(path);
	int fd;

	if (copy == NULL) {
		ck_error_set(err, "out of memory");
		return -1;
	}
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		ck_error_set(err, "settings: %s: open its directory: %s", path,
		    strerror(errno));
	else if (flock(fd, LOCK_EX) != 0) {
		ck_error_set(err, "settings: %s: lock its directory: %s", path,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	free(copy);
	return fd;
}

enum ck_settings_result
ck_settings_get(const char *path, json_t **out, char etag[CK_SETTINGS_ETAG_LEN],
    struct ck_error *err)
{
	struct stored st;
	int r;

	*out = NULL;
	pthread_mutex_lock(&store_lock);
	r = read_stored(path, &st, err);
	pthread_mutex_unlock(&store_lock);
	if (r != 0)
		return CK_SETTINGS_UNREADABLE;
	if (st.bytes == NULL) {
		ck_error_set(err, "no settings stored yet at %s", path);
		return CK_SETTINGS_MISSING;
	}
	*out = redacted(path, st.bytes, st.len, err);
	memcpy(etag, st.etag, CK_SETTINGS_ETAG_LEN);
	free(st.bytes);
	return *out != NULL ? CK_SETTINGS_OK : CK_SETTINGS_UNREADABLE;
}

static enum ck_settings_result
put_locked(const char *path, json_t *doc, const char *if_match, json_t **out,
    char etag[CK_SETTINGS_ETAG_LEN], struct ck_error *err)
{
	struct stored st;
	char *text;

	if (read_stored(path, &st, err) != 0)
		return CK_SETTINGS_UNREADABLE;
	if (if_match != NULL)
		while (*if_match == ' ')
			if_match++;
	if (if_match == NULL && st.bytes != NULL) {
		free(st.bytes);
		ck_error_set(err, "settings exist: send If-Match with the ETag of a GET (or *)");
		return CK_SETTINGS_NEED_MATCH;
	}
	if (if_match != NULL && (st.bytes == NULL ||
	    (strcmp(if_match, "*") != 0 && strcmp(if_match, st.etag) != 0))) {
		free(st.bytes);
		ck_error_set(err, "If-Match does not match the stored settings: GET them again");
		return CK_SETTINGS_STALE;
	}
	if (st.bytes != NULL) {
		json_t *old = json_loadb(st.bytes, st.len, 0, NULL);

		ck_redact_restore(doc, old);
		json_decref(old);
		free(st.bytes);
	}
	if (ck_settings_validate(doc, err) != 0)
		return CK_SETTINGS_INVALID;
	text = json_dumps(doc, JSON_INDENT(2));
	if (text == NULL) {
		ck_error_set(err, "out of memory");
		return CK_SETTINGS_UNWRITABLE;
	}
	/* 0600: provider configs may hold keys */
	if (ck_file_write_atomic(path, text, strlen(text), 0600, err) != 0) {
		free(text);
		return CK_SETTINGS_UNWRITABLE;
	}
	etag_of(text, strlen(text), etag);
	*out = redacted(path, text, strlen(text), err);
	free(text);
	return *out != NULL ? CK_SETTINGS_OK : CK_SETTINGS_UNWRITABLE;
}

enum ck_settings_result
ck_settings_put(const char *path, json_t *doc, const char *if_match,
    json_t **out, char etag[CK_SETTINGS_ETAG_LEN], struct ck_error *err)
{
	enum ck_settings_result r;
	int fd;

	*out = NULL;
	pthread_mutex_lock(&store_lock);
	fd = lock_dir(path, err);
	r = fd < 0 ? CK_SETTINGS_UNWRITABLE :
	    put_locked(path, doc, if_match, out, etag, err);
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&store_lock);
	return r;
}
