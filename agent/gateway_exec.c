/* The exec driver: the configured start, stop and restart commands, run
 * with the instance env; without a restart command a restart is stop and
 * then start. Each must return once its action is done. */
#include "clawkeeper/gateway.h"
#include "gateway_internal.h"

static int
exec_cmd(struct ck_gateway_conf *gw, char **argv, const char *what, struct ck_error *err)
{
	char *env[CK_GATEWAY_ENV_MAX];
	int rc;

	if (argv == NULL || argv[0] == NULL) {
		ck_error_set(err, "%s: no command configured for the exec driver", what);
		return -1;
	}
	ck_gateway_instance_env(gw, env);
	rc = ck_gateway_run_checked(what, argv, env, gw->command_timeout_ms, err);
	ck_gateway_env_free(env);
	return rc;
}

static int
exec_start(struct ck_gateway_conf *gw, struct ck_error *err)
{
	return exec_cmd(gw, gw->exec_start, "gateway start", err);
}

static int
exec_stop(struct ck_gateway_conf *gw, struct ck_error *err)
{
	return exec_cmd(gw, gw->exec_stop, "gateway stop", err);
}

static int
exec_restart(struct ck_gateway_conf *gw, struct ck_error *err)
{
	if (gw->exec_restart != NULL)
		return exec_cmd(gw, gw->exec_restart, "gateway restart", err);
	if (exec_stop(gw, err) < 0)
		return -1;
	return exec_start(gw, err);
}

static int
exec_check(const struct ck_gateway_conf *gw, struct ck_error *err)
{
	if (gw->exec_start != NULL && gw->exec_stop != NULL)
		return 0;
	ck_error_set(err, "gateway.start and gateway.stop: required by the exec driver");
	return -1;
}

/* No running: the commands say nothing of whether the gateway runs. */
const struct ck_gateway_driver_ops ck_gateway_exec_ops = {
	.name = "exec",
	.check = exec_check,
	.start = exec_start,
	.stop = exec_stop,
	.restart = exec_restart,
	.running = NULL,
};
