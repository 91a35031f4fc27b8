/* Credential health of an instance: every auth profile of every agent,
 * its status at a given time, which providers the model chains need but
 * have no credential for, and findings with the exact re-auth command.
 * Reading the stores is in credstore.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clawkeeper/compat.h"
#include "clawkeeper/credentials.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/log.h"
#include "clawkeeper/model.h"
#include "clawkeeper/spawn.h"
#include "clawkeeper/version.h"

#define STATUS_TIMEOUT_MS 60000
#define FENCE_PREFIX "openclaw-oauth-refresh-fence:"

struct health {
	const struct ck_instance *inst;
	long long now;
	int unified;
	json_t *entries;
	json_t *findings;
	json_t *used;            /* provider -> surface of the first chain using it */
	char primary[64];        /* provider of the defaults chain's primary */
	const char *default_agent;
};

static int
str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static const char *
jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Epoch ms as OpenClaw stores it; 0 when absent or not a number. */
static long long
jms(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return 0;
}

static json_t *
iso_time(long long ms)
{
	char buf[96];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return json_string(buf);
}

static void
human_span(long long ms, char *buf, size_t n)
{
	long long s = (ms < 0 ? -ms : ms) / 1000;

	if (s >= 86400)
		snprintf(buf, n, "%lldd %lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, n, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, n, "%lldm %llds", s / 60, s % 60);
}

static int
is_codex(const char *provider)
{
	return str_eq(provider, "openai-codex") || str_eq(provider, "codex") ||
	       str_eq(provider, "codex-cli");
}

/* 2026.9.6 marks a profile whose refresh failed by overwriting access and
 * refresh with a fence string and expires with 1. */
static int
is_fenced(const json_t *prof)
{
	const char *access = jstr(prof, "access");

	return access != NULL && strncmp(access, FENCE_PREFIX,
					 strlen(FENCE_PREFIX)) == 0 &&
	       strstr(access, ":failed") != NULL;
}

static const char *
secret_of(const json_t *prof)
{
	const char *s = jstr(prof, "key");

	if (s == NULL)
		s = jstr(prof, "token");
	if (s == NULL)
		s = jstr(prof, "access");
	return s;
}

static json_t *
fingerprint_json(const char *secret)
{
	char fp[CK_FINGERPRINT_LEN];

	if (secret == NULL || *secret == '\0')
		return json_null();
	ck_fingerprint(secret, fp);
	return json_string(fp);
}

/* Which of a provider's profiles `models status` counts: auth.order.<p>
 * when set, else the profiles openclaw.json declares for p when it
 * declares any, else all of them (2026.9.6 upgrade: the doctor-imported
 * openai OAuth profile is not declared and not effective). */
static int
declared(const struct ck_instance *inst, const char *provider, const char *id)
{
	json_t *auth = json_object_get(inst->config, "auth");
	json_t *order = json_object_get(json_object_get(auth, "order"), provider);
	json_t *profiles = json_object_get(auth, "profiles");
	const char *key;
	json_t *v;
	size_t i;
	int any = 0;

	if (json_is_array(order) && json_array_size(order) > 0) {
		json_array_foreach(order, i, v)
			if (str_eq(json_string_value(v), id))
				return 1;
		return 0;
	}
	json_object_foreach(profiles, key, v) {
		if (!str_eq(jstr(v, "provider"), provider))
			continue;
		if (strcmp(key, id) == 0)
			return 1;
		any = 1;
	}
	return !any;
}

/* Status of the credential itself, and a reason when it is notable. */
static const char *
credential_status(const struct health *h, const json_t *prof, const char *type,
		  char *reason, size_t n)
{
	long long exp = jms(prof, "expires");
	char span[32];

	reason[0] = '\0';
	if (str_eq(type, "api_key"))
		return "static";
	if (str_eq(type, "oauth") && is_fenced(prof)) {
		snprintf(reason, n, "refresh failed (fenced)");
		return "expired";
	}
	if (!str_eq(type, "token") && !str_eq(type, "oauth")) {
		snprintf(reason, n, "unrecognised profile type '%s'",
			 type ? type : "(none)");
		return "static";
	}
	if (exp <= 0) {
		snprintf(reason, n, "%s without expiry", type);
		return "static";
	}
	human_span(exp - h->now, span, sizeof(span));
	if (exp <= h->now) {
		snprintf(reason, n, "expired %s ago", span);
		return "expired";
	}
	if (exp - h->now <= CK_EXPIRING_WINDOW_MS) {
		snprintf(reason, n, "expires in %s", span);
		return "expiring";
	}
	return "ok";
}

/* An expired token cannot be refreshed, nor can a fenced OAuth login:
 * `models status` leaves both out of the provider's effective profiles. */
static int
refreshable(const json_t *prof, const char *type, const char *cred)
{
	if (!str_eq(cred, "expired"))
		return 1;
	if (str_eq(type, "token") || is_fenced(prof))
		return 0;
	return jstr(prof, "refresh") != NULL;
}

static void
apply_usage(struct health *h, json_t *e, const json_t *usage)
{
	long long disabled = jms(usage, "disabledUntil");
	long long cooldown = jms(usage, "cooldownUntil");
	const char *why;
	char reason[160];

	if (str_eq(jstr(e, "status"), "expired"))
		return;
	if (disabled > h->now) {
		why = jstr(usage, "disabledReason");
		json_object_set_new(e, "status", json_string("disabled"));
		json_object_set_new(e, "cooldown_until", iso_time(disabled));
	} else if (cooldown > h->now) {
		why = jstr(usage, "cooldownReason");
		json_object_set_new(e, "status", json_string("cooldown"));
		json_object_set_new(e, "cooldown_until", iso_time(cooldown));
	} else {
		return;
	}
	snprintf(reason, sizeof(reason), "%s (%s)", jstr(e, "status"),
		 why ? why : "unknown reason");
	json_object_set_new(e, "reason", json_string(reason));
	json_object_set_new(e, "cooldown_reason", why ? json_string(why) : json_null());
}

static json_t *
profile_entry(struct health *h, const char *id, const json_t *prof,
	      const json_t *usage, const char *surface, const char *source)
{
	const char *type = jstr(prof, "type");
	const char *provider = jstr(prof, "provider");
	long long exp = jms(prof, "expires");
	char reason[160];
	const char *cred;
	int timed;
	json_t *e;

	cred = credential_status(h, prof, type, reason, sizeof(reason));
	timed = exp > 1 && !str_eq(type, "api_key") && !is_fenced(prof);
	e = json_pack("{s:s, s:s, s:o, s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:n,"
		      " s:o, s:s, s:s}",
		      "provider", provider, "profile", id,
		      "type", type ? json_string(type) : json_null(),
		      "status", cred, "credential_status", cred,
		      "effective", refreshable(prof, type, cred) &&
				   declared(h->inst, provider, id),
		      "in_use", 0,
		      "expires_at", timed ? iso_time(exp) : json_null(),
		      "expires_in_s", timed ? json_integer((exp - h->now) / 1000) : json_null(),
		      "fingerprint", fingerprint_json(secret_of(prof)),
		      "cooldown_until",
		      "reason", reason[0] ? json_string(reason) : json_null(),
		      "surface", surface, "source", source);
	if (e != NULL)
		apply_usage(h, e, usage);
	return e;
}

static json_t *
find_entry(json_t *entries, const char *id, const char *surface)
{
	json_t *e;
	size_t i;

	json_array_foreach(entries, i, e)
		if (str_eq(jstr(e, "profile"), id) && str_eq(jstr(e, "surface"), surface))
			return e;
	return NULL;
}

static void
add_store(struct health *h, const json_t *store, const json_t *state,
	  const char *surface, const char *source)
{
	json_t *profiles = json_object_get(store, "profiles");
	json_t *usage = json_object_get(state, "usageStats");
	const char *id;
	json_t *prof;

	json_object_foreach(profiles, id, prof) {
		json_t *e;

		if (!json_is_string(json_object_get(prof, "provider")))
			continue;
		if (find_entry(h->entries, id, surface) != NULL)
			continue;
		e = profile_entry(h, id, prof, json_object_get(usage, id),
				  surface, source);
		if (e != NULL)
			json_array_append_new(h->entries, e);
	}
}

static void
store_unreadable(struct health *h, const char *surface, const struct ck_error *err)
{
	ck_finding_add(h->findings, "CREDENTIAL_STORE_UNREADABLE", CK_SEV_WARNING,
		       surface, NULL, "credential store cannot be read: %s; "
		       "its profiles are not checked", err->msg);
}

static void
read_sqlite_store(struct health *h)
{
	struct ck_error err = { { 0 } };
	json_t *store, *state;
	char *db;
	int rc;

	db = ck_strdup_printf("%s/state/openclaw.sqlite", h->inst->state_dir);
	if (db == NULL)
		return;
	rc = ck_credentials_read_sqlite(h->inst->state_dir, db, &store, &state, &err);
	if (rc == -1)
		store_unreadable(h, "defaults", &err);
	else if (rc == 1)
		add_store(h, store, state, "defaults", "openclaw.sqlite");
	json_decref(store);
	json_decref(state);
	free(db);
}

static void
read_agent_store(struct health *h, const char *agent_id)
{
	struct ck_error err = { { 0 } };
	char surface[160];
	json_t *store, *state;
	const char *root;
	char *dir;
	int rc;

	if (str_eq(agent_id, h->default_agent))
		snprintf(surface, sizeof(surface), "defaults");
	else
		snprintf(surface, sizeof(surface), "agent:%s", agent_id);
	dir = ck_instance_agent_dir(h->inst, agent_id);
	if (dir == NULL)
		return;
	/* Confined to the state dir; an agentDir the config puts elsewhere
	 * (a self-hoster's own layout) is confined to itself. */
	root = ck_path_within(dir, h->inst->state_dir) ? h->inst->state_dir : dir;
	if (ck_credentials_read_json(root, dir, &store, &state, &err) == -1)
		store_unreadable(h, surface, &err);
	else
		add_store(h, store, state, surface, "auth-profiles.json");
	json_decref(store);
	json_decref(state);
	/* 2026.6.35 - 2026.7.35 keep them in the agent's own database */
	rc = ck_credentials_read_agent_db(root, dir, &store, &state, &err);
	if (rc == -1)
		store_unreadable(h, surface, &err);
	else if (rc == 1)
		add_store(h, store, state, surface, "openclaw-agent.sqlite");
	json_decref(store);
	json_decref(state);
	free(dir);
}

/* The agent whose store is the instance default: flagged default in the
 * config, else "main", else the first one. */
static const char *
pick_default_agent(const struct ck_instance *inst)
{
	size_t i;

	for (i = 0; i < inst->n_agents; i++) {
		json_t *conf = ck_instance_agent_config(inst, inst->agent_ids[i]);

		if (json_is_true(json_object_get(conf, "default")))
			return inst->agent_ids[i];
	}
	for (i = 0; i < inst->n_agents; i++)
		if (str_eq(inst->agent_ids[i], "main"))
			return inst->agent_ids[i];
	return inst->n_agents > 0 ? inst->agent_ids[0] : "main";
}

/* models.providers.<p>.apiKey values that are not keys: the local-runtime
 * placeholder ("ollama-local") that 5.28/6.1 report as missing, and the
 * profile reference 9.6 writes ("ollama:manual"). */
static int
is_key_marker(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || str_eq(key, "ollama-local") ||
	    (n > 6 && strcmp(key + n - 6, "-local") == 0 && strchr(key, '-') == key + n - 6))
		return 1;
	return strchr(key, ':') != NULL && strchr(key, ' ') == NULL &&
	       strncmp(key, "sk-", 3) != 0;
}

