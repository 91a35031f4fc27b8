/* An OpenClaw instance on disk: where its state dir, config, agents and
 * gateway file log are, which version wrote it, and its parsed config.
 * Discovery follows OpenClaw: --state-dir/--config, then
 * OPENCLAW_STATE_DIR / OPENCLAW_CONFIG_PATH, then OPENCLAW_PROFILE
 * (~/.openclaw-<profile>), then ~/.openclaw. */
#ifndef CK_INSTANCE_H
#define CK_INSTANCE_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"

struct ck_instance_opts {
	const char *state_dir;    /* NULL: from the environment / HOME */
	const char *config_path;  /* NULL: <state_dir>/openclaw.json */
	const char *openclaw_bin; /* NULL: no binary; read files only */
	const char *log_file;     /* NULL: logging.file or /tmp/openclaw default */
};

struct ck_instance {
	char *state_dir;
	char *config_path;
	const char *openclaw_bin; /* borrowed from opts */
	/* openclaw_bin split on blanks ("node x.mjs"), a .bin link resolved
	 * to the release's own Node; NULL without a binary. */
	char **openclaw_argv;
	json_t *config;           /* NULL when missing or unreadable */
	char config_error[512];   /* set when config == NULL: path:line:col: why */
	int config_missing;       /* the file does not exist */
	char *version;            /* NULL when unknown */
	const char *version_source; /* "openclaw --version", "meta.lastTouchedVersion" */
	char **agent_ids;         /* from the config (both shapes) + agents/<id> dirs */
	size_t n_agents;
	char *log_file;           /* the current gateway file log */
	char **log_paths;         /* existing files: oldest rotation first, current last */
	size_t n_logs;
};

int ck_instance_open(const struct ck_instance_opts *opts,
		     struct ck_instance *inst, struct ck_error *err);
void ck_instance_close(struct ck_instance *inst);
/* <state>/agents/<id>/agent (or the agentDir the config gives). Caller frees. */
char *ck_instance_agent_dir(const struct ck_instance *inst, const char *agent_id);
/* Per-agent config object in either shape: agents.list[] item with
 * id==agent_id, or agents.entries.<id>. Borrowed; NULL when absent. */
json_t *ck_instance_agent_config(const struct ck_instance *inst, const char *agent_id);
/* The workspace dirs the config names (defaults and every agent; "~"
 * against home, NULL: $HOME) that exist outside the state dir: an
 * OpenClaw doctor migrates them too, so an upgrade copies them with the
 * state. Absolute paths, none inside another. */
json_t *ck_instance_workspaces(const struct ck_instance *inst, const char *home);

/* The default gateway log for a date: /tmp/openclaw/openclaw-YYYY-MM-DD.log */
char *ck_instance_default_log(long long now_ms);

/* The live config as a client sees it: {path, version, config} with every
 * secret replaced by its fingerprint. GET /v1/instance/config and
 * `clawkeeper config show` both answer with it. Reads files only (opts'
 * openclaw_bin is not run). */
enum ck_config_shown {
	CK_CONFIG_SHOWN,
	CK_CONFIG_MISSING,          /* no config file */
	CK_CONFIG_UNREADABLE,       /* unreadable or not JSON5 */
	CK_CONFIG_NO_INSTANCE,      /* the state dir cannot be opened */
};
enum ck_config_shown ck_instance_config_show(const struct ck_instance_opts *opts,
    json_t **out, struct ck_error *err);

#endif
