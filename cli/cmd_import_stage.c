/* `clawkeeper import-stage ARCHIVE --staging DIR [--json]`: extract and
 * lay out an OpenClaw backup (or state-dir tar.gz) into a new staging dir
 * and print the import report. Touches nothing outside DIR; the `import`
 * operation installs what this stages.
 *
 * Exit codes: 0 staged, 1 refused or failed (DIR removed), 64 usage. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clawkeeper/backup.h"
#include "clawkeeper/fileio.h"
#include "commands.h"

static int
usage(FILE *out, int rc)
{
	fprintf(out, "usage: clawkeeper import-stage ARCHIVE --staging DIR [--json]\n"
		"         [--state-dir PATH] [--workspace-dir PATH]\n"
		"         [--max-bytes N] [--max-entries N] [--max-file-bytes N] [--max-ratio N]\n"
		"  DIR must not exist; it gets state/ and workspace[-N]/.\n"
		"  --state-dir/--workspace-dir: the managed paths written into openclaw.json\n"
		"  (default: the staged paths).\n");
	return rc;
}

static char *
absolute(const char *p)
{
	char cwd[PATH_MAX];

	if (p[0] == '/')
		return strdup(p);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	return ck_path_join(cwd, p);
}

static void
print_text(json_t *r)
{
	json_t *v;
	size_t i;

	printf("format: %s (OpenClaw %s)\n", json_string_value(json_object_get(r, "format")),
	       json_string_value(json_object_get(r, "runtime_version")) ?
	       json_string_value(json_object_get(r, "runtime_version")) : "unknown");
	printf("staged: %s\n", json_string_value(json_object_get(json_object_get(r,
		"staging"), "state_dir")));
	json_array_foreach(json_object_get(r, "remaps"), i, v)
		printf("remap: %s: %s -> %s\n", json_string_value(json_object_get(v, "where")),
		       json_string_value(json_object_get(v, "from")),
		       json_string_value(json_object_get(v, "to")));
	json_array_foreach(json_object_get(r, "warnings"), i, v)
		printf("warning: %s: %s\n", json_string_value(json_object_get(v, "code")),
		       json_string_value(json_object_get(v, "message")));
}

int
ck_cmd_import_stage(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "staging", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "workspace-dir", required_argument, NULL, 'W' },
		{ "max-bytes", required_argument, NULL, 'b' },
		{ "max-entries", required_argument, NULL, 'e' },
		{ "max-file-bytes", required_argument, NULL, 'f' },
		{ "max-ratio", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ck_archive_limits lim = { 0 };
	struct ck_backup_opts opts = { 0 };
	struct ck_error err;
	json_t *report = NULL;
	char *staging = NULL;
	int c, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': staging = absolute(optarg); break;
		case 'j': json = 1; break;
		case 'S': opts.new_state_dir = optarg; break;
		case 'W': opts.new_workspace_dir = optarg; break;
		case 'b': lim.max_total_bytes = strtoull(optarg, NULL, 10); break;
		case 'e': lim.max_entries = strtoull(optarg, NULL, 10); break;
		case 'f': lim.max_file_bytes = strtoull(optarg, NULL, 10); break;
		case 'r': lim.max_ratio = strtoull(optarg, NULL, 10); break;
		case 'h': free(staging); return usage(stdout, 0);
		default: free(staging); return usage(stderr, 64);
		}
	}
	if (optind != argc - 1 || staging == NULL) {
		free(staging);
		return usage(stderr, 64);
	}
	opts.staging_dir = staging;
	opts.limits = &lim;
	rc = ck_backup_stage(argv[optind], &opts, &report, &err);
	if (rc < 0) {
		fprintf(stderr, "clawkeeper import-stage: %s\n", err.msg);
		free(staging);
		return 1;
	}
	if (json) {
		char *s = json_dumps(report, JSON_INDENT(2));

		printf("%s\n", s != NULL ? s : "{}");
		free(s);
	} else {
		print_text(report);
	}
	json_decref(report);
	free(staging);
	return 0;
}
