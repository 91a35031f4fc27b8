/* The fallback drill: one real OpenClaw turn in a throw-away state dir
 * against a stub provider, judged from that run's decision records.
 * See drill.h and DESIGN.md "Fallback drill". */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clawkeeper/compat.h"
#include "clawkeeper/clock.h"
#include "clawkeeper/drill.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/version.h"

#define DRILL_PROVIDER_MAX 64

static const char *
chain_at(const json_t *chain, size_t i)
{
	return json_string_value(json_array_get(chain, i));
}

static int
chain_valid(const json_t *chain, struct ck_error *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(chain) || json_array_size(chain) == 0) {
		ck_error_set(err, "drill: the planned chain must be a non-empty array of \"provider/model\"");
		return -1;
	}
	json_array_foreach(chain, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL || strchr(s, '/') == NULL || s[0] == '/') {
			ck_error_set(err, "drill: chain[%zu]: expected \"provider/model\"", i);
			return -1;
		}
	}
	return 0;
}

/* ---- the chain a config plans ---- */

static json_t *
chain_of_model(const json_t *model)
{
	json_t *chain, *fb, *v;
	size_t i;

	if (json_is_string(model))
		return json_pack("[O]", model);
	if (!json_is_string(json_object_get(model, "primary")))
		return NULL;
	chain = json_pack("[O]", json_object_get(model, "primary"));
	fb = json_object_get(model, "fallbacks");
	json_array_foreach(fb, i, v)
		if (json_is_string(v))
			json_array_append(chain, v);
	return chain;
}

static const json_t *
agent_entry(const json_t *agents, const char *id)
{
	const json_t *list = json_object_get(agents, "list"), *a;
	size_t i;

	json_array_foreach(list, i, a) {
		const char *aid = json_string_value(json_object_get(a, "id"));

		if (aid != NULL && strcmp(aid, id) == 0)
			return a;
	}
	return json_object_get(json_object_get(agents, "entries"), id);
}

json_t *
ck_drill_chain_from_config(const json_t *config, const char *agent_id,
			   struct ck_error *err)
{
	const json_t *agents = json_object_get(config, "agents");
	const json_t *entry = agent_entry(agents, agent_id ? agent_id : "main");
	json_t *chain = NULL;

	if (json_object_get(entry, "model") != NULL)
		chain = chain_of_model(json_object_get(entry, "model"));
	if (chain == NULL)
		chain = chain_of_model(json_object_get(json_object_get(agents, "defaults"), "model"));
	if (chain == NULL)
		ck_error_set(err, "config: agents.defaults.model has no primary (and agent %s "
			     "sets no model of its own)", agent_id ? agent_id : "main");
	return chain;
}

/* ---- the drill's copy of the config ---- */

static const char *
api_for(const char *provider, const json_t *existing)
{
	const char *api = json_string_value(json_object_get(existing, "api"));

	if (api != NULL && (strcmp(api, "openai-completions") == 0 ||
			    strcmp(api, "anthropic-messages") == 0 ||
			    strcmp(api, "ollama") == 0))
		return api;
	if (strcmp(provider, "anthropic") == 0)
		return "anthropic-messages";
	if (strcmp(provider, "ollama") == 0)
		return "ollama";
	return "openai-completions";
}

static json_t *
stub_provider_obj(const char *provider, const json_t *existing, const json_t *chain,
		  const char *stub_base)
{
	const char *api = api_for(provider, existing);
	size_t plen = strlen(provider), i;
	json_t *obj, *models, *v;
	char *url, *key;

	/* OpenAI-style clients append /chat/completions to a base ending in
	 * /v1; the Anthropic and ollama clients add their own /v1 or /api. */
	url = ck_strdup_printf("%s/%s%s", stub_base, provider,
			       strcmp(api, "openai-completions") == 0 ? "/v1" : "");
	key = ck_strdup_printf("%s-FAKE-drill-key", provider);
	obj = json_pack("{s:s?, s:s, s:s?, s:[]}", "baseUrl", url, "api", api,
			"apiKey", key, "models");
	free(url);
	free(key);
	if (obj == NULL)
		return NULL;
	models = json_object_get(obj, "models");
	json_array_foreach(chain, i, v) {
		const char *ref = json_string_value(v);

		if (strncmp(ref, provider, plen) != 0 || ref[plen] != '/')
			continue;
		json_array_append_new(models, json_pack("{s:s, s:s, s:[s], s:i, s:i}",
			"id", ref + plen + 1, "name", ref + plen + 1, "input", "text",
			"contextWindow", 32000, "maxTokens", 4096));
	}
	/* Providers outside the chain keep their models, only rerouted. */
	if (json_array_size(models) == 0 && json_is_array(json_object_get(existing, "models")))
		json_object_set(obj, "models", json_object_get(existing, "models"));
	return obj;
}

