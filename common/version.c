/* OpenClaw version numbers: YYYY.M.D, YYYY.M.D-beta.N, YYYY.M.D-N.
 * Order: 2026.5.30-beta.1 < 2026.5.30 < 2026.5.30-1 < 2026.5.31. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/version.h"

static int
parse_uint(const char **p, int *out)
{
	long v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s - '0');
		if (v > 1000000)
			return -1;
		s++;
	}
	*out = (int)v;
	*p = s;
	return 0;
}

int
ck_version_parse(const char *s, struct ck_version *v)
{
	memset(v, 0, sizeof(*v));
	if (s == NULL)
		return -1;
	if (*s == 'v' || *s == 'V')
		s++;
	if (parse_uint(&s, &v->year) < 0 || *s++ != '.')
		return -1;
	if (parse_uint(&s, &v->month) < 0 || *s++ != '.')
		return -1;
	if (parse_uint(&s, &v->day) < 0)
		return -1;
	if (v->month < 1 || v->month > 12 || v->day < 1 || v->year < 1000)
		return -1;
	if (*s == '\0')
		return 0;
	if (*s++ != '-')
		return -1;
	if (strncmp(s, "beta.", 5) == 0) {
		s += 5;
		if (parse_uint(&s, &v->beta) < 0 || v->beta == 0)
			return -1;
	} else if (parse_uint(&s, &v->revision) < 0) {
		return -1;
	}
	return *s == '\0' ? 0 : -1;
}

static int
cmp_int(int a, int b)
{
	return (a > b) - (a < b);
}

int
ck_version_cmp(const struct ck_version *a, const struct ck_version *b)
{
	int c;

	c = cmp_int(a->year, b->year);
	if (c == 0)
		c = cmp_int(a->month, b->month);
	if (c == 0)
		c = cmp_int(a->day, b->day);
	if (c != 0)
		return c;
	/* A beta comes before its release; no beta counts as "infinite". */
	if (a->beta != b->beta) {
		if (a->beta == 0)
			return 1;
		if (b->beta == 0)
			return -1;
		return cmp_int(a->beta, b->beta);
	}
	return cmp_int(a->revision, b->revision);
}

int
ck_version_cmp_str(const char *a, const char *b)
{
	struct ck_version va, vb;
	int oka = ck_version_parse(a, &va) == 0;
	int okb = ck_version_parse(b, &vb) == 0;

	if (!oka || !okb)
		return cmp_int(oka, okb);
	return ck_version_cmp(&va, &vb);
}
