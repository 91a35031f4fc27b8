/* OpenClaw version numbers: YYYY.M.D, YYYY.M.D-beta.N, YYYY.M.D-N.
 * A beta sorts before its release; a -N revision after it. */
#ifndef CK_VERSION_H
#define CK_VERSION_H

struct ck_version {
	int year, month, day;
	int beta;     /* N of -beta.N, 0 when not a beta */
	int revision; /* N of -N, 0 when none */
};

/* 0 on success, -1 when `s` is not a version (leading "v" accepted). */
int ck_version_parse(const char *s, struct ck_version *v);
int ck_version_cmp(const struct ck_version *a, const struct ck_version *b);
/* Compare two strings; unparsable sorts first. */
int ck_version_cmp_str(const char *a, const char *b);

#endif
