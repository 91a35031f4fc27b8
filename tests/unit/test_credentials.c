/* Credential health against every auth situation captured from real
 * OpenClaw runs: the statuses must agree with what that version's own
 * `models status --json` printed, at the moment it printed it. Cases are
 * data (tests/fixtures/credentials/cases/<case>/case.json). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>

#include "clawkeeper/credentials.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/hash.h"

#define CASES CK_FIXTURES "/credentials/cases"
#define FAKE_BIN CK_FIXTURES "/credentials/fake-openclaw.sh"
/* Fallback clock for cases whose capture has no time-bearing field: the
 * fixtures were captured on 2026-11-23 around 20:50 UTC. */
#define CAPTURE_DAY_MS 1795467000000LL

struct tcase {
	char name[128];
	json_t *spec;
	json_t *status;     /* the captured models status --json */
	char *tmp;
	char *state;
	struct ck_instance inst;
	long long now;
};

static char *
fixture(const char *rel)
{
	return ck_strdup_printf("%s/%s", CK_FIXTURES, rel);
}

static char *
slurp(const char *path, size_t *len)
{
	struct ck_error err;
	char *buf = NULL;
	size_t n = 0;

	if (ck_file_read(path, 64u << 20, &buf, &n, &err) == -1)
		fail_msg("%s", err.msg);
	if (len != NULL)
		*len = n;
	return buf;
}

