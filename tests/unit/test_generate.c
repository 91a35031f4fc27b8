/* The config generator, table-driven: every tests/fixtures/generate/<case>/
 * holds the live config (or live-from: a path to a real OpenClaw fixture
 * config), settings.json, target, an optional listing (the ollama answer),
 * expected.json (the whole output config) and expected-plan
 * ("surface ref action to code" per line). Plus the real libcurl listing
 * against an in-test HTTP server, the diff's redaction and input errors.
 * CK_GEN_UPDATE=1 rewrites expected.json (review the result by hand).
 * Each case's `chains` (written by hand from the settings) is what the
 * real tier (tests/e2e/real/expected.sh) has the target's own OpenClaw
 * read from expected.json, on every surface. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "clawkeeper/error.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/ollama.h"

#define CASES CK_FIXTURES "/generate"

/* ---- helpers ---- */

static json_t *
load_json(const char *path)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (j == NULL)
		fail_msg("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
	return j;
}

static char *
read_text(const char *path)
{
	struct ck_error err;
	size_t len;
	char *buf = NULL;

	if (ck_file_read(path, 1 << 20, &buf, &len, &err) < 0)
		return NULL;
	return buf;
}

static char *
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

struct listing {
	json_t *answer; /* array of names, or {"error": "..."}; NULL: none */
	int calls;
	char base_url[256];
};

static int
fake_list(const char *base_url, json_t **names, struct ck_error *err, void *ud)
{
	struct listing *l = ud;
	json_t *e;

	l->calls++;
	snprintf(l->base_url, sizeof(l->base_url), "%s", base_url);
	if (json_is_array(l->answer)) {
		*names = json_deep_copy(l->answer);
		return 0;
	}
	e = json_object_get(l->answer, "error");
	ck_error_set(err, "%s", e ? json_string_value(e) : "no listing in this case");
	return -1;
}

