/* The gateway watch (see gwwatch.h): one thread, one check a tick, each
 * check holding the operation engine so the gateway has one owner. */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/conftable.h"
#include "clawkeeper/gwwatch.h"
#include "clawkeeper/log.h"

#define RING 64 /* start times kept for the start limit (burst <= RING) */
/* A healthy gateway answers /readyz in milliseconds. */
#define PROBE_TIMEOUT_MS 1000
/* A running gateway not ready half of unready_ms (at most this) is
 * reported (GATEWAY_UNREADY). */
#define UNREADY_REPORT_MS 10000

enum wstate { W_UNKNOWN, W_UP, W_DOWN, W_CRASH_LOOP };

struct ck_gwwatch {
	struct ck_opengine *eng;
	struct ck_gateway_conf *gw;
	struct ck_gwwatch_conf conf;
	pthread_t thread;
	pthread_mutex_t lock; /* guards everything below and stop */
	pthread_cond_t wake;
	int stop;
	enum wstate state;
	long long since_ms;        /* wall clock of the last state change */
	long pid;                  /* the gateway last seen running */
	int last_exit;
	unsigned failures;         /* exits in a row without a stable run */
	long long next_start_ms;   /* monotonic: the next start not before */
	long long started_ms;      /* monotonic: the watch's last start */
	unsigned restarts_exited;  /* starts the watch made after an exit */
	unsigned restarts_unready; /* ... after it stopped a gateway that did
				    * not answer /readyz */
	int stopped_unready;       /* the next start is for that reason */
	long long ready_base_ms;   /* monotonic: last 200 on /readyz, or the
				    * last start seen */
	long long unready_for_ms;  /* running without a 200 that long */
	unsigned seen_starts;      /* gw->starts after the last check */
	long long ring[RING];      /* monotonic times of the watch's starts */
	unsigned ring_n;
};


#define F(member) CK_CF_INT, offsetof(struct ck_gwwatch_conf, member)
static const struct ck_cf_field watch_fields[] = {
	{ "interval_ms", F(interval_ms), .lo = 100, .hi = 600000, .dflt = 1000,
	  .doc = "how often the watch looks at the gateway" },
	{ "backoff_ms", F(backoff_ms), .lo = 0, .hi = 3600000, .dflt = 1000,
	  .doc = "the first wait before starting a gateway that exited" },
	{ "backoff_max_ms", F(backoff_max_ms), .lo = 0, .hi = 3600000, .dflt = 60000,
	  .doc = "the wait doubles up to this" },
	{ "burst", F(burst), .lo = 1, .hi = RING, .dflt = 5,
	  .doc = "starts within burst_window_ms that make a crash loop" },
	{ "burst_window_ms", F(burst_window_ms), .lo = 1000, .hi = 86400000, .dflt = 300000,
	  .doc = "the crash-loop window" },
	{ "unready_ms", F(unready_ms), .lo = 0, .hi = 86400000, .dflt = 60000,
	  .doc = "a running gateway without a /readyz 200 that long is restarted (0: never)" },
	{ "rollback_window_ms", F(rollback_window_ms), .lo = 0, .hi = 86400000, .dflt = 600000,
	  .doc = "a crash loop this soon after an operation's restart rolls it back" },
};
const struct ck_cf_section ck_gwwatch_section = { "gateway.watch", watch_fields,
	CK_CF_N(watch_fields) };

void
ck_gwwatch_conf_init(struct ck_gwwatch_conf *wc)
{
	memset(wc, 0, sizeof(*wc));
	ck_cf_defaults(&ck_gwwatch_section, wc);
}

int
ck_gwwatch_conf_from_json(struct ck_gwwatch_conf *wc, const json_t *obj,
			  struct ck_error *err)
{
	struct ck_cf_ctx ctx = { NULL, err, 0, NULL };

	ck_cf_read(&ctx, &ck_gwwatch_section, obj, wc);
	return ctx.n_bad == 0 ? 0 : -1;
}

static const char *
state_name(enum wstate s)
{
	switch (s) {
	case W_UP:
		return "up";
	case W_DOWN:
		return "down";
	case W_CRASH_LOOP:
		return "crash_loop";
	default:
		return "starting";
	}
}

static long long
backoff(const struct ck_gwwatch *w)
{
	long long d = w->conf.backoff_ms;
	unsigned i;

	for (i = 1; i < w->failures && d < w->conf.backoff_max_ms; i++)
		d *= 2;
	return d > w->conf.backoff_max_ms ? w->conf.backoff_max_ms : d;
}

/* Starts within the window, the oldest pruned. */
static unsigned
starts_in_window(struct ck_gwwatch *w, long long now)
{
	unsigned i, kept = 0;

	for (i = 0; i < w->ring_n; i++)
		if (now - w->ring[i] < w->conf.burst_window_ms)
			w->ring[kept++] = w->ring[i];
	w->ring_n = kept;
	return kept;
}

