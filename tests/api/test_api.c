/* API tests: the server runs in-process on port 0 over an instance built
 * from the OpenClaw fixtures with planted canary secrets, and is called
 * with libcurl: every route, the auth matrix, limits, preconditions, and
 * a check that no canary ever reaches a response, header, metric or log
 * line. The clawkeeper binary's call/keygen/config commands run against
 * the same server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/api.h"
#include "clawkeeper/clock.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/log.h"
#include "clawkeeper/journal.h"

#define CANARY_CONFIG "CANARY-FAKE-config-7f3a9c"
#define CANARY_CRED "CANARY-FAKE-credential-51d2e8"
#define READ_TOKEN "ck-read-FAKE-token-0c1d2e3f4a5b"
#define OP_TOKEN "ck-operate-FAKE-token-9e8d7c6b5a"
#define FIX CK_FIXTURES "/openclaw/2026.5.28"

static char tmp[256];
static char key1_hex[65], key2_hex[65];
static uint8_t key1[32], key2[32];
static struct ck_server *srv;
static int port;
static int log_fd = -1;
static char log_path[300];
/* every response body and header, for the canary check at the end */
static char *seen;
static size_t seen_len;

struct resp {
	long status;
	char *body;
	size_t len;
	char headers[4096];
};

static void
remember(const char *p, size_t n)
{
	seen = realloc(seen, seen_len + n + 1);
	memcpy(seen + seen_len, p, n);
	seen_len += n;
	seen[seen_len] = '\0';
}

static size_t
on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct resp *r = ud;

	r->body = realloc(r->body, r->len + sz * n + 1);
	memcpy(r->body + r->len, p, sz * n);
	r->len += sz * n;
	r->body[r->len] = '\0';
	return sz * n;
}

static size_t
on_hdr(char *p, size_t sz, size_t n, void *ud)
{
	struct resp *r = ud;

	strncat(r->headers, p, sizeof(r->headers) - strlen(r->headers) - 1);
	return sz * n;
}

static void
hexkey(const char *hex, uint8_t *out)
{
	ck_hex_decode(hex, out, 32);
}

/* Builds the HMAC Authorization header the way docs/api.md says. */
static void
sign(char *out, size_t n, const char *key_id, const uint8_t *key,
    const char *method, const char *target, long long ts, const char *nonce,
    const char *body)
{
	char bh[CK_SHA256_HEX_LEN], sig[65], *canon;
	uint8_t mac[32];

	ck_sha256_hex(body ? body : "", body ? strlen(body) : 0, bh);
	canon = ck_strdup_printf("%s\n%s\n%lld\n%s\n%s", method, target, ts,
	    nonce, bh);
	ck_hmac_sha256(key, 32, canon, strlen(canon), mac);
	free(canon);
	ck_hex_encode(mac, 32, sig);
	snprintf(out, n, "Authorization: CK-HMAC-SHA256 keyId=%s, ts=%lld, "
	    "nonce=%s, signature=%s", key_id, ts, nonce, sig);
}

static void
fresh_nonce(char *out)
{
	uint8_t r[12];

	ck_random_bytes(r, sizeof(r));
	ck_hex_encode(r, sizeof(r), out);
}

/* One request; extra headers NULL-terminated. */
static struct resp
req(const char *method, const char *target, const char *body, ...)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct resp r;
	char url[512];
	const char *h;
	va_list ap;

	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, target);
	int has_ct = 0;

	va_start(ap, body);
	while ((h = va_arg(ap, const char *)) != NULL) {
		hl = curl_slist_append(hl, h);
		has_ct |= strncasecmp(h, "Content-Type:", 13) == 0;
	}
	va_end(ap);
	/* curl would send a form content type */
	if (body != NULL && !has_ct)
		hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_hdr);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (r.body == NULL)
		r.body = strdup("");
	remember(r.headers, strlen(r.headers));
	remember(r.body, r.len);
	return r;
}

/* X-Content-SHA256 of body, as a header line. */
static void
content_sha(char *out, size_t n, const char *body)
{
	char bh[CK_SHA256_HEX_LEN];

	ck_sha256_hex(body ? body : "", body ? strlen(body) : 0, bh);
	snprintf(out, n, "X-Content-SHA256: %s", bh);
}

static struct resp
signed_req(const char *method, const char *target, const char *body,
    const char *extra)
{
	char auth[512], nonce[32], sha[100];

	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key1, method, target, (long long)time(NULL),
	    nonce, body);
	content_sha(sha, sizeof(sha), body);
	return req(method, target, body, auth, sha, extra, NULL);
}

#define BEARER_READ "Authorization: Bearer " READ_TOKEN
#define BEARER_OP "Authorization: Bearer " OP_TOKEN

static json_t *
body_json(const struct resp *r)
{
	json_t *doc = json_loads(r->body, 0, NULL);

	assert_non_null(doc);
	return doc;
}

static const char *
error_code(const struct resp *r)
{
	static char code[64];
	json_t *doc = body_json(r);
	const char *c = json_string_value(json_object_get(json_object_get(doc,
	    "error"), "code"));

	assert_non_null(c);
	snprintf(code, sizeof(code), "%s", c);
	json_decref(doc);
	return code;
}

static void
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *p = ck_path_join(dir, name);
	struct ck_error err;

	assert_int_equal(ck_file_write_atomic(p, text, strlen(text), mode, &err), 0);
	free(p);
}

static void
plant_instance(const char *state)
{
	struct ck_error err;
	json_error_t jerr;
	json_t *cfg = json_load_file(FIX "/auth/s7-all/openclaw.json", 0, &jerr);
	json_t *auth = json_load_file(FIX "/auth/s7-all/auth-profiles.json", 0,
	    &jerr);
	char *text, *agent_dir = ck_path_join(state, "agents/main/agent");
	char *log = ck_strdup_printf("%s/openclaw.log", tmp);

	assert_non_null(cfg);
	assert_non_null(auth);
	/* canaries in the live config, in a provider and a channel */
	json_object_set_new(json_object_get(json_object_get(json_object_get(cfg,
	    "models"), "providers"), "ollama"), "apiKey",
	    json_string(CANARY_CONFIG));
	json_object_set_new(cfg, "channels", json_pack("{s:{s:s, s:b}}",
	    "telegram", "botToken", CANARY_CONFIG "-bot", "enabled", 1));
	json_object_set_new(json_object_get(cfg, "logging"), "file",
	    json_string(log));
	text = json_dumps(cfg, JSON_INDENT(2));
	write_file(state, "openclaw.json", text, 0600);
	free(text);
	json_object_set_new(json_object_get(auth, "profiles"), "openai:canary",
	    json_pack("{s:s, s:s, s:s}", "type", "api_key", "provider", "openai",
	    "key", CANARY_CRED));
	assert_int_equal(ck_mkdir_p(agent_dir, 0700, &err), 0);
	text = json_dumps(auth, JSON_INDENT(2));
	write_file(agent_dir, "auth-profiles.json", text, 0600);
	free(text);
	text = ck_path_join(agent_dir, "auth-state.json");
	assert_int_equal(ck_file_copy(FIX "/auth/s7-all/auth-state.json", text,
	    &err), 0);
	free(text);
	assert_int_equal(ck_file_copy(FIX "/decision/a-primary-fails-fallback-"
	    "succeeds/file-log.jsonl", log, &err), 0);
	json_decref(cfg);
	json_decref(auth);
	free(agent_dir);
	free(log);
}

static void
make_key(const char *name, char *hex, uint8_t *key)
{
	uint8_t raw[32];
	char *line;

	ck_random_bytes(raw, sizeof(raw));
	ck_hex_encode(raw, sizeof(raw), hex);
	hexkey(hex, key);
	line = ck_strdup_printf("%s\n", hex);
	write_file(tmp, name, line, 0600);
	free(line);
}

#define TEST_LIMITS "\"connection_timeout_s\":1,\"max_connections\":64," \
	"\"max_per_ip\":32,\"max_body_bytes\":4096,\"max_header_bytes\":8192"

static char *
agent_config_text_with(const char *listen, int with_k2, const char *limits)
{
	char rh[CK_SHA256_HEX_LEN], oh[CK_SHA256_HEX_LEN];

	ck_sha256_hex(READ_TOKEN, strlen(READ_TOKEN), rh);
	ck_sha256_hex(OP_TOKEN, strlen(OP_TOKEN), oh);
	return ck_strdup_printf("{\n"
	    " \"instance_id\": \"test-instance\",\n"
	    " \"listen\": \"%s\",\n"
	    " \"hmac_keys\": [{\"id\":\"k1\",\"file\":\"k1.key\"}%s],\n"
	    " \"tokens\": [{\"name\":\"reader\",\"sha256\":\"%s\",\"scope\":\"read\"},\n"
	    "   {\"name\":\"ops\",\"sha256\":\"%s\",\"scope\":\"operate\"}],\n"
	    " \"instance\": {\"state_dir\":\"state\",\"settings_path\":\"settings.json\"},\n"
	    " \"journal_dir\": \"journal\",\n"
	    " \"operations\": {\"work_dir\":\"work\"},\n"
	    " \"refresh_interval_s\": 3600,\n"
	    " \"limits\": {%s}\n"
	    "}\n", listen, with_k2 ? ",{\"id\":\"k2\",\"file\":\"k2.key\"}" : "",
	    rh, oh, limits);
}

