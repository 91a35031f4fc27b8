/* The agent's own config file: parsed from JSON into struct ck_agentconf,
 * every unknown or bad field named path-style ("limits.max_body_bytes"),
 * the file itself and the HMAC key files refused unless mode 0600. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/conftable.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/instance.h"

#define CONF_FILE_MAX (1024 * 1024)
#define MAX_HMAC_KEYS 2
#define MAX_TOKENS 64

#define F(type, member) CK_CF_##type, offsetof(struct ck_agentconf, member)

/* The agent config's fields: conftable.h reads them, `clawkeeper config
 * fields` prints them, tests/cli/conf_fields.sh holds clawkeeper.json(5)
 * to them. The custom ones are read below. */
static const struct ck_cf_field top_fields[] = {
	{ "instance_id", F(STRING, instance_id), .dflt_doc = "the host name",
	  .doc = "shown by GET /v1/agent" },
	{ "listen", F(STRING, listen), .dflt_str = "127.0.0.1:7600",
	  .doc = "host:port, [v6]:port or unix:/absolute/path" },
	{ "journal_dir", F(PATH, journal_dir), .dflt_str = "/var/lib/clawkeeper/operations",
	  .doc = "the operations journal, one JSON file per operation" },
	{ "refresh_interval_s", F(UNSIGNED, refresh_interval_s), .lo = 1, .hi = 86400,
	  .dflt = 60, .doc = "how often the cached health report is recomputed" },
	{ "decision_window_s", F(UNSIGNED, decision_window_s), .lo = 60, .hi = 90 * 86400,
	  .dflt = 86400, .doc = "the decision-log window of the health report" },
	{ "tls", CK_CF_CUSTOM, 0, .doc = "HTTPS: cert, key, client_ca" },
	{ "hmac_keys", CK_CF_CUSTOM, 0, .doc = "at most two {id, file}" },
	{ "tokens", CK_CF_CUSTOM, 0, .doc = "bearer tokens {name, sha256, scope}", .secret = 1 },
	{ "instance", CK_CF_CUSTOM, 0, .doc = "where the OpenClaw instance is" },
	{ "limits", CK_CF_CUSTOM, 0, .doc = "the HTTP server's limits" },
	{ "operations", CK_CF_CUSTOM, 0, .doc = "how regenerate, upgrade and import run" },
	{ "gateway", CK_CF_CUSTOM, 0, .doc = "how the gateway is started, stopped and watched" },
};
static const struct ck_cf_section top_section = { "", top_fields, CK_CF_N(top_fields) };

static const struct ck_cf_field tls_fields[] = {
	{ "cert", F(PATH, tls_cert), .doc = "PEM certificate; goes with key" },
	{ "key", F(PATH, tls_key), .doc = "PEM private key; goes with cert" },
	{ "client_ca", F(PATH, tls_client_ca), .doc = "require client certificates from this CA" },
};
static const struct ck_cf_section tls_section = { "tls", tls_fields, CK_CF_N(tls_fields) };

static const struct ck_cf_field instance_fields[] = {
	{ "state_dir", F(PATH, state_dir), .doc = "the instance's OPENCLAW_STATE_DIR (required)" },
	{ "config_path", F(PATH, config_path), .dflt_doc = "<state_dir>/openclaw.json",
	  .doc = "its OPENCLAW_CONFIG_PATH" },
	{ "openclaw_bin", F(PATH, openclaw_bin), .doc = "the installed release's openclaw" },
	{ "settings_path", F(PATH, settings_path), .dflt_str = "/var/lib/clawkeeper/settings.json",
	  .doc = "the desired settings the control plane owns" },
	{ "log_file", F(PATH, log_file), .dflt_doc = "logging.file, else /tmp/openclaw/openclaw-<date>.log",
	  .doc = "the gateway's file log" },
};
static const struct ck_cf_section instance_section = { "instance", instance_fields,
	CK_CF_N(instance_fields) };