static void
set_state(struct ck_gwwatch *w, enum wstate s, int *changed)
{
	if (w->state != s) {
		w->state = s;
		w->since_ms = ck_clock_now_ms();
		*changed = 1;
	}
}

/* A running gateway that has not answered /readyz 200 for unready_ms
 * (counted from its last 200 or its start) hangs: stopped here, and
 * started again below like one that exited. 1 when it was stopped. */
static int
stop_if_hung(struct ck_gwwatch *w, long ready_status, long long now)
{
	struct ck_error err;

	if (ready_status == 200 || ready_status < 0) {
		if (ready_status == 200)
			w->ready_base_ms = now;
		w->unready_for_ms = 0;
		return 0;
	}
	w->unready_for_ms = now - w->ready_base_ms;
	if (w->conf.unready_ms <= 0 || w->unready_for_ms < w->conf.unready_ms)
		return 0;
	ck_log_error("gateway watch: the gateway (pid %ld) has not answered /readyz with "
		     "200 for %lld ms (last: %s); stopping it to start it again",
		     (long)w->gw->pid, w->unready_for_ms,
		     ready_status ? "an error status" : "no answer");
	if (ck_gateway_stop(w->gw, &err) < 0)
		ck_log_warn("gateway watch: stopping the hung gateway: %s", err.msg);
	w->stopped_unready = 1;
	w->unready_for_ms = 0;
	return 1;
}

/* One check; the caller holds the engine and w->lock. ready_status: what
 * /readyz answered just before (-1: not asked). */
static void
check(struct ck_gwwatch *w, long ready_status, int *started, int *changed, int *looped)
{
	long long now = ck_clock_mono_ms();
	struct ck_error err;

	if (w->gw->starts != w->seen_starts) {
		/* Someone else started it (an operation, the agent): a new
		 * gateway, a clean slate, the start limit reset. */
		w->seen_starts = w->gw->starts;
		w->failures = 0;
		w->ring_n = 0;
		w->ready_base_ms = now;
		ready_status = -1; /* asked of the one before */
		if (w->state == W_CRASH_LOOP)
			set_state(w, W_UNKNOWN, changed);
	}
	if (ck_gateway_running(w->gw) == 1 && !stop_if_hung(w, ready_status, now)) {
		if (w->state != W_UP)
			ck_log_info("gateway watch: the gateway (pid %ld) is running",
				    (long)w->gw->pid);
		set_state(w, W_UP, changed);
		w->pid = (long)w->gw->pid;
		if (w->failures > 0 && now - w->started_ms >= w->conf.burst_window_ms)
			w->failures = 0; /* stable for a whole window */
		return;
	}
	if (w->state == W_CRASH_LOOP)
		return;
	if (w->state != W_DOWN) {
		w->last_exit = w->gw->last_exit;
		w->failures++;
		w->next_start_ms = now + backoff(w);
		ck_log_warn("gateway watch: the gateway (pid %ld) is not running (exit %d); "
			    "starting it in %lld ms", w->pid, w->last_exit, backoff(w));
		set_state(w, W_DOWN, changed);
		return;
	}
	if (now < w->next_start_ms)
		return;
	if (starts_in_window(w, now) >= (unsigned)w->conf.burst) {
		ck_log_error("gateway watch: %u starts within %d s and it keeps exiting: a "
			     "crash loop; not starting it again until an operation or an agent "
			     "restart does", w->ring_n, w->conf.burst_window_ms / 1000);
		set_state(w, W_CRASH_LOOP, changed);
		*looped = 1;
		return;
	}
	w->ring[w->ring_n++] = now;
	w->started_ms = now;
	if (ck_gateway_start(w->gw, &err) < 0) {
		w->failures++;
		w->next_start_ms = now + backoff(w);
		ck_log_warn("gateway watch: starting the gateway: %s; next try in %lld ms",
			    err.msg, backoff(w));
		return;
	}
	w->seen_starts = w->gw->starts;
	if (w->stopped_unready)
		w->restarts_unready++;
	else
		w->restarts_exited++;
	w->stopped_unready = 0;
	w->ready_base_ms = now;
	w->pid = (long)w->gw->pid;
	*started = 1;
	/* up or down again on the next tick: a start is not yet a run */
	set_state(w, W_UNKNOWN, changed);
}

/* A crash loop soon after an operation's cutover is that operation's
 * doing: it is rolled back once (the engine is held, w->lock is not). */
static void
revert(struct ck_gwwatch *w)
{
	char id[64];
	struct ck_error err;
	int rc;

	rc = ck_opengine_revert_recent(w->eng, w->conf.rollback_window_ms,
				       "the gateway crash-looped after this operation's "
				       "cutover; rolled back by the gateway watch",
				       id, sizeof(id), &err);
	if (rc > 0)
		ck_log_warn("gateway watch: the crash loop came within %d s of operation "
			    "%s; rolled it back, the gateway runs the state from before it",
			    w->conf.rollback_window_ms / 1000, id);
	else if (rc < 0)
		ck_log_error("gateway watch: rolling back operation %s after the crash "
			     "loop: %s", id, err.msg);
}

