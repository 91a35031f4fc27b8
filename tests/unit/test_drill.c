/* The fallback drill: the chain check driven by real decision records of
 * every captured version (a table of record file, planned chain and
 * verdict), the config rewrite on real OpenClaw configs, the stub
 * provider over real HTTP, and whole drills run with the fake openclaw
 * (tests/fake-openclaw/), which calls the stub as OpenClaw would. */
#include <curl/curl.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "clawkeeper/drill.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/json5.h"

#define OC CK_FIXTURES "/openclaw"
#define FAKE CK_SRC_DIR "/tests/fake-openclaw/openclaw"
#define CHAIN4 "openai/gpt-5.5", "anthropic/claude-sonnet-4-6", \
	"openrouter/meta-llama/llama-3.3-70b-instruct", "ollama/llama3.1:8b"

/* ---- helpers ---- */

struct recs {
	struct ck_decision v[64];
	size_t n;
};

static int
collect(const struct ck_decision *d, void *ud)
{
	struct recs *r = ud;

	if (r->n < 64)
		r->v[r->n++] = *d;
	return 0;
}

static void
load_records(const char *path, struct recs *r)
{
	struct ck_error err;
	const char *paths[1] = { path };

	r->n = 0;
	if (ck_decision_scan(paths, 1, -1, 0, collect, r, &err) < 0)
		fail_msg("%s", err.msg);
}

/* A chain from up to 4 refs (NULL-terminated). */
static json_t *
chain_of(const char *a, const char *b, const char *c, const char *d)
{
	const char *refs[] = { a, b, c, d, NULL };
	json_t *chain = json_array();
	size_t i;

	for (i = 0; refs[i] != NULL; i++)
		json_array_append_new(chain, json_string(refs[i]));
	return chain;
}

static char *
make_tmpdir(void)
{
	char tmpl[] = "/tmp/ck-test-drill-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static int
dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n == 0;
}

/* ---- the chain check on real records ---- */

struct check_case {
	const char *file;       /* under fixtures/openclaw */
	const char *chain[5];
	int passed;
	const char *msg;        /* substring of the message */
};