static char *
agent_config_text(const char *listen, int with_k2)
{
	return agent_config_text_with(listen, with_k2, TEST_LIMITS);
}

static struct ck_agentconf *
load_conf_with(const char *listen, int with_k2, const char *limits)
{
	char *text = agent_config_text_with(listen, with_k2, limits);
	char *path = ck_path_join(tmp, "agent.json");
	struct ck_error err;
	struct ck_agentconf *conf;

	write_file(tmp, "agent.json", text, 0600);
	conf = ck_agentconf_load(path, NULL, &err);
	if (conf == NULL)
		fprintf(stderr, "agent config: %s\n", err.msg);
	assert_non_null(conf);
	free(text);
	free(path);
	return conf;
}

static struct ck_agentconf *
load_conf(const char *listen, int with_k2)
{
	return load_conf_with(listen, with_k2, TEST_LIMITS);
}

static void
write_ops(void)
{
	char *dir = ck_path_join(tmp, "journal");
	struct ck_error err;
	json_t *a = ck_op_new("upgrade", 1790000000000LL);
	json_t *b = ck_op_new("import", 1790000100000LL);

	ck_op_add_step(a, "snapshot");
	ck_op_step_set(a, "snapshot", "running", NULL, 1790000000500LL);
	ck_op_step_set(a, "snapshot", "done", "snapshot taken", 1790000001000LL);
	json_object_set_new(a, "state", json_string("succeeded"));
	json_object_set_new(b, "state", json_string("failed"));
	assert_int_equal(ck_op_write(dir, a, &err), 0);
	assert_int_equal(ck_op_write(dir, b, &err), 0);
	write_file(tmp, "op-a.id", json_string_value(json_object_get(a, "id")),
	    0600);
	write_file(tmp, "op-b.id", json_string_value(json_object_get(b, "id")),
	    0600);
	json_decref(a);
	json_decref(b);
	free(dir);
}

static int
setup(void **state)
{
	struct ck_error err;
	char *sd;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/ck-api-test-XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return -1;
	sd = ck_path_join(tmp, "state");
	ck_mkdir_p(sd, 0700, &err);
	plant_instance(sd);
	free(sd);
	make_key("k1.key", key1_hex, key1);
	make_key("k2.key", key2_hex, key2);
	write_ops();
	snprintf(log_path, sizeof(log_path), "%s/agent.log", tmp);
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ck_log_set_fd(log_fd);
	ck_log_set_level(CK_LOG_DEBUG);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	srv = ck_server_start(load_conf("127.0.0.1:0", 1), &err);
	if (srv == NULL) {
		fprintf(stderr, "start: %s\n", err.msg);
		return -1;
	}
	port = ck_server_port(srv);
	return port > 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	struct ck_error err;

	(void)state;
	ck_server_shutdown(srv, 2000);
	ck_log_set_fd(2);
	close(log_fd);
	curl_global_cleanup();
	free(seen);
	if (getenv("CK_KEEP_TMP") == NULL)
		ck_rm_rf(tmp, &err);
	return 0;
}

/* ---- routes ---- */

static void
test_agent_is_open(void **state)
{
	struct resp r = req("GET", "/v1/agent", NULL, NULL);
	json_t *doc;

	(void)state;
	assert_int_equal(r.status, 200);
	doc = body_json(&r);
	assert_string_equal(json_string_value(json_object_get(doc,
	    "instance_id")), "test-instance");
	assert_string_equal(json_string_value(json_object_get(doc, "version")),
	    CK_VERSION);
	assert_true(json_is_integer(json_object_get(doc, "uptime_s")));
	assert_non_null(strstr(r.headers, "application/json"));
	json_decref(doc);
	free(r.body);
}

/* The credential statuses the report gives equal the ones the real
 * 2026.5.28 printed for the same store (models-status-json.stdout of the
 * s7-all capture), for every profile whose status does not depend on
 * today's date (api keys, a token valid into 2027, two long expired). */
static void
expect_statuses_of_real_openclaw(const json_t *creds)
{
	static const char *const stable[] = { "openai:manual", "anthropic:manual",
		"openrouter:manual", "ollama:manual", "openrouter:valid-token",
		"anthropic:expired-token", "openai-codex:expired@example.com", NULL };
	json_error_t jerr;
	json_t *real = json_load_file(FIX "/auth/s7-all/models-status-json.stdout", 0, &jerr);
	json_t *prov, *prof, *c;
	size_t i, j, k, n;

	assert_non_null(real);
	for (n = 0; stable[n] != NULL; n++) {
		const char *want = NULL, *got = NULL;

		json_array_foreach(json_object_get(json_object_get(json_object_get(real, "auth"),
		    "oauth"), "providers"), i, prov) {
			json_array_foreach(json_object_get(prov, "profiles"), j, prof) {
				if (strcmp(json_string_value(json_object_get(prof, "profileId")),
				    stable[n]) == 0)
					want = json_string_value(json_object_get(prof, "status"));
			}
		}
		json_array_foreach(creds, k, c) {
			if (strcmp(json_string_value(json_object_get(c, "profile")), stable[n]) == 0)
				got = json_string_value(json_object_get(c, "status"));
		}
		if (want == NULL || got == NULL || strcmp(want, got) != 0)
			fail_msg("%s: health says %s, the real openclaw said %s", stable[n],
			    got ? got : "nothing", want ? want : "nothing");
	}
	json_decref(real);
}

static void
test_health(void **state)
{
	struct resp r = req("GET", "/v1/instance/health", NULL, BEARER_READ, NULL);
	struct resp r2;
	json_t *doc;

	(void)state;
	assert_int_equal(r.status, 200);
	doc = body_json(&r);
	assert_non_null(json_string_value(json_object_get(doc, "status")));
	assert_true(json_is_array(json_object_get(doc, "findings")));
	/* no openclaw_bin in this agent config: the version is the config's */
	assert_string_equal(json_string_value(json_object_get(doc, "version")), "2026.5.28");
	assert_string_equal(json_string_value(json_object_get(doc, "version_source")),
	    "meta.lastTouchedVersion");
	expect_statuses_of_real_openclaw(json_object_get(doc, "credentials"));
	json_decref(doc);
	r2 = req("GET", "/v1/instance/health?refresh=1", NULL, BEARER_READ, NULL);
	assert_int_equal(r2.status, 200);
	free(r2.body);
	r2 = req("GET", "/v1/instance/health?refresh=yes", NULL, BEARER_READ,
	    NULL);
	assert_int_equal(r2.status, 400);
	free(r2.body);
	free(r.body);
}

static void
test_config_redacted(void **state)
{
	struct resp r = req("GET", "/v1/instance/config", NULL, BEARER_READ, NULL);
	json_t *doc, *cfg;
	char fp[CK_FINGERPRINT_LEN];

	(void)state;
	assert_int_equal(r.status, 200);
	doc = body_json(&r);
	cfg = json_object_get(doc, "config");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(cfg, "agents"), "defaults"), "model"),
	    "primary")), "openai-codex/gpt-5.5");
	ck_fingerprint(CANARY_CONFIG, fp);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(cfg, "models"), "providers"),
	    "ollama"), "apiKey")), fp);
	assert_null(strstr(r.body, "CANARY"));
	json_decref(doc);
	free(r.body);
}

static void
test_decisions(void **state)
{
	struct resp r = req("GET", "/v1/instance/decisions?since=2000-01-01T00:00:00Z",
	    NULL, BEARER_READ, NULL);
	json_t *doc, *arr;

	(void)state;
	assert_int_equal(r.status, 200);
	doc = body_json(&r);
	arr = json_object_get(doc, "decisions");
	assert_true(json_array_size(arr) > 0);
	assert_non_null(json_object_get(json_array_get(arr, 0), "candidate"));
	json_decref(doc);
	free(r.body);
	r = req("GET", "/v1/instance/decisions?limit=1", NULL, BEARER_READ, NULL);
	assert_int_equal(r.status, 200);
	doc = body_json(&r);
	assert_int_equal(json_array_size(json_object_get(doc, "decisions")), 1);
	json_decref(doc);
	free(r.body);
	r = req("GET", "/v1/instance/decisions?since=2999-01-01T00:00:00Z", NULL,
	    BEARER_READ, NULL);
	assert_int_equal(r.status, 200);
	doc = body_json(&r);
	assert_int_equal(json_array_size(json_object_get(doc, "decisions")), 0);
	json_decref(doc);
	free(r.body);
	r = req("GET", "/v1/instance/decisions?since=yesterday-ish", NULL,
	    BEARER_READ, NULL);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "since"));
	free(r.body);
}