static void *
watch_main(void *arg)
{
	struct ck_gwwatch *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		struct timespec until;
		int started = 0, changed = 0, looped = 0;
		long ready;

		ck_clock_after(CLOCK_REALTIME, w->conf.interval_ms, &until);
		pthread_cond_timedwait(&w->wake, &w->lock, &until);
		if (w->stop)
			break;
		/* Asked without holding the engine (an answer may take 3 s);
		 * a start in between makes check() drop the answer. */
		if (w->conf.unready_ms > 0 && w->state == W_UP) {
			pthread_mutex_unlock(&w->lock);
			ready = ck_gateway_probe_ready(w->gw, PROBE_TIMEOUT_MS);
			pthread_mutex_lock(&w->lock);
			if (w->stop)
				break;
		} else {
			ready = -1;
		}
		/* An operation owns the gateway while it runs. */
		if (ck_opengine_hold(w->eng) != 0)
			continue;
		check(w, ready, &started, &changed, &looped);
		pthread_mutex_unlock(&w->lock);
		if (looped)
			revert(w);
		ck_opengine_release(w->eng);
		if (started && w->conf.after_start != NULL)
			w->conf.after_start(w->conf.ud);
		if (changed && w->conf.changed != NULL)
			w->conf.changed(w->conf.ud);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct ck_gwwatch *
ck_gwwatch_start(struct ck_opengine *eng, struct ck_gateway_conf *gw,
		 const struct ck_gwwatch_conf *wc, struct ck_error *err)
{
	struct ck_gwwatch *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		ck_error_set(err, "out of memory");
		return NULL;
	}
	w->eng = eng;
	w->gw = gw;
	w->conf = *wc;
	w->seen_starts = gw->starts;
	w->since_ms = ck_clock_now_ms();
	w->ready_base_ms = ck_clock_mono_ms();
	w->pid = (long)gw->pid;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		ck_error_set(err, "gateway watch: cannot start its thread");
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->wake);
		free(w);
		return NULL;
	}
	return w;
}

void
ck_gwwatch_stop(struct ck_gwwatch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w);
}

json_t *
ck_gwwatch_status(struct ck_gwwatch *w)
{
	json_t *st;
	long long wait;

	pthread_mutex_lock(&w->lock);
	wait = w->state == W_DOWN ? w->next_start_ms - ck_clock_mono_ms() : 0;
	st = json_pack("{s:s, s:I, s:I, s:i, s:{s:i, s:i}, s:i, s:I, s:I, s:i}",
		       "state", state_name(w->state), "pid", (json_int_t)w->pid,
		       "since_ms", (json_int_t)w->since_ms, "last_exit", w->last_exit,
		       "restarts", "exited", (int)w->restarts_exited,
		       "unready", (int)w->restarts_unready,
		       "failures_in_a_row", (int)w->failures,
		       "next_start_in_ms", (json_int_t)(wait > 0 ? wait : 0),
		       "unready_for_ms", (json_int_t)w->unready_for_ms,
		       "unready_ms", w->conf.unready_ms);
	pthread_mutex_unlock(&w->lock);
	return st;
}

void
ck_gwwatch_findings(const json_t *status, json_t *findings)
{
	const char *state = json_string_value(json_object_get(status, "state"));
	long long exit_status = json_integer_value(json_object_get(status, "last_exit"));
	long long unready_for = json_integer_value(json_object_get(status, "unready_for_ms"));
	long long limit = json_integer_value(json_object_get(status, "unready_ms"));

	if (state == NULL)
		return;
	if (strcmp(state, "down") == 0)
		ck_finding_add(findings, "GATEWAY_DOWN", CK_SEV_CRITICAL, "gateway",
			       "the agent starts it again by itself; see the gateway's log",
			       "the gateway is not running (last exit %lld); the agent starts "
			       "it again in %lld ms", exit_status,
			       (long long)json_integer_value(json_object_get(status,
									 "next_start_in_ms")));
	else if (strcmp(state, "up") == 0 && unready_for > 0 &&
		 unready_for >= (limit > 0 && limit / 2 < UNREADY_REPORT_MS ? limit / 2
									   : UNREADY_REPORT_MS))
		ck_finding_add(findings, "GATEWAY_UNREADY", CK_SEV_WARNING, "gateway",
			       "the agent stops and starts it once gateway.watch.unready_ms "
			       "passes; see the gateway's log",
			       "the gateway runs but has not answered /readyz with 200 for "
			       "%lld ms", unready_for);
	else if (strcmp(state, "crash_loop") == 0)
		ck_finding_add(findings, "GATEWAY_CRASH_LOOP", CK_SEV_CRITICAL, "gateway",
			       "read the gateway's log; POST /v1/regenerate starts it again "
			       "once the cause is fixed",
			       "the gateway keeps exiting (last exit %lld) and reached the "
			       "start limit; the agent no longer starts it by itself",
			       exit_status);
}
