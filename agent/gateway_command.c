/* Running one command for the gateway files: the instance env, a PATH
 * lookup (ck_spawn runs paths only), and a one-shot through ck_spawn that
 * fails on a non-zero exit with the command's own words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/spawn.h"
#include "gateway_internal.h"

size_t
ck_gateway_instance_env(const struct ck_gateway_conf *gw, char *env[CK_GATEWAY_ENV_MAX])
{
	size_t n = 0;

	if (gw->home != NULL)
		env[n++] = ck_strdup_printf("HOME=%s", gw->home);
	if (gw->state_dir != NULL)
		env[n++] = ck_strdup_printf("OPENCLAW_STATE_DIR=%s", gw->state_dir);
	if (gw->config_path != NULL)
		env[n++] = ck_strdup_printf("OPENCLAW_CONFIG_PATH=%s", gw->config_path);
	env[n] = NULL;
	return n;
}

void
ck_gateway_env_free(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
}

char *
ck_gateway_path_lookup(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (strchr(name, '/') != NULL)
		return strdup(name);
	copy = strdup(path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
	if (copy == NULL)
		return NULL;
	for (dir = strtok_r(copy, ":", &save); dir != NULL && found == NULL;
	     dir = strtok_r(NULL, ":", &save)) {
		char *cand = ck_path_join(dir, name);

		if (cand != NULL && access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(copy);
	return found;
}

int
ck_gateway_run_checked(const char *what, char *const *argv, char *const *env,
		       int timeout_ms, struct ck_error *err)
{
	struct ck_spawn_result res;
	char *bin = ck_gateway_path_lookup(argv[0]);
	char **full;
	const char *msg;
	int rc;

	if (bin == NULL) {
		ck_error_set(err, "%s: '%s' not found on PATH", what, argv[0]);
		return -1;
	}
	full = ck_argv_concat(argv, NULL);
	if (full == NULL) {
		free(bin);
		ck_error_set(err, "%s: out of memory", what);
		return -1;
	}
	full[0] = bin;
	rc = ck_spawn(full, env, timeout_ms, &res, err);
	free(full);
	free(bin);
	if (rc < 0) {
		ck_error_prefix(err, "%s: ", what);
		return -1;
	}
	if (res.exit_code != 0) {
		msg = res.err_len > 0 ? res.errout : res.out;
		ck_error_set(err, "%s: %s %s: %.300s", what, argv[0],
			     res.timed_out ? "timed out" : "failed", msg);
		if (!res.timed_out)
			snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg),
				 " (exit %d)", res.exit_code);
		ck_spawn_result_free(&res);
		return -1;
	}
	ck_spawn_result_free(&res);
	return 0;
}
