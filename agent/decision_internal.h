/* Private to the decision-line parser (decision.c) and the two readers it
 * is built on, decision_scrub.c and decision_json.c: nothing outside
 * those files includes this. */
#ifndef CK_DECISION_INTERNAL_H
#define CK_DECISION_INTERNAL_H

#include <stddef.h>
#include "clawkeeper/decision.h"

#define DETAIL_RAW_MAX 1024   /* detail bytes looked at before scrubbing */

/* decision_scrub.c */

/* Copy into a fixed field: invalid UTF-8 becomes '?', control characters
 * become spaces, a cut never splits a character. Returns 1 when src did
 * not fit. */
int ck_decision_put_field(char *dst, size_t dstsz, const char *src, size_t len);
/* d->detail from free text, token-like words replaced by fingerprints;
 * src_cut: src itself is the head of a longer text. */
void ck_decision_set_detail(struct ck_decision *d, const char *src, size_t len,
			    int src_cut);

/* decision_json.c: a cursor over one JSON text that never reads past end. */

struct ck_jcur {
	const char *p, *end;
};

typedef int (*ck_jcur_member_fn)(struct ck_jcur *c, const char *key,
				 size_t klen, void *ud);

void ck_jcur_ws(struct ck_jcur *c);
/* Skip any value. */
int ck_jcur_skip(struct ck_jcur *c);
/* An integer value, or skip a non-integer one leaving *out alone. */
int ck_jcur_int(struct ck_jcur *c, int *out);
/* A string value into out (cut when full; *cut says so); other value
 * types are skipped. */
int ck_jcur_str_value(struct ck_jcur *c, char *out, size_t outsz, int *cut);
/* Walk an object, calling fn with each key positioned at its value; a key
 * too long for any field is passed as "". */
int ck_jcur_object(struct ck_jcur *c, ck_jcur_member_fn fn, void *ud);

#endif
