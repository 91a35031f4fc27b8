/* The table of what differs between OpenClaw versions. Each row says the
 * first version a behaviour holds for and where that was learned: a real
 * capture in ../shared/fixtures/openclaw, a grep of the installed
 * package (scripts/openclaw-install.sh puts them in the cache), or the
 * docs. Adding a version means checking each row against it. */
#include <stddef.h>

#include "clawkeeper/compat.h"
#include "clawkeeper/version.h"

static const struct ck_compat_row rows[CK_FEAT_COUNT] = {
	{ CK_FEAT_UNIFIED_PROVIDER, "unified_provider", "2026.5.30-beta.1",
	  "fixtures: 2026.5.28 writes openai-codex/*, 2026.6.1 openai/*; "
	  "changelog names 2026.5.30-beta.1; tests/e2e/real/versions.sh: the "
	  "generated chain reads back openai-codex/gpt-5.5 in 5.28's models "
	  "status, openai/gpt-5.5 in 6.1 through 9.6" },
	{ CK_FEAT_AGENTS_ENTRIES, "agents_entries", "2026.8.1",
	  "versions tier: 2026.9.1/9.6 setup --baseline write agents.entries.main; "
	  "2026.8.2 config validate accepts agents.entries and warns \"Moved "
	  "agents.list to keyed agents.entries\"; 6.35/7.35 refuse it (agents: "
	  "Invalid input); package: 8.1 has 8.2's roster schema, 8.1-beta.1 "
	  "another one (not run)" },
	{ CK_FEAT_TOUCHED_AT_IN_DB, "touched_at_in_db", "2026.8.1-beta.1",
	  "versions tier: 2026.7.1/7.35 setup still write meta.lastTouchedAt and "
	  "validate it; 8.2, 9.1, 9.6 config validate: meta: Unrecognized key "
	  "\"lastTouchedAt\", row config.lastTouchedAt in config_machine_state; "
	  "package: config.lastTouchedAt from 8.1-beta.1, none in 7.35" },
	{ CK_FEAT_NODE24, "node24", "2026.7.1-beta.1",
	  "npm engines: 6.35 node>=22.19.0; 7.1 to 9.2 >=22.22.3<23||>=24.15.0 "
	  "(Node 24 allowed); 9.3 to 9.6 >=24.16.0 (required); versions tier runs "
	  "7.1 to 9.6 on 24.21.0" },
	{ CK_FEAT_CRON_IN_SQLITE, "cron_in_sqlite", "2026.6.1",
	  "2026.6.1 package: cron_jobs table in state/openclaw.sqlite; "
	  "2026.5.28 package has none (cron/jobs.json); 6.35 to 9.6 have it" },
	{ CK_FEAT_AUTH_IN_SQLITE, "auth_in_sqlite", "2026.8.1",
	  "versions tier: paste-api-key on 8.2, 9.1, 9.6 writes the "
	  "authProfiles.store row of config_machine_state (6.35 to 7.35: "
	  "agents/<id>/agent/openclaw-agent.sqlite, 5.28/6.1: auth-profiles.json); "
	  "package: SHARED_STORE_STATE_KEY authProfiles.store from 8.1, not "
	  "8.1-beta.1" },
	{ CK_FEAT_CODEX_HARNESS_DEFAULT, "codex_harness_default", "2026.8.1-beta.1",
	  "versions tier: models status runtimeAuthRoutes openai via codex "
	  "'usable' on 5.28 to 7.35 (bundled extensions/codex-supervisor), "
	  "'unavailable: No enabled plugin owns agent harness codex' on 8.2, 9.1, "
	  "9.6; an 8.2 gateway refuses ready until openai/gpt-5.5 names "
	  "agentRuntime openclaw; the message is in the 8.1-beta.1 package, "
	  "not 7.35" },
	{ CK_FEAT_SUPERVISOR_EXTERNAL, "supervisor_external", "2026.8.1-beta.1",
	  "package grep OPENCLAW_SUPERVISOR_MODE: 8.1-beta.1, 8.1, 8.2, 9.1 to "
	  "9.6; not 7.35 or older" },
	{ CK_FEAT_UPDATE_CHECK_KEY, "update_check_key", "2026.5.28",
	  "versions tier: config validate accepts update.checkOnStart=false on "
	  "5.28, 6.1, 6.35, 7.1, 7.35, 8.2, 9.1, 9.6 (and refuses "
	  "update.checkOnStartX)" },
	{ CK_FEAT_LOCAL_AGENT_EXCLUSIVE, "local_agent_exclusive", "2026.8.1",
	  "run: 2026.8.2 agent --local beside its gateway run: \"A Gateway is "
	  "running for this state directory ... Run without --local\" (9.6: "
	  "DESIGN); package: the message from 8.1, not 8.1-beta.1 or 7.35" },
	{ CK_FEAT_LOGIN_FORCE, "login_force", "2026.6.1",
	  "models auth login --help: --force from 6.1 (6.35, 7.x, 8.2, 9.x too); "
	  "5.28 \"does not recognize option --force\", not in the 5.30-beta.1 "
	  "package; login's own --agent only from 8.2, but `models auth --agent "
	  "ID login` parses on 5.28, 6.1, 7.35, 8.2 (the form health prints)" },
	{ CK_FEAT_AGENTS_OWNERSHIP, "agents_ownership", "2026.8.1",
	  "versions tier: 8.2, 9.1, 9.6 config validate refuse agents.entries "
	  "{main, ops} (multi-agent rosters require agents.ownership=\"explicit\""
	  "...); their doctor writes ownership explicit + defaults.systemAgent/"
	  "heartbeat.agentId main, which validates; package: the rule in 8.1, "
	  "not 8.1-beta.1" },
};

