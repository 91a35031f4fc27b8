/* `clawkeeper config check FILE`: validate an agent config, naming every
 * unknown or bad field path-style, and check its key files (mode 0600).
 *
 * Exit codes: 0 valid, 1 invalid or unreadable, 64 usage. */
#include <stdio.h>
#include <string.h>

#include "clawkeeper/agentconf.h"
#include "commands.h"

int
ck_cmd_config(int argc, char **argv)
{
	struct ck_agentconf *conf;
	struct ck_error err;
	json_t *problems, *p;
	size_t i;

	if (argc != 3 || strcmp(argv[1], "check") != 0) {
		int help = argc == 2 && strcmp(argv[1], "--help") == 0;

		fprintf(help ? stdout : stderr, "usage: clawkeeper config check "
		    "FILE\n  validates an agent config (e.g. "
		    "/etc/clawkeeper/agent.json)\n");
		return help ? 0 : 64;
	}
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
