/* The config generator: desired settings + live config + target version
 * -> the new live config and a plan. Only the model chains, the model
 * map/allowlist and models.providers are touched; everything else in the
 * live config (channels, plugins, gateway, tools, meta, ...) is copied.
 *
 * Decisions taken from OpenClaw itself:
 * - Unified shape (>= 2026.5.30): openai-codex/<m>, codex/<m> and
 *   codex-cli/<m> become openai/<m>. That is what `openclaw doctor --fix`
 *   does: docs.openclaw.ai/concepts/agent-runtimes ("rewrites legacy
 *   runtime model refs to canonical provider/model refs"), openclaw
 *   PR #77731 / #80138 (openai-codex/<m> -> openai/<m>) and issue #90881
 *   (2026.6.1 doctor turns codex/gpt-5.5 into openai/gpt-5.5). Doctor
 *   also pins agentRuntime per model; we leave that to the target's own
 *   doctor, which the upgrade runs on the staged state first.
 * - Per-agent shape: 2026.9.1 and 9.6 write agents.entries.<id>; 8.2
 *   accepts it and moves agents.list there; 7.35 and older refuse it and
 *   document agents.list[]. We keep the shape the live config uses; with
 *   none, the one the target's row says (CK_FEAT_AGENTS_ENTRIES). A
 *   roster made from nothing keeps the implicit default agent main, and
 *   a keyed roster of several agents gets the owner the target's doctor
 *   writes (CK_FEAT_AGENTS_OWNERSHIP). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/compat.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/model.h"
#include "clawkeeper/ollama.h"
#include "clawkeeper/version.h"

#define REF_MAX 512

struct gen {
	const struct ck_gen_opts *opts;
	struct ck_version target;
	int unified;
	json_t *cfg;      /* the output, owned until returned */
	json_t *plan;
	json_t *listings; /* provider id -> array of names, or error string */
	json_t *chain_refs; /* every ref written to a chain, in order */
};

/* Providers OpenClaw ships without any models.providers entry (its
 * provider directory, docs.openclaw.ai/providers, plus the Codex and CLI
 * routes). Our own table: model.h has no such lookup. */
static const char *const builtin_providers[] = {
	"alibaba", "amazon-bedrock", "anthropic", "anthropic-vertex", "arcee",
	"byteplus", "cerebras", "chutes", "claude-cli", "cloudflare-ai-gateway",
	"codex", "codex-cli", "cohere", "copilot-proxy", "deepinfra", "deepseek",
	"fireworks", "github-copilot", "google", "google-gemini-cli",
	"google-vertex", "groq", "huggingface", "kilocode", "litellm", "minimax",
	"mistral", "moonshot", "nvidia", "ollama", "ollama-cloud", "openai",
	"openai-codex", "opencode", "opencode-go", "openrouter", "perplexity",
	"qianfan", "qwen", "sglang", "stepfun", "synthetic", "together",
	"venice", "vercel-ai-gateway", "vllm", "volcengine", "xai", "xiaomi",
	"zai",
};

static int
provider_is_builtin(const char *p)
{
	size_t i;

	for (i = 0; i < sizeof(builtin_providers) / sizeof(builtin_providers[0]); i++)
		if (strcmp(builtin_providers[i], p) == 0)
			return 1;
	return 0;
}

static const char *
ref_model(const char *ref)
{
	const char *slash = strchr(ref, '/');

	return slash ? slash + 1 : ref;
}

/* snprintf for messages: truncation is fine, they are for people. */
static void
say(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
say(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}

/* The ref as the target version writes it. */
static void
canonical_ref(const struct gen *g, const char *ref, char *out, size_t n)
{
	if (g->unified && ck_model_is_codex(ref))
		snprintf(out, n, "openai/%s", ref_model(ref));
	else
		snprintf(out, n, "%s", ref);
}

static int
plan_add(struct gen *g, const char *surface, const char *role,
	 const char *ref, const char *action, const char *to, int warning,
	 const char *code, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));

static int
plan_add(struct gen *g, const char *surface, const char *role,
	 const char *ref, const char *action, const char *to, int warning,
	 const char *code, const char *fmt, ...)
{
	char reason[1024];
	json_t *e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	e = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s}",
		      "surface", surface, "role", role, "ref", ref,
		      "action", action,
		      "to", to ? json_string(to) : json_null(),
		      "reason", reason,
		      "severity", warning ? "warning" : "info");
	if (e == NULL)
		return -1;
	if (code != NULL) {
		ck_finding_code_check(code);
		json_object_set_new(e, "code", json_string(code));
	}
	return json_array_append_new(g->plan, e);
}

/* ---- settings, lightly checked (settings.c owns the full schema) ---- */

static int
check_ref(const json_t *v, const char *field, struct ck_error *err)
{
	const char *s = json_string_value(v);
	const char *slash = s ? strchr(s, '/') : NULL;

	if (s == NULL || slash == NULL || slash == s || slash[1] == '\0' ||
	    strlen(s) >= REF_MAX) {
		ck_error_set(err, "settings: %s: expected \"provider/model\"", field);
		return -1;
	}
	return 0;
}

static int
check_chain(const json_t *obj, const char *where, int need_primary,
	    struct ck_error *err)
{
	json_t *primary = json_object_get(obj, "primary");
	json_t *fb = json_object_get(obj, "fallbacks");
	char field[300];
	json_t *v;
	size_t i;

