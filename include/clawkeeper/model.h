/* Model references ("provider/model") and the fallback chains of a config:
 * agents.defaults.model, per-agent model overrides (agents.list[] or
 * agents.entries.<id>), and cron jobs' payload.model/payload.fallbacks. */
#ifndef CK_MODEL_H
#define CK_MODEL_H

#include <stddef.h>
#include <jansson.h>

/* Copies the provider part of "provider/model" into buf ("" if no '/'). */
void ck_model_provider(const char *ref, char *buf, size_t n);
/* The part after the first '/' (borrowed from ref; "" if no '/'). */
const char *ck_model_id(const char *ref);
/* openai-codex/, codex/, codex-cli/ */
int ck_model_is_codex(const char *ref);
/* Provider family: openai-codex, codex, codex-cli count as "openai". */
void ck_model_family(const char *ref, char *buf, size_t n);
/* 1 when a and b name the same model. With unified set (OpenClaw >=
 * 2026.5.30) a Codex ref ("openai-codex/<m>", "codex/<m>", "codex-cli/<m>")
 * and "openai/<m>" are the same model: that shape writes them as
 * openai/<m>. */
int ck_model_ref_equal(const char *a, const char *b, int unified);

enum ck_chain_kind { CK_CHAIN_DEFAULTS, CK_CHAIN_AGENT, CK_CHAIN_CRON };

struct ck_chain {
	enum ck_chain_kind kind;
	char surface[160];      /* "defaults", "agent:<id>", "cron:<id>" */
	const char *id;         /* agent id or cron job name (valid during the
				 * call); NULL for defaults */
	const char *primary;    /* NULL when the surface sets none */
	json_t *fallbacks;      /* borrowed array of strings; NULL when absent */
	int model_is_string;    /* per-agent "model": "p/m" (strict) */
};

typedef int (*ck_chain_fn)(const struct ck_chain *chain, void *ud);
/* Calls fn for defaults (always, primary NULL when unset), then each agent
 * that has a model, then each cron job whose payload sets model or
 * fallbacks (cron_jobs: parsed cron/jobs.json, a bare array or
 * {"jobs":[...]}, may be NULL). config may be NULL. Stops when fn returns
 * non-zero and returns that value. */
int ck_chains_each(json_t *config, json_t *cron_jobs, ck_chain_fn fn, void *ud);

/* The per-agent "model" value (string or object) in either shape:
 * agents.list[] item with id == agent_id, or agents.entries.<id>.
 * Borrowed; NULL when the agent sets none. */
json_t *ck_model_agent_model(json_t *config, const char *agent_id);
/* The jobs array of a parsed cron/jobs.json (bare array or {"jobs":[]}).
 * Borrowed; NULL when it is neither. */
json_t *ck_model_cron_jobs_array(json_t *cron_jobs);

#endif