static const struct ck_cf_field limits_fields[] = {
	{ "connection_timeout_s", F(UNSIGNED, connection_timeout_s), .lo = 1, .hi = 3600,
	  .dflt = 30, .doc = "an idle connection is closed after this" },
	{ "header_timeout_s", F(UNSIGNED, header_timeout_s), .lo = 1, .hi = 3600,
	  .dflt = 10, .doc = "a request's headers must be in by then" },
	{ "max_connections", F(UNSIGNED, max_connections), .lo = 1, .hi = 65535,
	  .dflt = 128, .doc = "connections at once" },
	{ "max_per_ip", F(UNSIGNED, max_per_ip), .lo = 0, .hi = 65535,
	  .dflt = 32, .doc = "connections per client address (0: no cap)" },
	{ "max_pending_per_ip", F(UNSIGNED, max_pending_per_ip), .lo = 0, .hi = 65535,
	  .dflt = 4, .doc = "connections per address waiting for their headers (0: no cap)" },
	{ "max_body_bytes", F(SIZE, max_body_bytes), .lo = 1, .hi = 1LL << 30,
	  .dflt = 1024 * 1024, .doc = "a JSON body's size" },
	{ "max_header_bytes", F(SIZE, max_header_bytes), .lo = 4096, .hi = 1 << 20,
	  .dflt = 16384, .doc = "a request's headers" },
	{ "max_upload_bytes_in_flight", F(SIZE, max_upload_in_flight), .lo = 1, .hi = 1LL << 42,
	  .dflt = 4LL << 30, .doc = "per key or token: archive bytes being received" },
};
static const struct ck_cf_section limits_section = { "limits", limits_fields,
	CK_CF_N(limits_fields) };

#define FK(type, member) CK_CF_##type, offsetof(struct ck_agentconf_key, member)
static const struct ck_cf_field key_fields[] = {
	{ "id", FK(STRING, id), .doc = "the keyId of the Authorization header" },
	{ "file", FK(PATH, file), .doc = "64 to 128 hex digits, mode 0600" },
};
#define FT(type, member) CK_CF_##type, offsetof(struct ck_agentconf_token, member)
static const struct ck_cf_field token_fields[] = {
	{ "name", FT(STRING, name), .doc = "the audit log's principal (token:<name>)" },
	{ "sha256", CK_CF_CUSTOM, 0, .doc = "the token's SHA-256, never the token", .secret = 1 },
	{ "scope", CK_CF_CUSTOM, 0, .doc = "read or operate" },
};

/* for `config fields` (the readers build these per array item) */
static const struct ck_cf_section key_item = { "hmac_keys[]", key_fields, CK_CF_N(key_fields) };
static const struct ck_cf_section token_item = { "tokens[]", token_fields, CK_CF_N(token_fields) };

const struct ck_cf_section *const ck_agentconf_sections[] = {
	&top_section, &tls_section, &key_item, &token_item, &instance_section, &limits_section,
};
const size_t ck_agentconf_n_sections = CK_CF_N(ck_agentconf_sections);

void
ck_agentconf_instance(const struct ck_agentconf *c, int run_openclaw,
    struct ck_instance_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->state_dir = c->state_dir;
	o->config_path = c->config_path;
	o->openclaw_bin = run_openclaw ? c->openclaw_bin : NULL;
	o->log_file = c->log_file;
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

static void
parse_listen(struct ck_cf_ctx *p, struct ck_agentconf *c)
{
	const char *s = c->listen;
	const char *colon;
	char *end;
	long port;

	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/')
			ck_cf_bad(p, "listen: unix socket path must be absolute");
		else
			c->unix_path = strdup(s + 5);
		return;
	}
	colon = strrchr(s, ':');
	if (colon == NULL || colon == s) {
		ck_cf_bad(p, "listen: expected host:port or unix:/path, got \"%s\"", s);
		return;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port < 0 ||
	    port > 65535) {
		ck_cf_bad(p, "listen: bad port in \"%s\"", s);
		return;
	}
	c->port = (unsigned)port;
	if (s[0] == '[' && colon[-1] == ']')
		c->host = strndup(s + 1, (size_t)(colon - s - 2));
	else
		c->host = strndup(s, (size_t)(colon - s));
}