	snprintf(field, sizeof(field), "%sprimary", where);
	if (primary != NULL || need_primary)
		if (check_ref(primary, field, err) < 0)
			return -1;
	if (fb != NULL && !json_is_array(fb)) {
		ck_error_set(err, "settings: %sfallbacks: expected an array", where);
		return -1;
	}
	json_array_foreach(fb, i, v) {
		snprintf(field, sizeof(field), "%sfallbacks[%zu]", where, i);
		if (check_ref(v, field, err) < 0)
			return -1;
	}
	return 0;
}

static int
check_settings(const json_t *s, struct ck_error *err)
{
	json_t *agents = json_object_get(s, "agents");
	json_t *providers = json_object_get(s, "providers");
	char where[300];
	const char *id;
	json_t *v;

	if (!json_is_object(s)) {
		ck_error_set(err, "settings: expected an object");
		return -1;
	}
	if (check_chain(s, "", 1, err) < 0)
		return -1;
	if (agents != NULL && !json_is_object(agents)) {
		ck_error_set(err, "settings: agents: expected an object");
		return -1;
	}
	json_object_foreach(agents, id, v) {
		snprintf(where, sizeof(where), "agents.%s.", id);
		if (!json_is_object(v) || *id == '\0') {
			ck_error_set(err, "settings: agents.%s: expected an object", id);
			return -1;
		}
		if (check_chain(v, where, 0, err) < 0)
			return -1;
	}
	if (json_object_get(s, "cron") != NULL && !json_is_object(json_object_get(s, "cron"))) {
		ck_error_set(err, "settings: cron: expected an object");
		return -1;
	}
	json_object_foreach(json_object_get(s, "cron"), id, v) {
		snprintf(where, sizeof(where), "cron.%.200s.", id);
		if (!json_is_object(v) || *id == '\0') {
			ck_error_set(err, "settings: cron.%.200s: expected an object", id);
			return -1;
		}
		if (check_chain(v, where, 0, err) < 0)
			return -1;
	}
	if (providers != NULL && !json_is_object(providers)) {
		ck_error_set(err, "settings: providers: expected an object");
		return -1;
	}
	json_object_foreach(providers, id, v) {
		if (!json_is_object(v)) {
			ck_error_set(err, "settings: providers.%s: expected an object", id);
			return -1;
		}
	}
	return 0;
}

/* ---- small jansson helpers ---- */

/* parent[key] as an object, created (at the end) when absent. NULL when
 * it exists but is not an object: we never overwrite what we don't own. */
static json_t *
ensure_object(json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);

	if (v == NULL) {
		v = json_object();
		if (json_object_set_new(parent, key, v) < 0)
			return NULL;
	}
	return json_is_object(v) ? v : NULL;
}

static int
array_has_string(const json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

static void
set_add(json_t *set, const char *s)
{
	json_object_set_new(set, s, json_true());
}

/* ---- providers ---- */

static int
merge_providers(struct gen *g, const json_t *settings, struct ck_error *err)
{
	json_t *want = json_object_get(settings, "providers");
	json_t *models;
	json_t *providers;
	const char *id;
	json_t *conf;

	if (json_object_size(want) == 0)
		return 0;
	models = ensure_object(g->cfg, "models");
	providers = models ? ensure_object(models, "providers") : NULL;
	if (providers == NULL) {
		ck_error_set(err, "live config: models.providers is not an object");
		return -1;
	}
	json_object_foreach(want, id, conf) {
		json_t *have = json_object_get(providers, id);
		char keys[512] = "";
		char surface[300];
		const char *k;
		json_t *kv;
		json_t *before;
		json_t *copy;
		size_t used = 0;

		json_object_foreach(conf, k, kv) {
			int w = snprintf(keys + used, sizeof(keys) - used, "%s%s",
					 used ? ", " : "", k);
			if (w < 0 || (size_t)w >= sizeof(keys) - used)
				break;
			used += (size_t)w;
		}
		snprintf(surface, sizeof(surface), "provider:%s", id);
		if (have == NULL) {
			json_object_set_new(providers, id, json_deep_copy(conf));
			plan_add(g, surface, "provider", id, "added", NULL, 0, NULL,
				 "settings.providers.%s added to models.providers (keys: %s)",
				 id, keys);
			continue;
		}
		if (!json_is_object(have)) {
			ck_error_set(err, "live config: models.providers.%s is not an object", id);
			return -1;
		}
		before = json_deep_copy(have);
		copy = json_deep_copy(conf);
		json_object_update(have, copy);
		json_decref(copy);
		if (json_equal(before, have))
			plan_add(g, surface, "provider", id, "kept", NULL, 0, NULL,
				 "models.providers.%s already matches the settings", id);
		else
			plan_add(g, surface, "provider", id, "rewritten", NULL, 0, NULL,
				 "settings win for models.providers.%s keys: %s", id, keys);
		json_decref(before);
	}
	return 0;
}

/* ---- resolution: does a ref name something OpenClaw can run? ---- */

enum resolution { RES_OK, RES_FILLED, RES_UNRESOLVED };

static int
provider_is_ollama(const char *p, const json_t *conf)
{
	const char *api = json_string_value(json_object_get(conf, "api"));

	/* Custom ids with api "ollama" follow ollama's rules (OpenClaw docs,
	 * providers/ollama "Custom provider ids"). */
	return strcmp(p, "ollama") == 0 || (api && strcmp(api, "ollama") == 0);
}

/* Ollama names "llama3.1" and "llama3.1:latest" the same model. */
static int
ollama_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);

	if (strcmp(a, b) == 0)
		return 1;
	if (la + 7 == lb && strncmp(a, b, la) == 0 && strcmp(b + la, ":latest") == 0)
		return 1;
	if (lb + 7 == la && strncmp(a, b, lb) == 0 && strcmp(a + lb, ":latest") == 0)
		return 1;
	return 0;
}

