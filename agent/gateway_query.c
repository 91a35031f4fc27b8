/* What the installed OpenClaw says: `openclaw <args>` run with the
 * instance env, its version (`--version`) and the fallback chain it
 * resolves (`models status --json`), with the parsers of both outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/spawn.h"
#include "gateway_internal.h"

/* The instance env and up to 15 of the caller's, NULL-ended. */
#define OPENCLAW_ENV_MAX (CK_GATEWAY_ENV_MAX + 16)

int
ck_gateway_openclaw(const struct ck_gateway_conf *gw, const char *const *args,
		    char *const *extra_env, int timeout_ms,
		    struct ck_spawn_result *res, struct ck_error *err)
{
	char *env[OPENCLAW_ENV_MAX];
	char **argv, *bin;
	size_t n, i;
	int rc;

	if (gw->openclaw_argv == NULL) {
		ck_error_set(err, "no openclaw binary configured (gateway.openclaw)");
		return -1;
	}
	n = ck_gateway_instance_env(gw, env);
	for (i = 0; extra_env != NULL && extra_env[i] != NULL && n < OPENCLAW_ENV_MAX - 1; i++)
		env[n++] = strdup(extra_env[i]);
	env[n] = NULL;
	argv = ck_argv_concat(gw->openclaw_argv, args);
	bin = ck_gateway_path_lookup(gw->openclaw_argv[0]);
	if (argv == NULL || bin == NULL) {
		ck_gateway_env_free(env);
		free(argv);
		ck_error_set(err, "openclaw: '%s' not found on PATH", gw->openclaw_argv[0]);
		free(bin);
		return -1;
	}
	argv[0] = bin;
	rc = ck_spawn(argv, env, timeout_ms > 0 ? timeout_ms : gw->command_timeout_ms, res, err);
	free(bin);
	free(argv);
	ck_gateway_env_free(env);
	return rc;
}

int
ck_gateway_parse_version(const char *text, char *ver, size_t ver_len,
			 char *sha, size_t sha_len)
{
	const char *p = text;

	while (p != NULL && *p != '\0') {
		char v[64], s[64];
		const char *q = p;

		while (*q == '\033') {   /* a colour code before the word */
			q = strchr(q, 'm');
			q = q != NULL ? q + 1 : "";
		}
		s[0] = '\0';
		if (sscanf(q, "OpenClaw %63[0-9A-Za-z.+-] (%63[0-9A-Za-z])", v, s) >= 1 &&
		    v[0] >= '0' && v[0] <= '9') {
			snprintf(ver, ver_len, "%s", v);
			if (sha != NULL && sha_len > 0)
				snprintf(sha, sha_len, "%s", s);
			return 0;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

int
ck_gateway_version(const struct ck_gateway_conf *gw, char *ver, size_t ver_len,
		   char *sha, size_t sha_len, struct ck_error *err)
{
	static const char *const args[] = { "--version", NULL };
	struct ck_spawn_result res;
	int rc;

	if (ck_gateway_openclaw(gw, args, NULL, 60000, &res, err) < 0)
		return -1;
	rc = ck_gateway_parse_version(res.out, ver, ver_len, sha, sha_len);
	if (rc < 0)
		ck_error_set(err, "openclaw --version (exit %d) printed no \"OpenClaw <version> (<sha>)\": %.200s",
			     res.exit_code, res.out_len > 0 ? res.out : res.errout);
	ck_spawn_result_free(&res);
	return rc;
}

json_t *
ck_gateway_parse_models_status(const char *text, struct ck_error *err)
{
	const char *p = text;
	json_error_t jerr;
	json_t *doc, *primary, *fallbacks, *chain, *f;
	size_t i;

	/* Skip any banner or warning lines before the JSON document. */
	while (p != NULL && *p != '{') {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (p == NULL) {
		ck_error_set(err, "models status --json: no JSON object in the output");
		return NULL;
	}
	doc = json_loads(p, JSON_DISABLE_EOF_CHECK, &jerr);
	if (doc == NULL) {
		ck_error_set(err, "models status --json: line %d: %s", jerr.line, jerr.text);
		return NULL;
	}
	primary = json_object_get(doc, "defaultModel");
	if (!json_is_string(primary))
		primary = json_object_get(doc, "resolvedDefault");
	fallbacks = json_object_get(doc, "fallbacks");
	if (fallbacks != NULL && !json_is_array(fallbacks)) {
		json_decref(doc);
		ck_error_set(err, "models status --json: \"fallbacks\" is not an array");
		return NULL;
	}
	chain = json_pack("{s:O, s:[]}", "primary", json_is_string(primary) ? primary : json_null(),
			  "fallbacks");
	json_array_foreach(fallbacks, i, f)
		if (json_is_string(f))
			json_array_append(json_object_get(chain, "fallbacks"), f);
	json_decref(doc);
	return chain;
}

json_t *
ck_gateway_live_chain(const struct ck_gateway_conf *gw, struct ck_error *err)
{
	static const char *const args[] = { "models", "status", "--json", NULL };
	struct ck_spawn_result res;
	json_t *chain;

	if (ck_gateway_openclaw(gw, args, NULL, 0, &res, err) < 0)
		return NULL;
	if (res.exit_code != 0 && strchr(res.out, '{') == NULL) {
		ck_error_set(err, "openclaw models status --json: exit %d: %.300s",
			     res.exit_code, res.errout);
		ck_spawn_result_free(&res);
		return NULL;
	}
	chain = ck_gateway_parse_models_status(res.out, err);
	ck_spawn_result_free(&res);
	return chain;
}
