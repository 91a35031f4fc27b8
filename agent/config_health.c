/* Config health: reads the live model chains (defaults, agents, cron) and
 * says where they cannot fail over or differ from the desired settings.
 * Every finding names its surface and carries a command that fixes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/compat.h"
#include "clawkeeper/config_health.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/error.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/model.h"
#include "clawkeeper/version.h"

/*
 * Providers OpenClaw ships built in, so a fallback on them resolves
 * through the bundled catalog without any models.providers entry. Taken
 * from the provider pages of docs.openclaw.ai (providers/index, "Model
 * providers", and the bundled-variant notes). Providers that serve local
 * models (ollama, vllm, sglang, lmstudio) have no catalog: OpenClaw only
 * resolves the models listed in models.providers.<id>.models, which is
 * how an ollama fallback with "models": [] vanishes in the field.
 */
struct builtin_provider {
	const char *id;
	int needs_models_listed;
};

static const struct builtin_provider builtin_providers[] = {
	{ "openai", 0 },
	{ "openai-codex", 0 },
	{ "codex", 0 },            /* Codex app-server harness */
	{ "codex-cli", 0 },        /* Codex CLI backend */
	{ "anthropic", 0 },
	{ "anthropic-vertex", 0 },
	{ "claude-cli", 0 },
	{ "openrouter", 0 },
	{ "google", 0 },
	{ "google-vertex", 0 },
	{ "google-gemini-cli", 0 },
	{ "mistral", 0 },
	{ "groq", 0 },
	{ "xai", 0 },
	{ "deepseek", 0 },
	{ "together", 0 },
	{ "amazon-bedrock", 0 },
	{ "cerebras", 0 },
	{ "chutes", 0 },
	{ "cloudflare-ai-gateway", 0 },
	{ "fireworks", 0 },
	{ "github-copilot", 0 },
	{ "copilot-proxy", 0 },
	{ "huggingface", 0 },
	{ "kilocode", 0 },
	{ "litellm", 0 },
	{ "minimax", 0 },
	{ "moonshot", 0 },
	{ "kimi-coding", 0 },
	{ "nvidia", 0 },
	{ "opencode", 0 },
	{ "opencode-go", 0 },
	{ "qianfan", 0 },
	{ "qwen", 0 },
	{ "stepfun", 0 },
	{ "synthetic", 0 },
	{ "venice", 0 },
	{ "vercel-ai-gateway", 0 },
	{ "volcengine", 0 },
	{ "byteplus", 0 },
	{ "xiaomi", 0 },
	{ "zai", 0 },
	{ "ollama", 1 },
	{ "vllm", 1 },
	{ "sglang", 1 },
	{ "lmstudio", 1 },
};

struct health_ctx {
	json_t *config;
	const json_t *settings;
	json_t *findings;
	int unified;                 /* 1 >= 2026.5.30, 0 before, -1 unknown */
	const char *defaults_primary;
	json_t *defaults_fallbacks;
	json_t *empty;               /* [] for settings without fallbacks */
	json_t *cron;                /* ck_cron_jobs_load(); NULL if unreadable */
};

/* A growing string for the lists a finding names. */
struct sbuf {
	char *s;
	size_t len;
	FILE *f;
};

static int
sbuf_open(struct sbuf *b)
{
	b->s = NULL;
	b->len = 0;
	b->f = open_memstream(&b->s, &b->len);
	return b->f == NULL ? -1 : 0;
}