static char *
header_value(const struct resp *r, const char *name)
{
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "\n%s:", name);
	p = strcasestr(r->headers, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	while (*p == ':' || *p == ' ')
		p++;
	n = strcspn(p, "\r\n");
	return strndup(p, n);
}

static void
test_settings_cas(void **state)
{
	const char *s1 = "{\"primary\":\"openai-codex/gpt-5.5\",\"fallbacks\":"
	    "[\"anthropic/claude-sonnet-4-6\"]}";
	const char *s2 = "{\"primary\":\"openai-codex/gpt-5.5\",\"fallbacks\":"
	    "[\"ollama/llama3.1:8b\"]}";
	struct resp r;
	char *etag, *etag2, im[200];

	(void)state;
	r = req("GET", "/v1/instance/settings", NULL, BEARER_READ, NULL);
	assert_int_equal(r.status, 404);
	free(r.body);
	r = req("PUT", "/v1/instance/settings", s1, BEARER_OP,
	    "Content-Type: application/json", NULL);
	assert_int_equal(r.status, 200);
	etag = header_value(&r, "ETag");
	assert_non_null(etag);
	assert_int_equal(strlen(etag), 66);
	free(r.body);
	r = req("GET", "/v1/instance/settings", NULL, BEARER_READ, NULL);
	assert_int_equal(r.status, 200);
	etag2 = header_value(&r, "ETag");
	assert_string_equal(etag, etag2);
	assert_non_null(strstr(r.body, "anthropic/claude-sonnet-4-6"));
	free(etag2);
	free(r.body);
	/* an existing document needs If-Match */
	r = req("PUT", "/v1/instance/settings", s2, BEARER_OP, NULL);
	assert_int_equal(r.status, 428);
	free(r.body);
	r = req("PUT", "/v1/instance/settings", s2, BEARER_OP,
	    "If-Match: \"0000000000000000000000000000000000000000000000000000000000000000\"",
	    NULL);
	assert_int_equal(r.status, 412);
	assert_string_equal(error_code(&r), "precondition_failed");
	free(r.body);
	snprintf(im, sizeof(im), "If-Match: %s", etag);
	r = signed_req("PUT", "/v1/instance/settings", s2, im);
	assert_int_equal(r.status, 200);
	etag2 = header_value(&r, "ETag");
	assert_string_not_equal(etag, etag2);
	free(r.body);
	/* the old ETag is stale now */
	r = req("PUT", "/v1/instance/settings", s1, BEARER_OP, im, NULL);
	assert_int_equal(r.status, 412);
	free(r.body);
	free(etag);
	free(etag2);
}

/* The control plane's GET-modify-PUT: the GET shows a provider key as
 * its fingerprint only; that document, edited and PUT back, keeps the
 * stored key (the fingerprint is swapped back for the secret), while a
 * value that is not the stored key's fingerprint is taken as given. */
static void
test_settings_secret_roundtrip(void **state)
{
	const char *secret = "sk-roundtrip-SECRET-0123456789abcdef";
	char *body, *etag, im[200], fp[CK_FINGERPRINT_LEN], *path, *disk;
	json_t *doc, *stored;
	struct ck_error err;
	struct resp r;
	size_t n;

	(void)state;
	body = ck_strdup_printf("{\"primary\":\"stub/m1\",\"fallbacks\":[\"anthropic/"
	    "claude-sonnet-4-6\"],\"providers\":{\"stub\":{\"baseUrl\":"
	    "\"http://127.0.0.1:9/v1\",\"api\":\"openai-completions\",\"apiKey\":\"%s\"}}}",
	    secret);
	r = req("PUT", "/v1/instance/settings", body, BEARER_OP, "If-Match: *", NULL);
	assert_int_equal(r.status, 200);
	free(r.body);
	free(body);
	r = req("GET", "/v1/instance/settings", NULL, BEARER_READ, NULL);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "SECRET"));
	ck_fingerprint(secret, fp);
	doc = json_loads(r.body, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
	    doc, "providers"), "stub"), "apiKey")), fp);
	etag = header_value(&r, "ETag");
	free(r.body);
	/* the edit: a second fallback; the key stays as the GET showed it */
	json_array_append_new(json_object_get(doc, "fallbacks"),
	    json_string("openrouter/meta-llama/llama-3.3-70b-instruct"));
	body = json_dumps(doc, JSON_COMPACT);
	snprintf(im, sizeof(im), "If-Match: %s", etag);
	r = req("PUT", "/v1/instance/settings", body, BEARER_OP, im, NULL);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "SECRET"));
	free(r.body);
	free(body);
	path = ck_path_join(tmp, "settings.json");
	assert_int_equal(ck_file_read(path, 1 << 20, &disk, &n, &err), 0);
	stored = json_loadb(disk, n, 0, NULL);
	assert_non_null(stored);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
	    stored, "providers"), "stub"), "apiKey")), secret);
	assert_int_equal(json_array_size(json_object_get(stored, "fallbacks")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(stored,
	    "fallbacks"), 1)), "openrouter/meta-llama/llama-3.3-70b-instruct");
	json_decref(stored);
	free(disk);
	free(etag);
	/* a new key is a new key: not a fingerprint of the stored one */
	json_object_set_new(json_object_get(json_object_get(doc, "providers"), "stub"), "apiKey",
	    json_string("sk-rotated-NEWKEY-9876543210"));
	body = json_dumps(doc, JSON_COMPACT);
	r = req("PUT", "/v1/instance/settings", body, BEARER_OP, "If-Match: *", NULL);
	assert_int_equal(r.status, 200);
	free(r.body);
	free(body);
	assert_int_equal(ck_file_read(path, 1 << 20, &disk, &n, &err), 0);
	assert_non_null(strstr(disk, "sk-rotated-NEWKEY-9876543210"));
	assert_null(strstr(disk, secret));
	free(disk);
	free(path);
	json_decref(doc);
}

static void
test_settings_bad_bodies(void **state)
{
	struct resp r;
	json_t *doc, *e;

	(void)state;
	r = req("PUT", "/v1/instance/settings", "{\n  \"primary\": \"a/b\",\n"
	    "  \"fallbacks\": [\"x/y\" \"z/w\"]\n}", BEARER_OP, "If-Match: *", NULL);
	assert_int_equal(r.status, 400);
	doc = body_json(&r);
	e = json_object_get(doc, "error");
	assert_string_equal(json_string_value(json_object_get(e, "code")),
	    "malformed_json");
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 3);
	assert_true(json_integer_value(json_object_get(e, "column")) > 10);
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")),
	    "line 3"));
	json_decref(doc);
	free(r.body);
	r = req("PUT", "/v1/instance/settings", "{\"primary\":\"openai-codex/gpt"
	    "-5.5\",\"fallbackz\":[]}", BEARER_OP, "If-Match: *", NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(error_code(&r), "invalid_settings");
	assert_non_null(strstr(r.body, "fallbackz"));
	free(r.body);
	r = req("PUT", "/v1/instance/settings", "{}", BEARER_OP, "If-Match: *",
	    "Content-Type: text/plain", NULL);
	assert_int_equal(r.status, 415);
	free(r.body);
}

static void
test_body_limit(void **state)
{
	char *big = malloc(8192 + 1);
	struct resp r;

	(void)state;
	memset(big, ' ', 8192);
	big[0] = '{';
	big[8191] = '}';
	big[8192] = '\0';
	r = req("PUT", "/v1/instance/settings", big, BEARER_OP, "If-Match: *",
	    NULL);
	assert_int_equal(r.status, 413);
	assert_string_equal(error_code(&r), "body_too_large");
	free(r.body);
	free(big);
}

