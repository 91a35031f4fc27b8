/* What a regenerate changes, for people: a path-by-path diff of two
 * configs, secret redaction by key name, and the dump in OpenClaw's own
 * layout. Secrets only ever appear as ck_fingerprint() values. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clawkeeper/redact.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/hash.h"

/* The project's one definition of a secret key (common/redact.c). */
int
ck_config_key_is_secret(const char *key)
{
	return ck_redact_is_secret_key(key);
}

static json_t *
fingerprint_value(const json_t *v)
{
	char fp[CK_FINGERPRINT_LEN];
	char *text;

	if (json_is_string(v)) {
		ck_fingerprint(json_string_value(v), fp);
		return json_string(fp);
	}
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	ck_fingerprint(text ? text : "", fp);
	free(text);
	return json_string(fp);
}

/* secret: the value sits under a secret key; every scalar below it is
 * fingerprinted (a secret key may hold an array or a wrapper object). */
static json_t *
redact(const json_t *v, int secret)
{
	json_t *out;
	const char *k;
	json_t *c;
	size_t i;

	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, k, c)
			json_object_set_new(out, k,
					    redact(c, secret || ck_config_key_is_secret(k)));
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, c)
			json_array_append_new(out, redact(c, secret));
		return out;
	}
	if (secret && !json_is_null(v) && !json_is_boolean(v))
		return fingerprint_value(v);
	return json_deep_copy(v);
}

json_t *
ck_config_redacted(const json_t *config)
{
	return redact(config, 0);
}

static int
plain_key(const char *k)
{
	const char *p;

	if (*k == '\0' || isdigit((unsigned char)*k))
		return 0;
	for (p = k; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '$')
			return 0;
	return 1;
}

/* agents.defaults.models["openai/gpt-5.5"]: the notation `openclaw
 * config get/set` accepts. */
static char *
path_join(const char *path, const char *key)
{
	char *quoted;
	char *out;
	json_t *s;

	if (plain_key(key)) {
		if (asprintf(&out, "%s%s%s", path, *path ? "." : "", key) < 0)
			return NULL;
		return out;
	}
	s = json_string(key);
	quoted = json_dumps(s, JSON_ENCODE_ANY);
	json_decref(s);
	if (quoted == NULL || asprintf(&out, "%s[%s]", path, quoted) < 0)
		out = NULL;
	free(quoted);
	return out;
}

static void
diff_add(json_t *out, const char *path, const char *op, const json_t *from,
	 const json_t *to, int secret)
{
	json_t *e = json_pack("{s:s, s:s}", "path", path, "op", op);

	if (from != NULL)
		json_object_set_new(e, "from", redact(from, secret));
	if (to != NULL)
		json_object_set_new(e, "to", redact(to, secret));
	json_array_append_new(out, e);
}

static void diff_rec(json_t *out, const char *path, const json_t *a,
		     const json_t *b, int secret);

/* Arrays of objects keyed by "id" (agents.list) are matched by id, so a
 * change to one agent reads as that agent's path, not the whole list. */
static int
keyed_by_id(const json_t *arr)
{
	json_t *v;
	size_t i;

	if (json_array_size(arr) == 0)
		return 0;
	json_array_foreach(arr, i, v)
		if (!json_is_string(json_object_get(v, "id")))
			return 0;
	return 1;
}

static json_t *
find_by_id(const json_t *arr, const json_t *id)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (json_equal(json_object_get(v, "id"), id))
			return v;
	return NULL;
}

static void
diff_by_id(json_t *out, const char *path, const json_t *a, const json_t *b,
	   int secret)
{
	char *p;
	json_t *v;
	json_t *other;
	size_t i;

	json_array_foreach(a, i, v) {
		if (asprintf(&p, "%s[%zu]", path, i) < 0)
			return;
		other = find_by_id(b, json_object_get(v, "id"));
		if (other == NULL)
			diff_add(out, p, "remove", v, NULL, secret);
		free(p);
	}
	json_array_foreach(b, i, v) {
		if (asprintf(&p, "%s[%zu]", path, i) < 0)
			return;
		other = find_by_id(a, json_object_get(v, "id"));
		if (other == NULL)
			diff_add(out, p, "add", NULL, v, secret);
		else
			diff_rec(out, p, other, v, secret);
		free(p);
	}
}

static void
diff_rec(json_t *out, const char *path, const json_t *a, const json_t *b,
	 int secret)
{
	const char *k;
	json_t *va;
	json_t *vb;
	char *p;

	if (keyed_by_id(a) && keyed_by_id(b)) {
		diff_by_id(out, path, a, b, secret);
		return;
	}
	if (!json_is_object(a) || !json_is_object(b)) {
		if (!json_equal(a, b))
			diff_add(out, path, "change", a, b, secret);
		return;
	}
	json_object_foreach((json_t *)a, k, va) {
		int sec = secret || ck_config_key_is_secret(k);

		p = path_join(path, k);
		if (p == NULL)
			continue;
		vb = json_object_get(b, k);
		if (vb == NULL)
			diff_add(out, p, "remove", va, NULL, sec);
		else
			diff_rec(out, p, va, vb, sec);
		free(p);
	}
	json_object_foreach((json_t *)b, k, vb) {
		if (json_object_get(a, k) != NULL)
			continue;
		p = path_join(path, k);
		if (p == NULL)
			continue;
		diff_add(out, p, "add", NULL, vb,
			 secret || ck_config_key_is_secret(k));
		free(p);
	}
}

json_t *
ck_config_diff(const json_t *a, const json_t *b)
{
	json_t *out = json_array();

	if (out != NULL)
		diff_rec(out, "", a, b, 0);
	return out;
}

char *
ck_config_dump(const json_t *config)
{
	char *text = json_dumps(config, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t n;
	char *out;

	if (text == NULL)
		return NULL;
	n = strlen(text);
	out = realloc(text, n + 2);
	if (out == NULL) {
		free(text);
		return NULL;
	}
	out[n] = '\n';
	out[n + 1] = '\0';
	return out;
}
