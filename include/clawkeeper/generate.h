/* Config generation: the desired settings plus the live config, for a
 * target OpenClaw version, give the new live config and a plan naming
 * every model reference kept, rewritten, dropped, added or filled, with
 * its reason. Nothing leaves a chain without a plan entry. */
#ifndef CK_GENERATE_H
#define CK_GENERATE_H

#include <jansson.h>
#include "error.h"

/* Lists the models a provider serves (ollama GET {base_url}/api/tags).
 * On success *names is a new array of model name strings. */
typedef int (*ck_gen_list_models_fn)(const char *base_url, json_t **names,
				     struct ck_error *err, void *ud);

struct ck_gen_opts {
	const char *target_version;        /* required: "2026.6.1" */
	ck_gen_list_models_fn list_models; /* NULL: ck_ollama_list_models */
	void *ud;                          /* passed to list_models */
	int no_fetch;                      /* 1: never ask a provider */
	/* The instance's cron jobs (cron.h ck_cron_jobs_load), for the
	 * settings' "cron" chains; NULL: every such key is planned as not
	 * found. */
	const json_t *cron_jobs;
	/* When set: a new array of the job patches the chains need
	 * (cron.h ck_cron_apply), [] when none changes. */
	json_t **out_cron;
};

/* Plan entry: {surface, role, ref, action, to, reason, severity[, code]}.
 * surface: "defaults", "agent:<id>", "cron:<job id>", "provider:<id>";
 * role: "primary", "fallback", "provider", "models", "job"; action: kept | rewritten | dropped |
 * added | filled; to: the new ref or path, or null; severity: "info" or
 * "warning"; code (optional): LEGACY_RUNTIME_DROPS_FALLBACKS,
 * FALLBACK_UNRESOLVED, DUPLICATE_AFTER_REWRITE, NOT_IN_SETTINGS,
 * CRON_JOB_NOT_FOUND (a settings cron key names no single model job). */

/* Returns 0 with *out_config (a new object; live is not touched) and
 * *out_plan (a new array), or -1 with err naming the bad input field. An
 * unresolved reference is a warning in the plan, not an error. */
int ck_generate(const json_t *live, const json_t *settings,
		const struct ck_gen_opts *opts, json_t **out_config,
		json_t **out_plan, struct ck_error *err);

/* 1 when the plan holds a warning entry. */
int ck_plan_has_warnings(const json_t *plan);

/* What changed from a to b: an array of {path, op: add|remove|change,
 * from, to}; paths like agents.defaults.models["openai/gpt-5.5"]; arrays
 * are compared whole. Strings under secret-looking keys (apiKey, key,
 * token, access, refresh, secret, password, ...Token, ...Secret) appear
 * only as ck_fingerprint() values. */
json_t *ck_config_diff(const json_t *a, const json_t *b);

/* A deep copy with every secret-looking string replaced by its
 * fingerprint: safe to print. */
json_t *ck_config_redacted(const json_t *config);
/* 1 when a value under this key is treated as a secret. */
int ck_config_key_is_secret(const char *key);

/* The config as OpenClaw lays it out: 2-space indent, key order kept,
 * trailing newline. Caller frees. */
char *ck_config_dump(const json_t *config);

#endif