static const struct check_case check_cases[] = {
	/* (a) primary 401, the fallback answers. */
	{ "2026.5.28/decision/a-primary-fails-fallback-succeeds/file-log.jsonl",
	  { "openai/gpt-5.5", "openrouter/meta-llama/llama-3.3-70b-instruct" }, 1, "the last answered" },
	{ "2026.6.1/decision/a-primary-fails-fallback-succeeds/file-log.jsonl",
	  { "openai/gpt-5.5", "openrouter/meta-llama/llama-3.3-70b-instruct" }, 1, "walked openai/gpt-5.5 -> openrouter" },
	{ "2026.9.6/decision/a-primary-fails-fallback-succeeds/file-log.jsonl",
	  { "openai/gpt-5.5", "openrouter/meta-llama/llama-3.3-70b-instruct" }, 1, "2 decision records" },
	{ "2026.9.6/decision/a-primary-fails-fallback-succeeds/console.stderr",
	  { "openai/gpt-5.5", "openrouter/meta-llama/llama-3.3-70b-instruct" }, 1, "the last answered" },
	/* The same run against a plan whose second model differs. */
	{ "2026.9.6/decision/a-primary-fails-fallback-succeeds/file-log.jsonl",
	  { "openai/gpt-5.5", "anthropic/claude-sonnet-4-6" }, 0,
	  "failed with next=openrouter/meta-llama/llama-3.3-70b-instruct where the plan has anthropic/claude-sonnet-4-6" },
	/* (b) the stripped chain: next=none on the primary. */
	{ "2026.5.28/decision/b-primary-fails-no-fallbacks/file-log.jsonl",
	  { "openai/gpt-5.5" }, 0, "no fallback to fail over to (DECISION_NO_FAILOVER)" },
	{ "2026.6.1/decision/b-primary-fails-no-fallbacks/file-log.jsonl",
	  { "openai/gpt-5.5" }, 0, "DECISION_NO_FAILOVER" },
	{ "2026.9.6/decision/b-primary-fails-no-fallbacks/file-log.jsonl",
	  { "openai/gpt-5.5" }, 0, "openai/gpt-5.5 failed with next=none" },
	{ "2026.9.6/decision/b-primary-fails-no-fallbacks/file-log.jsonl",
	  { "openai/gpt-5.5", "anthropic/claude-sonnet-4-6" }, 0,
	  "the live chain is shorter than the plan" },
	/* (c) three candidates all failing, in order. */
	{ "2026.5.28/decision/noisy-gateway-running/agent-c.stderr",
	  { "openai/gpt-5.5", "anthropic/claude-sonnet-4-6", "ollama/llama3.1:8b" }, 1,
	  "all failed as the stub made them (3 decision records" },
	{ "2026.5.28/decision/noisy-gateway-running/agent-c.stderr",
	  { "openai/gpt-5.5", "anthropic/claude-sonnet-4-6", "ollama/llama3.1:8b" }, 1,
	  "walked openai/gpt-5.5 -> anthropic/claude-sonnet-4-6 -> ollama/llama3.1:8b" },
	/* (9.6 sent its noisy turns through the gateway: no console records.) */
	{ "2026.5.28/decision/noisy-gateway-running/agent-c.stderr",
	  { "openai/gpt-5.5", "ollama/llama3.1:8b", "anthropic/claude-sonnet-4-6" }, 0,
	  "where the plan has ollama/llama3.1:8b" },
	{ "2026.5.28/decision/noisy-gateway-running/agent-c.stderr",
	  { "openai/gpt-5.5", "anthropic/claude-sonnet-4-6", "ollama/llama3.1:8b",
	    "openrouter/meta-llama/llama-3.3-70b-instruct" }, 0,
	  "ollama/llama3.1:8b failed (reason=timeout) with next=none, but the plan has openrouter" },
	/* A cooldown skip is a walk too (d, run 2). */
	{ "2026.9.6/decision/d-cooldown-skip-candidate/run2.console.stderr",
	  { "openai/gpt-5.5", "openrouter/meta-llama/llama-3.3-70b-instruct" }, 1, "the last answered" },
	{ "2026.5.28/decision/d-cooldown-skip-candidate/run3.console.stderr",
	  { "openai/gpt-5.5", "openrouter/meta-llama/llama-3.3-70b-instruct" }, 1, "the last answered" },
	/* A plan for another primary finds no records of its own. */
	{ "2026.9.6/decision/b-primary-fails-no-fallbacks/file-log.jsonl",
	  { "anthropic/claude-sonnet-4-6", "openai/gpt-5.5" }, 0,
	  "no model-fallback decision record for anthropic/claude-sonnet-4-6" },
};

static void
test_check_real_records(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *c = &check_cases[i];
		char path[512], msg[1024];
		struct recs r;
		json_t *chain = chain_of(c->chain[0], c->chain[1], c->chain[2], c->chain[3]);
		int passed;

		snprintf(path, sizeof(path), OC "/%s", c->file);
		load_records(path, &r);
		if (r.n == 0)
			fail_msg("case %zu: no records in %s", i, path);
		passed = ck_drill_check(r.v, r.n, chain, msg, sizeof(msg));
		if (passed != c->passed || strstr(msg, c->msg) == NULL)
			fail_msg("case %zu (%s): passed=%d \"%s\", want passed=%d \"%s\"",
				 i, c->file, passed, msg, c->passed, c->msg);
		json_decref(chain);
	}
}

static void
test_check_edge_cases(void **state)
{
	struct ck_decision d[3];
	char msg[512];
	json_t *chain = chain_of("a/x", "b/y", "c/z", NULL);

	(void)state;
	memset(d, 0, sizeof(d));
	assert_int_equal(ck_drill_check(d, 0, chain, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "no model-fallback decision record for a/x"));
	/* A retried candidate repeats its record; it is counted once. */
	snprintf(d[0].decision, sizeof(d[0].decision), "candidate_failed");
	snprintf(d[0].requested, sizeof(d[0].requested), "a/x");
	snprintf(d[0].candidate, sizeof(d[0].candidate), "a/x");
	snprintf(d[0].next, sizeof(d[0].next), "b/y");
	d[1] = d[0];
	d[2] = d[0];
	snprintf(d[2].candidate, sizeof(d[2].candidate), "b/y");
	snprintf(d[2].next, sizeof(d[2].next), "c/z");
	assert_int_equal(ck_drill_check(d, 3, chain, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "the turn stopped after b/y; c/z was never tried"));
	/* The run ends early when the turn is cut off. */
	assert_int_equal(ck_drill_check(d, 1, chain, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "stopped after a/x; b/y was never tried"));
	json_decref(chain);
}