static void
add_inline_keys(struct health *h)
{
	json_t *providers = json_object_get(json_object_get(h->inst->config,
							    "models"), "providers");
	const char *name;
	json_t *conf;

	json_object_foreach(providers, name, conf) {
		const char *key = jstr(conf, "apiKey");
		char where[200];
		json_t *e;

		if (key == NULL || is_key_marker(key))
			continue;
		snprintf(where, sizeof(where), "models.providers.%s.apiKey", name);
		e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:n, s:n, s:o,"
			      " s:n, s:s, s:s, s:s}",
			      "provider", name, "profile", where, "type", "api_key",
			      "status", "static", "credential_status", "static",
			      "effective", 1, "in_use", 0, "expires_at", "expires_in_s",
			      "fingerprint", fingerprint_json(strncmp(key, "${", 2) == 0 ? NULL : key),
			      "cooldown_until",
			      "reason", strncmp(key, "${", 2) == 0 ?
			      "inline key from an environment variable" : "inline key",
			      "surface", "defaults", "source", "openclaw.json");
		if (e != NULL)
			json_array_append_new(h->entries, e);
	}
}

/* ---- `openclaw models status --json` ---- */

static json_t *
run_models_status(struct health *h)
{
	struct ck_spawn_result res;
	struct ck_error err = { { 0 } };
	static const char *const args[] = { "models", "status", "--json", NULL };
	char *given[2] = { (char *)h->inst->openclaw_bin, NULL };
	char **argv = ck_argv_concat(h->inst->openclaw_argv ? h->inst->openclaw_argv : given, args);
	char *env[3] = { NULL, NULL, NULL };
	json_t *status = NULL;

	if (argv == NULL)
		return NULL;

	env[0] = ck_strdup_printf("OPENCLAW_STATE_DIR=%s", h->inst->state_dir);
	if (h->inst->config_path != NULL)
		env[1] = ck_strdup_printf("OPENCLAW_CONFIG_PATH=%s", h->inst->config_path);
	memset(&res, 0, sizeof(res));
	if (ck_spawn(argv, env, STATUS_TIMEOUT_MS, &res, &err) == 0) {
		if (res.timed_out)
			ck_error_set(&err, "timed out after %d s", STATUS_TIMEOUT_MS / 1000);
		else
			status = ck_credentials_parse_status(res.out, res.out_len, &err);
		if (status == NULL && res.exit_code != 0 && !res.timed_out)
			ck_error_prefix(&err, "exit %d: ", res.exit_code);
	}
	ck_spawn_result_free(&res);
	free(argv);
	free(env[0]);
	free(env[1]);
	if (status == NULL)
		ck_finding_add(h->findings, "CREDENTIAL_STATUS_UNAVAILABLE", CK_SEV_INFO,
			       "defaults", NULL, "%s models status --json: %s; "
			       "credentials were read from the stores instead",
			       h->inst->openclaw_bin, err.msg);
	return status;
}

