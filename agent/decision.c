/* One line of the model-fallback decision log into a struct ck_decision:
 * either form OpenClaw writes (tslog JSON file log, ANSI console line),
 * the decision inferred where the line has none, and its verdict. The
 * scan over whole logs is decision_scan.c, the totals decision_tally.c. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/decision.h"
#include "decision_internal.h"

#define JSON_EVENT "model_fallback_decision"
#define CONSOLE_MARK "model fallback decision:"
#define CONSOLE_MAX 8192      /* console bytes looked at; detail is last */

/* ------------------------------------------------------------------ */
/* tslog JSON records: the fields a decision needs                     */

struct jfields {
	char event[32], decision[32], reason[32], outcome[32];
	char rp[96], rm[160], cp[96], cm[160], np[96], nm[160];
	char time[40], meta_date[40];
	char detail[DETAIL_RAW_MAX];
	int detail_cut;
	int attempt, total;
};

struct jkey {
	const char *name;
	size_t len, off, size;
	int detail;
};

#define JK(name) name, sizeof(name) - 1
#define JF(f) offsetof(struct jfields, f), sizeof(((struct jfields *)0)->f)
static const struct jkey event_keys[] = {
	{ JK("event"), JF(event), 0 },
	{ JK("decision"), JF(decision), 0 },
	{ JK("requestedProvider"), JF(rp), 0 },
	{ JK("requestedModel"), JF(rm), 0 },
	{ JK("candidateProvider"), JF(cp), 0 },
	{ JK("candidateModel"), JF(cm), 0 },
	{ JK("nextCandidateProvider"), JF(np), 0 },
	{ JK("nextCandidateModel"), JF(nm), 0 },
	{ JK("reason"), JF(reason), 0 },
	{ JK("fallbackStepFinalOutcome"), JF(outcome), 0 },
	{ JK("errorPreview"), JF(detail), 1 },
};

static int
key_is(const char *key, size_t klen, const char *name, size_t len)
{
	return klen == len && memcmp(key, name, len) == 0;
}

/* About 40 keys per record, most of them skipped: compare lengths first. */
static int
event_member(struct ck_jcur *c, const char *key, size_t klen, void *ud)
{
	struct jfields *f = ud;
	size_t i;
	int cut;

	if (key_is(key, klen, JK("attempt")))
		return ck_jcur_int(c, &f->attempt);
	if (key_is(key, klen, JK("total")))
		return ck_jcur_int(c, &f->total);
	for (i = 0; i < sizeof(event_keys) / sizeof(event_keys[0]); i++) {
		const struct jkey *k = &event_keys[i];

		if (!key_is(key, klen, k->name, k->len))
			continue;
		if (ck_jcur_str_value(c, (char *)f + k->off, k->size, &cut) < 0)
			return -1;
		if (k->detail)
			f->detail_cut = cut;
		return 0;
	}
	return ck_jcur_skip(c);
}

static int
meta_member(struct ck_jcur *c, const char *key, size_t klen, void *ud)
{
	struct jfields *f = ud;
	int cut;

	if (key_is(key, klen, JK("date")))
		return ck_jcur_str_value(c, f->meta_date, sizeof(f->meta_date), &cut);
	return ck_jcur_skip(c);
}

static int
top_member(struct ck_jcur *c, const char *key, size_t klen, void *ud)
{
	struct jfields *f = ud;
	int cut;

	ck_jcur_ws(c);
	if (key_is(key, klen, JK("1")) && c->p < c->end && *c->p == '{')
		return ck_jcur_object(c, event_member, f);
	if (key_is(key, klen, JK("_meta")) && c->p < c->end && *c->p == '{')
		return ck_jcur_object(c, meta_member, f);
	if (key_is(key, klen, JK("time")))
		return ck_jcur_str_value(c, f->time, sizeof(f->time), &cut);
	return ck_jcur_skip(c);
}

/* ------------------------------------------------------------------ */
/* Records                                                             */

static void
join_model(char *dst, size_t dstsz, const char *prov, const char *model)
{
	char tmp[300];
	int n;

	if (*prov != '\0' && *model != '\0')
		n = snprintf(tmp, sizeof(tmp), "%s/%s", prov, model);
	else
		n = snprintf(tmp, sizeof(tmp), "%s", *model ? model : prov);
	if (n < 0)
		n = 0;
	ck_decision_put_field(dst, dstsz, tmp, strlen(tmp));
}

/*
 * Lines without decision= (the brief's "older" console lines, and any
 * JSON record without "decision") get one inferred, marked d->inferred:
 * a detail saying "skipping" is OpenClaw's skip_candidate text; a
 * fallbackStepFinalOutcome of "succeeded", or reason unknown with no
 * detail and next=none (how candidate_succeeded always prints), is a
 * success; anything else names a failure.
 */