static void
parse_tls(struct ck_cf_ctx *p, const json_t *tls, struct ck_agentconf *c)
{
	if (!json_is_object(tls)) {
		ck_cf_bad(p, "tls: expected an object");
		return;
	}
	ck_cf_read(p, &tls_section, tls, c);
	if ((c->tls_cert == NULL) != (c->tls_key == NULL))
		ck_cf_bad(p, "tls: cert and key go together");
	if (c->tls_client_ca != NULL && c->tls_cert == NULL)
		ck_cf_bad(p, "tls.client_ca: needs tls.cert and tls.key");
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
parse_keys(struct ck_cf_ctx *p, const json_t *arr, struct ck_agentconf *c)
{
	json_t *item;
	size_t i, j;

	if (!json_is_array(arr) || json_array_size(arr) > MAX_HMAC_KEYS) {
		ck_cf_bad(p, "hmac_keys: expected an array of at most %d keys (two "
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

		struct ck_cf_section sec = { where, key_fields, CK_CF_N(key_fields) };

		snprintf(where, sizeof(where), "hmac_keys[%zu]", i);
		if (!json_is_object(item)) {
			ck_cf_bad(p, "%s: expected an object", where);
			continue;
		}
		ck_cf_read(p, &sec, item, k);
		if (k->id == NULL || k->file == NULL) {
			ck_cf_bad(p, "%s: needs id and file", where);
			free(k->id);
			free(k->file);
			memset(k, 0, sizeof(*k));
			continue;
		}
		for (j = 0; j < c->n_keys; j++)
			if (strcmp(c->keys[j].id, k->id) == 0)
				ck_cf_bad(p, "%s.id: duplicate key id \"%s\"", where, k->id);
		if (ck_agentconf_read_key(k->file, k->key, &k->key_len, &kerr) != 0)
			ck_cf_bad(p, "%s.file: %s", where, kerr.msg);
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
parse_tokens(struct ck_cf_ctx *p, const json_t *arr, struct ck_agentconf *c)
{
	json_t *item;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) > MAX_TOKENS) {
		ck_cf_bad(p, "tokens: expected an array of at most %d tokens", MAX_TOKENS);
		return;
	}
	c->tokens = calloc(json_array_size(arr) + 1, sizeof(*c->tokens));
	if (c->tokens == NULL)
		return;
	json_array_foreach(arr, i, item) {
		struct ck_agentconf_token *t = &c->tokens[c->n_tokens];
		const char *sha, *scope;
		char where[32];

		struct ck_cf_section sec = { where, token_fields, CK_CF_N(token_fields) };

		snprintf(where, sizeof(where), "tokens[%zu]", i);
		if (!json_is_object(item)) {
			ck_cf_bad(p, "%s: expected an object", where);
			continue;
		}
		ck_cf_read(p, &sec, item, t);
		sha = json_string_value(json_object_get(item, "sha256"));
		scope = json_string_value(json_object_get(item, "scope"));
		if (t->name == NULL)
			ck_cf_bad(p, "%s.name: required", where);
		if (sha == NULL || !is_hex64(sha))
			ck_cf_bad(p, "%s.sha256: expected 64 lowercase hex digits, the "
			    "SHA-256 of the token (sha256sum), never the token", where);
		else
			memcpy(t->sha256, sha, 65);
		if (scope != NULL && strcmp(scope, "read") == 0)
			t->scope = CK_SCOPE_READ;
		else if (scope != NULL && strcmp(scope, "operate") == 0)
			t->scope = CK_SCOPE_OPERATE;
		else
			ck_cf_bad(p, "%s.scope: expected \"read\" or \"operate\"", where);
		if (t->name == NULL) {
			memset(t, 0, sizeof(*t));
			continue;
		}
		c->n_tokens++;
	}
}

static void
parse_instance(struct ck_cf_ctx *p, const json_t *inst, struct ck_agentconf *c)
{
	if (!json_is_object(inst)) {
		ck_cf_bad(p, "instance: expected an object");
		return;
	}
	ck_cf_read(p, &instance_section, inst, c);
	if (c->state_dir == NULL)
		ck_cf_bad(p, "instance.state_dir: required");
}

static void
set_defaults(struct ck_agentconf *c)
{
	char host[256];

	ck_cf_defaults(&top_section, c);
	ck_cf_defaults(&instance_section, c);
	ck_cf_defaults(&limits_section, c);
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	c->instance_id = strdup(host);
}

struct ck_agentconf *
ck_agentconf_from_json(const json_t *doc, const char *base_dir,
    json_t *problems, struct ck_error *err)
{
	struct ck_cf_ctx p = { problems, err, 0, base_dir };
	struct ck_agentconf *c;
	json_t *v;

	if (!json_is_object(doc)) {
		ck_cf_bad(&p, "agent config: expected a JSON object");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ck_error_set(err, "out of memory");
		return NULL;
	}
	set_defaults(c);
	ck_cf_read(&p, &top_section, doc, c);
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
		ck_cf_bad(&p, "instance: required (instance.state_dir at least)");
	ck_cf_read(&p, &limits_section, json_object_get(doc, "limits"), c);
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
			ck_cf_bad(&p, "%s", json_string_value(m));
		json_decref(probs);
	}
	if (c->n_keys == 0 && c->n_tokens == 0 && p.n_bad == 0)
		ck_cf_bad(&p, "hmac_keys, tokens: none configured, so every route "
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