static int
reroute_providers(json_t *cfg, const json_t *chain, const char *stub_base)
{
	json_t *models = json_object_get(cfg, "models"), *providers, *v;
	const char *name;
	size_t i;
	void *tmp;

	if (!json_is_object(models)) {
		models = json_object();
		json_object_set_new(cfg, "models", models);
	}
	providers = json_object_get(models, "providers");
	if (!json_is_object(providers)) {
		providers = json_object();
		json_object_set_new(models, "providers", providers);
	}
	/* Every configured provider: none may reach the network. */
	json_object_foreach_safe(providers, tmp, name, v) {
		json_t *obj = stub_provider_obj(name, v, chain, stub_base);

		if (obj == NULL || json_object_set_new(providers, name, obj) < 0)
			return -1;
	}
	json_array_foreach(chain, i, v) {
		const char *ref = json_string_value(v);
		char provider[160];
		json_t *obj;

		snprintf(provider, sizeof(provider), "%.*s", (int)strcspn(ref, "/"), ref);
		if (json_object_get(providers, provider) != NULL)
			continue;
		obj = stub_provider_obj(provider, NULL, chain, stub_base);
		if (obj == NULL || json_object_set_new(providers, provider, obj) < 0)
			return -1;
	}
	return 0;
}

static int
needs_openclaw_runtime(const char *version)
{
	return ck_compat_has(version, CK_FEAT_CODEX_HARNESS_DEFAULT) == 1;
}

static void
allow_chain_models(json_t *defaults, const json_t *chain, const char *version)
{
	json_t *models = json_object_get(defaults, "models"), *v;
	size_t i;

	if (!json_is_object(models)) {
		models = json_object();
		json_object_set_new(defaults, "models", models);
	}
	json_array_foreach(chain, i, v) {
		const char *ref = json_string_value(v);
		json_t *entry = json_object_get(models, ref);

		if (!json_is_object(entry)) {
			entry = json_object();
			json_object_set_new(models, ref, entry);
		}
		if (strncmp(ref, "openai/", 7) == 0 && needs_openclaw_runtime(version))
			json_object_set_new(entry, "agentRuntime", json_pack("{s:s}", "id", "openclaw"));
	}
}

static void
set_path(json_t *obj, const char *key, const char *dir, const char *fmt, const char *id)
{
	char *p = ck_strdup_printf(fmt, dir, id);

	if (p != NULL)
		json_object_set_new(obj, key, json_string(p));
	free(p);
}

/* Everything that names a place on disk moves under dir, so the turn
 * writes nothing into the live instance. */
static void
relocate_agents(json_t *cfg, const char *dir)
{
	json_t *agents = json_object_get(cfg, "agents"), *defaults, *a;
	const char *id;
	size_t i;

	if (!json_is_object(agents)) {
		agents = json_object();
		json_object_set_new(cfg, "agents", agents);
	}
	defaults = json_object_get(agents, "defaults");
	if (!json_is_object(defaults)) {
		defaults = json_object();
		json_object_set_new(agents, "defaults", defaults);
	}
	set_path(defaults, "workspace", dir, "%s/state/workspace%s", "");
	json_array_foreach(json_object_get(agents, "list"), i, a) {
		id = json_string_value(json_object_get(a, "id"));
		if (id == NULL)
			continue;
		if (json_object_get(a, "workspace") != NULL)
			set_path(a, "workspace", dir, "%s/state/workspace-%s", id);
		if (json_object_get(a, "agentDir") != NULL)
			set_path(a, "agentDir", dir, "%s/state/agents/%s/agent", id);
	}
	json_object_foreach(json_object_get(agents, "entries"), id, a) {
		if (json_object_get(a, "workspace") != NULL)
			set_path(a, "workspace", dir, "%s/state/workspace-%s", id);
		if (json_object_get(a, "agentDir") != NULL)
			set_path(a, "agentDir", dir, "%s/state/agents/%s/agent", id);
	}
}