const struct ck_compat_row *
ck_compat_row(enum ck_feature f)
{
	if ((int)f < 0 || f >= CK_FEAT_COUNT)
		return NULL;
	return &rows[f];
}

int
ck_compat_has(const char *version, enum ck_feature f)
{
	const struct ck_compat_row *row = ck_compat_row(f);
	struct ck_version v, since;

	if (row == NULL || version == NULL || ck_version_parse(version, &v) < 0)
		return -1;
	if (ck_version_parse(row->since, &since) < 0)
		return -1;
	return ck_version_cmp(&v, &since) >= 0;
}

/* Readiness, measured through the agent on a busy 2-CPU host: 5.28 and
 * 6.1 ready in ~2 s; 8.2 in 5 s; 9.6 answers 503 (startup-sidecars) for
 * ~8 s and took 15 s after a doctor migration. Four times that, at least
 * a minute. */
int
ck_compat_ready_timeout_ms(const char *version)
{
	if (ck_compat_has(version, CK_FEAT_NODE24) == 1)
		return 120000;
	return 60000;
}

/* 2026.9.6's doctor refuses a 2026.7.35 state (agent database schema 1:
 * "Cannot read legacy shared auth database … uses schema version 1",
 * and "Legacy workspace setup state requires migration"); 2026.8.2's
 * doctor first (schema 1 -> 19), then 9.6's, migrates it (seen here,
 * 2026-12-01). A 6.1 state has no agent database and 9.6 takes it
 * directly. */
const char *
ck_compat_doctor_waypoint(int schema, const char *target)
{
	if (schema > 0 && schema < 19 && ck_version_cmp_str(target, "2026.9.1-beta.1") >= 0)
		return "2026.8.2";
	return NULL;
}

/* "uses schema 23; this build supports 19": 2026.8.2 refusing a state
 * 2026.9.6 had migrated (DESIGN, facts of 2026-12). The schema each
 * package supports (OPENCLAW_AGENT_SCHEMA_VERSION in dist/): 6.5 to 7.35
 * 1 (6.35 to 7.35 keep the credentials there), 8.1-beta.1 16, 8.1 to 9.4
 * 19, 9.5 21, 9.6 23; none before 6.5 (6.1, 5.30-beta.1). Betas between
 * two checked releases get the lower (they refuse, never break). */
int
ck_compat_agent_db_schema(const char *version)
{
	static const struct {
		const char *since;
		int schema;
	} schemas[] = {
		{ "2026.9.6", 23 },
		{ "2026.9.5", 21 },
		{ "2026.8.1", 19 },
		{ "2026.8.1-beta.1", 16 },
		{ "2026.6.5", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		if (ck_version_cmp_str(version, schemas[i].since) >= 0)
			return schemas[i].schema;
	return 0;
}