static int
models_list_has(const json_t *models, const char *m, int ollama)
{
	json_t *e;
	size_t i;

	json_array_foreach(models, i, e) {
		const char *id = json_is_string(e) ? json_string_value(e)
			: json_string_value(json_object_get(e, "id"));

		if (id == NULL)
			continue;
		if (ollama ? ollama_name_eq(id, m) : strcmp(id, m) == 0)
			return 1;
	}
	return 0;
}

/* The provider's listing, fetched once per generate call. Returns the
 * borrowed array, or NULL with why filled. */
static json_t *
listing_for(struct gen *g, const char *p, const json_t *conf, char *why,
	    size_t n)
{
	json_t *cached = json_object_get(g->listings, p);
	const char *base = json_string_value(json_object_get(conf, "baseUrl"));
	ck_gen_list_models_fn fn = g->opts->list_models;
	struct ck_error err;
	json_t *names = NULL;

	if (cached == NULL) {
		if (base == NULL) /* OpenClaw accepts the OpenAI-SDK spelling too */
			base = json_string_value(json_object_get(conf, "baseURL"));
		if (fn == NULL)
			fn = ck_ollama_list_models;
		ck_error_clear(&err);
		if (g->opts->no_fetch)
			cached = json_string("the listing was not fetched (offline plan)");
		else if (fn(base ? base : CK_OLLAMA_DEFAULT_BASE_URL, &names, &err,
			    g->opts->ud) < 0 || !json_is_array(names)) {
			json_decref(names);
			cached = json_string(err.msg[0] ? err.msg : "listing failed");
		} else {
			cached = names;
		}
		json_object_set_new(g->listings, p, cached);
	}
	if (json_is_string(cached)) {
		say(why, n, "%s", json_string_value(cached));
		return NULL;
	}
	return cached;
}

static enum resolution
resolve_ollama(struct gen *g, const char *ref, const char *p, json_t *conf,
	       char *why, size_t n)
{
	const char *m = ref_model(ref);
	json_t *models = json_object_get(conf, "models");
	int was_empty = json_array_size(models) == 0;
	char lwhy[CK_ERROR_MAX];
	json_t *listing;
	json_t *name;
	size_t i;

	if (models_list_has(models, m, 1))
		return RES_OK;
	listing = listing_for(g, p, conf, lwhy, sizeof(lwhy));
	if (listing == NULL) {
		say(why, n, "models.providers.%s.models %s and its listing "
			 "failed: %s", p, was_empty ? "is empty" : "does not list it",
			 lwhy);
		return RES_UNRESOLVED;
	}
	if (!models_list_has(listing, m, 1)) {
		say(why, n, "models.providers.%s.models %s and the provider's "
			 "listing (%zu models) does not offer %s", p,
			 was_empty ? "is empty" : "does not list it",
			 json_array_size(listing), m);
		return RES_UNRESOLVED;
	}
	if (!json_is_array(models)) {
		models = json_array();
		json_object_set_new(conf, "models", models);
	}
	/* Entry shape as OpenClaw's ollama recipes write it: {id, name}. An
	 * empty list takes the whole listing (what OpenClaw's own discovery
	 * would see); a partial one gains only the missing model. */
	json_array_foreach(listing, i, name) {
		const char *s = json_string_value(name);

		if (s == NULL || models_list_has(models, s, 1))
			continue;
		if (!was_empty && !ollama_name_eq(s, m))
			continue;
		json_array_append_new(models, json_pack("{s:s, s:s}", "id", s,
							"name", s));
	}
	say(why, n, "filled models.providers.%s.models from the provider's "
		 "listing", p);
	return RES_FILLED;
}

static enum resolution
resolve_ref(struct gen *g, const char *ref, char *why, size_t n)
{
	json_t *providers = json_object_get(json_object_get(g->cfg, "models"),
					    "providers");
	char p[REF_MAX];
	json_t *conf;
	json_t *models;

	ck_model_provider(ref, p, sizeof(p));
	conf = json_object_get(providers, p);
	if (json_is_object(conf)) {
		if (provider_is_ollama(p, conf))
			return resolve_ollama(g, ref, p, conf, why, n);
		if (provider_is_builtin(p))
			return RES_OK;
		models = json_object_get(conf, "models");
		if (models_list_has(models, ref_model(ref), 0))
			return RES_OK;
		say(why, n, "custom provider %s: models.providers.%s.models "
			 "does not list %s", p, p, ref_model(ref));
		return RES_UNRESOLVED;
	}
	if (provider_is_builtin(p))
		return RES_OK;
	say(why, n, "provider %s is neither in models.providers nor built "
		 "into OpenClaw", p);
	return RES_UNRESOLVED;
}

/* ---- chains ---- */