static char *
sbuf_close(struct sbuf *b)
{
	if (fclose(b->f) != 0) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

static const struct builtin_provider *
builtin_lookup(const char *provider)
{
	size_t i;

	for (i = 0; i < sizeof(builtin_providers) / sizeof(builtin_providers[0]); i++)
		if (strcmp(builtin_providers[i].id, provider) == 0)
			return &builtin_providers[i];
	return NULL;
}

static size_t
nfallbacks(json_t *fallbacks)
{
	return json_is_array(fallbacks) ? json_array_size(fallbacks) : 0;
}

static const char *
fallback_at(json_t *fallbacks, size_t i)
{
	const char *s = json_string_value(json_array_get(fallbacks, i));

	return s == NULL ? "" : s;
}

/* "a, b, c" of the fallbacks for which keep() says yes. */
static char *
join_refs(json_t *fallbacks, int (*keep)(const char *ref, void *ud), void *ud)
{
	struct sbuf b;
	size_t i, n = 0;

	if (sbuf_open(&b) < 0)
		return NULL;
	for (i = 0; i < nfallbacks(fallbacks); i++) {
		const char *ref = fallback_at(fallbacks, i);

		if (keep != NULL && !keep(ref, ud))
			continue;
		fprintf(b.f, "%s%s", n++ ? ", " : "", ref);
	}
	return sbuf_close(&b);
}

static int
add(struct health_ctx *ctx, const char *code, enum ck_severity sev,
    const char *surface, const char *fix, const char *msg)
{
	return ck_finding_add(ctx->findings, code, sev, surface, fix, "%s", msg);
}

/* ---- per-chain checks ------------------------------------------------ */

static int
check_no_fallbacks(struct health_ctx *ctx, const struct ck_chain *c)
{
	char msg[512], fix[512];

	if (c->kind == CK_CHAIN_DEFAULTS) {
		snprintf(msg, sizeof(msg), "agents.defaults.model has primary %s and no "
			 "fallbacks: when it fails (expired login, outage) every turn "
			 "fails with next=none", c->primary);
		snprintf(fix, sizeof(fix), "list fallbacks on other providers in the "
			 "settings and run `clawkeeper regenerate`, or add one with "
			 "`openclaw models fallbacks add <provider>/<model>`");
	} else {
		snprintf(msg, sizeof(msg), "agent %s sets \"fallbacks\": [] under primary "
			 "%s: it never fails over, not even to the defaults' chain",
			 c->id, c->primary ? c->primary : ctx->defaults_primary);
		snprintf(fix, sizeof(fix), "give agent %s fallbacks in the settings "
			 "(agents.%s.fallbacks) and run `clawkeeper regenerate`, or drop "
			 "its empty \"fallbacks\" so it inherits agents.defaults.model",
			 c->id, c->id);
	}
	return add(ctx, "NO_FALLBACKS", CK_SEV_WARNING, c->surface, fix, msg);
}

static int
check_agent_strict(struct health_ctx *ctx, const struct ck_chain *c)
{
	char msg[512], fix[512];
	const char *primary = c->primary ? c->primary : ctx->defaults_primary;

	snprintf(msg, sizeof(msg), "agent %s pins its model to %s with no fallbacks "
		 "(%s): its turns fail when that model does, the defaults' chain is "
		 "not used", c->id, primary ? primary : "(the default primary)",
		 c->model_is_string ? "\"model\" is a plain string"
				    : "\"model\" has no \"fallbacks\"");
	snprintf(fix, sizeof(fix), "if that is not intended, set "
		 "agents.%s.fallbacks in the settings and run `clawkeeper regenerate`",
		 c->id);
	return add(ctx, "AGENT_MODEL_STRICT", CK_SEV_INFO, c->surface, fix, msg);
}

static int
check_same_provider(struct health_ctx *ctx, const struct ck_chain *c,
		    const char *primary)
{
	char family[64], fam[64], msg[1024], fix[512];
	char *list;
	size_t i;
	int rc;

	if (primary == NULL || nfallbacks(c->fallbacks) == 0)
		return 0;
	ck_model_family(primary, family, sizeof(family));
	for (i = 0; i < nfallbacks(c->fallbacks); i++) {
		ck_model_family(fallback_at(c->fallbacks, i), fam, sizeof(fam));
		if (strcmp(fam, family) != 0)
			return 0;
	}
	if ((list = join_refs(c->fallbacks, NULL, NULL)) == NULL)
		return -1;
	snprintf(msg, sizeof(msg), "every fallback of %s is on the %s provider "
		 "family too (%s): one %s outage or expired login takes the whole "
		 "chain down", primary, family, list, family);
	snprintf(fix, sizeof(fix), "add a fallback on another provider to the "
		 "settings and run `clawkeeper regenerate`%s",
		 c->kind == CK_CHAIN_DEFAULTS
			 ? ", or `openclaw models fallbacks add <provider>/<model>`" : "");
	rc = add(ctx, "FALLBACKS_SAME_PROVIDER_ONLY", CK_SEV_WARNING, c->surface,
		 fix, msg);
	free(list);
	return rc;
}

static int
models_list_has(json_t *models, const char *model_id)
{
	json_t *m;
	size_t i;

	json_array_foreach(models, i, m) {
		const char *id = json_is_string(m) ? json_string_value(m)
						   : json_string_value(json_object_get(m, "id"));

		if (id != NULL && strcmp(id, model_id) == 0)
			return 1;
	}
	return 0;
}

/* The command that lists mid, keeping what the list already holds (a
 * plain `config set` of one entry would drop the others). Model entries
 * carry no credentials; those sit on the provider. */
static void
models_fix(const char *provider, const char *mid, json_t *models, char *fix,
	   size_t nfix)
{
	json_t *list = json_is_array(models) ? json_deep_copy(models) : json_array();
	const char *ollama = strcmp(provider, "ollama") == 0 &&
			     json_array_size(models) == 0
		? "`clawkeeper regenerate` fills an empty list from ollama's GET "
		  "/api/tags; or by hand: " : "";
	char *dump = NULL;

	if (list != NULL &&
	    json_array_append_new(list, json_pack("{s:s, s:s}", "id", mid,
						  "name", mid)) == 0)
		dump = json_dumps(list, JSON_COMPACT);
	if (dump != NULL && strlen(dump) < nfix / 2)
		snprintf(fix, nfix, "%s`openclaw config set models.providers.%s.models "
			 "'%s' --strict-json`", ollama, provider, dump);
	else
		snprintf(fix, nfix, "%sadd {\"id\":\"%s\"} to models.providers.%s.models "
			 "(`openclaw config get models.providers.%s.models`, then "
			 "`openclaw config set` the longer list)", ollama, mid, provider,
			 provider);
	free(dump);
	json_decref(list);
}

/* Returns 1 and fills why/fix when OpenClaw cannot resolve ref. */
static int
unresolved(struct health_ctx *ctx, const char *ref, char *why, size_t nwhy,
	   char *fix, size_t nfix)
{
	const struct builtin_provider *bp;
	json_t *pc, *models;
	char provider[64];
	const char *mid;

	ck_model_provider(ref, provider, sizeof(provider));
	mid = ck_model_id(ref);
	if (provider[0] == '\0' || mid[0] == '\0') {
		snprintf(why, nwhy, "\"%s\" is not a provider/model ref", ref);
		snprintf(fix, nfix, "`openclaw models fallbacks remove %s` and add the "
			 "intended provider/model", ref);
		return 1;
	}
	bp = builtin_lookup(provider);
	pc = json_object_get(json_object_get(json_object_get(ctx->config, "models"),
					     "providers"), provider);
	models = json_object_get(pc, "models");
	if (json_is_array(models) && models_list_has(models, mid))
		return 0;
	if (bp != NULL && !bp->needs_models_listed)
		return 0;
	if (bp == NULL && pc == NULL) {
		snprintf(why, nwhy, "provider %s is neither configured under "
			 "models.providers nor built into OpenClaw", provider);
		snprintf(fix, nfix, "add it to the settings' providers and run "
			 "`clawkeeper regenerate`, or `openclaw config set "
			 "models.providers.%s '{\"baseUrl\":\"...\",\"api\":\"...\","
			 "\"models\":[{\"id\":\"%s\"}]}' --strict-json`", provider, mid);
		return 1;
	}
	if (pc == NULL)
		snprintf(why, nwhy, "%s only resolves models listed in "
			 "models.providers.%s.models, and no models.providers.%s is "
			 "configured", provider, provider, provider);
	else if (!json_is_array(models) || json_array_size(models) == 0)
		snprintf(why, nwhy, "models.providers.%s.models is empty; OpenClaw "
			 "drops the fallback from the chain", provider);
	else
		snprintf(why, nwhy, "models.providers.%s.models does not list \"%s\"",
			 provider, mid);
	models_fix(provider, mid, models, fix, nfix);
	return 1;
}

static int
check_unresolved(struct health_ctx *ctx, const struct ck_chain *c)
{
	char why[512], fix[512];
	size_t i;

	for (i = 0; i < nfallbacks(c->fallbacks); i++) {
		const char *ref = fallback_at(c->fallbacks, i);

		if (!unresolved(ctx, ref, why, sizeof(why), fix, sizeof(fix)))
			continue;
		if (ck_finding_add(ctx->findings, "FALLBACK_UNRESOLVED", CK_SEV_WARNING,
				   c->surface, fix, "fallback %s does not resolve: %s",
				   ref, why) < 0)
			return -1;
	}
	return 0;
}

/* The job a cron chain came from: ck_chains_each names it by id, jobId
 * or "#<index>". */
static json_t *
cron_job_of(struct health_ctx *ctx, const struct ck_chain *c)
{
	json_t *job;
	size_t i;

	json_array_foreach(ctx->cron, i, job) {
		const char *id = json_string_value(json_object_get(job, "id"));

		if (id == NULL)
			id = json_string_value(json_object_get(job, "jobId"));
		if (id != NULL && strcmp(id, c->id) == 0)
			return job;
	}
	if (c->id[0] != '#')
		return NULL;
	return json_array_get(ctx->cron, strtoul(c->id + 1, NULL, 10));
}

static const char *
cron_source(json_t *job)
{
	const char *source = json_string_value(json_object_get(job, "source"));

	return source ? source : "the cron store";
}

static int
cron_pending(json_t *job)
{
	return json_is_true(json_object_get(job, "pending_import"));
}

/* A job without an id can only be edited in its file, by position. */
static void
cron_fix_by_position(FILE *f, const struct ck_chain *c, json_t *job, int strict)
{
	json_t *pos = json_object_get(job, "position");
	long long n = json_is_integer(pos) ? (long long)json_integer_value(pos)
					   : strtoll(c->id + 1, NULL, 10);

	if (strict)
		fprintf(f, "list fallbacks on other providers in payload.fallbacks "
			"of the job at position %lld of %s", n, cron_source(job));
	else
		fprintf(f, "to use the agent's chain, remove payload.fallbacks from "
			"the job at position %lld of %s", n, cron_source(job));
	fprintf(f, " (it has no id, so no openclaw command can name it)");
}

/* `cron edit --fallbacks` / `--clear-fallbacks` came with 2026.6.35;
 * cron.update with a fallbacks list works on 2026.6.1 and 2026.9.6
 * alike (tests/fixtures/cron/README.md). */
static char *
cron_fix(const struct ck_chain *c, json_t *job, int strict)
{
	struct sbuf b;

	if (sbuf_open(&b) < 0)
		return NULL;
	if (cron_pending(job))
		fprintf(b.f, "run `openclaw doctor --fix`, which imports cron/jobs.json "
			"into state/openclaw.sqlite (until then the gateway does not "
			"run this job), then ");
	if (c->id[0] == '#')
		cron_fix_by_position(b.f, c, job, strict);
	else if (strict)
		fprintf(b.f, "give job %s fallbacks on other providers: `openclaw cron "
			"edit %s --fallbacks <provider>/<model>,...` (OpenClaw 2026.6.35 "
			"and later), or on any version `openclaw gateway call cron.update "
			"--params '{\"id\":\"%s\",\"patch\":{\"payload\":{\"kind\":"
			"\"agentTurn\",\"fallbacks\":[\"<provider>/<model>\"]}}}'`",
			c->id, c->id, c->id);
	else
		fprintf(b.f, "to use the agent's chain instead, `openclaw cron edit %s "
			"--clear-fallbacks` (OpenClaw 2026.6.35 and later; earlier "
			"releases cannot clear it: `openclaw cron rm %s` and add the job "
			"again without fallbacks)", c->id, c->id);
	return sbuf_close(&b);
}

static int
check_cron_override(struct health_ctx *ctx, const struct ck_chain *c)
{
	json_t *job = cron_job_of(ctx, c);
	const char *pending = cron_pending(job) ? ", not run until `openclaw "
		"doctor --fix` imports it" : "";
	char msg[1024];
	char *list, *fix = NULL;
	int rc = -1;

	if (c->fallbacks == NULL)
		return 0;
	if ((list = join_refs(c->fallbacks, NULL, NULL)) == NULL ||
	    (fix = cron_fix(c, job, list[0] == '\0')) == NULL)
		goto out;
	if (list[0] == '\0')
		snprintf(msg, sizeof(msg), "cron job %s sets payload.fallbacks to []: "
			 "its runs use %s only and never fail over (job in %s%s)",
			 c->id, c->primary ? c->primary : "the agent's primary",
			 cron_source(job), pending);
	else
		snprintf(msg, sizeof(msg), "cron job %s replaces the model fallback "
			 "chain with its own payload.fallbacks: %s (job in %s%s)", c->id,
			 list, cron_source(job), pending);
	rc = add(ctx, "CRON_FALLBACKS_OVERRIDE", CK_SEV_INFO, c->surface, fix, msg);
out:
	free(list);
	free(fix);
	return rc;
}

/* ---- desired settings and the legacy runtime --------------------------- */

struct chain_view {
	const char *surface;
	const char *agent_id;      /* NULL for defaults */
	const char *job_id;        /* a cron job's surface */
	const char *primary;       /* effective live primary */
	json_t *fallbacks;         /* live fallbacks (may be NULL) */
	json_t *desired;           /* desired fallbacks; NULL: no settings */
	int unified;               /* compare modulo the unified rewrite */
	int legacy_codex;          /* < 2026.5.30 with a Codex primary */
};

/* A desired fallback is kept when the live chain has it (modulo the
 * unified rewrite), also as the primary: the rewrite can turn a Codex
 * fallback into the primary's own ref, and OpenClaw keeps it once. */
static int
is_missing(const char *ref, const struct chain_view *v)
{
	size_t i;

	if (ck_model_ref_equal(ref, v->primary, v->unified))
		return 0;
	for (i = 0; i < nfallbacks(v->fallbacks); i++)
		if (ck_model_ref_equal(ref, fallback_at(v->fallbacks, i), v->unified))
			return 0;
	return 1;
}

/* Missing, and not explained by the legacy Codex runtime. */
static int
is_stripped(const char *ref, void *ud)
{
	const struct chain_view *v = ud;

	return is_missing(ref, v) && !(v->legacy_codex && !ck_model_is_codex(ref));
}

/* Missing because the legacy Codex runtime cannot drive it: the
 * generator leaves these out on purpose, and says so. */
static int
is_left_out(const char *ref, void *ud)
{
	const struct chain_view *v = ud;

	return is_missing(ref, v) && v->legacy_codex && !ck_model_is_codex(ref);
}

static int
not_codex(const char *ref, void *ud)
{
	(void)ud;
	return !ck_model_is_codex(ref);
}

static int
report_legacy(struct health_ctx *ctx, const struct chain_view *v)
{
	char *live = NULL, *left = NULL;
	char fix[512];
	int rc = -1;

	if (!v->legacy_codex)
		return 0;
	if ((live = join_refs(v->fallbacks, not_codex, NULL)) == NULL ||
	    (left = join_refs(v->desired, is_left_out, (void *)v)) == NULL)
		goto out;
	rc = 0;
	if (live[0] == '\0' && left[0] == '\0')
		goto out;
	snprintf(fix, sizeof(fix), "upgrade OpenClaw to 2026.5.30 or later "
		 "(`clawkeeper upgrade --to <version>`), where each fallback runs on "
		 "its own provider; until then only a non-Codex primary can fail "
		 "over to them");
	rc = ck_finding_add(ctx->findings, "LEGACY_RUNTIME_DROPS_FALLBACKS",
			    CK_SEV_WARNING, v->surface, fix, "before 2026.5.30 a "
			    "Codex primary (%s) runs on the per-agent Codex runtime, "
			    "which cannot drive other providers, so the chain ends at "
			    "the primary: %s%s%s%s%s", v->primary,
			    live[0] ? live : "", live[0] ? " (in openclaw.json, "
			    "dropped at run time)" : "", live[0] && left[0] ? "; " : "",
			    left, left[0] ? " (in the settings, left out of "
			    "openclaw.json)" : "");
out:
	free(live);
	free(left);
	return rc;
}

static char *
stripped_fix(const struct chain_view *v)
{
	struct sbuf b;
	size_t i, n = 0;

	if (sbuf_open(&b) < 0)
		return NULL;
	if (v->agent_id != NULL) {
		fprintf(b.f, "run `clawkeeper regenerate` to rewrite agent %s's model "
			"from the settings", v->agent_id);
		return sbuf_close(&b);
	}
	if (v->job_id != NULL) {
		fprintf(b.f, "run `clawkeeper regenerate` to set cron job %s's chain "
			"from the settings", v->job_id);
		return sbuf_close(&b);
	}
	fprintf(b.f, "run `clawkeeper regenerate` to rewrite openclaw.json from the "
		"settings, or add each by hand:");
	for (i = 0; i < nfallbacks(v->desired); i++) {
		const char *ref = fallback_at(v->desired, i);

		if (is_stripped(ref, (void *)v))
			fprintf(b.f, "%s `openclaw models fallbacks add %s`",
				n++ ? ";" : "", ref);
	}
	return sbuf_close(&b);
}

static int
report_stripped(struct health_ctx *ctx, const struct chain_view *v)
{
	char *missing = NULL, *live = NULL, *fix = NULL;
	size_t i, nmissing = 0;
	int rc = -1;

	for (i = 0; i < nfallbacks(v->desired); i++)
		nmissing += (size_t)is_stripped(fallback_at(v->desired, i), (void *)v);
	if (nmissing == 0)
		return 0;
	if ((missing = join_refs(v->desired, is_stripped, (void *)v)) == NULL ||
	    (live = join_refs(v->fallbacks, NULL, NULL)) == NULL ||
	    (fix = stripped_fix(v)) == NULL)
		goto out;
	rc = ck_finding_add(ctx->findings, "FALLBACKS_STRIPPED", CK_SEV_CRITICAL,
			    v->surface, fix, "%zu of %zu fallbacks in the settings "
			    "are missing from the live chain: %s (live: primary %s, "
			    "fallbacks %s)", nmissing, nfallbacks(v->desired), missing,
			    v->primary ? v->primary : "none", live[0] ? live : "none");
out:
	free(missing);
	free(live);
	free(fix);
	return rc;
}

static int
check_view(struct health_ctx *ctx, struct chain_view *v)
{
	v->unified = ctx->unified != 0;
	v->legacy_codex = ctx->unified == 0 && v->primary != NULL &&
			  ck_model_is_codex(v->primary);
	if (report_legacy(ctx, v) < 0)
		return -1;
	return v->desired != NULL ? report_stripped(ctx, v) : 0;
}

/* The fallbacks the settings want on a surface; NULL when the settings
 * say nothing about it. An agent entry without "fallbacks" leaves the
 * agent's fallbacks alone (so does the generator), so there is nothing
 * to compare; AGENT_MODEL_STRICT covers an agent left with none. */
static json_t *
desired_for(struct health_ctx *ctx, const char *agent_id)
{
	json_t *fb, *want;

	if (ctx->settings == NULL)
		return NULL;
	if (agent_id != NULL) {
		want = json_object_get(json_object_get(ctx->settings, "agents"),
				       agent_id);
		return json_object_get(want, "fallbacks");
	}
	fb = json_object_get(ctx->settings, "fallbacks");
	return fb != NULL ? fb : ctx->empty;
}

/* Settings agents with a chain of their own whose live agent has no
 * model override: they run the defaults' chain. */
static int
compare_inheriting_agents(struct health_ctx *ctx)
{
	json_t *agents, *want;
	struct chain_view v;
	char surface[160];
	const char *id;

	agents = json_object_get(ctx->settings, "agents");
	json_object_foreach(agents, id, want) {
		if (json_object_get(want, "fallbacks") == NULL ||
		    ck_model_agent_model(ctx->config, id) != NULL)
			continue;
		snprintf(surface, sizeof(surface), "agent:%s", id);
		memset(&v, 0, sizeof(v));
		v.surface = surface;
		v.agent_id = id;
		v.primary = ctx->defaults_primary;
		v.fallbacks = ctx->defaults_fallbacks;
		v.desired = json_object_get(want, "fallbacks");
		if (check_view(ctx, &v) < 0)
			return -1;
	}
	return 0;
}

/* The chain a job without a model or fallbacks of its own runs: its
 * agent's, else the defaults'. */
static void
job_inherits(struct health_ctx *ctx, const json_t *job, const char **primary,
	     json_t **fallbacks)
{
	const char *agent = json_string_value(json_object_get(job, "agentId"));
	json_t *model = agent ? ck_model_agent_model(ctx->config, agent) : NULL;

	*primary = ctx->defaults_primary;
	*fallbacks = ctx->defaults_fallbacks;
	if (json_is_string(model)) {
		*primary = json_string_value(model);
		*fallbacks = NULL;
	} else if (json_is_object(model)) {
		if (json_is_string(json_object_get(model, "primary")))
			*primary = json_string_value(json_object_get(model, "primary"));
		*fallbacks = json_object_get(model, "fallbacks");
	}
}

static int
cron_not_found(struct health_ctx *ctx, const char *key, const char *why)
{
	char surface[160];

	snprintf(surface, sizeof(surface), "cron:%.150s", key);
	return ck_finding_add(ctx->findings, "CRON_JOB_NOT_FOUND", CK_SEV_WARNING, surface,
			      "name the job by its id (the cron:<id> surfaces of this "
			      "report) or take it out of the settings",
			      "settings.cron.%.150s: %s; its chain is not managed", key, why);
}

/* The settings' cron chains against the jobs (by id, or by a name only
 * one job has). A store that cannot be read is CRON_UNREADABLE already. */
static int
compare_cron_settings(struct health_ctx *ctx)
{
	const json_t *job, *payload;
	json_t *want, *fb;
	struct chain_view v;
	const char *key, *kind, *id;
	char surface[160], why[256];
	size_t named;

	json_object_foreach(json_object_get(ctx->settings, "cron"), key, want) {
		if (ctx->cron == NULL)
			return 0;
		job = ck_cron_job_find(ctx->cron, key, &named);
		if (job == NULL) {
			if (named > 1)
				snprintf(why, sizeof(why), "%zu cron jobs have this name", named);
			else
				snprintf(why, sizeof(why), "no cron job has this id or name");
			if (cron_not_found(ctx, key, why) < 0)
				return -1;
			continue;
		}
		payload = json_object_get(job, "payload");
		kind = json_string_value(json_object_get(payload, "kind"));
		if (kind == NULL || strcmp(kind, "agentTurn") != 0) {
			snprintf(why, sizeof(why), "a %.40s job, which runs no model",
				 kind ? kind : "payload-less");
			if (cron_not_found(ctx, key, why) < 0)
				return -1;
			continue;
		}
		if (json_object_get(want, "fallbacks") == NULL)
			continue;
		id = json_string_value(json_object_get(job, "id"));
		if (id == NULL)
			id = json_string_value(json_object_get(job, "jobId"));
		snprintf(surface, sizeof(surface), "cron:%.150s", id ? id : key);
		memset(&v, 0, sizeof(v));
		v.surface = surface;
		v.job_id = id ? id : key;
		job_inherits(ctx, job, &v.primary, &v.fallbacks);
		if (json_is_string(json_object_get(payload, "model")))
			v.primary = json_string_value(json_object_get(payload, "model"));
		fb = json_object_get(payload, "fallbacks");
		if (json_is_array(fb))
			v.fallbacks = fb;
		v.desired = json_object_get(want, "fallbacks");
		if (check_view(ctx, &v) < 0)
			return -1;
	}
	return 0;
}

static int
check_chain(const struct ck_chain *c, void *ud)
{
	struct health_ctx *ctx = ud;
	const char *primary = c->primary;
	struct chain_view v;

	switch (c->kind) {
	case CK_CHAIN_DEFAULTS:
		ctx->defaults_primary = c->primary;
		ctx->defaults_fallbacks = c->fallbacks;
		if (primary != NULL && nfallbacks(c->fallbacks) == 0 &&
		    check_no_fallbacks(ctx, c) < 0)
			return -1;
		break;
	case CK_CHAIN_AGENT:
		if (primary == NULL)
			primary = ctx->defaults_primary;
		if (c->fallbacks == NULL) {
			if (check_agent_strict(ctx, c) < 0)
				return -1;
		} else if (json_array_size(c->fallbacks) == 0) {
			if (check_no_fallbacks(ctx, c) < 0)
				return -1;
		}
		break;
	case CK_CHAIN_CRON:
		if (check_cron_override(ctx, c) < 0)
			return -1;
		return check_unresolved(ctx, c);
	}
	if (check_same_provider(ctx, c, primary) < 0)
		return -1;
	memset(&v, 0, sizeof(v));
	v.surface = c->surface;
	v.agent_id = c->kind == CK_CHAIN_AGENT ? c->id : NULL;
	v.primary = primary;
	v.fallbacks = c->fallbacks;
	v.desired = desired_for(ctx, v.agent_id);
	if (check_view(ctx, &v) < 0)
		return -1;
	return check_unresolved(ctx, c);
}

/* ---- instance-level findings ----------------------------------------- */

static int
check_version(struct health_ctx *ctx, const char *version)
{
	struct ck_version v;
	const char *fix = "configure the openclaw binary so `openclaw --version` "
		"can run, or make sure openclaw.json carries meta.lastTouchedVersion";

	ctx->unified = -1;
	if (version == NULL)
		return ck_finding_add(ctx->findings, "VERSION_UNKNOWN", CK_SEV_INFO,
				      "defaults", fix, "the OpenClaw version is unknown: "
				      "Codex refs are compared as if unified "
				      "(>= 2026.5.30) and the legacy-runtime check is "
				      "skipped");
	if (ck_version_parse(version, &v) < 0)
		return ck_finding_add(ctx->findings, "VERSION_UNKNOWN", CK_SEV_INFO,
				      "defaults", fix, "\"%.40s\" is not an OpenClaw "
				      "version (YYYY.M.D): version-dependent checks are "
				      "skipped", version);
	ctx->unified = ck_compat_has(version, CK_FEAT_UNIFIED_PROVIDER) == 1;
	return 0;
}

static int
report_unreadable(struct health_ctx *ctx, const struct ck_instance *inst)
{
	const char *path = inst->config_path ? inst->config_path : "openclaw.json";
	char fix[1024];

	if (inst->config_missing) {
		snprintf(fix, sizeof(fix), "run `clawkeeper regenerate` to write it "
			 "from the settings, or restore %s.bak", path);
		return ck_finding_add(ctx->findings, "CONFIG_UNREADABLE",
				      CK_SEV_CRITICAL, "defaults", fix,
				      "%s does not exist: the gateway runs without the "
				      "managed model chain", path);
	}
	snprintf(fix, sizeof(fix), "fix the file at the position given, restore "
		 "%s.bak, or run `clawkeeper regenerate`", path);
	return ck_finding_add(ctx->findings, "CONFIG_UNREADABLE", CK_SEV_CRITICAL,
			      "defaults", fix, "%s",
			      inst->config_error[0] ? inst->config_error
						    : "openclaw.json could not be read");
}

/* An unreadable store is a finding, not a failure: the other surfaces
 * are still checked. */
static int
load_cron(struct health_ctx *ctx, const struct ck_instance *inst)
{
	struct ck_error err;

	ck_error_clear(&err);
	ctx->cron = ck_cron_jobs_load(inst, &err);
	if (ctx->cron != NULL)
		return 0;
	return ck_finding_add(ctx->findings, "CRON_UNREADABLE", CK_SEV_WARNING,
			      "cron", "fix or restore the job store; `openclaw cron "
			      "list` shows what the gateway loaded", "%s", err.msg);
}

int
ck_config_health(const struct ck_instance *inst, const json_t *settings,
		 json_t *findings)
{
	struct health_ctx ctx;
	int rc = -1;

	memset(&ctx, 0, sizeof(ctx));
	ctx.config = inst->config;
	ctx.settings = settings;
	ctx.findings = findings;
	if ((ctx.empty = json_array()) == NULL)
		return -1;
	if (check_version(&ctx, inst->version) < 0)
		goto out;
	if (inst->config == NULL && report_unreadable(&ctx, inst) < 0)
		goto out;
	if (load_cron(&ctx, inst) < 0)
		goto out;
	if (ck_chains_each(inst->config, ctx.cron, check_chain, &ctx) != 0)
		goto out;
	if (inst->config != NULL && settings != NULL &&
	    (compare_inheriting_agents(&ctx) < 0 || compare_cron_settings(&ctx) < 0))
		goto out;
	rc = 0;
out:
	json_decref(ctx.cron);
	json_decref(ctx.empty);
	return rc;
}