/* Plan as lines "surface ref action to code". */
static char *
plan_lines(const json_t *plan)
{
	size_t cap = 4096, len = 0, i;
	char *out = calloc(1, cap);
	json_t *e;

	json_array_foreach(plan, i, e) {
		const char *to = json_string_value(json_object_get(e, "to"));
		const char *code = json_string_value(json_object_get(e, "code"));
		char line[1024];
		int n = snprintf(line, sizeof(line), "%s %s %s %s %s\n",
				 json_string_value(json_object_get(e, "surface")),
				 json_string_value(json_object_get(e, "ref")),
				 json_string_value(json_object_get(e, "action")),
				 to ? to : "-", code ? code : "-");

		while (len + (size_t)n + 1 > cap)
			out = realloc(out, cap *= 2);
		memcpy(out + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	return out;
}

/* Drop what the generator owns: every agent's "model", the defaults'
 * model map and allowlist, models.providers. What is left must be equal. */
static void
strip_owned(json_t *cfg, const json_t *keep_agents_from)
{
	json_t *agents = json_object_get(cfg, "agents");
	json_t *defaults = json_object_get(agents, "defaults");
	json_t *list = json_object_get(agents, "list");
	json_t *entries = json_object_get(agents, "entries");
	json_t *live_agents = json_object_get(keep_agents_from, "agents");
	const char *id;
	json_t *a;
	void *tmp;
	size_t i;

	/* dropped for targets that keep it in their state db */
	json_object_del(json_object_get(cfg, "meta"), "lastTouchedAt");
	json_object_del(defaults, "model");
	json_object_del(defaults, "models");
	json_object_del(json_object_get(defaults, "modelPolicy"), "allow");
	json_object_del(json_object_get(cfg, "models"), "providers");
	for (i = json_array_size(list); i-- > 0;) {
		a = json_array_get(list, i);
		json_object_del(a, "model");
		/* agents the generator created exist only in the output */
		if (json_object_size(a) == 1 && keep_agents_from != NULL) {
			const char *aid = json_string_value(json_object_get(a, "id"));
			json_t *ll = json_object_get(live_agents, "list");
			json_t *x;
			size_t j;
			int found = 0;

			json_array_foreach(ll, j, x)
				if (aid && json_equal(json_object_get(x, "id"), json_object_get(a, "id")))
					found = 1;
			if (!found)
				json_array_remove(list, i);
		}
	}
	json_object_foreach_safe(entries, tmp, id, a) {
		json_object_del(a, "model");
		if (json_object_size(a) == 0 && keep_agents_from != NULL &&
		    json_object_get(json_object_get(live_agents, "entries"), id) == NULL)
			json_object_del(entries, id);
	}
	if (keep_agents_from != NULL && json_object_get(live_agents, "list") == NULL &&
	    json_array_size(list) == 0)
		json_object_del(agents, "list");
	if (keep_agents_from != NULL && json_object_get(live_agents, "entries") == NULL &&
	    json_object_size(entries) == 0)
		json_object_del(agents, "entries");
	/* the owner of a keyed roster the generator grew to several agents */
	if (keep_agents_from != NULL) {
		json_t *live_defaults = json_object_get(live_agents, "defaults");

		if (json_object_get(live_agents, "ownership") == NULL)
			json_object_del(agents, "ownership");
		if (json_object_get(live_defaults, "systemAgent") == NULL)
			json_object_del(defaults, "systemAgent");
		if (json_object_get(live_defaults, "heartbeat") == NULL)
			json_object_del(defaults, "heartbeat");
	}
}

static void
assert_no_fake(const json_t *j, const char *what, const char *name)
{
	char *text = json_dumps(j, JSON_ENCODE_ANY);

	assert_non_null(text);
	if (strstr(text, "FAKE") != NULL)
		fail_msg("%s: %s prints a secret: %s", name, what, text);
	free(text);
}

/* ---- the table ---- */

static json_t *
case_live(const char *dir)
{
	char path[1024];
	char *from;
	json_t *live;

	snprintf(path, sizeof(path), "%s/live-from", dir);
	from = read_text(path);
	if (from != NULL) {
		snprintf(path, sizeof(path), "%s/%s", CK_FIXTURES, trim(from));
		free(from);
	} else {
		snprintf(path, sizeof(path), "%s/live.json", dir);
	}
	live = load_json(path);
	return live;
}

static void
run_case(const char *name)
{
	char dir[512], path[1024];
	struct ck_gen_opts opts;
	struct listing lst = { NULL, 0, "" };
	struct ck_error err;
	json_t *live, *settings, *expected, *out = NULL, *plan = NULL;
	json_t *out2 = NULL, *plan2 = NULL, *live_before, *diff, *a, *b;
	char *target, *want_plan, *got_plan, *d1, *d2;

	snprintf(dir, sizeof(dir), "%s/%s", CASES, name);
	live = case_live(dir);
	live_before = json_deep_copy(live);
	snprintf(path, sizeof(path), "%s/settings.json", dir);
	settings = load_json(path);
	snprintf(path, sizeof(path), "%s/target", dir);
	target = read_text(path);
	assert_non_null(target);
	snprintf(path, sizeof(path), "%s/listing", dir);
	if (ck_file_exists(path))
		lst.answer = load_json(path);

	memset(&opts, 0, sizeof(opts));
	opts.target_version = trim(target);
	opts.list_models = fake_list;
	opts.ud = &lst;
	ck_error_clear(&err);
	if (ck_generate(live, settings, &opts, &out, &plan, &err) != 0)
		fail_msg("%s: ck_generate: %s", name, err.msg);

	/* the whole config */
	snprintf(path, sizeof(path), "%s/expected.json", dir);
	if (getenv("CK_GEN_UPDATE") != NULL) {
		char *text = ck_config_dump(out);
		struct ck_error werr;

		assert_int_equal(ck_file_write_atomic(path, text, strlen(text), 0644, &werr), 0);
		free(text);
	}
	expected = load_json(path);
	if (!json_equal(out, expected)) {
		char *dd = json_dumps(ck_config_diff(expected, out), JSON_INDENT(1));

		fail_msg("%s: config differs from expected.json: %s", name, dd);
	}

	/* the plan */
	snprintf(path, sizeof(path), "%s/expected-plan", dir);
	want_plan = read_text(path);
	assert_non_null(want_plan);
	got_plan = plan_lines(plan);
	if (strcmp(want_plan, got_plan) != 0)
		fail_msg("%s: plan\n--- expected\n%s--- got\n%s", name, want_plan, got_plan);

	/* the listing was asked at the provider's (merged) baseUrl */
	snprintf(path, sizeof(path), "%s/listing-url", dir);
	if (ck_file_exists(path)) {
		char *url = read_text(path);

		assert_int_equal(lst.calls, 1);
		assert_string_equal(lst.base_url, trim(url));
		free(url);
	}

	/* the input is not touched, and a second run gives the same bytes */
	assert_true(json_equal(live, live_before));
	lst.calls = 0;
	assert_int_equal(ck_generate(live, settings, &opts, &out2, &plan2, &err), 0);
	d1 = ck_config_dump(out);
	d2 = ck_config_dump(out2);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	d1 = json_dumps(plan, 0);
	d2 = json_dumps(plan2, 0);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);

	/* everything the settings do not own is preserved */
	a = json_deep_copy(live);
	b = json_deep_copy(out);
	strip_owned(a, NULL);
	strip_owned(b, live);
	if (!json_equal(a, b)) {
		char *dd = json_dumps(ck_config_diff(a, b), JSON_INDENT(1));

		fail_msg("%s: unrelated config changed: %s", name, dd);
	}

	/* what a person sees never holds a secret */
	diff = ck_config_diff(live, out);
	assert_no_fake(plan, "plan", name);
	assert_no_fake(diff, "diff", name);

	json_decref(a);
	json_decref(b);
	json_decref(diff);
	json_decref(out);
	json_decref(plan);
	json_decref(out2);
	json_decref(plan2);
	json_decref(expected);
	json_decref(live);
	json_decref(live_before);
	json_decref(settings);
	json_decref(lst.answer);
	free(target);
	free(want_plan);
	free(got_plan);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_cases(void **state)
{
	DIR *d = opendir(CASES);
	struct dirent *de;
	char *names[128];
	size_t n = 0, i;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL && n < 128)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	assert_true(n >= 12);
	for (i = 0; i < n; i++) {
		print_message("case %s\n", names[i]);
		run_case(names[i]);
		free(names[i]);
	}
}

/* The seed scenario's point, asserted directly: on the unified shape
 * every non-Codex fallback survives; on the legacy shape they are gone
 * and the plan names LEGACY_RUNTIME_DROPS_FALLBACKS for each. */
static void
test_seed_semantics(void **state)
{
	static const char *const versions[] = { "2026.5.28", "2026.6.1", "2026.9.6" };
	struct listing lst = { NULL, 0, "" };
	struct ck_gen_opts opts = { .list_models = fake_list, .ud = &lst, .no_fetch = 0 };
	struct ck_error err;
	json_t *settings = load_json(CASES "/seed-2026.6.1/settings.json");
	size_t i;

	(void)state;
	lst.answer = json_pack("[s]", "llama3.1:8b");
	for (i = 0; i < 3; i++) {
		char path[512];
		json_t *live, *out, *plan, *fb, *e;
		size_t j, legacy = 0;

		snprintf(path, sizeof(path), CK_FIXTURES "/openclaw/%s/config/openclaw.json",
			 versions[i]);
		live = load_json(path);
		opts.target_version = versions[i];
		assert_int_equal(ck_generate(live, settings, &opts, &out, &plan, &err), 0);
		fb = json_object_get(json_object_get(json_object_get(json_object_get(out,
			"agents"), "defaults"), "model"), "fallbacks");
		json_array_foreach(plan, j, e) {
			const char *code = json_string_value(json_object_get(e, "code"));

			if (code && strcmp(code, "LEGACY_RUNTIME_DROPS_FALLBACKS") == 0)
				legacy++;
		}
		if (i == 0) {
			assert_int_equal(json_array_size(fb), 0);
			assert_int_equal(legacy, 3);
			assert_true(ck_plan_has_warnings(plan));
		} else {
			assert_int_equal(json_array_size(fb), 3);
			assert_string_equal(json_string_value(json_array_get(fb, 0)),
					    "anthropic/claude-sonnet-4-6");
			assert_string_equal(json_string_value(json_array_get(fb, 2)),
					    "ollama/llama3.1:8b");
			assert_int_equal(legacy, 0);
			assert_false(ck_plan_has_warnings(plan));
		}
		json_decref(live);
		json_decref(out);
		json_decref(plan);
	}
	json_decref(lst.answer);
	json_decref(settings);
}

static void
test_bad_input(void **state)
{
	struct ck_gen_opts opts = {
		.target_version = "2026.6.1",
		.list_models = fake_list,
		.no_fetch = 0,
	};
	struct ck_error err;
	json_t *live = json_object();
	json_t *out, *plan, *s;

	(void)state;
	s = json_loads("{\"primary\":\"openai/gpt-5.5\",\"fallbacks\":[\"anthropic/x\",42]}", 0, NULL);
	assert_int_equal(ck_generate(live, s, &opts, &out, &plan, &err), -1);
	assert_non_null(strstr(err.msg, "fallbacks[1]"));
	assert_null(out);
	assert_null(plan);
	json_decref(s);

	s = json_loads("{\"fallbacks\":[]}", 0, NULL);
	assert_int_equal(ck_generate(live, s, &opts, &out, &plan, &err), -1);
	assert_non_null(strstr(err.msg, "primary"));
	json_decref(s);

	s = json_loads("{\"primary\":\"openai/gpt-5.5\",\"agents\":{\"x\":{\"primary\":\"nomodel\"}}}", 0, NULL);
	assert_int_equal(ck_generate(live, s, &opts, &out, &plan, &err), -1);
	assert_non_null(strstr(err.msg, "agents.x.primary"));
	json_decref(s);

	s = json_loads("{\"primary\":\"openai/gpt-5.5\"}", 0, NULL);
	opts.target_version = "latest";
	assert_int_equal(ck_generate(live, s, &opts, &out, &plan, &err), -1);
	assert_non_null(strstr(err.msg, "latest"));
	opts.target_version = "2026.6.1";
	json_decref(live);
	live = json_array();
	assert_int_equal(ck_generate(live, s, &opts, &out, &plan, &err), -1);
	assert_non_null(strstr(err.msg, "object"));
	json_decref(s);
	json_decref(live);
}

/* A fill needs the listing: offline, the ref is reported, not dropped. */
static void
test_no_fetch(void **state)
{
	struct listing lst = { NULL, 0, "" };
	struct ck_gen_opts opts = {
		.target_version = "2026.6.1",
		.list_models = fake_list,
		.ud = &lst,
		.no_fetch = 1,
	};
	struct ck_error err;
	json_t *live = load_json(CK_FIXTURES "/openclaw/2026.6.1/config/openclaw.json");
	json_t *settings = load_json(CASES "/seed-2026.6.1/settings.json");
	json_t *out, *plan, *e;
	size_t i;
	int seen = 0;

	(void)state;
	assert_int_equal(ck_generate(live, settings, &opts, &out, &plan, &err), 0);
	assert_int_equal(lst.calls, 0);
	json_array_foreach(plan, i, e)
		if (strcmp(json_string_value(json_object_get(e, "ref")), "ollama/llama3.1:8b") == 0) {
			assert_string_equal(json_string_value(json_object_get(e, "action")), "kept");
			assert_string_equal(json_string_value(json_object_get(e, "code")), "FALLBACK_UNRESOLVED");
			assert_non_null(strstr(json_string_value(json_object_get(e, "reason")), "offline"));
			seen = 1;
		}
	assert_true(seen);
	json_decref(live);
	json_decref(settings);
	json_decref(out);
	json_decref(plan);
}

/* ---- diff and redaction ---- */

static void
test_diff_redacts(void **state)
{
	json_t *a = json_loads("{\"gateway\":{\"auth\":{\"mode\":\"token\",\"token\":\"FAKE-gateway-token-1\"}},"
			       "\"channels\":{\"telegram\":{\"botToken\":\"FAKE-bot\"}},"
			       "\"agents\":{\"defaults\":{\"models\":{\"openai/gpt-5.5\":{}}}}}", 0, NULL);
	json_t *b = json_loads("{\"gateway\":{\"auth\":{\"mode\":\"token\",\"token\":\"FAKE-gateway-token-2\"}},"
			       "\"models\":{\"providers\":{\"x\":{\"apiKey\":\"sk-FAKE-x\",\"baseUrl\":\"http://h\"}}},"
			       "\"agents\":{\"defaults\":{\"models\":{\"openai/gpt-5.5\":{\"alias\":\"g\"}}}}}", 0, NULL);
	char fp[CK_FINGERPRINT_LEN];
	json_t *d, *e, *r;
	size_t i;
	int saw_token = 0, saw_path = 0;

	(void)state;
	d = ck_config_diff(a, b);
	assert_no_fake(d, "diff", "redaction");
	json_array_foreach(d, i, e) {
		const char *path = json_string_value(json_object_get(e, "path"));

		if (strcmp(path, "gateway.auth.token") == 0) {
			ck_fingerprint("FAKE-gateway-token-2", fp);
			assert_string_equal(json_string_value(json_object_get(e, "to")), fp);
			assert_string_equal(json_string_value(json_object_get(e, "op")), "change");
			saw_token = 1;
		}
		if (strcmp(path, "agents.defaults.models[\"openai/gpt-5.5\"].alias") == 0)
			saw_path = 1;
	}
	assert_true(saw_token);
	assert_true(saw_path);
	assert_int_equal(json_array_size(d), 4); /* token, channels, alias, models */
	r = ck_config_redacted(b);
	assert_no_fake(r, "redacted", "redaction");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
		json_object_get(r, "models"), "providers"), "x"), "baseUrl")), "http://h");
	assert_true(ck_config_key_is_secret("apiKey"));
	assert_true(ck_config_key_is_secret("refresh"));
	assert_false(ck_config_key_is_secret("maxTokens"));
	assert_false(ck_config_key_is_secret("keyword"));
	json_decref(r);
	json_decref(d);
	json_decref(a);
	json_decref(b);
}

