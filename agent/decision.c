/* The model-fallback decision log: parse one line of either form OpenClaw
 * writes (tslog JSON file log, ANSI console line), stream whole rotated
 * logs through a fast substring prefilter, and summarise what was seen
 * into counts and findings. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "clawkeeper/clock.h"
#include "clawkeeper/decision.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/hash.h"

/*
 * The console line says "model fallback decision: ...", a JSON record has
 * "event":"model_fallback_decision" (and repeats the phrase in "2" and
 * "message"). Both spellings are 23 bytes with 'k' at 13 and 'n' at 22,
 * so one prefilter finds either, and only those lines are parsed.
 */
static const char NEEDLE[] = "model fallback decision";
#define NEEDLE_LEN (sizeof(NEEDLE) - 1)
#define JSON_EVENT "model_fallback_decision"
#define CONSOLE_MARK "model fallback decision:"

#define DEFAULT_BLOCK (256 * 1024)
#define DETAIL_RAW_MAX 1024   /* detail bytes looked at before scrubbing */
#define CONSOLE_MAX 8192      /* console bytes looked at; detail is last */
#define JSON_MAX_DEPTH 64

/* ------------------------------------------------------------------ */
/* Strings                                                             */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong 3/4-byte forms, surrogates, > U+10FFFF */
	if (s[0] == 0xe0 && s[1] < 0xa0)
		return 0;
	if (s[0] == 0xed && s[1] >= 0xa0)
		return 0;
	if (s[0] == 0xf0 && s[1] < 0x90)
		return 0;
	if (s[0] == 0xf4 && s[1] >= 0x90)
		return 0;
	return len;
}

/*
 * Copy into a fixed field: invalid UTF-8 becomes '?', control characters
 * become spaces (so table output and JSON output stay sane), and a cut
 * never splits a character. Returns 1 when src did not fit.
 */
static int
put_field(char *dst, size_t dstsz, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, k;

	while (i < len) {
		if (s[i] >= 0x20 && s[i] < 0x7f) { /* the usual case */
			if (o + 1 >= dstsz)
				break;
			dst[o++] = (char)s[i++];
			continue;
		}
		k = utf8_seq_len(s + i, len - i);
		if (k == 0) {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = '?';
			i++;
			continue;
		}
		if (o + k >= dstsz)
			break;
		if (k == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			dst[o++] = ' ';
		else
			memcpy(dst + o, s + i, k), o += k;
		i += k;
	}
	dst[o] = '\0';
	return i < len;
}

static int
is_word_stop(unsigned char c)
{
	return c <= ' ' || (c < 0x80 && memchr("\"'`()[]{}<>,;:=|", c, 16) != NULL);
}

#define SP(s) { s, sizeof(s) - 1 }
static const struct { const char *s; size_t len; } secret_prefixes[] = {
	SP("sk-"), SP("sk_"), SP("rk-"), SP("pk-"), SP("xoxb-"), SP("xoxp-"),
	SP("ghp_"), SP("gho_"), SP("ghs_"), SP("github_pat_"), SP("glpat-"),
	SP("AIza"), SP("eyJ"), SP("ya29."),
};

/* Token-like words: known key prefixes, or long runs without '/' (paths
 * and model ids have slashes; keys, tokens, UUIDs and e-mail-like OAuth
 * placeholders do not). */
static int
looks_secret(const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(secret_prefixes) / sizeof(secret_prefixes[0]); i++) {
		size_t pl = secret_prefixes[i].len;

		if (len > pl && memcmp(w, secret_prefixes[i].s, pl) == 0)
			return 1;
	}
	return len >= 24 && memchr(w, '/', len) == NULL;
}

/*
 * Provider error previews can quote a key ("Incorrect API key provided:
 * sk-..."). Details are shown to operators and sent over the API, so any
 * token-like word is replaced by its fingerprint. When raw was cut short
 * its last word is dropped: it may be the head of a secret.
 */
