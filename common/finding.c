/* Findings as JSON objects {code, severity, surface, message, fix}, and
 * the report status derived from the worst one. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/finding.h"

static const char *severity_names[] = { "ok", "info", "warning", "critical" };

static const struct ck_finding_code codes[] = {
	{ "CONFIG_UNREADABLE", "health", "critical",
	  "`openclaw.json` missing or not JSON5 (message has path:line:column)" },
	{ "SETTINGS_INVALID", "health", "critical",
	  "the desired-settings file is unreadable or breaks the schema" },
	{ "FALLBACKS_STRIPPED", "health", "critical",
	  "fallbacks the settings ask for are missing from the live chain (each named)" },
	{ "NO_FALLBACKS", "health", "warning", "a chain with a primary and no fallbacks" },
	{ "FALLBACKS_SAME_PROVIDER_ONLY", "health", "warning",
	  "every fallback is on the primary's provider family" },
	{ "LEGACY_RUNTIME_DROPS_FALLBACKS", "health, plan", "warning",
	  "before 2026.5.30 a Codex primary's runtime cannot drive other providers" },
	{ "FALLBACK_UNRESOLVED", "health, plan", "warning",
	  "a fallback its provider config cannot resolve (e.g. empty ollama models)" },
	{ "AGENT_MODEL_STRICT", "health", "info", "a per-agent model without fallbacks" },
	{ "CRON_FALLBACKS_OVERRIDE", "health", "info",
	  "a cron job's `payload.fallbacks` replaces the chain" },
	{ "CRON_JOB_NOT_FOUND", "health, plan", "warning",
	  "a `cron` key of the settings names no single job that runs a model" },
	{ "CRON_UNREADABLE", "health", "warning",
	  "the cron job store cannot be read: its jobs' chains are not checked" },
	{ "VERSION_UNKNOWN", "health", "info", "no version could be determined" },
	{ "CREDENTIAL_EXPIRED", "health",
	  "critical for the primary's provider, else warning; info for a provider no chain uses",
	  "a login or token past its expiry, with the exact re-auth command in `fix`" },
	{ "CREDENTIAL_EXPIRING", "health", "warning; info for a provider no chain uses",
	  "a login that expires within 24 h, with the re-auth command in `fix`" },
	{ "CREDENTIAL_COOLDOWN", "health",
	  "critical for the primary's provider, else warning; info while another profile serves",
	  "a profile OpenClaw put in cooldown (rate limit, billing, auth) until the time named" },
	{ "CREDENTIAL_MISSING", "health", "critical for the primary's provider, else warning",
	  "a provider a chain uses has no credential at all" },
	{ "CREDENTIAL_STORE_UNREADABLE", "health", "warning",
	  "a credential store cannot be read: its profiles are not checked" },
	{ "CREDENTIAL_STATUS_UNAVAILABLE", "health", "info",
	  "`openclaw models status --json` failed: credentials were read from the stores instead" },
	{ "DECISION_NO_FAILOVER", "health", "critical",
	  "the requested model failed and the log says `next=none`" },
	{ "FALLBACK_CHAIN_EXHAUSTED", "health", "warning", "every candidate failed" },
	{ "DECISION_LOG_UNREADABLE", "health", "warning", "the log exists but cannot be read" },
	{ "DECISION_LOG_LINES_SKIPPED", "health", "info",
	  "decision log lines longer than the line cap were skipped" },
	{ "STALE_SESSION_LOCK", "health", "warning",
	  "a session lock whose process is gone (`--fix-locks` removes only those)" },
	{ "SESSION_LOCK_UNREADABLE", "health", "warning",
	  "a session lock that cannot be parsed; left untouched" },
	{ "STALE_GATEWAY_LOCK", "health", "info",
	  "a gateway lock whose process is gone (the next gateway start takes it over)" },
	{ "GATEWAY_DOWN", "health", "critical",
	  "(`serve`, supervise driver) the gateway is not running; the agent starts it again "
	  "after a growing delay (`docs/gateway.md`)" },
	{ "GATEWAY_UNREADY", "health", "warning",
	  "(`serve`) the gateway runs but has not answered `/readyz` with 200 for half of "
	  "`gateway.watch.unready_ms`; the agent restarts it at `unready_ms`" },
	{ "GATEWAY_CRASH_LOOP", "health", "critical",
	  "(`serve`) the gateway kept exiting and reached the start limit; not started again "
	  "until an operation or an agent restart" },
	{ "NOT_IN_SETTINGS", "plan", "info",
	  "a live primary or fallback the settings do not name is dropped" },
	{ "DUPLICATE", "plan", "info", "a fallback already in the chain: kept once" },
	{ "DUPLICATE_AFTER_REWRITE", "plan", "info",
	  "a reference rewritten for the target version becomes one already in the chain: kept once" },
	{ "MOVED_TO_STATE_DB", "plan", "info",
	  "`meta.lastTouchedAt` dropped: the target keeps it in its state database and refuses "
	  "a config that carries it" },
	{ "IMPORT_ENTRY_IGNORED", "import", "info",
	  "a top-level archive entry not under `.openclaw/` is not imported" },
	{ "IMPORT_WORKSPACE_NOT_IN_ARCHIVE", "import", "info",
	  "a workspace the config names is not in the archive: it starts empty" },
	{ "IMPORT_ASSET_NOT_IMPORTED", "import", "warning",
	  "an asset outside the state dir and workspaces is not imported" },
	{ "IMPORT_PATH_NOT_REMAPPED", "import", "warning",
	  "a path pointing outside what was imported is dropped; the instance's default is used" },
	{ "IMPORT_PROVIDER_PRIVATE_URL", "import", "warning",
	  "a provider `baseUrl` on a loopback or private address: not contacted, to be pointed "
	  "at an address the host can reach" },
	{ "IMPORT_GATEWAY_SETTING_REPLACED", "import", "info",
	  "an imported `gateway.*` setting is replaced by the host's" },
};

const struct ck_finding_code *
ck_finding_codes(size_t *n)
{
	*n = sizeof(codes) / sizeof(codes[0]);
	return codes;
}

const struct ck_finding_code *
ck_finding_code_find(const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (strcmp(codes[i].code, code) == 0)
			return &codes[i];
	}
	return NULL;
}

const char *
ck_severity_name(enum ck_severity sev)
{
	if ((unsigned)sev > CK_SEV_CRITICAL)
		return "unknown";
	return severity_names[sev];
}

void
ck_finding_code_check(const char *code)
{
#ifdef CK_TEST_HOOKS
	if (ck_finding_code_find(code) == NULL) {
		fprintf(stderr, "clawkeeper: finding code %s is not in the registry "
			"(common/finding.c)\n", code ? code : "(null)");
		abort();
	}
#else
	(void)code;
#endif
}

int
ck_finding_add(json_t *findings, const char *code, enum ck_severity sev,
	       const char *surface, const char *fix, const char *fmt, ...)
{
	char msg[1024];
	json_t *f;
	va_list ap;

	ck_finding_code_check(code);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f = json_pack("{s:s, s:s, s:s, s:s}", "code", code, "severity",
		      ck_severity_name(sev), "surface", surface ? surface : "instance",
		      "message", msg);
	if (f == NULL)
		return -1;
	if (fix != NULL)
		json_object_set_new(f, "fix", json_string(fix));
	return json_array_append_new(findings, f);
}

enum ck_severity
ck_findings_worst(const json_t *findings)
{
	enum ck_severity worst = CK_SEV_OK;
	size_t i;
	json_t *f;

	json_array_foreach(findings, i, f) {
		const char *s = json_string_value(json_object_get(f, "severity"));
		enum ck_severity sev = CK_SEV_OK;

		if (s == NULL)
			continue;
		if (strcmp(s, "critical") == 0)
			sev = CK_SEV_CRITICAL;
		else if (strcmp(s, "warning") == 0)
			sev = CK_SEV_WARNING;
		else if (strcmp(s, "info") == 0)
			sev = CK_SEV_INFO;
		if (sev > worst)
			worst = sev;
	}
	return worst;
}

const char *
ck_status_name(enum ck_severity worst)
{
	if (worst == CK_SEV_CRITICAL)
		return "critical";
	if (worst == CK_SEV_WARNING)
		return "warning";
	return "ok";
}

int
ck_status_exit_code(enum ck_severity worst)
{
	if (worst == CK_SEV_CRITICAL)
		return 1;
	if (worst == CK_SEV_WARNING)
		return 2;
	return 0;
}
