/* The gateway watch: between operations, the agent looks after the
 * supervised gateway it started. A gateway that exits is started again
 * (and one that stops answering /readyz, stopped first) is started again
 * after a delay that doubles with each failure in a row (backoff_ms up to
 * backoff_max_ms); when `burst` starts fall within `burst_window_ms` it is
 * a crash loop (systemd's StartLimitBurst / StartLimitIntervalSec): the
 * watch stops starting it and says so, until someone else starts the
 * gateway (an operation's start step, or an agent restart).
 *
 * The gateway has one owner at a time: each check holds the operation
 * engine (ck_opengine_hold), so the watch never touches a gateway an
 * operation is stopping or starting, and an operation submitted during a
 * check waits for that moment. Only the supervise driver is watched:
 * under systemd or an exec driver the service manager restarts. */
#ifndef CK_GWWATCH_H
#define CK_GWWATCH_H

#include <jansson.h>
#include "error.h"
#include "gateway.h"
#include "engine.h"

struct ck_gwwatch_conf {
	int interval_ms;        /* between checks; default 1000 */
	int backoff_ms;         /* delay before the first restart; default 1000 */
	int backoff_max_ms;     /* the doubling stops here; default 60000 */
	int burst;              /* start limit: this many starts ...; default 5 */
	int burst_window_ms;    /* ... within this window; default 300000 */
	/* A running gateway without a 200 on /readyz for this long (from
	 * its last 200 or its start) is stopped and started again like one
	 * that exited; 0: not asked. default 60000 */
	int unready_ms;
	/* A crash loop within this long after an operation succeeded rolls
	 * that operation back, once (ck_opengine_revert_recent); 0: never.
	 * default 600000 */
	int rollback_window_ms;
	/* Called (from the watch thread) after each start it made, and when
	 * the state changed; either may be NULL. */
	void (*after_start)(void *ud);
	void (*changed)(void *ud);
	void *ud;
};

struct ck_gwwatch;

/* Fills the defaults. */
/* gateway.watch's fields (conftable.h), for `config fields`. */
struct ck_cf_section;
extern const struct ck_cf_section ck_gwwatch_section;
void ck_gwwatch_conf_init(struct ck_gwwatch_conf *wc);
/* Reads the agent config's "watch" object (NULL: defaults) into wc:
 * {"interval_ms","backoff_ms","backoff_max_ms","burst","burst_window_ms",
 * "unready_ms","rollback_window_ms"}.
 * Unknown keys and values out of range are refused, naming the key. */
int ck_gwwatch_conf_from_json(struct ck_gwwatch_conf *wc, const json_t *obj,
			      struct ck_error *err);
/* Starts the watch thread; gw and eng must outlive it. */
struct ck_gwwatch *ck_gwwatch_start(struct ck_opengine *eng, struct ck_gateway_conf *gw,
				    const struct ck_gwwatch_conf *wc, struct ck_error *err);
/* Stops the thread (at most one check long) and frees. NULL is fine. */
void ck_gwwatch_stop(struct ck_gwwatch *w);
/* {"state": "up"|"down"|"crash_loop"|"starting", "pid", "since_ms",
 *  "last_exit", "restarts": {"exited": n, "unready": n},
 *  "failures_in_a_row", "next_start_in_ms", "unready_for_ms",
 *  "unready_ms"} — a new object. */
json_t *ck_gwwatch_status(struct ck_gwwatch *w);
/* Appends GATEWAY_DOWN / GATEWAY_CRASH_LOOP (critical) or GATEWAY_UNREADY
 * (warning: running, no 200 on /readyz for half of unready_ms, at most
 * 10 s) to findings from a status object as ck_gwwatch_status returns it. */
void ck_gwwatch_findings(const json_t *status, json_t *findings);

#endif