/* ---- the config the drill runs ---- */

static json_t *
load_cfg(const char *rel)
{
	struct ck_error err;
	char path[512];
	json_t *cfg;

	snprintf(path, sizeof(path), OC "/%s", rel);
	cfg = ck_json5_load_file(path, &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	return cfg;
}

static void
test_prepare_config(void **state)
{
	json_t *live = load_cfg("2026.9.6/decision/a-primary-fails-fallback-succeeds/openclaw.json");
	json_t *chain = chain_of(CHAIN4);
	json_t *cfg, *providers, *p, *allow;
	struct ck_error err;
	char *text;

	(void)state;
	json_object_set_new(live, "auth", json_pack("{s:{s:{s:s,s:s}}}", "profiles",
						     "openai:manual", "provider", "openai", "mode", "api_key"));
	cfg = ck_drill_prepare_config(live, chain, "http://127.0.0.1:4242", "/tmp/d", "2026.9.6", &err);
	assert_non_null(cfg);
	providers = json_object_get(json_object_get(cfg, "models"), "providers");
	p = json_object_get(providers, "openai");
	assert_string_equal(json_string_value(json_object_get(p, "baseUrl")), "http://127.0.0.1:4242/openai/v1");
	assert_string_equal(json_string_value(json_object_get(p, "api")), "openai-completions");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "models"), 0), "id")),
			    "gpt-5.5");
	p = json_object_get(providers, "anthropic");
	assert_string_equal(json_string_value(json_object_get(p, "baseUrl")), "http://127.0.0.1:4242/anthropic");
	assert_string_equal(json_string_value(json_object_get(p, "api")), "anthropic-messages");
	p = json_object_get(providers, "openrouter");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "models"), 0), "id")),
			    "meta-llama/llama-3.3-70b-instruct");
	p = json_object_get(providers, "ollama");
	assert_string_equal(json_string_value(json_object_get(p, "api")), "ollama");
	assert_string_equal(json_string_value(json_object_get(p, "baseUrl")), "http://127.0.0.1:4242/ollama");
	assert_int_equal(json_array_size(json_object_get(p, "models")), 1);
	/* 9.6: openai runs on the built-in runtime, not the Codex harness. */
	allow = json_object_get(json_object_get(json_object_get(cfg, "agents"), "defaults"), "models");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(allow,
			    "openai/gpt-5.5"), "agentRuntime"), "id")), "openclaw");
	assert_non_null(json_object_get(allow, "ollama/llama3.1:8b"));
	assert_null(json_object_get(json_object_get(allow, "ollama/llama3.1:8b"), "agentRuntime"));
	/* Nothing points at the live instance; no real key or profile left. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(cfg, "logging"), "file")),
			    "/tmp/d/logs/openclaw.log");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(cfg, "agents"),
			    "defaults"), "workspace")), "/tmp/d/state/workspace");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(cfg,
			    "agents"), "entries"), "main"), "agentDir")), "/tmp/d/state/agents/main/agent");
	assert_null(json_object_get(cfg, "auth"));
	text = json_dumps(cfg, 0);
	assert_null(strstr(text, "sk-FAKE-openai"));
	assert_null(strstr(text, "sk-ant-api03-FAKE"));
	assert_null(strstr(text, "fixtures-work"));
	/* Unrelated config is kept. */
	assert_true(json_equal(json_object_get(cfg, "plugins"), json_object_get(live, "plugins")));
	assert_true(json_equal(json_object_get(cfg, "gateway"), json_object_get(live, "gateway")));
	free(text);
	json_decref(cfg);
	/* The input is not modified. */
	assert_non_null(json_object_get(live, "auth"));
	json_decref(live);
	json_decref(chain);
}

