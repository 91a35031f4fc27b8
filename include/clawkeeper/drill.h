/* The fallback drill (DESIGN.md): prove a generated config fails over
 * before it goes live. A throw-away copy of the config, with every
 * provider pointed at a loopback stub (stub_provider.h) that answers 401
 * "token expired", runs one `openclaw agent --local` turn with the
 * installed OpenClaw; the drill passes when that run's decision records
 * walk the planned chain in order with a real candidate in every next=
 * but the last. The live instance is never touched: own HOME, state dir,
 * config path and log file under a mkdtemp dir, removed afterwards. */
#ifndef CK_DRILL_H
#define CK_DRILL_H

#include <stddef.h>
#include <jansson.h>
#include "decision.h"
#include "error.h"
#include "gateway.h"
#include "stub_provider.h"

#define CK_DRILL_TIMEOUT_MS 180000 /* 9.6 took 95 s on a busy 2-CPU VM */

struct ck_drill_opts {
	int timeout_ms;            /* the agent turn; 0: CK_DRILL_TIMEOUT_MS */
	const char *agent_id;      /* NULL: "main" */
	const char *message;       /* NULL: "hi" */
	const char *tmp_parent;    /* NULL: $TMPDIR, else /tmp */
	int keep_dir;              /* 1: leave the temp dir (result says where) */
	/* A stub the caller set routes on (e.g. one model answers 200); NULL:
	 * the drill starts its own that answers 401 to everything. */
	struct ck_stub_provider *stub;
	/* Version of the openclaw in gw, when known; NULL: ask --version. */
	const char *version;
};

/* Runs the drill with the openclaw named by gw->openclaw_argv (only that
 * field of gw is used). config: the generated live config; chain: the
 * planned ["primary", "fallback", ...] of agent opts->agent_id. opts may
 * be NULL. Returns
 *   {"passed":bool, "message":"...", "version":"2026.9.6",
 *    "chain":[...], "records":[ck_decision_to_json...], "exit_code":n,
 *    "duration_ms":n, "stub_requests":[{method,path,model,status}],
 *    "dir":"..." (only with keep_dir)}
 * or NULL with err when the drill could not be run at all (no openclaw,
 * no temp dir, bad chain). A run that shows no failover is passed=false,
 * not an error. */
json_t *ck_drill_run(const struct ck_gateway_conf *gw, const json_t *config,
		     const json_t *chain, const struct ck_drill_opts *opts,
		     struct ck_error *err);

/* The drill's copy of config: every provider in models.providers and
 * every provider in chain at stub_base ("http://127.0.0.1:PORT") under
 * "/<provider>" (api by provider: anthropic-messages, ollama, else
 * openai-completions; a configured api of those kinds is kept), a fake
 * apiKey, a models[] entry per chain model; agents.defaults.models entry
 * per chain ref (with agentRuntime {"id":"openclaw"} for each openai model when
 * version >= 2026.7: its default Codex harness cannot run offline);
 * workspaces, agentDirs and logging.file under dir; "auth" removed (the
 * copy has no credential store). version may be NULL. */
json_t *ck_drill_prepare_config(const json_t *config, const json_t *chain,
				const char *stub_base, const char *dir,
				const char *version, struct ck_error *err);

/* The planned chain of agent_id (NULL: "main") in config: the agent's own
 * model (agents.list[] or agents.entries.<id>) when set, else
 * agents.defaults.model; a string model is a chain of one. */
json_t *ck_drill_chain_from_config(const json_t *config, const char *agent_id,
				   struct ck_error *err);

/* Judges one run's records against chain. Returns 1 (passed) or 0, with
 * the reason in msg either way. A chain of one never passes: a failing
 * primary with next=none is no failover. */
int ck_drill_check(const struct ck_decision *recs, size_t n, const json_t *chain,
		   char *msg, size_t msg_len);

#endif