static void
test_operations(void **state)
{
	char *ida = NULL, *idb = NULL, *target;
	size_t n;
	struct ck_error err;
	struct resp r;
	json_t *doc, *ops;

	(void)state;
	target = ck_path_join(tmp, "op-a.id");
	assert_int_equal(ck_file_read(target, 100, &ida, &n, &err), 0);
	free(target);
	target = ck_path_join(tmp, "op-b.id");
	assert_int_equal(ck_file_read(target, 100, &idb, &n, &err), 0);
	free(target);
	r = req("GET", "/v1/operations", NULL, BEARER_READ, NULL);
	assert_int_equal(r.status, 200);
	doc = body_json(&r);
	ops = json_object_get(doc, "operations");
	assert_int_equal(json_array_size(ops), 2);
	/* newest first */
	assert_string_equal(json_string_value(json_object_get(json_array_get(ops,
	    0), "id")), idb);
	json_decref(doc);
	free(r.body);
	target = ck_strdup_printf("/v1/operations/%s", ida);
	r = req("GET", target, NULL, BEARER_READ, NULL);
	assert_int_equal(r.status, 200);
	doc = body_json(&r);
	assert_string_equal(json_string_value(json_object_get(doc, "kind")),
	    "upgrade");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(doc, "steps"), 0), "state")), "done");
	json_decref(doc);
	free(r.body);
	free(target);
	r = req("GET", "/v1/operations/op-nope", NULL, BEARER_READ, NULL);
	assert_int_equal(r.status, 404);
	free(r.body);
	r = req("GET", "/v1/operations/..%2F..%2Fagent.json", NULL, BEARER_READ,
	    NULL);
	assert_int_equal(r.status, 404);
	free(r.body);
	free(ida);
	free(idb);
}

static void
test_404_405(void **state)
{
	struct resp r = req("GET", "/v1/nothing", NULL, BEARER_READ, NULL);
	char *allow;

	(void)state;
	assert_int_equal(r.status, 404);
	assert_string_equal(error_code(&r), "not_found");
	free(r.body);
	r = req("DELETE", "/v1/instance/settings", NULL, BEARER_OP, NULL);
	assert_int_equal(r.status, 405);
	allow = header_value(&r, "Allow");
	assert_non_null(allow);
	assert_string_equal(allow, "GET, HEAD, PUT");
	free(allow);
	free(r.body);
	r = req("POST", "/v1/agent", "{}", NULL);
	assert_int_equal(r.status, 405);
	free(r.body);
}

/* ---- auth matrix ---- */

static void
expect_401(struct resp r, const char *why)
{
	if (r.status != 401)
		fprintf(stderr, "%s: got %ld %s\n", why, r.status, r.body);
	assert_int_equal(r.status, 401);
	assert_string_equal(error_code(&r), "unauthorized");
	assert_non_null(strcasestr(r.headers, "WWW-Authenticate"));
	free(r.body);
}

static void
test_auth_matrix(void **state)
{
	const char *path = "/v1/instance/health";
	const char *body = "{\"primary\":\"openai-codex/gpt-5.5\"}";
	const char *other = "{\"primary\":\"anthropic/claude-sonnet-4-6\"}";
	long long now = (long long)time(NULL);
	char auth[512], nonce[32], sha[100];
	struct resp r;

	(void)state;
	expect_401(req("GET", path, NULL, NULL), "no header");
	expect_401(req("GET", path, NULL, "Authorization: CK-HMAC-SHA256 "
	    "keyId=k1, ts=1", NULL), "malformed");
	expect_401(req("GET", path, NULL, "Authorization: Basic Zm9vOmJhcg==",
	    NULL), "other scheme");
	expect_401(req("GET", path, NULL, "Authorization: Bearer nope", NULL),
	    "unknown token");
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k9", key1, "GET", path, now, nonce, NULL);
	expect_401(req("GET", path, NULL, auth, NULL), "unknown key");
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key2, "GET", path, now, nonce, NULL);
	expect_401(req("GET", path, NULL, auth, NULL), "bad signature");
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key1, "GET", "/v1/instance/config", now,
	    nonce, NULL);
	expect_401(req("GET", path, NULL, auth, NULL), "signed another path");
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key1, "GET", path, now - 1000, nonce, NULL);
	expect_401(req("GET", path, NULL, auth, NULL), "skewed clock");
	/* tampered body: signed one body, sent another under its hash */
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key1, "PUT", "/v1/instance/settings", now,
	    nonce, body);
	content_sha(sha, sizeof(sha), body);
	r = req("PUT", "/v1/instance/settings", other, auth, sha, "If-Match: *",
	    NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(error_code(&r), "content_sha256_mismatch");
	free(r.body);
	/* ... or declared the other body's hash the signature does not cover */
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key1, "PUT", "/v1/instance/settings", now,
	    nonce, body);
	content_sha(sha, sizeof(sha), other);
	expect_401(req("PUT", "/v1/instance/settings", other, auth, sha,
	    "If-Match: *", NULL), "declared hash not signed");
	/* ... or declared none */
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key1, "PUT", "/v1/instance/settings", now,
	    nonce, body);
	r = req("PUT", "/v1/instance/settings", body, auth, "If-Match: *", NULL);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.body, "X-Content-SHA256"));
	free(r.body);
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key1, "PUT", "/v1/instance/settings", now,
	    nonce, "{}");
	r = req("PUT", "/v1/instance/settings", "{}", auth, "If-Match: *",
	    "X-Content-SHA256: not-hex", NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(error_code(&r), "bad_content_sha256");
	free(r.body);
	/* a good request, then the same one replayed */
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key1, "GET", path, now, nonce, NULL);
	r = req("GET", path, NULL, auth, NULL);
	assert_int_equal(r.status, 200);
	free(r.body);
	expect_401(req("GET", path, NULL, auth, NULL), "replayed nonce");
	/* the second key of a rotation works too */
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k2", key2, "GET", "/v1/instance/decisions?limit=2",
	    now, nonce, NULL);
	r = req("GET", "/v1/instance/decisions?limit=2", NULL, auth, NULL);
	assert_int_equal(r.status, 200);
	free(r.body);
	/* the query is part of what is signed */
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k2", key2, "GET", "/v1/instance/decisions?limit=2",
	    now, nonce, NULL);
	expect_401(req("GET", "/v1/instance/decisions?limit=3", NULL, auth, NULL),
	    "query changed");
	/* wrong scope: a read token on a write route */
	r = req("PUT", "/v1/instance/settings", body, BEARER_READ, "If-Match: *",
	    NULL);
	assert_int_equal(r.status, 403);
	assert_string_equal(error_code(&r), "forbidden");
	free(r.body);
	/* metrics are behind auth too */
	r = req("GET", "/metrics", NULL, NULL);
	assert_int_equal(r.status, 401);
	free(r.body);
}

static void
test_metrics(void **state)
{
	static const char *const statuses[] = { "ok", "warning", "critical" };
	/* a fresh report first (an earlier settings PUT asked for one), then
	 * the metrics rendered from that same report */
	struct resp h = req("GET", "/v1/instance/health?refresh=1", NULL, BEARER_READ, NULL);
	struct resp r = req("GET", "/metrics", NULL, BEARER_READ, NULL);
	json_t *doc, *counts, *f, *v;
	const char *status, *key, *p;
	char line[300];
	size_t i, n;

	(void)state;
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.headers, "text/plain"));
	assert_non_null(strstr(r.body, "clawkeeper_http_requests_total{route="
	    "\"/v1/instance/health\",status=\"200\"}"));
	assert_non_null(strstr(r.body, "clawkeeper_http_requests_total{route="
	    "\"/v1/instance/settings\",status=\"412\"}"));
	assert_non_null(strstr(r.body,
	    "clawkeeper_http_request_duration_seconds_bucket{route="));
	assert_non_null(strstr(r.body,
	    "clawkeeper_operations{kind=\"upgrade\",result=\"succeeded\"} 1"));
	/* the gauges say what the health report says: its status, and each
	 * finding code and severity counted */
	assert_int_equal(h.status, 200);
	doc = body_json(&h);
	status = json_string_value(json_object_get(doc, "status"));
	assert_non_null(status);
	for (i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "\nclawkeeper_health_status{status=\"%s\"} %d\n",
		    statuses[i], strcmp(statuses[i], status) == 0);
		if (strstr(r.body, line) == NULL)
			fail_msg("/metrics lacks%s(health says %s)", line, status);
	}
	counts = json_object();
	json_array_foreach(json_object_get(doc, "findings"), i, f) {
		snprintf(line, sizeof(line), "clawkeeper_findings{code=\"%s\",severity=\"%s\"}",
		    json_string_value(json_object_get(f, "code")),
		    json_string_value(json_object_get(f, "severity")));
		json_object_set_new(counts, line, json_integer(1 +
		    json_integer_value(json_object_get(counts, line))));
	}
	assert_true(json_object_size(counts) > 0);
	json_object_foreach(counts, key, v) {
		snprintf(line, sizeof(line), "\n%s %lld\n", key, json_integer_value(v));
		if (strstr(r.body, line) == NULL)
			fail_msg("/metrics lacks%s", line);
	}
	n = 0;
	for (p = strstr(r.body, "\nclawkeeper_findings{"); p != NULL;
	    p = strstr(p + 1, "\nclawkeeper_findings{"))
		n++;
	assert_int_equal(n, json_object_size(counts));
	json_decref(counts);
	json_decref(doc);
	free(h.body);
	free(r.body);
}