static void
test_prepare_config_legacy(void **state)
{
	json_t *live = load_cfg("2026.5.28/decision/a-primary-fails-fallback-succeeds/openclaw.json");
	json_t *chain = chain_of("openai/gpt-5.5", "openrouter/meta-llama/llama-3.3-70b-instruct", NULL, NULL);
	json_t *cfg, *allow, *bad;
	struct ck_error err;

	(void)state;
	cfg = ck_drill_prepare_config(live, chain, "http://127.0.0.1:1", "/tmp/d", "2026.5.28", &err);
	assert_non_null(cfg);
	/* 5.28 does not know agentRuntime; the entry is left plain. */
	allow = json_object_get(json_object_get(json_object_get(cfg, "agents"), "defaults"), "models");
	assert_int_equal(json_object_size(json_object_get(allow, "openai/gpt-5.5")), 0);
	/* Providers outside the chain are rerouted too, models kept. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(cfg,
			    "models"), "providers"), "anthropic"), "baseUrl")), "http://127.0.0.1:1/anthropic");
	json_decref(cfg);
	bad = json_pack("[s]", "no-slash");
	assert_null(ck_drill_prepare_config(live, bad, "http://x", "/tmp/d", NULL, &err));
	assert_non_null(strstr(err.msg, "chain[0]: expected \"provider/model\""));
	json_decref(bad);
	json_decref(live);
	json_decref(chain);
}

static void
test_chain_from_config(void **state)
{
	json_t *cfg = load_cfg("2026.9.6/decision/a-primary-fails-fallback-succeeds/openclaw.json");
	json_t *chain, *stripped;
	struct ck_error err;

	(void)state;
	chain = ck_drill_chain_from_config(cfg, NULL, &err);
	assert_int_equal(json_array_size(chain), 2);
	assert_string_equal(json_string_value(json_array_get(chain, 1)),
			    "openrouter/meta-llama/llama-3.3-70b-instruct");
	json_decref(chain);
	stripped = load_cfg("2026.9.6/decision/b-primary-fails-no-fallbacks/openclaw.json");
	chain = ck_drill_chain_from_config(stripped, "main", &err);
	assert_int_equal(json_array_size(chain), 1);
	json_decref(chain);
	json_decref(stripped);
	/* A per-agent model (agents.list[] shape) beats the defaults. */
	json_object_set_new(json_object_get(cfg, "agents"), "list",
			    json_pack("[{s:s, s:s}]", "id", "ops", "model", "anthropic/claude-sonnet-4-6"));
	chain = ck_drill_chain_from_config(cfg, "ops", &err);
	assert_int_equal(json_array_size(chain), 1);
	assert_string_equal(json_string_value(json_array_get(chain, 0)), "anthropic/claude-sonnet-4-6");
	json_decref(chain);
	json_object_del(cfg, "agents");
	assert_null(ck_drill_chain_from_config(cfg, NULL, &err));
	assert_non_null(strstr(err.msg, "agents.defaults.model has no primary"));
	json_decref(cfg);
}

/* ---- the stub provider over HTTP ---- */

struct resp {
	char buf[8192];
	size_t len;
};

static size_t
resp_write(char *p, size_t s, size_t n, void *ud)
{
	struct resp *r = ud;
	size_t want = s * n, room = sizeof(r->buf) - 1 - r->len;

	memcpy(r->buf + r->len, p, want < room ? want : room);
	r->len += want < room ? want : room;
	r->buf[r->len] = '\0';
	return want;
}

static long
post(unsigned port, const char *path, const char *body, struct resp *r)
{
	char url[256];
	long code = 0;
	CURL *c = curl_easy_init();

	r->len = 0;
	r->buf[0] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, resp_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return code;
}

