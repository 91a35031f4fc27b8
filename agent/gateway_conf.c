/* The gateway's configuration: the agent config's "gateway" object read
 * into a ck_gateway_conf (each driver checks it has what it needs), the
 * conf's defaults and lifetime, the argv helpers and the driver names. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/conftable.h"
#include "clawkeeper/gateway.h"
#include "clawkeeper/release.h"
#include "gateway_internal.h"

void
ck_gateway_conf_init(struct ck_gateway_conf *gw)
{
	memset(gw, 0, sizeof(*gw));
	gw->driver = CK_GATEWAY_SUPERVISE;
	gw->ready_timeout_ms = CK_GATEWAY_READY_TIMEOUT_MS;
	gw->stop_timeout_ms = 10000;
	gw->command_timeout_ms = 120000;
	gw->last_exit = -1;
}

void
ck_gateway_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

void
ck_gateway_conf_free(struct ck_gateway_conf *gw)
{
	ck_gateway_argv_free(gw->openclaw_argv);
	ck_gateway_argv_free(gw->run_env);
	ck_gateway_argv_free(gw->exec_start);
	ck_gateway_argv_free(gw->exec_stop);
	ck_gateway_argv_free(gw->exec_restart);
	free(gw->home);
	free(gw->state_dir);
	free(gw->config_path);
	free(gw->unit);
	free(gw->output_path);
	gw->openclaw_argv = gw->exec_start = gw->exec_stop = gw->exec_restart = NULL;
	gw->run_env = NULL;
	gw->home = gw->state_dir = gw->config_path = gw->unit = gw->output_path = NULL;
}

char **
ck_gateway_argv_dup(char *const *argv)
{
	size_t n = 0, i;
	char **out;

	if (argv == NULL)
		return NULL;
	while (argv[n] != NULL)
		n++;
	out = calloc(n + 1, sizeof(*out));
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		out[i] = strdup(argv[i]);
		if (out[i] == NULL) {
			ck_gateway_argv_free(out);
			return NULL;
		}
	}
	return out;
}

char **
ck_gateway_argv_split(const char *s)
{
	char *copy, *tok, *save = NULL;
	char **out;
	size_t n = 0;

	if (s == NULL)
		return NULL;
	copy = strdup(s);
	out = calloc(strlen(s) / 2 + 2, sizeof(*out));
	if (copy == NULL || out == NULL) {
		free(copy);
		free(out);
		return NULL;
	}
	for (tok = strtok_r(copy, " \t\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		out[n] = strdup(tok);
		if (out[n] == NULL)
			break;
		n++;
	}
	free(copy);
	if (n == 0 || (tok != NULL)) {
		ck_gateway_argv_free(out);
		return NULL;
	}
	return out;
}

const char *
ck_gateway_driver_name(enum ck_gateway_driver d)
{
	return ck_gateway_driver_ops(d)->name;
}

int
ck_gateway_driver_parse(const char *s, enum ck_gateway_driver *out)
{
	int d;

	for (d = 0; d < CK_GATEWAY_DRIVERS; d++) {
		if (strcmp(s, ck_gateway_driver_ops((enum ck_gateway_driver)d)->name) == 0) {
			*out = (enum ck_gateway_driver)d;
			return 0;
		}
	}
	return -1;
}

/* ---- configuration from JSON ---- */

static int
json_argv(const json_t *v, const char *field, char ***out, struct ck_error *err)
{
	char **argv;
	size_t i;
	json_t *item;

	if (v == NULL)
		return 0;
	if (json_is_string(v)) {
		argv = ck_gateway_argv_split(json_string_value(v));
	} else if (json_is_array(v) && json_array_size(v) > 0) {
		argv = calloc(json_array_size(v) + 1, sizeof(*argv));
		json_array_foreach(v, i, item) {
			if (argv == NULL)
				break;
			if (!json_is_string(item)) {
				ck_gateway_argv_free(argv);
				ck_error_set(err, "gateway.%s[%zu]: expected a string", field, i);
				return -1;
			}
			argv[i] = strdup(json_string_value(item));
		}
	} else {
		ck_error_set(err, "gateway.%s: expected a command (string or non-empty array of strings)",
			     field);
		return -1;
	}
	if (argv == NULL) {
		ck_error_set(err, "gateway.%s: empty command", field);
		return -1;
	}
	ck_gateway_argv_free(*out);
	*out = argv;
	return 0;
}

#define F(type, member) CK_CF_##type, offsetof(struct ck_gateway_conf, member)

