/* `clawkeeper regenerate`, `upgrade` and `import`: the same operations as
 * POST /v1/regenerate, /v1/upgrades and /v1/imports, run in the
 * foreground from the agent config. A supervised gateway belongs to the
 * serving agent, so with the supervise driver these ask that agent
 * through its API, signed with the first HMAC key of its config. Either
 * way each step is shown as it starts and ends, with the time since the
 * start, and the command exits with the operation's outcome.
 *
 * Exit codes: 0 succeeded, 1 failed or rolled back, 4 another operation
 * is running, 3 cannot start (config, journal, agent unreachable), 64
 * usage or parameters refused. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/clock.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/engine.h"
#include "clawkeeper/journal.h"
#include "clawkeeper/timeparse.h"
#include "client.h"
#include "commands.h"

#define POLL_MS 250
#define LOST_MS 120000  /* no answer about the operation that long: give up */
#define STEPS_MAX 32

/* What has been shown of each step, so a change prints once. */
struct progress {
	long long t0;
	char shown[STEPS_MAX][16];
};

static int
final_state(const json_t *op)
{
	const char *st = json_string_value(json_object_get(op, "state"));

	return st != NULL && (strcmp(st, "succeeded") == 0 ||
	    strcmp(st, "failed") == 0 || strcmp(st, "rolled_back") == 0);
}

/* Prints the steps whose state changed since the last call. */
static void
progress_show(struct progress *p, const json_t *op)
{
	const json_t *steps = json_object_get(op, "steps"), *s;
	size_t i;

	json_array_foreach(steps, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));
		const char *st = json_string_value(json_object_get(s, "state"));
		const char *msg = json_string_value(json_object_get(s, "message"));
		const char *a = json_string_value(json_object_get(s, "started_at"));
		const char *b = json_string_value(json_object_get(s, "ended_at"));
		long long sa, sb;

		if (i >= STEPS_MAX || st == NULL || name == NULL ||
		    strcmp(st, p->shown[i]) == 0 || strcmp(st, "pending") == 0)
			continue;
		printf("[%6.1fs] %-18s %-8s", (double)(ck_clock_mono_ms() - p->t0) / 1000,
		    name, st);
		if (strcmp(st, "running") != 0 && a != NULL && b != NULL &&
		    ck_time_parse(a, 0, &sa) == 0 && ck_time_parse(b, 0, &sb) == 0)
			printf(" %.1fs", (double)(sb - sa) / 1000);
		if (msg != NULL && strcmp(st, "running") != 0)
			printf("  %s", msg);
		putchar('\n');
		fflush(stdout);
		snprintf(p->shown[i], sizeof(p->shown[i]), "%s", st);
	}
}

/* The steps were shown as they happened: the outcome alone, or the
 * record for --json. */
static void
print_outcome(const json_t *op, int json_out)
{
	if (json_out)
		ck_cli_print_json(op);
	else
		ck_cli_print_op(op, 0);
}

static int
outcome_rc(const json_t *op)
{
	const char *st = json_string_value(json_object_get(op, "state"));

	return st != NULL && strcmp(st, "succeeded") == 0 ? 0 : 1;
}

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