/* agents.list items are matched by id, so one agent's change has its
 * own path instead of the whole list. */
static void
test_diff_agents_by_id(void **state)
{
	json_t *a = json_loads("{\"agents\":{\"list\":[{\"id\":\"a\",\"model\":\"x/y\"},{\"id\":\"b\"}]}}", 0, NULL);
	json_t *b = json_loads("{\"agents\":{\"list\":[{\"id\":\"b\"},{\"id\":\"a\",\"model\":\"x/z\"},{\"id\":\"c\"}]}}", 0, NULL);
	json_t *d;

	(void)state;
	d = ck_config_diff(a, b);
	assert_int_equal(json_array_size(d), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "path")),
			    "agents.list[1].model");
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "to")), "x/z");
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 1), "path")),
			    "agents.list[2]");
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 1), "op")), "add");
	json_decref(d);
	json_decref(a);
	json_decref(b);
}

/* Written the way OpenClaw writes it: an untouched config dumps to the
 * same bytes as the real file. */
static void
test_dump_matches_openclaw_layout(void **state)
{
	static const char *const files[] = {
		CK_FIXTURES "/openclaw/2026.5.28/config/openclaw.json",
		CK_FIXTURES "/openclaw/2026.9.6/config/openclaw.json",
		CK_FIXTURES "/openclaw/2026.9.6/upgrade-from-2026.6.1/after/openclaw.json",
	};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char *orig = read_text(files[i]);
		json_t *j = load_json(files[i]);
		char *dump = ck_config_dump(j);

		assert_string_equal(dump, orig);
		free(orig);
		free(dump);
		json_decref(j);
	}
}