static int
in_id_list(const json_t *list, const char *id)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (str_eq(jstr(v, "profileId"), id))
			return 1;
	return 0;
}

static void
overlay_profile(struct health *h, const json_t *p, const json_t *effective)
{
	const char *id = jstr(p, "profileId");
	const char *st = jstr(p, "status");
	long long exp = jms(p, "expiresAt");
	json_t *e;

	if (id == NULL || st == NULL)
		return;
	e = find_entry(h->entries, id, "defaults");
	if (e == NULL) {
		e = json_pack("{s:s?, s:s, s:n, s:n, s:n, s:n, s:n, s:n}",
			      "provider", jstr(p, "provider"), "profile", id,
			      "expires_at", "expires_in_s", "fingerprint",
			      "cooldown_until", "reason", "type");
		if (e == NULL)
			return;
		json_object_set_new(e, "surface", json_string("defaults"));
		json_object_set_new(e, "in_use", json_false());
		json_array_append_new(h->entries, e);
	}
	json_object_set_new(e, "type", json_string(jstr(p, "type") ? jstr(p, "type") : "api_key"));
	/* A cooldown the store records stays, even where this version's
	 * unusableProfiles leaves it out (2026.6.1 upgrade-before capture). */
	if (str_eq(st, "expired") || !(str_eq(jstr(e, "status"), "cooldown") ||
				       str_eq(jstr(e, "status"), "disabled")))
		json_object_set_new(e, "status", json_string(st));
	json_object_set_new(e, "credential_status", json_string(st));
	json_object_set_new(e, "effective", json_boolean(in_id_list(effective, id)));
	json_object_set_new(e, "source", json_string("models status"));
	if (exp > 1) {
		json_object_set_new(e, "expires_at", iso_time(exp));
		json_object_set_new(e, "expires_in_s", json_integer((exp - h->now) / 1000));
	}
}

