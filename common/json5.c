/* JSON5 reader (https://spec.json5.org) producing jansson values, for
 * OpenClaw's openclaw.json. One pass, recursive descent with a depth cap;
 * every error is reported as "line L, column C: what was found/expected".
 *
 * Deliberate departures from the spec, because jansson holds the result:
 * - Infinity and NaN (and numbers that overflow a double) are refused:
 *   jansson cannot hold non-finite reals.
 * - A NUL character is refused, raw or escaped (\0, \x00, \u0000), as is
 *   a lone UTF-16 surrogate: jansson strings are NUL-terminated UTF-8.
 * - Integers outside int64 become reals (precision may be lost).
 * - Non-ASCII identifier characters are accepted without checking their
 *   Unicode category (the spec limits them to letters, marks, digits).
 * - Lines are counted at '\n' only and columns in code points, which is
 *   what editors show; a tab is one column.
 * Error messages describe the offending character, never quote a token:
 * an unquoted value may be a secret. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/json5.h"

#define JSON5_MAX_DEPTH 512
#define JSON5_MAX_FILE ((size_t)16 << 20)

struct parser {
	const unsigned char *in;
	size_t len;
	size_t pos;
	int depth;
	/* Decoded strings and number text; used as a stack so a key stays
	 * put while its value is parsed. Addressed by offset: it may move. */
	char *scratch;
	size_t scap;
	size_t slen;
	json_malloc_t jmalloc;
	json_free_t jfree;
	int failed;
	size_t err_pos;
	char err_msg[256];
};

/* A decoded string: either a slice of the input or of the scratch stack. */
struct strref {
	int in_scratch;
	size_t off;
	size_t len;
};

static json_t *parse_value(struct parser *ps);

