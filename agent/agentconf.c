/* The agent's own config file: parsed from JSON into struct ck_agentconf,
 * every unknown or bad field named path-style ("limits.max_body_bytes"),
 * the file itself and the HMAC key files refused unless mode 0600. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"

#define CONF_FILE_MAX (1024 * 1024)
#define MAX_HMAC_KEYS 2
#define MAX_TOKENS 64

struct parse {
	json_t *problems;
	struct ck_error *err;
	int n_bad;
	const char *base_dir;
};

static void bad(struct parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
bad(struct parse *p, const char *fmt, ...)
{
	char msg[CK_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->n_bad++ == 0)
		ck_error_set(p->err, "%s", msg);
	if (p->problems != NULL)
		json_array_append_new(p->problems, json_string(msg));
}

const char *
ck_scope_name(enum ck_scope scope)
{
	switch (scope) {
	case CK_SCOPE_READ:
		return "read";
	case CK_SCOPE_OPERATE:
		return "operate";
	default:
		return "none";
	}
}

/* Names every key of obj not in `allowed`. */
static void
check_keys(struct parse *p, const json_t *obj, const char *where,
    const char *const *allowed)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, k, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			bad(p, "%s%s%s: unknown field", where, *where ? "." : "", k);
	}
}

static char *
resolve(struct parse *p, const char *path)
{
	if (path[0] == '/' || p->base_dir == NULL)
		return strdup(path);
	return ck_path_join(p->base_dir, path);
}

/* A string field; absent leaves *out as is. as_path resolves it. */
static void
get_str(struct parse *p, const json_t *obj, const char *where,
    const char *key, int as_path, char **out)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	if (v == NULL)
		return;
	s = json_string_value(v);
	if (s == NULL || s[0] == '\0') {
		bad(p, "%s%s%s: expected a non-empty string", where,
		    *where ? "." : "", key);
		return;
	}
	free(*out);
	*out = as_path ? resolve(p, s) : strdup(s);
}

static void
get_uint(struct parse *p, const json_t *obj, const char *where,
    const char *key, long long lo, long long hi, size_t *out)
{
	json_t *v = json_object_get(obj, key);
	long long n;

	if (v == NULL)
		return;
	n = json_is_integer(v) ? json_integer_value(v) : lo - 1;
	if (n < lo || n > hi) {
		bad(p, "%s%s%s: expected an integer %lld..%lld", where,
		    *where ? "." : "", key, lo, hi);
		return;
	}
	*out = (size_t)n;
}

static void
get_unsigned(struct parse *p, const json_t *obj, const char *where,
    const char *key, long long lo, long long hi, unsigned *out)
{
	size_t v = *out;

	get_uint(p, obj, where, key, lo, hi, &v);
	*out = (unsigned)v;
}

static void
parse_listen(struct parse *p, struct ck_agentconf *c)
{
	const char *s = c->listen;
	const char *colon;
	char *end;
	long port;

	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/')
			bad(p, "listen: unix socket path must be absolute");
		else
			c->unix_path = strdup(s + 5);
		return;
	}
	colon = strrchr(s, ':');
	if (colon == NULL || colon == s) {
		bad(p, "listen: expected host:port or unix:/path, got \"%s\"", s);
		return;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port < 0 ||
	    port > 65535) {
		bad(p, "listen: bad port in \"%s\"", s);
		return;
	}
	c->port = (unsigned)port;
	if (s[0] == '[' && colon[-1] == ']')
		c->host = strndup(s + 1, (size_t)(colon - s - 2));
	else
		c->host = strndup(s, (size_t)(colon - s));
}

static void
parse_tls(struct parse *p, const json_t *tls, struct ck_agentconf *c)
{
	static const char *const keys[] = { "cert", "key", "client_ca", NULL };

	if (!json_is_object(tls)) {
		bad(p, "tls: expected an object");
		return;
	}
	check_keys(p, tls, "tls", keys);
	get_str(p, tls, "tls", "cert", 1, &c->tls_cert);
	get_str(p, tls, "tls", "key", 1, &c->tls_key);
	get_str(p, tls, "tls", "client_ca", 1, &c->tls_client_ca);
	if ((c->tls_cert == NULL) != (c->tls_key == NULL))
		bad(p, "tls: cert and key go together");
	if (c->tls_client_ca != NULL && c->tls_cert == NULL)
		bad(p, "tls.client_ca: needs tls.cert and tls.key");
}