struct chain_in {
	const char *surface;          /* "defaults", "agent:<id>" */
	const char *want_primary;     /* from the settings; NULL: not owned */
	const json_t *want_fallbacks; /* from the settings; NULL: not owned */
	const char *inherited;        /* primary in force when not owned */
	const char *live_primary;
	const json_t *live_fallbacks;
};

static void
note_chain_ref(struct gen *g, const char *ref)
{
	if (!array_has_string(g->chain_refs, ref))
		json_array_append_new(g->chain_refs, json_string(ref));
}

/* One plan entry for a ref that stays in the chain (as `out`). */
static int
emit_ref(struct gen *g, const struct chain_in *in, const char *role,
	 const char *want, const char *out, int in_live)
{
	char why[CK_ERROR_MAX + 256] = "";
	char base[REF_MAX + 200];
	char p[REF_MAX];
	char where[REF_MAX + 64];
	char surface[REF_MAX + 16];
	const char *action;
	enum resolution r;

	r = resolve_ref(g, out, why, sizeof(why));
	if (strcmp(want, out) != 0) {
		action = "rewritten";
		say(base, sizeof(base), "Codex ref on the unified provider "
			 "shape (OpenClaw >= 2026.5.30) is written %s, as openclaw "
			 "doctor does", out);
	} else if (in_live) {
		action = "kept";
		say(base, sizeof(base), "in the settings and the live chain");
	} else {
		action = "added";
		say(base, sizeof(base), "in the settings, missing from the "
			 "live chain");
	}
	if (r == RES_FILLED) {
		ck_model_provider(out, p, sizeof(p));
		say(where, sizeof(where), "models.providers.%s.models", p);
		say(surface, sizeof(surface), "provider:%s", p);
		say(base + strlen(base), sizeof(base) - strlen(base),
			 "; provider model list filled");
		if (plan_add(g, surface, "models", out, "filled", where, 0, NULL,
			     "%s", why) < 0)
			return -1;
	}
	note_chain_ref(g, out);
	if (r == RES_UNRESOLVED)
		return plan_add(g, in->surface, role, want, action,
				strcmp(want, out) ? out : NULL, 1,
				"FALLBACK_UNRESOLVED",
				"unresolved: %s; kept in the chain so the gap shows "
				"(%s)", why, base);
	return plan_add(g, in->surface, role, want, action,
			strcmp(want, out) ? out : NULL, 0, NULL, "%s", base);
}

static int
live_has(const struct chain_in *in, const char *ref)
{
	return array_has_string(in->live_fallbacks, ref);
}

static void
drop_fallback(struct gen *g, const struct chain_in *in, const char *want,
	      const char *out, const char *eff_primary, int legacy_codex)
{
	char p[REF_MAX];

	if (legacy_codex && !ck_model_is_codex(want)) {
		ck_model_provider(want, p, sizeof(p));
		plan_add(g, in->surface, "fallback", want, "dropped", NULL, 1,
			 "LEGACY_RUNTIME_DROPS_FALLBACKS",
			 "LEGACY_RUNTIME_DROPS_FALLBACKS: OpenClaw %s runs the Codex "
			 "primary %s on its per-agent Codex runtime, which cannot "
			 "call %s; upgrade to 2026.5.30 or later (unified provider "
			 "shape) to keep this fallback", g->opts->target_version,
			 eff_primary, p);
		return;
	}
	if (strcmp(want, out) != 0)
		plan_add(g, in->surface, "fallback", want, "dropped", NULL, 0,
			 "DUPLICATE_AFTER_REWRITE", "becomes %s, which is already "
			 "in the chain; kept once", out);
	else
		plan_add(g, in->surface, "fallback", want, "dropped", NULL, 0,
			 "DUPLICATE", "already in the chain; kept once");
}

/* Live refs the settings no longer list leave the chain, and say so. */
static void
report_live_leftovers(struct gen *g, const struct chain_in *in,
		      json_t *accounted)
{
	char c[REF_MAX];
	json_t *v;
	size_t i;

	if (in->want_primary && in->live_primary) {
		canonical_ref(g, in->live_primary, c, sizeof(c));
		if (!json_object_get(accounted, in->live_primary) &&
		    !json_object_get(accounted, c))
			plan_add(g, in->surface, "primary", in->live_primary,
				 "dropped", NULL, 0, "NOT_IN_SETTINGS",
				 "live primary replaced by the settings' primary");
	}
	if (in->want_fallbacks == NULL)
		return;
	json_array_foreach(in->live_fallbacks, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL)
			continue;
		canonical_ref(g, s, c, sizeof(c));
		if (!json_object_get(accounted, s) && !json_object_get(accounted, c))
			plan_add(g, in->surface, "fallback", s, "dropped", NULL, 0,
				 "NOT_IN_SETTINGS", "in the live chain but not in "
				 "the settings' fallbacks");
	}
}

/* Builds the chain the target should run. out_primary gets "" when the
 * primary is not owned; *out_fb is NULL when the fallbacks are not. */
