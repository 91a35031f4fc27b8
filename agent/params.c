/* An operation's parameters, checked before anything is recorded: each
 * field's type and the fields each kind takes or requires. */
#include <string.h>

#include "clawkeeper/version.h"

#include "engine_internal.h"

int
ck_op_params_validate(const char *kind, const json_t *params, struct ck_error *err)
{
	const char *key;
	json_t *v;

	if (params != NULL && !json_is_object(params)) {
		ck_error_set(err, "body: expected a JSON object");
		return -1;
	}
	json_object_foreach((json_t *)params, key, v) {
		if (strcmp(key, "drill") == 0 || strcmp(key, "allow_downgrade") == 0) {
			if (!json_is_boolean(v)) {
				ck_error_set(err, "%s: expected true or false", key);
				return -1;
			}
		} else if (strcmp(kind, "upgrade") == 0 && strcmp(key, "target_version") == 0) {
			struct ck_version tv;

			if (!json_is_string(v) || ck_version_parse(json_string_value(v), &tv) < 0) {
				ck_error_set(err, "target_version: expected an OpenClaw version "
					     "like 2026.9.6");
				return -1;
			}
		} else if (strcmp(kind, "import") == 0 && (strcmp(key, "archive") == 0 ||
			   strcmp(key, "url") == 0 || strcmp(key, "sha256") == 0)) {
			if (!json_is_string(v) || json_string_length(v) == 0) {
				ck_error_set(err, "%s: expected a non-empty string", key);
				return -1;
			}
		} else if (strcmp(kind, "import") == 0 && strcmp(key, "size") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0) {
				ck_error_set(err, "size: expected the archive's size in bytes");
				return -1;
			}
		} else if (strcmp(kind, "upgrade") == 0 && strcmp(key, "source") == 0) {
			if (!json_is_object(v)) {
				ck_error_set(err, "source: expected an object {dir} or {url, sha256}");
				return -1;
			}
		} else {
			ck_error_set(err, "%s: unknown field for %s", key, kind);
			return -1;
		}
	}
	if (strcmp(kind, "upgrade") == 0 && json_object_get(params, "target_version") == NULL) {
		ck_error_set(err, "target_version: required");
		return -1;
	}
	if (strcmp(kind, "import") == 0) {
		int has_url = json_object_get(params, "url") != NULL;
		int has_archive = json_object_get(params, "archive") != NULL;

		if (has_url == has_archive) {
			ck_error_set(err, "import: give either the archive or {url, sha256, size}");
			return -1;
		}
		if (has_url && json_object_get(params, "sha256") == NULL) {
			ck_error_set(err, "sha256: required with url (checked before anything "
				     "is extracted)");
			return -1;
		}
	}
	return 0;
}