json_t *
ck_drill_prepare_config(const json_t *config, const json_t *chain,
			const char *stub_base, const char *dir,
			const char *version, struct ck_error *err)
{
	json_t *cfg, *logging;
	char *logfile;

	if (chain_valid(chain, err) < 0)
		return NULL;
	if (!json_is_object(config)) {
		ck_error_set(err, "drill: the config is not a JSON object");
		return NULL;
	}
	cfg = json_deep_copy(config);
	if (cfg == NULL || reroute_providers(cfg, chain, stub_base) < 0) {
		json_decref(cfg);
		ck_error_set(err, "drill: out of memory");
		return NULL;
	}
	relocate_agents(cfg, dir);
	allow_chain_models(json_object_get(json_object_get(cfg, "agents"), "defaults"),
			   chain, version);
	json_object_del(cfg, "auth");
	logging = json_object_get(cfg, "logging");
	if (!json_is_object(logging)) {
		logging = json_object();
		json_object_set_new(cfg, "logging", logging);
	}
	logfile = ck_strdup_printf("%s/logs/openclaw.log", dir);
	json_object_set_new(logging, "file", json_string(logfile));
	free(logfile);
	return cfg;
}

/* ---- judging the records ---- */

static int
failed_msg(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
failed_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return 0;
}

static void
chain_text(const json_t *chain, size_t upto, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < upto && i < json_array_size(chain) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " -> " : "",
					chain_at(chain, i));
}

static int
is_failure(const char *decision)
{
	return strcmp(decision, "candidate_failed") == 0 ||
	       strcmp(decision, "skip_candidate") == 0;
}

int
ck_drill_check(const struct ck_decision *recs, size_t n, const json_t *chain,
	       char *msg, size_t msg_len)
{
	size_t nc = json_array_size(chain), idx = 0, used = 0, i;
	const char *primary = chain_at(chain, 0);
	const struct ck_decision *first = NULL;
	int succeeded = 0;
	char walked[1024];

	if (primary == NULL)
		return failed_msg(msg, msg_len, "the planned chain is empty");
	for (i = 0; i < n && !succeeded; i++) {
		const struct ck_decision *r = &recs[i];
		const char *want = idx < nc ? chain_at(chain, idx) : NULL;
		const char *want_next = idx + 1 < nc ? chain_at(chain, idx + 1) : "none";

		if (strcmp(r->requested, primary) != 0)
			continue;     /* another agent's or another model's turn */
		used++;
		if (first == NULL)
			first = r;
		/* A retried candidate repeats its record; count it once. */
		if (idx > 0 && strcmp(r->candidate, chain_at(chain, idx - 1)) == 0 &&
		    is_failure(r->decision))
			continue;
		if (want == NULL)
			return failed_msg(msg, msg_len, "record %zu: candidate %s was tried after "
					  "the planned chain ended", i + 1, r->candidate);
		if (strcmp(r->candidate, want) != 0)
			return failed_msg(msg, msg_len, "record %zu: candidate %s where the plan "
					  "has %s", i + 1, r->candidate, want);
		if (strcmp(r->decision, "candidate_succeeded") == 0) {
			succeeded = 1;
			idx++;
			break;
		}
		if (!is_failure(r->decision))
			return failed_msg(msg, msg_len, "record %zu: unexpected decision=%s for %s",
					  i + 1, r->decision, r->candidate);
		if (strcmp(r->next, want_next) != 0 && strcmp(r->next, "none") == 0)
			return failed_msg(msg, msg_len, "%s failed (reason=%s) with next=none, but "
					  "the plan has %s after it: the live chain is shorter "
					  "than the plan", want, r->reason, want_next);
		if (strcmp(r->next, want_next) != 0)
			return failed_msg(msg, msg_len, "%s failed with next=%s where the plan has %s",
					  want, r->next, want_next);
		idx++;
	}
	if (used == 0)
		return failed_msg(msg, msg_len, "the turn wrote no model-fallback decision "
				  "record for %s", primary);
	if (nc == 1)
		return failed_msg(msg, msg_len, "%s %s with next=none: the chain has no fallback "
				  "to fail over to (DECISION_NO_FAILOVER)", primary,
				  strcmp(first->decision, "candidate_succeeded") == 0 ?
				  "answered" : "failed");
	if (!succeeded && idx < nc)
		return failed_msg(msg, msg_len, "the turn stopped after %s; %s was never tried",
				  chain_at(chain, idx - 1), chain_at(chain, idx));
	chain_text(chain, idx, walked, sizeof(walked));
	snprintf(msg, msg_len, "walked %s%s (%zu decision records; every next= named the "
		 "planned candidate)", walked,
		 succeeded ? ", the last answered" : ", all failed as the stub made them",
		 used);
	return 1;
}