/* The operation asked of the serving agent, then followed to its end. */
static int
via_agent(const char *cmd, const struct ck_agentconf *conf, const json_t *params,
    const char *idem, int json_out)
{
	const char *archive = json_string_value(json_object_get(params, "archive"));
	const char *headers[2];
	char *addr = ck_cli_agent_address(cmd, conf), *body = NULL, *idem_h = NULL;
	char path[96], id[CK_OP_ID_MAX];
	struct ck_client cl = { 0 };
	struct ck_request_out r = { 0 };
	struct progress p = { .t0 = ck_clock_mono_ms() };
	struct ck_error err;
	json_t *op = NULL;
	long status;
	int n = 0, rc = 3, lost_ms = 0;

	if (addr == NULL)
		return 3;
	if (conf->n_keys == 0) {
		fprintf(stderr, "clawkeeper %s: the gateway is supervised by the serving "
		    "agent, and its config has no HMAC key to sign a request with; ask "
		    "it with clawkeeper call\n", cmd);
		free(addr);
		return 3;
	}
	cl.agent = addr;
	cl.key_id = conf->keys[0].id;
	cl.key = conf->keys[0].key;
	cl.key_len = conf->keys[0].key_len;
	r.method = "POST";
	r.path = strcmp(cmd, "upgrade") == 0 ? "/v1/upgrades" :
	    strcmp(cmd, "import") == 0 ? "/v1/imports" : "/v1/regenerate";
	if (archive != NULL) {
		r.body_file = archive;
		headers[n++] = "Content-Type: application/gzip";
	} else {
		body = json_dumps(params, JSON_COMPACT);
		r.body = body;
		r.body_len = body != NULL ? strlen(body) : 0;
	}
	if (idem != NULL && (idem_h = ck_strdup_printf("Idempotency-Key: %s", idem)) != NULL)
		headers[n++] = idem_h;
	r.headers = headers;
	r.n_headers = n;
	r.timeout_s = 3600;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	op = ck_cli_agent_call(&cl, &r, &status, &err);
	if (status != 202 && status != 200) {
		const char *m = json_string_value(json_object_get(json_object_get(op,
		    "error"), "message"));

		fprintf(stderr, "clawkeeper %s: %s%s\n", cmd, status ? "the agent answered: " : "",
		    m != NULL ? m : err.msg);
		rc = status == 409 ? 4 : status >= 400 && status < 500 && status != 401 &&
		    status != 403 ? 64 : 3;
		goto out;
	}
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(op, "id")));
	if (!ck_op_id_valid(id)) {
		fprintf(stderr, "clawkeeper %s: the agent's answer names no operation\n", cmd);
		goto out;
	}
	if (!json_out)
		printf("operation %s (%s) started by the serving agent at %s\n", id, cmd, addr);
	snprintf(path, sizeof(path), "/v1/operations/%s", id);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.path = path;
	r.timeout_s = 30;
	for (;;) {
		json_t *now;

		if (!json_out)
			progress_show(&p, op);
		if (final_state(op))
			break;
		ck_clock_sleep_ms(POLL_MS);
		now = ck_cli_agent_call(&cl, &r, &status, &err);
		if (now != NULL && status == 200) {
			json_decref(op);
			op = now;
			lost_ms = 0;
		} else {
			json_decref(now);
			/* the agent may be restarting (the operation is in its
			 * journal): keep asking, but not for ever */
			lost_ms += POLL_MS;
			if (lost_ms >= LOST_MS) {
				fprintf(stderr, "clawkeeper %s: no answer about %s from %s for %d s "
				    "(last: %s); it runs on: clawkeeper operations show %s\n", cmd, id,
				    addr, LOST_MS / 1000, status ? "an HTTP error" : err.msg, id);
				rc = 3;
				goto out;
			}
		}
	}
	print_outcome(op, json_out);
	rc = outcome_rc(op);
out:
	curl_global_cleanup();
	json_decref(op);
	free(body);
	free(idem_h);
	free(addr);
	return rc;
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
	const char *path = NULL;
	const char *key = NULL;
	struct ck_instance_opts io = { 0 };
	struct ck_opengine_conf ec;
	struct ck_agentconf *conf;
	struct ck_opengine *eng;
	struct ck_error err;
	json_t *params = json_object(), *source = json_object(), *op = NULL;
	enum ck_submit res;
	int json_out = 0, c, rc = 3;

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
	conf = ck_cli_conf_load(cmd, path);
	if (conf == NULL)
		goto out;
	if (conf->ops.gw.driver == CK_GATEWAY_SUPERVISE) {
		rc = via_agent(cmd, conf, params, key, json_out);
		ck_agentconf_free(conf);
		goto out;
	}
	if (conf->journal_dir == NULL || conf->settings_path == NULL) {
		fprintf(stderr, "clawkeeper %s: the agent config needs journal_dir and "
			"instance.settings_path\n", cmd);
		ck_agentconf_free(conf);
		goto out;
	}
	ck_agentconf_instance(conf, 0, &io);
	ck_opconf_engine(&conf->ops, conf->journal_dir, conf->settings_path, &io, &ec);
	eng = ck_opengine_new(&ec, &err);
	if (eng == NULL || ck_opengine_recover(eng, &err) < 0) {
		fprintf(stderr, "clawkeeper %s: %s\n", cmd, err.msg);
		ck_opengine_free(eng);
		ck_agentconf_free(conf);
		goto out;
	}
	res = ck_opengine_submit(eng, cmd, params, key, 1, &op, &err);
	if (res == CK_SUBMIT_BUSY) {
		fprintf(stderr, "clawkeeper %s: %s\n", cmd, err.msg);
		rc = 4;
	} else if (op == NULL) {
		fprintf(stderr, "clawkeeper %s: %s\n", cmd, err.msg);
		rc = res == CK_SUBMIT_INVALID ? 64 : 3;
	} else {
		char id[CK_OP_ID_MAX];
		struct progress p = { .t0 = ck_clock_mono_ms() };

		snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(op, "id")));
		if (!json_out)
			printf("operation %s (%s) started\n", id, cmd);
		for (;;) {
			int idle = ck_opengine_wait_for(eng, POLL_MS) == 0;
			json_t *now = ck_op_read(conf->journal_dir, id, &err);

			if (now != NULL) {
				json_decref(op);
				op = now;
			}
			if (!json_out)
				progress_show(&p, op);
			if (idle)
				break;
		}
		print_outcome(op, json_out);
		rc = outcome_rc(op);
	}
	ck_opengine_free(eng);
	ck_agentconf_free(conf);
out:
	json_decref(op);
	json_decref(source);
	json_decref(params);
	return rc;
}
