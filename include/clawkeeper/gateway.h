/* Gateway control and verification: start, stop and restart the instance's
 * OpenClaw gateway through one of three drivers, wait for /readyz, and ask
 * the installed OpenClaw for its version and its live fallback chain.
 *
 * Drivers (agent config "gateway.driver"):
 *   supervise  the agent runs `openclaw gateway run [--port P]` as its own
 *              child (own process group, instance env, stdin /dev/null,
 *              stdout+stderr appended to output_path), restarts it only
 *              when asked, reaps it; stop is SIGTERM, wait, SIGKILL.
 *   systemd    `systemctl [--user] start|stop|restart <unit>`.
 *   exec       configured start/stop/restart argv, run with the instance
 *              env; they must return once the action is done (a start
 *              command that forks a daemon must not keep stdout open).
 * Every ck_gateway_restart() adds one to `restarts`, whatever the driver,
 * so an operation can assert "exactly one restart". */
#ifndef CK_GATEWAY_H
#define CK_GATEWAY_H

#include <sys/types.h>
#include <jansson.h>
#include "error.h"
#include "spawn.h"

enum ck_gateway_driver {
	CK_GATEWAY_SUPERVISE = 0,
	CK_GATEWAY_SYSTEMD,
	CK_GATEWAY_EXEC,
};

#define CK_GATEWAY_DEFAULT_PORT 18789
#define CK_GATEWAY_READY_TIMEOUT_MS 60000 /* 9.6 answers 503 for ~8 s */

/* All strings and argv arrays are owned (malloc'd) and freed by
 * ck_gateway_conf_free(). argv arrays are NULL-terminated. */
struct ck_gateway_conf {
	enum ck_gateway_driver driver;
	/* How to run openclaw: {"/usr/bin/openclaw"} or
	 * {"/x/node", "/x/node_modules/openclaw/openclaw.mjs"}; the
	 * subcommand words are appended. */
	char **openclaw_argv;
	/* Instance env: HOME, OPENCLAW_STATE_DIR, OPENCLAW_CONFIG_PATH
	 * (each passed only when set). */
	char *home, *state_dir, *config_path;
	unsigned port;            /* 0: gateway.port from config_path, else 18789 */
	char *unit;               /* systemd unit */
	int user_unit;            /* 1: systemctl --user */
	char **exec_start, **exec_stop, **exec_restart;
	char *output_path;        /* supervise: default <state_dir>/logs/gateway.supervised.log */
	/* supervise: "K=V" added to `gateway run`'s env (NULL-ended, owned).
	 * OPENCLAW_NO_AUTO_UPDATE=1 and OPENCLAW_SUPERVISOR_MODE=external are
	 * always set there: the agent owns upgrades. */
	char **run_env;
	int ready_timeout_ms;     /* default CK_GATEWAY_READY_TIMEOUT_MS */
	int stop_timeout_ms;      /* SIGTERM -> SIGKILL, default 10000 */
	int command_timeout_ms;   /* one-shot openclaw/systemctl/exec, default 120000 */
	/* supervise: a clean agent stop leaves the gateway running (its pid
	 * file stays) for the next agent to adopt: an agent restart or
	 * upgrade is then no downtime. Default 0: the agent stops it. */
	int keep_running;

	/* Runtime state (not configuration). */
	pid_t pid;                /* supervise: the running child, 0 when none */
	long long starttime;      /* supervise: /proc start time of pid */
	int adopted;              /* supervise: pid was started by an earlier agent */
	unsigned restarts;        /* ck_gateway_restart() calls that succeeded */
	unsigned starts;          /* ck_gateway_start() calls that succeeded */
	int last_exit;            /* supervise: last reaped exit status (-1 signal) */
};

/* The "gateway" object's fields (conftable.h), for `config fields`. */
struct ck_cf_section;
extern const struct ck_cf_section ck_gateway_section;

/* Zero the struct and set the defaults. */
void ck_gateway_conf_init(struct ck_gateway_conf *gw);
/* Frees what the struct owns; does not stop a running child. */
void ck_gateway_conf_free(struct ck_gateway_conf *gw);