/* ---- the real libcurl listing against a local server ---- */

struct server {
	int fd;
	int port;
	const char *status;  /* "200 OK" */
	const char *body;    /* NULL: a 2 MiB body */
	char path[256];
	int served;
};

static void *
serve_one(void *arg)
{
	struct server *s = arg;
	char req[4096];
	size_t len = 0;
	int c = accept(s->fd, NULL, NULL);
	char head[256];
	size_t blen;

	if (c < 0)
		return NULL;
	while (len < sizeof(req) - 1) {
		ssize_t r = read(c, req + len, sizeof(req) - 1 - len);

		if (r <= 0)
			break;
		len += (size_t)r;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[len] = '\0';
	sscanf(req, "GET %255s", s->path);
	if (s->body != NULL) {
		blen = strlen(s->body);
		snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", s->status, blen);
		(void)!write(c, head, strlen(head));
		(void)!write(c, s->body, blen);
	} else {
		char *big = malloc(2 << 20);

		memset(big, ' ', 2 << 20);
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
			 "Connection: close\r\n\r\n", 2 << 20);
		(void)!write(c, head, strlen(head));
		(void)!write(c, big, 2 << 20);
		free(big);
	}
	s->served++;
	close(c);
	return NULL;
}

static void *serve_silent(void *arg);