static char *
make_tmp(void)
{
	char tmpl[] = "/tmp/ck-creds-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static void
copy_if_exists(const char *dir, const char *name, const char *dst_dir)
{
	struct ck_error err;
	char *src = ck_path_join(dir, name);
	char *dst = ck_path_join(dst_dir, name);

	if (ck_file_exists(src))
		assert_int_equal(ck_file_copy(src, dst, &err), 0);
	free(src);
	free(dst);
}

/* The 2026.9.6 table, with the schema OpenClaw itself creates. */
static void
make_state_db(const char *path, const json_t *rows)
{
	const char *key;
	json_t *rel;
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE config_machine_state (state_key TEXT NOT NULL PRIMARY KEY,"
		" value_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL) STRICT;",
		NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
		"INSERT INTO config_machine_state VALUES (?1, ?2, 1795467735666)",
		-1, &st, NULL), SQLITE_OK);
	json_object_foreach((json_t *)rows, key, rel) {
		char *path_json = fixture(json_string_value(rel));
		char *text = slurp(path_json, NULL);

		sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
		free(text);
		free(path_json);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* expiresAt - remainingMs of any entry is the moment models status ran. */
static long long
capture_time(const json_t *status)
{
	json_t *auth = json_object_get(status, "auth");
	json_t *list = json_object_get(json_object_get(auth, "oauth"), "profiles");
	json_t *p;
	size_t i;

	json_array_foreach(list, i, p) {
		json_t *at = json_object_get(p, "expiresAt");
		json_t *rem = json_object_get(p, "remainingMs");

		if (json_is_integer(at) && json_is_integer(rem))
			return json_integer_value(at) - json_integer_value(rem);
	}
	json_array_foreach(json_object_get(auth, "unusableProfiles"), i, p)
		return json_integer_value(json_object_get(p, "until")) -
		       json_integer_value(json_object_get(p, "remainingMs"));
	return CAPTURE_DAY_MS;
}

static void
inst_init(struct ck_instance *inst, const char *state, json_t *config,
	  const char *version)
{
	memset(inst, 0, sizeof(*inst));
	inst->state_dir = strdup(state);
	inst->config_path = ck_path_join(state, "openclaw.json");
	inst->config = config;
	inst->version = version ? strdup(version) : NULL;
	inst->agent_ids = calloc(2, sizeof(char *));
	inst->agent_ids[0] = strdup("main");
	inst->n_agents = 1;
}

static void
inst_add_agent(struct ck_instance *inst, const char *id)
{
	inst->agent_ids = realloc(inst->agent_ids, (inst->n_agents + 1) * sizeof(char *));
	inst->agent_ids[inst->n_agents++] = strdup(id);
}

static void
inst_free(struct ck_instance *inst)
{
	size_t i;

	free(inst->state_dir);
	free(inst->config_path);
	free(inst->version);
	json_decref(inst->config);
	for (i = 0; i < inst->n_agents; i++)
		free(inst->agent_ids[i]);
	free(inst->agent_ids);
}

static void
case_load(struct tcase *tc, const char *name)
{
	struct ck_error err;
	json_error_t jerr;
	char *path, *agent_dir, *buf;
	const char *rel;
	size_t len;
	json_t *config;

	memset(tc, 0, sizeof(*tc));
	snprintf(tc->name, sizeof(tc->name), "%s", name);
	path = ck_strdup_printf("%s/%s/case.json", CASES, name);
	tc->spec = json_load_file(path, 0, &jerr);
	if (tc->spec == NULL)
		fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
	free(path);

	path = fixture(json_string_value(json_object_get(tc->spec, "models_status")));
	buf = slurp(path, &len);
	tc->status = ck_credentials_parse_status(buf, len, &err);
	if (tc->status == NULL)
		fail_msg("%s: %s", path, err.msg);
	free(buf);
	free(path);
	tc->now = capture_time(tc->status);
	if (json_is_integer(json_object_get(tc->spec, "now_ms")))
		tc->now = json_integer_value(json_object_get(tc->spec, "now_ms"));

	tc->tmp = make_tmp();
	tc->state = ck_path_join(tc->tmp, "state");
	agent_dir = ck_path_join(tc->state, "agents/main/agent");
	assert_int_equal(ck_mkdir_p(agent_dir, 0700, &err), 0);
	rel = json_string_value(json_object_get(tc->spec, "auth_dir"));
	if (rel != NULL) {
		char *src = fixture(rel);

		copy_if_exists(src, "auth-profiles.json", agent_dir);
		copy_if_exists(src, "auth-state.json", agent_dir);
		copy_if_exists(src, "openclaw-agent.sqlite", agent_dir);
		free(src);
	}
	if (json_object_get(tc->spec, "sqlite_rows") != NULL) {
		char *dir = ck_path_join(tc->state, "state");
		char *db = ck_path_join(dir, "openclaw.sqlite");

		assert_int_equal(ck_mkdir_p(dir, 0700, &err), 0);
		make_state_db(db, json_object_get(tc->spec, "sqlite_rows"));
		free(db);
		free(dir);
	}
	free(agent_dir);

	path = fixture(json_string_value(json_object_get(tc->spec, "config")));
	config = json_load_file(path, 0, &jerr);
	if (config == NULL)
		fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
	free(path);
	inst_init(&tc->inst, tc->state,
		  config, json_string_value(json_object_get(tc->spec, "version")));
}

static void
case_free(struct tcase *tc)
{
	struct ck_error err;

	inst_free(&tc->inst);
	ck_rm_rf(tc->tmp, &err);
	free(tc->tmp);
	free(tc->state);
	json_decref(tc->spec);
	json_decref(tc->status);
}

static json_t *
entry_for(const json_t *entries, const char *profile)
{
	json_t *e;
	size_t i;

	json_array_foreach(entries, i, e)
		if (json_is_string(json_object_get(e, "profile")) &&
		    strcmp(json_string_value(json_object_get(e, "profile")), profile) == 0)
			return e;
	return NULL;
}

static const char *
field(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "(null)";
}

static int
is_missing(const json_t *entries, const char *provider)
{
	json_t *e;
	size_t i;

	json_array_foreach(entries, i, e)
		if (strcmp(field(e, "provider"), provider) == 0 &&
		    strcmp(field(e, "status"), "missing") == 0)
			return 1;
	return 0;
}

static void
assert_no_secret(const char *what, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);

	assert_non_null(text);
	if (strstr(text, "FAKE") != NULL)
		fail_msg("%s leaks a secret: %s", what, text);
	free(text);
}

/* Every provider and profile `models status` listed, with its status. */
static void
check_against_capture(const struct tcase *tc, const json_t *entries)
{
	json_t *auth = json_object_get(tc->status, "auth");
	json_t *providers = json_object_get(json_object_get(auth, "oauth"), "providers");
	json_t *prov, *p, *e;
	size_t i, j, n_stored = 0;

	json_array_foreach(providers, i, prov) {
		const char *name = field(prov, "provider");
		const char *want = field(prov, "status");
		const char *got = ck_credentials_provider_status(entries, name);

		if (strcmp(want, got) != 0)
			fail_msg("%s: provider %s: models status says %s, we say %s",
				 tc->name, name, want, got);
		json_array_foreach(json_object_get(prov, "profiles"), j, p) {
			e = entry_for(entries, field(p, "profileId"));
			if (e == NULL)
				fail_msg("%s: profile %s not reported", tc->name,
					 field(p, "profileId"));
			if (strcmp(field(p, "status"), field(e, "credential_status")) != 0)
				fail_msg("%s: profile %s: models status says %s, we say %s",
					 tc->name, field(p, "profileId"), field(p, "status"),
					 field(e, "credential_status"));
			assert_string_equal(field(p, "type"), field(e, "type"));
		}
	}
	/* ...and nothing it did not list, apart from openclaw.json inline keys. */
	json_array_foreach(entries, i, e) {
		const char *src = field(e, "source");

		if (json_is_string(json_object_get(e, "profile")) &&
		    strcmp(src, "openclaw.json") != 0)
			n_stored++;
	}
	assert_int_equal(n_stored, json_array_size(json_object_get(
		json_object_get(auth, "oauth"), "profiles")));

	json_array_foreach(json_object_get(auth, "missingProvidersInUse"), i, p)
		if (!is_missing(entries, json_string_value(p)))
			fail_msg("%s: models status says %s is missing; we do not",
				 tc->name, json_string_value(p));
	json_array_foreach(json_object_get(auth, "modelRouteIssues"), i, p)
		if (!is_missing(entries, field(p, "provider")))
			fail_msg("%s: %s has a route issue; we do not call it missing",
				 tc->name, field(p, "provider"));
	json_array_foreach(json_object_get(auth, "unusableProfiles"), i, p) {
		e = entry_for(entries, field(p, "profileId"));
		assert_non_null(e);
		assert_string_equal(field(e, "status"), "cooldown");
	}
}

/* 2026.5.28 and 2026.6.1 list exactly the providers we call missing. */
static void
check_missing_exact(const struct tcase *tc, const json_t *entries)
{
	json_t *listed = json_object_get(json_object_get(tc->status, "auth"),
					 "missingProvidersInUse");
	size_t ours = 0, i;
	json_t *e;

	json_array_foreach(entries, i, e)
		if (strcmp(field(e, "status"), "missing") == 0)
			ours++;
	if (ours != json_array_size(listed))
		fail_msg("%s: %zu missing providers, models status lists %zu",
			 tc->name, ours, json_array_size(listed));
}

/* The warning and critical findings are exactly the expected ones. */
static void
check_findings(const struct tcase *tc, const json_t *findings)
{
	json_t *want = json_object_get(tc->spec, "findings");
	json_t *w, *f;
	size_t i, j, serious = 0;

	json_array_foreach(findings, i, f) {
		const char *sev = field(f, "severity");

		if (strcmp(sev, "warning") == 0 || strcmp(sev, "critical") == 0)
			serious++;
		if (json_object_get(f, "fix") != NULL &&
		    strncmp(field(f, "fix"), "openclaw models auth ", 21) != 0)
			fail_msg("%s: odd fix %s", tc->name, field(f, "fix"));
	}
	if (serious != json_array_size(want)) {
		char *dump = json_dumps(findings, JSON_INDENT(1));
		fail_msg("%s: %zu warning/critical findings, expected %zu:\n%s",
			 tc->name, serious, json_array_size(want), dump);
	}
	json_array_foreach(want, i, w) {
		const char *code = json_string_value(json_array_get(w, 0));
		const char *sev = json_string_value(json_array_get(w, 1));
		const char *what = json_string_value(json_array_get(w, 2));
		int found = 0;

		json_array_foreach(findings, j, f)
			if (strcmp(field(f, "code"), code) == 0 &&
			    strcmp(field(f, "severity"), sev) == 0 &&
			    strstr(field(f, "message"), what) != NULL)
				found = 1;
		if (!found) {
			char *dump = json_dumps(findings, JSON_INDENT(1));
			fail_msg("%s: no %s %s finding about %s in:\n%s", tc->name,
				 sev, code, what, dump);
		}
	}
}

static void
check_fenced(const struct tcase *tc, const json_t *entries)
{
	const char *id = json_string_value(json_object_get(tc->spec, "fenced"));
	json_t *e;

	if (id == NULL)
		return;
	e = entry_for(entries, id);
	assert_non_null(e);
	assert_string_equal(field(e, "status"), "expired");
	assert_non_null(strstr(field(e, "reason"), "refresh failed (fenced)"));
	assert_true(json_is_null(json_object_get(e, "expires_at")));
	assert_false(json_is_true(json_object_get(e, "effective")));
}

static void
run_case(const char *name, int with_binary)
{
	struct tcase tc;
	json_t *findings = json_array();
	json_t *entries;
	char *status_path;

	case_load(&tc, name);
	status_path = fixture(field(tc.spec, "models_status"));
	if (with_binary) {
		tc.inst.openclaw_bin = FAKE_BIN;
		setenv("CK_FAKE_STATUS", status_path, 1);
		setenv("CK_FAKE_EXPECT_STATE", tc.state, 1);
		setenv("CK_FAKE_EXIT", "0", 1);
	}
	entries = ck_credentials_health(&tc.inst, tc.now, findings);
	assert_non_null(entries);
	check_against_capture(&tc, entries);
	if (strncmp(field(tc.spec, "version"), "2026.9.", 7) != 0)
		check_missing_exact(&tc, entries);
	check_findings(&tc, findings);
	check_fenced(&tc, entries);
	assert_no_secret(name, entries);
	assert_no_secret(name, findings);
	if (with_binary) {
		json_t *e;
		size_t i;

		/* every profile the capture lists now comes from the binary */
		json_array_foreach(entries, i, e)
			if (strcmp(field(e, "source"), "auth-profiles.json") == 0 ||
			    strcmp(field(e, "source"), "openclaw-agent.sqlite") == 0 ||
			    strcmp(field(e, "source"), "openclaw.sqlite") == 0)
				fail_msg("%s: %s still from %s", name, field(e, "profile"),
					 field(e, "source"));
		assert_int_equal(ck_findings_worst(findings) < CK_SEV_CRITICAL ||
				 json_array_size(json_object_get(tc.spec, "findings")) > 0, 1);
	}
	free(status_path);
	json_decref(entries);
	json_decref(findings);
	case_free(&tc);
}

static int
each_case(void (*fn)(const char *, int), int arg)
{
	struct dirent **names;
	int n, i, count = 0;

	n = scandir(CASES, &names, NULL, alphasort);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			fn(names[i]->d_name, arg);
			count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

static void
test_cases_from_stores(void **state)
{
	(void)state;
	/* 9 from 2026.5.28, 15 from 2026.6.1, 9 from 2026.9.6, one each
	 * from 2026.6.35 and 2026.7.35 (the agent's openclaw-agent.sqlite) */
	assert_int_equal(each_case(run_case, 0), 35);
}

static void
test_cases_from_binary(void **state)
{
	(void)state;
	assert_int_equal(each_case(run_case, 1), 35);
	unsetenv("CK_FAKE_STATUS");
	unsetenv("CK_FAKE_EXPECT_STATE");
}

/* A real capture wrapped in the noise a terminal-less run can add. */
static void
test_parse_status_noise(void **state)
{
	struct ck_error err;
	char *path = fixture("openclaw/2026.5.28/auth/s7-all/models-status-json.stdout");
	size_t len;
	char *body = slurp(path, &len);
	char *noisy = ck_strdup_printf("\x1b[33m🦞 OpenClaw 2026.5.28\x1b[0m\n"
				       "\x1b[2mconfig warnings: {none}\x1b[22m\n%s\n"
				       "\x1b[36mTip: run models status --check\x1b[0m\n", body);
	json_t *a, *b;

	(void)state;
	a = ck_credentials_parse_status(body, len, &err);
	b = ck_credentials_parse_status(noisy, strlen(noisy), &err);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);

	a = ck_credentials_parse_status("banner only\n", 12, &err);
	assert_null(a);
	assert_non_null(strstr(err.msg, "no JSON object"));
	a = ck_credentials_parse_status("{\"auth\": {\n", 11, &err);
	assert_null(a);
	assert_non_null(strstr(err.msg, "line"));
	free(noisy);
	free(body);
	free(path);
}

/* 2026.9.6 before its doctor ran: {"ok":false,...} on stdout, exit 1. The
 * stores are read instead and the failure is reported. */
static void
test_binary_fails(void **state)
{
	struct tcase tc;
	json_t *findings = json_array();
	json_t *entries, *f;
	char *status = fixture("openclaw/2026.9.6/upgrade-from-2026.6.1/"
			       "v96-models-status-json-before-doctor.stdout");
	size_t i;
	int seen = 0;

	(void)state;
	case_load(&tc, "601-upgrade-before");
	tc.inst.openclaw_bin = FAKE_BIN;
	setenv("CK_FAKE_STATUS", status, 1);
	setenv("CK_FAKE_EXIT", "1", 1);
	unsetenv("CK_FAKE_EXPECT_STATE");
	entries = ck_credentials_health(&tc.inst, tc.now, findings);
	check_against_capture(&tc, entries);
	json_array_foreach(findings, i, f)
		if (strcmp(field(f, "code"), "CREDENTIAL_STATUS_UNAVAILABLE") == 0) {
			seen = 1;
			assert_non_null(strstr(field(f, "message"), "lastTouchedAt"));
			assert_non_null(strstr(field(f, "message"), "exit 1"));
		}
	assert_true(seen);
	assert_string_equal(field(entry_for(entries, "openai:manual"), "source"),
			    "auth-profiles.json");
	json_decref(entries);
	json_decref(findings);
	case_free(&tc);
	unsetenv("CK_FAKE_STATUS");
	setenv("CK_FAKE_EXIT", "0", 1);
	free(status);
}

static json_t *
health_of(const char *state, const char *config_rel, const char *version,
	  long long now, json_t *findings)
{
	struct ck_instance inst;
	json_t *config = NULL, *entries;

	if (config_rel != NULL) {
		char *path = fixture(config_rel);
		config = json_load_file(path, 0, NULL);
		assert_non_null(config);
		free(path);
	}
	inst_init(&inst, state, config, version);
	entries = ck_credentials_health(&inst, now, findings);
	inst_free(&inst);
	return entries;
}

static void
put_store(const char *state, const char *agent, const char *src_dir)
{
	struct ck_error err;
	char *dir = ck_strdup_printf("%s/agents/%s/agent", state, agent);
	char *src = fixture(src_dir);

	assert_int_equal(ck_mkdir_p(dir, 0700, &err), 0);
	copy_if_exists(src, "auth-profiles.json", dir);
	copy_if_exists(src, "auth-state.json", dir);
	free(src);
	free(dir);
}

static const json_t *
finding_with(const json_t *findings, const char *code)
{
	json_t *f;
	size_t i;

	json_array_foreach(findings, i, f)
		if (strcmp(field(f, "code"), code) == 0)
			return f;
	return NULL;
}

static void
test_garbled_store(void **state)
{
	char *tmp = make_tmp();
	json_t *findings = json_array();
	json_t *entries;
	const json_t *f;
	struct ck_error err;

	(void)state;
	put_store(tmp, "main", "credentials/bad/garbled");
	entries = health_of(tmp, "openclaw/2026.5.28/auth/s1-apikeys/openclaw.json",
			    "2026.5.28", CAPTURE_DAY_MS, findings);
	f = finding_with(findings, "CREDENTIAL_STORE_UNREADABLE");
	assert_non_null(f);
	/* the comma is missing at the end of line 5; jansson stops at the
	 * end of the next token, line 6 column 16 */
	assert_non_null(strstr(field(f, "message"), "auth-profiles.json:6:16:"));
	/* with no readable store, every chain provider is missing */
	assert_true(is_missing(entries, "openai-codex"));
	assert_true(is_missing(entries, "anthropic"));
	assert_no_secret("garbled", entries);
	assert_no_secret("garbled", findings);
	json_decref(entries);
	json_decref(findings);

	/* a broken auth-state.json is reported too, never silently skipped */
	ck_rm_rf(tmp, &err);
	findings = json_array();
	put_store(tmp, "main", "credentials/bad/garbled-state");
	entries = health_of(tmp, NULL, "2026.5.28", CAPTURE_DAY_MS, findings);
	f = finding_with(findings, "CREDENTIAL_STORE_UNREADABLE");
	assert_non_null(f);
	assert_non_null(strstr(field(f, "message"), "auth-state.json:1:"));
	assert_no_secret("garbled-state", findings);
	json_decref(entries);
	json_decref(findings);
	ck_rm_rf(tmp, &err);
	free(tmp);
}

static void
test_missing_files(void **state)
{
	char *tmp = make_tmp();
	json_t *findings = json_array();
	json_t *entries, *e;
	struct ck_error err;
	size_t i;

	(void)state;
	/* no agents dir, no sqlite, no config */
	entries = health_of(tmp, NULL, NULL, CAPTURE_DAY_MS, findings);
	assert_int_equal(json_array_size(entries), 0);
	assert_int_equal(json_array_size(findings), 0);
	json_decref(entries);

	/* a config but no store: every provider of the chain is missing */
	entries = health_of(tmp, "openclaw/2026.6.1/auth/s1-apikeys/openclaw.json",
			    "2026.6.1", CAPTURE_DAY_MS, findings);
	assert_int_equal(json_array_size(entries), 4);
	json_array_foreach(entries, i, e) {
		assert_string_equal(field(e, "status"), "missing");
		assert_true(json_is_null(json_object_get(e, "profile")));
	}
	assert_non_null(finding_with(findings, "CREDENTIAL_MISSING"));
	assert_int_equal(ck_findings_worst(findings), CK_SEV_CRITICAL);
	json_array_foreach(findings, i, e)
		if (strstr(field(e, "message"), "provider openai ") != NULL) {
			assert_string_equal(field(e, "severity"), "critical");
			assert_string_equal(field(e, "fix"),
					    "openclaw models auth login --provider openai");
		} else if (strstr(field(e, "message"), "provider ollama ") != NULL) {
			assert_string_equal(field(e, "fix"),
					    "openclaw models auth paste-api-key --provider ollama");
		}
	json_decref(entries);
	json_decref(findings);
	ck_rm_rf(tmp, &err);
	free(tmp);
}

static void
test_no_expires(void **state)
{
	char *tmp = make_tmp();
	json_t *findings = json_array();
	json_t *entries, *e;
	struct ck_error err;

	(void)state;
	put_store(tmp, "main", "credentials/bad/no-expires");
	entries = health_of(tmp, NULL, "2026.6.1", CAPTURE_DAY_MS, findings);
	assert_int_equal(json_array_size(entries), 3);
	e = entry_for(entries, "anthropic:no-expiry-token");
	assert_string_equal(field(e, "status"), "static");
	assert_string_equal(field(e, "reason"), "token without expiry");
	assert_true(json_is_null(json_object_get(e, "expires_at")));
	assert_true(json_is_null(json_object_get(e, "expires_in_s")));
	assert_string_equal(field(e, "fingerprint"), field(e, "fingerprint"));
	assert_int_equal(strncmp(field(e, "fingerprint"), "sha256:", 7), 0);
	e = entry_for(entries, "openai-codex:no-expiry@example.com");
	assert_string_equal(field(e, "status"), "static");
	assert_string_equal(field(e, "type"), "oauth");
	e = entry_for(entries, "openrouter:odd-type");
	assert_non_null(strstr(field(e, "reason"), "unrecognised profile type 'magic'"));
	assert_int_equal(json_array_size(findings), 0);
	assert_no_secret("no-expires", entries);
	json_decref(entries);
	json_decref(findings);
	ck_rm_rf(tmp, &err);
	free(tmp);
}

static void
test_not_a_database(void **state)
{
	char *tmp = make_tmp();
	char *dir = ck_path_join(tmp, "state");
	char *db = ck_path_join(dir, "openclaw.sqlite");
	char *bad = fixture("credentials/bad/not-a-db.sqlite");
	json_t *findings = json_array();
	json_t *entries, *store, *st;
	const json_t *f;
	struct ck_error err;

	(void)state;
	assert_int_equal(ck_mkdir_p(dir, 0700, &err), 0);
	assert_int_equal(ck_file_copy(bad, db, &err), 0);
	assert_int_equal(ck_credentials_read_sqlite(NULL, db, &store, &st, &err), -1);
	assert_non_null(strstr(err.msg, "openclaw.sqlite"));
	assert_non_null(strstr(err.msg, "not a database"));
	entries = health_of(tmp, NULL, "2026.9.6", CAPTURE_DAY_MS, findings);
	f = finding_with(findings, "CREDENTIAL_STORE_UNREADABLE");
	assert_non_null(f);
	assert_non_null(strstr(field(f, "message"), "not a database"));
	json_decref(entries);
	json_decref(findings);

	/* an empty db, and a path that does not exist: no store, no error */
	unlink(db);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(ck_credentials_read_sqlite(NULL, db, &store, &st, &err), 0);
	assert_null(store);
	unlink(db);
	assert_int_equal(ck_credentials_read_sqlite(NULL, db, &store, &st, &err), 0);
	ck_rm_rf(tmp, &err);
	free(bad);
	free(db);
	free(dir);
	free(tmp);
}

/* The real openclaw.sqlite from the 2026.9.6 full backup: STRICT table,
 * OpenClaw's own page layout, and a real 30 s auth cooldown. */
static void
test_real_sqlite_from_backup(void **state)
{
	char *tmp = make_tmp();
	char *arch = fixture("openclaw/2026.9.6/backup/full/"
			     "2026-11-23T21-15-56.604+00-00-openclaw-backup.tar.gz");
	char *db = ck_path_join(tmp, "openclaw.sqlite");
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	struct ck_error err;
	json_t *store, *st, *prof;
	int found = 0;
	FILE *out;

	(void)state;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, arch, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ent);
		size_t n = strlen(name);
		char buf[65536];
		la_ssize_t got;

		if (n < 28 || strcmp(name + n - 28, "/state/state/openclaw.sqlite") != 0)
			continue;
		out = fopen(db, "wb");
		assert_non_null(out);
		while ((got = archive_read_data(a, buf, sizeof(buf))) > 0)
			assert_int_equal(fwrite(buf, 1, (size_t)got, out), (size_t)got);
		fclose(out);
		found = 1;
		break;
	}
	archive_read_free(a);
	assert_true(found);

	assert_int_equal(ck_credentials_read_sqlite(NULL, db, &store, &st, &err), 1);
	prof = json_object_get(json_object_get(store, "profiles"), "openai:manual");
	assert_string_equal(field(prof, "type"), "api_key");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		json_object_get(st, "usageStats"), "openai:manual"), "cooldownUntil")),
		1795468377567LL);
	json_decref(store);
	json_decref(st);
	/* opened immutable: nothing may appear next to the db */
	{
		char *j = ck_path_join(tmp, "openclaw.sqlite-journal");
		char *w = ck_path_join(tmp, "openclaw.sqlite-wal");
		assert_false(ck_file_exists(j));
		assert_false(ck_file_exists(w));
		free(j);
		free(w);
	}
	ck_rm_rf(tmp, &err);
	free(db);
	free(arch);
	free(tmp);
}

