/* Model refs and fallback chains: walks the three places an OpenClaw
 * config can set a model chain (defaults, per agent in both the
 * agents.list[] and agents.entries.<id> shapes, per cron job). */
#include <stdio.h>
#include <string.h>

#include "clawkeeper/model.h"

static const char *codex_providers[] = { "openai-codex", "codex", "codex-cli" };

void
ck_model_provider(const char *ref, char *buf, size_t n)
{
	const char *slash;
	size_t len;

	if (n == 0)
		return;
	buf[0] = '\0';
	if (ref == NULL)
		return;
	slash = strchr(ref, '/');
	if (slash == NULL)
		return;
	len = (size_t)(slash - ref);
	if (len >= n)
		len = n - 1;
	memcpy(buf, ref, len);
	buf[len] = '\0';
}

const char *
ck_model_id(const char *ref)
{
	const char *slash;

	if (ref == NULL)
		return "";
	slash = strchr(ref, '/');
	return slash == NULL ? "" : slash + 1;
}

static int
is_codex_provider(const char *provider)
{
	size_t i;

	for (i = 0; i < sizeof(codex_providers) / sizeof(codex_providers[0]); i++)
		if (strcmp(provider, codex_providers[i]) == 0)
			return 1;
	return 0;
}

int
ck_model_is_codex(const char *ref)
{
	char provider[64];

	ck_model_provider(ref, provider, sizeof(provider));
	return is_codex_provider(provider);
}

void
ck_model_family(const char *ref, char *buf, size_t n)
{
	ck_model_provider(ref, buf, n);
	if (is_codex_provider(buf))
		snprintf(buf, n, "openai");
}

/* The unified shape (>= 2026.5.30) writes every Codex ref (openai-codex/,
 * codex/, codex-cli/) as openai/<m>, as `openclaw doctor --fix` does and
 * as the generator (generate.c) writes it. */
static void
unify(const char *ref, int unified, char *buf, size_t n)
{
	if (unified && ck_model_is_codex(ref))
		snprintf(buf, n, "openai/%s", ck_model_id(ref));
	else
		snprintf(buf, n, "%s", ref);
}

int
ck_model_ref_equal(const char *a, const char *b, int unified)
{
	char ua[512], ub[512];

	if (a == NULL || b == NULL)
		return 0;
	unify(a, unified, ua, sizeof(ua));
	unify(b, unified, ub, sizeof(ub));
	return strcmp(ua, ub) == 0;
}

/* A model value is either "p/m" or {primary, fallbacks}. */
static void
chain_from_model(struct ck_chain *c, json_t *model)
{
	json_t *fb;

	c->primary = NULL;
	c->fallbacks = NULL;
	c->model_is_string = 0;
	if (json_is_string(model)) {
		c->primary = json_string_value(model);
		c->model_is_string = 1;
		return;
	}
	if (!json_is_object(model))
		return;
	c->primary = json_string_value(json_object_get(model, "primary"));
	fb = json_object_get(model, "fallbacks");
	if (json_is_array(fb))
		c->fallbacks = fb;
}

json_t *
ck_model_agent_model(json_t *config, const char *agent_id)
{
	json_t *agents, *list, *item, *entry;
	size_t i;

	agents = json_object_get(config, "agents");
	list = json_object_get(agents, "list");
	json_array_foreach(list, i, item) {
		const char *id = json_string_value(json_object_get(item, "id"));

		if (id != NULL && strcmp(id, agent_id) == 0)
			return json_object_get(item, "model");
	}
	entry = json_object_get(json_object_get(agents, "entries"), agent_id);
	return json_object_get(entry, "model");
}

json_t *
ck_model_cron_jobs_array(json_t *cron_jobs)
{
	json_t *jobs;

	if (json_is_array(cron_jobs))
		return cron_jobs;
	jobs = json_object_get(cron_jobs, "jobs");
	return json_is_array(jobs) ? jobs : NULL;
}

static int
each_agent(json_t *config, ck_chain_fn fn, void *ud)
{
	json_t *agents, *list, *item, *entries, *entry;
	struct ck_chain c;
	const char *id;
	size_t i;
	int rc;

	agents = json_object_get(config, "agents");
	list = json_object_get(agents, "list");
	json_array_foreach(list, i, item) {
		json_t *model = json_object_get(item, "model");

		id = json_string_value(json_object_get(item, "id"));
		if (id == NULL || model == NULL)
			continue;
		memset(&c, 0, sizeof(c));
		c.kind = CK_CHAIN_AGENT;
		c.id = id;
		snprintf(c.surface, sizeof(c.surface), "agent:%s", id);
		chain_from_model(&c, model);
		if ((rc = fn(&c, ud)) != 0)
			return rc;
	}
	entries = json_object_get(agents, "entries");
	json_object_foreach(entries, id, entry) {
		json_t *model = json_object_get(entry, "model");

		if (model == NULL)
			continue;
		memset(&c, 0, sizeof(c));
		c.kind = CK_CHAIN_AGENT;
		c.id = id;
		snprintf(c.surface, sizeof(c.surface), "agent:%s", id);
		chain_from_model(&c, model);
		if ((rc = fn(&c, ud)) != 0)
			return rc;
	}
	return 0;
}

/* Jobs written by older versions carry jobId instead of id (doctor
 * normalizes it); a job with neither is named by its position. */
static void
cron_job_name(json_t *job, size_t index, char *buf, size_t n)
{
	const char *id = json_string_value(json_object_get(job, "id"));

	if (id == NULL)
		id = json_string_value(json_object_get(job, "jobId"));
	if (id != NULL)
		snprintf(buf, n, "%s", id);
	else
		snprintf(buf, n, "#%zu", index);
}

static int
each_cron(json_t *cron_jobs, ck_chain_fn fn, void *ud)
{
	json_t *jobs, *job, *payload, *fb;
	struct ck_chain c;
	char name[128];
	size_t i;
	int rc;

	jobs = ck_model_cron_jobs_array(cron_jobs);
	json_array_foreach(jobs, i, job) {
		payload = json_object_get(job, "payload");
		fb = json_object_get(payload, "fallbacks");
		if (json_object_get(payload, "model") == NULL && fb == NULL)
			continue;
		memset(&c, 0, sizeof(c));
		c.kind = CK_CHAIN_CRON;
		cron_job_name(job, i, name, sizeof(name));
		snprintf(c.surface, sizeof(c.surface), "cron:%s", name);
		c.id = name;
		c.primary = json_string_value(json_object_get(payload, "model"));
		c.fallbacks = json_is_array(fb) ? fb : NULL;
		if ((rc = fn(&c, ud)) != 0)
			return rc;
	}
	return 0;
}

int
ck_chains_each(json_t *config, json_t *cron_jobs, ck_chain_fn fn, void *ud)
{
	struct ck_chain c;
	json_t *defaults;
	int rc;

	if (config != NULL) {
		memset(&c, 0, sizeof(c));
		c.kind = CK_CHAIN_DEFAULTS;
		snprintf(c.surface, sizeof(c.surface), "defaults");
		defaults = json_object_get(json_object_get(config, "agents"), "defaults");
		chain_from_model(&c, json_object_get(defaults, "model"));
		if ((rc = fn(&c, ud)) != 0)
			return rc;
		if ((rc = each_agent(config, fn, ud)) != 0)
			return rc;
	}
	return each_cron(cron_jobs, fn, ud);
}
