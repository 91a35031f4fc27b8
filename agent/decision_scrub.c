/* Free text from the decision log made fit to show and send: fixed fields
 * that hold only valid UTF-8 without control characters, and details
 * whose token-like words (keys a provider's error quotes) are fingerprints. */
#include <string.h>

#include "clawkeeper/decision.h"
#include "clawkeeper/hash.h"
#include "decision_internal.h"

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
int
ck_decision_put_field(char *dst, size_t dstsz, const char *src, size_t len)
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
void
ck_decision_set_detail(struct ck_decision *d, const char *src, size_t len,
		       int src_cut)
{
	char raw[DETAIL_RAW_MAX];
	int cut = ck_decision_put_field(raw, sizeof(raw), src, len);

	scrub_detail(d->detail, sizeof(d->detail), raw, cut || src_cut);
}