/* A second agent with its own store: its profiles carry its surface and
 * the fix names the agent, in a form the instance's version parses:
 * `models auth --agent ID login` (the group option of every version;
 * 2026.5.28 - 2026.7.35 refuse `login --agent`), and --force only from
 * 2026.6.1 (2026.5.28: "does not recognize option --force"). */
static void
agent_surface_case(const char *version, const char *want_fix)
{
	char *tmp = make_tmp();
	struct ck_instance inst;
	json_t *findings = json_array();
	json_t *entries, *e, *f, *config;
	char *path = fixture("openclaw/2026.5.28/auth/s2-oauth-expired/openclaw.json");
	struct ck_error err;
	size_t i;
	int seen = 0;

	put_store(tmp, "main", "openclaw/2026.5.28/auth/s1-apikeys");
	put_store(tmp, "work", "openclaw/2026.5.28/auth/s2-oauth-expired");
	config = json_load_file(path, 0, NULL);
	inst_init(&inst, tmp, config, version);
	inst_add_agent(&inst, "work");
	entries = ck_credentials_health(&inst, 1795467142000LL, findings);
	e = entry_for(entries, "openai-codex:expired@example.com");
	assert_non_null(e);
	assert_string_equal(field(e, "surface"), "agent:work");
	assert_string_equal(field(e, "status"), "expired");
	json_array_foreach(findings, i, f)
		if (strcmp(field(f, "code"), "CREDENTIAL_EXPIRED") == 0) {
			seen = 1;
			assert_string_equal(field(f, "surface"), "agent:work");
			assert_string_equal(field(f, "fix"), want_fix);
		}
	assert_true(seen);
	/* the main agent's profiles stay on the defaults surface */
	assert_string_equal(field(entry_for(entries, "openai:manual"), "surface"),
			    "defaults");
	json_decref(entries);
	json_decref(findings);
	inst_free(&inst);
	ck_rm_rf(tmp, &err);
	free(path);
	free(tmp);
}