static void
overlay_unusable(struct health *h, const json_t *u)
{
	json_t *e = find_entry(h->entries, jstr(u, "profileId"), "defaults");
	const char *kind = jstr(u, "kind");
	const char *why = jstr(u, "reason");
	char reason[160];

	if (e == NULL || str_eq(jstr(e, "status"), "expired"))
		return;
	kind = str_eq(kind, "disabled") ? "disabled" : "cooldown";
	/* 5.28/6.1 print no reason; keep the one auth-state.json gave. */
	if (why == NULL)
		why = jstr(e, "cooldown_reason");
	json_object_set_new(e, "status", json_string(kind));
	json_object_set_new(e, "cooldown_until", iso_time(jms(u, "until")));
	snprintf(reason, sizeof(reason), "%s (%s)", kind, why ? why : "unknown reason");
	json_object_set_new(e, "reason", json_string(reason));
	json_object_set_new(e, "cooldown_reason", why ? json_string(why) : json_null());
}

static void
overlay_status(struct health *h, const json_t *status)
{
	json_t *auth = json_object_get(status, "auth");
	json_t *providers = json_object_get(json_object_get(auth, "oauth"), "providers");
	json_t *prov, *p;
	size_t i, j;

	json_array_foreach(providers, i, prov) {
		json_t *eff = json_object_get(prov, "effectiveProfiles");

		json_array_foreach(json_object_get(prov, "profiles"), j, p)
			overlay_profile(h, p, eff);
	}
	json_array_foreach(json_object_get(auth, "unusableProfiles"), i, p)
		overlay_unusable(h, p);
}

