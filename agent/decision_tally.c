/* Running totals over decisions (counts by decision and by reason, the
 * latest of each verdict) and the summary and findings health reports
 * from them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/decision.h"
#include "clawkeeper/finding.h"

struct ck_decision_tally {
	json_t *counts;          /* decision -> n */
	json_t *reasons;         /* reason -> n, failures and skips only */
	unsigned long long total, no_failover, exhausted;
	struct ck_decision last, last_nf, last_ex;
	int oom;
};

struct ck_decision_tally *
ck_decision_tally_new(void)
{
	struct ck_decision_tally *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->counts = json_object();
	t->reasons = json_object();
	if (t->counts == NULL || t->reasons == NULL) {
		ck_decision_tally_free(t);
		return NULL;
	}
	return t;
}

void
ck_decision_tally_free(struct ck_decision_tally *t)
{
	if (t == NULL)
		return;
	json_decref(t->counts);
	json_decref(t->reasons);
	free(t);
}

static void
bump(struct ck_decision_tally *t, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key[0] ? key : "(none)");

	if (v != NULL)
		json_integer_set(v, json_integer_value(v) + 1);
	else if (json_object_set_new(obj, key[0] ? key : "(none)", json_integer(1)) < 0)
		t->oom = 1;
}

void
ck_decision_tally_add(struct ck_decision_tally *t, const struct ck_decision *d)
{
	t->total++;
	bump(t, t->counts, d->decision);
	if (strcmp(d->decision, "candidate_succeeded") != 0)
		bump(t, t->reasons, d->reason);
	t->last = *d;
	if (d->verdict == CK_VERDICT_NO_FAILOVER) {
		t->no_failover++;
		t->last_nf = *d;
	} else if (d->verdict == CK_VERDICT_CHAIN_EXHAUSTED) {
		t->exhausted++;
		t->last_ex = *d;
	}
}

static void
provider_of(const char *model, char *out, size_t outsz)
{
	size_t n = strcspn(model, "/");

	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, model, n);
	out[n] = '\0';
}

static const char *
when(const struct ck_decision *d)
{
	return d->time[0] ? d->time : "(no time on the line)";
}

static int
add_no_failover(const struct ck_decision_tally *t, json_t *findings)
{
	const struct ck_decision *d = &t->last_nf;
	char prov[64], fix[512];

	provider_of(d->candidate, prov, sizeof(prov));
	if (strcmp(d->reason, "auth") == 0)
		snprintf(fix, sizeof(fix), "Renew or fix the %s credentials "
			 "(their state is in `clawkeeper health`; `openclaw models "
			 "auth login --provider %s`), and add fallback models on another provider "
			 "(agents.defaults.model.fallbacks) so one expired login does "
			 "not stop every turn.", prov, prov);
	else
		snprintf(fix, sizeof(fix), "Add fallback models on another provider "
			 "(agents.defaults.model.fallbacks) and check why %s fails "
			 "(reason=%s).", prov, d->reason);
	return ck_finding_add(findings, "DECISION_NO_FAILOVER", CK_SEV_CRITICAL,
			      "defaults", fix,
			      "%llu time(s) the requested model failed with no fallback "
			      "to try (next=none); latest at %s: %s %s (reason=%s)%s%s",
			      t->no_failover, when(d), d->candidate, d->decision,
			      d->reason, d->detail[0] ? ": " : "", d->detail);
}

static int
add_exhausted(const struct ck_decision_tally *t, json_t *findings)
{
	const struct ck_decision *d = &t->last_ex;

	return ck_finding_add(findings, "FALLBACK_CHAIN_EXHAUSTED", CK_SEV_WARNING,
			      "defaults", "Every model in the chain failed: check "
			      "each provider's credentials and reachability (the reason "
			      "of each candidate is in `clawkeeper decisions`), and "
			      "keep at least one fallback on a provider with a "
			      "different login.",
			      "%llu time(s) the whole fallback chain failed "
			      "(next=none); latest at %s: requested %s, last candidate "
			      "%s (reason=%s)%s%s", t->exhausted, when(d),
			      d->requested, d->candidate, d->reason,
			      d->detail[0] ? ": " : "", d->detail);
}

static int
add_findings(const struct ck_decision_tally *t,
	     const struct ck_decision_stats *st, json_t *findings)
{
	if (t->no_failover > 0 && add_no_failover(t, findings) < 0)
		return -1;
	if (t->exhausted > 0 && add_exhausted(t, findings) < 0)
		return -1;
	if (st != NULL && st->long_decision_lines > 0 &&
	    ck_finding_add(findings, "DECISION_LOG_LINES_SKIPPED", CK_SEV_INFO,
			   "defaults", NULL, "%llu decision log line(s) longer "
			   "than the line cap were skipped",
			   st->long_decision_lines) < 0)
		return -1;
	return 0;
}

json_t *
ck_decision_tally_summary(const struct ck_decision_tally *t,
			  const struct ck_decision_stats *st, json_t *findings)
{
	json_t *o;

	if (t->oom)
		return NULL;
	o = json_pack("{s:I, s:O, s:O, s:I, s:I}", "total", (json_int_t)t->total,
		      "counts", t->counts, "reasons", t->reasons,
		      "no_failover", (json_int_t)t->no_failover,
		      "exhausted", (json_int_t)t->exhausted);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "last", t->total ? ck_decision_to_json(&t->last) :
			    json_null());
	if (st != NULL) {
		json_object_set_new(o, "files", json_integer((json_int_t)st->files));
		json_object_set_new(o, "bytes", json_integer((json_int_t)st->bytes));
		json_object_set_new(o, "malformed",
				    json_integer((json_int_t)st->malformed));
		json_object_set_new(o, "skipped_long_lines",
				    json_integer((json_int_t)st->long_decision_lines));
	}
	if (findings != NULL && add_findings(t, st, findings) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
tally_cb(const struct ck_decision *d, void *ud)
{
	ck_decision_tally_add(ud, d);
	return 0;
}

json_t *
ck_decision_summary(const char *const *paths, size_t n, long long since_ms,
		    json_t *findings, struct ck_error *err)
{
	struct ck_decision_tally *t = ck_decision_tally_new();
	struct ck_decision_stats st;
	json_t *o = NULL;

	if (t == NULL) {
		ck_error_set(err, "decision summary: out of memory");
		return NULL;
	}
	if (ck_decision_scan_ex(paths, n, since_ms, 1, NULL, tally_cb, t, &st,
				err) == 0) {
		o = ck_decision_tally_summary(t, &st, findings);
		if (o == NULL)
			ck_error_set(err, "decision summary: out of memory");
	}
	ck_decision_tally_free(t);
	return o;
}
