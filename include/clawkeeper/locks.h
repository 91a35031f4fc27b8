/* Session locks: agents/<id>/sessions/<session>.jsonl.lock ({pid, createdAt,
 * maxHoldMs, starttime}, 2026.5.28/6.1) and 2026.9.6's gateway locks
 * tmp/openclaw-<uid>/gateway.<hash>.lock ({pid, ownerId, createdAt, ...,
 * startTime} followed by tab/space padding). Stale when the pid is dead,
 * the pid was recycled (starttime != field 22 of /proc/<pid>/stat), or
 * (session locks only) older than the age limit: max_age_ms when > 0,
 * else the lock's maxHoldMs, else CK_LOCK_DEFAULT_MAX_AGE_MS. A gateway
 * lock is held for the gateway's whole life, so age never makes it stale.
 *
 * Only stale session locks are ever removed, and each is re-read and
 * re-judged right before unlink. A lock that does not parse is never
 * removed: OpenClaw rewrites locks in place and a reader can catch one
 * empty mid-write; it is reported (SESSION_LOCK_UNREADABLE) only once its
 * mtime is older than the age limit. */
#ifndef CK_LOCKS_H
#define CK_LOCKS_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"
#include "instance.h"

#define CK_LOCK_DEFAULT_MAX_AGE_MS (30LL * 60 * 1000)

struct ck_lock_info {
	long long pid;
	long long created_at_ms;   /* -1 when absent */
	long long max_hold_ms;     /* -1 when absent */
	long long starttime;       /* clock ticks since boot; -1 when absent */
};

/* Parses a lock file's bytes: one JSON object, optionally followed by
 * whitespace and NUL padding. Returns 0, or -1 with err saying why. */
int ck_lock_parse(const char *buf, size_t len, struct ck_lock_info *info,
		  struct ck_error *err);
/* Field 22 of /proc/<pid>/stat; -1 when the process is gone or the file
 * cannot be parsed. */
long long ck_lock_proc_starttime(long long pid);

/* The agent's own lock: one agent per instance. Takes flock(LOCK_EX) on
 * path (created 0600) without waiting and writes "pid starttime" into it.
 * Returns the fd (close-on-exec, so no gateway inherits it), held until
 * it is closed or the process exits, whatever way it exits. When another
 * process holds it: -1, with err naming the holder's pid. */
int ck_lock_hold(const char *path, struct ck_error *err);

/* Appends STALE_SESSION_LOCK (warning), STALE_GATEWAY_LOCK (info) and
 * SESSION_LOCK_UNREADABLE (warning) findings; when fix is set removes
 * only the stale session locks (a removed lock is no finding; its item
 * says removed, a failed removal adds "remove_error"). now_ms <= 0: the clock. Returns an array
 * of {path, kind ("session"|"gateway"), agent, pid, created_at, age_ms,
 * stale, why, removed}, or NULL on OOM. */
json_t *ck_locks_check(const struct ck_instance *inst, long long now_ms,
		       long long max_age_ms, int fix, json_t *findings);

#endif
