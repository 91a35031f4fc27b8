/* Model refs and chain walking over the real configs (both agents shapes)
 * and cron job stores (bare array and {"jobs": [...]}). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clawkeeper/json5.h"
#include "clawkeeper/model.h"

#define OC CK_FIXTURES "/openclaw"
#define CH CK_FIXTURES "/config_health"

static void
provider_and_family(void **state)
{
	char buf[64];

	(void)state;
	ck_model_provider("openrouter/meta-llama/llama-3.3-70b-instruct", buf, sizeof(buf));
	assert_string_equal(buf, "openrouter");
	assert_string_equal(ck_model_id("openrouter/meta-llama/llama-3.3-70b-instruct"),
			    "meta-llama/llama-3.3-70b-instruct");
	ck_model_provider("gpt-5.5", buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_string_equal(ck_model_id("gpt-5.5"), "");
	ck_model_provider("openai-codex/gpt-5.5", buf, 4);
	assert_string_equal(buf, "ope");

	assert_true(ck_model_is_codex("openai-codex/gpt-5.5"));
	assert_true(ck_model_is_codex("codex/gpt-5.5"));
	assert_true(ck_model_is_codex("codex-cli/gpt-5.5"));
	assert_false(ck_model_is_codex("openai/gpt-5.5"));
	assert_false(ck_model_is_codex("openai-codexx/gpt-5.5"));
	assert_false(ck_model_is_codex(NULL));

	ck_model_family("codex-cli/gpt-5.5", buf, sizeof(buf));
	assert_string_equal(buf, "openai");
	ck_model_family("openai/gpt-5.5", buf, sizeof(buf));
	assert_string_equal(buf, "openai");
	ck_model_family("anthropic/claude-sonnet-4-6", buf, sizeof(buf));
	assert_string_equal(buf, "anthropic");
}

static void
ref_equal_unified(void **state)
{
	(void)state;
	assert_true(ck_model_ref_equal("openai-codex/gpt-5.5", "openai/gpt-5.5", 1));
	assert_true(ck_model_ref_equal("openai/gpt-5.5", "codex/gpt-5.5", 1));
	assert_false(ck_model_ref_equal("openai-codex/gpt-5.5", "openai/gpt-5.5", 0));
	assert_false(ck_model_ref_equal("openai-codex/gpt-5.5", "openai/gpt-5.4", 1));
	assert_false(ck_model_ref_equal("anthropic/x", "openai/x", 1));
	assert_true(ck_model_ref_equal("anthropic/x", "anthropic/x", 0));
	assert_false(ck_model_ref_equal(NULL, "anthropic/x", 1));
}

struct seen {
	char lines[16][800];
	int n;
};

static int
record(const struct ck_chain *c, void *ud)
{
	struct seen *s = ud;
	char fb[300] = "";
	size_t i, o = 0;

	if (c->fallbacks == NULL)
		snprintf(fb, sizeof(fb), "-");
	for (i = 0; c->fallbacks != NULL && i < json_array_size(c->fallbacks); i++)
		o += (size_t)snprintf(fb + o, sizeof(fb) - o, "%s%s", i ? "," : "[",
				      json_string_value(json_array_get(c->fallbacks, i)));
	if (c->fallbacks != NULL)
		snprintf(fb + o, sizeof(fb) - o, "%s]", o ? "" : "[");
	assert_true(s->n < 16);
	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%d %s %s %s%s", c->kind,
		 c->surface, c->primary ? c->primary : "(none)", fb,
		 c->model_is_string ? " string" : "");
	return 0;
}

static json_t *
load(const char *path)
{
	struct ck_error err;
	json_t *v = ck_json5_load_file(path, &err);

	if (v == NULL)
		fail_msg("%s", err.msg);
	return v;
}

static void
real_config_defaults(void **state)
{
	struct seen s = { .n = 0 };
	json_t *cfg = load(OC "/2026.9.6/config/openclaw.json");

	(void)state;
	assert_int_equal(ck_chains_each(cfg, NULL, record, &s), 0);
	/* entries.main has no model: only the defaults chain. */
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "0 defaults openai/gpt-5.5 "
		"[anthropic/claude-sonnet-4-6,openrouter/meta-llama/llama-3.3-70b-instruct,"
		"ollama/llama3.1:8b]");
	json_decref(cfg);
}