/* ---- which providers the chains need ---- */

static void
use_ref(struct health *h, const char *ref, const char *surface)
{
	char provider[64];

	ck_model_provider(ref, provider, sizeof(provider));
	if (provider[0] != '\0' && json_object_get(h->used, provider) == NULL)
		json_object_set_new(h->used, provider, json_string(surface));
}

static int
chain_cb(const struct ck_chain *c, void *ud)
{
	struct health *h = ud;
	json_t *v;
	size_t i;

	if (c->kind == CK_CHAIN_DEFAULTS && c->primary != NULL)
		ck_model_provider(c->primary, h->primary, sizeof(h->primary));
	use_ref(h, c->primary, c->surface);
	json_array_foreach(c->fallbacks, i, v)
		use_ref(h, json_string_value(v), c->surface);
	return 0;
}

static int
has_creds(const struct health *h, const char *provider)
{
	json_t *e;
	size_t i;

	json_array_foreach(h->entries, i, e)
		if (str_eq(jstr(e, "provider"), provider) &&
		    json_is_string(json_object_get(e, "profile")))
			return 1;
	return 0;
}

/* A codex-family model with no login of its own runs on the openai
 * credentials (5.28 s0/s1: --check passes with only an openai key). The
 * reverse does not hold: openai/ models on 2026.6.1 with only an openai-codex
 * login is missing; 2026.9.6's doctor re-files that login under openai. */
static int
covered(const struct health *h, const char *provider)
{
	return has_creds(h, provider) ||
	       (is_codex(provider) && has_creds(h, "openai"));
}

