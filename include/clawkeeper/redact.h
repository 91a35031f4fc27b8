/* Redaction: replace the values of secret-looking keys in a JSON document
 * with their fingerprints (hash.h) before it leaves the agent, and put the
 * real values back when a client echoes a fingerprint in a write. */
#ifndef CK_REDACT_H
#define CK_REDACT_H

#include <jansson.h>

/* 1 when `key` names a secret: apiKey, key, token, access, refresh,
 * secret, password, privateKeyPem, clientSecret, or any key ending in
 * Token, Key or Secret. */
int ck_redact_is_secret_key(const char *key);
/* Returns a deep copy of doc with every secret-looking string value (and
 * every string inside a secret-looking object or array) replaced by
 * ck_fingerprint(value). NULL on OOM. */
json_t *ck_redact(const json_t *doc);
/* In `doc`, where a secret-looking key holds exactly the fingerprint of
 * the value at the same path in `old`, put the old value back, so a
 * GET-modify-PUT round trip keeps the secrets it never saw. Returns the
 * number of values restored. */
int ck_redact_restore(json_t *doc, const json_t *old);

#endif
