/* What differs between OpenClaw versions, in one table (agent/compat.c).
 * Every version-dependent decision of the agent asks this module; adding
 * an OpenClaw version is a row here and its fixtures, not edits in the
 * modules that use the answer. */
#ifndef CK_COMPAT_H
#define CK_COMPAT_H

enum ck_feature {
	/* openai-codex/ refs are written openai/ and each provider runs on its
	 * own runtime (before: a Codex agent drives only Codex). */
	CK_FEAT_UNIFIED_PROVIDER,
	/* New per-agent blocks go to agents.entries.<id> (else agents.list[]);
	 * older versions refuse agents.entries. */
	CK_FEAT_AGENTS_ENTRIES,
	/* meta.lastTouchedAt lives in the state db; the config may not carry it. */
	CK_FEAT_TOUCHED_AT_IN_DB,
	/* Runs on Node 24 (else Node 22). */
	CK_FEAT_NODE24,
	/* Cron jobs are rows of cron_jobs in state/openclaw.sqlite. */
	CK_FEAT_CRON_IN_SQLITE,
	/* Credentials are rows of config_machine_state in state/openclaw.sqlite. */
	CK_FEAT_AUTH_IN_SQLITE,
	/* openai/ models run on the Codex harness unless the model entry names the
	 * "openclaw" agentRuntime (a drill must say so). */
	CK_FEAT_CODEX_HARNESS_DEFAULT,
	/* OPENCLAW_SUPERVISOR_MODE=external: an outside supervisor owns
	 * updates and restarts. */
	CK_FEAT_SUPERVISOR_EXTERNAL,
	/* update.checkOnStart is a config key (the gateway asks npm on start). */
	CK_FEAT_UPDATE_CHECK_KEY,
	/* `openclaw agent --local` is refused while a gateway owns the state. */
	CK_FEAT_LOCAL_AGENT_EXCLUSIVE,
	/* `models auth login --force` (another agent is named with the
	 * `models auth --agent ID` group option, which every version parses). */
	CK_FEAT_LOGIN_FORCE,
	/* A keyed roster (agents.entries) of more than one agent needs
	 * agents.ownership "explicit" (or one legacy default=true marker). */
	CK_FEAT_AGENTS_OWNERSHIP,
	CK_FEAT_COUNT,
};

struct ck_compat_row {
	enum ck_feature feature;
	const char *name;     /* for reports: "unified_provider" */
	const char *since;    /* first version it holds for */
	const char *learned;  /* where that was learned */
};

/* 1 when `version` has the feature, 0 when not, -1 when the version does
 * not parse (callers decide what unknown means for them). */
int ck_compat_has(const char *version, enum ck_feature f);
const struct ck_compat_row *ck_compat_row(enum ck_feature f);

/* Seconds a gateway of this version may take from start to /readyz 200
 * on a busy 2-CPU host (9.6: sidecars answer 503 for ~8 s, 15 s seen). */
int ck_compat_ready_timeout_ms(const char *version);

/* The agent database schema (openclaw-agent.sqlite user_version) the
 * newest release of the version's line reads; 0 when it keeps no such
 * database or it is not known. A state whose schema is newer cannot be
 * opened by that version. */
int ck_compat_agent_db_schema(const char *version);

/* A release whose doctor must migrate the state before the target's can:
 * NULL when the target's own doctor takes the state as it is. schema is
 * the state's agent-database schema (0: none). */
const char *ck_compat_doctor_waypoint(int schema, const char *target);

#endif
