/* `clawkeeper operations list|show`: the operations journal, as GET
 * /v1/operations and /v1/operations/{id} give it (the same agent
 * functions, ck_op_list and ck_op_read).
 *
 *   clawkeeper operations list [--config F] [--json]   newest first
 *   clawkeeper operations show [--config F] [--json] ID
 *
 * Exit codes: 0 shown, 1 no such operation, 3 the journal cannot be
 * read, 64 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/journal.h"
#include "commands.h"

#define LIST_MAX 1000

static void
operations_usage(FILE *out)
{
	fprintf(out, "usage: clawkeeper operations list [--config FILE] [--json]\n"
	    "       clawkeeper operations show [--config FILE] [--json] ID\n");
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

static void
print_list(const json_t *ops)
{
	const json_t *op;
	size_t i;

	printf("%-30s %-10s %-12s %-24s %s\n", "id", "kind", "state", "created",
	    "restarts");
	json_array_foreach(ops, i, op)
		printf("%-30s %-10s %-12s %-24s %lld\n", str(op, "id"), str(op, "kind"),
		    str(op, "state"), str(op, "created_at"),
		    (long long)json_integer_value(json_object_get(op, "restarts")));
}

int
ck_cmd_operations(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *verb;
	struct ck_agentconf *conf;
	struct ck_error err;
	json_t *doc;
	int c, json_out = 0, rc = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		operations_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 64 : 0;
	}
	verb = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'j': json_out = 1; break;
		case 'h': operations_usage(stdout); return 0;
		default: operations_usage(stderr); return 64;
		}
	}
	if (!((strcmp(verb, "list") == 0 && optind == argc) ||
	    (strcmp(verb, "show") == 0 && optind == argc - 1))) {
		operations_usage(stderr);
		return 64;
	}
	conf = ck_cli_conf_load("operations", config);
	if (conf == NULL)
		return 3;
	if (ck_cli_conf_require("operations", config, conf->journal_dir, "journal_dir") < 0) {
		ck_agentconf_free(conf);
		return 3;
	}
	if (strcmp(verb, "list") == 0) {
		doc = ck_op_list(conf->journal_dir, LIST_MAX, &err);
		if (doc == NULL)
			rc = 3;
		else if (json_out) {
			json_t *wrapped = json_pack("{s:O}", "operations", doc);

			ck_cli_print_json(wrapped);
			json_decref(wrapped);
		} else
			print_list(doc);
	} else if (!ck_op_id_valid(argv[optind])) {
		doc = NULL;
		rc = 1;
	} else {
		doc = ck_op_read(conf->journal_dir, argv[optind], &err);
		if (doc == NULL)
			rc = strncmp(err.msg, "not found", 9) == 0 ? 1 : 3;
		else if (json_out)
			ck_cli_print_json(doc);
		else
			ck_cli_print_op(doc, 1);
	}
	if (rc == 1)
		fprintf(stderr, "clawkeeper operations show: no operation %s in %s\n",
		    argv[optind], conf->journal_dir);
	else if (rc != 0)
		fprintf(stderr, "clawkeeper operations %s: %s\n", verb, err.msg);
	json_decref(doc);
	ck_agentconf_free(conf);
	return rc;
}
