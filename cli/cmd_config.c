/* `clawkeeper config check FILE`: validate an agent config, naming every
 * unknown or bad field path-style, and check its key files (mode 0600).
 * `clawkeeper config show [--config FILE]`: the instance's live OpenClaw
 * config as GET /v1/instance/config gives it ({path, version, config},
 * secrets as fingerprints; the same agent function).
 *
 * Exit codes: 0 valid / shown, 1 invalid, unreadable or missing, 64 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/conftable.h"
#include "clawkeeper/gateway.h"
#include "clawkeeper/gwwatch.h"
#include "clawkeeper/instance.h"
#include "clawkeeper/opconf.h"
#include "commands.h"

static int
config_usage(FILE *out, int rc)
{
	fprintf(out, "usage: clawkeeper config check FILE\n"
	    "  validates an agent config (e.g. /etc/clawkeeper/agent.json)\n"
	    "       clawkeeper config show [--config FILE]\n"
	    "  prints the instance's live OpenClaw config, secrets as fingerprints\n"
	    "       clawkeeper config fields [--json]\n"
	    "  every field of the agent config: path, type, bounds, default\n");
	return rc;
}

/* Every field of the agent config, from the tables the reader uses. */
static int
config_fields(int argc, char **argv)
{
	const struct ck_cf_section *all[16];
	size_t n = 0, i;
	json_t *d, *f;
	int json_out = argc == 3 && strcmp(argv[2], "--json") == 0;

	if (argc > 3 || (argc == 3 && !json_out))
		return config_usage(stderr, 64);
	for (i = 0; i < ck_agentconf_n_sections && n < 16; i++)
		all[n++] = ck_agentconf_sections[i];
	all[n++] = &ck_opconf_section;
	all[n++] = &ck_gateway_section;
	all[n++] = &ck_gwwatch_section;
	d = ck_cf_describe(all, n);
	if (json_out)
		ck_cli_print_json(d);
	else
		json_array_foreach(d, i, f) {
			json_t *dflt = json_object_get(f, "default");
			char *dt = dflt ? json_dumps(dflt, JSON_ENCODE_ANY) : NULL;

			printf("%-40s %-8s %s%s%s\n", json_string_value(json_object_get(f, "path")),
			    json_string_value(json_object_get(f, "type")),
			    json_string_value(json_object_get(f, "doc")),
			    dt ? "; default " : "", dt ? dt : "");
			free(dt);
		}
	json_decref(d);
	return 0;
}

static int
config_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	struct ck_instance_opts io;
	struct ck_agentconf *conf;
	struct ck_error err;
	json_t *doc;
	int c;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'h': return config_usage(stdout, 0);
		default: return config_usage(stderr, 64);
		}
	}
	if (optind != argc)
		return config_usage(stderr, 64);
	conf = ck_cli_conf_load("config show", config);
	if (conf == NULL)
		return 1;
	ck_agentconf_instance(conf, 0, &io);
	if (ck_instance_config_show(&io, &doc, &err) != CK_CONFIG_SHOWN) {
		fprintf(stderr, "clawkeeper config show: %s\n", err.msg);
		ck_agentconf_free(conf);
		return 1;
	}
	ck_cli_print_json(doc);
	json_decref(doc);
	ck_agentconf_free(conf);
	return 0;
}

int
ck_cmd_config(int argc, char **argv)
{
	struct ck_agentconf *conf;
	struct ck_error err;
	json_t *problems, *p;
	size_t i;

	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return config_show(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "fields") == 0)
		return config_fields(argc, argv);
	if (argc != 3 || strcmp(argv[1], "check") != 0)
		return config_usage(argc == 2 && strcmp(argv[1], "--help") == 0 ?
		    stdout : stderr, argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 64);
	problems = json_array();
	if (problems == NULL)
		return 1;
	conf = ck_agentconf_load(argv[2], problems, &err);
	if (conf != NULL) {
		printf("%s: ok (%zu hmac key(s), %zu token(s), listen %s)\n",
		    argv[2], conf->n_keys, conf->n_tokens, conf->listen);
		ck_agentconf_free(conf);
		json_decref(problems);
		return 0;
	}
	json_array_foreach(problems, i, p) {
		const char *msg = json_string_value(p);

		/* load-level errors already start with the file name */
		if (strncmp(msg, argv[2], strlen(argv[2])) == 0)
			fprintf(stderr, "%s\n", msg);
		else
			fprintf(stderr, "%s: %s\n", argv[2], msg);
	}
	if (json_array_size(problems) == 0)
		fprintf(stderr, "%s\n", err.msg);
	json_decref(problems);
	return 1;
}