static void
server_start_with(struct server *s, pthread_t *th, void *(*fn)(void *))
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->fd, 4), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sa, &sl), 0);
	s->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(th, NULL, fn, s), 0);
}

static void
server_start(struct server *s, pthread_t *th)
{
	server_start_with(s, th, serve_one);
}

static void
server_stop(struct server *s, pthread_t th)
{
	pthread_join(th, NULL);
	close(s->fd);
}

static void
test_curl_listing(void **state)
{
	struct server s = { -1, 0, "200 OK",
		"{\"models\":[{\"name\":\"llama3.1:8b\",\"model\":\"llama3.1:8b\",\"size\":4920753328},"
		"{\"name\":\"qwen2.5-coder:7b\"}]}", "", 0 };
	struct ck_error err;
	json_t *names = NULL;
	pthread_t th;
	char base[128];

	(void)state;
	server_start(&s, &th);
	/* a /v1 suffix and trailing slash are dropped: the listing is native */
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/v1/", s.port);
	assert_int_equal(ck_ollama_list_models(base, &names, &err, NULL), 0);
	server_stop(&s, th);
	assert_string_equal(s.path, "/api/tags");
	assert_int_equal(json_array_size(names), 2);
	assert_string_equal(json_string_value(json_array_get(names, 1)), "qwen2.5-coder:7b");
	json_decref(names);
}

