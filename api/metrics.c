/* Prometheus metrics: request counters and latency histograms kept by the
 * server (fixed-size, lock-free), plus gauges rendered at scrape time from
 * the cached health report and the operations journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/timeparse.h"
#include "internal.h"

static const unsigned status_slots[] = { 200, 201, 202, 204, 304, 400, 401,
    403, 404, 405, 409, 412, 413, 415, 428, 431, 500, 503 };
#define N_STATUS (sizeof(status_slots) / sizeof(status_slots[0]) + 1)
static const double buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1, 2.5, 10 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))
#define MAX_ROUTES 32

struct ck_metrics {
	/* route index + 1; slot 0 is "unmatched" */
	atomic_ullong requests[MAX_ROUTES + 1][N_STATUS];
	atomic_ullong hist[MAX_ROUTES + 1][N_BUCKETS];
	atomic_ullong count[MAX_ROUTES + 1];
	atomic_ullong sum_us[MAX_ROUTES + 1];
};

struct ck_metrics *
ck_metrics_new(void)
{
	return calloc(1, sizeof(struct ck_metrics));
}

void
ck_metrics_free(struct ck_metrics *m)
{
	free(m);
}

void
ck_metrics_observe(struct ck_metrics *m, int route_idx, unsigned status,
    double seconds)
{
	size_t r = route_idx >= 0 && route_idx < MAX_ROUTES ?
	    (size_t)route_idx + 1 : 0;
	size_t s, b;

	for (s = 0; s < N_STATUS - 1; s++)
		if (status_slots[s] == status)
			break;
	atomic_fetch_add(&m->requests[r][s], 1);
	for (b = 0; b < N_BUCKETS; b++)
		if (seconds <= buckets[b])
			atomic_fetch_add(&m->hist[r][b], 1);
	atomic_fetch_add(&m->count[r], 1);
	atomic_fetch_add(&m->sum_us[r], (unsigned long long)(seconds * 1e6));
}

/* A label value with \, " and newline escaped. */
static void
put_label(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static const char *
route_name(size_t r)
{
	return r == 0 ? "unmatched" : ck_routes[r - 1].name;
}

static void
render_requests(FILE *f, struct ck_metrics *m)
{
	size_t r, s, b;

	fputs("# HELP clawkeeper_http_requests_total HTTP requests by route "
	    "and status.\n# TYPE clawkeeper_http_requests_total counter\n", f);
	for (r = 0; r <= ck_n_routes && r <= MAX_ROUTES; r++)
		for (s = 0; s < N_STATUS; s++) {
			unsigned long long n = atomic_load(&m->requests[r][s]);
			char code[8];

			if (n == 0)
				continue;
			if (s < N_STATUS - 1)
				snprintf(code, sizeof(code), "%u", status_slots[s]);
			else
				snprintf(code, sizeof(code), "other");
			fprintf(f, "clawkeeper_http_requests_total{route=\"%s\","
			    "status=\"%s\"} %llu\n", route_name(r), code, n);
		}
	fputs("# HELP clawkeeper_http_request_duration_seconds Request "
	    "latency.\n# TYPE clawkeeper_http_request_duration_seconds "
	    "histogram\n", f);
	for (r = 0; r <= ck_n_routes && r <= MAX_ROUTES; r++) {
		unsigned long long count = atomic_load(&m->count[r]);

		if (count == 0)
			continue;
		for (b = 0; b < N_BUCKETS; b++)
			fprintf(f, "clawkeeper_http_request_duration_seconds_bucket"
			    "{route=\"%s\",le=\"%g\"} %llu\n", route_name(r),
			    buckets[b], atomic_load(&m->hist[r][b]));
		fprintf(f, "clawkeeper_http_request_duration_seconds_bucket"
		    "{route=\"%s\",le=\"+Inf\"} %llu\n", route_name(r), count);
		fprintf(f, "clawkeeper_http_request_duration_seconds_sum"
		    "{route=\"%s\"} %.6f\n", route_name(r),
		    (double)atomic_load(&m->sum_us[r]) / 1e6);
		fprintf(f, "clawkeeper_http_request_duration_seconds_count"
		    "{route=\"%s\"} %llu\n", route_name(r), count);
	}
}

static void
render_findings(FILE *f, const json_t *health)
{
	static const char *const statuses[] = { "ok", "warning", "critical" };
	const char *status = json_string_value(json_object_get(health, "status"));
	json_t *counts = json_object(), *item, *v;
	const char *k;
	size_t i;

	fputs("# HELP clawkeeper_health_status 1 for the instance's current "
	    "health status.\n# TYPE clawkeeper_health_status gauge\n", f);
	for (i = 0; i < 3; i++)
		fprintf(f, "clawkeeper_health_status{status=\"%s\"} %d\n",
		    statuses[i], status && strcmp(status, statuses[i]) == 0);
	fputs("# HELP clawkeeper_findings Current findings by code and "
	    "severity.\n# TYPE clawkeeper_findings gauge\n", f);
	json_array_foreach(json_object_get(health, "findings"), i, item) {
		const char *code = json_string_value(json_object_get(item, "code"));
		const char *sev = json_string_value(json_object_get(item,
		    "severity"));
		char key[160];

		if (code == NULL)
			continue;
		snprintf(key, sizeof(key), "%s\n%s", code, sev ? sev : "");
		json_object_set_new(counts, key, json_integer(1 +
		    json_integer_value(json_object_get(counts, key))));
	}
	json_object_foreach(counts, k, v) {
		const char *nl = strchr(k, '\n');

		fputs("clawkeeper_findings{code=\"", f);
		fwrite(k, 1, (size_t)(nl - k), f);
		fputs("\",severity=\"", f);
		put_label(f, nl + 1);
		fprintf(f, "\"} %lld\n", json_integer_value(v));
	}
	json_decref(counts);
}

/* expires_at may be epoch ms or an ISO 8601 string. */
static int
expiry_ms(const json_t *v, long long now_ms, long long *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		*out = (long long)json_real_value(v);
		return 0;
	}
	if (json_is_string(v))
		return ck_time_parse(json_string_value(v), now_ms, out);
	return -1;
}