/* Reads the agent config's "gateway" object (may be NULL: defaults):
 *   {"driver":"supervise|systemd|exec", "openclaw":"bin" | ["node","x.mjs"],
 *    "home","state_dir","config_path","port","unit","user_unit",
 *    "start":[argv],"stop":[argv],"restart":[argv],"output",
 *    "ready_timeout_ms","stop_timeout_ms","command_timeout_ms"}
 * Fields it does not set keep what gw already holds (so the caller can
 * fill state_dir/config_path/openclaw from the instance first). Checks
 * that the driver has what it needs. */
int ck_gateway_conf_from_json(struct ck_gateway_conf *gw, const json_t *obj,
			      struct ck_error *err);
/* Splits "node /x/openclaw.mjs" on blanks (no quoting) into a new argv;
 * NULL on empty input or OOM. Free with ck_gateway_argv_free(). */
char **ck_gateway_argv_split(const char *s);
char **ck_gateway_argv_dup(char *const *argv);
void ck_gateway_argv_free(char **argv);
const char *ck_gateway_driver_name(enum ck_gateway_driver d);
int ck_gateway_driver_parse(const char *s, enum ck_gateway_driver *out);

/* Runs `openclaw <args...>` (args NULL-terminated) with the instance env
 * plus `extra_env` ("K=V", NULL-ended, may be NULL) through ck_spawn. */
int ck_gateway_openclaw(const struct ck_gateway_conf *gw, const char *const *args,
			char *const *extra_env, int timeout_ms,
			struct ck_spawn_result *res, struct ck_error *err);

int ck_gateway_start(struct ck_gateway_conf *gw, struct ck_error *err);
int ck_gateway_stop(struct ck_gateway_conf *gw, struct ck_error *err);
/* Stop + start for supervise (start alone when it was not running). */
int ck_gateway_restart(struct ck_gateway_conf *gw, struct ck_error *err);
/* supervise: takes over the gateway an earlier agent started (pid leads
 * its own process group and still has that /proc start time): it is
 * watched, stopped and restarted like the agent's own child, but not
 * reaped (its exit status is unknown: last_exit -1). 0, or -1 when that
 * process is gone or another one has the number now. */
int ck_gateway_adopt(struct ck_gateway_conf *gw, pid_t pid, long long starttime);
/* supervise: 1 while the child runs (reaps it when it has exited), else 0.
 * Other drivers: -1 (unknown; use ck_gateway_wait_ready). */
int ck_gateway_running(struct ck_gateway_conf *gw);
/* The effective port (gw->port, else gateway.port of the config, else
 * the default). */
unsigned ck_gateway_port(const struct ck_gateway_conf *gw);

/* Polls GET http://127.0.0.1:<port>/readyz until HTTP 200 or timeout_ms
 * (<= 0: gw->ready_timeout_ms). 503 (9.6's startup-sidecars) and refused
 * connections mean "keep polling". On timeout the error carries the last
 * status and body; a supervised child that exits fails at once with the
 * tail of its output. *waited_ms (may be NULL) gets the time taken. */
int ck_gateway_wait_ready(struct ck_gateway_conf *gw, int timeout_ms,
			  long long *waited_ms, struct ck_error *err);

/* One GET /readyz answered within timeout_ms: the HTTP status, 0 when
 * nothing answered in time. */
long ck_gateway_probe_ready(const struct ck_gateway_conf *gw, int timeout_ms);

/* `openclaw --version` -> "2026.9.6" (and "eb377ac" when sha != NULL). */
int ck_gateway_version(const struct ck_gateway_conf *gw, char *ver, size_t ver_len,
		       char *sha, size_t sha_len, struct ck_error *err);
/* Parses "OpenClaw 2026.9.6 (eb377ac)" from any line of `text` (ANSI
 * colours ignored). 0 or -1. */
int ck_gateway_parse_version(const char *text, char *ver, size_t ver_len,
			     char *sha, size_t sha_len);

/* `openclaw models status --json` -> {"primary":"p/m"|null,
 * "fallbacks":["p/m",...]} (the defaults the gateway resolves). */
json_t *ck_gateway_live_chain(const struct ck_gateway_conf *gw, struct ck_error *err);
/* The same from captured stdout (leading non-JSON lines are skipped). */
json_t *ck_gateway_parse_models_status(const char *text, struct ck_error *err);

#endif
