/* The cached health report behind GET /v1/instance/health and /metrics.
 * One thread recomputes it on the refresh interval and on demand
 * (?refresh=1, config reload); requests that need a fresh report are
 * suspended until it is ready, so concurrent requests never compute it
 * twice and the server's poll thread never blocks on the instance. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/health.h"
#include "clawkeeper/log.h"
#include "internal.h"

#define REFRESH_STACK_SIZE (1024 * 1024)

struct ck_health_cache {
	struct ck_server *srv;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	int poked;
	char *text;
	size_t len;
	json_t *report;
	unsigned long long gen_started, gen_done;
	struct ck_request *waiters;
};

/* The supervised gateway as the watch sees it: "gateway" in the report,
 * GATEWAY_DOWN / GATEWAY_CRASH_LOOP among the findings, and the status
 * they make. */
static void
add_gateway(struct ck_server *srv, json_t *report)
{
	struct ck_gwwatch *w = __atomic_load_n(&srv->gwwatch, __ATOMIC_ACQUIRE);
	json_t *findings = json_object_get(report, "findings");
	json_t *st;

	if (w == NULL || !json_is_array(findings) || (st = ck_gwwatch_status(w)) == NULL)
		return;
	ck_gwwatch_findings(st, findings);
	json_object_set_new(report, "gateway", st);
	json_object_set_new(report, "status",
			    json_string(ck_status_name(ck_findings_worst(findings))));
}

static json_t *
compute(struct ck_server *srv, char **text)
{
	struct ck_confref *cref = ck_server_conf_get(srv);
	const struct ck_agentconf *c = cref->conf;
	struct ck_health_opts opts;
	struct ck_error err;
	struct ck_opengine *engine;
	char running[64];
	json_t *report;

	memset(&opts, 0, sizeof(opts));
	/* While an operation changes the instance, no OpenClaw command is
	 * run for the report: the release link and the state are mid-change,
	 * and on a small host a `models status` would compete with the
	 * doctor and the gateway's boot for the CPU (the window the
	 * instance is down). The stores are still read. */
	engine = __atomic_load_n(&srv->engine, __ATOMIC_ACQUIRE);
	ck_agentconf_instance(c, engine == NULL ||
	    ck_opengine_running(engine, running, sizeof(running)) == NULL, &opts.inst);
	if (c->settings_path != NULL && ck_file_exists(c->settings_path))
		opts.settings_path = c->settings_path;
	opts.since_ms = ck_clock_now_ms() - (long long)c->decision_window_s * 1000;
	err.msg[0] = '\0';
	report = ck_health_report(&opts, &err);
	ck_confref_put(cref);
	if (report == NULL) {
		ck_log_warn("health report: %s", err.msg);
		*text = NULL;
		return NULL;
	}
	add_gateway(srv, report);
	*text = json_dumps(report, JSON_COMPACT);
	if (*text == NULL) {
		json_decref(report);
		return NULL;
	}
	return report;
}

static void
resume_all(struct ck_request *list, int failed)
{
	while (list != NULL) {
		struct ck_request *next = list->next_waiter;

		list->next_waiter = NULL;
		list->health_failed = failed;
		list->state = REQ_RESUMED;
		MHD_resume_connection(list->conn);
		list = next;
	}
}

/* Unlinks the waiters a report of generation gen satisfies. */
static struct ck_request *
take_satisfied(struct ck_health_cache *hc, unsigned long long gen)
{
	struct ck_request **pp = &hc->waiters, *out = NULL;

	while (*pp != NULL) {
		struct ck_request *w = *pp;

		if (w->need_gen <= gen) {
			*pp = w->next_waiter;
			w->next_waiter = out;
			out = w;
		} else
			pp = &w->next_waiter;
	}
	return out;
}

static void
wait_for_work(struct ck_health_cache *hc)
{
	struct ck_confref *cref = ck_server_conf_get(hc->srv);
	unsigned interval = cref->conf->refresh_interval_s;
	struct timespec deadline;

	ck_confref_put(cref);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += interval;
	while (!hc->stop && !hc->poked && hc->waiters == NULL) {
		if (pthread_cond_timedwait(&hc->cond, &hc->lock, &deadline) != 0)
			break;
	}
}

