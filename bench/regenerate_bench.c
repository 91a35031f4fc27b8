/* bench/regenerate: the agent's own cost of a regenerate on a big
 * instance (20 agents, 50 providers): parse the live JSON5 config, load
 * and validate the settings, generate, diff, serialize. No gateway
 * restart, no install, no network (every ref resolves without a
 * listing). Prints the median and p95 of N runs, and writes the config
 * it used so the script can time `jq .` on the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clawkeeper/generate.h"
#include "clawkeeper/json5.h"
#include "clawkeeper/settings.h"

#define N_AGENTS 20
#define N_PROVIDERS 50
#define N_MODELS 5

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static json_t *
big_config(void)
{
	json_t *cfg = json_object(), *agents = json_object(), *defaults = json_object();
	json_t *list = json_array(), *providers = json_object(), *map = json_object();
	char ref[128], key[64];
	int i, j;

	json_object_set_new(defaults, "workspace", json_string("/srv/openclaw/workspace"));
	json_object_set_new(defaults, "model", json_pack("{s:s, s:[s]}", "primary",
		"openai-codex/gpt-5.5", "fallbacks", "prov-00/model-0"));
	for (i = 0; i < N_PROVIDERS; i++) {
		json_t *models = json_array();

		for (j = 0; j < N_MODELS; j++) {
			snprintf(key, sizeof(key), "model-%d", j);
			json_array_append_new(models, json_pack("{s:s, s:s, s:[s], s:i, s:i}",
				"id", key, "name", key, "input", "text",
				"contextWindow", 128000, "maxTokens", 8192));
			snprintf(ref, sizeof(ref), "prov-%02d/model-%d", i, j);
			json_object_set_new(map, ref, json_object());
		}
		snprintf(key, sizeof(key), "prov-%02d", i);
		snprintf(ref, sizeof(ref), "sk-FAKE-bench-%02d-000000000000", i);
		json_object_set_new(providers, key, json_pack("{s:s, s:s, s:s, s:o}",
			"baseUrl", "https://llm.example.net/v1", "api", "openai-completions",
			"apiKey", ref, "models", models));
	}
	json_object_set_new(providers, "ollama", json_pack("{s:s, s:s, s:[{s:s, s:s}]}",
		"baseUrl", "http://127.0.0.1:11434", "api", "ollama",
		"models", "id", "llama3.1:8b", "name", "llama3.1:8b"));
	json_object_set_new(defaults, "models", map);
	for (i = 0; i < N_AGENTS; i++) {
		snprintf(key, sizeof(key), "agent-%02d", i);
		snprintf(ref, sizeof(ref), "/srv/openclaw/workspace-%02d", i);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:{s:s}, s:{s:s}}",
			"id", key, "name", key, "workspace", ref,
			"model", "primary", "openai-codex/gpt-5.5",
			"tools", "profile", "coding"));
	}
	json_object_set_new(agents, "defaults", defaults);
	json_object_set_new(agents, "list", list);
	json_object_set_new(cfg, "agents", agents);
	json_object_set_new(cfg, "gateway", json_pack("{s:s, s:i, s:{s:s, s:s}}",
		"mode", "local", "port", 18789, "auth", "mode", "token",
		"token", "FAKE-gateway-token-bench"));
	json_object_set_new(cfg, "channels", json_pack("{s:{s:b, s:s}}", "telegram",
		"enabled", 1, "botToken", "123:FAKE-bench"));
	json_object_set_new(cfg, "meta", json_pack("{s:s}", "lastTouchedVersion", "2026.6.1"));
	json_object_set_new(cfg, "models", json_pack("{s:o}", "providers", providers));
	return cfg;
}

static json_t *
big_settings(void)
{
	json_t *s = json_object(), *fb = json_array(), *agents = json_object();
	json_t *providers = json_object();
	char ref[128], key[64];
	int i, j;

	json_object_set_new(s, "primary", json_string("openai-codex/gpt-5.5"));
	for (i = 0; i < 6; i++) {
		snprintf(ref, sizeof(ref), "prov-%02d/model-%d", i * 7, i % N_MODELS);
		json_array_append_new(fb, json_string(ref));
	}
	json_array_append_new(fb, json_string("anthropic/claude-sonnet-4-6"));
	json_array_append_new(fb, json_string("ollama/llama3.1:8b"));
	json_object_set_new(s, "fallbacks", fb);
	for (i = 0; i < N_AGENTS; i++) {
		json_t *afb = json_array();

		for (j = 0; j < 3; j++) {
			snprintf(ref, sizeof(ref), "prov-%02d/model-%d", (i + j * 11) % N_PROVIDERS, j);
			json_array_append_new(afb, json_string(ref));
		}
		json_array_append_new(afb, json_string("codex-cli/gpt-5.4"));
		snprintf(key, sizeof(key), "agent-%02d", i);
		json_object_set_new(agents, key, json_pack("{s:s, s:o}", "primary",
			i % 2 ? "openai-codex/gpt-5.5" : "anthropic/claude-sonnet-4-6",
			"fallbacks", afb));
	}
	json_object_set_new(s, "agents", agents);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "prov-%02d", i * 5);
		json_object_set_new(providers, key, json_pack("{s:s}", "baseUrl",
			"https://llm2.example.net/v1"));
	}
	json_object_set_new(s, "providers", providers);
	return s;
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	int runs = argc > 2 ? atoi(argv[2]) : 50;
	struct ck_gen_opts opts = { .target_version = "2026.6.1", .no_fetch = 1 };
	char cfg_path[512], set_path[512];
	double *t;
	json_t *cfg = big_config(), *settings = big_settings();
	char *cfg_text = ck_config_dump(cfg);
	char *set_text = ck_config_dump(settings);
	size_t plan_n = 0, diff_n = 0;
	FILE *f;
	int i;

	if (runs < 1)
		runs = 1;
	t = calloc((size_t)runs, sizeof(*t));
	snprintf(cfg_path, sizeof(cfg_path), "%s/openclaw.json", dir);
	snprintf(set_path, sizeof(set_path), "%s/settings.json", dir);
	f = fopen(cfg_path, "w");
	if (f == NULL || fputs(cfg_text, f) < 0 || fclose(f) != 0) {
		perror(cfg_path);
		return 1;
	}
	f = fopen(set_path, "w");
	if (f == NULL || fputs(set_text, f) < 0 || fclose(f) != 0) {
		perror(set_path);
		return 1;
	}
	for (i = 0; i < runs; i++) {
		struct ck_error err;
		json_t *live, *set, *out, *plan, *diff;
		char *text;
		double t0 = now_ms();

		live = ck_json5_load_file(cfg_path, &err);
		set = live ? ck_settings_load(set_path, &err) : NULL;
		if (set == NULL || ck_generate(live, set, &opts, &out, &plan, &err) < 0) {
			fprintf(stderr, "bench: %s\n", err.msg);
			return 1;
		}
		diff = ck_config_diff(live, out);
		text = ck_config_dump(out);
		t[i] = now_ms() - t0;
		plan_n = json_array_size(plan);
		diff_n = json_array_size(diff);
		free(text);
		json_decref(diff);
		json_decref(plan);
		json_decref(out);
		json_decref(set);
		json_decref(live);
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp_double);
	printf("config: %s (%zu bytes, %d agents, %d providers)\n", cfg_path,
	       strlen(cfg_text), N_AGENTS, N_PROVIDERS);
	printf("plan entries: %zu, diff entries: %zu\n", plan_n, diff_n);
	printf("regenerate (load JSON5 + settings, generate, diff, serialize), %d runs:\n", runs);
	printf("  median %.2f ms  p95 %.2f ms  min %.2f ms  (target < 50 ms)\n",
	       t[runs / 2], t[(runs * 95) / 100 < runs ? (runs * 95) / 100 : runs - 1], t[0]);
	free(t);
	free(cfg_text);
	free(set_text);
	json_decref(cfg);
	json_decref(settings);
	return 0;
}
