/* What the CLI's instance commands share: the agent config they act on
 * (--config, else $CLAWKEEPER_CONFIG, else /etc/clawkeeper/agent.json),
 * and how a document or an operation record is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/agentconf.h"
#include "commands.h"

const char *
ck_cli_conf_path(const char *opt)
{
	const char *env = getenv("CLAWKEEPER_CONFIG");

	return opt != NULL ? opt : env != NULL && *env ? env : CK_CLI_DEFAULT_CONFIG;
}

struct ck_agentconf *
ck_cli_conf_load(const char *cmd, const char *opt)
{
	struct ck_error err;
	struct ck_agentconf *conf = ck_agentconf_load(ck_cli_conf_path(opt),
	    NULL, &err);

	if (conf == NULL)
		fprintf(stderr, "clawkeeper %s: %s\n", cmd, err.msg);
	return conf;
}

void
ck_cli_instance_opts(const struct ck_agentconf *conf, struct ck_instance_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->state_dir = conf->state_dir;
	o->config_path = conf->config_path;
	o->openclaw_bin = conf->openclaw_bin;
	o->log_file = conf->log_file;
}

void
ck_cli_print_json(const json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}

void
ck_cli_print_op(const json_t *op)
{
	const json_t *steps = json_object_get(op, "steps");
	const json_t *s;
	size_t i;

	printf("operation %s (%s): %s, %lld restart(s)\n",
	       json_string_value(json_object_get(op, "id")),
	       json_string_value(json_object_get(op, "kind")),
	       json_string_value(json_object_get(op, "state")),
	       (long long)json_integer_value(json_object_get(op, "restarts")));
	json_array_foreach(steps, i, s)
		printf("  %-18s %-8s %s\n", json_string_value(json_object_get(s, "name")),
		       json_string_value(json_object_get(s, "state")),
		       json_string_value(json_object_get(s, "message")));
	s = json_object_get(json_object_get(op, "result"), "message");
	if (s != NULL)
		printf("result: %s\n", json_string_value(s));
}