static void *
refresher(void *arg)
{
	struct ck_health_cache *hc = arg;

	pthread_mutex_lock(&hc->lock);
	while (!hc->stop) {
		unsigned long long gen = ++hc->gen_started;
		char *text;
		json_t *report;
		struct ck_request *done;

		hc->poked = 0;
		pthread_mutex_unlock(&hc->lock);
		report = compute(hc->srv, &text);
		/* give back what the report's parsing used */
		malloc_trim(0);
		pthread_mutex_lock(&hc->lock);
		if (report != NULL) {
			json_decref(hc->report);
			free(hc->text);
			hc->report = report;
			hc->text = text;
			hc->len = strlen(text);
		}
		hc->gen_done = gen;
		done = take_satisfied(hc, gen);
		pthread_mutex_unlock(&hc->lock);
		resume_all(done, hc->text == NULL);
		pthread_mutex_lock(&hc->lock);
		if (!hc->stop)
			wait_for_work(hc);
	}
	pthread_mutex_unlock(&hc->lock);
	return NULL;
}

struct ck_health_cache *
ck_health_cache_start(struct ck_server *srv, struct ck_error *err)
{
	struct ck_health_cache *hc = calloc(1, sizeof(*hc));
	pthread_condattr_t ca;
	pthread_attr_t ta;
	int rc;

	if (hc == NULL) {
		ck_error_set(err, "out of memory");
		return NULL;
	}
	hc->srv = srv;
	pthread_mutex_init(&hc->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hc->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setstacksize(&ta, REFRESH_STACK_SIZE);
	rc = pthread_create(&hc->thread, &ta, refresher, hc);
	pthread_attr_destroy(&ta);
	if (rc != 0) {
		ck_error_set(err, "cannot start the health refresh thread");
		pthread_cond_destroy(&hc->cond);
		pthread_mutex_destroy(&hc->lock);
		free(hc);
		return NULL;
	}
	return hc;
}

void
ck_health_cache_stop(struct ck_health_cache *hc)
{
	struct ck_request *left;

	if (hc == NULL)
		return;
	pthread_mutex_lock(&hc->lock);
	hc->stop = 1;
	pthread_cond_signal(&hc->cond);
	pthread_mutex_unlock(&hc->lock);
	pthread_join(hc->thread, NULL);
	left = hc->waiters;
	hc->waiters = NULL;
	resume_all(left, 1);
	json_decref(hc->report);
	free(hc->text);
	pthread_cond_destroy(&hc->cond);
	pthread_mutex_destroy(&hc->lock);
	free(hc);
}

json_t *
ck_health_cache_get(struct ck_health_cache *hc, char **text, size_t *len)
{
	json_t *report;

	pthread_mutex_lock(&hc->lock);
	report = json_incref(hc->report);
	if (text != NULL) {
		*text = NULL;
		if (hc->text != NULL)
			*text = strndup(hc->text, hc->len);
		*len = hc->len;
	}
	pthread_mutex_unlock(&hc->lock);
	return report;
}

void
ck_health_cache_wait(struct ck_health_cache *hc, struct ck_request *req)
{
	pthread_mutex_lock(&hc->lock);
	if (hc->stop) {
		req->health_failed = 1;
		req->state = REQ_RESUMED;
		pthread_mutex_unlock(&hc->lock);
		return;
	}
	req->need_gen = hc->gen_started + 1;
	req->state = REQ_WAIT_HEALTH;
	req->next_waiter = hc->waiters;
	hc->waiters = req;
	/* suspended under the lock: the refresher can only resume it after */
	MHD_suspend_connection(req->conn);
	pthread_cond_signal(&hc->cond);
	pthread_mutex_unlock(&hc->lock);
}

void
ck_health_cache_poke(struct ck_health_cache *hc)
{
	pthread_mutex_lock(&hc->lock);
	hc->poked = 1;
	pthread_cond_signal(&hc->cond);
	pthread_mutex_unlock(&hc->lock);
}
