/* Session locks: agents/<id>/sessions/<session>.jsonl.lock ({pid, createdAt,
 * maxHoldMs, starttime}). Stale when the pid is dead, the pid was
 * recycled (starttime != field 22 of /proc/<pid>/stat), or older than
 * max_age_ms. */
#ifndef CK_LOCKS_H
#define CK_LOCKS_H

#include <jansson.h>
#include "instance.h"

/* Appends STALE_SESSION_LOCK findings; when fix is set removes only the
 * stale ones. Returns an array of {path, pid, created_at, stale, why, removed}. */
json_t *ck_locks_check(const struct ck_instance *inst, long long now_ms,
		       long long max_age_ms, int fix, json_t *findings);

#endif
