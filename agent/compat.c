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
	  "changelog names 2026.5.30-beta.1" },
	{ CK_FEAT_AGENTS_ENTRIES, "agents_entries", "2026.9.1-beta.1",
	  "fixtures: 2026.9.6 setup --baseline writes agents.entries.main; "
	  "2026.8.2 package has no agents.entries schema" },
	{ CK_FEAT_TOUCHED_AT_IN_DB, "touched_at_in_db", "2026.7.1-beta.1",
	  "fixtures 2026.9.6/upgrade-from-2026.6.1: meta: Unrecognized key "
	  "\"lastTouchedAt\"; 2026.7.1 package stores config.lastTouchedAt" },
	{ CK_FEAT_NODE24, "node24", "2026.7.1-beta.1",
	  "npm engines: 2026.6.35 node>=22.19.0, 2026.7.1 >=22.22.3<23||>=24.15.0, "
	  "2026.9.6 >=24.16.0" },
	{ CK_FEAT_CRON_IN_SQLITE, "cron_in_sqlite", "2026.6.1",
	  "2026.6.1 package: cron_jobs table in state/openclaw.sqlite; "
	  "2026.5.28 package has none (cron/jobs.json)" },
	{ CK_FEAT_AUTH_IN_SQLITE, "auth_in_sqlite", "2026.9.1-beta.1",
	  "fixtures 2026.9.6/auth: authProfiles.store row in config_machine_state" },
	{ CK_FEAT_CODEX_HARNESS_DEFAULT, "codex_harness_default", "2026.7.1-beta.1",
	  "fixtures 2026.9.6/auth-default-codex-runtime: openai via codex unavailable "
	  "offline" },
	{ CK_FEAT_SUPERVISOR_EXTERNAL, "supervisor_external", "2026.9.1-beta.1",
	  "2026.9.6 package reads OPENCLAW_SUPERVISOR_MODE; 2026.5.28/2026.6.1 "
	  "packages do not" },
	{ CK_FEAT_UPDATE_CHECK_KEY, "update_check_key", "2026.5.28",
	  "2026.5.28 and 2026.6.1 schemas: update.checkOnStart" },
	{ CK_FEAT_LOCAL_AGENT_EXCLUSIVE, "local_agent_exclusive", "2026.9.1-beta.1",
	  "DESIGN: 2026.9.6 refuses agent --local while a gateway owns the state" },
	{ CK_FEAT_LOGIN_FORCE, "login_force", "2026.9.1-beta.1",
	  "DESIGN: models auth login --force/--agent in 2026.9.6, not 2026.5.28" },
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

/* "uses schema 23; this build supports 19": 2026.8.2 refusing a state
 * 2026.9.6 had migrated (DESIGN, facts of 2026-12). */
int
ck_compat_agent_db_schema(const char *version)
{
	static const struct {
		const char *since;
		int schema;
	} schemas[] = {
		{ "2026.9.1-beta.1", 23 },
		{ "2026.8.1-beta.1", 19 },
	};
	size_t i;

	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		if (ck_version_cmp_str(version, schemas[i].since) >= 0)
			return schemas[i].schema;
	return 0;
}