static void
agents_list_shape(void **state)
{
	struct seen s = { .n = 0 };
	json_t *cfg = load(CH "/agents-list-2026.6.1/openclaw.json");

	(void)state;
	assert_int_equal(ck_chains_each(cfg, NULL, record, &s), 0);
	assert_int_equal(s.n, 6);
	assert_string_equal(s.lines[1], "1 agent:ops anthropic/claude-sonnet-4-6 - string");
	assert_string_equal(s.lines[2], "1 agent:research "
		"openrouter/meta-llama/llama-3.3-70b-instruct []");
	assert_string_equal(s.lines[4], "1 agent:writer anthropic/claude-opus-4-6 -");
	assert_string_equal(s.lines[5], "1 agent:helper (none) [anthropic/claude-sonnet-4-6]");
	assert_true(json_is_string(ck_model_agent_model(cfg, "ops")));
	assert_null(ck_model_agent_model(cfg, "main"));
	assert_null(ck_model_agent_model(cfg, "nobody"));
	json_decref(cfg);
}

static void
agents_entries_shape(void **state)
{
	struct seen s = { .n = 0 };
	json_t *cfg = load(CH "/agents-entries-2026.9.6/openclaw.json");

	(void)state;
	assert_int_equal(ck_chains_each(cfg, NULL, record, &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.lines[1], "1 agent:main openai/gpt-5.5 -");
	assert_string_equal(s.lines[2], "1 agent:ops anthropic/claude-sonnet-4-6 "
		"[openrouter/meta-llama/llama-3.3-70b-instruct]");
	assert_string_equal(s.lines[3], "1 agent:batch "
		"openrouter/meta-llama/llama-3.3-70b-instruct - string");
	assert_true(json_is_object(ck_model_agent_model(cfg, "ops")));
	json_decref(cfg);
}

static void
cron_both_shapes(void **state)
{
	struct seen s = { .n = 0 };
	json_t *obj = load(CH "/cron-jobs-object-2026.6.1/cron-jobs.json");
	json_t *arr = load(CH "/cron-jobs-array-2026.9.6/cron-jobs.json");

	(void)state;
	assert_int_equal(ck_chains_each(NULL, obj, record, &s), 0);
	/* systemEvent jobs set no model and are skipped. */
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "2 cron:daily-brief anthropic/claude-sonnet-4-6 []");
	assert_string_equal(s.lines[2], "2 cron:plain "
		"openrouter/meta-llama/llama-3.3-70b-instruct -");
	s.n = 0;
	assert_int_equal(ck_chains_each(NULL, arr, record, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[0], "2 cron:nightly (none) [anthropic/claude-sonnet-4-6]");
	assert_string_equal(s.lines[1], "2 cron:#1 (none) []");
	assert_ptr_equal(ck_model_cron_jobs_array(arr), arr);
	assert_null(ck_model_cron_jobs_array(json_object_get(obj, "version")));
	json_decref(obj);
	json_decref(arr);
}

static int
stop_at_second(const struct ck_chain *c, void *ud)
{
	int *calls = ud;

	(void)c;
	return ++*calls == 2 ? 7 : 0;
}

static void
callback_stops(void **state)
{
	json_t *cfg = load(CH "/agents-list-2026.6.1/openclaw.json");
	int calls = 0;

	(void)state;
	assert_int_equal(ck_chains_each(cfg, NULL, stop_at_second, &calls), 7);
	assert_int_equal(calls, 2);
	json_decref(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(provider_and_family),
		cmocka_unit_test(ref_equal_unified),
		cmocka_unit_test(real_config_defaults),
		cmocka_unit_test(agents_list_shape),
		cmocka_unit_test(agents_entries_shape),
		cmocka_unit_test(cron_both_shapes),
		cmocka_unit_test(callback_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