static void
scrub_detail(char *dst, size_t dstsz, const char *raw, int raw_cut)
{
	size_t i = 0, o = 0, n = strlen(raw);

	while (i < n) {
		size_t start = i, wlen, add;
		char fp[CK_FINGERPRINT_LEN], word[DETAIL_RAW_MAX + 1];
		const char *piece;

		if (is_word_stop((unsigned char)raw[i])) {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = raw[i++];
			continue;
		}
		while (i < n && !is_word_stop((unsigned char)raw[i]))
			i++;
		wlen = i - start;
		if (raw_cut && i == n)
			break;
		piece = raw + start;
		add = wlen;
		if (looks_secret(raw + start, wlen)) {
			memcpy(word, raw + start, wlen);
			word[wlen] = '\0';
			ck_fingerprint(word, fp);
			piece = fp;
			add = strlen(fp);
		}
		if (o + add >= dstsz)
			break;
		memcpy(dst + o, piece, add);
		o += add;
	}
	dst[o] = '\0';
}

/* src_cut: src itself is the head of a longer text. */
static void
set_detail(struct ck_decision *d, const char *src, size_t len, int src_cut)
{
	char raw[DETAIL_RAW_MAX];
	int cut = put_field(raw, sizeof(raw), src, len);

	scrub_detail(d->detail, sizeof(d->detail), raw, cut || src_cut);
}

/* ------------------------------------------------------------------ */
/* Time                                                                */

int
ck_time_parse(const char *s, long long now_ms, long long *out_ms)
{
	size_t len, i = 0;
	long long v = 0, unit;

	if (s == NULL || (len = strlen(s)) == 0)
		return -1;
	while (i < len && isdigit((unsigned char)s[i])) {
		if (v > LLONG_MAX / 10 - 10)
			return -1;
		v = v * 10 + (s[i] - '0');
		i++;
	}
	if (i == len) {                     /* epoch milliseconds */
		*out_ms = v;
		return 0;
	}
	if (i > 0 && i + 1 == len) {        /* relative: 30s 15m 2h 7d */
		switch (s[i]) {
		case 's': unit = 1000LL; break;
		case 'm': unit = 60 * 1000LL; break;
		case 'h': unit = 3600 * 1000LL; break;
		case 'd': unit = 86400 * 1000LL; break;
		case 'w': unit = 7 * 86400 * 1000LL; break;
		default: return -1;
		}
		if (v > now_ms / unit)
			return -1;
		*out_ms = now_ms - v * unit;
		return 0;
	}
	if (ck_clock_parse_iso(s, len, out_ms) != len)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* A small JSON reader: walks one tslog line and keeps only the fields  */
/* a decision needs. Faster than building a jansson tree per line and  */
/* bounded in what it stores; it never reads past `end`.               */

struct jcur {
	const char *p, *end;
};

struct jfields {
	char event[32], decision[32], reason[32], outcome[32];
	char rp[96], rm[160], cp[96], cm[160], np[96], nm[160];
	char time[40], meta_date[40];
	char detail[DETAIL_RAW_MAX];
	int detail_cut;
	int attempt, total;
};

static void
j_ws(struct jcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
				 *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
j_expect(struct jcur *c, char ch)
{
	j_ws(c);
	if (c->p >= c->end || *c->p != ch)
		return -1;
	c->p++;
	return 0;
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int ch = (unsigned char)p[i], x;

		if (ch >= '0' && ch <= '9')
			x = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			x = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			x = ch - 'A' + 10;
		else
			return -1;
		v = v << 4 | (unsigned)x;
	}
	*out = v;
	return 0;
}

/* Encode cp as UTF-8 into out (4 bytes room); lone surrogates -> '?'. */
static size_t
utf8_put(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp >= 0xd800 && cp <= 0xdfff) {
		out[0] = '?';
		return 1;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A \u escape at p (after the backslash-u), pairing surrogates. */
static int
j_unicode(struct jcur *c, unsigned *cp)
{
	unsigned lo;

	if (c->end - c->p < 4 || hex4(c->p, cp) < 0)
		return -1;
	c->p += 4;
	if (*cp >= 0xd800 && *cp <= 0xdbff && c->end - c->p >= 6 &&
	    c->p[0] == '\\' && c->p[1] == 'u' && hex4(c->p + 2, &lo) == 0 &&
	    lo >= 0xdc00 && lo <= 0xdfff) {
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
		c->p += 6;
	}
	return 0;
}

/* First '"' or '\\' in [p, end), or end. Strings are most of the bytes
 * of a decision line, so this runs 16 bytes at a time. */
static const char *
j_plain_run(const char *p, const char *end)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');

	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));

		if (m != 0)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

