/* Redaction of secret-looking values in JSON documents before they leave
 * the agent (API responses, reports): each secret becomes its
 * fingerprint, which identifies it without revealing it. */
#include <string.h>
#include <strings.h>

#include "clawkeeper/hash.h"
#include "clawkeeper/redact.h"

/* One list for every place that hides secrets (API responses, plans and
 * diffs): names compared without case; suffixes catch apiKey, botToken,
 * appToken, clientSecret, webhookSecret, password, privateKey... */
static const char *const secret_keys[] = {
	"key", "token", "access", "refresh", "secret", "password", "passwd",
	"authorization", "bearer", "cookie", "privateKeyPem", NULL
};
static const char *const secret_suffixes[] = {
	"key", "token", "secret", "password", NULL
};

static int
ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s);
	size_t m = strlen(suffix);

	return n > m && strcasecmp(s + n - m, suffix) == 0;
}

int
ck_redact_is_secret_key(const char *key)
{
	size_t i;

	if (key == NULL)
		return 0;
	for (i = 0; secret_keys[i] != NULL; i++)
		if (strcasecmp(key, secret_keys[i]) == 0)
			return 1;
	for (i = 0; secret_suffixes[i] != NULL; i++)
		if (ends_with_ci(key, secret_suffixes[i]))
			return 1;
	return 0;
}

/* Walks in place; `secret` is set below a secret-looking key, so a
 * secret held in an object or array ({"key": {"value": ...}}) is
 * covered too. */
static int
redact_walk(json_t *node, int secret)
{
	const char *k;
	json_t *v;
	size_t i;
	char fp[CK_FINGERPRINT_LEN];

	if (json_is_object(node)) {
		json_object_foreach(node, k, v) {
			int s = secret || ck_redact_is_secret_key(k);

			if (json_is_string(v) && s) {
				ck_fingerprint(json_string_value(v), fp);
				if (json_object_set_new(node, k, json_string(fp)) != 0)
					return -1;
			} else if (redact_walk(v, s) != 0)
				return -1;
		}
	} else if (json_is_array(node)) {
		json_array_foreach(node, i, v) {
			if (json_is_string(v) && secret) {
				ck_fingerprint(json_string_value(v), fp);
				if (json_array_set_new(node, i, json_string(fp)) != 0)
					return -1;
			} else if (redact_walk(v, secret) != 0)
				return -1;
		}
	}
	return 0;
}

json_t *
ck_redact(const json_t *doc)
{
	json_t *copy = json_deep_copy(doc);

	if (copy == NULL)
		return NULL;
	if (redact_walk(copy, 0) != 0) {
		json_decref(copy);
		return NULL;
	}
	return copy;
}

static int
restore_walk(json_t *node, const json_t *old, int secret)
{
	const char *k;
	json_t *v;
	size_t i;
	int n = 0;
	char fp[CK_FINGERPRINT_LEN];

	if (json_is_object(node) && json_is_object(old)) {
		json_object_foreach(node, k, v) {
			const json_t *ov = json_object_get(old, k);
			int s = secret || ck_redact_is_secret_key(k);

			if (ov == NULL)
				continue;
			if (s && json_is_string(v) && json_is_string(ov)) {
				ck_fingerprint(json_string_value(ov), fp);
				if (strcmp(fp, json_string_value(v)) == 0 &&
				    json_object_set(node, k, (json_t *)ov) == 0)
					n++;
			} else
				n += restore_walk(v, ov, s);
		}
	} else if (json_is_array(node) && json_is_array(old)) {
		json_array_foreach(node, i, v) {
			const json_t *ov = json_array_get(old, i);

			if (ov == NULL)
				break;
			if (secret && json_is_string(v) && json_is_string(ov)) {
				ck_fingerprint(json_string_value(ov), fp);
				if (strcmp(fp, json_string_value(v)) == 0 &&
				    json_array_set(node, i, (json_t *)ov) == 0)
					n++;
			} else
				n += restore_walk(v, ov, secret);
		}
	}
	return n;
}

int
ck_redact_restore(json_t *doc, const json_t *old)
{
	if (doc == NULL || old == NULL)
		return 0;
	return restore_walk(doc, old, 0);
}
