/* Credential health: one entry per auth profile
 * {provider, profile, type, status, expires_at, fingerprint} with status
 * ok | expiring | expired | missing | static | cooldown | disabled
 * (expiring = within 24 h). Sources: auth-profiles.json + auth-state.json
 * (<= 2026.6), the authProfiles.store/state rows of state/openclaw.sqlite
 * (2026.7+, opened read-only), or `openclaw models status --json` when a
 * binary is given. Never returns a secret, only fingerprints. */
#ifndef CK_CREDENTIALS_H
#define CK_CREDENTIALS_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"
#include "instance.h"

#define CK_EXPIRING_WINDOW_MS (24LL * 3600 * 1000)

/* Returns a new array of credential entries and appends CREDENTIAL_*
 * findings. now_ms: current time (tests pin it).
 *
 * Entry keys: provider, profile (null for "missing"), type (api_key |
 * token | oauth | null), status, credential_status (status before any
 * cooldown is applied), effective (counts for the provider the way
 * `models status` counts it), in_use (a model chain needs the provider),
 * expires_at (ISO 8601 or null), expires_in_s, fingerprint, cooldown_until,
 * reason, surface ("defaults" | "agent:<id>"), source ("auth-profiles.json"
 * | "openclaw-agent.sqlite" | "openclaw.sqlite" | "openclaw.json" |
 * "models status").
 * Extra finding codes next to CREDENTIAL_{EXPIRED,EXPIRING,MISSING,COOLDOWN}:
 * CREDENTIAL_STORE_UNREADABLE and CREDENTIAL_STATUS_UNAVAILABLE (the binary
 * failed; the files were read instead). */
json_t *ck_credentials_health(const struct ck_instance *inst, long long now_ms,
			      json_t *findings);

/* A provider's status as `models status` reports it in
 * auth.oauth.providers[].status, computed from the entries above:
 * static | ok | expiring | expired | missing. */
const char *ck_credentials_provider_status(const json_t *entries,
					   const char *provider);

/* Every reader below takes `root`, the directory the files must resolve
 * beneath (the instance's state dir): a store reached through a link out
 * of it is not read, and the reader fails with "<path>: resolves outside
 * <root> ...". root NULL: only the file's last component is confined.
 *
 * Reads <agent_dir>/auth-profiles.json and auth-state.json. Each out
 * pointer is set to a new object, or NULL when that file does not exist.
 * -1 with "path:line:col: why" when a file exists but is not valid JSON. */
int ck_credentials_read_json(const char *root, const char *agent_dir,
			     json_t **store, json_t **state, struct ck_error *err);

/* Reads the authProfiles.store / authProfiles.state rows of
 * config_machine_state in a 2026.7+ state db, opened read-only and
 * immutable. Returns 1 when the store row exists, 0 when the db, table or
 * row is absent, -1 when the file is not a readable SQLite db or a row is
 * not JSON. */
int ck_credentials_read_sqlite(const char *root, const char *db_path,
			       json_t **store, json_t **state, struct ck_error *err);

/* Reads the "primary" rows of auth_profile_store / auth_profile_state in
 * <agent_dir>/openclaw-agent.sqlite, where 2026.6.35 - 2026.7.35 keep the
 * credentials (same JSON as auth-profiles.json / auth-state.json), the
 * same way. Returns as ck_credentials_read_sqlite. */
int ck_credentials_read_agent_db(const char *root, const char *agent_dir,
				 json_t **store, json_t **state, struct ck_error *err);

/* The object printed by `openclaw models status --json`, tolerating ANSI
 * colour codes and banner lines before it and text after it. NULL with a
 * message when there is none or it is {"ok":false,"error":{...}}. */
json_t *ck_credentials_parse_status(const char *buf, size_t len,
				    struct ck_error *err);

#endif