/* One escape after the backslash at c->p; decoded bytes into tmp. */
static int
j_escape(struct jcur *c, char tmp[4], size_t *k)
{
	unsigned cp;

	if (++c->p >= c->end)
		return -1;
	*k = 1;
	switch (*c->p++) {
	case '"': tmp[0] = '"'; break;
	case '\\': tmp[0] = '\\'; break;
	case '/': tmp[0] = '/'; break;
	case 'b': tmp[0] = '\b'; break;
	case 'f': tmp[0] = '\f'; break;
	case 'n': tmp[0] = '\n'; break;
	case 'r': tmp[0] = '\r'; break;
	case 't': tmp[0] = '\t'; break;
	case 'u':
		if (j_unicode(c, &cp) < 0)
			return -1;
		*k = utf8_put(tmp, cp);
		break;
	default:
		return -1;
	}
	return 0;
}

static void
j_append(char *out, size_t outsz, size_t *o, const char *src, size_t k,
	 int partial_ok, int *cut)
{
	if (out == NULL)
		return;
	if (*o + k < outsz) {
		memcpy(out + *o, src, k);
		*o += k;
	} else {
		/* keep what fits of a plain run; an escape is all or nothing */
		size_t fit = outsz - 1 - *o;

		if (partial_ok && fit > 0) {
			memcpy(out + *o, src, fit);
			*o += fit;
		}
		*cut = 1;
	}
}

/*
 * A string at c->p (which must be '"'). Decoded bytes go to out (size
 * outsz, raw bytes, NUL-terminated, cut when full; *cut says so) unless
 * out is NULL.
 */
