/* A small JSON reader for tslog lines: a cursor that skips the values it
 * is not asked for and copies strings into bounded buffers. Faster than
 * building a jansson tree per line; it never reads past `end`. Which
 * fields a decision needs is decision.c's business. */
#include <ctype.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "decision_internal.h"

#define JSON_MAX_DEPTH 64

void
ck_jcur_ws(struct ck_jcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
				 *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
j_expect(struct ck_jcur *c, char ch)
{
	ck_jcur_ws(c);
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
j_unicode(struct ck_jcur *c, unsigned *cp)
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
j_escape(struct ck_jcur *c, char tmp[4], size_t *k)
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
j_string_len(struct ck_jcur *c, char *out, size_t outsz, int *cut,
	     size_t *outlen)
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
j_string(struct ck_jcur *c, char *out, size_t outsz, int *cut)
{
	return j_string_len(c, out, outsz, cut, NULL);
}

/* Skip any value. Iterative with a bracket stack, so a hostile line of
 * nested brackets cannot exhaust the C stack. */
int
ck_jcur_skip(struct ck_jcur *c)
{
	char stack[JSON_MAX_DEPTH];
	int depth = 0;

	for (;;) {
		ck_jcur_ws(c);
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
int
ck_jcur_int(struct ck_jcur *c, int *out)
{
	const char *start;
	long v = 0;
	int neg = 0;

	ck_jcur_ws(c);
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
		return ck_jcur_skip(c);
	}
	*out = (int)(neg ? -v : v);
	return 0;
}

/* A string value into out; other value types are skipped. */
int
ck_jcur_str_value(struct ck_jcur *c, char *out, size_t outsz, int *cut)
{
	ck_jcur_ws(c);
	if (c->p < c->end && *c->p == '"')
		return j_string(c, out, outsz, cut);
	return ck_jcur_skip(c);
}

/* Walk an object, calling fn with each key positioned at its value. */
int
ck_jcur_object(struct ck_jcur *c, ck_jcur_member_fn fn, void *ud)
{
	char key[48];
	size_t klen;
	int cut;

	if (j_expect(c, '{') < 0)
		return -1;
	ck_jcur_ws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		return 0;
	}
	for (;;) {
		ck_jcur_ws(c);
		if (j_string_len(c, key, sizeof(key), &cut, &klen) < 0 ||
		    j_expect(c, ':') < 0)
			return -1;
		if (cut)
			key[0] = '\0', klen = 0; /* no key we want is that long */
		if (fn(c, key, klen, ud) < 0)
			return -1;
		ck_jcur_ws(c);
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
