/* The gateway's configuration: the agent config's "gateway" object read
 * into a ck_gateway_conf (each driver checks it has what it needs), the
 * conf's defaults and lifetime, the argv helpers and the driver names. */
#include <stdlib.h>
#include <string.h>

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

static int
json_str(const json_t *obj, const char *field, char **out, struct ck_error *err)
{
	json_t *v = json_object_get(obj, field);

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0) {
		ck_error_set(err, "gateway.%s: expected a non-empty string", field);
		return -1;
	}
	free(*out);
	*out = strdup(json_string_value(v));
	return *out == NULL ? -1 : 0;
}

static int
json_int(const json_t *obj, const char *field, long long lo, long long hi,
	 long long *out, struct ck_error *err)
{
	json_t *v = json_object_get(obj, field);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		ck_error_set(err, "gateway.%s: expected an integer %lld..%lld", field, lo, hi);
		return -1;
	}
	*out = json_integer_value(v);
	return 1;
}

static int
conf_numbers(struct ck_gateway_conf *gw, const json_t *obj, struct ck_error *err)
{
	long long v;
	int r;

	if ((r = json_int(obj, "port", 1, 65535, &v, err)) < 0)
		return -1;
	if (r)
		gw->port = (unsigned)v;
	if ((r = json_int(obj, "ready_timeout_ms", 100, 3600000, &v, err)) < 0)
		return -1;
	if (r)
		gw->ready_timeout_ms = (int)v;
	if ((r = json_int(obj, "stop_timeout_ms", 100, 600000, &v, err)) < 0)
		return -1;
	if (r)
		gw->stop_timeout_ms = (int)v;
	if ((r = json_int(obj, "command_timeout_ms", 100, 3600000, &v, err)) < 0)
		return -1;
	if (r)
		gw->command_timeout_ms = (int)v;
	return 0;
}

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
	json_t *v;

	if (obj != NULL && !json_is_object(obj)) {
		ck_error_set(err, "gateway: expected an object");
		return -1;
	}
	if (obj == NULL)
		return conf_check(gw, err);
	v = json_object_get(obj, "driver");
	if (v != NULL && (!json_is_string(v) ||
			  ck_gateway_driver_parse(json_string_value(v), &gw->driver) < 0)) {
		ck_error_set(err, "gateway.driver: expected \"supervise\", \"systemd\" or \"exec\"");
		return -1;
	}
	v = json_object_get(obj, "user_unit");
	if (v != NULL && !json_is_boolean(v)) {
		ck_error_set(err, "gateway.user_unit: expected true or false");
		return -1;
	}
	if (v != NULL)
		gw->user_unit = json_is_true(v);
	v = json_object_get(obj, "keep_running");
	if (v != NULL && !json_is_boolean(v)) {
		ck_error_set(err, "gateway.keep_running: expected true or false");
		return -1;
	}
	if (v != NULL)
		gw->keep_running = json_is_true(v);
	if (json_argv(json_object_get(obj, "openclaw"), "openclaw", &gw->openclaw_argv, err) < 0 ||
	    json_argv(json_object_get(obj, "start"), "start", &gw->exec_start, err) < 0 ||
	    json_argv(json_object_get(obj, "stop"), "stop", &gw->exec_stop, err) < 0 ||
	    json_argv(json_object_get(obj, "restart"), "restart", &gw->exec_restart, err) < 0 ||
	    json_str(obj, "home", &gw->home, err) < 0 ||
	    json_str(obj, "state_dir", &gw->state_dir, err) < 0 ||
	    json_str(obj, "config_path", &gw->config_path, err) < 0 ||
	    json_str(obj, "unit", &gw->unit, err) < 0 ||
	    json_str(obj, "output", &gw->output_path, err) < 0 ||
	    conf_numbers(gw, obj, err) < 0)
		return -1;
	gw->openclaw_argv = ck_release_resolve_argv(gw->openclaw_argv);
	return conf_check(gw, err);
}