static int
borrowed_by_codex(const struct health *h, const char *provider, const char *user)
{
	return str_eq(provider, "openai") && is_codex(user) && !has_creds(h, user);
}

static int
in_use(const struct health *h, const char *provider)
{
	const char *u;
	json_t *v;

	json_object_foreach(h->used, u, v)
		if (str_eq(u, provider) || borrowed_by_codex(h, provider, u))
			return 1;
	return 0;
}

static int
serves_primary(const struct health *h, const char *provider)
{
	return h->primary[0] != '\0' &&
	       (str_eq(provider, h->primary) ||
		borrowed_by_codex(h, provider, h->primary));
}

static void
add_missing(struct health *h)
{
	const char *u;
	json_t *surface;

	json_object_foreach(h->used, u, surface) {
		json_t *e;

		if (covered(h, u))
			continue;
		e = json_pack("{s:s, s:n, s:n, s:s, s:s, s:b, s:b, s:n, s:n, s:n,"
			      " s:n, s:s, s:O, s:s}",
			      "provider", u, "profile", "type", "status", "missing",
			      "credential_status", "missing", "effective", 0,
			      "in_use", 1, "expires_at", "expires_in_s", "fingerprint",
			      "cooldown_until", "reason",
			      "no credential for a provider the model chain uses",
			      "surface", surface, "source", "openclaw.json");
		if (e != NULL)
			json_array_append_new(h->entries, e);
	}
}

/* ---- findings ---- */

static void
append_arg(char *buf, size_t n, const char *flag, const char *arg)
{
	size_t len = strlen(buf);
	int plain = strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789@._:+-") == strlen(arg);

	snprintf(buf + len, n - len, plain ? " %s %s" : " %s '%s'", flag, arg);
}

static int
logs_in(const struct health *h, const char *provider)
{
	return str_eq(provider, "anthropic") || is_codex(provider) ||
	       (str_eq(provider, "openai") && h->unified);
}

/* `--force` (drop the provider's stale profiles before the new login)
 * where the version has it; an unknown version is taken to be current. */
static int
login_force(const struct health *h)
{
	return h->inst->version == NULL ||
	       ck_compat_has(h->inst->version, CK_FEAT_LOGIN_FORCE) != 0;
}

/* The command that replaces this credential; --force where the stale
 * profile would otherwise be picked up again. Another agent's store is
 * named with the `models auth --agent ID` group option: every version
 * parses it there, while `login|paste-* --agent` exists only from
 * 2026.8 (2026.5.28 - 2026.7.35: "does not recognize option --agent"). */
static void
fix_for(const struct health *h, const json_t *e, char *buf, size_t n)
{
	const char *type = jstr(e, "type");
	const char *provider = jstr(e, "provider");
	const char *surface = jstr(e, "surface");
	const char *st = jstr(e, "credential_status");

	snprintf(buf, n, "openclaw models auth");
	if (surface != NULL && strncmp(surface, "agent:", 6) == 0)
		append_arg(buf, n, "--agent", surface + 6);
	if (str_eq(type, "token")) {
		strncat(buf, " paste-token", n - strlen(buf) - 1);
		append_arg(buf, n, "--provider", provider);
		append_arg(buf, n, "--profile-id", jstr(e, "profile"));
	} else if (str_eq(type, "oauth") || (type == NULL && logs_in(h, provider))) {
		strncat(buf, " login", n - strlen(buf) - 1);
		append_arg(buf, n, "--provider", provider);
		if (str_eq(st, "expired") && login_force(h))
			strncat(buf, " --force", n - strlen(buf) - 1);
	} else {
		strncat(buf, " paste-api-key", n - strlen(buf) - 1);
		append_arg(buf, n, "--provider", provider);
	}
}

static enum ck_severity
chain_severity(const struct health *h, const char *provider)
{
	if (!in_use(h, provider))
		return CK_SEV_INFO;
	return serves_primary(h, provider) ? CK_SEV_CRITICAL : CK_SEV_WARNING;
}

