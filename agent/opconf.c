/* Reading the agent config's "operations" and "gateway" sections. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/release.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/opconf.h"

#define DEFAULT_WORK_DIR "/var/lib/clawkeeper/work"

static void
problem(json_t *problems, struct ck_error *err, int *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
problem(json_t *problems, struct ck_error *err, int *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((*n)++ == 0)
		ck_error_set(err, "%s", msg);
	if (problems != NULL)
		json_array_append_new(problems, json_string(msg));
}

static char *
resolve(const char *base_dir, const char *path)
{
	if (path[0] == '/' || base_dir == NULL)
		return strdup(path);
	return ck_path_join(base_dir, path);
}

static void
path_field(const json_t *obj, const char *key, const char *base_dir, char **out,
	   json_t *problems, struct ck_error *err, int *n)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return;
	if (!json_is_string(v) || json_string_length(v) == 0) {
		problem(problems, err, n, "operations.%s: expected a non-empty path", key);
		return;
	}
	free(*out);
	*out = resolve(base_dir, json_string_value(v));
}

static void
bool_field(const json_t *obj, const char *key, int *out, json_t *problems,
	   struct ck_error *err, int *n)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return;
	if (!json_is_boolean(v)) {
		problem(problems, err, n, "operations.%s: expected true or false", key);
		return;
	}
	*out = json_is_true(v);
}

static void
int_field(const json_t *obj, const char *key, long long lo, long long hi,
	  long long *out, json_t *problems, struct ck_error *err, int *n)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		problem(problems, err, n, "operations.%s: expected an integer %lld..%lld",
			key, lo, hi);
		return;
	}
	*out = json_integer_value(v);
}

int
ck_opconf_parse(struct ck_opconf *oc, const json_t *operations, const json_t *gateway,
		const char *base_dir, json_t *problems, struct ck_error *err)
{
	return ck_opconf_parse_for(oc, operations, gateway, NULL, base_dir, problems, err);
}

int
ck_opconf_parse_for(struct ck_opconf *oc, const json_t *operations, const json_t *gateway,
		    const struct ck_opconf_instance *inst, const char *base_dir,
		    json_t *problems, struct ck_error *err)
{
	static const char *const known[] = { "work_dir", "releases_root", "install",
		"drill", "allow_http", "min_free_mb", "ready_timeout_ms", "settle_ms", "stop_grace_ms", NULL };
	struct ck_error gerr;
	long long v;
	const char *k;
	json_t *val;
	int n = 0;

	memset(oc, 0, sizeof(*oc));
	ck_gateway_conf_init(&oc->gw);
	oc->work_dir = strdup(DEFAULT_WORK_DIR);
	oc->drill = 1;
	if (inst != NULL)
		ck_opconf_fill_instance(oc, inst->state_dir, inst->config_path,
					inst->openclaw_bin);
	if (operations != NULL && !json_is_object(operations)) {
		problem(problems, err, &n, "operations: expected an object");
		operations = NULL;
	}
	json_object_foreach((json_t *)operations, k, val) {
		size_t i;

		for (i = 0; known[i] != NULL; i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (known[i] == NULL)
			problem(problems, err, &n, "operations.%s: unknown field", k);
	}
	path_field(operations, "work_dir", base_dir, &oc->work_dir, problems, err, &n);
	path_field(operations, "releases_root", base_dir, &oc->releases_root, problems, err, &n);
	val = json_object_get(operations, "install");
	if (val != NULL) {
		if (!json_is_string(val) || strstr(json_string_value(val), "{version}") == NULL)
			problem(problems, err, &n, "operations.install: expected a command "
				"template containing {version}");
		else
			oc->install_template = strdup(json_string_value(val));
	}
	bool_field(operations, "drill", &oc->drill, problems, err, &n);
	bool_field(operations, "allow_http", &oc->allow_http, problems, err, &n);
	v = 64;
	int_field(operations, "min_free_mb", 0, 1 << 20, &v, problems, err, &n);
	oc->min_free_bytes = v << 20;
	v = 0;
	int_field(operations, "ready_timeout_ms", 0, 3600000, &v, problems, err, &n);
	oc->ready_timeout_ms = (int)v;
	v = 3000;
	int_field(operations, "settle_ms", 0, 600000, &v, problems, err, &n);
	oc->settle_ms = (int)v;
	v = 15000;
	int_field(operations, "stop_grace_ms", 0, 3600000, &v, problems, err, &n);
	oc->stop_grace_ms = (int)v;
	ck_error_clear(&gerr);
	if (gateway != NULL && ck_gateway_conf_from_json(&oc->gw, gateway, &gerr) < 0)
		problem(problems, err, &n, "gateway: %s", gerr.msg);
	ck_gwwatch_conf_init(&oc->watch);
	if (ck_gwwatch_conf_from_json(&oc->watch, json_object_get(gateway, "watch"), &gerr) < 0)
		problem(problems, err, &n, "gateway.%s", gerr.msg);
	return n == 0 ? 0 : -1;
}

void
ck_opconf_free(struct ck_opconf *oc)
{
	free(oc->work_dir);
	free(oc->releases_root);
	free(oc->install_template);
	ck_gateway_conf_free(&oc->gw);
	memset(oc, 0, sizeof(*oc));
}

void
ck_opconf_engine(struct ck_opconf *oc, const char *journal_dir, const char *settings_path,
		 const struct ck_instance_opts *inst, struct ck_opengine_conf *out)
{
	memset(out, 0, sizeof(*out));
	out->journal_dir = journal_dir;
	out->work_dir = oc->work_dir;
	out->releases_root = oc->releases_root;
	out->install_template = oc->install_template;
	out->settings_path = settings_path;
	out->inst = *inst;
	out->gw = &oc->gw;
	out->drill = oc->drill;
	out->allow_http = oc->allow_http;
	out->min_free_bytes = oc->min_free_bytes;
	out->ready_timeout_ms = oc->ready_timeout_ms;
	out->settle_ms = oc->settle_ms;
}

void
ck_opconf_fill_instance(struct ck_opconf *oc, const char *state_dir,
			const char *config_path, const char *openclaw_bin)
{
	struct ck_gateway_conf *gw = &oc->gw;

	if (gw->state_dir == NULL && state_dir != NULL)
		gw->state_dir = strdup(state_dir);
	if (gw->config_path == NULL && config_path != NULL)
		gw->config_path = strdup(config_path);
	if (gw->openclaw_argv == NULL && openclaw_bin != NULL)
		gw->openclaw_argv = ck_release_resolve_argv(ck_gateway_argv_split(openclaw_bin));
}