static void
test_agent_surface(void **state)
{
	(void)state;
	agent_surface_case("2026.5.28",
			   "openclaw models auth --agent work login --provider openai-codex");
	agent_surface_case("2026.6.1",
			   "openclaw models auth --agent work login --provider openai-codex --force");
	agent_surface_case("2026.9.6",
			   "openclaw models auth --agent work login --provider openai-codex --force");
}

/* Inline models.providers.<p>.apiKey: a key counts (fingerprint only), the
 * "ollama-local" placeholder does not. */
static void
test_inline_keys(void **state)
{
	char *tmp = make_tmp();
	json_t *findings = json_array();
	json_t *entries, *e;
	struct ck_error err;
	char want[CK_FINGERPRINT_LEN];

	(void)state;
	entries = health_of(tmp, "openclaw/2026.6.1/decision/a-primary-fails-fallback-succeeds/openclaw.json",
			    "2026.6.1", CAPTURE_DAY_MS, findings);
	e = entry_for(entries, "models.providers.openai.apiKey");
	assert_non_null(e);
	assert_string_equal(field(e, "status"), "static");
	assert_string_equal(field(e, "source"), "openclaw.json");
	ck_fingerprint("sk-FAKE-openai-0000000000000000", want);
	assert_string_equal(field(e, "fingerprint"), want);
	assert_null(entry_for(entries, "models.providers.ollama.apiKey"));
	assert_no_secret("inline", entries);
	json_decref(entries);
	json_decref(findings);
	ck_rm_rf(tmp, &err);
	free(tmp);
}

