/* Private to the gateway files (gateway*.c): the driver table that
 * ck_gateway_start/stop/restart dispatch through, and the helpers the
 * drivers, readiness and the OpenClaw queries share. */
#ifndef CK_GATEWAY_INTERNAL_H
#define CK_GATEWAY_INTERNAL_H

#include <stddef.h>
#include "clawkeeper/error.h"
#include "clawkeeper/gateway.h"

/* Room for the instance env, the gateway's own variables and run_env. */
#define CK_GATEWAY_ENV_MAX 24
/* Entries in the driver table: one per enum ck_gateway_driver. */
#define CK_GATEWAY_DRIVERS 3

struct ck_gateway_driver_ops {
	const char *name;  /* as in the agent config's "gateway.driver" */
	/* 0 when the conf has what the driver needs, else -1 and err. */
	int (*check)(const struct ck_gateway_conf *gw, struct ck_error *err);
	/* 0 started, 1 already running (nothing done, not counted as a
	 * start), -1 and err. */
	int (*start)(struct ck_gateway_conf *gw, struct ck_error *err);
	int (*stop)(struct ck_gateway_conf *gw, struct ck_error *err);
	int (*restart)(struct ck_gateway_conf *gw, struct ck_error *err);
	/* 1 runs, 0 does not; NULL when the driver cannot tell. */
	int (*running)(struct ck_gateway_conf *gw);
};

extern const struct ck_gateway_driver_ops ck_gateway_supervise_ops;
extern const struct ck_gateway_driver_ops ck_gateway_systemd_ops;
extern const struct ck_gateway_driver_ops ck_gateway_exec_ops;

/* The driver's operations; a value out of range is supervise, the
 * default. */
const struct ck_gateway_driver_ops *ck_gateway_driver_ops(enum ck_gateway_driver d);

/* gateway_command.c: fills env with "K=V" for the instance's HOME,
 * OPENCLAW_STATE_DIR and OPENCLAW_CONFIG_PATH (each when set), NULL-ended;
 * returns how many. Free the strings with ck_gateway_env_free(). */
size_t ck_gateway_instance_env(const struct ck_gateway_conf *gw,
			       char *env[CK_GATEWAY_ENV_MAX]);
void ck_gateway_env_free(char **env);
/* A bare command name found on PATH (ck_spawn runs paths only); a name
 * with a '/' is copied as it is. NULL when not found or on OOM. */
char *ck_gateway_path_lookup(const char *name);
/* Runs argv (argv[0] looked up on PATH) with env through ck_spawn; fails
 * on a non-zero exit with the command's own words. `what` names the
 * action for messages. */
int ck_gateway_run_checked(const char *what, char *const *argv, char *const *env,
			   int timeout_ms, struct ck_error *err);

/* gateway_supervise.c: where the supervised child's output goes (newly
 * allocated; NULL on OOM). */
char *ck_gateway_output_path(const struct ck_gateway_conf *gw);

#endif
