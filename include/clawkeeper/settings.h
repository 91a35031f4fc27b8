/* Desired settings: the JSON file the control plane owns. Schema
 * (docs/settings.md):
 * {
 *   "primary": "openai-codex/gpt-5.5",          required
 *   "fallbacks": ["anthropic/claude-sonnet-4-6"], optional, default []
 *   "agents": {"<id>": {"primary": "...", "fallbacks": [...]}}, optional
 *   "providers": {"<id>": {...provider config...}} optional
 * }
 * Unknown keys are refused, each bad field is named. */
#ifndef CK_SETTINGS_H
#define CK_SETTINGS_H

#include <jansson.h>
#include "error.h"

/* Largest settings file accepted. */
#define CK_SETTINGS_MAX_BYTES (1024 * 1024)

/* Returns 0 when doc follows the schema, or -1 with err naming the first
 * bad field ("settings: fallbacks[2]: expected \"provider/model\", got 42").
 * Provider values are never quoted in a message (they may hold keys). */
int ck_settings_validate(const json_t *doc, struct ck_error *err);
/* Reads plain JSON (duplicate keys refused) and validates it. Returns a
 * new reference, or NULL with err ("/x/settings.json:3:14: ..." for syntax,
 * "/x/settings.json: fallbacks[2]: ..." for schema). */
json_t *ck_settings_load(const char *path, struct ck_error *err);
/* 1 when s is a "provider/model" ref the schema accepts. */
int ck_settings_ref_valid(const char *s);

/* The stored settings as a client sees them: GET /v1/instance/settings
 * and `clawkeeper settings get` both read them here. etag is the quoted
 * SHA-256 of the stored bytes ("\"<64 hex>\""). */
#define CK_SETTINGS_ETAG_LEN 67
enum ck_settings_result {
	CK_SETTINGS_OK,
	CK_SETTINGS_MISSING,       /* no settings stored yet */
	CK_SETTINGS_UNREADABLE,    /* stored file unreadable or not JSON */
	CK_SETTINGS_NEED_MATCH,    /* settings exist and no if_match was given */
	CK_SETTINGS_STALE,         /* if_match is not the stored ETag */
	CK_SETTINGS_INVALID,       /* the new settings break the schema */
	CK_SETTINGS_UNWRITABLE,
};
/* *out: the stored settings with every secret replaced by its
 * fingerprint (redact.h); never the secret. */
enum ck_settings_result ck_settings_get(const char *path, json_t **out,
    char etag[CK_SETTINGS_ETAG_LEN], struct ck_error *err);
/* Compare-and-set: writes doc (0600, atomically) when if_match is the
 * stored ETag or "*", or when nothing is stored and if_match is NULL.
 * A fingerprint in doc where the stored settings hold a secret keeps the
 * stored secret (ck_redact_restore), so a GET-modify-PUT loses none. On
 * CK_SETTINGS_OK, *out is what a GET now answers and etag the new ETag.
 * Serialized within the process and, by a lock on the settings'
 * directory, against another process (the CLI beside the serving agent). */
enum ck_settings_result ck_settings_put(const char *path, json_t *doc,
    const char *if_match, json_t **out, char etag[CK_SETTINGS_ETAG_LEN],
    struct ck_error *err);

#endif
