/* The health report: {status, version, findings[], credentials[],
 * decisions{}, locks[]}, the same for `clawkeeper health --json` and
 * GET /v1/instance/health. */
#ifndef CK_HEALTH_H
#define CK_HEALTH_H

#include <jansson.h>
#include "instance.h"
#include "error.h"

struct ck_health_opts {
	struct ck_instance_opts inst;
	const char *settings_path; /* NULL: none */
	long long since_ms;        /* decision log window; <0: all */
	long long now_ms;          /* 0: the clock */
	long long lock_max_age_ms; /* 0: default */
	int fix_locks;
};

/* Returns the report, or NULL with err only when nothing could be read
 * at all (a missing or garbled file is a finding, not an error). */
json_t *ck_health_report(const struct ck_health_opts *opts, struct ck_error *err);

#endif