static void
fail(struct parser *ps, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
fail(struct parser *ps, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = 1;
	ps->err_pos = at;
	va_start(ap, fmt);
	vsnprintf(ps->err_msg, sizeof(ps->err_msg), fmt, ap);
	va_end(ap);
}

static void
fail_oom(struct parser *ps)
{
	fail(ps, ps->pos, "out of memory");
}

/* Length of the valid UTF-8 sequence at in[at], and its code point;
 * 0 when the bytes are not strict UTF-8 (overlong, surrogate, > U+10FFFF,
 * truncated). */
static size_t
utf8_decode(const struct parser *ps, size_t at, uint32_t *cp)
{
	const unsigned char *s = ps->in + at;
	size_t avail = ps->len - at;
	uint32_t c = s[0];
	size_t n, i;
	uint32_t min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* Name the character at `at` for an error message, without quoting more
 * than that one character. */
static const char *
describe(const struct parser *ps, size_t at, char *out, size_t outlen)
{
	uint32_t cp;
	unsigned char c;

	if (at >= ps->len)
		return "end of input";
	c = ps->in[at];
	if (c == '\n' || c == '\r')
		return "end of line";
	if (c >= 0x20 && c < 0x7F) {
		snprintf(out, outlen, "'%c'", c);
	} else if (utf8_decode(ps, at, &cp) == 0) {
		snprintf(out, outlen, "invalid UTF-8 byte 0x%02X", c);
	} else {
		snprintf(out, outlen, "U+%04X", (unsigned)cp);
	}
	return out;
}

#define FOUND(ps, at) describe((ps), (at), found, sizeof(found))

/* JSON5 WhiteSpace beyond ASCII: NBSP, BOM, LS, PS and category Zs. */
static int
is_unicode_space(uint32_t cp)
{
	return cp == 0xA0 || cp == 0xFEFF || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	    cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static int
skip_comment(struct parser *ps)
{
	const unsigned char *end;
	size_t start = ps->pos;
	char found[32];

	if (ps->pos + 1 < ps->len && ps->in[ps->pos + 1] == '/') {
		ps->pos += 2;
		while (ps->pos < ps->len && ps->in[ps->pos] != '\n' &&
		    ps->in[ps->pos] != '\r')
			ps->pos++;
		return 0;
	}
	if (ps->pos + 1 < ps->len && ps->in[ps->pos + 1] == '*') {
		end = memmem(ps->in + start + 2, ps->len - start - 2, "*/", 2);
		if (end == NULL) {
			fail(ps, start, "unterminated /* comment");
			return -1;
		}
		ps->pos = (size_t)(end - ps->in) + 2;
		return 0;
	}
	fail(ps, start + 1, "expected '/' or '*' after '/' to start a "
	    "comment, found %s", FOUND(ps, start + 1));
	return -1;
}

/* Skip whitespace and comments; -1 on a malformed comment. */
static int
skip_ws(struct parser *ps)
{
	uint32_t cp;
	size_t n;

	while (ps->pos < ps->len) {
		switch (ps->in[ps->pos]) {
		case ' ': case '\t': case '\n': case '\r': case '\v': case '\f':
			ps->pos++;
			continue;
		case '/':
			if (skip_comment(ps) < 0)
				return -1;
			continue;
		default:
			break;
		}
		if (ps->in[ps->pos] < 0x80)
			return 0;
		n = utf8_decode(ps, ps->pos, &cp);
		if (n == 0 || !is_unicode_space(cp))
			return 0;
		ps->pos += n;
	}
	return 0;
}

static int
scratch_reserve(struct parser *ps, size_t more)
{
	size_t cap;
	char *grown;

	if (ps->scap - ps->slen >= more)
		return 0;
	cap = ps->scap ? ps->scap : 256;
	while (cap - ps->slen < more) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	/* jansson's allocator, so the chaos test reaches this path too. */
	grown = ps->jmalloc(cap);
	if (grown == NULL)
		return -1;
	if (ps->slen > 0)
		memcpy(grown, ps->scratch, ps->slen);
	if (ps->scratch != NULL)
		ps->jfree(ps->scratch);
	ps->scratch = grown;
	ps->scap = cap;
	return 0;
}

static int
scratch_put(struct parser *ps, const void *data, size_t n)
{
	if (n == 0)
		return 0;	/* scratch may still be NULL */
	if (scratch_reserve(ps, n) < 0) {
		fail_oom(ps);
		return -1;
	}
	memcpy(ps->scratch + ps->slen, data, n);
	ps->slen += n;
	return 0;
}

static int
scratch_put_cp(struct parser *ps, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return scratch_put(ps, b, n);
}

static const char *
strref_ptr(const struct parser *ps, const struct strref *s)
{
	if (s->len == 0)
		return "";	/* scratch may still be NULL */
	if (s->in_scratch)
		return ps->scratch + s->off;
	return (const char *)ps->in + s->off;
}

/* Read `digits` hex digits at in[at]; -1 when they are not all there. */
static long
read_hex(const struct parser *ps, size_t at, int digits)
{
	long v = 0;
	int i, h;

	if (ps->len - at < (size_t)digits)
		return -1;
	for (i = 0; i < digits; i++) {
		h = ck_hex_digit(ps->in[at + i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* \uXXXX at in[pos] (pos at the backslash), joining a surrogate pair.
 * Advances past it; -1 on error. */
static int
read_unicode_escape(struct parser *ps, uint32_t *cp)
{
	size_t at = ps->pos;
	long hi, lo;

	hi = read_hex(ps, at + 2, 4);
	if (hi < 0) {
		fail(ps, at, "\\u must be followed by four hex digits");
		return -1;
	}
	ps->pos = at + 6;
	if (hi >= 0xDC00 && hi <= 0xDFFF) {
		fail(ps, at, "unpaired low surrogate \\u%04lX (cannot be "
		    "stored as UTF-8)", hi);
		return -1;
	}
	if (hi < 0xD800 || hi > 0xDBFF) {
		*cp = (uint32_t)hi;
		return 0;
	}
	lo = -1;
	if (ps->len - ps->pos >= 2 && ps->in[ps->pos] == '\\' &&
	    ps->in[ps->pos + 1] == 'u')
		lo = read_hex(ps, ps->pos + 2, 4);
	if (lo < 0xDC00 || lo > 0xDFFF) {
		fail(ps, at, "high surrogate \\u%04lX is not followed by a "
		    "\\u escape of a low surrogate", hi);
		return -1;
	}
	ps->pos += 6;
	*cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) +
	    ((uint32_t)lo - 0xDC00);
	return 0;
}

static int
fail_nul_escape(struct parser *ps, size_t at)
{
	fail(ps, at, "escape decodes to a NUL character, which is not "
	    "supported in strings");
	return -1;
}

/* The control character a one-letter escape stands for, or -1. */
static int
control_escape(unsigned char c)
{
	switch (c) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'v': return '\v';
	default: return -1;
	}
}

/* \0 .. \9: only \0 not followed by a digit exists, and it is NUL. */
static int
digit_escape(struct parser *ps, size_t at, unsigned char c)
{
	if (c != '0') {
		fail(ps, at, "invalid escape: '\\%c' (octal escapes are not "
		    "allowed in JSON5)", c);
		return -1;
	}
	if (ps->pos < ps->len && ps->in[ps->pos] >= '0' &&
	    ps->in[ps->pos] <= '9') {
		fail(ps, at, "octal escapes are not allowed in JSON5");
		return -1;
	}
	return fail_nul_escape(ps, at);
}

static int
hex_escape(struct parser *ps, size_t at)
{
	long v;

	v = read_hex(ps, at + 2, 2);
	if (v < 0) {
		fail(ps, at, "\\x must be followed by two hex digits");
		return -1;
	}
	if (v == 0)
		return fail_nul_escape(ps, at);
	ps->pos = at + 4;
	return scratch_put_cp(ps, (uint32_t)v);
}

/* A backslash before a non-ASCII character: LS/PS continue the line,
 * anything else stands for itself. */
static int
unicode_char_escape(struct parser *ps, size_t at)
{
	uint32_t cp;
	size_t n;

	n = utf8_decode(ps, at + 1, &cp);
	if (n == 0) {
		fail(ps, at + 1, "invalid UTF-8 in string");
		return -1;
	}
	ps->pos = at + 1 + n;
	if (cp == 0x2028 || cp == 0x2029)
		return 0;
	return scratch_put(ps, ps->in + at + 1, n);
}

/* One escape sequence inside a string, ps->pos at the backslash.
 * Appends the decoded text to scratch. */
static int
string_escape(struct parser *ps)
{
	size_t at = ps->pos;
	unsigned char c, out;
	uint32_t cp;
	int ctl;

	if (at + 1 >= ps->len) {
		fail(ps, at, "unterminated escape at end of input");
		return -1;
	}
	c = ps->in[at + 1];
	ps->pos = at + 2;
	ctl = control_escape(c);
	if (ctl >= 0) {
		out = (unsigned char)ctl;
		return scratch_put(ps, &out, 1);
	}
	if (c >= '0' && c <= '9')
		return digit_escape(ps, at, c);
	if (c == 'x')
		return hex_escape(ps, at);
	if (c == 'u') {
		ps->pos = at;
		if (read_unicode_escape(ps, &cp) < 0)
			return -1;
		if (cp == 0)
			return fail_nul_escape(ps, at);
		return scratch_put_cp(ps, cp);
	}
	if (c == '\n')
		return 0;	/* line continuation */
	if (c == '\r') {
		if (ps->pos < ps->len && ps->in[ps->pos] == '\n')
			ps->pos++;
		return 0;
	}
	if (c >= 0x80)
		return unicode_char_escape(ps, at);
	return scratch_put(ps, &c, 1);	/* \' \" \\ \/ and the rest */
}

/* A quoted string at ps->pos. Without escapes it stays a slice of the
 * input; the first escape moves it to the scratch stack. */
static int
scan_string(struct parser *ps, struct strref *out)
{
	size_t open = ps->pos;
	unsigned char quote = ps->in[open];
	size_t run = open + 1;	/* start of text not yet copied */
	unsigned char c;
	uint32_t cp;
	size_t n;

	out->in_scratch = 0;
	out->off = open + 1;
	ps->pos = open + 1;
	while (ps->pos < ps->len) {
		c = ps->in[ps->pos];
		if (c == quote) {
			if (out->in_scratch) {
				if (scratch_put(ps, ps->in + run,
				    ps->pos - run) < 0)
					return -1;
				out->len = ps->slen - out->off;
			} else {
				out->len = ps->pos - out->off;
			}
			ps->pos++;
			return 0;
		}
		if (c == '\\') {
			if (!out->in_scratch) {
				out->in_scratch = 1;
				out->off = ps->slen;
			}
			if (scratch_put(ps, ps->in + run, ps->pos - run) < 0 ||
			    string_escape(ps) < 0)
				return -1;
			run = ps->pos;
			continue;
		}
		if (c == '\n' || c == '\r') {
			fail(ps, ps->pos, "line break inside a string (use \\n, "
			    "or end the line with '\\' to continue it)");
			return -1;
		}
		if (c < 0x80) {
			ps->pos++;
			continue;
		}
		n = utf8_decode(ps, ps->pos, &cp);
		if (n == 0) {
			fail(ps, ps->pos, "invalid UTF-8 in string");
			return -1;
		}
		ps->pos += n;
	}
	fail(ps, open, "unterminated string");
	return -1;
}

static int
is_id_start_ascii(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '$' || c == '_';
}

static int
is_id_part_ascii(unsigned char c)
{
	return is_id_start_ascii(c) || (c >= '0' && c <= '9');
}

static int
ident_cp_ok(uint32_t cp, int first)
{
	if (cp >= 0x80)
		return !is_unicode_space(cp);
	return first ? is_id_start_ascii((unsigned char)cp) :
	    is_id_part_ascii((unsigned char)cp);
}

/* One identifier character at ps->pos, or 0 at the identifier's end.
 * Returns 2 when it was a \u escape (the key must then be copied). */
static int
ident_char(struct parser *ps, int first, uint32_t *cp, size_t *n)
{
	size_t at = ps->pos;

	if (ps->in[at] == '\\') {
		if (at + 1 >= ps->len || ps->in[at + 1] != 'u') {
			fail(ps, at, "only \\u escapes are allowed in an "
			    "unquoted key");
			return -1;
		}
		if (read_unicode_escape(ps, cp) < 0)
			return -1;
		*n = ps->pos - at;	/* 12 for a surrogate pair */
		ps->pos = at;
		if (!ident_cp_ok(*cp, first)) {
			fail(ps, at, "\\u%04X is not allowed in an unquoted "
			    "key", (unsigned)*cp);
			return -1;
		}
		return 2;
	}
	*n = utf8_decode(ps, at, cp);
	if (*n == 0) {
		fail(ps, at, "invalid UTF-8 in an unquoted key");
		return -1;
	}
	return ident_cp_ok(*cp, first);
}

/* An unquoted (identifier) key at ps->pos. */
static int
scan_identifier(struct parser *ps, struct strref *out)
{
	size_t start = ps->pos;
	uint32_t cp;
	size_t n;
	int r;

	out->in_scratch = 0;
	out->off = start;
	while (ps->pos < ps->len) {
		r = ident_char(ps, ps->pos == start, &cp, &n);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (r == 2 && !out->in_scratch) {
			out->in_scratch = 1;
			out->off = ps->slen;
			if (scratch_put(ps, ps->in + start,
			    ps->pos - start) < 0)
				return -1;
		}
		if (out->in_scratch && (r == 2 ? scratch_put_cp(ps, cp) :
		    scratch_put(ps, ps->in + ps->pos, n)) < 0)
			return -1;
		ps->pos += n;
	}
	out->len = out->in_scratch ? ps->slen - out->off : ps->pos - start;
	return 0;
}

static int
scan_key(struct parser *ps, struct strref *out)
{
	char found[32];
	unsigned char c = ps->in[ps->pos];

	if (c == '"' || c == '\'')
		return scan_string(ps, out);
	if (scan_identifier(ps, out) < 0)
		return -1;
	if (out->len == 0) {
		fail(ps, ps->pos, "expected a key or '}', found %s",
		    FOUND(ps, ps->pos));
		return -1;
	}
	return 0;
}

static int
match_word(const struct parser *ps, size_t at, const char *word)
{
	size_t n = strlen(word);

	if (ps->len - at < n || memcmp(ps->in + at, word, n) != 0)
		return 0;
	/* "trueish" is not "true". */
	return at + n == ps->len || !is_id_part_ascii(ps->in[at + n]);
}

static size_t
skip_digits(const struct parser *ps, size_t at)
{
	while (at < ps->len && ps->in[at] >= '0' && ps->in[at] <= '9')
		at++;
	return at;
}

static json_t *
make_hex(struct parser *ps, size_t start, size_t digits, int negative)
{
	uint64_t u = 0;
	double d = 0;
	int big = 0;
	size_t i;
	int h;

	for (i = digits; i < ps->pos; i++) {
		h = ck_hex_digit(ps->in[i]);
		if (!big && u > (UINT64_MAX >> 4)) {
			big = 1;
			d = (double)u;
		}
		if (big)
			d = d * 16 + h;
		else
			u = u * 16 + (uint64_t)h;
	}
	if (big && isinf(d)) {
		fail(ps, start, "number is too large for a double");
		return NULL;
	}
	if (!big && !negative && u <= INT64_MAX)
		return json_integer((json_int_t)u);
	if (!big && negative && u <= (uint64_t)INT64_MAX + 1)
		return json_integer(u == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(json_int_t)u);
	if (!big)
		d = (double)u;
	return json_real(negative ? -d : d);
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void
c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* strtod independent of the process locale's decimal point. */
static double
strtod_c(const char *s)
{
	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale != (locale_t)0)
		return strtod_l(s, NULL, c_locale);
	return strtod(s, NULL);
}

/* Convert the decimal literal in[start, pos) through a NUL-terminated
 * copy on the scratch stack. */
static json_t *
make_decimal(struct parser *ps, size_t start, int is_int)
{
	size_t mark = ps->slen;
	const char *text;
	long long ll;
	double d;
	json_t *v;

	if (scratch_put(ps, ps->in + start, ps->pos - start) < 0 ||
	    scratch_put(ps, "", 1) < 0)
		return NULL;
	text = ps->scratch + mark;
	if (is_int) {
		errno = 0;
		ll = strtoll(text, NULL, 10);
		if (errno == 0) {
			ps->slen = mark;
			v = json_integer(ll);
			goto done;
		}
	}
	d = strtod_c(text);
	ps->slen = mark;
	if (isinf(d)) {
		fail(ps, start, "number is too large for a double");
		return NULL;
	}
	v = json_real(d);
done:
	if (v == NULL)
		fail_oom(ps);
	return v;
}

/* 0x literal; `at` is at the '0', `start` at the sign if any. */
static json_t *
parse_hex(struct parser *ps, size_t start, size_t at, int negative)
{
	size_t digits = at + 2;
	char found[32];
	json_t *v;

	ps->pos = digits;
	while (ps->pos < ps->len && ck_hex_digit(ps->in[ps->pos]) >= 0)
		ps->pos++;
	if (ps->pos == digits) {
		fail(ps, ps->pos, "expected hex digits after '0x', found %s",
		    FOUND(ps, ps->pos));
		return NULL;
	}
	v = make_hex(ps, start, digits, negative);
	if (v == NULL)
		fail_oom(ps);
	return v;
}

/* Scan digits [. digits] [e [+-] digits] from `at`; sets *is_int. */
static int
scan_decimal(struct parser *ps, size_t start, size_t at, int *is_int)
{
	size_t int_end, digits;
	char found[32];

	int_end = skip_digits(ps, at);
	if (int_end - at > 1 && ps->in[at] == '0') {
		fail(ps, at, "leading zeros are not allowed in numbers");
		return -1;
	}
	ps->pos = int_end;
	*is_int = 1;
	if (ps->pos < ps->len && ps->in[ps->pos] == '.') {
		*is_int = 0;
		ps->pos = skip_digits(ps, ps->pos + 1);
		if (int_end == at && ps->pos == int_end + 1) {
			fail(ps, start, "expected digits around '.'");
			return -1;
		}
	} else if (int_end == at) {
		fail(ps, at, "expected a digit, found %s", FOUND(ps, at));
		return -1;
	}
	if (ps->pos >= ps->len || (ps->in[ps->pos] | 0x20) != 'e')
		return 0;
	*is_int = 0;
	ps->pos++;
	if (ps->pos < ps->len && (ps->in[ps->pos] == '+' ||
	    ps->in[ps->pos] == '-'))
		ps->pos++;
	digits = ps->pos;
	ps->pos = skip_digits(ps, digits);
	if (ps->pos == digits) {
		fail(ps, digits, "expected digits in the exponent, found %s",
		    FOUND(ps, digits));
		return -1;
	}
	return 0;
}

static json_t *
parse_number(struct parser *ps)
{
	size_t start = ps->pos, at = start;
	int negative = 0, is_int;

	if (ps->in[at] == '+' || ps->in[at] == '-') {
		negative = ps->in[at] == '-';
		at++;
	}
	if (match_word(ps, at, "Infinity") || match_word(ps, at, "NaN")) {
		fail(ps, start, "%s is not supported (jansson cannot hold "
		    "non-finite numbers)", ps->in[at] == 'N' ? "NaN" :
		    "Infinity");
		return NULL;
	}
	if (at + 1 < ps->len && ps->in[at] == '0' &&
	    (ps->in[at + 1] == 'x' || ps->in[at + 1] == 'X'))
		return parse_hex(ps, start, at, negative);
	if (scan_decimal(ps, start, at, &is_int) < 0)
		return NULL;
	return make_decimal(ps, start, is_int);
}

static int
enter(struct parser *ps)
{
	if (++ps->depth > JSON5_MAX_DEPTH) {
		fail(ps, ps->pos, "nesting deeper than %d levels",
		    JSON5_MAX_DEPTH);
		return -1;
	}
	return 0;
}

/* After an element: ',' (maybe trailing) or the closing bracket. 1 when
 * the container ends, 0 for another element, -1 on error. */
static int
after_element(struct parser *ps, unsigned char close)
{
	char found[32];

	if (skip_ws(ps) < 0)
		return -1;
	if (ps->pos < ps->len && ps->in[ps->pos] == ',') {
		ps->pos++;
		return 0;
	}
	if (ps->pos < ps->len && ps->in[ps->pos] == close) {
		ps->pos++;
		return 1;
	}
	fail(ps, ps->pos, "expected ',' or '%c', found %s", close,
	    FOUND(ps, ps->pos));
	return -1;
}

/* One "key: value" member; duplicate keys replace (last wins). */
static int
parse_member(struct parser *ps, json_t *obj)
{
	size_t mark = ps->slen;
	struct strref key;
	char found[32];
	json_t *val;

	if (scan_key(ps, &key) < 0 || skip_ws(ps) < 0)
		return -1;
	if (ps->pos >= ps->len || ps->in[ps->pos] != ':') {
		fail(ps, ps->pos, "expected ':' after the key, found %s",
		    FOUND(ps, ps->pos));
		return -1;
	}
	ps->pos++;
	val = parse_value(ps);
	if (val == NULL)
		return -1;
	/* UTF-8 was checked while scanning; NUL was refused. */
	if (json_object_setn_new_nocheck(obj, strref_ptr(ps, &key), key.len,
	    val) < 0) {
		fail_oom(ps);
		return -1;
	}
	ps->slen = mark;
	return 0;
}

static json_t *
parse_object(struct parser *ps)
{
	json_t *obj;
	int r;

	if (enter(ps) < 0)
		return NULL;
	ps->pos++;
	obj = json_object();
	if (obj == NULL) {
		fail_oom(ps);
		return NULL;
	}
	for (;;) {
		if (skip_ws(ps) < 0)
			goto fail;
		if (ps->pos < ps->len && ps->in[ps->pos] == '}') {
			ps->pos++;
			break;
		}
		if (ps->pos >= ps->len) {
			fail(ps, ps->pos, "expected a key or '}', found end "
			    "of input");
			goto fail;
		}
		if (parse_member(ps, obj) < 0)
			goto fail;
		r = after_element(ps, '}');
		if (r < 0)
			goto fail;
		if (r == 1)
			break;
	}
	ps->depth--;
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

static json_t *
parse_array(struct parser *ps)
{
	json_t *arr, *val;
	int r;

	if (enter(ps) < 0)
		return NULL;
	ps->pos++;
	arr = json_array();
	if (arr == NULL) {
		fail_oom(ps);
		return NULL;
	}
	for (;;) {
		if (skip_ws(ps) < 0)
			goto fail;
		if (ps->pos < ps->len && ps->in[ps->pos] == ']') {
			ps->pos++;
			break;
		}
		val = parse_value(ps);
		if (val == NULL)
			goto fail;
		if (json_array_append_new(arr, val) < 0) {
			fail_oom(ps);
			goto fail;
		}
		r = after_element(ps, ']');
		if (r < 0)
			goto fail;
		if (r == 1)
			break;
	}
	ps->depth--;
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

static json_t *
parse_string_value(struct parser *ps)
{
	size_t mark = ps->slen;
	struct strref s;
	json_t *v;

	if (scan_string(ps, &s) < 0)
		return NULL;
	v = json_stringn_nocheck(strref_ptr(ps, &s), s.len);
	ps->slen = mark;
	if (v == NULL)
		fail_oom(ps);
	return v;
}

static json_t *
parse_literal(struct parser *ps)
{
	static const char *const words[] = { "true", "false", "null" };
	char found[32];
	json_t *v = NULL;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!match_word(ps, ps->pos, words[i]))
			continue;
		ps->pos += strlen(words[i]);
		v = i == 0 ? json_true() : i == 1 ? json_false() : json_null();
		return v;
	}
	fail(ps, ps->pos, "expected a value, found %s (unquoted strings are "
	    "not allowed; did you mean true, false or null?)",
	    FOUND(ps, ps->pos));
	return NULL;
}

static json_t *
parse_value(struct parser *ps)
{
	char found[32];
	unsigned char c;

	if (skip_ws(ps) < 0)
		return NULL;
	if (ps->pos >= ps->len) {
		fail(ps, ps->pos, "expected a value, found end of input");
		return NULL;
	}
	c = ps->in[ps->pos];
	switch (c) {
	case '{':
		return parse_object(ps);
	case '[':
		return parse_array(ps);
	case '"': case '\'':
		return parse_string_value(ps);
	case 'I': case 'N':
		if (match_word(ps, ps->pos, "Infinity") ||
		    match_word(ps, ps->pos, "NaN"))
			return parse_number(ps);
		return parse_literal(ps);
	case '+': case '-': case '.':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(ps);
	default:
		break;
	}
	if (is_id_start_ascii(c))
		return parse_literal(ps);
	fail(ps, ps->pos, "expected a value, found %s", FOUND(ps, ps->pos));
	return NULL;
}

/* Line and column (code points, 1-based) of a byte offset. Only computed
 * on error, so the hot path keeps no position state. */
static void
position(const struct parser *ps, size_t at, size_t *line, size_t *col)
{
	const unsigned char *nl, *p = ps->in, *end = ps->in + at;
	size_t l = 1, c = 1;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		l++;
		p = nl + 1;
	}
	for (; p < end; p++)
		if ((*p & 0xC0) != 0x80)
			c++;
	*line = l;
	*col = c;
}

static json_t *
parse_document(struct parser *ps)
{
	const unsigned char *nul;
	char found[32];
	json_t *root;

	nul = ps->len ? memchr(ps->in, '\0', ps->len) : NULL;
	if (nul != NULL) {
		fail(ps, (size_t)(nul - ps->in), "NUL byte in input (binary "
		    "or corrupt file?)");
		return NULL;
	}
	root = parse_value(ps);
	if (root == NULL)
		return NULL;
	if (skip_ws(ps) < 0 || ps->pos < ps->len) {
		fail(ps, ps->pos, "unexpected %s after the end of the value",
		    FOUND(ps, ps->pos));
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Parse; on error fill line/col and the bare message. */
static json_t *
json5_parse(const char *buf, size_t len, size_t *line, size_t *col,
	    char *msg, size_t msglen)
{
	struct parser ps;
	json_t *root;

	memset(&ps, 0, sizeof(ps));
	ps.in = (const unsigned char *)(buf ? buf : "");
	ps.len = buf ? len : 0;
	json_get_alloc_funcs(&ps.jmalloc, &ps.jfree);
	root = parse_document(&ps);
	if (ps.scratch != NULL)
		ps.jfree(ps.scratch);
	if (root == NULL) {
		position(&ps, ps.err_pos, line, col);
		snprintf(msg, msglen, "%s", ps.err_msg);
	}
	return root;
}

json_t *
ck_json5_parse(const char *buf, size_t len, struct ck_error *err)
{
	char msg[256];
	size_t line, col;
	json_t *root;

	root = json5_parse(buf, len, &line, &col, msg, sizeof(msg));
	if (root == NULL)
		ck_error_set(err, "line %zu, column %zu: %s", line, col, msg);
	return root;
}

json_t *
ck_json5_load_file(const char *path, struct ck_error *err)
{
	char msg[256];
	size_t line, col, len;
	json_t *root;
	char *buf;

	if (ck_file_read(path, JSON5_MAX_FILE, &buf, &len, err) < 0)
		return NULL;
	root = json5_parse(buf, len, &line, &col, msg, sizeof(msg));
	free(buf);
	if (root == NULL)
		ck_error_set(err, "%s:%zu:%zu: %s", path, line, col, msg);
	return root;
}