/* A client that sends half a request and stalls is cut off by the
 * connection timeout (1 s in this config). */
static void
test_slow_headers_cut_off(void **state)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	const char *part = "GET /v1/agent HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	struct timespec t0, t1;
	struct pollfd pfd;
	char buf[256];
	ssize_t n;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(write(fd, part, strlen(part)), (ssize_t)strlen(part));
	pfd.fd = fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	n = read(fd, buf, sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(n <= 0); /* closed, no response */
	assert_true(t1.tv_sec - t0.tv_sec <= 4);
	close(fd);
}

static void
test_unix_socket_and_reload(void **state)
{
	char *sock = ck_strdup_printf("%s/api.sock", tmp);
	char *listen = ck_strdup_printf("unix:%s", sock);
	struct ck_error err;
	struct ck_server *us = ck_server_start(load_conf(listen, 1), &err);
	struct stat st;
	CURL *c = curl_easy_init();
	long status = 0;
	char auth[512], nonce[32];
	struct resp r;
	FILE *devnull = fopen("/dev/null", "w");
	struct sockaddr_un sun;
	int stalled[6];
	size_t i;

	(void)state;
	assert_non_null(us);
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	/* more unix-socket clients mid-header than max_pending_per_ip (4 by
	 * default): the per-address rule never refuses the unix socket */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	for (i = 0; i < sizeof(stalled) / sizeof(stalled[0]); i++) {
		stalled[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(connect(stalled[i], (struct sockaddr *)&sun,
		    sizeof(sun)), 0);
		assert_int_equal(write(stalled[i], "GET /v1/agent HTTP/1.1\r\n", 24),
		    24);
	}
	usleep(100 * 1000);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, "http://localhost/v1/agent");
	curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	assert_int_equal(status, 200);
	curl_easy_cleanup(c);
	fclose(devnull);
	for (i = 0; i < sizeof(stalled) / sizeof(stalled[0]); i++)
		close(stalled[i]);
	ck_server_stop(us);
	assert_int_not_equal(stat(sock, &st), 0);
	/* reload without k2: the rotated-out key stops working at once */
	assert_int_equal(ck_server_reload(srv, load_conf("127.0.0.1:0", 0), &err),
	    0);
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k2", key2, "GET", "/v1/instance/health",
	    (long long)time(NULL), nonce, NULL);
	expect_401(req("GET", "/v1/instance/health", NULL, auth, NULL),
	    "removed key");
	r = signed_req("GET", "/v1/instance/health", NULL, NULL);
	assert_int_equal(r.status, 200);
	free(r.body);
	assert_int_equal(ck_server_reload(srv, load_conf("127.0.0.1:0", 1), &err),
	    0);
	free(sock);
	free(listen);
}

/* ---- hostile requests, sent byte for byte on a raw socket ---- */

static int
raw_connect(int to_port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)to_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
raw_send(int fd, const char *text)
{
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* The number of whole responses (head, then a Content-Length body unless
 * they answer HEAD) at the start of buf. */
static int
responses_in(const char *buf, size_t len, int head)
{
	const char *p = buf, *end = buf + len;
	int n = 0;

	for (;;) {
		const char *hend = strstr(p, "\r\n\r\n");
		const char *cl = strcasestr(p, "\r\nContent-Length:");
		long body = 0;

		if (hend == NULL)
			return n;
		if (cl != NULL && cl < hend && !head)
			body = strtol(cl + 17, NULL, 10);
		p = hend + 4 + body;
		if (p > end)
			return n;
		n++;
	}
}

/* Reads until `want` whole responses have arrived, the peer closes, or
 * timeout_ms pass; returns the bytes read. */
static size_t
raw_read_as(int fd, char *buf, size_t n, int want, int timeout_ms, int head)
{
	long long until = ck_clock_mono_ms() + timeout_ms;
	size_t got = 0;

	buf[0] = '\0';
	while (got + 1 < n && responses_in(buf, got, head) < want) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long left = until - ck_clock_mono_ms();
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			break;
		r = read(fd, buf + got, n - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
	}
	remember(buf, got);
	return got;
}

static size_t
raw_read(int fd, char *buf, size_t n, int want, int timeout_ms)
{
	return raw_read_as(fd, buf, n, want, timeout_ms, 0);
}

static int
raw_status(const char *resp)
{
	int status = 0;

	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		return 0;
	return status;
}

static int
count_files(const char *dir)
{
	char *cmd = ck_strdup_printf("ls -A '%s' 2>/dev/null | wc -l", dir);
	char out[32];
	FILE *f = popen(cmd, "r");
	int n = -1;

	assert_non_null(f);
	if (fgets(out, sizeof(out), f) != NULL)
		n = atoi(out);
	pclose(f);
	free(cmd);
	return n;
}

/* The head of an archive upload of `len` bytes (none of which is sent). */
static char *
upload_head(const char *auth, const char *sha_line, unsigned long long len)
{
	return ck_strdup_printf("POST /v1/imports HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/gzip\r\nContent-Length: %llu\r\n"
	    "%s%s%s%s\r\n", len, auth, auth[0] ? "\r\n" : "", sha_line,
	    sha_line[0] ? "\r\n" : "");
}

/* Sends a head that announces `len` body bytes and none of them; the
 * answer must come from the head alone, fast. */
static int
head_only(int to_port, const char *auth, const char *sha_line,
    unsigned long long len, char *resp, size_t n)
{
	char *head = upload_head(auth, sha_line, len);
	long long t0 = ck_clock_mono_ms();
	int fd = raw_connect(to_port), status;

	raw_send(fd, head);
	raw_read(fd, resp, n, 1, 3000);
	status = raw_status(resp);
	assert_true(ck_clock_mono_ms() - t0 < 2500);
	close(fd);
	free(head);
	return status;
}

#define BIG_UPLOAD (252ULL << 20)

/* 252 MiB announced, nothing sent: a bad signature, an unknown key, a
 * signed upload without a declared hash and a bad token are all refused
 * before the body, and nothing is stored. */
static void
test_upload_refused_before_body(void **state)
{
	char *uploads = ck_path_join(tmp, "work/uploads");
	char auth[512], nonce[32], sha[100], resp[4096];
	long long now = (long long)time(NULL);

	(void)state;
	content_sha(sha, sizeof(sha), "pretend archive");
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key2, "POST", "/v1/imports", now, nonce,
	    "pretend archive");
	assert_int_equal(head_only(port, auth, sha, BIG_UPLOAD, resp,
	    sizeof(resp)), 401);
	assert_non_null(strstr(resp, "\"unauthorized\""));
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k7", key1, "POST", "/v1/imports", now, nonce,
	    "pretend archive");
	assert_int_equal(head_only(port, auth, sha, BIG_UPLOAD, resp,
	    sizeof(resp)), 401);
	/* a correct signature over an undeclared body hash is not enough */
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key1, "POST", "/v1/imports", now, nonce,
	    NULL);
	assert_int_equal(head_only(port, auth, "", BIG_UPLOAD, resp,
	    sizeof(resp)), 401);
	assert_non_null(strstr(resp, "X-Content-SHA256"));
	assert_int_equal(head_only(port, "Authorization: Bearer nope", "",
	    BIG_UPLOAD, resp, sizeof(resp)), 401);
	assert_int_equal(head_only(port, "", "", BIG_UPLOAD, resp, sizeof(resp)),
	    401);
	/* authenticated, but operations are off here: refused before it too */
	assert_int_equal(head_only(port, BEARER_OP, "", BIG_UPLOAD, resp,
	    sizeof(resp)), 503);
	assert_non_null(strstr(resp, "operations_disabled"));
	assert_int_equal(count_files(uploads), 0);
	free(uploads);
}

/* An unknown key id and a wrong signature get the same answer, byte for
 * byte, so the answer says nothing about which key ids exist; the
 * agent's log tells them apart. */
static void
test_unknown_key_same_as_bad_signature(void **state)
{
	const char *path = "/v1/instance/health";
	long long now = (long long)time(NULL);
	char auth[512], nonce[32];
	struct resp a, b;

	(void)state;
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "nosuchkey", key1, "GET", path, now, nonce,
	    NULL);
	a = req("GET", path, NULL, auth, NULL);
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key2, "GET", path, now, nonce, NULL);
	b = req("GET", path, NULL, auth, NULL);
	assert_int_equal(a.status, 401);
	assert_int_equal(b.status, 401);
	assert_string_equal(a.body, b.body);
	assert_null(strstr(a.body, "nosuchkey"));
	assert_null(strstr(a.body, "unknown"));
	free(a.body);
	free(b.body);
}

