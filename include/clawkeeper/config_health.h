/* Config health: is the live fallback chain what the settings ask for,
 * and can it actually fail over? Adds findings (finding.h) for
 * CONFIG_UNREADABLE, FALLBACKS_STRIPPED, NO_FALLBACKS,
 * FALLBACKS_SAME_PROVIDER_ONLY, LEGACY_RUNTIME_DROPS_FALLBACKS,
 * FALLBACK_UNRESOLVED, AGENT_MODEL_STRICT, CRON_FALLBACKS_OVERRIDE,
 * CRON_UNREADABLE, VERSION_UNKNOWN (docs/settings.md says when). Cron jobs
 * are read from <state_dir>/cron/jobs.json (or the config's cron.store). */
#ifndef CK_CONFIG_HEALTH_H
#define CK_CONFIG_HEALTH_H

#include <jansson.h>
#include "instance.h"

/* settings may be NULL. Appends to findings. Returns 0, -1 on OOM. */
int ck_config_health(const struct ck_instance *inst, const json_t *settings,
		     json_t *findings);

#endif