/* ---- running it ---- */

struct drill_records {
	struct ck_decision *v;
	size_t n, cap;
};

static int
collect(const struct ck_decision *d, void *ud)
{
	struct drill_records *r = ud;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct ck_decision *grown = realloc(r->v, cap * sizeof(*grown));

		if (grown == NULL)
			return 1;
		r->v = grown;
		r->cap = cap;
	}
	r->v[r->n++] = *d;
	return 0;
}

struct drill {
	char dir[4096];
	char *home, *state, *config, *logfile, *stderr_path;
	char version[64];
	struct ck_gateway_conf gw;     /* openclaw argv + the drill's env */
	struct ck_stub_provider *stub;
	int own_stub;
};

static void
drill_free(struct drill *d, int keep)
{
	struct ck_error err;

	if (d->own_stub)
		ck_stub_provider_stop(d->stub);
	if (d->dir[0] != '\0' && !keep)
		ck_rm_rf(d->dir, &err);
	free(d->stderr_path);
	free(d->logfile);
	d->gw.home = d->home;
	d->gw.state_dir = d->state;
	d->gw.config_path = d->config;
	ck_gateway_conf_free(&d->gw);
}

static int
drill_dirs(struct drill *d, const struct ck_drill_opts *opts, struct ck_error *err)
{
	const char *parent = opts->tmp_parent ? opts->tmp_parent : getenv("TMPDIR");
	char *logs;

	snprintf(d->dir, sizeof(d->dir), "%s/clawkeeper-drill-XXXXXX",
		 parent != NULL && parent[0] != '\0' ? parent : "/tmp");
	if (mkdtemp(d->dir) == NULL) {
		ck_error_set(err, "drill: mkdtemp %s: %s", d->dir, strerror(errno));
		d->dir[0] = '\0';
		return -1;
	}
	d->home = ck_path_join(d->dir, "home");
	d->state = ck_path_join(d->dir, "state");
	d->config = ck_path_join(d->state, "openclaw.json");
	d->logfile = ck_strdup_printf("%s/logs/openclaw.log", d->dir);
	d->stderr_path = ck_path_join(d->dir, "console.stderr");
	logs = ck_path_join(d->dir, "logs");
	if (d->home == NULL || d->state == NULL || d->config == NULL || logs == NULL ||
	    d->logfile == NULL || d->stderr_path == NULL ||
	    ck_mkdir_p(d->home, 0700, err) < 0 || ck_mkdir_p(d->state, 0700, err) < 0 ||
	    ck_mkdir_p(logs, 0700, err) < 0) {
		free(logs);
		ck_error_prefix(err, "drill: ");
		return -1;
	}
	free(logs);
	d->gw.home = d->home;
	d->gw.state_dir = d->state;
	d->gw.config_path = d->config;
	return 0;
}

static int
drill_setup(struct drill *d, const struct ck_gateway_conf *gw,
	    const struct ck_drill_opts *opts, struct ck_error *err)
{
	ck_gateway_conf_init(&d->gw);
	d->gw.openclaw_argv = ck_gateway_argv_dup(gw->openclaw_argv);
	if (d->gw.openclaw_argv == NULL) {
		ck_error_set(err, "drill: no openclaw binary configured");
		return -1;
	}
	if (drill_dirs(d, opts, err) < 0)
		return -1;
	if (opts->version != NULL)
		snprintf(d->version, sizeof(d->version), "%s", opts->version);
	else if (ck_gateway_version(&d->gw, d->version, sizeof(d->version), NULL, 0, err) < 0) {
		ck_error_prefix(err, "drill: ");
		return -1;
	}
	d->stub = opts->stub;
	if (d->stub == NULL) {
		d->stub = ck_stub_provider_start(err);
		if (d->stub == NULL)
			return -1;
		d->own_stub = 1;
	}
	return 0;
}

static int
write_config(struct drill *d, const json_t *config, const json_t *chain,
	     struct ck_error *err)
{
	char base[64];
	json_t *cfg;
	char *text;
	int rc;