/* Another effective profile of the provider that works right now. */
static const char *
usable_sibling(const struct health *h, const json_t *self)
{
	const char *provider = jstr(self, "provider");
	json_t *e;
	size_t i;

	json_array_foreach(h->entries, i, e) {
		const char *st = jstr(e, "status");

		/* An inline key does not stand in for a profile: a profile in
		 * auth cooldown makes OpenClaw skip the whole provider. */
		if (e == self || !str_eq(jstr(e, "provider"), provider) ||
		    !json_is_true(json_object_get(e, "effective")) ||
		    str_eq(jstr(e, "source"), "openclaw.json"))
			continue;
		if (str_eq(st, "ok") || str_eq(st, "static") || str_eq(st, "expiring"))
			return jstr(e, "profile");
	}
	return NULL;
}

static const char *
use_note(const struct health *h, const json_t *e)
{
	if (!in_use(h, jstr(e, "provider")))
		return "; no model chain uses this provider";
	if (!json_is_true(json_object_get(e, "effective")))
		return "; not counted: the provider has other usable credentials "
		       "or openclaw.json does not list this profile";
	return "";
}

static void
finding_expired(struct health *h, const json_t *e, const char *fix)
{
	enum ck_severity sev = chain_severity(h, jstr(e, "provider"));

	if (!json_is_true(json_object_get(e, "effective")))
		sev = CK_SEV_INFO;
	ck_finding_add(h->findings, "CREDENTIAL_EXPIRED", sev, jstr(e, "surface"),
		       fix, "%s profile %s of %s has expired (%s)%s",
		       jstr(e, "type"), jstr(e, "profile"), jstr(e, "provider"),
		       jstr(e, "reason") ? jstr(e, "reason") : "expired",
		       use_note(h, e));
}

static void
finding_expiring(struct health *h, const json_t *e, const char *fix)
{
	enum ck_severity sev = CK_SEV_WARNING;

	/* Still works: a warning at most, like models status --check (2). */
	if (!in_use(h, jstr(e, "provider")) ||
	    !json_is_true(json_object_get(e, "effective")))
		sev = CK_SEV_INFO;
	ck_finding_add(h->findings, "CREDENTIAL_EXPIRING", sev, jstr(e, "surface"),
		       fix, "%s profile %s of %s %s%s", jstr(e, "type"),
		       jstr(e, "profile"), jstr(e, "provider"),
		       jstr(e, "reason") ? jstr(e, "reason") : "expires within 24 h",
		       use_note(h, e));
}

static void
finding_cooldown(struct health *h, const json_t *e, const char *fix)
{
	const char *provider = jstr(e, "provider");
	const char *why = jstr(e, "cooldown_reason");
	const char *sibling = usable_sibling(h, e);
	enum ck_severity sev = chain_severity(h, provider);
	int rejected = str_eq(why, "auth") || str_eq(why, "billing");

	/* A rate limit passes by itself; a key the provider rejected (9.6
	 * counts it as missing) needs a person. */
	if (sibling != NULL)
		sev = CK_SEV_INFO;
	else if (sev == CK_SEV_CRITICAL && !rejected)
		sev = CK_SEV_WARNING;
	ck_finding_add(h->findings, "CREDENTIAL_COOLDOWN", sev, jstr(e, "surface"),
		       rejected ? fix : NULL, "profile %s of %s is in %s until %s%s%s",
		       jstr(e, "profile"), provider, jstr(e, "reason"),
		       jstr(e, "cooldown_until") ? jstr(e, "cooldown_until") : "unknown",
		       sibling ? "; the provider still has " : use_note(h, e),
		       sibling ? sibling : "");
}