/* The value of header `name` in a raw response head; "" when absent. */
static void
raw_header(const char *resp, const char *name, char *out, size_t n)
{
	char pat[64];
	const char *p, *end = strstr(resp, "\r\n\r\n");

	snprintf(pat, sizeof(pat), "\r\n%s:", name);
	out[0] = '\0';
	p = strcasestr(resp, pat);
	if (p == NULL || (end != NULL && p > end))
		return;
	p += strlen(pat);
	p += strspn(p, " ");
	snprintf(out, n, "%.*s", (int)strcspn(p, "\r\n"), p);
}

/* HEAD answers where GET does, with GET's headers and no body. */
static void
test_head_like_get(void **state)
{
	const char *get = "GET /v1/instance/config HTTP/1.1\r\nHost: x\r\n"
	    BEARER_READ "\r\n\r\n";
	const char *head = "HEAD /v1/instance/config HTTP/1.1\r\nHost: x\r\n"
	    BEARER_READ "\r\n\r\n";
	char resp[65536], len_get[32], len_head[32], ct[64], auth[512], nonce[32];
	const char *body;
	size_t n;
	int fd = raw_connect(port);
	struct resp r;

	(void)state;
	raw_send(fd, get);
	raw_read(fd, resp, sizeof(resp), 1, 5000);
	assert_int_equal(raw_status(resp), 200);
	raw_header(resp, "Content-Length", len_get, sizeof(len_get));
	assert_true(atoi(len_get) > 100);
	close(fd);
	fd = raw_connect(port);
	raw_send(fd, head);
	n = raw_read_as(fd, resp, sizeof(resp), 1, 5000, 1);
	assert_int_equal(raw_status(resp), 200);
	raw_header(resp, "Content-Length", len_head, sizeof(len_head));
	assert_string_equal(len_head, len_get);
	raw_header(resp, "Content-Type", ct, sizeof(ct));
	assert_string_equal(ct, "application/json");
	body = strstr(resp, "\r\n\r\n") + 4;
	assert_int_equal(n, (size_t)(body - resp)); /* nothing after the head */
	/* and nothing comes later either */
	assert_int_equal(raw_read_as(fd, resp, sizeof(resp), 1, 300, 1), 0);
	close(fd);
	/* signed HEAD, the open route, and a route that has no GET */
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key1, "HEAD", "/v1/instance/health",
	    (long long)time(NULL), nonce, NULL);
	fd = raw_connect(port);
	raw_send(fd, "HEAD /v1/instance/health HTTP/1.1\r\nHost: x\r\n");
	raw_send(fd, auth);
	raw_send(fd, "\r\n\r\n");
	raw_read_as(fd, resp, sizeof(resp), 1, 5000, 1);
	assert_int_equal(raw_status(resp), 200);
	close(fd);
	fd = raw_connect(port);
	raw_send(fd, "HEAD /v1/agent HTTP/1.1\r\nHost: x\r\n\r\n");
	raw_read_as(fd, resp, sizeof(resp), 1, 5000, 1);
	assert_int_equal(raw_status(resp), 200);
	close(fd);
	r = req("HEAD", "/v1/regenerate", NULL, BEARER_OP, NULL);
	assert_int_equal(r.status, 405);
	free(r.body);
}

/* Pipelined requests on one connection are all answered, in order: the
 * refusals too (a request without a body is decided once it is whole, so
 * the connection stays open), and the ones behind a suspended one
 * (refresh=1). A refusal of a request whose body is left unread ends the
 * connection, and says so. */
static void
test_pipelined(void **state)
{
	const char *four = "GET /v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /v1/instance/health?refresh=1 HTTP/1.1\r\nHost: x\r\n"
	    BEARER_READ "\r\n\r\n"
	    "GET /v1/instance/health HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /v1/agent HTTP/1.1\r\nHost: x\r\n\r\n";
	const int want[4] = { 404, 200, 401, 200 };
	char resp[65536], conn_hdr[32];
	const char *p;
	int fd = raw_connect(port), i;

	(void)state;
	raw_send(fd, four);
	raw_read(fd, resp, sizeof(resp), 4, 10000);
	p = resp;
	for (i = 0; i < 4; i++) {
		p = strstr(p, "HTTP/1.1 ");
		if (p == NULL)
			fail_msg("response %d of 4 missing: %s", i + 1, resp);
		assert_int_equal(atoi(p + 9), want[i]);
		p += 9;
	}
	close(fd);
	/* a body refused unread: answered, then the connection ends */
	fd = raw_connect(port);
	raw_send(fd, "PUT /v1/instance/settings HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
	    "GET /v1/agent HTTP/1.1\r\nHost: x\r\n\r\n");
	raw_read(fd, resp, sizeof(resp), 1, 5000);
	assert_int_equal(raw_status(resp), 401);
	raw_header(resp, "Connection", conn_hdr, sizeof(conn_hdr));
	assert_string_equal(conn_hdr, "close");
	assert_int_equal(raw_read(fd, resp, sizeof(resp), 1, 3000), 0);
	close(fd);
}

/* The slow-header attack, built here: SLOW_ADDRS addresses (127.0.0.11
 * and up) open SLOW_PER_ADDR connections each, send half a request line
 * and then a line a second, never finishing. The server has fewer
 * connection slots (32) than they open, and an inactivity timeout (30 s)
 * they never hit. max_pending_per_ip (4) holds them to 4 slots an
 * address, and header_timeout_s (2) ends those: a probe from another
 * address is answered at once while they go on, and every one of them is
 * closed within header_timeout_s + 2 s of its start. */
#define SLOW_ADDRS 6
#define SLOW_PER_ADDR 7
#define SLOW_N (SLOW_ADDRS * SLOW_PER_ADDR)
#define GUARD_HEADER_S 2
#define GUARD_PENDING 4

struct slow_conn {
	int fd;
	long long start_ms, closed_ms;
	int lines;
};