static int
j_string_len(struct jcur *c, char *out, size_t outsz, int *cut, size_t *outlen)
{
	size_t o = 0, k;
	int dummy;
	char tmp[4];

	if (cut == NULL)
		cut = &dummy;
	*cut = 0;
	if (c->p >= c->end || *c->p != '"')
		return -1;
	c->p++;
	for (;;) {
		const char *q = j_plain_run(c->p, c->end);

		if (q > c->p)
			j_append(out, outsz, &o, c->p, (size_t)(q - c->p), 1, cut);
		c->p = q;
		if (q >= c->end)
			return -1;
		if (*q == '"')
			break;
		if (j_escape(c, tmp, &k) < 0)
			return -1;
		j_append(out, outsz, &o, tmp, k, 0, cut);
	}
	c->p++;
	if (out != NULL)
		out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

static int
j_string(struct jcur *c, char *out, size_t outsz, int *cut)
{
	return j_string_len(c, out, outsz, cut, NULL);
}

/* Skip any value. Iterative with a bracket stack, so a hostile line of
 * nested brackets cannot exhaust the C stack. */
static int
j_skip(struct jcur *c)
{
	char stack[JSON_MAX_DEPTH];
	int depth = 0;

	for (;;) {
		j_ws(c);
		if (c->p >= c->end)
			return -1;
		switch (*c->p) {
		case '"':
			if (j_string(c, NULL, 0, NULL) < 0)
				return -1;
			break;
		case '{':
		case '[':
			if (depth == JSON_MAX_DEPTH)
				return -1;
			stack[depth++] = *c->p == '{' ? '}' : ']';
			c->p++;
			continue;
		case '}':
		case ']':
			if (depth == 0 || stack[depth - 1] != *c->p)
				return -1;
			depth--;
			c->p++;
			break;
		case ',':
		case ':':
			if (depth == 0)
				return -1;
			c->p++;
			continue;
		default:
			if (!isalnum((unsigned char)*c->p) && *c->p != '-' &&
			    *c->p != '+' && *c->p != '.')
				return -1;
			while (c->p < c->end && (isalnum((unsigned char)*c->p) ||
			       *c->p == '-' || *c->p == '+' || *c->p == '.'))
				c->p++;
			break;
		}
		if (depth == 0)
			return 0;
	}
}

/* An integer value, or skip a non-integer one leaving *out alone. */
static int
j_int(struct jcur *c, int *out)
{
	const char *start;
	long v = 0;
	int neg = 0;

	j_ws(c);
	start = c->p;
	if (c->p < c->end && *c->p == '-')
		neg = 1, c->p++;
	while (c->p < c->end && isdigit((unsigned char)*c->p)) {
		if (v < 1000000000L)
			v = v * 10 + (*c->p - '0');
		c->p++;
	}
	if (c->p == start + neg || (c->p < c->end && strchr(".eE", *c->p))) {
		c->p = start;
		return j_skip(c);
	}
	*out = (int)(neg ? -v : v);
	return 0;
}

/* A string value into out; other value types are skipped. */
static int
j_str_value(struct jcur *c, char *out, size_t outsz, int *cut)
{
	j_ws(c);
	if (c->p < c->end && *c->p == '"')
		return j_string(c, out, outsz, cut);
	return j_skip(c);
}

typedef int (*j_member_fn)(struct jcur *c, const char *key, size_t klen,
			   void *ud);

/* Walk an object, calling fn with each key positioned at its value. */
static int
j_object(struct jcur *c, j_member_fn fn, void *ud)
{
	char key[48];
	size_t klen;
	int cut;

	if (j_expect(c, '{') < 0)
		return -1;
	j_ws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		return 0;
	}
	for (;;) {
		j_ws(c);
		if (j_string_len(c, key, sizeof(key), &cut, &klen) < 0 ||
		    j_expect(c, ':') < 0)
			return -1;
		if (cut)
			key[0] = '\0', klen = 0; /* no key we want is that long */
		if (fn(c, key, klen, ud) < 0)
			return -1;
		j_ws(c);
		if (c->p >= c->end)
			return -1;
		if (*c->p == '}') {
			c->p++;
			return 0;
		}
		if (*c->p++ != ',')
			return -1;
	}
}

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
event_member(struct jcur *c, const char *key, size_t klen, void *ud)
{
	struct jfields *f = ud;
	size_t i;
	int cut;

	if (key_is(key, klen, JK("attempt")))
		return j_int(c, &f->attempt);
	if (key_is(key, klen, JK("total")))
		return j_int(c, &f->total);
	for (i = 0; i < sizeof(event_keys) / sizeof(event_keys[0]); i++) {
		const struct jkey *k = &event_keys[i];

		if (!key_is(key, klen, k->name, k->len))
			continue;
		if (j_str_value(c, (char *)f + k->off, k->size, &cut) < 0)
			return -1;
		if (k->detail)
			f->detail_cut = cut;
		return 0;
	}
	return j_skip(c);
}

static int
meta_member(struct jcur *c, const char *key, size_t klen, void *ud)
{
	struct jfields *f = ud;
	int cut;

	if (key_is(key, klen, JK("date")))
		return j_str_value(c, f->meta_date, sizeof(f->meta_date), &cut);
	return j_skip(c);
}