static void
test_curl_listing_fills_config(void **state)
{
	struct server s = { -1, 0, "200 OK", "{\"models\":[{\"name\":\"llama3.1:8b\"}]}", "", 0 };
	struct ck_gen_opts opts = {
		.target_version = "2026.6.1",
		.no_fetch = 0,
	}; /* the real fetch */
	struct ck_error err;
	json_t *live = load_json(CK_FIXTURES "/openclaw/2026.6.1/config/openclaw.json");
	json_t *settings = load_json(CASES "/seed-2026.6.1/settings.json");
	json_t *out, *plan, *models;
	pthread_t th;
	char *url;

	(void)state;
	server_start(&s, &th);
	url = ck_strdup_printf("http://127.0.0.1:%d", s.port);
	json_object_set_new(json_object_get(json_object_get(json_object_get(live, "models"),
		"providers"), "ollama"), "baseUrl", json_string(url));
	assert_int_equal(ck_generate(live, settings, &opts, &out, &plan, &err), 0);
	server_stop(&s, th);
	assert_int_equal(s.served, 1);
	models = json_object_get(json_object_get(json_object_get(json_object_get(out, "models"),
		"providers"), "ollama"), "models");
	assert_int_equal(json_array_size(models), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(models, 0), "id")),
			    "llama3.1:8b");
	assert_false(ck_plan_has_warnings(plan));
	free(url);
	json_decref(out);
	json_decref(plan);
	json_decref(live);
	json_decref(settings);
}

