/* Error reporting: a fixed buffer a library function fills with a message
 * a person can act on ("auth-profiles.json: profile openai:me has no
 * 'expires'"). Library code never exits; it returns -1 and fills this. */
#ifndef CK_ERROR_H
#define CK_ERROR_H

#include <stddef.h>

#define CK_ERROR_MAX 512

struct ck_error {
	char msg[CK_ERROR_MAX];
};

void ck_error_set(struct ck_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prepend context: "file.json: " + existing message. */
void ck_error_prefix(struct ck_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ck_error_clear(struct ck_error *err);

#endif