static int
build_chain(struct gen *g, const struct chain_in *in, char *out_primary,
	    size_t n, json_t **out_fb)
{
	json_t *seen = json_object();      /* refs in the output chain */
	json_t *accounted = json_object(); /* every ref the plan covered */
	char eff[REF_MAX] = "";
	char out[REF_MAX];
	int legacy_codex;
	json_t *v;
	size_t i;
	int rc = 0;

	out_primary[0] = '\0';
	*out_fb = NULL;
	if (in->want_primary) {
		canonical_ref(g, in->want_primary, out_primary, n);
		rc |= emit_ref(g, in, "primary", in->want_primary, out_primary,
			       in->live_primary &&
			       strcmp(in->live_primary, out_primary) == 0);
		snprintf(eff, sizeof(eff), "%s", out_primary);
		set_add(accounted, in->want_primary);
	} else if (in->inherited) {
		canonical_ref(g, in->inherited, eff, sizeof(eff));
	}
	if (eff[0]) {
		set_add(seen, eff);
		set_add(accounted, eff);
	}
	/* Before 2026.5.30 a Codex primary runs on the agent's own Codex
	 * runtime, which can only drive Codex models. */
	legacy_codex = !g->unified && eff[0] && ck_model_is_codex(eff);
	if (in->want_fallbacks)
		*out_fb = json_array();
	json_array_foreach(in->want_fallbacks, i, v) {
		const char *want = json_string_value(v);

		canonical_ref(g, want, out, sizeof(out));
		set_add(accounted, want);
		set_add(accounted, out);
		if ((legacy_codex && !ck_model_is_codex(want)) ||
		    json_object_get(seen, out)) {
			drop_fallback(g, in, want, out, eff, legacy_codex);
			continue;
		}
		set_add(seen, out);
		json_array_append_new(*out_fb, json_string(out));
		rc |= emit_ref(g, in, "fallback", want, out, live_has(in, out));
	}
	report_live_leftovers(g, in, accounted);
	json_decref(seen);
	json_decref(accounted);
	return rc < 0 ? -1 : 0;
}

/* Reads the live chain out of a model value (string or object). */
static void
live_chain(const json_t *model, const char **primary, const json_t **fb)
{
	*primary = NULL;
	*fb = NULL;
	if (json_is_string(model)) {
		*primary = json_string_value(model);
	} else if (json_is_object(model)) {
		*primary = json_string_value(json_object_get(model, "primary"));
		*fb = json_object_get(model, "fallbacks");
	}
}

/* Writes the chain into holder["model"], keeping other keys of an
 * object model and its position in holder. */
static int
write_chain(json_t *holder, const char *primary, json_t *fb)
{
	json_t *model = json_object_get(holder, "model");

	if (!json_is_object(model)) {
		const char *old = json_string_value(model);
		json_t *obj = json_object();

		if (old && !primary[0])
			json_object_set_new(obj, "primary", json_string(old));
		if (json_object_set_new(holder, "model", obj) < 0)
			return -1;
		model = obj;
	}
	if (primary[0])
		json_object_set_new(model, "primary", json_string(primary));
	if (fb)
		json_object_set(model, "fallbacks", fb);
	return 0;
}

static int
apply_surface(struct gen *g, json_t *holder, const char *surface,
	      const char *want_primary, const json_t *want_fb,
	      const char *inherited)
{
	json_t *live_model = json_deep_copy(json_object_get(holder, "model"));
	char out_primary[REF_MAX];
	struct chain_in in;
	json_t *fb = NULL;
	int rc;

	memset(&in, 0, sizeof(in));
	in.surface = surface;
	in.want_primary = want_primary;
	in.want_fallbacks = want_fb;
	live_chain(live_model, &in.live_primary, &in.live_fallbacks);
	in.inherited = in.live_primary ? in.live_primary : inherited;
	rc = build_chain(g, &in, out_primary, sizeof(out_primary), &fb);
	if (rc == 0 && (want_primary || want_fb))
		rc = write_chain(holder, out_primary, fb);
	json_decref(fb);
	json_decref(live_model);
	return rc;
}

/* ---- surfaces: defaults and per-agent ---- */

static int
do_defaults(struct gen *g, const json_t *settings, struct ck_error *err)
{
	json_t *agents = ensure_object(g->cfg, "agents");
	json_t *defaults = agents ? ensure_object(agents, "defaults") : NULL;
	json_t *fb = json_object_get(settings, "fallbacks");
	json_t *empty = json_array();
	int rc;

	if (defaults == NULL) {
		ck_error_set(err, "live config: agents.defaults is not an object");
		json_decref(empty);
		return -1;
	}
	rc = apply_surface(g, defaults, "defaults",
			   json_string_value(json_object_get(settings, "primary")),
			   fb ? fb : empty, NULL);
	json_decref(empty);
	if (rc < 0)
		ck_error_set(err, "out of memory");
	return rc;
}

/* OpenClaw's implicit default agent: a config without agents.list or
 * agents.entries has this one agent. */
#define DEFAULT_AGENT_ID "main"

/* A roster made from nothing starts with main. A roster of the new agent
 * alone makes that agent the default, and main's credentials and sessions
 * (agents/main/) are no longer used: 2026.5.28 and 2026.8.2 `agents list`
 * call the new agent isDefault, `models status` reads agents/<it>/agent. */
static int
keep_default_agent(struct gen *g, const char *roster)
{
	return plan_add(g, "agent:" DEFAULT_AGENT_ID, "agent", DEFAULT_AGENT_ID, "kept", NULL,
			0, NULL, "the instance's implicit default agent is written first into "
			"the new %s, so it stays the default agent (its credentials and "
			"sessions are under agents/" DEFAULT_AGENT_ID ")", roster);
}

