/* Instance discovery: state dir and config path resolution (flags, the
 * OpenClaw environment variables, profiles), both agents shapes, the log
 * and its rotations in time order, and the version from a binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/instance.h"

static char tmp[64];

static void
put(const char *rel, const char *content, mode_t mode)
{
	char *path = ck_path_join(tmp, rel);
	char *slash = strrchr(path, '/');
	struct ck_error err;

	*slash = '\0';
	assert_int_equal(ck_mkdir_p(path, 0700, &err), 0);
	*slash = '/';
	assert_int_equal(ck_file_write_atomic(path, content, strlen(content), mode, &err), 0);
	free(path);
}

static int
setup(void **state)
{
	(void)state;
	strcpy(tmp, "/tmp/ck-test-instance-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	unsetenv("OPENCLAW_STATE_DIR");
	unsetenv("OPENCLAW_CONFIG_PATH");
	unsetenv("OPENCLAW_PROFILE");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ck_rm_rf(tmp, NULL);
	return 0;
}

static int
has_agent(const struct ck_instance *inst, const char *id)
{
	size_t i;

	for (i = 0; i < inst->n_agents; i++)
		if (strcmp(inst->agent_ids[i], id) == 0)
			return 1;
	return 0;
}

/* The real 2026.9.6 config uses agents.entries.<id>. */
static void
test_entries_shape_real_96(void **state)
{
	struct ck_instance_opts opts = { 0 };
	struct ck_instance inst;
	struct ck_error err;
	char *data, *dir;
	size_t len;

	(void)state;
	assert_int_equal(ck_file_read(CK_FIXTURES "/openclaw/2026.9.6/config/openclaw.json",
				      1 << 20, &data, &len, &err), 0);
	put("state/openclaw.json", data, 0600);
	free(data);
	dir = ck_path_join(tmp, "state");
	opts.state_dir = dir;
	assert_int_equal(ck_instance_open(&opts, &inst, &err), 0);
	assert_non_null(inst.config);
	assert_string_equal(inst.version, "2026.9.6");
	assert_string_equal(inst.version_source, "meta.lastTouchedVersion");
	assert_true(has_agent(&inst, "main"));
	assert_non_null(ck_instance_agent_config(&inst, "main"));
	/* logging.file from the config, which does not exist here. */
	assert_string_equal(inst.log_file, "/tmp/fixtures-work/v96n-setup/logs/openclaw.log");
	assert_int_equal(inst.n_logs, 0);
	{
		/* agentDir of the capture machine does not exist: our own dir wins */
		char *ad = ck_instance_agent_dir(&inst, "main");
		char *want = ck_strdup_printf("%s/agents/main/agent", dir);

		assert_string_equal(ad, want);
		free(ad);
		free(want);
	}
	ck_instance_close(&inst);
	free(dir);
}

static void
test_list_shape_and_dirs(void **state)
{
	struct ck_instance_opts opts = { 0 };
	struct ck_instance inst;
	struct ck_error err;
	char *dir;

	(void)state;
	put("s/openclaw.json",
	    "{ // JSON5 with a list-shaped agents block\n"
	    "  agents: { list: [ { id: 'main', default: true },\n"
	    "                    { id: 'work', model: 'anthropic/claude-sonnet-4-6', agentDir: '/nonexistent/x' } ] },\n"
	    "  meta: { lastTouchedVersion: '2026.5.28' },\n"
	    "}\n", 0600);
	put("s/agents/ops/agent/auth-profiles.json", "{}", 0600);
	dir = ck_path_join(tmp, "s");
	opts.state_dir = dir;
	assert_int_equal(ck_instance_open(&opts, &inst, &err), 0);
	assert_non_null(inst.config);
	assert_int_equal(inst.n_agents, 3);
	assert_true(has_agent(&inst, "main"));
	assert_true(has_agent(&inst, "work"));
	assert_true(has_agent(&inst, "ops"));
	assert_string_equal(json_string_value(json_object_get(
		ck_instance_agent_config(&inst, "work"), "model")), "anthropic/claude-sonnet-4-6");
	assert_null(ck_instance_agent_config(&inst, "ops"));
	assert_string_equal(inst.version, "2026.5.28");
	ck_instance_close(&inst);
	free(dir);
}