static void
render_credentials(FILE *f, const json_t *health)
{
	json_t *soonest = json_object(), *item, *v;
	long long now = ck_clock_now_ms();
	const char *k;
	size_t i;

	fputs("# HELP clawkeeper_credential_expiry_seconds Seconds until the "
	    "provider's soonest-expiring credential expires (negative: "
	    "expired).\n# TYPE clawkeeper_credential_expiry_seconds gauge\n", f);
	json_array_foreach(json_object_get(health, "credentials"), i, item) {
		const char *prov = json_string_value(json_object_get(item,
		    "provider"));
		long long ms;
		json_t *cur;

		if (prov == NULL || expiry_ms(json_object_get(item, "expires_at"),
		    now, &ms) != 0)
			continue;
		cur = json_object_get(soonest, prov);
		if (cur == NULL || json_integer_value(cur) > ms)
			json_object_set_new(soonest, prov, json_integer(ms));
	}
	json_object_foreach(soonest, k, v) {
		fputs("clawkeeper_credential_expiry_seconds{provider=\"", f);
		put_label(f, k);
		fprintf(f, "\"} %lld\n", (json_integer_value(v) - now) / 1000);
	}
	json_decref(soonest);
}

static void
render_counts(FILE *f, const json_t *obj, const char *metric,
    const char *label)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		if (!json_is_integer(v))
			continue;
		fprintf(f, "%s{%s=\"", metric, label);
		put_label(f, k);
		fprintf(f, "\"} %lld\n", json_integer_value(v));
	}
}

static void
render_decisions(FILE *f, const json_t *health)
{
	const json_t *d = json_object_get(health, "decisions");

	fputs("# HELP clawkeeper_decisions Model-fallback decisions in the "
	    "report window, by decision.\n# TYPE clawkeeper_decisions gauge\n", f);
	render_counts(f, json_object_get(d, "counts"), "clawkeeper_decisions",
	    "decision");
	fputs("# HELP clawkeeper_decision_reasons Model-fallback decisions in "
	    "the report window, by reason.\n# TYPE clawkeeper_decision_reasons "
	    "gauge\n", f);
	render_counts(f, json_object_get(d, "reasons"),
	    "clawkeeper_decision_reasons", "reason");
}

