/* `clawkeeper regenerate`, `upgrade` and `import`: the same operations as
 * POST /v1/regenerate, /v1/upgrades and /v1/imports, run in the foreground from the
 * agent config. A supervised gateway belongs to the serving agent, so
 * with the supervise driver these go through its API instead.
 *
 * Exit codes: 0 succeeded, 1 failed or rolled back, 4 another operation
 * is running, 3 cannot start (config, journal), 64 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/operation.h"
#include "commands.h"

#define DEFAULT_CONFIG "/etc/clawkeeper/agent.json"

static void
ops_usage(FILE *out, const char *cmd)
{
	if (strcmp(cmd, "import") == 0)
		fprintf(out, "usage: clawkeeper import [--config FILE] ARCHIVE\n"
			"       clawkeeper import [--config FILE] --url URL --sha256 HEX [--size BYTES]\n"
			"         [--drill] [--idempotency-key KEY] [--json]\n"
			"  ARCHIVE: an `openclaw backup create` archive or a tar.gz of ~/.openclaw\n");
	else if (strcmp(cmd, "upgrade") == 0)
		fprintf(out, "usage: clawkeeper upgrade --to VERSION [--config FILE]\n"
			"         [--source-dir DIR | --url URL --sha256 HEX]\n"
			"         [--allow-downgrade] [--drill | --no-drill]\n"
			"         [--idempotency-key KEY] [--json]\n");
	else
		fprintf(out, "usage: clawkeeper regenerate [--config FILE] [--drill]\n"
			"         [--idempotency-key KEY] [--json]\n");
}

static void
print_op(const json_t *op)
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

int
ck_cmd_ops(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 't' },
		{ "source-dir", required_argument, NULL, 'd' },
		{ "url", required_argument, NULL, 'u' },
		{ "sha256", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'S' },
		{ "allow-downgrade", no_argument, NULL, 'a' },
		{ "drill", no_argument, NULL, 'D' },
		{ "no-drill", no_argument, NULL, 'N' },
		{ "idempotency-key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	const char *path = getenv("CLAWKEEPER_CONFIG");
	const char *key = NULL;
	struct ck_instance_opts io = { 0 };
	struct ck_opengine_conf ec;
	struct ck_agentconf *conf;
	struct ck_opengine *eng;
	struct ck_error err;
	json_t *params = json_object(), *source = json_object(), *op = NULL;
	enum ck_submit res;
	int json_out = 0, c, rc = 3;
	const char *state;

	optind = 1;
	for (;;) {
		c = getopt_long(argc, argv, "", longopts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'c': path = optarg; break;
		case 't': json_object_set_new(params, "target_version", json_string(optarg)); break;
		case 'd': json_object_set_new(source, "dir", json_string(optarg)); break;
		case 'u': json_object_set_new(source, "url", json_string(optarg)); break;
		case 's': json_object_set_new(source, "sha256", json_string(optarg)); break;
		case 'S': json_object_set_new(source, "size", json_integer(strtoll(optarg, NULL, 10))); break;
		case 'a': json_object_set_new(params, "allow_downgrade", json_true()); break;
		case 'D': json_object_set_new(params, "drill", json_true()); break;
		case 'N': json_object_set_new(params, "drill", json_false()); break;
		case 'k': key = optarg; break;
		case 'j': json_out = 1; break;
		case 'h': ops_usage(stdout, cmd); rc = 0; goto out;
		default: ops_usage(stderr, cmd); rc = 64; goto out;
		}
	}
	if (strcmp(cmd, "import") == 0) {
		/* The archive or the URL, at the top level of the params. */
		if (optind == argc - 1) {
			char *abs = realpath(argv[optind], NULL);

			if (abs == NULL) {
				fprintf(stderr, "clawkeeper import: %s: no such file\n", argv[optind]);
				rc = 64;
				goto out;
			}
			json_object_set_new(params, "archive", json_string(abs));
			free(abs);
			optind++;
		}
		json_object_update(params, source);
		json_object_clear(source);
	}
	if (optind != argc || (strcmp(cmd, "regenerate") == 0 &&
	    (json_object_get(params, "target_version") || json_object_size(source)))) {
		ops_usage(stderr, cmd);
		rc = 64;
		goto out;
	}
	if (json_object_size(source) > 0)
		json_object_set(params, "source", source);
	conf = ck_agentconf_load(path ? path : DEFAULT_CONFIG, NULL, &err);
	if (conf == NULL) {
		fprintf(stderr, "clawkeeper %s: %s\n", cmd, err.msg);
		goto out;
	}
	if (conf->ops.gw.driver == CK_GATEWAY_SUPERVISE) {
		fprintf(stderr, "clawkeeper %s: the gateway is supervised by the serving agent; "
			"ask it: clawkeeper call POST /v1/%s\n", cmd,
			strcmp(cmd, "upgrade") == 0 ? "upgrades" :
			strcmp(cmd, "import") == 0 ? "imports" : "regenerate");
		ck_agentconf_free(conf);
		goto out;
	}
	if (conf->journal_dir == NULL || conf->settings_path == NULL) {
		fprintf(stderr, "clawkeeper %s: the agent config needs journal_dir and "
			"instance.settings_path\n", cmd);
		ck_agentconf_free(conf);
		goto out;
	}
	io.state_dir = conf->state_dir;
	io.config_path = conf->config_path;
	io.log_file = conf->log_file;
	ck_opconf_engine(&conf->ops, conf->journal_dir, conf->settings_path, &io, &ec);
	eng = ck_opengine_new(&ec, &err);
	if (eng == NULL || ck_opengine_recover(eng, &err) < 0) {
		fprintf(stderr, "clawkeeper %s: %s\n", cmd, err.msg);
		ck_opengine_free(eng);
		ck_agentconf_free(conf);
		goto out;
	}
	res = ck_opengine_submit(eng, cmd, params, key, 0, &op, &err);
	ck_opengine_free(eng);
	ck_agentconf_free(conf);
	if (res == CK_SUBMIT_BUSY) {
		fprintf(stderr, "clawkeeper %s: %s\n", cmd, err.msg);
		rc = 4;
		goto out;
	}
	if (op == NULL) {
		fprintf(stderr, "clawkeeper %s: %s\n", cmd, err.msg);
		rc = res == CK_SUBMIT_INVALID ? 64 : 3;
		goto out;
	}
	if (json_out) {
		json_dumpf(op, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		print_op(op);
	}
	state = json_string_value(json_object_get(op, "state"));
	rc = state != NULL && strcmp(state, "succeeded") == 0 ? 0 : 1;
out:
	json_decref(op);
	json_decref(source);
	json_decref(params);
	return rc;
}
