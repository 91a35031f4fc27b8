/* The agent's own config file (JSON, e.g. /etc/clawkeeper/agent.json):
 * where to listen, TLS, HMAC keys and bearer tokens, the instance's
 * paths, refresh interval and server limits. Schema in docs/api.md.
 * Relative paths are taken from the config file's directory. */
#ifndef CK_AGENTCONF_H
#define CK_AGENTCONF_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "error.h"
#include "opconf.h"

#define CK_KEY_MAX 64 /* bytes of an HMAC key */

enum ck_scope { CK_SCOPE_NONE = 0, CK_SCOPE_READ = 1, CK_SCOPE_OPERATE = 2 };

struct ck_agentconf_key {
	char *id;
	char *file;
	uint8_t key[CK_KEY_MAX];
	size_t key_len;
};

struct ck_agentconf_token {
	char *name;
	char sha256[65];    /* lowercase hex of SHA-256(token) */
	enum ck_scope scope;
};

struct ck_agentconf {
	char *path;          /* the file it was loaded from, or NULL */
	char *instance_id;
	char *listen;        /* as written */
	char *unix_path;     /* set for "unix:/path" */
	char *host;          /* set for host:port */
	unsigned port;
	char *tls_cert, *tls_key, *tls_client_ca;
	struct ck_agentconf_key *keys;
	size_t n_keys;
	struct ck_agentconf_token *tokens;
	size_t n_tokens;
	/* instance */
	char *state_dir, *config_path, *openclaw_bin, *settings_path, *log_file;
	char *journal_dir;
	unsigned refresh_interval_s;
	unsigned decision_window_s;  /* health report's decision-log window */
	/* limits */
	unsigned connection_timeout_s;
	unsigned max_connections;
	unsigned max_per_ip;
	unsigned header_timeout_s;   /* a request's headers must be in by then */
	unsigned max_pending_per_ip; /* connections waiting for headers; 0: no cap */
	size_t max_body_bytes;
	size_t max_header_bytes;
	size_t max_upload_in_flight; /* per principal: upload bytes being received */
	/* "operations" and "gateway": regenerate/upgrade/import (opconf.h) */
	struct ck_opconf ops;
};

/* Checks a parsed document. Every problem is appended to `problems` (an
 * array of strings like "limits.max_body_bytes: expected an integer
 * 1..1073741824", may be NULL); err gets the first. Key files are read
 * (mode must be 0600). Returns a new config, or NULL. base_dir: where
 * relative paths start (NULL: cwd). */
struct ck_agentconf *ck_agentconf_from_json(const json_t *doc,
					    const char *base_dir,
					    json_t *problems,
					    struct ck_error *err);
/* Reads and checks the file; refused (naming it and its mode) when group
 * or others can read it. */
struct ck_agentconf *ck_agentconf_load(const char *path, json_t *problems,
				       struct ck_error *err);
void ck_agentconf_free(struct ck_agentconf *conf);
/* Reads a key file: hex (32..64 bytes), mode 0600 or refused. */
int ck_agentconf_read_key(const char *path, uint8_t *key, size_t *key_len,
			  struct ck_error *err);
const char *ck_scope_name(enum ck_scope scope);
/* The instance the config names, as instance.h opens it. run_openclaw:
 * also its release's binary (its --version, models status); 0: files
 * only, no process (a request handler, a health report mid-operation). */
struct ck_instance_opts;
void ck_agentconf_instance(const struct ck_agentconf *c, int run_openclaw,
    struct ck_instance_opts *o);
/* The agent config's field tables (conftable.h), for `config fields`. */
struct ck_cf_section;
extern const struct ck_cf_section *const ck_agentconf_sections[];
extern const size_t ck_agentconf_n_sections;

#endif