static void
set_owner(json_t *defaults, const char *key, const char *owner)
{
	json_t *o = ensure_object(defaults, key);

	if (o != NULL && json_object_get(o, "agentId") == NULL)
		json_object_set_new(o, "agentId", json_string(owner));
}

/* From 2026.8.1 a keyed roster of several agents needs an owner ("multi-
 * agent rosters require agents.ownership=\"explicit\" or one legacy
 * default=true marker"). The version's own doctor (8.2, 9.6) writes
 * ownership "explicit" with the default agent as systemAgent and
 * heartbeat agent; the generator writes the same. */
static int
own_roster(struct gen *g, json_t *agents, json_t *entries)
{
	const char *key, *owner;
	json_t *defaults, *v;

	if (ck_compat_has(g->opts->target_version, CK_FEAT_AGENTS_OWNERSHIP) != 1 ||
	    json_object_size(entries) < 2 || json_object_get(agents, "ownership") != NULL)
		return 0;
	json_object_foreach(entries, key, v)
		if (json_is_true(json_object_get(v, "default")))
			return 0; /* owned by the legacy marker; the doctor migrates it */
	owner = json_object_get(entries, DEFAULT_AGENT_ID) != NULL ? DEFAULT_AGENT_ID :
		json_object_iter_key(json_object_iter(entries));
	defaults = ensure_object(agents, "defaults");
	if (defaults == NULL || json_object_set_new(agents, "ownership", json_string("explicit")) < 0)
		return -1;
	set_owner(defaults, "systemAgent", owner);
	set_owner(defaults, "heartbeat", owner);
	return plan_add(g, "agents", "roster", "ownership", "added", "explicit", 0, NULL,
			"agents.entries holds %zu agents: agents.ownership \"explicit\" with "
			"agents.defaults.systemAgent and heartbeat agentId %s, as OpenClaw %s's "
			"doctor writes (a roster without an owner is refused)",
			json_object_size(entries), owner, g->opts->target_version);
}

/* The agent's config object in the shape the live config uses (or, with
 * none, the shape the target version writes); created when absent. */
static json_t *
agent_holder(struct gen *g, const char *id, int *created, struct ck_error *err)
{
	json_t *agents = json_object_get(g->cfg, "agents");
	json_t *entries = json_object_get(agents, "entries");
	json_t *list = json_object_get(agents, "list");
	json_t *it;
	size_t i;

	*created = 0;
	if (json_is_object(entries) && (it = json_object_get(entries, id)) != NULL) {
		if (json_is_object(it))
			return it;
		ck_error_set(err, "live config: agents.entries.%s is not an object", id);
		return NULL;
	}
	json_array_foreach(list, i, it) {
		const char *aid = json_string_value(json_object_get(it, "id"));

		if (aid && strcmp(aid, id) == 0)
			return it;
	}
	*created = 1;
	it = json_object();
	if (json_is_object(entries) ||
	    (list == NULL && ck_compat_has(g->opts->target_version, CK_FEAT_AGENTS_ENTRIES) == 1)) {
		int fresh = entries == NULL;

		entries = ensure_object(agents, "entries");
		if (entries == NULL)
			goto bad;
		if (fresh && strcmp(id, DEFAULT_AGENT_ID) != 0) {
			json_object_set_new(entries, DEFAULT_AGENT_ID, json_object());
			keep_default_agent(g, "agents.entries");
		}
		if (json_object_set_new(entries, id, it) < 0)
			goto bad;
		if (own_roster(g, agents, entries) < 0) {
			ck_error_set(err, "out of memory");
			return NULL;
		}
		return it;
	}
	if (list == NULL) {
		list = json_array();
		json_object_set_new(agents, "list", list);
		if (strcmp(id, DEFAULT_AGENT_ID) != 0) {
			json_array_append_new(list, json_pack("{s:s}", "id", DEFAULT_AGENT_ID));
			keep_default_agent(g, "agents.list");
		}
	}
	if (!json_is_array(list))
		goto bad;
	json_object_set_new(it, "id", json_string(id));
	json_array_append_new(list, it);
	return it;
bad:
	json_decref(it);
	ck_error_set(err, "live config: agents.list / agents.entries has an "
		     "unexpected type; cannot add agent %s", id);
	return NULL;
}