static void
test_stub_provider(void **state)
{
	struct ck_error err;
	struct ck_stub_provider *stub = ck_stub_provider_start(&err);
	struct resp r;
	unsigned port;
	json_t *log;

	(void)state;
	assert_non_null(stub);
	port = ck_stub_provider_port(stub);
	assert_true(port > 0);
	assert_int_equal(post(port, "/openai/v1/chat/completions", "{\"model\":\"gpt-5.5\",\"stream\":true}", &r), 401);
	assert_non_null(strstr(r.buf, "\"code\":\"token_expired\""));
	assert_non_null(strstr(r.buf, "Your authentication token has expired. Please try signing in again."));
	assert_int_equal(ck_stub_provider_route(stub, "/openrouter", NULL, CK_STUB_RATE_LIMITED, &err), 0);
	assert_int_equal(ck_stub_provider_route(stub, "/openrouter", "good/model", CK_STUB_SUCCESS, &err), 0);
	assert_int_equal(ck_stub_provider_route(stub, "/anthropic", NULL, CK_STUB_SUCCESS, &err), 0);
	assert_int_equal(ck_stub_provider_route(stub, "/ollama", NULL, CK_STUB_SUCCESS, &err), 0);
	assert_int_equal(post(port, "/openrouter/v1/chat/completions", "{\"model\":\"other\"}", &r), 429);
	assert_non_null(strstr(r.buf, "rate_limit"));
	assert_int_equal(post(port, "/openrouter/v1/chat/completions",
			      "{\"model\":\"good/model\",\"stream\":true}", &r), 200);
	assert_non_null(strstr(r.buf, "\"object\":\"chat.completion.chunk\""));
	assert_non_null(strstr(r.buf, CK_STUB_REPLY));
	assert_non_null(strstr(r.buf, "data: [DONE]"));
	assert_int_equal(post(port, "/openrouter/v1/chat/completions", "{\"model\":\"good/model\"}", &r), 200);
	assert_non_null(strstr(r.buf, "\"object\":\"chat.completion\""));
	assert_int_equal(post(port, "/anthropic/v1/messages", "{\"model\":\"claude\",\"stream\":true}", &r), 200);
	assert_non_null(strstr(r.buf, "event: message_stop"));
	assert_non_null(strstr(r.buf, "\"text_delta\""));
	assert_int_equal(post(port, "/ollama/api/chat", "{\"model\":\"llama3.1:8b\"}", &r), 200);
	assert_non_null(strstr(r.buf, "\"done\":true"));
	assert_int_equal(post(port, "/ollama/api/tags", NULL, &r), 200);
	assert_int_equal(post(port, "/x", "not json", &r), 401);
	log = ck_stub_provider_log(stub);
	assert_int_equal(json_array_size(log), 8);
	assert_string_equal(json_string_value(json_object_get(json_array_get(log, 2), "model")), "good/model");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(log, 1), "status")), 429);
	json_decref(log);
	ck_stub_provider_stop(stub);
}

/* ---- whole drills with the fake openclaw ---- */

struct drill_env {
	struct ck_gateway_conf gw;
	json_t *config;
	char *tmp;
};

static void
drill_env_init(struct drill_env *e)
{
	e->config = load_cfg("2026.9.6/decision/a-primary-fails-fallback-succeeds/openclaw.json");
	ck_gateway_conf_init(&e->gw);
	e->gw.openclaw_argv = ck_gateway_argv_split(FAKE);
	e->tmp = make_tmpdir();
}

static void
drill_env_free(struct drill_env *e)
{
	struct ck_error err;

	assert_true(dir_is_empty(e->tmp));   /* the drill cleaned up */
	ck_rm_rf(e->tmp, &err);
	free(e->tmp);
	json_decref(e->config);
	ck_gateway_conf_free(&e->gw);
	unsetenv("FAKE_OPENCLAW_STRIP_FALLBACKS");
}