static void
test_env_and_profile(void **state)
{
	struct ck_instance_opts opts = { 0 };
	struct ck_instance inst;
	struct ck_error err;
	char *want;

	(void)state;
	setenv("HOME", tmp, 1);
	setenv("OPENCLAW_PROFILE", "work", 1);
	assert_int_equal(ck_instance_open(&opts, &inst, &err), 0);
	want = ck_strdup_printf("%s/.openclaw-work", tmp);
	assert_string_equal(inst.state_dir, want);
	free(want);
	assert_null(inst.config);
	assert_true(inst.config_missing);
	assert_non_null(strstr(inst.config_error, "openclaw.json: no such file"));
	ck_instance_close(&inst);

	setenv("OPENCLAW_STATE_DIR", "/srv/oc", 1);
	setenv("OPENCLAW_CONFIG_PATH", "/srv/oc-config/openclaw.json", 1);
	assert_int_equal(ck_instance_open(&opts, &inst, &err), 0);
	assert_string_equal(inst.state_dir, "/srv/oc");
	assert_string_equal(inst.config_path, "/srv/oc-config/openclaw.json");
	ck_instance_close(&inst);

	/* An explicit state dir ignores the environment's config path. */
	opts.state_dir = "/srv/other";
	assert_int_equal(ck_instance_open(&opts, &inst, &err), 0);
	assert_string_equal(inst.config_path, "/srv/other/openclaw.json");
	ck_instance_close(&inst);
	unsetenv("OPENCLAW_STATE_DIR");
	unsetenv("OPENCLAW_CONFIG_PATH");
	unsetenv("OPENCLAW_PROFILE");
}

static void
test_garbled_config(void **state)
{
	struct ck_instance_opts opts = { 0 };
	struct ck_instance inst;
	struct ck_error err;
	char *dir;

	(void)state;
	put("g/openclaw.json", "{\n  \"agents\": {\n    \"defaults\": ,\n  }\n}\n", 0600);
	dir = ck_path_join(tmp, "g");
	opts.state_dir = dir;
	assert_int_equal(ck_instance_open(&opts, &inst, &err), 0);
	assert_null(inst.config);
	assert_false(inst.config_missing);
	/* path and the line of the error */
	assert_non_null(strstr(inst.config_error, "openclaw.json"));
	assert_non_null(strstr(inst.config_error, "3"));
	assert_null(inst.version);
	ck_instance_close(&inst);
	free(dir);
}

static void
test_log_rotations_in_order(void **state)
{
	struct ck_instance_opts opts = { 0 };
	struct ck_instance inst;
	struct ck_error err;
	char *dir, *log;

	(void)state;
	put("l/openclaw.json", "{}", 0600);
	put("l/logs/gw.log", "", 0600);
	put("l/logs/gw.log.1", "", 0600);
	put("l/logs/gw.log.3", "", 0600);
	dir = ck_path_join(tmp, "l");
	log = ck_path_join(dir, "logs/gw.log");
	opts.state_dir = dir;
	opts.log_file = log;
	assert_int_equal(ck_instance_open(&opts, &inst, &err), 0);
	assert_int_equal(inst.n_logs, 3);
	assert_non_null(strstr(inst.log_paths[0], "gw.log.3"));
	assert_non_null(strstr(inst.log_paths[1], "gw.log.1"));
	assert_string_equal(inst.log_paths[2], log);
	ck_instance_close(&inst);
	free(log);
	free(dir);
}

static void
test_version_from_binary(void **state)
{
	struct ck_instance_opts opts = { 0 };
	struct ck_instance inst;
	struct ck_error err;
	char *dir, *bin;

	(void)state;
	put("v/openclaw.json", "{\"meta\":{\"lastTouchedVersion\":\"2026.5.28\"}}", 0600);
	/* The real output format, ANSI-free: "OpenClaw 2026.9.6 (eb377ac)" */
	put("v/bin/openclaw", "#!/bin/sh\necho 'OpenClaw 2026.9.6 (eb377ac)'\n", 0755);
	dir = ck_path_join(tmp, "v");
	bin = ck_path_join(dir, "bin/openclaw");
	opts.state_dir = dir;
	opts.openclaw_bin = bin;
	assert_int_equal(ck_instance_open(&opts, &inst, &err), 0);
	assert_string_equal(inst.version, "2026.9.6");
	assert_string_equal(inst.version_source, "openclaw --version");
	ck_instance_close(&inst);
	/* A binary that fails falls back to the config's meta. */
	put("v/bin/openclaw", "#!/bin/sh\necho 'OpenClaw TUI needs an interactive TTY.' >&2\nexit 1\n", 0755);
	assert_int_equal(ck_instance_open(&opts, &inst, &err), 0);
	assert_string_equal(inst.version, "2026.5.28");
	assert_string_equal(inst.version_source, "meta.lastTouchedVersion");
	ck_instance_close(&inst);
	free(bin);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_entries_shape_real_96, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_shape_and_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_and_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbled_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_rotations_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_from_binary, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