int
ck_agentconf_read_key(const char *path, uint8_t *key, size_t *key_len,
    struct ck_error *err)
{
	struct stat st;
	char buf[2 * CK_KEY_MAX + 8];
	ssize_t n;
	int fd, len;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ck_error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ck_error_set(err, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 0077) != 0) {
		ck_error_set(err, "%s: mode %04o, key files must be 0600 "
		    "(chmod 600 %s)", path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		ck_error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	len = ck_hex_decode(buf, key, CK_KEY_MAX);
	explicit_bzero(buf, sizeof(buf));
	if (len < 32) {
		ck_error_set(err, "%s: expected 64 to 128 hex digits (32 to 64 "
		    "bytes; clawkeeper keygen writes one)", path);
		return -1;
	}
	*key_len = (size_t)len;
	return 0;
}

static void
parse_keys(struct parse *p, const json_t *arr, struct ck_agentconf *c)
{
	static const char *const keys[] = { "id", "file", NULL };
	json_t *item;
	size_t i, j;

	if (!json_is_array(arr) || json_array_size(arr) > MAX_HMAC_KEYS) {
		bad(p, "hmac_keys: expected an array of at most %d keys (two "
		    "during a rotation)", MAX_HMAC_KEYS);
		return;
	}
	c->keys = calloc(json_array_size(arr) + 1, sizeof(*c->keys));
	if (c->keys == NULL)
		return;
	json_array_foreach(arr, i, item) {
		struct ck_agentconf_key *k = &c->keys[c->n_keys];
		char where[32];
		struct ck_error kerr;

		snprintf(where, sizeof(where), "hmac_keys[%zu]", i);
		if (!json_is_object(item)) {
			bad(p, "%s: expected an object", where);
			continue;
		}
		check_keys(p, item, where, keys);
		get_str(p, item, where, "id", 0, &k->id);
		get_str(p, item, where, "file", 1, &k->file);
		if (k->id == NULL || k->file == NULL) {
			bad(p, "%s: needs id and file", where);
			free(k->id);
			free(k->file);
			memset(k, 0, sizeof(*k));
			continue;
		}
		for (j = 0; j < c->n_keys; j++)
			if (strcmp(c->keys[j].id, k->id) == 0)
				bad(p, "%s.id: duplicate key id \"%s\"", where, k->id);
		if (ck_agentconf_read_key(k->file, k->key, &k->key_len, &kerr) != 0)
			bad(p, "%s.file: %s", where, kerr.msg);
		c->n_keys++;
	}
}

static int
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static void
parse_tokens(struct parse *p, const json_t *arr, struct ck_agentconf *c)
{
	static const char *const keys[] = { "name", "sha256", "scope", NULL };
	json_t *item;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) > MAX_TOKENS) {
		bad(p, "tokens: expected an array of at most %d tokens", MAX_TOKENS);
		return;
	}
	c->tokens = calloc(json_array_size(arr) + 1, sizeof(*c->tokens));
	if (c->tokens == NULL)
		return;
	json_array_foreach(arr, i, item) {
		struct ck_agentconf_token *t = &c->tokens[c->n_tokens];
		const char *sha, *scope;
		char where[32];

		snprintf(where, sizeof(where), "tokens[%zu]", i);
		if (!json_is_object(item)) {
			bad(p, "%s: expected an object", where);
			continue;
		}
		check_keys(p, item, where, keys);
		get_str(p, item, where, "name", 0, &t->name);
		sha = json_string_value(json_object_get(item, "sha256"));
		scope = json_string_value(json_object_get(item, "scope"));
		if (t->name == NULL)
			bad(p, "%s.name: required", where);
		if (sha == NULL || !is_hex64(sha))
			bad(p, "%s.sha256: expected 64 lowercase hex digits, the "
			    "SHA-256 of the token (sha256sum), never the token", where);
		else
			memcpy(t->sha256, sha, 65);
		if (scope != NULL && strcmp(scope, "read") == 0)
			t->scope = CK_SCOPE_READ;
		else if (scope != NULL && strcmp(scope, "operate") == 0)
			t->scope = CK_SCOPE_OPERATE;
		else
			bad(p, "%s.scope: expected \"read\" or \"operate\"", where);
		if (t->name == NULL) {
			memset(t, 0, sizeof(*t));
			continue;
		}
		c->n_tokens++;
	}
}