static int
top_member(struct jcur *c, const char *key, size_t klen, void *ud)
{
	struct jfields *f = ud;
	int cut;

	j_ws(c);
	if (key_is(key, klen, JK("1")) && c->p < c->end && *c->p == '{')
		return j_object(c, event_member, f);
	if (key_is(key, klen, JK("_meta")) && c->p < c->end && *c->p == '{')
		return j_object(c, meta_member, f);
	if (key_is(key, klen, JK("time")))
		return j_str_value(c, f->time, sizeof(f->time), &cut);
	return j_skip(c);
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
	put_field(dst, dstsz, tmp, strlen(tmp));
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
	put_field(d->time, sizeof(d->time), s, used);
	d->time_ms = ms;
}

static int
parse_json(const char *line, size_t len, struct ck_decision *d)
{
	struct jcur c = { line, line + len };
	struct jfields f;

	memset(&f, 0, sizeof(f));
	if (j_object(&c, top_member, &f) < 0)
		return 0;
	if (strcmp(f.event, JSON_EVENT) != 0)
		return 0;
	if (f.cm[0] == '\0' && f.rm[0] == '\0')
		return 0;
	put_field(d->decision, sizeof(d->decision), f.decision, strlen(f.decision));
	join_model(d->requested, sizeof(d->requested), f.rp, f.rm);
	join_model(d->candidate, sizeof(d->candidate), f.cp, f.cm);
	/* The file log omits next* when there is no next candidate (every
	 * chain_exhausted and succeeded record in the fixtures). */
	if (f.np[0] == '\0' && f.nm[0] == '\0')
		strcpy(d->next, "none");
	else
		join_model(d->next, sizeof(d->next), f.np, f.nm);
	/* The console prints reason=unknown where the file log has none. */
	put_field(d->reason, sizeof(d->reason), f.reason[0] ? f.reason : "unknown",
		  strlen(f.reason[0] ? f.reason : "unknown"));
	set_detail(d, f.detail, strlen(f.detail), f.detail_cut);
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
			put_field((char *)d + k->off, k->size, val, vlen);
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
			set_detail(d, s + i, ve - i, cut);
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
	p = hit + NEEDLE_LEN + 1;
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

/* ------------------------------------------------------------------ */
/* Streaming scan                                                       */

/* "model", "fallback" and "decision" joined by ' ' or '_'. */
static int
needle_at(const char *p)
{
	return memcmp(p, "model", 5) == 0 && (p[5] == ' ' || p[5] == '_') &&
	       memcmp(p + 6, "fallback", 8) == 0 &&
	       (p[14] == ' ' || p[14] == '_') && memcmp(p + 15, "decision", 8) == 0;
}

#define PF_A 13 /* 'k' */
#define PF_B (NEEDLE_LEN - 1) /* 'n' */

static const char *
find_needle_scalar(const char *s, size_t n)
{
	const char *p = s + PF_A, *end = s + n - (NEEDLE_LEN - 1 - PF_A);

	if (n < NEEDLE_LEN)
		return NULL;
	while (p < end && (p = memchr(p, NEEDLE[PF_A], (size_t)(end - p))) != NULL) {
		if (p[PF_B - PF_A] == NEEDLE[PF_B] && needle_at(p - PF_A))
			return p - PF_A;
		p++;
	}
	return NULL;
}

#if defined(__SSE2__)
/*
 * SIMD prefilter (W. Mula's "generic SIMD" substring search): compare two
 * needle bytes at every offset of a 16-byte window, verify the few hits.
 * 'k' and the final 'n' nine bytes apart are rare together in tslog
 * JSON (one verification per ~4 KB of real logs), so the loop runs near
 * memory speed, which is what keeps pace with grep.
 */
static const char *
find_needle(const char *s, size_t n)
{
	const __m128i a = _mm_set1_epi8(NEEDLE[PF_A]);
	const __m128i b = _mm_set1_epi8(NEEDLE[PF_B]);
	size_t i = 0;

	while (i + NEEDLE_LEN + 31 <= n) {
		__m128i a0 = _mm_loadu_si128((const __m128i *)(s + i + PF_A));
		__m128i b0 = _mm_loadu_si128((const __m128i *)(s + i + PF_B));
		__m128i a1 = _mm_loadu_si128((const __m128i *)(s + i + 16 + PF_A));
		__m128i b1 = _mm_loadu_si128((const __m128i *)(s + i + 16 + PF_B));
		unsigned m0 = (unsigned)_mm_movemask_epi8(_mm_and_si128(
			_mm_cmpeq_epi8(a, a0), _mm_cmpeq_epi8(b, b0)));
		unsigned m1 = (unsigned)_mm_movemask_epi8(_mm_and_si128(
			_mm_cmpeq_epi8(a, a1), _mm_cmpeq_epi8(b, b1)));
		uint32_t mask = m0 | m1 << 16;

		while (mask != 0) {
			unsigned bit = (unsigned)__builtin_ctz(mask);

			if (needle_at(s + i + bit))
				return s + i + bit;
			mask &= mask - 1;
		}
		i += 32;
	}
	return find_needle_scalar(s + i, n - i);
}
#else
static const char *
find_needle(const char *s, size_t n)
{
	return find_needle_scalar(s, n);
}
#endif

struct scan {
	const char *path;
	long long since_ms;
	ck_decision_fn fn;
	void *ud;
	struct ck_decision_stats *st;
	size_t block, max_line;
	char *buf;
	size_t cap;
	int stopped;
};

/* One line that named a decision. Returns 1 when fn asked to stop. */
static int
scan_line(struct scan *sc, const char *line, size_t len)
{
	struct ck_decision d;

	if (len > sc->max_line) {
		sc->st->long_lines++;
		sc->st->long_decision_lines++;
		return 0;
	}
	if (!ck_decision_parse_line(line, len, &d)) {
		sc->st->malformed++;
		return 0;
	}
	sc->st->decisions++;
	if (sc->since_ms >= 0 && (d.time_ms < 0 || d.time_ms < sc->since_ms))
		return 0;
	if (sc->fn(&d, sc->ud) != 0) {
		sc->stopped = 1;
		return 1;
	}
	return 0;
}

/* Complete lines in s[0..n) (n > 0, s[n-1] == '\n' or end of file). */
static int
scan_region(struct scan *sc, const char *s, size_t n)
{
	const char *end = s + n, *p = s, *hit;

	while (p < end && (hit = find_needle(p, (size_t)(end - p))) != NULL) {
		const char *ls = memrchr(p, '\n', (size_t)(hit - p));
		const char *le = memchr(hit, '\n', (size_t)(end - hit));

		ls = ls ? ls + 1 : p;
		if (le == NULL)
			le = end;
		if (scan_line(sc, ls, (size_t)(le - ls)))
			return 1;
		if (le == end)
			break;
		p = le + 1;
	}
	return 0;
}

static ssize_t
read_some(int fd, char *buf, size_t n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

/*
 * The buffer holds at most one partial line plus one block. A partial
 * line longer than max_line puts the reader in "skipping" mode: bytes are
 * dropped up to the next newline, keeping NEEDLE_LEN-1 bytes so a needle
 * split across reads is still seen, and the line is counted, not parsed.
 */
static int
scan_fd(struct scan *sc, int fd, struct ck_error *err)
{
	size_t have = 0;
	int skipping = 0, skip_hit = 0;

	for (;;) {
		size_t room = sc->cap - have;
		ssize_t r;
		char *nl;

		if (room > sc->block)
			room = sc->block;
		r = read_some(fd, sc->buf + have, room);
		if (r < 0) {
			ck_error_set(err, "decision log %s: read: %s", sc->path,
				     strerror(errno));
			return -1;
		}
		if (r == 0)
			break;
		sc->st->bytes += (size_t)r;
		have += (size_t)r;
		if (skipping) {
			nl = memchr(sc->buf, '\n', have);
			if (!skip_hit && find_needle(sc->buf, nl ? (size_t)(nl - sc->buf) : have))
				skip_hit = 1;
			if (nl == NULL) {
				size_t keep = have < NEEDLE_LEN - 1 ? have : NEEDLE_LEN - 1;

				memmove(sc->buf, sc->buf + have - keep, keep);
				have = keep;
				continue;
			}
			sc->st->long_lines++;
			sc->st->long_decision_lines += skip_hit;
			skipping = skip_hit = 0;
			have -= (size_t)(nl + 1 - sc->buf);
			memmove(sc->buf, nl + 1, have);
		}
		nl = memrchr(sc->buf, '\n', have);
		if (nl != NULL) {
			size_t done = (size_t)(nl + 1 - sc->buf);

			if (scan_region(sc, sc->buf, done))
				return 0;
			have -= done;
			memmove(sc->buf, nl + 1, have);
		}
		if (have > sc->max_line) {
			skip_hit = find_needle(sc->buf, have) != NULL;
			skipping = 1;
			memmove(sc->buf, sc->buf + have - (NEEDLE_LEN - 1), NEEDLE_LEN - 1);
			have = NEEDLE_LEN - 1;
		}
	}
	if (skipping) {
		sc->st->long_lines++;
		sc->st->long_decision_lines += skip_hit;
	} else if (have > 0) {
		scan_region(sc, sc->buf, have);
	}
	return 0;
}

static int
scan_path(struct scan *sc, const char *path, int skip_missing,
	  struct ck_error *err)
{
	int fd, rc;

	sc->path = path;
	if (strcmp(path, "-") == 0) {
		sc->path = "(stdin)";
		sc->st->files++;
		return scan_fd(sc, 0, err);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && skip_missing)
			return 0;
		ck_error_set(err, "decision log %s: %s", path, strerror(errno));
		return -1;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	sc->st->files++;
	rc = scan_fd(sc, fd, err);
	close(fd);
	return rc;
}

int
ck_decision_scan_ex(const char *const *paths, size_t n, long long since_ms,
		    int skip_missing, const struct ck_decision_scan_opts *opts,
		    ck_decision_fn fn, void *ud, struct ck_decision_stats *stats,
		    struct ck_error *err)
{
	struct ck_decision_stats local;
	struct scan sc;
	size_t i;
	int rc = 0;

	memset(&sc, 0, sizeof(sc));
	sc.st = stats ? stats : &local;
	memset(sc.st, 0, sizeof(*sc.st));
	sc.since_ms = since_ms;
	sc.fn = fn;
	sc.ud = ud;
	sc.block = opts && opts->block_size ? opts->block_size : DEFAULT_BLOCK;
	sc.max_line = opts && opts->max_line ? opts->max_line : CK_DECISION_MAX_LINE;
	if (sc.max_line < NEEDLE_LEN)
		sc.max_line = NEEDLE_LEN;
	sc.cap = sc.block + sc.max_line + 1;
	sc.buf = malloc(sc.cap);
	if (sc.buf == NULL) {
		ck_error_set(err, "decision log: out of memory for a %zu-byte buffer",
			     sc.cap);
		return -1;
	}
	for (i = 0; i < n && rc == 0 && !sc.stopped; i++)
		rc = scan_path(&sc, paths[i], skip_missing, err);
	free(sc.buf);
	if (rc < 0)
		return -1;
	return sc.stopped ? 1 : 0;
}

int
ck_decision_scan(const char *const *paths, size_t n, long long since_ms,
		 int skip_missing, ck_decision_fn fn, void *ud,
		 struct ck_error *err)
{
	return ck_decision_scan_ex(paths, n, since_ms, skip_missing, NULL, fn,
				   ud, NULL, err);
}

/* ------------------------------------------------------------------ */
/* Summary                                                              */

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