static int
do_agents(struct gen *g, const json_t *settings, struct ck_error *err)
{
	json_t *want = json_object_get(settings, "agents");
	json_t *defaults = json_object_get(json_object_get(g->cfg, "agents"),
					   "defaults");
	const char *inherited = NULL;
	const json_t *unused_fb;
	char surface[300];
	const char *id;
	json_t *a;

	json_object_foreach(want, id, a) {
		const char *want_primary =
			json_string_value(json_object_get(a, "primary"));
		int created;
		json_t *holder = agent_holder(g, id, &created, err);

		if (holder == NULL)
			return -1;
		live_chain(json_object_get(defaults, "model"), &inherited,
			   &unused_fb);
		say(surface, sizeof(surface), "agent:%s", id);
		if (created)
			plan_add(g, surface, "agent", id, "added", NULL, 0, NULL,
				 "agent %s is not in the live config; created with "
				 "its model settings", id);
		if (apply_surface(g, holder, surface, want_primary,
				  json_object_get(a, "fallbacks"), inherited) < 0) {
			ck_error_set(err, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* ---- cron jobs: a job's payload.model / payload.fallbacks ---- */

/* The primary a job runs when its payload names none: its agent's, else
 * the defaults'. */
static const char *
job_inherited(struct gen *g, const json_t *job)
{
	const char *agent = json_string_value(json_object_get(job, "agentId"));
	json_t *defaults = json_object_get(json_object_get(g->cfg, "agents"), "defaults");
	const char *primary = NULL;
	const json_t *fb;

	if (agent != NULL)
		live_chain(ck_model_agent_model(g->cfg, agent), &primary, &fb);
	if (primary == NULL)
		live_chain(json_object_get(defaults, "model"), &primary, &fb);
	return primary;
}

/* One settings key: plans the job's chain and, when it changes, adds the
 * patch ck_cron_apply writes. */
static int
plan_job(struct gen *g, const char *key, const json_t *want, json_t *patches)
{
	const json_t *jobs = g->opts->cron_jobs, *job, *payload;
	const char *id, *kind, *live_primary;
	const json_t *live_fb;
	char surface[300], out_primary[REF_MAX];
	struct chain_in in;
	json_t *fb = NULL, *set, *patch;
	size_t named;
	int rc;

	job = ck_cron_job_find(jobs, key, &named);
	say(surface, sizeof(surface), "cron:%s", key);
	if (job == NULL && named > 1)
		return plan_add(g, surface, "job", key, "dropped", NULL, 1,
				"CRON_JOB_NOT_FOUND", "%zu cron jobs are named \"%s\": "
				"settings.cron names one by its id; not applied", named, key);
	if (job == NULL)
		return plan_add(g, surface, "job", key, "dropped", NULL, 1,
				"CRON_JOB_NOT_FOUND", "no cron job has the id or name "
				"\"%s\"; not applied", key);
	payload = json_object_get(job, "payload");
	kind = json_string_value(json_object_get(payload, "kind"));
	id = json_string_value(json_object_get(job, "id"));
	if (id == NULL)
		id = json_string_value(json_object_get(job, "jobId"));
	if (kind == NULL || strcmp(kind, "agentTurn") != 0 || id == NULL)
		return plan_add(g, surface, "job", key, "dropped", NULL, 1,
				"CRON_JOB_NOT_FOUND", "cron job \"%s\" is a %s job, which "
				"runs no model; not applied", key,
				kind ? kind : "payload-less");
	say(surface, sizeof(surface), "cron:%s", id);
	memset(&in, 0, sizeof(in));
	in.surface = surface;
	in.want_primary = json_string_value(json_object_get(want, "primary"));
	in.want_fallbacks = json_object_get(want, "fallbacks");
	live_primary = json_string_value(json_object_get(payload, "model"));
	live_fb = json_object_get(payload, "fallbacks");
	in.live_primary = live_primary;
	in.live_fallbacks = json_is_array(live_fb) ? live_fb : NULL;
	in.inherited = live_primary ? live_primary : job_inherited(g, job);
	if (build_chain(g, &in, out_primary, sizeof(out_primary), &fb) < 0)
		return -1;
	set = json_object();
	if (out_primary[0] && (live_primary == NULL || strcmp(live_primary, out_primary) != 0))
		json_object_set_new(set, "model", json_string(out_primary));
	if (fb != NULL && !json_equal(fb, (json_t *)live_fb))
		json_object_set(set, "fallbacks", fb);
	json_decref(fb);
	if (json_object_size(set) == 0) {
		json_decref(set);
		return 0;
	}
	json_object_set_new(set, "kind", json_string("agentTurn"));
	patch = json_pack("{s:s, s:s?, s:O?, s:O?, s:o}", "id", id, "name",
			  json_string_value(json_object_get(job, "name")),
			  "source", json_object_get(job, "source"),
			  "position", json_object_get(job, "position"), "payload", set);
	if (patch == NULL)
		return -1;
	if (json_object_get(job, "store_key") != NULL)
		json_object_set(patch, "store_key", json_object_get(job, "store_key"));
	rc = json_array_append_new(patches, patch);
	return rc;
}

static int
do_cron(struct gen *g, const json_t *settings, struct ck_error *err)
{
	json_t *want = json_object_get(settings, "cron"), *w;
	json_t *patches = json_array();
	const char *key;

	json_object_foreach(want, key, w) {
		if (plan_job(g, key, w, patches) < 0) {
			ck_error_set(err, "out of memory");
			json_decref(patches);
			return -1;
		}
	}
	if (g->opts->out_cron != NULL)
		*g->opts->out_cron = patches;
	else
		json_decref(patches);
	return 0;
}

/* ---- agents.defaults.models and modelPolicy.allow ---- */

/* Same keys, Codex keys renamed on the unified shape (the canonical
 * entry wins, the legacy one fills what it lacks), new chain refs
 * appended with {}. */
static json_t *
rebuilt_models_map(struct gen *g, const json_t *map)
{
	json_t *nm = json_object();
	char ck[REF_MAX];
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)map, k, v) {
		json_t *have;

		canonical_ref(g, k, ck, sizeof(ck));
		have = json_object_get(nm, ck);
		if (have == NULL) {
			json_object_set_new(nm, ck, json_deep_copy(v));
		} else if (json_is_object(have) && json_is_object(v)) {
			if (strcmp(k, ck) == 0) {
				json_t *mine = json_deep_copy(v);

				json_object_update_missing(mine, have);
				json_object_set_new(nm, ck, mine);
			} else {
				json_t *copy = json_deep_copy(v);

				json_object_update_missing(have, copy);
				json_decref(copy);
			}
		} else if (strcmp(k, ck) == 0) {
			json_object_set_new(nm, ck, json_deep_copy(v));
		}
	}
	json_array_foreach(g->chain_refs, i, v)
		if (json_object_get(nm, json_string_value(v)) == NULL)
			json_object_set_new(nm, json_string_value(v), json_object());
	return nm;
}

static json_t *
rebuilt_allow_list(struct gen *g, const json_t *allow)
{
	json_t *out = json_array();
	char ck[REF_MAX];
	json_t *v;
	size_t i;

	json_array_foreach(allow, i, v) {
		if (!json_is_string(v)) {
			json_array_append(out, v);
			continue;
		}
		canonical_ref(g, json_string_value(v), ck, sizeof(ck));
		if (!array_has_string(out, ck))
			json_array_append_new(out, json_string(ck));
	}
	json_array_foreach(g->chain_refs, i, v)
		if (!array_has_string(out, json_string_value(v)))
			json_array_append(out, v);
	return out;
}

/* Only maps that exist are updated: creating agents.defaults.models
 * would turn on an allowlist the instance did not have. */
static void
update_model_maps(struct gen *g)
{
	json_t *defaults = json_object_get(json_object_get(g->cfg, "agents"),
					   "defaults");
	json_t *map = json_object_get(defaults, "models");
	json_t *policy = json_object_get(defaults, "modelPolicy");
	json_t *allow = json_object_get(policy, "allow");

	if (json_is_object(map))
		json_object_set_new(defaults, "models", rebuilt_models_map(g, map));
	if (json_is_array(allow))
		json_object_set_new(policy, "allow", rebuilt_allow_list(g, allow));
}

/* ---- meta ---- */

/* From 2026.8.1-beta.1 meta.lastTouchedAt lives in the state db and a
 * config that carries it is refused ("meta: Unrecognized key
 * \"lastTouchedAt\"", 8.2, 9.1, 9.6); the target's doctor drops it, so a
 * config generated for such a target leaves it out too. */
static int
drop_moved_meta(struct gen *g)
{
	json_t *meta = json_object_get(g->cfg, "meta");

	if (ck_compat_has(g->opts->target_version, CK_FEAT_TOUCHED_AT_IN_DB) != 1 ||
	    json_object_get(meta, "lastTouchedAt") == NULL)
		return 0;
	json_object_del(meta, "lastTouchedAt");
	return plan_add(g, "instance", "meta", "meta.lastTouchedAt", "dropped", NULL, 0,
			"MOVED_TO_STATE_DB", "OpenClaw %s keeps it in its state database "
			"and refuses a config that still carries it",
			g->opts->target_version);
}

/* ---- entry point ---- */

int
ck_generate(const json_t *live, const json_t *settings,
	    const struct ck_gen_opts *opts, json_t **out_config,
	    json_t **out_plan, struct ck_error *err)
{
	struct gen g;

	*out_config = NULL;
	*out_plan = NULL;
	if (opts != NULL && opts->out_cron != NULL)
		*opts->out_cron = NULL;
	memset(&g, 0, sizeof(g));
	g.opts = opts;
	if (opts == NULL || opts->target_version == NULL ||
	    ck_version_parse(opts->target_version, &g.target) < 0) {
		ck_error_set(err, "target version \"%s\" is not an OpenClaw "
			     "version (YYYY.M.D[-beta.N|-N])",
			     opts && opts->target_version ? opts->target_version : "");
		return -1;
	}
	if (!json_is_object(live)) {
		ck_error_set(err, "live config: expected a JSON object at the top");
		return -1;
	}
	if (check_settings(settings, err) < 0)
		return -1;
	g.unified = ck_compat_has(opts->target_version, CK_FEAT_UNIFIED_PROVIDER) == 1;
	g.cfg = json_deep_copy(live);
	g.plan = json_array();
	g.listings = json_object();
	g.chain_refs = json_array();
	if (g.cfg == NULL || g.plan == NULL || g.listings == NULL ||
	    g.chain_refs == NULL) {
		ck_error_set(err, "out of memory");
		goto fail;
	}
	/* Providers first: the refs are validated against the merged set. */
	if (merge_providers(&g, settings, err) < 0 ||
	    do_defaults(&g, settings, err) < 0 ||
	    do_agents(&g, settings, err) < 0 ||
	    do_cron(&g, settings, err) < 0)
		goto fail;
	update_model_maps(&g);
	if (drop_moved_meta(&g) < 0) {
		ck_error_set(err, "out of memory");
		goto fail;
	}
	json_decref(g.listings);
	json_decref(g.chain_refs);
	*out_config = g.cfg;
	*out_plan = g.plan;
	return 0;
fail:
	if (opts->out_cron != NULL) {
		json_decref(*opts->out_cron);
		*opts->out_cron = NULL;
	}
	json_decref(g.cfg);
	json_decref(g.plan);
	json_decref(g.listings);
	json_decref(g.chain_refs);
	return -1;
}

int
ck_plan_has_warnings(const json_t *plan)
{
	json_t *e;
	size_t i;

	json_array_foreach(plan, i, e) {
		const char *sev = json_string_value(json_object_get(e, "severity"));

		if (sev && strcmp(sev, "warning") == 0)
			return 1;
	}
	return 0;
}
