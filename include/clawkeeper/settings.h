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

#endif