/* The expiring boundary is CK_EXPIRING_WINDOW_MS, measured from now. */
static void
test_expiry_window(void **state)
{
	struct tcase tc;
	json_t *findings = json_array();
	json_t *entries;
	long long exp = 1795489659840LL; /* anthropic:expiring@example.com */

	(void)state;
	case_load(&tc, "601-upgrade-before");
	entries = ck_credentials_health(&tc.inst, exp - CK_EXPIRING_WINDOW_MS - 1, findings);
	assert_string_equal(field(entry_for(entries, "anthropic:expiring@example.com"),
				  "status"), "ok");
	json_decref(entries);
	entries = ck_credentials_health(&tc.inst, exp - CK_EXPIRING_WINDOW_MS, findings);
	assert_string_equal(field(entry_for(entries, "anthropic:expiring@example.com"),
				  "status"), "expiring");
	json_decref(entries);
	entries = ck_credentials_health(&tc.inst, exp, findings);
	assert_string_equal(field(entry_for(entries, "anthropic:expiring@example.com"),
				  "status"), "expired");
	assert_int_equal(json_integer_value(json_object_get(
		entry_for(entries, "anthropic:expiring@example.com"), "expires_in_s")), 0);
	assert_string_equal(field(entry_for(entries, "anthropic:expiring@example.com"),
				  "expires_at"), "2026-11-24T03:07:39.840Z");
	json_decref(entries);
	json_decref(findings);
	case_free(&tc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases_from_stores),
		cmocka_unit_test(test_cases_from_binary),
		cmocka_unit_test(test_parse_status_noise),
		cmocka_unit_test(test_binary_fails),
		cmocka_unit_test(test_garbled_store),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_no_expires),
		cmocka_unit_test(test_not_a_database),
		cmocka_unit_test(test_real_sqlite_from_backup),
		cmocka_unit_test(test_agent_surface),
		cmocka_unit_test(test_inline_keys),
		cmocka_unit_test(test_expiry_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
