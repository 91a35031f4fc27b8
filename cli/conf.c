/* What the CLI's instance commands share: the agent config they act on
 * (--config, else $CLAWKEEPER_CONFIG, else /etc/clawkeeper/agent.json),
 * and how a document or an operation record is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/fileio.h"
#include "client.h"
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

int
ck_cli_conf_require(const char *cmd, const char *opt, const char *value,
    const char *field)
{
	if (value != NULL)
		return 0;
	fprintf(stderr, "clawkeeper %s: %s has no %s\n", cmd, ck_cli_conf_path(opt), field);
	return -1;
}

void
ck_cli_print_json(const json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}

void
ck_cli_print_op(const json_t *op, int with_steps)
{
	const json_t *steps = json_object_get(op, "steps");
	const json_t *s;
	size_t i;

	printf("operation %s (%s): %s, %lld restart(s)\n",
	       json_string_value(json_object_get(op, "id")),
	       json_string_value(json_object_get(op, "kind")),
	       json_string_value(json_object_get(op, "state")),
	       (long long)json_integer_value(json_object_get(op, "restarts")));
	if (with_steps)
		json_array_foreach(steps, i, s)
			printf("  %-18s %-8s %s\n", json_string_value(json_object_get(s, "name")),
			       json_string_value(json_object_get(s, "state")),
			       json_string_value(json_object_get(s, "message")));
	s = json_object_get(json_object_get(op, "result"), "message");
	if (s != NULL)
		printf("result: %s\n", json_string_value(s));
}

/* The serving agent's address for this CLI, or NULL after saying why. */
char *
ck_cli_agent_address(const char *cmd, const struct ck_agentconf *conf)
{
	const char *host = conf->host;

	if (conf->unix_path != NULL)
		return ck_strdup_printf("unix:%s", conf->unix_path);
	if (conf->tls_cert != NULL) {
		fprintf(stderr, "clawkeeper %s: the agent listens with TLS and client "
		    "certificates; ask it with clawkeeper call --cacert\n", cmd);
		return NULL;
	}
	if (host == NULL || strcmp(host, "0.0.0.0") == 0 || *host == '\0')
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "[::1]";
	return ck_strdup_printf("http://%s%s%s:%u", strchr(host, ':') && host[0] != '[' ?
	    "[" : "", host, strchr(host, ':') && host[0] != '[' ? "]" : "", conf->port);
}

/* One signed request; the answer parsed as JSON (NULL when it is not). */
json_t *
ck_cli_agent_call(const struct ck_client *cl, const struct ck_request_out *r, long *status,
    struct ck_error *err)
{
	struct ck_response resp;
	json_t *doc;

	*status = 0;
	if (ck_client_send(cl, r, &resp, err) != 0)
		return NULL;
	*status = resp.status;
	doc = resp.body != NULL ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
	if (doc == NULL)
		ck_error_set(err, "HTTP %ld with no JSON answer", resp.status);
	ck_response_free(&resp);
	return doc;
}