static void
test_curl_listing_failures(void **state)
{
	struct server bad = { -1, 0, "500 Internal Server Error", "{}", "", 0 };
	struct server junk = { -1, 0, "200 OK", "{\"models\": 3}", "", 0 };
	struct server big = { -1, 0, "200 OK", NULL, "", 0 };
	struct ck_error err;
	json_t *names = NULL;
	pthread_t th;
	char base[128];
	int port;

	(void)state;
	server_start(&bad, &th);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", bad.port);
	assert_int_equal(ck_ollama_list_models(base, &names, &err, NULL), -1);
	server_stop(&bad, th);
	assert_non_null(strstr(err.msg, "HTTP 500"));

	server_start(&junk, &th);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", junk.port);
	assert_int_equal(ck_ollama_list_models(base, &names, &err, NULL), -1);
	server_stop(&junk, th);
	assert_non_null(strstr(err.msg, "models"));

	server_start(&big, &th);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", big.port);
	assert_int_equal(ck_ollama_list_models(base, &names, &err, NULL), -1);
	server_stop(&big, th);
	assert_non_null(strstr(err.msg, "larger than"));

	/* nothing listening: a closed port fails at once; credentials in
	 * the URL never reach the message */
	port = big.port;
	snprintf(base, sizeof(base), "http://user:FAKE-pass@127.0.0.1:%d", port);
	assert_int_equal(ck_ollama_list_models(base, &names, &err, NULL), -1);
	assert_null(strstr(err.msg, "FAKE"));
	assert_non_null(strstr(err.msg, "127.0.0.1"));
	assert_null(names);
}

/* A server that accepts and never answers costs the 5 s total timeout,
 * not a hung regenerate. */
static void *
serve_silent(void *arg)
{
	struct server *s = arg;
	char buf[4096];
	int c = accept(s->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	while (read(c, buf, sizeof(buf)) > 0)
		; /* until the client gives up and closes */
	close(c);
	return NULL;
}

static void
test_curl_listing_timeout(void **state)
{
	struct server s = { -1, 0, "200 OK", "{}", "", 0 };
	struct ck_error err;
	struct timespec t0, t1;
	json_t *names = NULL;
	pthread_t th;
	char base[128];
	double secs;

	(void)state;
	server_start_with(&s, &th, serve_silent);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", s.port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ck_ollama_list_models(base, &names, &err, NULL), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	server_stop(&s, th);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs >= 4.5 && secs < 7.0);
	assert_non_null(strstr(err.msg, "imeout"));
}

static void
test_parse_tags(void **state)
{
	struct ck_error err;
	json_t *names;

	(void)state;
	assert_int_equal(ck_ollama_parse_tags("{\"models\":[]}", 13, &names, &err), 0);
	assert_int_equal(json_array_size(names), 0);
	json_decref(names);
	assert_int_equal(ck_ollama_parse_tags("{\"models\":[{\"size\":1}]}", 23, &names, &err), -1);
	assert_non_null(strstr(err.msg, "models[0]"));
	assert_int_equal(ck_ollama_parse_tags("<html>", 6, &names, &err), -1);
	assert_non_null(strstr(err.msg, "line 1"));
	assert_int_equal(ck_ollama_parse_tags("{\"models\":[{\"name\":\"a\"},{\"name\":\"a\",\"name\":\"b\"}]}",
					      49, &names, &err), -1);
}

static void
test_tags_url(void **state)
{
	char *u;

	(void)state;
	u = ck_ollama_tags_url(NULL);
	assert_string_equal(u, "http://127.0.0.1:11434/api/tags");
	free(u);
	u = ck_ollama_tags_url("http://gpu-box.local:11434/v1");
	assert_string_equal(u, "http://gpu-box.local:11434/api/tags");
	free(u);
	u = ck_ollama_tags_url("https://ollama.example/base//");
	assert_string_equal(u, "https://ollama.example/base/api/tags");
	free(u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_seed_semantics),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_no_fetch),
		cmocka_unit_test(test_diff_redacts),
		cmocka_unit_test(test_diff_agents_by_id),
		cmocka_unit_test(test_dump_matches_openclaw_layout),
		cmocka_unit_test(test_curl_listing),
		cmocka_unit_test(test_curl_listing_fills_config),
		cmocka_unit_test(test_curl_listing_failures),
		cmocka_unit_test(test_curl_listing_timeout),
		cmocka_unit_test(test_parse_tags),
		cmocka_unit_test(test_tags_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