static void
test_drill_with_fake(void **state)
{
	struct ck_drill_opts opts = { 0 };
	struct drill_env e;
	struct ck_error err;
	json_t *chain = chain_of(CHAIN4), *res;
	char *text;

	(void)state;
	drill_env_init(&e);
	json_object_set_new(json_object_get(json_object_get(e.config, "agents"), "defaults"), "model",
			    json_pack("{s:s, s:[s,s,s]}", "primary", "openai/gpt-5.5", "fallbacks",
				      "anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct",
				      "ollama/llama3.1:8b"));
	opts.tmp_parent = e.tmp;
	res = ck_drill_run(&e.gw, e.config, chain, &opts, &err);
	if (res == NULL)
		fail_msg("%s", err.msg);
	if (!json_is_true(json_object_get(res, "passed")))
		fail_msg("%s", json_string_value(json_object_get(res, "message")));
	assert_int_equal(json_array_size(json_object_get(res, "records")), 4);
	assert_int_equal(json_array_size(json_object_get(res, "stub_requests")), 4);
	assert_int_equal(json_integer_value(json_object_get(res, "exit_code")), 1);
	assert_string_equal(json_string_value(json_object_get(res, "version")), "2026.9.6");
	text = json_dumps(res, 0);
	assert_null(strstr(text, "FAKE-drill-key"));
	assert_null(strstr(text, "sk-FAKE"));
	free(text);
	json_decref(res);

	/* The bug: the live chain lost its fallbacks. */
	setenv("FAKE_OPENCLAW_STRIP_FALLBACKS", "1", 1);
	res = ck_drill_run(&e.gw, e.config, chain, &opts, &err);
	assert_non_null(res);
	assert_false(json_is_true(json_object_get(res, "passed")));
	assert_non_null(strstr(json_string_value(json_object_get(res, "message")),
			       "with next=none, but the plan has anthropic/claude-sonnet-4-6 after it"));
	json_decref(res);
	json_decref(chain);
	drill_env_free(&e);
}

static void
test_drill_caller_stub(void **state)
{
	struct ck_drill_opts opts = { 0 };
	struct drill_env e;
	struct ck_error err;
	json_t *chain = chain_of("openai/gpt-5.5", "openrouter/meta-llama/llama-3.3-70b-instruct", NULL, NULL);
	json_t *res;

	(void)state;
	drill_env_init(&e);
	opts.tmp_parent = e.tmp;
	opts.version = "2026.5.28";   /* no --version call */
	opts.stub = ck_stub_provider_start(&err);
	assert_non_null(opts.stub);
	assert_int_equal(ck_stub_provider_route(opts.stub, "/openrouter", NULL, CK_STUB_SUCCESS, &err), 0);
	res = ck_drill_run(&e.gw, e.config, chain, &opts, &err);
	assert_non_null(res);
	assert_true(json_is_true(json_object_get(res, "passed")));
	assert_non_null(strstr(json_string_value(json_object_get(res, "message")), "the last answered"));
	assert_int_equal(json_integer_value(json_object_get(res, "exit_code")), 0);
	assert_string_equal(json_string_value(json_object_get(res, "version")), "2026.5.28");
	json_decref(res);
	ck_stub_provider_stop(opts.stub);
	json_decref(chain);
	drill_env_free(&e);
}

static void
test_drill_errors(void **state)
{
	struct ck_drill_opts opts = { 0 };
	struct drill_env e;
	struct ck_error err;
	json_t *chain = chain_of("openai/gpt-5.5", "anthropic/claude-sonnet-4-6", NULL, NULL);
	json_t *empty = json_array();

	(void)state;
	drill_env_init(&e);
	opts.tmp_parent = e.tmp;
	assert_null(ck_drill_run(&e.gw, e.config, empty, &opts, &err));
	assert_non_null(strstr(err.msg, "non-empty array"));
	ck_gateway_argv_free(e.gw.openclaw_argv);
	e.gw.openclaw_argv = ck_gateway_argv_split("/nonexistent/openclaw");
	assert_null(ck_drill_run(&e.gw, e.config, chain, &opts, &err));
	assert_non_null(strstr(err.msg, "/nonexistent/openclaw"));
	json_decref(empty);
	json_decref(chain);
	drill_env_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_real_records),
		cmocka_unit_test(test_check_edge_cases),
		cmocka_unit_test(test_prepare_config),
		cmocka_unit_test(test_prepare_config_legacy),
		cmocka_unit_test(test_chain_from_config),
		cmocka_unit_test(test_stub_provider),
		cmocka_unit_test(test_drill_with_fake),
		cmocka_unit_test(test_drill_caller_stub),
		cmocka_unit_test(test_drill_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