static void
parse_instance(struct parse *p, const json_t *inst, struct ck_agentconf *c)
{
	static const char *const keys[] = { "state_dir", "config_path",
	    "openclaw_bin", "settings_path", "log_file", NULL };

	if (!json_is_object(inst)) {
		bad(p, "instance: expected an object");
		return;
	}
	check_keys(p, inst, "instance", keys);
	get_str(p, inst, "instance", "state_dir", 1, &c->state_dir);
	get_str(p, inst, "instance", "config_path", 1, &c->config_path);
	get_str(p, inst, "instance", "openclaw_bin", 1, &c->openclaw_bin);
	get_str(p, inst, "instance", "settings_path", 1, &c->settings_path);
	get_str(p, inst, "instance", "log_file", 1, &c->log_file);
	if (c->state_dir == NULL)
		bad(p, "instance.state_dir: required");
}

static void
parse_limits(struct parse *p, const json_t *lim, struct ck_agentconf *c)
{
	static const char *const keys[] = { "connection_timeout_s",
	    "max_connections", "max_per_ip", "max_body_bytes",
	    "max_header_bytes", "max_upload_bytes_in_flight",
	    "header_timeout_s", "max_pending_per_ip", NULL };

	if (!json_is_object(lim)) {
		bad(p, "limits: expected an object");
		return;
	}
	check_keys(p, lim, "limits", keys);
	get_unsigned(p, lim, "limits", "connection_timeout_s", 1, 3600,
	    &c->connection_timeout_s);
	get_unsigned(p, lim, "limits", "max_connections", 1, 65535,
	    &c->max_connections);
	get_unsigned(p, lim, "limits", "max_per_ip", 0, 65535, &c->max_per_ip);
	get_unsigned(p, lim, "limits", "header_timeout_s", 1, 3600,
	    &c->header_timeout_s);
	get_unsigned(p, lim, "limits", "max_pending_per_ip", 0, 65535,
	    &c->max_pending_per_ip);
	get_uint(p, lim, "limits", "max_body_bytes", 1, 1LL << 30,
	    &c->max_body_bytes);
	get_uint(p, lim, "limits", "max_header_bytes", 4096, 1 << 20,
	    &c->max_header_bytes);
	get_uint(p, lim, "limits", "max_upload_bytes_in_flight", 1,
	    1LL << 42, &c->max_upload_in_flight);
}

static void
set_defaults(struct ck_agentconf *c)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	c->instance_id = strdup(host);
	c->listen = strdup("127.0.0.1:7600");
	c->journal_dir = strdup("/var/lib/clawkeeper/operations");
	c->settings_path = strdup("/var/lib/clawkeeper/settings.json");
	c->refresh_interval_s = 60;
	c->decision_window_s = 86400;
	c->connection_timeout_s = 30;
	c->max_connections = 128;
	c->max_per_ip = 32;
	c->header_timeout_s = 10;
	c->max_pending_per_ip = 4;
	c->max_body_bytes = 1024 * 1024;
	c->max_header_bytes = 16384;
	/* one archive of the largest size at a time per key or token */
	c->max_upload_in_flight = (size_t)4 << 30;
}