static void
infer_decision(struct ck_decision *d, const char *outcome)
{
	const char *what;

	if (d->decision[0] != '\0')
		return;
	if (strcmp(outcome, "succeeded") == 0)
		what = "candidate_succeeded";
	else if (strstr(d->detail, "skipping") != NULL)
		what = "skip_candidate";
	else if (*outcome == '\0' && d->detail[0] == '\0' &&
		 strcmp(d->reason, "unknown") == 0 && strcmp(d->next, "none") == 0)
		what = "candidate_succeeded";
	else
		what = "candidate_failed";
	snprintf(d->decision, sizeof(d->decision), "%s", what);
	d->inferred = 1;
}

/* next=none after a failure: nothing left to try. Whose failure it was
 * tells whether fallbacks exist at all. */
static void
set_verdict(struct ck_decision *d)
{
	d->verdict = CK_VERDICT_NONE;
	if (strcmp(d->next, "none") != 0)
		return;
	if (strcmp(d->decision, "candidate_failed") != 0 &&
	    strcmp(d->decision, "skip_candidate") != 0)
		return;
	if (strcmp(d->candidate, d->requested) == 0)
		d->verdict = CK_VERDICT_NO_FAILOVER;
	else
		d->verdict = CK_VERDICT_CHAIN_EXHAUSTED;
}

static void
set_time(struct ck_decision *d, const char *s, size_t len)
{
	long long ms;
	size_t used = ck_clock_parse_iso(s, len, &ms);

	if (used == 0 || ms < 0) /* -1 means "no time"; logs are not pre-1970 */
		return;
	ck_decision_put_field(d->time, sizeof(d->time), s, used);
	d->time_ms = ms;
}

static int
parse_json(const char *line, size_t len, struct ck_decision *d)
{
	struct ck_jcur c = { line, line + len };
	struct jfields f;

	memset(&f, 0, sizeof(f));
	if (ck_jcur_object(&c, top_member, &f) < 0)
		return 0;
	if (strcmp(f.event, JSON_EVENT) != 0)
		return 0;
	if (f.cm[0] == '\0' && f.rm[0] == '\0')
		return 0;
	ck_decision_put_field(d->decision, sizeof(d->decision), f.decision,
			      strlen(f.decision));
	join_model(d->requested, sizeof(d->requested), f.rp, f.rm);
	join_model(d->candidate, sizeof(d->candidate), f.cp, f.cm);
	/* The file log omits next* when there is no next candidate (every
	 * chain_exhausted and succeeded record in the fixtures). */
	if (f.np[0] == '\0' && f.nm[0] == '\0')
		strcpy(d->next, "none");
	else
		join_model(d->next, sizeof(d->next), f.np, f.nm);
	/* The console prints reason=unknown where the file log has none. */
	ck_decision_put_field(d->reason, sizeof(d->reason),
			      f.reason[0] ? f.reason : "unknown",
			      strlen(f.reason[0] ? f.reason : "unknown"));
	ck_decision_set_detail(d, f.detail, strlen(f.detail), f.detail_cut);
	d->attempt = f.attempt > 0 ? f.attempt : 0;
	d->total = f.total > 0 ? f.total : 0;
	if (f.time[0] != '\0')
		set_time(d, f.time, strlen(f.time));
	if (d->time_ms < 0 && f.meta_date[0] != '\0')
		set_time(d, f.meta_date, strlen(f.meta_date));
	infer_decision(d, f.outcome);
	return 1;
}

/* Drop ANSI escape sequences (CSI ... final byte, or a lone ESC). */
static size_t
strip_ansi(const char *in, size_t len, char *out, size_t outsz, int *cut)
{
	size_t i = 0, o = 0;

	while (i < len && o + 1 < outsz) {
		if (in[i] != '\x1b') {
			out[o++] = in[i++];
			continue;
		}
		i++;
		if (i < len && in[i] == '[') {
			i++;
			while (i < len && (unsigned char)in[i] >= 0x20 &&
			       (unsigned char)in[i] < 0x40)
				i++;
			if (i < len && (unsigned char)in[i] >= 0x40 &&
			    (unsigned char)in[i] <= 0x7e)
				i++;
		}
	}
	out[o] = '\0';
	*cut = i < len;
	return o;
}

struct console_key {
	const char *name;
	size_t off, size;
};

#define DF(f) offsetof(struct ck_decision, f), sizeof(((struct ck_decision *)0)->f)
static const struct console_key console_keys[] = {
	{ "decision", DF(decision) },
	{ "requested", DF(requested) },
	{ "candidate", DF(candidate) },
	{ "reason", DF(reason) },
	{ "next", DF(next) },
};