	snprintf(base, sizeof(base), "http://127.0.0.1:%u", ck_stub_provider_port(d->stub));
	cfg = ck_drill_prepare_config(config, chain, base, d->dir, d->version, err);
	if (cfg == NULL)
		return -1;
	text = json_dumps(cfg, JSON_INDENT(2));
	json_decref(cfg);
	if (text == NULL) {
		ck_error_set(err, "drill: out of memory");
		return -1;
	}
	rc = ck_file_write_atomic(d->config, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

/* One turn. Provider keys in our own environment are blanked so nothing
 * but the stub's fake keys can be used. */
static int
run_turn(struct drill *d, const struct ck_drill_opts *opts, struct ck_spawn_result *res,
	 struct ck_error *err)
{
	static char *const blank_env[] = {
		"OPENAI_API_KEY=", "ANTHROPIC_API_KEY=", "OPENROUTER_API_KEY=",
		"GEMINI_API_KEY=", "OLLAMA_API_KEY=", "OPENCLAW_GATEWAY_TOKEN=", NULL,
	};
	const char *args[] = { "agent", "--local", "--agent",
			       opts->agent_id ? opts->agent_id : "main", "--message",
			       opts->message ? opts->message : "hi", NULL };
	int rc = ck_gateway_openclaw(&d->gw, args, blank_env,
				     opts->timeout_ms > 0 ? opts->timeout_ms : CK_DRILL_TIMEOUT_MS,
				     res, err);
	struct ck_error ignored;

	if (rc == 0)
		ck_file_write_atomic(d->stderr_path, res->errout, res->err_len, 0600, &ignored);
	return rc;
}

/* The file log is the structured source; the console is used only when
 * the file log has no decision (an OpenClaw that ignores logging.file). */
static int
read_records(struct drill *d, struct drill_records *recs, struct ck_error *err)
{
	const char *paths[1] = { d->logfile };

	if (ck_decision_scan(paths, 1, -1, 1, collect, recs, err) < 0)
		return -1;
	if (recs->n > 0)
		return 0;
	paths[0] = d->stderr_path;
	return ck_decision_scan(paths, 1, -1, 1, collect, recs, err);
}

static json_t *
drill_result(struct drill *d, const json_t *chain, const struct drill_records *recs,
	     const struct ck_spawn_result *res, long long started,
	     const struct ck_drill_opts *opts)
{
	char msg[1024];
	int passed = ck_drill_check(recs->v, recs->n, chain, msg, sizeof(msg));
	json_t *records = json_array(), *out;
	size_t i;

	for (i = 0; i < recs->n; i++)
		json_array_append_new(records, ck_decision_to_json(&recs->v[i]));
	if (res->timed_out) {
		size_t l = strlen(msg);

		snprintf(msg + l, sizeof(msg) - l, " (the turn timed out)");
	}
	out = json_pack("{s:b, s:s, s:s, s:O, s:o, s:i, s:I, s:o}",
			"passed", passed, "message", msg, "version", d->version,
			"chain", chain, "records", records, "exit_code", res->exit_code,
			"duration_ms", (json_int_t)(ck_clock_mono_ms() - started),
			"stub_requests", ck_stub_provider_log(d->stub));
	if (out != NULL && opts->keep_dir)
		json_object_set_new(out, "dir", json_string(d->dir));
	return out;
}

json_t *
ck_drill_run(const struct ck_gateway_conf *gw, const json_t *config,
	     const json_t *chain, const struct ck_drill_opts *opts_in,
	     struct ck_error *err)
{
	struct ck_drill_opts defaults = { 0 };
	const struct ck_drill_opts *opts = opts_in ? opts_in : &defaults;
	struct drill_records recs = { 0 };
	struct ck_spawn_result res = { 0 };
	struct drill d;
	long long started = ck_clock_mono_ms();
	json_t *out = NULL;

	memset(&d, 0, sizeof(d));
	if (chain_valid(chain, err) < 0)
		return NULL;
	if (drill_setup(&d, gw, opts, err) < 0 ||
	    write_config(&d, config, chain, err) < 0 ||
	    run_turn(&d, opts, &res, err) < 0)
		goto done;
	if (read_records(&d, &recs, err) < 0) {
		ck_error_prefix(err, "drill: ");
		goto done;
	}
	out = drill_result(&d, chain, &recs, &res, started, opts);
	if (out == NULL)
		ck_error_set(err, "drill: out of memory");
done:
	ck_spawn_result_free(&res);
	free(recs.v);
	drill_free(&d, opts->keep_dir);
	return out;
}
