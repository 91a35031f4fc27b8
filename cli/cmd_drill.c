/* `clawkeeper drill`: run the fallback drill (agent/drill.c) on an
 * instance's config with a given OpenClaw install, and say whether the
 * chain failed over. Exit 0 passed, 1 failed, 3 could not run, 64 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/drill.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/json5.h"
#include "commands.h"

struct drill_args {
	const char *state_dir, *config, *openclaw, *agent, *chain;
	int json, keep, timeout_s;
	char *stub_rules[16];
	size_t n_stub;
};

static void
drill_usage(FILE *out)
{
	fprintf(out,
		"usage: clawkeeper drill --state-dir D [--config F] [--openclaw CMD]\n"
		"                        [--agent ID] [--chain P/M,P/M,...] [--stub PREFIX=ANSWER]\n"
		"                        [--timeout S] [--keep] [--json]\n"
		"  --openclaw CMD   the OpenClaw to run, e.g. \"node /x/openclaw/openclaw.mjs\"\n"
		"                   (default: openclaw on PATH)\n"
		"  --chain          the planned chain (default: the agent's chain in the config)\n"
		"  --stub P=A       answer requests under path P (/<provider>/...) with A:\n"
		"                   401 (default), 429 or ok\n"
		"The config is copied into a temp dir; the instance is not touched.\n");
}

static int
parse_args(int argc, char **argv, struct drill_args *a)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "openclaw", required_argument, NULL, 'o' },
		{ "agent", required_argument, NULL, 'a' },
		{ "chain", required_argument, NULL, 'C' },
		{ "stub", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keep", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': a->state_dir = optarg; break;
		case 'c': a->config = optarg; break;
		case 'o': a->openclaw = optarg; break;
		case 'a': a->agent = optarg; break;
		case 'C': a->chain = optarg; break;
		case 't': a->timeout_s = atoi(optarg); break;
		case 'k': a->keep = 1; break;
		case 'j': a->json = 1; break;
		case 's':
			if (a->n_stub == sizeof(a->stub_rules) / sizeof(a->stub_rules[0]))
				return 64;
			a->stub_rules[a->n_stub++] = optarg;
			break;
		case 'h':
			drill_usage(stdout);
			return 0;
		default:
			drill_usage(stderr);
			return 64;
		}
	}
	if (optind != argc || (a->state_dir == NULL && a->config == NULL)) {
		drill_usage(stderr);
		return 64;
	}
	return -1;
}

static json_t *
chain_arg(const char *s)
{
	json_t *chain = json_array();
	char *copy = strdup(s), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		json_array_append_new(chain, json_string(tok));
	free(copy);
	return chain;
}

static struct ck_stub_provider *
stub_from_rules(const struct drill_args *a, struct ck_error *err)
{
	struct ck_stub_provider *stub;
	size_t i;

	if (a->n_stub == 0)
		return NULL;
	stub = ck_stub_provider_start(err);
	for (i = 0; stub != NULL && i < a->n_stub; i++) {
		char *rule = strdup(a->stub_rules[i]), *eq = strrchr(rule, '=');
		enum ck_stub_answer ans;

		if (eq == NULL || (*eq = '\0', ck_stub_answer_parse(eq + 1, &ans) < 0) ||
		    ck_stub_provider_route(stub, rule, NULL, ans, err) < 0) {
			if (eq == NULL || err->msg[0] == '\0')
				ck_error_set(err, "--stub %s: expected PREFIX=401|429|ok",
					     a->stub_rules[i]);
			ck_stub_provider_stop(stub);
			stub = NULL;
		}
		free(rule);
	}
	return stub;
}

static void
print_human(const json_t *r)
{
	const json_t *rec;
	size_t i;

	printf("drill with OpenClaw %s: %s\n", json_string_value(json_object_get(r, "version")),
	       json_is_true(json_object_get(r, "passed")) ? "PASSED" : "FAILED");
	printf("  %s\n", json_string_value(json_object_get(r, "message")));
	json_array_foreach(json_object_get(r, "records"), i, rec)
		printf("  %-20s candidate=%s reason=%s next=%s\n",
		       json_string_value(json_object_get(rec, "decision")),
		       json_string_value(json_object_get(rec, "candidate")),
		       json_string_value(json_object_get(rec, "reason")),
		       json_string_value(json_object_get(rec, "next")));
	printf("  turn exit code %lld, %lld ms, %zu stub requests\n",
	       json_integer_value(json_object_get(r, "exit_code")),
	       json_integer_value(json_object_get(r, "duration_ms")),
	       json_array_size(json_object_get(r, "stub_requests")));
	if (json_object_get(r, "dir") != NULL)
		printf("  kept %s\n", json_string_value(json_object_get(r, "dir")));
}

static int
drill_exec(const struct drill_args *a, struct ck_error *err)
{
	struct ck_drill_opts opts = { 0 };
	struct ck_gateway_conf gw;
	json_t *config = NULL, *chain = NULL, *result = NULL;
	char *cfg_path;
	int rc = 3;

	ck_gateway_conf_init(&gw);
	cfg_path = a->config ? strdup(a->config) : ck_path_join(a->state_dir, "openclaw.json");
	gw.openclaw_argv = ck_gateway_argv_split(a->openclaw ? a->openclaw : "openclaw");
	config = ck_json5_load_file(cfg_path, err);
	if (config == NULL)
		goto done;
	chain = a->chain ? chain_arg(a->chain) : ck_drill_chain_from_config(config, a->agent, err);
	if (chain == NULL)
		goto done;
	opts.agent_id = a->agent;
	opts.keep_dir = a->keep;
	opts.timeout_ms = a->timeout_s > 0 ? a->timeout_s * 1000 : 0;
	opts.stub = stub_from_rules(a, err);
	if (a->n_stub > 0 && opts.stub == NULL)
		goto done;
	result = ck_drill_run(&gw, config, chain, &opts, err);
	ck_stub_provider_stop(opts.stub);
	if (result == NULL)
		goto done;
	if (a->json) {
		json_dumpf(result, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		print_human(result);
	}
	rc = json_is_true(json_object_get(result, "passed")) ? 0 : 1;
done:
	json_decref(result);
	json_decref(chain);
	json_decref(config);
	free(cfg_path);
	ck_gateway_conf_free(&gw);
	return rc;
}

int
ck_cmd_drill(int argc, char **argv)
{
	struct drill_args a;
	struct ck_error err = { { 0 } };
	int rc;

	memset(&a, 0, sizeof(a));
	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	rc = drill_exec(&a, &err);
	if (rc == 3)
		fprintf(stderr, "clawkeeper drill: %s\n", err.msg);
	return rc;
}
