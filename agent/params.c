/* An operation's parameters, checked before anything is recorded: each
 * field's type and the fields each kind takes or requires. */
#include <string.h>

#include "clawkeeper/conftable.h"
#include "clawkeeper/version.h"

#include "engine_internal.h"

/* Each kind's fields (conftable.h, checked only: the steps read them);
 * target_version and source are checked below. */
static const struct ck_cf_field regenerate_fields[] = {
	{ "drill", CK_CF_BOOL, 0, .doc = "run the drill after the restart (default operations.drill)" },
};
static const struct ck_cf_field upgrade_fields[] = {
	{ "target_version", CK_CF_CUSTOM, 0, .doc = "the OpenClaw version to move to (required)" },
	{ "source", CK_CF_CUSTOM, 0, .doc = "{dir} or {url, sha256}: where the release comes from" },
	{ "allow_downgrade", CK_CF_BOOL, 0, .doc = "accept a target not newer than the running one" },
	{ "drill", CK_CF_BOOL, 0, .doc = "run the drill after the restart" },
};
static const struct ck_cf_field import_fields[] = {
	{ "archive", CK_CF_STRING, 0, .doc = "an uploaded archive (set by the server)" },
	{ "url", CK_CF_STRING, 0, .doc = "where to download the archive (https)" },
	{ "sha256", CK_CF_STRING, 0, .doc = "the archive's SHA-256 (required with url)" },
	{ "size", CK_CF_LLONG, 0, .lo = 1, .hi = 1LL << 42, .doc = "the archive's size in bytes" },
	{ "drill", CK_CF_BOOL, 0, .doc = "run the drill after the restart" },
};

static const struct ck_cf_section *
section_of(const char *kind)
{
	static const struct ck_cf_section sections[] = {
		{ "", regenerate_fields, CK_CF_N(regenerate_fields) },
		{ "", upgrade_fields, CK_CF_N(upgrade_fields) },
		{ "", import_fields, CK_CF_N(import_fields) },
	};

	return strcmp(kind, "upgrade") == 0 ? &sections[1] :
	    strcmp(kind, "import") == 0 ? &sections[2] : &sections[0];
}

int
ck_op_params_validate(const char *kind, const json_t *params, struct ck_error *err)
{
	struct ck_cf_ctx ctx = { NULL, err, 0, NULL };
	const json_t *v;

	if (params != NULL && !json_is_object(params)) {
		ck_error_set(err, "body: expected a JSON object");
		return -1;
	}
	ck_cf_read(&ctx, section_of(kind), params, NULL);
	if (ctx.n_bad > 0)
		return -1;
	v = json_object_get(params, "target_version");
	if (strcmp(kind, "upgrade") == 0) {
		struct ck_version tv;

		if (v == NULL) {
			ck_error_set(err, "target_version: required");
			return -1;
		}
		if (!json_is_string(v) || ck_version_parse(json_string_value(v), &tv) < 0) {
			ck_error_set(err, "target_version: expected an OpenClaw version "
				     "like 2026.9.6");
			return -1;
		}
		v = json_object_get(params, "source");
		if (v != NULL && !json_is_object(v)) {
			ck_error_set(err, "source: expected an object {dir} or {url, sha256}");
			return -1;
		}
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
