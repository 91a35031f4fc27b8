/* Gateway control and verification: the parsers against every real
 * `--version` and `models status --json` capture in the fixtures, the
 * config checks, and the three drivers run for real against the fake
 * openclaw (tests/fake-openclaw/), a fake systemctl and shell commands. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/gateway.h"

#define OC CK_FIXTURES "/openclaw"
#define FAKE CK_SRC_DIR "/tests/fake-openclaw/openclaw"

/* ---- helpers ---- */

static char *
slurp(const char *path)
{
	struct ck_error err;
	char *buf = NULL;
	size_t len;

	if (ck_file_read(path, 16u << 20, &buf, &len, &err) < 0)
		fail_msg("%s", err.msg);
	return buf;
}

static unsigned
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static int
count_lines(const char *path, const char *needle)
{
	char *buf = NULL, *p;
	size_t len;
	struct ck_error err;
	int n = 0;

	if (ck_file_read(path, 1u << 20, &buf, &len, &err) < 0)
		return 0;
	for (p = buf; (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(buf);
	return n;
}

struct fake_env {
	char dir[64];
	char *state, *log;
};

/* A temp instance for the fake: state dir, config with gateway.port. */
static void
fake_env_init(struct fake_env *f, struct ck_gateway_conf *gw, unsigned port)
{
	struct ck_error err;
	char cfg[512];

	snprintf(f->dir, sizeof(f->dir), "/tmp/ck-test-gw-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->state = ck_path_join(f->dir, "state");
	f->log = ck_path_join(f->dir, "calls.log");
	assert_int_equal(ck_mkdir_p(f->state, 0700, &err), 0);
	setenv("FAKE_OPENCLAW_LOG", f->log, 1);
	ck_gateway_conf_init(gw);
	gw->openclaw_argv = ck_gateway_argv_split(FAKE);
	gw->state_dir = strdup(f->state);
	gw->config_path = ck_path_join(f->state, "openclaw.json");
	gw->home = strdup(f->dir);
	gw->output_path = ck_path_join(f->dir, "gateway.out");
	snprintf(cfg, sizeof(cfg), "{\"gateway\":{\"port\":%u},\"agents\":{\"defaults\":"
		 "{\"model\":{\"primary\":\"openai/gpt-5.5\",\"fallbacks\":[\"anthropic/"
		 "claude-sonnet-4-6\"]}}}}", port);
	assert_int_equal(ck_file_write_atomic(gw->config_path, cfg, strlen(cfg), 0600, &err), 0);
}

static void
fake_env_free(struct fake_env *f, struct ck_gateway_conf *gw)
{
	struct ck_error err;

	ck_gateway_stop(gw, &err);
	ck_gateway_conf_free(gw);
	ck_rm_rf(f->dir, &err);
	free(f->state);
	free(f->log);
	unsetenv("FAKE_OPENCLAW_LOG");
	unsetenv("FAKE_OPENCLAW_READY_AFTER_MS");
	unsetenv("FAKE_OPENCLAW_NOT_READY");
	unsetenv("FAKE_OPENCLAW_VERSION");
}

/* ---- parsers on real captures ---- */

static void
test_parse_version_fixtures(void **state)
{
	static const struct { const char *ver, *sha; } cases[] = {
		{ "2026.5.28", "e932160" }, { "2026.6.1", "2e08f0f" }, { "2026.9.6", "eb377ac" },
	};
	char ver[64], sha[16], path[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text;

		snprintf(path, sizeof(path), OC "/%s/gateway/version.stdout", cases[i].ver);
		text = slurp(path);
		assert_int_equal(ck_gateway_parse_version(text, ver, sizeof(ver), sha, sizeof(sha)), 0);
		assert_string_equal(ver, cases[i].ver);
		assert_string_equal(sha, cases[i].sha);
		free(text);
	}
	/* 9.6's --version --json prints only a TTY complaint. */
	{
		char *text = slurp(OC "/2026.9.6/gateway/version-json.stderr");

		assert_int_equal(ck_gateway_parse_version(text, ver, sizeof(ver), NULL, 0), -1);
		free(text);
	}
	assert_int_equal(ck_gateway_parse_version("warn: x\n\033[1mOpenClaw 2026.10.2-beta.1 (abc1234)\n",
						  ver, sizeof(ver), sha, sizeof(sha)), 0);
	assert_string_equal(ver, "2026.10.2-beta.1");
	assert_int_equal(ck_gateway_parse_version("OpenClaw TUI needs a TTY", ver, sizeof(ver), NULL, 0), -1);
	assert_int_equal(ck_gateway_parse_version("", ver, sizeof(ver), NULL, 0), -1);
}

/* Every models-status-json.stdout captured: the chain equals the file's
 * own defaultModel/fallbacks, and the seed chain where it is known. */
static void
walk_models_status(const char *dir, int *seen)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = ck_path_join(dir, e->d_name);
		if (strcmp(e->d_name, "models-status-json.stdout") == 0) {
			struct ck_error err;
			char *text = slurp(path);
			json_t *chain = ck_gateway_parse_models_status(text, &err);
			json_t *raw = json_load_file(path, 0, NULL);

			if (chain == NULL)
				fail_msg("%s: %s", path, err.msg);
			assert_non_null(raw);
			assert_true(json_equal(json_object_get(chain, "primary"),
					       json_object_get(raw, "defaultModel")));
			assert_true(json_equal(json_object_get(chain, "fallbacks"),
					       json_object_get(raw, "fallbacks")));
			json_decref(chain);
			json_decref(raw);
			free(text);
			(*seen)++;
		} else {
			walk_models_status(path, seen);
		}
		free(path);
	}
	closedir(d);
}

static void
test_models_status_fixtures(void **state)
{
	static const char *const versions[] = { "2026.5.28", "2026.6.1", "2026.9.6" };
	static const char *const primaries[] = { "openai-codex/gpt-5.5", "openai/gpt-5.5", "openai/gpt-5.5" };
	struct ck_error err;
	int seen = 0;
	size_t i;

	(void)state;
	walk_models_status(OC, &seen);
	assert_true(seen >= 30);
	for (i = 0; i < 3; i++) {
		char path[256], *text;
		json_t *chain;

		snprintf(path, sizeof(path), OC "/%s/auth/s1-apikeys/models-status-json.stdout", versions[i]);
		text = slurp(path);
		chain = ck_gateway_parse_models_status(text, &err);
		assert_non_null(chain);
		assert_string_equal(json_string_value(json_object_get(chain, "primary")), primaries[i]);
		assert_int_equal(json_array_size(json_object_get(chain, "fallbacks")), 3);
		assert_string_equal(json_string_value(json_array_get(json_object_get(chain, "fallbacks"), 2)),
				    "ollama/llama3.1:8b");
		json_decref(chain);
		free(text);
	}
}

static void
test_models_status_junk(void **state)
{
	struct ck_error err;
	json_t *chain;

	(void)state;
	/* Banner lines before the document (9.6 prints boxed warnings). */
	chain = ck_gateway_parse_models_status("Doctor warnings\n| x |\n{\"defaultModel\":\"a/b\","
					       "\"fallbacks\":[\"c/d\"]}\ntrailing\n", &err);
	assert_non_null(chain);
	assert_string_equal(json_string_value(json_object_get(chain, "primary")), "a/b");
	json_decref(chain);
	assert_null(ck_gateway_parse_models_status("no json here\n", &err));
	assert_non_null(strstr(err.msg, "no JSON object"));
	assert_null(ck_gateway_parse_models_status("{\"defaultModel\": \n", &err));
	assert_non_null(strstr(err.msg, "line"));
	assert_null(ck_gateway_parse_models_status("{\"fallbacks\":\"x\"}", &err));
	assert_non_null(strstr(err.msg, "\"fallbacks\" is not an array"));
}

/* ---- configuration ---- */

static int
conf_try(const char *text, struct ck_gateway_conf *gw, struct ck_error *err)
{
	json_t *obj = json_loads(text, 0, NULL);
	int rc;

	assert_non_null(obj);
	ck_gateway_conf_init(gw);
	rc = ck_gateway_conf_from_json(gw, obj, err);
	json_decref(obj);
	return rc;
}

static void
test_conf_from_json(void **state)
{
	static const struct { const char *json, *error; } bad[] = {
		{ "{\"driver\":\"docker\"}", "gateway.driver" },
		{ "{\"driver\":\"systemd\"}", "gateway.unit: required" },
		{ "{\"driver\":\"exec\",\"start\":[\"/bin/true\"]}", "gateway.start and gateway.stop" },
		{ "{\"openclaw\":\"/x/openclaw\",\"port\":70000}", "gateway.port: expected an integer 1..65535" },
		{ "{\"openclaw\":[\"/x/node\",3]}", "gateway.openclaw[1]" },
		{ "{\"openclaw\":[]}", "gateway.openclaw: expected a command" },
		{ "{\"driver\":\"supervise\"}", "gateway.openclaw: required" },
		{ "{\"openclaw\":\"/x\",\"user_unit\":\"yes\"}", "gateway.user_unit" },
		{ "{\"openclaw\":\"/x\",\"unit\":\"\"}", "gateway.unit: expected a non-empty string" },
	};
	struct ck_gateway_conf gw;
	struct ck_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		assert_int_equal(conf_try(bad[i].json, &gw, &err), -1);
		if (strstr(err.msg, bad[i].error) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].json, err.msg, bad[i].error);
		ck_gateway_conf_free(&gw);
	}
	assert_int_equal(conf_try("{\"driver\":\"systemd\",\"unit\":\"openclaw.service\","
				  "\"user_unit\":true,\"ready_timeout_ms\":5000}", &gw, &err), 0);
	assert_int_equal(gw.driver, CK_GATEWAY_SYSTEMD);
	assert_int_equal(gw.user_unit, 1);
	assert_int_equal(gw.ready_timeout_ms, 5000);
	assert_string_equal(gw.unit, "openclaw.service");
	ck_gateway_conf_free(&gw);
	assert_int_equal(conf_try("{\"openclaw\":\"/n/node  /n/openclaw.mjs\",\"port\":18960}", &gw, &err), 0);
	assert_int_equal(gw.driver, CK_GATEWAY_SUPERVISE);
	assert_string_equal(gw.openclaw_argv[0], "/n/node");
	assert_string_equal(gw.openclaw_argv[1], "/n/openclaw.mjs");
	assert_null(gw.openclaw_argv[2]);
	assert_int_equal(ck_gateway_port(&gw), 18960);
	assert_int_equal(gw.ready_timeout_ms, CK_GATEWAY_READY_TIMEOUT_MS);
	ck_gateway_conf_free(&gw);
	assert_null(ck_gateway_argv_split("   "));
}