static int
raw_connect_from(const char *src, int to_port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, src, &sa.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sa.sin_port = htons((uint16_t)to_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* The next line of a request that never ends: the rest of the request
 * line, then one header after another. */
static void
slow_send(struct slow_conn *c, long long now)
{
	char line[64];

	if (c->lines == 0)
		snprintf(line, sizeof(line), "ent HTTP/1.1\r\nHost: x\r\n");
	else
		snprintf(line, sizeof(line), "X-Slow-%d: %d\r\n", c->lines,
		    c->lines);
	c->lines++;
	if (send(c->fd, line, strlen(line), MSG_NOSIGNAL) < 0)
		c->closed_ms = now;
}

/* A probe on a fresh connection: its status, and in *ms how long the
 * answer took. */
static int
probe(int to_port, long long *ms)
{
	long long t0 = ck_clock_mono_ms();
	char resp[8192];
	int fd = raw_connect(to_port), status;

	raw_send(fd, "GET /v1/instance/health HTTP/1.1\r\nHost: x\r\n"
	    BEARER_READ "\r\n\r\n");
	raw_read(fd, resp, sizeof(resp), 1, 5000);
	*ms = ck_clock_mono_ms() - t0;
	status = raw_status(resp);
	close(fd);
	return status;
}

static void
test_slow_header_attack(void **state)
{
	struct ck_agentconf *conf = load_conf_with("127.0.0.1:0", 1,
	    "\"connection_timeout_s\":30,\"max_connections\":32,"
	    "\"max_per_ip\":32,\"header_timeout_s\":2,"
	    "\"max_pending_per_ip\":4");
	struct ck_error err;
	struct ck_server *gs = ck_server_start(conf, &err);
	struct slow_conn conns[SLOW_N];
	struct pollfd pfd[SLOW_N];
	int gp, i, open_n, held = 0, refused = 0, status0, status1;
	char *log;
	size_t len;
	long long t0, now, worst = 0, probe0_ms = 0, probe1_ms = 0;

	(void)state;
	assert_non_null(gs);
	gp = ck_server_port(gs);
	t0 = ck_clock_mono_ms();
	for (i = 0; i < SLOW_N; i++) {
		char src[32];

		snprintf(src, sizeof(src), "127.0.0.%d", 11 + i % SLOW_ADDRS);
		conns[i].fd = raw_connect_from(src, gp);
		conns[i].start_ms = ck_clock_mono_ms();
		conns[i].closed_ms = 0;
		conns[i].lines = 0;
		if (send(conns[i].fd, "GET /v1/ag", 10, MSG_NOSIGNAL) < 0)
			conns[i].closed_ms = conns[i].start_ms;
	}
	usleep(200 * 1000);
	/* while they are all still sending */
	status0 = probe(gp, &probe0_ms);
	status1 = -1;
	do {
		int n = 0;

		now = ck_clock_mono_ms();
		if (status1 == -1 && now - t0 >= 1500)
			status1 = probe(gp, &probe1_ms);
		for (i = 0; i < SLOW_N; i++) {
			if (conns[i].closed_ms != 0)
				continue;
			if (now - conns[i].start_ms >= (conns[i].lines + 1) * 1000LL)
				slow_send(&conns[i], now);
			pfd[n].fd = conns[i].fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
		open_n = n;
		if (n == 0)
			break;
		poll(pfd, (nfds_t)n, 50);
		now = ck_clock_mono_ms();
		for (i = 0; i < SLOW_N; i++) {
			char buf[512];
			int j;

			for (j = 0; j < n && pfd[j].fd != conns[i].fd; j++)
				;
			if (j == n || pfd[j].revents == 0)
				continue;
			if (read(conns[i].fd, buf, sizeof(buf)) <= 0)
				conns[i].closed_ms = now;
		}
	} while (now - t0 < (GUARD_HEADER_S + 4) * 1000LL);
	for (i = 0; i < SLOW_N; i++) {
		long long lived = conns[i].closed_ms - conns[i].start_ms;

		close(conns[i].fd);
		if (conns[i].closed_ms == 0)
			fail_msg("slow connection %d still open after %d s", i,
			    GUARD_HEADER_S + 4);
		if (lived > worst)
			worst = lived;
		if (lived >= GUARD_HEADER_S * 1000LL - 100)
			held++;
		else if (lived < 1000)
			refused++;
	}
	print_message("slow-header attack: %d connections from %d addresses; "
	    "%d held, %d refused at once, longest held %lld ms; probes %d in "
	    "%lld ms, %d in %lld ms\n", SLOW_N, SLOW_ADDRS, held, refused,
	    worst, status0, probe0_ms, status1, probe1_ms);
	assert_int_equal(open_n, 0);
	assert_int_equal(status0, 200);
	assert_true(probe0_ms < 2000);
	assert_int_equal(status1, 200);
	assert_true(probe1_ms < 2000);
	assert_true(worst <= (GUARD_HEADER_S + 2) * 1000LL);
	assert_int_equal(held, SLOW_ADDRS * GUARD_PENDING);
	assert_int_equal(refused, SLOW_N - SLOW_ADDRS * GUARD_PENDING);
	ck_server_shutdown(gs, 1000);
	assert_int_equal(ck_file_read(log_path, 64 << 20, &log, &len, &err), 0);
	assert_non_null(strstr(log, "whose request headers were not in "
	    "within 2 s"));
	free(log);
}

/* A second server with operations on (exec driver, nothing runs): the
 * admission of an upload by its head, and a body that is not the one
 * declared. */
static struct ck_server *
start_ops_server(unsigned min_free_mb)
{
	char *text = ck_strdup_printf("{\n"
	    " \"listen\": \"127.0.0.1:0\",\n"
	    " \"hmac_keys\": [{\"id\":\"k1\",\"file\":\"k1.key\"}],\n"
	    " \"instance\": {\"state_dir\":\"state\",\"settings_path\":"
	    "\"settings.json\",\"openclaw_bin\":\"/bin/true\"},\n"
	    " \"journal_dir\": \"ops-journal\",\n"
	    " \"refresh_interval_s\": 3600,\n"
	    " \"operations\": {\"work_dir\":\"ops-work\",\"min_free_mb\":%u},\n"
	    " \"gateway\": {\"driver\":\"exec\",\"start\":[\"/bin/true\"],"
	    "\"stop\":[\"/bin/true\"]},\n"
	    " \"limits\": {\"connection_timeout_s\":2,"
	    "\"max_upload_bytes_in_flight\":1048576}\n"
	    "}\n", min_free_mb);
	char *path = ck_path_join(tmp, "ops-agent.json");
	struct ck_error err;
	struct ck_agentconf *conf;
	struct ck_server *s;

	write_file(tmp, "ops-agent.json", text, 0600);
	conf = ck_agentconf_load(path, NULL, &err);
	if (conf == NULL)
		fprintf(stderr, "ops agent config: %s\n", err.msg);
	assert_non_null(conf);
	s = ck_server_start(conf, &err);
	if (s == NULL)
		fprintf(stderr, "ops server: %s\n", err.msg);
	assert_non_null(s);
	free(text);
	free(path);
	return s;
}

static void
signed_upload_auth(char *auth, size_t n, char *sha, size_t sn,
    const char *body)
{
	char nonce[32];

	fresh_nonce(nonce);
	sign(auth, n, "k1", key1, "POST", "/v1/imports", (long long)time(NULL),
	    nonce, body);
	content_sha(sha, sn, body);
}

static void
test_upload_admission(void **state)
{
	struct ck_server *os = start_ops_server(1);
	int op = ck_server_port(os), fd, fd2;
	char *uploads = ck_path_join(tmp, "ops-work/uploads");
	char auth[512], sha[100], resp[4096], *head;
	const char *declared = "the archive that was signed";
	struct statvfs vfs;
	struct ck_error err;

	(void)state;
	/* a body that is not the declared one: 400, and the file is gone */
	signed_upload_auth(auth, sizeof(auth), sha, sizeof(sha), declared);
	head = upload_head(auth, sha, 27);
	fd = raw_connect(op);
	raw_send(fd, head);
	raw_send(fd, "the archive that was SENT!!");
	raw_read(fd, resp, sizeof(resp), 1, 5000);
	assert_int_equal(raw_status(resp), 400);
	assert_non_null(strstr(resp, "content_sha256_mismatch"));
	close(fd);
	free(head);
	assert_int_equal(count_files(uploads), 0);
	/* larger than the per-principal budget on its own: 413 */
	signed_upload_auth(auth, sizeof(auth), sha, sizeof(sha), declared);
	assert_int_equal(head_only(op, auth, sha, 2 << 20, resp, sizeof(resp)),
	    413);
	assert_non_null(strstr(resp, "max_upload_bytes_in_flight"));
	/* two at once that together pass it: the second gets 429 */
	signed_upload_auth(auth, sizeof(auth), sha, sizeof(sha), declared);
	head = upload_head(auth, sha, 700 << 10);
	fd = raw_connect(op);
	raw_send(fd, head);
	free(head);
	usleep(200 * 1000);
	signed_upload_auth(auth, sizeof(auth), sha, sizeof(sha), declared);
	assert_int_equal(head_only(op, auth, sha, 700 << 10, resp, sizeof(resp)),
	    429);
	assert_non_null(strstr(resp, "upload_budget_exceeded"));
	assert_non_null(strstr(resp, "key:k1"));
	close(fd);
	/* the budget comes back when the first one ends */
	usleep(300 * 1000);
	signed_upload_auth(auth, sizeof(auth), sha, sizeof(sha), declared);
	head = upload_head(auth, sha, 700 << 10);
	fd2 = raw_connect(op);
	raw_send(fd2, head);
	free(head);
	assert_int_equal(raw_read(fd2, resp, sizeof(resp), 1, 500), 0);
	close(fd2);
	/* chunked: no size to check, so no upload */
	signed_upload_auth(auth, sizeof(auth), sha, sizeof(sha), declared);
	head = ck_strdup_printf("POST /v1/imports HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/gzip\r\nTransfer-Encoding: chunked\r\n"
	    "%s\r\n%s\r\n\r\n", auth, sha);
	fd = raw_connect(op);
	raw_send(fd, head);
	raw_read(fd, resp, sizeof(resp), 1, 3000);
	assert_int_equal(raw_status(resp), 411);
	close(fd);
	free(head);
	ck_server_shutdown(os, 2000);
	/* a disk without room for it and operations.min_free_mb: 507 */
	os = start_ops_server(1 << 20);
	op = ck_server_port(os);
	assert_int_equal(statvfs(tmp, &vfs), 0);
	if ((unsigned long long)vfs.f_bavail * vfs.f_frsize < (1ULL << 40)) {
		signed_upload_auth(auth, sizeof(auth), sha, sizeof(sha), declared);
		assert_int_equal(head_only(op, auth, sha, 1000, resp,
		    sizeof(resp)), 507);
		assert_non_null(strstr(resp, "insufficient_storage"));
		assert_non_null(strstr(resp, "min_free_mb"));
	}
	ck_server_shutdown(os, 2000);
	assert_int_equal(count_files(uploads), 0);
	free(uploads);
	(void)err;
}

/* A signed request captured and replayed after the agent restarted (its
 * nonce cache is gone with it) is refused: ts is from before the start. */
static void
test_replay_after_restart(void **state)
{
	const char *path = "/v1/instance/health";
	char auth[512], nonce[32];
	struct ck_error err;
	struct resp r;

	(void)state;
	fresh_nonce(nonce);
	sign(auth, sizeof(auth), "k1", key1, "GET", path, (long long)time(NULL),
	    nonce, NULL);
	r = req("GET", path, NULL, auth, NULL);
	assert_int_equal(r.status, 200);
	free(r.body);
	ck_server_shutdown(srv, 2000);
	srv = ck_server_start(load_conf("127.0.0.1:0", 1), &err);
	assert_non_null(srv);
	port = ck_server_port(srv);
	r = req("GET", path, NULL, auth, NULL);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.body, "before the agent started"));
	free(r.body);
	/* a request signed now is accepted */
	r = signed_req("GET", path, NULL, NULL);
	assert_int_equal(r.status, 200);
	free(r.body);
}

/* ---- config and key files ---- */

static void
test_agentconf_problems(void **state)
{
	json_t *doc = json_pack("{s:{s:s, s:i}, s:{s:s, s:i, s:i}, s:s, "
	    "s:[{s:s, s:s}]}",
	    "instance", "state_dir", "/x", "bogus", 1,
	    "limits", "max_body_bytes", "lots", "header_timeout_s", 0,
	    "max_pending_per_ip", 70000,
	    "listen", "nowhere",
	    "tokens", "name", "t", "sha256", "not-a-hash");
	json_t *problems = json_array();
	struct ck_error err;
	char *joined = NULL;
	size_t i;
	json_t *p;

	(void)state;
	assert_null(ck_agentconf_from_json(doc, "/", problems, &err));
	json_array_foreach(problems, i, p) {
		char *n = ck_strdup_printf("%s|%s", joined ? joined : "",
		    json_string_value(p));
		free(joined);
		joined = n;
	}
	assert_non_null(strstr(joined, "instance.bogus: unknown field"));
	assert_non_null(strstr(joined, "limits.max_body_bytes: expected"));
	assert_non_null(strstr(joined,
	    "limits.header_timeout_s: expected an integer 1..3600"));
	assert_non_null(strstr(joined,
	    "limits.max_pending_per_ip: expected an integer 0..65535"));
	assert_non_null(strstr(joined, "listen: expected host:port"));
	assert_non_null(strstr(joined, "tokens[0].sha256"));
	assert_non_null(strstr(joined, "tokens[0].scope"));
	free(joined);
	json_decref(doc);
	json_decref(problems);
}

static void
test_key_file_mode(void **state)
{
	char *p = ck_path_join(tmp, "loose.key");
	uint8_t key[CK_KEY_MAX];
	size_t len;
	struct ck_error err;

	(void)state;
	write_file(tmp, "loose.key", key1_hex, 0644);
	assert_int_equal(ck_agentconf_read_key(p, key, &len, &err), -1);
	assert_non_null(strstr(err.msg, p));
	assert_non_null(strstr(err.msg, "0600"));
	assert_null(strstr(err.msg, key1_hex));
	chmod(p, 0600);
	assert_int_equal(ck_agentconf_read_key(p, key, &len, &err), 0);
	assert_int_equal(len, 32);
	assert_memory_equal(key, key1, 32);
	free(p);
}

/* ---- the CLI against the running server ---- */

static int
run(const char *cmd, char *out, size_t n)
{
	FILE *f = popen(cmd, "r");
	size_t got;
	int st;

	assert_non_null(f);
	got = fread(out, 1, n - 1, f);
	out[got] = '\0';
	st = pclose(f);
	remember(out, got);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_cli(void **state)
{
	char cmd[1024], out[8192];
	struct stat st;

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s call --agent http://127.0.0.1:%d "
	    "--key-id k1 --key-file %s/k1.key GET '/v1/instance/decisions?limit=1'"
	    " 2>&1", CK_BIN, port, tmp);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"decisions\""));
	write_file(tmp, "read.token", READ_TOKEN "\n", 0600);
	snprintf(cmd, sizeof(cmd), "%s call --agent http://127.0.0.1:%d "
	    "--token-file %s/read.token PUT /v1/instance/settings --data '{}' 2>&1",
	    CK_BIN, port, tmp);
	assert_int_equal(run(cmd, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "forbidden"));
	snprintf(cmd, sizeof(cmd), "%s keygen %s/new.key 2>&1", CK_BIN, tmp);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	snprintf(cmd, sizeof(cmd), "%s/new.key", tmp);
	assert_int_equal(stat(cmd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	snprintf(cmd, sizeof(cmd), "%s keygen %s/new.key 2>&1", CK_BIN, tmp);
	assert_int_equal(run(cmd, out, sizeof(out)), 1); /* O_EXCL */
	snprintf(cmd, sizeof(cmd), "%s config check %s/agent.json 2>&1", CK_BIN,
	    tmp);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	write_file(tmp, "bad-agent.json", "{\"instance\":{\"state_dir\":\"s\"},"
	    "\"tokens\":[],\"limitz\":{}}", 0600);
	snprintf(cmd, sizeof(cmd), "%s config check %s/bad-agent.json 2>&1",
	    CK_BIN, tmp);
	assert_int_equal(run(cmd, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "limitz: unknown field"));
}

/* An agent config group or others can read is refused by the loader,
 * by `config check` and by `serve`, naming the file and its mode. */
static void
test_agent_config_mode(void **state)
{
	char *text = agent_config_text("127.0.0.1:0", 1);
	char *p = ck_path_join(tmp, "loose-agent.json");
	char cmd[1024], out[4096];
	struct ck_error err;

	(void)state;
	write_file(tmp, "loose-agent.json", text, 0640);
	assert_null(ck_agentconf_load(p, NULL, &err));
	assert_non_null(strstr(err.msg, p));
	assert_non_null(strstr(err.msg, "0640"));
	snprintf(cmd, sizeof(cmd), "%s config check %s 2>&1", CK_BIN, p);
	assert_int_equal(run(cmd, out, sizeof(out)), 1);
	assert_non_null(strstr(out, p));
	assert_non_null(strstr(out, "mode 0640"));
	chmod(p, 0604);
	snprintf(cmd, sizeof(cmd), "timeout 10 %s serve --config %s 2>&1",
	    CK_BIN, p);
	assert_int_equal(run(cmd, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "mode 0604"));
	chmod(p, 0600);
	snprintf(cmd, sizeof(cmd), "%s config check %s 2>&1", CK_BIN, p);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	free(p);
	free(text);
}

/* Last: nothing secret anywhere we have seen, nor in the log. */
static void
test_no_canary_anywhere(void **state)
{
	const char *secrets[] = { CANARY_CONFIG, CANARY_CRED, READ_TOKEN,
	    OP_TOKEN, key1_hex, key2_hex, "FAKE-oauth", "sk-FAKE", NULL };
	char *log = NULL;
	size_t len, i;
	struct ck_error err;
	struct resp r;

	(void)state;
	r = req("GET", "/v1/instance/health", NULL, BEARER_READ, NULL);
	free(r.body);
	r = req("GET", "/metrics", NULL, BEARER_READ, NULL);
	free(r.body);
	assert_int_equal(ck_file_read(log_path, 64 << 20, &log, &len, &err), 0);
	assert_non_null(strstr(log, "\"audit\""));
	assert_non_null(strstr(log, "token:reader"));
	assert_non_null(strstr(log, "key:k1"));
	assert_non_null(strstr(log, "replayed_nonce"));
	for (i = 0; secrets[i] != NULL; i++) {
		if (strstr(seen, secrets[i]) != NULL)
			fail_msg("secret %zu leaked in a response", i);
		if (strstr(log, secrets[i]) != NULL)
			fail_msg("secret %zu leaked in the log", i);
	}
	assert_true(seen_len > 10000);
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_is_open),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_config_redacted),
		cmocka_unit_test(test_decisions),
		cmocka_unit_test(test_settings_cas),
		cmocka_unit_test(test_settings_bad_bodies),
		cmocka_unit_test(test_settings_secret_roundtrip),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_operations),
		cmocka_unit_test(test_404_405),
		cmocka_unit_test(test_auth_matrix),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_slow_headers_cut_off),
		cmocka_unit_test(test_unix_socket_and_reload),
		cmocka_unit_test(test_upload_refused_before_body),
		cmocka_unit_test(test_unknown_key_same_as_bad_signature),
		cmocka_unit_test(test_upload_admission),
		cmocka_unit_test(test_head_like_get),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_slow_header_attack),
		cmocka_unit_test(test_replay_after_restart),
		cmocka_unit_test(test_agentconf_problems),
		cmocka_unit_test(test_key_file_mode),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_agent_config_mode),
		cmocka_unit_test(test_no_canary_anywhere),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
