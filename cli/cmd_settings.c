/* `clawkeeper settings get|put`: the desired settings, as GET and PUT
 * /v1/instance/settings give and take them (the same agent functions,
 * agent/settings.c): secrets shown as fingerprints, and a PUT is a
 * compare-and-set on the ETag a get printed. A fingerprint left in place
 * keeps the stored secret.
 *
 *   clawkeeper settings get [--config F]        JSON on stdout, ETag on stderr
 *   clawkeeper settings put [--config F] [--if-match ETAG] FILE|-
 *
 * Exit codes: 0 done, 1 refused (stale ETag, If-Match needed, invalid
 * settings: the field named), 3 the settings cannot be read or written,
 * 64 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/settings.h"
#include "commands.h"

static void
settings_usage(FILE *out)
{
	fprintf(out, "usage: clawkeeper settings get [--config FILE]\n"
	    "       clawkeeper settings put [--config FILE] [--if-match ETAG] FILE|-\n"
	    "  get prints the settings (secrets as fingerprints) and, on stderr,\n"
	    "  their ETag; put replaces them when ETAG is still the stored one\n"
	    "  (or '*'); a fingerprint left in place keeps the stored secret\n");
}

static int
exit_code(enum ck_settings_result r)
{
	switch (r) {
	case CK_SETTINGS_OK: return 0;
	case CK_SETTINGS_MISSING:
	case CK_SETTINGS_NEED_MATCH:
	case CK_SETTINGS_STALE:
	case CK_SETTINGS_INVALID: return 1;
	default: return 3;
	}
}

static json_t *
read_doc(const char *file)
{
	json_error_t jerr;
	json_t *doc;
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");

	if (f == NULL) {
		fprintf(stderr, "clawkeeper settings put: %s: cannot open\n", file);
		return NULL;
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	if (f != stdin)
		fclose(f);
	if (doc == NULL)
		fprintf(stderr, "clawkeeper settings put: %s: line %d, column %d: %s\n",
		    file, jerr.line, jerr.column, jerr.text);
	return doc;
}

int
ck_cmd_settings(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "if-match", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *if_match = NULL, *verb;
	char etag[CK_SETTINGS_ETAG_LEN];
	struct ck_agentconf *conf;
	struct ck_error err;
	enum ck_settings_result r;
	json_t *doc = NULL, *out = NULL;
	int c;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		settings_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 64 : 0;
	}
	verb = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'm': if_match = optarg; break;
		case 'h': settings_usage(stdout); return 0;
		default: settings_usage(stderr); return 64;
		}
	}
	if (!((strcmp(verb, "get") == 0 && optind == argc && if_match == NULL) ||
	    (strcmp(verb, "put") == 0 && optind == argc - 1))) {
		settings_usage(stderr);
		return 64;
	}
	conf = ck_cli_conf_load("settings", config);
	if (conf == NULL)
		return 3;
	if (ck_cli_conf_require("settings", config, conf->settings_path,
	    "instance.settings_path") < 0) {
		ck_agentconf_free(conf);
		return 3;
	}
	if (strcmp(verb, "get") == 0) {
		r = ck_settings_get(conf->settings_path, &out, etag, &err);
	} else {
		doc = read_doc(argv[optind]);
		if (doc == NULL) {
			ck_agentconf_free(conf);
			return 1;
		}
		r = ck_settings_put(conf->settings_path, doc, if_match, &out, etag, &err);
	}
	ck_agentconf_free(conf);
	if (r == CK_SETTINGS_OK) {
		ck_cli_print_json(out);
		fprintf(stderr, "etag: %s\n", etag);
	} else {
		fprintf(stderr, "clawkeeper settings %s: %s\n", verb, err.msg);
	}
	json_decref(out);
	json_decref(doc);
	return exit_code(r);
}