static void
console_field(struct ck_decision *d, const char *key, size_t klen,
	      const char *val, size_t vlen)
{
	size_t i;

	for (i = 0; i < sizeof(console_keys) / sizeof(console_keys[0]); i++) {
		const struct console_key *k = &console_keys[i];

		if (strlen(k->name) == klen && memcmp(key, k->name, klen) == 0) {
			ck_decision_put_field((char *)d + k->off, k->size, val, vlen);
			return;
		}
	}
	if (klen == 7 && memcmp(key, "attempt", 7) == 0)
		d->attempt = atoi(val);
	else if (klen == 5 && memcmp(key, "total", 5) == 0)
		d->total = atoi(val);
}

/* "key=value ..." after the colon; detail= takes the rest of the line. */
static void
console_fields(struct ck_decision *d, const char *s, size_t len, int cut)
{
	size_t i = 0;

	while (i < len) {
		size_t ks, ke, ve;

		while (i < len && s[i] == ' ')
			i++;
		ks = i;
		while (i < len && s[i] != ' ' && s[i] != '=')
			i++;
		if (i >= len || s[i] != '=') {
			continue; /* a bare word: not ours */
		}
		ke = i++;
		if (ke - ks == 6 && memcmp(s + ks, "detail", 6) == 0) {
			ve = len;
			while (ve > i && s[ve - 1] == ' ')
				ve--;
			ck_decision_set_detail(d, s + i, ve - i, cut);
			return;
		}
		ve = i;
		while (ve < len && s[ve] != ' ')
			ve++;
		console_field(d, s + ks, ke - ks, s + i, ve - i);
		i = ve;
	}
}

static int
parse_console(const char *line, size_t len, struct ck_decision *d)
{
	char buf[CONSOLE_MAX];
	int cut;
	size_t n = strip_ansi(line, len, buf, sizeof(buf), &cut);
	const char *hit, *p;

	hit = memmem(buf, n, CONSOLE_MARK, sizeof(CONSOLE_MARK) - 1);
	if (hit == NULL)
		return 0;
	/* 9.6 gateway stderr starts with a timestamp; agent runs do not. */
	p = buf;
	while (p < hit && *p == ' ')
		p++;
	if (p < hit && isdigit((unsigned char)*p))
		set_time(d, p, (size_t)(hit - p));
	p = hit + sizeof(CONSOLE_MARK) - 1;
	console_fields(d, p, n - (size_t)(p - buf), cut);
	if (d->requested[0] == '\0' && d->candidate[0] == '\0')
		return 0;
	if (d->reason[0] == '\0')
		strcpy(d->reason, "unknown");
	infer_decision(d, "");
	return 1;
}

int
ck_decision_parse_line(const char *line, size_t len, struct ck_decision *d)
{
	size_t i = 0;
	int ok;

	memset(d, 0, sizeof(*d));
	d->time_ms = -1;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && line[i] == '{')
		ok = parse_json(line + i, len - i, d);
	else
		ok = parse_console(line, len, d);
	if (!ok) {
		memset(d, 0, sizeof(*d));
		d->time_ms = -1;
		return 0;
	}
	set_verdict(d);
	return 1;
}

const char *
ck_decision_verdict_code(enum ck_decision_verdict v)
{
	switch (v) {
	case CK_VERDICT_NO_FAILOVER:
		return "DECISION_NO_FAILOVER";
	case CK_VERDICT_CHAIN_EXHAUSTED:
		return "FALLBACK_CHAIN_EXHAUSTED";
	default:
		return NULL;
	}
}

json_t *
ck_decision_to_json(const struct ck_decision *d)
{
	const char *code = ck_decision_verdict_code(d->verdict);
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "time", d->time[0] ? json_string(d->time) : json_null());
	json_object_set_new(o, "time_ms", d->time_ms >= 0 ?
			    json_integer(d->time_ms) : json_null());
	json_object_set_new(o, "decision", json_string(d->decision));
	json_object_set_new(o, "requested", json_string(d->requested));
	json_object_set_new(o, "candidate", json_string(d->candidate));
	json_object_set_new(o, "reason", json_string(d->reason));
	json_object_set_new(o, "next", json_string(d->next));
	if (d->detail[0] != '\0')
		json_object_set_new(o, "detail", json_string(d->detail));
	if (d->attempt > 0)
		json_object_set_new(o, "attempt", json_integer(d->attempt));
	if (d->total > 0)
		json_object_set_new(o, "total", json_integer(d->total));
	if (d->inferred)
		json_object_set_new(o, "inferred", json_true());
	json_object_set_new(o, "finding", code ? json_string(code) : json_null());
	return o;
}
