/* GET /v1/instance/{health,config,decisions}: the cached health report,
 * the live config with secrets replaced by fingerprints, and the parsed
 * decision-log records since a time. */
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/decision.h"
#include "clawkeeper/instance.h"
#include "clawkeeper/timeparse.h"
#include "internal.h"

#define DECISIONS_DEFAULT 1000
#define DECISIONS_MAX 10000

static const char *
query(struct ck_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

static enum MHD_Result
reply_health(struct ck_request *req)
{
	char *text = NULL;
	size_t len = 0;
	json_t *report = ck_health_cache_get(req->srv->health, &text, &len);
	enum MHD_Result rc;

	json_decref(report);
	if (text == NULL)
		return ck_reply_error(req, 503, "health_unavailable", "%s",
		    "no health report could be computed yet; see the agent log");
	rc = ck_reply_bytes(req, 200, text, len, "application/json", NULL);
	free(text);
	return rc;
}

enum MHD_Result
ck_h_health(struct ck_request *req)
{
	const char *refresh;

	if (req->state == REQ_RESUMED) {
		if (req->health_failed)
			return ck_reply_error(req, 503, "health_unavailable", "%s",
			    "the health report could not be computed; see the "
			    "agent log");
		return reply_health(req);
	}
	if (req->state == REQ_WAIT_HEALTH)
		return MHD_YES;
	refresh = query(req, "refresh");
	if (refresh != NULL && strcmp(refresh, "1") != 0 &&
	    strcmp(refresh, "0") != 0)
		return ck_reply_error(req, 400, "bad_parameter", "%s",
		    "refresh: expected 1 or 0");
	if (refresh == NULL || strcmp(refresh, "1") != 0) {
		json_t *report = ck_health_cache_get(req->srv->health, NULL, NULL);

		if (report != NULL) {
			json_decref(report);
			return reply_health(req);
		}
	}
	ck_health_cache_wait(req->srv->health, req);
	if (req->state == REQ_RESUMED)
		return ck_h_health(req);
	return MHD_YES;
}

enum MHD_Result
ck_h_config(struct ck_request *req)
{
	struct ck_instance_opts opts;
	struct ck_error err;
	json_t *doc;

	ck_agentconf_instance(ck_req_conf(req), 0, &opts); /* no process per request */
	switch (ck_instance_config_show(&opts, &doc, &err)) {
	case CK_CONFIG_SHOWN:
		return ck_reply_json(req, 200, doc, NULL);
	case CK_CONFIG_MISSING:
		return ck_reply_error(req, 404, "config_missing", "%s", err.msg);
	case CK_CONFIG_NO_INSTANCE:
		return ck_reply_error(req, 503, "instance_unreadable", "%s", err.msg);
	case CK_CONFIG_UNREADABLE:
	default:
		return ck_reply_error(req, 503, "config_unreadable", "%s", err.msg);
	}
}

/* The newest `limit` records, oldest first, in a ring of references. */
struct ring {
	json_t **items;
	size_t limit, n, head;
	size_t total;
};

static int
collect(const struct ck_decision *d, void *ud)
{
	struct ring *r = ud;
	json_t *item = ck_decision_to_json(d);

	if (item == NULL)
		return -1;
	r->total++;
	if (r->n < r->limit) {
		r->items[(r->head + r->n++) % r->limit] = item;
		return 0;
	}
	json_decref(r->items[r->head]);
	r->items[r->head] = item;
	r->head = (r->head + 1) % r->limit;
	return 0;
}

static int
parse_limit(const char *s, size_t *out)
{
	char *end;
	long long n;

	if (s == NULL) {
		*out = DECISIONS_DEFAULT;
		return 0;
	}
	n = strtoll(s, &end, 10);
	if (*end != '\0' || end == s || n < 1 || n > DECISIONS_MAX)
		return -1;
	*out = (size_t)n;
	return 0;
}

enum MHD_Result
ck_h_decisions(struct ck_request *req)
{
	const char *since = query(req, "since");
	long long since_ms = -1;
	struct ck_instance_opts opts;
	struct ck_instance inst;
	struct ck_error err;
	struct ring r;
	json_t *arr;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	if (since != NULL && ck_time_parse(since, ck_clock_now_ms(), &since_ms) != 0)
		return ck_reply_error(req, 400, "bad_parameter", "%s",
		    "since: expected ISO 8601, epoch milliseconds, or a relative "
		    "15m / 2h / 7d");
	if (parse_limit(query(req, "limit"), &r.limit) != 0)
		return ck_reply_error(req, 400, "bad_parameter",
		    "limit: expected an integer 1..%d", DECISIONS_MAX);
	ck_agentconf_instance(ck_req_conf(req), 0, &opts); /* no process per request */
	if (ck_instance_open(&opts, &inst, &err) != 0)
		return ck_reply_error(req, 503, "instance_unreadable", "%s",
		    err.msg);
	r.items = calloc(r.limit, sizeof(*r.items));
	if (r.items == NULL) {
		ck_instance_close(&inst);
		return ck_reply_error(req, 500, "internal", "%s", "out of memory");
	}
	rc = ck_decision_scan((const char *const *)inst.log_paths, inst.n_logs,
	    since_ms, 1, collect, &r, &err);
	ck_instance_close(&inst);
	arr = json_array();
	for (i = 0; i < r.n; i++)
		json_array_append_new(arr, r.items[(r.head + i) % r.limit]);
	free(r.items);
	if (rc != 0) {
		json_decref(arr);
		return ck_reply_error(req, 503, "log_unreadable", "%s", err.msg);
	}
	return ck_reply_json(req, 200, json_pack("{s:I, s:I, s:b, s:o}",
	    "since_ms", (json_int_t)since_ms, "total", (json_int_t)r.total,
	    "truncated", r.total > r.n, "decisions", arr), NULL);
}
