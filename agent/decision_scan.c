/* The streaming scan of rotated decision logs: read in blocks, find the
 * lines that name a decision with a fast substring prefilter, parse only
 * those, and count what was skipped. Memory does not grow with the file. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "clawkeeper/decision.h"

/*
 * The console line says "model fallback decision: ...", a JSON record has
 * "event":"model_fallback_decision" (and repeats the phrase in "2" and
 * "message"). Both spellings are 23 bytes with 'k' at 13 and 'n' at 22,
 * so one prefilter finds either, and only those lines are parsed.
 */
static const char NEEDLE[] = "model fallback decision";
#define NEEDLE_LEN (sizeof(NEEDLE) - 1)

#define DEFAULT_BLOCK (256 * 1024)

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
