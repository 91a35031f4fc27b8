/* Credential health: one entry per auth profile
 * {provider, profile, type, status, expires_at, fingerprint} with status
 * ok | expiring | expired | missing | static | cooldown | disabled
 * (expiring = within 24 h). Sources: auth-profiles.json + auth-state.json
 * (<= 2026.6), the authProfiles.store/state rows of state/openclaw.sqlite
 * (2026.7+, opened read-only), or `openclaw models status --json` when a
 * binary is given. Never returns a secret, only fingerprints. */
#ifndef CK_CREDENTIALS_H
#define CK_CREDENTIALS_H

#include <jansson.h>
#include "instance.h"

#define CK_EXPIRING_WINDOW_MS (24LL * 3600 * 1000)

/* Returns a new array of credential entries and appends CREDENTIAL_*
 * findings. now_ms: current time (tests pin it). */
json_t *ck_credentials_health(const struct ck_instance *inst, long long now_ms,
			      json_t *findings);

#endif