static void
finding_missing(struct health *h, const json_t *e, const char *fix)
{
	const char *provider = jstr(e, "provider");
	const char *hint = "";

	if (str_eq(provider, "openai") && has_creds(h, "openai-codex"))
		hint = "; an openai-codex login exists, but openai/* models only "
		       "use credentials stored under provider openai";
	ck_finding_add(h->findings, "CREDENTIAL_MISSING",
		       serves_primary(h, provider) ? CK_SEV_CRITICAL : CK_SEV_WARNING,
		       jstr(e, "surface"), fix,
		       "provider %s is used by the %s model chain but has no "
		       "credential%s", provider, jstr(e, "surface"), hint);
}

static void
add_findings(struct health *h)
{
	json_t *e;
	size_t i;

	json_array_foreach(h->entries, i, e) {
		const char *st = jstr(e, "status");
		char fix[512];

		json_object_set_new(e, "in_use", json_boolean(in_use(h, jstr(e, "provider"))));
		fix_for(h, e, fix, sizeof(fix));
		if (str_eq(st, "expired"))
			finding_expired(h, e, fix);
		else if (str_eq(st, "expiring"))
			finding_expiring(h, e, fix);
		else if (str_eq(st, "cooldown") || str_eq(st, "disabled"))
			finding_cooldown(h, e, fix);
		else if (str_eq(st, "missing"))
			finding_missing(h, e, fix);
	}
}

static int
version_unified(const struct ck_instance *inst)
{
	struct ck_version v;

	/* Unknown version: assume a current (unified) OpenClaw. */
	if (inst->version == NULL || ck_version_parse(inst->version, &v) == -1)
		return 1;
	return ck_compat_has(inst->version, CK_FEAT_UNIFIED_PROVIDER) == 1;
}

json_t *
ck_credentials_health(const struct ck_instance *inst, long long now_ms,
		      json_t *findings)
{
	struct health h;
	json_t *status = NULL;
	size_t i;

	memset(&h, 0, sizeof(h));
	h.inst = inst;
	h.now = now_ms;
	h.findings = findings ? json_incref(findings) : json_array();
	h.entries = json_array();
	h.used = json_object();
	if (inst == NULL || h.entries == NULL || h.used == NULL)
		goto done;
	h.unified = version_unified(inst);
	h.default_agent = pick_default_agent(inst);
	if (inst->state_dir != NULL) {
		read_sqlite_store(&h);
		read_agent_store(&h, h.default_agent);
		for (i = 0; i < inst->n_agents; i++)
			if (!str_eq(inst->agent_ids[i], h.default_agent))
				read_agent_store(&h, inst->agent_ids[i]);
	}
	if (inst->openclaw_bin != NULL && inst->state_dir != NULL)
		status = run_models_status(&h);
	if (status != NULL)
		overlay_status(&h, status);
	add_inline_keys(&h);
	ck_chains_each(inst->config, NULL, chain_cb, &h);
	add_missing(&h);
	add_findings(&h);
done:
	json_decref(status);
	json_decref(h.used);
	json_decref(h.findings);
	return h.entries;
}

static int
status_rank(const char *st)
{
	static const char *order[] = { "static", "ok", "expiring", "expired" };
	int i;

	for (i = 0; i < 4; i++)
		if (str_eq(st, order[i]))
			return i;
	return 0;
}

const char *
ck_credentials_provider_status(const json_t *entries, const char *provider)
{
	static const char *names[] = { "static", "ok", "expiring", "expired" };
	int any = 0, worst_eff = -1, worst_all = 0;
	json_t *e;
	size_t i;

	json_array_foreach(entries, i, e) {
		int rank;

		if (!str_eq(jstr(e, "provider"), provider) ||
		    !json_is_string(json_object_get(e, "profile")) ||
		    str_eq(jstr(e, "source"), "openclaw.json"))
			continue;
		any = 1;
		rank = status_rank(jstr(e, "credential_status"));
		if (rank > worst_all)
			worst_all = rank;
		if (json_is_true(json_object_get(e, "effective")) && rank > worst_eff)
			worst_eff = rank;
	}
	if (!any)
		return "missing";
	return names[worst_eff >= 0 ? worst_eff : worst_all];
}
