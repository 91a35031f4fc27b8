/* Times as people write them on a command line or in a query: epoch
 * milliseconds, a span back from now, or ISO 8601 (read by clock.c). */
#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/timeparse.h"

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
