/* Whether a started gateway is the one the operation planned: ready and
 * still ready a while later, the expected version, the live chain as
 * planned, no next=none in the decision log and exactly one boot in the
 * gateway's own log since the stop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/decision.h"
#include "clawkeeper/gwlog.h"

#include "engine_internal.h"

static int
chain_matches(struct run *r, json_t *live, struct ck_error *err)
{
	json_t *model = json_object_get(json_object_get(json_object_get(r->new_config,
		"agents"), "defaults"), "model");
	const char *want_primary = json_is_string(model) ? json_string_value(model) :
		json_string_value(json_object_get(model, "primary"));
	json_t *want_fb = json_object_get(model, "fallbacks");
	const char *got_primary = json_string_value(json_object_get(live, "primary"));
	json_t *got_fb = json_object_get(live, "fallbacks");

	if (want_fb == NULL)
		want_fb = json_array();
	else
		json_incref(want_fb);
	if ((want_primary && (!got_primary || strcmp(want_primary, got_primary) != 0)) ||
	    !json_equal(want_fb, got_fb ? got_fb : json_array())) {
		char *w = json_dumps(want_fb, JSON_COMPACT);
		char *g = got_fb ? json_dumps(got_fb, JSON_COMPACT) : strdup("[]");

		ck_error_set(err, "live chain %s %s is not the planned %s %s",
			     got_primary ? got_primary : "(none)", g ? g : "?",
			     want_primary ? want_primary : "(none)", w ? w : "?");
		free(w);
		free(g);
		json_decref(want_fb);
		return -1;
	}
	json_decref(want_fb);
	return 0;
}

static int
no_failover_since(struct run *r, long long since, struct ck_error *err)
{
	json_t *findings = json_array();
	json_t *summary;
	size_t i;
	json_t *f;
	int rc = 0;

	summary = ck_decision_summary((const char *const *)r->inst.log_paths,
				      r->inst.n_logs, since, findings, err);
	json_array_foreach(findings, i, f) {
		const char *code = json_string_value(json_object_get(f, "code"));

		if (code && strcmp(code, "DECISION_NO_FAILOVER") == 0) {
			ck_error_set(err, "decision log since the restart: %s",
				     json_string_value(json_object_get(f, "message")));
			rc = -1;
		}
	}
	json_decref(summary);
	json_decref(findings);
	return rc;
}

/* What the gateway's own log says happened since it was stopped: one
 * boot, and no config reload (nothing was written under it). A log the
 * agent cannot read is said, not judged. */
static int
boots_seen(struct run *r, struct ck_error *err)
{
	struct ck_gwlog_counts c;
	long long since = json_integer_value(json_object_get(r->op, "stopped_at_ms"));

	if (ck_gwlog_count((const char *const *)r->inst.log_paths, r->inst.n_logs, since, &c) < 0) {
		json_object_set_new(r->op, "boots_seen", json_null());
		return 0;
	}
	json_object_set_new(r->op, "boots_seen", json_pack("{s:i, s:i, s:i}", "boots", c.boots,
		"reloads", c.reloads, "in_process_restarts", c.restarts));
	if (c.boots > 1 || c.restarts > 0 || c.reloads > 0) {
		ck_error_set(err, "the gateway's log shows %d boot(s), %d in-process restart(s) "
			     "and %d config reload(s) since it was stopped; expected exactly one "
			     "boot", c.boots, c.restarts, c.reloads);
		return -1;
	}
	return 0;
}

/* One good /readyz is not a gateway that stays up: one that dies right
 * after its first 200 must fail the verify, not leave a succeeded
 * operation and no gateway. */
static int
still_ready(struct run *r, long long ready_at, struct ck_error *err)
{
	struct ck_gateway_conf *gw = r->eng->conf->gw;
	long long left = ready_at + r->eng->conf->settle_ms - ck_clock_mono_ms();

	if (r->eng->conf->settle_ms <= 0)
		return 0;
	if (left > 0)
		usleep((useconds_t)(left * 1000));
	if (ck_gateway_running(gw) == 0) {
		ck_error_set(err, "the gateway was ready, then exited (status %d) within %d ms",
			     gw->last_exit, r->eng->conf->settle_ms);
		return -1;
	}
	if (ck_gateway_wait_ready(gw, 5000, NULL, err) < 0) {
		ck_error_prefix(err, "the gateway was ready, then not within %d ms: ",
				r->eng->conf->settle_ms);
		return -1;
	}
	return 0;
}

int
ck_op_verify_gateway(struct run *r, const char *want_version, int check_chain,
	       struct ck_error *err)
{
	struct ck_gateway_conf *gw = r->eng->conf->gw;
	char ver[64], sha[32];
	long long waited = 0, ready_at;
	json_t *live;
	int rc;

	if (ck_gateway_wait_ready(gw, r->eng->conf->ready_timeout_ms, &waited, err) < 0)
		return -1;
	ready_at = ck_clock_mono_ms();
	if (ck_gateway_version(gw, ver, sizeof(ver), sha, sizeof(sha), err) < 0)
		return -1;
	if (want_version != NULL && strcmp(ver, want_version) != 0) {
		ck_error_set(err, "gateway reports version %s, expected %s", ver, want_version);
		return -1;
	}
	if (!check_chain)
		goto done;
	live = ck_gateway_live_chain(gw, err);
	if (live == NULL)
		return -1;
	rc = chain_matches(r, live, err);
	json_decref(live);
	if (rc < 0)
		return -1;
	/* Reopen: the log file list may have rotated since the start. */
	ck_instance_close(&r->inst);
	if (ck_instance_open(&r->eng->conf->inst, &r->inst, err) < 0)
		return -1;
	if (no_failover_since(r, r->restart_ms, err) < 0)
		return -1;
	if (boots_seen(r, err) < 0)
		return -1;
done:
	if (still_ready(r, ready_at, err) < 0)
		return -1;
	snprintf(r->msg, sizeof(r->msg), "ready after %lld ms and still after %d ms, version %s%s",
		 waited, r->eng->conf->settle_ms, ver,
		 check_chain ? ", live chain as planned, no next=none since the restart" : "");
	return 0;
}
