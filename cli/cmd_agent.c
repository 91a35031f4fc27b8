/* `clawkeeper agent` and `clawkeeper metrics`: what GET /v1/agent and GET
 * /metrics answer, asked of the serving agent at the address of its
 * config (metrics signed with the config's first HMAC key).
 *
 * Exit codes: 0 answered, 3 the agent cannot be reached or refused, 64
 * usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "clawkeeper/agentconf.h"
#include "client.h"
#include "commands.h"

static int
agent_usage(FILE *out, const char *cmd, int rc)
{
	fprintf(out, "usage: clawkeeper %s [--config FILE]\n  %s\n", cmd,
	    strcmp(cmd, "metrics") == 0 ?
	    "the serving agent's /metrics (Prometheus text), signed with its config's HMAC key" :
	    "the serving agent's name, version, uptime and instance id (GET /v1/agent)");
	return rc;
}

int
ck_cmd_agent(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0], *config = NULL;
	int metrics = strcmp(cmd, "metrics") == 0, c, rc = 3;
	struct ck_client cl = { 0 };
	struct ck_request_out r = { 0 };
	struct ck_response resp;
	struct ck_agentconf *conf;
	struct ck_error err;
	char *addr;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'h': return agent_usage(stdout, cmd, 0);
		default: return agent_usage(stderr, cmd, 64);
		}
	}
	if (optind != argc)
		return agent_usage(stderr, cmd, 64);
	conf = ck_cli_conf_load(cmd, config);
	if (conf == NULL)
		return 3;
	addr = ck_cli_agent_address(cmd, conf);
	if (addr == NULL)
		goto out;
	if (metrics && conf->n_keys == 0) {
		fprintf(stderr, "clawkeeper metrics: the agent config has no HMAC key to sign "
		    "with; ask it with clawkeeper call GET /metrics\n");
		goto out;
	}
	cl.agent = addr;
	if (metrics) {
		cl.key_id = conf->keys[0].id;
		cl.key = conf->keys[0].key;
		cl.key_len = conf->keys[0].key_len;
	}
	r.method = "GET";
	r.path = metrics ? "/metrics" : "/v1/agent";
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (ck_client_send(&cl, &r, &resp, &err) != 0) {
		fprintf(stderr, "clawkeeper %s: %s\n", cmd, err.msg);
	} else {
		if (resp.status == 200) {
			fwrite(resp.body ? resp.body : "", 1, resp.len, stdout);
			if (resp.len > 0 && resp.body[resp.len - 1] != '\n')
				putchar('\n');
			rc = 0;
		} else {
			fprintf(stderr, "clawkeeper %s: HTTP %ld: %.300s\n", cmd, resp.status,
			    resp.body ? resp.body : "");
		}
		ck_response_free(&resp);
	}
	curl_global_cleanup();
out:
	free(addr);
	ck_agentconf_free(conf);
	return rc;
}