/* The "gateway" object (conftable.h); driver, the commands and watch
 * are read below and by gwwatch.c. */
static const struct ck_cf_field gw_fields[] = {
	{ "driver", CK_CF_CUSTOM, 0, .dflt_str = "supervise",
	  .doc = "supervise (the agent runs gateway run), systemd or exec" },
	{ "openclaw", CK_CF_CUSTOM, 0, .dflt_doc = "instance.openclaw_bin",
	  .doc = "the openclaw command: a string or an argv array" },
	{ "home", F(STRING, home), .doc = "HOME for openclaw" },
	{ "state_dir", F(STRING, state_dir), .dflt_doc = "instance.state_dir",
	  .doc = "OPENCLAW_STATE_DIR for openclaw" },
	{ "config_path", F(STRING, config_path), .dflt_doc = "instance.config_path",
	  .doc = "OPENCLAW_CONFIG_PATH for openclaw" },
	{ "port", F(UNSIGNED, port), .lo = 1, .hi = 65535,
	  .dflt_doc = "gateway.port of the instance's config, else 18789",
	  .doc = "where readiness is probed (/readyz)" },
	{ "unit", F(STRING, unit), .doc = "systemd: the gateway's unit" },
	{ "user_unit", F(BOOL, user_unit), .dflt = 0, .doc = "systemd: systemctl --user" },
	{ "start", CK_CF_CUSTOM, 0, .doc = "exec: the start command (string or argv)" },
	{ "stop", CK_CF_CUSTOM, 0, .doc = "exec: the stop command" },
	{ "restart", CK_CF_CUSTOM, 0, .doc = "exec: the restart command" },
	{ "output", F(STRING, output_path), .dflt_doc = "<state_dir>/logs/gateway.supervised.log",
	  .doc = "supervise: where gateway run's output goes" },
	{ "ready_timeout_ms", F(INT, ready_timeout_ms), .lo = 100, .hi = 3600000,
	  .dflt = CK_GATEWAY_READY_TIMEOUT_MS, .doc = "how long a start may take to be ready" },
	{ "stop_timeout_ms", F(INT, stop_timeout_ms), .lo = 100, .hi = 600000, .dflt = 10000,
	  .doc = "SIGTERM, then SIGKILL after this" },
	{ "command_timeout_ms", F(INT, command_timeout_ms), .lo = 100, .hi = 3600000,
	  .dflt = 120000, .doc = "a one-shot openclaw, systemctl or exec command" },
	{ "keep_running", F(BOOL, keep_running), .dflt = 0,
	  .doc = "supervise: a clean agent stop leaves the gateway serving" },
	{ "watch", CK_CF_CUSTOM, 0, .doc = "the gateway watch (gateway.watch.*)" },
};
const struct ck_cf_section ck_gateway_section = { "gateway", gw_fields, CK_CF_N(gw_fields) };

/* Whether the chosen driver has what it needs is the driver's to say. */
static int
conf_check(const struct ck_gateway_conf *gw, struct ck_error *err)
{
	return ck_gateway_driver_ops(gw->driver)->check(gw, err);
}

int
ck_gateway_conf_from_json(struct ck_gateway_conf *gw, const json_t *obj,
			  struct ck_error *err)
{
	struct ck_cf_ctx ctx = { NULL, err, 0, NULL };
	json_t *v;

	if (obj != NULL && !json_is_object(obj)) {
		ck_error_set(err, "gateway: expected an object");
		return -1;
	}
	if (obj == NULL)
		return conf_check(gw, err);
	ck_cf_read(&ctx, &ck_gateway_section, obj, gw);
	if (ctx.n_bad > 0)
		return -1;
	v = json_object_get(obj, "driver");
	if (v != NULL && (!json_is_string(v) ||
			  ck_gateway_driver_parse(json_string_value(v), &gw->driver) < 0)) {
		ck_error_set(err, "gateway.driver: expected \"supervise\", \"systemd\" or \"exec\"");
		return -1;
	}
	if (json_argv(json_object_get(obj, "openclaw"), "openclaw", &gw->openclaw_argv, err) < 0 ||
	    json_argv(json_object_get(obj, "start"), "start", &gw->exec_start, err) < 0 ||
	    json_argv(json_object_get(obj, "stop"), "stop", &gw->exec_stop, err) < 0 ||
	    json_argv(json_object_get(obj, "restart"), "restart", &gw->exec_restart, err) < 0)
		return -1;
	gw->openclaw_argv = ck_release_resolve_argv(gw->openclaw_argv);
	return conf_check(gw, err);
}
