/* libFuzzer target for the import manifest parser (agent/backup.c
 * ck_backup_manifest_parse): the manifest comes from an end user's
 * archive. Any bytes give either a manifest whose root and paths passed
 * the checks, or an error that says "manifest.json...", never a crash.
 * Seeds: tests/fuzz/corpus/manifest/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_accepted(json_t *m)
{
	const char *root = json_string_value(json_object_get(m, "archiveRoot"));
	const char *sd = json_string_value(json_object_get(json_object_get(m, "paths"),
							   "stateDir"));

	/* What layout trusts once the parse said yes. */
	if (root == NULL || root[0] == '\0' || strchr(root, '/') != NULL ||
	    strcmp(root, "..") == 0 || strcmp(root, ".") == 0)
		abort();
	if (sd == NULL || sd[0] != '/' || strstr(sd, "/../") != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_error err;
	json_t *m;
	char *root;

	m = ck_backup_manifest_parse((const char *)data, size, NULL, &err);
	if (m == NULL) {
		if (strncmp(err.msg, "manifest.json", 13) != 0)
			abort();
		return 0;
	}
	check_accepted(m);
	/* The same bytes against their own root and against another. */
	root = strdup(json_string_value(json_object_get(m, "archiveRoot")));
	json_decref(m);
	if (root == NULL)
		return 0;
	m = ck_backup_manifest_parse((const char *)data, size, root, &err);
	if (m == NULL)
		abort();
	json_decref(m);
	m = ck_backup_manifest_parse((const char *)data, size, "not-the-root", &err);
	if (m != NULL && strcmp(root, "not-the-root") != 0)
		abort();
	json_decref(m);
	free(root);
	return 0;
}