static void
render_ops(FILE *f, const json_t *ops)
{
	json_t *counts = json_object(), *op, *v;
	const char *k;
	size_t i;

	fputs("# HELP clawkeeper_operations Operations in the journal by kind "
	    "and state.\n# TYPE clawkeeper_operations gauge\n", f);
	json_array_foreach(ops, i, op) {
		const char *kind = json_string_value(json_object_get(op, "kind"));
		const char *state = json_string_value(json_object_get(op, "state"));
		char key[160];

		snprintf(key, sizeof(key), "%s\n%s", kind ? kind : "unknown",
		    state ? state : "unknown");
		json_object_set_new(counts, key, json_integer(1 +
		    json_integer_value(json_object_get(counts, key))));
	}
	json_object_foreach(counts, k, v) {
		const char *nl = strchr(k, '\n');
		char kind[160];

		snprintf(kind, sizeof(kind), "%.*s", (int)(nl - k), k);
		fputs("clawkeeper_operations{kind=\"", f);
		put_label(f, kind);
		fputs("\",result=\"", f);
		put_label(f, nl + 1);
		fprintf(f, "\"} %lld\n", json_integer_value(v));
	}
	json_decref(counts);
	/* Restarts the operations caused, by kind: an upgrade that went well
	 * adds one, a rolled-back one two. */
	counts = json_object();
	json_array_foreach(ops, i, op) {
		const char *kind = json_string_value(json_object_get(op, "kind"));

		if (kind == NULL)
			kind = "unknown";
		json_object_set_new(counts, kind, json_integer(
		    json_integer_value(json_object_get(op, "restarts")) +
		    json_integer_value(json_object_get(counts, kind))));
	}
	fputs("# HELP clawkeeper_operation_restarts_total Gateway restarts done "
	    "by operations in the journal, by kind.\n"
	    "# TYPE clawkeeper_operation_restarts_total counter\n", f);
	json_object_foreach(counts, k, v) {
		fputs("clawkeeper_operation_restarts_total{kind=\"", f);
		put_label(f, k);
		fprintf(f, "\"} %lld\n", json_integer_value(v));
	}
	json_decref(counts);
}

/* The supervised gateway, from the report's "gateway" (the watch). */
static void
render_gateway(FILE *f, const json_t *health)
{
	const json_t *g = json_object_get(health, "gateway");
	const char *state = json_string_value(json_object_get(g, "state"));

	if (state == NULL)
		return;
	fprintf(f, "# HELP clawkeeper_gateway_up 1 while the supervised gateway runs.\n"
	    "# TYPE clawkeeper_gateway_up gauge\nclawkeeper_gateway_up %d\n"
	    "# HELP clawkeeper_gateway_crash_loop 1 when the gateway reached the start "
	    "limit.\n# TYPE clawkeeper_gateway_crash_loop gauge\n"
	    "clawkeeper_gateway_crash_loop %d\n"
	    "# HELP clawkeeper_gateway_restarts_total Starts the agent's watch made, by "
	    "reason.\n# TYPE clawkeeper_gateway_restarts_total counter\n"
	    "clawkeeper_gateway_restarts_total{reason=\"exited\"} %lld\n"
	    "clawkeeper_gateway_restarts_total{reason=\"unready\"} %lld\n",
	    strcmp(state, "up") == 0, strcmp(state, "crash_loop") == 0,
	    (long long)json_integer_value(json_object_get(json_object_get(g, "restarts"),
							  "exited")),
	    (long long)json_integer_value(json_object_get(json_object_get(g, "restarts"),
							  "unready")));
}

char *
ck_metrics_render(struct ck_metrics *m, const json_t *health,
    const json_t *ops, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		return NULL;
	fprintf(f, "# HELP clawkeeper_health_report_available 1 when a health "
	    "report has been computed.\n# TYPE "
	    "clawkeeper_health_report_available gauge\n"
	    "clawkeeper_health_report_available %d\n", health != NULL);
	if (health != NULL) {
		render_findings(f, health);
		render_credentials(f, health);
		render_decisions(f, health);
		render_gateway(f, health);
	}
	render_ops(f, ops);
	render_requests(f, m);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