struct ck_agentconf *
ck_agentconf_from_json(const json_t *doc, const char *base_dir,
    json_t *problems, struct ck_error *err)
{
	static const char *const keys[] = { "instance_id", "listen", "tls",
	    "hmac_keys", "tokens", "instance", "journal_dir",
	    "refresh_interval_s", "decision_window_s", "limits", "operations",
	    "gateway", NULL };
	struct parse p = { problems, err, 0, base_dir };
	struct ck_agentconf *c;
	json_t *v;

	if (!json_is_object(doc)) {
		bad(&p, "agent config: expected a JSON object");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ck_error_set(err, "out of memory");
		return NULL;
	}
	set_defaults(c);
	check_keys(&p, doc, "", keys);
	get_str(&p, doc, "", "instance_id", 0, &c->instance_id);
	get_str(&p, doc, "", "listen", 0, &c->listen);
	get_str(&p, doc, "", "journal_dir", 1, &c->journal_dir);
	get_unsigned(&p, doc, "", "refresh_interval_s", 1, 86400,
	    &c->refresh_interval_s);
	get_unsigned(&p, doc, "", "decision_window_s", 60, 90 * 86400,
	    &c->decision_window_s);
	parse_listen(&p, c);
	if ((v = json_object_get(doc, "tls")) != NULL)
		parse_tls(&p, v, c);
	if ((v = json_object_get(doc, "hmac_keys")) != NULL)
		parse_keys(&p, v, c);
	if ((v = json_object_get(doc, "tokens")) != NULL)
		parse_tokens(&p, v, c);
	if ((v = json_object_get(doc, "instance")) != NULL)
		parse_instance(&p, v, c);
	else
		bad(&p, "instance: required (instance.state_dir at least)");
	if ((v = json_object_get(doc, "limits")) != NULL)
		parse_limits(&p, v, c);
	{
		json_t *probs = json_array();
		struct ck_error oerr;
		size_t i;
		json_t *m;

		struct ck_opconf_instance oi = { c->state_dir, c->config_path,
		    c->openclaw_bin };

		ck_opconf_parse_for(&c->ops, json_object_get(doc, "operations"),
		    json_object_get(doc, "gateway"), &oi, base_dir, probs, &oerr);
		json_array_foreach(probs, i, m)
			bad(&p, "%s", json_string_value(m));
		json_decref(probs);
	}
	if (c->n_keys == 0 && c->n_tokens == 0 && p.n_bad == 0)
		bad(&p, "hmac_keys, tokens: none configured, so every route "
		    "but GET /v1/agent would refuse every request");
	if (p.n_bad > 0) {
		ck_agentconf_free(c);
		return NULL;
	}
	return c;
}

/* The config names the key files and holds the token hashes (a hash of
 * a short token can be guessed offline): nobody but its owner may read
 * it, as for the key files. A symlink is judged by its target. */
static int
check_conf_mode(const char *path, struct ck_error *err)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		ck_error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & 0077) != 0) {
		ck_error_set(err, "%s: mode %04o, the agent config must not be "
		    "readable by group or others (chmod 600 %s)", path,
		    (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

struct ck_agentconf *
ck_agentconf_load(const char *path, json_t *problems, struct ck_error *err)
{
	char *buf = NULL, *dir, *slash;
	size_t len;
	json_t *doc;
	json_error_t jerr;
	struct ck_agentconf *c;

	if (check_conf_mode(path, err) != 0 ||
	    ck_file_read(path, CONF_FILE_MAX, &buf, &len, err) != 0) {
		if (problems != NULL)
			json_array_append_new(problems, json_string(err->msg));
		return NULL;
	}
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (doc == NULL) {
		ck_error_set(err, "%s:%d:%d: %s", path, jerr.line, jerr.column,
		    jerr.text);
		if (problems != NULL)
			json_array_append_new(problems, json_string(err->msg));
		return NULL;
	}
	dir = strdup(path);
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash != NULL)
		*slash = '\0';
	c = ck_agentconf_from_json(doc, slash ? (dir[0] ? dir : "/") : NULL,
	    problems, err);
	json_decref(doc);
	free(dir);
	if (c == NULL) {
		ck_error_prefix(err, "%s: ", path);
		return NULL;
	}
	c->path = strdup(path);
	return c;
}

void
ck_agentconf_free(struct ck_agentconf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_keys; i++) {
		free(c->keys[i].id);
		free(c->keys[i].file);
	}
	if (c->keys != NULL)
		explicit_bzero(c->keys, c->n_keys * sizeof(*c->keys));
	free(c->keys);
	for (i = 0; i < c->n_tokens; i++)
		free(c->tokens[i].name);
	free(c->tokens);
	free(c->path);
	free(c->instance_id);
	free(c->listen);
	free(c->unix_path);
	free(c->host);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_client_ca);
	free(c->state_dir);
	free(c->config_path);
	free(c->openclaw_bin);
	free(c->settings_path);
	ck_opconf_free(&c->ops);
	free(c->log_file);
	free(c->journal_dir);
	free(c);
}