static void
test_port_from_config(void **state)
{
	struct ck_gateway_conf gw;

	(void)state;
	ck_gateway_conf_init(&gw);
	assert_int_equal(ck_gateway_port(&gw), CK_GATEWAY_DEFAULT_PORT);
	gw.config_path = strdup(OC "/2026.9.6/gateway/state-after/openclaw.json");
	assert_int_equal(ck_gateway_port(&gw), 18962);
	ck_gateway_conf_free(&gw);
}

/* ---- supervise, with the fake openclaw ---- */

static void
test_supervise_restart_counts(void **state)
{
	struct ck_gateway_conf gw;
	struct fake_env f;
	struct ck_error err;
	long long waited = 0;
	unsigned port = free_port();

	(void)state;
	fake_env_init(&f, &gw, port);
	setenv("FAKE_OPENCLAW_READY_AFTER_MS", "700", 1);
	assert_int_equal(ck_gateway_start(&gw, &err), 0);
	assert_int_equal(ck_gateway_running(&gw), 1);
	if (ck_gateway_wait_ready(&gw, 20000, &waited, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(waited >= 600);   /* it saw the 503s and kept polling */
	assert_int_equal(gw.restarts, 0);
	assert_int_equal(ck_gateway_restart(&gw, &err), 0);
	assert_int_equal(gw.restarts, 1);
	assert_int_equal(ck_gateway_wait_ready(&gw, 20000, NULL, &err), 0);
	assert_int_equal(count_lines(f.log, "gateway run"), 2);
	/* Started with the instance env: the port came from the config. */
	assert_int_equal(count_lines(gw.output_path, "listening on ws://127.0.0.1:"), 2);
	assert_int_equal(count_lines(gw.output_path, "signal SIGTERM received"), 1);
	assert_int_equal(ck_gateway_stop(&gw, &err), 0);
	assert_int_equal(ck_gateway_running(&gw), 0);
	assert_int_equal(gw.last_exit, 0);
	/* Nothing answers any more. */
	assert_int_equal(ck_gateway_wait_ready(&gw, 300, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "supervised gateway is not running (last exit status 0)"));
	fake_env_free(&f, &gw);
}

static void
test_supervise_not_ready_reports_body(void **state)
{
	struct ck_gateway_conf gw;
	struct fake_env f;
	struct ck_error err;

	(void)state;
	fake_env_init(&f, &gw, free_port());
	setenv("FAKE_OPENCLAW_NOT_READY", "1", 1);
	gw.port = free_port();   /* --port wins over the config */
	assert_int_equal(ck_gateway_start(&gw, &err), 0);
	assert_int_equal(ck_gateway_wait_ready(&gw, 2500, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "HTTP 503"));
	assert_non_null(strstr(err.msg, "startup-sidecars"));
	assert_int_equal(count_lines(f.log, "gateway run --port"), 1);
	fake_env_free(&f, &gw);
}

static void
test_supervise_exit_fails_fast(void **state)
{
	struct ck_gateway_conf gw;
	struct fake_env f;
	struct ck_error err;
	char *flag;
	long long waited = 0;

	(void)state;
	fake_env_init(&f, &gw, free_port());
	flag = ck_path_join(f.state, "fake-gateway-fail");
	assert_int_equal(ck_file_write_atomic(flag, "", 0, 0600, &err), 0);
	assert_int_equal(ck_gateway_start(&gw, &err), 0);
	assert_int_equal(ck_gateway_wait_ready(&gw, 20000, &waited, &err), -1);
	assert_true(waited < 10000);
	assert_non_null(strstr(err.msg, "exited (status 1) before it was ready"));
	assert_non_null(strstr(err.msg, "fake failure requested"));
	free(flag);
	fake_env_free(&f, &gw);
}

static void
test_version_and_live_chain(void **state)
{
	struct ck_gateway_conf gw;
	struct fake_env f;
	struct ck_error err;
	char ver[32], sha[16];
	json_t *chain;

	(void)state;
	fake_env_init(&f, &gw, free_port());
	setenv("FAKE_OPENCLAW_VERSION", "2026.5.28", 1);
	assert_int_equal(ck_gateway_version(&gw, ver, sizeof(ver), sha, sizeof(sha), &err), 0);
	assert_string_equal(ver, "2026.5.28");
	assert_string_equal(sha, "fake000");
	chain = ck_gateway_live_chain(&gw, &err);
	if (chain == NULL)
		fail_msg("%s", err.msg);
	assert_string_equal(json_string_value(json_object_get(chain, "primary")), "openai/gpt-5.5");
	assert_string_equal(json_string_value(json_array_get(json_object_get(chain, "fallbacks"), 0)),
			    "anthropic/claude-sonnet-4-6");
	json_decref(chain);
	assert_int_equal(count_lines(f.log, "models status --json"), 1);
	ck_gateway_argv_free(gw.openclaw_argv);
	gw.openclaw_argv = ck_gateway_argv_split("/nonexistent/openclaw");
	assert_int_equal(ck_gateway_version(&gw, ver, sizeof(ver), NULL, 0, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/openclaw"));
	fake_env_free(&f, &gw);
}

/* ---- exec and systemd ---- */

static void
test_exec_driver(void **state)
{
	struct ck_gateway_conf gw;
	struct fake_env f;
	struct ck_error err;
	char *rec, script[512];

	(void)state;
	fake_env_init(&f, &gw, free_port());
	rec = ck_path_join(f.dir, "exec.log");
	gw.driver = CK_GATEWAY_EXEC;
	snprintf(script, sizeof(script), "echo \"$0 $OPENCLAW_STATE_DIR\" >> %s", rec);
	gw.exec_start = calloc(5, sizeof(char *));
	gw.exec_start[0] = strdup("sh");
	gw.exec_start[1] = strdup("-c");
	gw.exec_start[2] = strdup(script);
	gw.exec_start[3] = strdup("start");
	gw.exec_stop = ck_gateway_argv_dup(gw.exec_start);
	free(gw.exec_stop[3]);
	gw.exec_stop[3] = strdup("stop");
	assert_int_equal(ck_gateway_start(&gw, &err), 0);
	assert_int_equal(ck_gateway_restart(&gw, &err), 0);   /* no restart cmd: stop + start */
	assert_int_equal(gw.restarts, 1);
	assert_int_equal(ck_gateway_running(&gw), -1);
	assert_int_equal(count_lines(rec, "start "), 2);
	assert_int_equal(count_lines(rec, "stop "), 1);
	assert_int_equal(count_lines(rec, f.state), 3);      /* the instance env */
	ck_gateway_argv_free(gw.exec_stop);
	gw.exec_stop = ck_gateway_argv_split("sh -c exit\\ 3");
	free(gw.exec_stop[2]);
	gw.exec_stop[2] = strdup("echo refused >&2; exit 3");
	assert_int_equal(ck_gateway_restart(&gw, &err), -1);
	assert_int_equal(gw.restarts, 1);
	assert_non_null(strstr(err.msg, "refused"));
	assert_non_null(strstr(err.msg, "exit 3"));
	ck_gateway_argv_free(gw.exec_stop);
	gw.exec_stop = NULL;
	free(rec);
	fake_env_free(&f, &gw);
}

static void
test_systemd_driver(void **state)
{
	struct ck_gateway_conf gw;
	struct fake_env f;
	struct ck_error err;
	char *bin, *fake, *rec, *path, script[512];

	(void)state;
	fake_env_init(&f, &gw, free_port());
	bin = ck_path_join(f.dir, "bin");
	assert_int_equal(ck_mkdir_p(bin, 0700, &err), 0);
	fake = ck_path_join(bin, "systemctl");
	rec = ck_path_join(f.dir, "systemctl.log");
	snprintf(script, sizeof(script), "#!/bin/sh\necho \"$*\" >> %s\n"
		 "[ \"$2\" = broken.service ] && { echo 'Unit broken.service not found.' >&2; exit 5; }\n"
		 "exit 0\n", rec);
	assert_int_equal(ck_file_write_atomic(fake, script, strlen(script), 0700, &err), 0);
	path = ck_strdup_printf("%s:%s", bin, getenv("PATH"));
	setenv("PATH", path, 1);
	gw.driver = CK_GATEWAY_SYSTEMD;
	gw.unit = strdup("openclaw-gateway.service");
	gw.user_unit = 1;
	assert_int_equal(ck_gateway_restart(&gw, &err), 0);
	assert_int_equal(gw.restarts, 1);
	assert_int_equal(count_lines(rec, "--user restart openclaw-gateway.service"), 1);
	gw.user_unit = 0;
	free(gw.unit);
	gw.unit = strdup("broken.service");
	assert_int_equal(ck_gateway_restart(&gw, &err), -1);
	assert_non_null(strstr(err.msg, "Unit broken.service not found."));
	assert_int_equal(gw.restarts, 1);
	setenv("PATH", strchr(path, ':') + 1, 1);
	free(path);
	free(bin);
	free(fake);
	free(rec);
	fake_env_free(&f, &gw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_version_fixtures),
		cmocka_unit_test(test_models_status_fixtures),
		cmocka_unit_test(test_models_status_junk),
		cmocka_unit_test(test_conf_from_json),
		cmocka_unit_test(test_port_from_config),
		cmocka_unit_test(test_supervise_restart_counts),
		cmocka_unit_test(test_supervise_not_ready_reports_body),
		cmocka_unit_test(test_supervise_exit_fails_fast),
		cmocka_unit_test(test_version_and_live_chain),
		cmocka_unit_test(test_exec_driver),
		cmocka_unit_test(test_systemd_driver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
