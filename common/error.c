/* struct ck_error helpers: set, prefix with context, clear. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clawkeeper/error.h"

void
ck_error_set(struct ck_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
ck_error_prefix(struct ck_error *err, const char *fmt, ...)
{
	char prefix[CK_ERROR_MAX];
	char old[CK_ERROR_MAX];
	va_list ap;
	size_t plen;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	plen = strnlen(prefix, sizeof(err->msg) - 1);
	memcpy(err->msg, prefix, plen);
	/* Truncation is fine: the message stays a readable prefix. */
	snprintf(err->msg + plen, sizeof(err->msg) - plen, "%.*s",
		 (int)(sizeof(err->msg) - plen - 1), old);
}

void
ck_error_clear(struct ck_error *err)
{
	if (err != NULL)
		err->msg[0] = '\0';
}
