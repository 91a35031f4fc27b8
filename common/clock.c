/* Millisecond clocks, one place for both kinds, and the ISO 8601 reader
 * the logs and lock files need (no timegm(), no TZ dependence). */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <time.h>

#include "clawkeeper/clock.h"

static long long
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
ck_clock_after(clockid_t id, long long ms, struct timespec *ts)
{
	clock_gettime(id, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

long long
ck_clock_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

long long
ck_clock_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

void
ck_clock_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* Exactly n digits at s[*i]; -1 otherwise. */
static int
take_digits(const char *s, size_t len, size_t *i, int n)
{
	int v = 0, k;

	if (*i + (size_t)n > len)
		return -1;
	for (k = 0; k < n; k++) {
		if (!isdigit((unsigned char)s[*i + k]))
			return -1;
		v = v * 10 + (s[*i + k] - '0');
	}
	*i += n;
	return v;
}

static int
take_char(const char *s, size_t len, size_t *i, char c)
{
	if (*i < len && s[*i] == c) {
		(*i)++;
		return 1;
	}
	return 0;
}

/* Offset "Z", "+HH:MM", "+HHMM", "+HH"; none means UTC. -1 on junk. */
static int
parse_offset(const char *s, size_t len, size_t *i, long long *off_ms)
{
	int sign, hh, mm = 0;

	*off_ms = 0;
	if (*i >= len)
		return 0;
	if (s[*i] == 'Z' || s[*i] == 'z') {
		(*i)++;
		return 0;
	}
	if (s[*i] != '+' && s[*i] != '-')
		return 0;
	sign = s[*i] == '-' ? -1 : 1;
	(*i)++;
	if ((hh = take_digits(s, len, i, 2)) < 0 || hh > 23)
		return -1;
	if (take_char(s, len, i, ':')) {
		if ((mm = take_digits(s, len, i, 2)) < 0)
			return -1;
	} else if (*i < len && isdigit((unsigned char)s[*i])) {
		if ((mm = take_digits(s, len, i, 2)) < 0)
			return -1;
	}
	if (mm > 59)
		return -1;
	*off_ms = sign * ((long long)hh * 3600 + mm * 60) * 1000;
	return 0;
}

/*
 * ISO 8601 at the start of s: YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][offset].
 * Returns the bytes consumed, or 0 when s does not start with a valid
 * time.
 */
size_t
ck_clock_parse_iso(const char *s, size_t len, long long *out_ms)
{
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, se = 0, ms = 0;
	long long off;

	if ((y = take_digits(s, len, &i, 4)) < 0 || !take_char(s, len, &i, '-') ||
	    (mo = take_digits(s, len, &i, 2)) < 1 || mo > 12 ||
	    !take_char(s, len, &i, '-') ||
	    (d = take_digits(s, len, &i, 2)) < 1 || d > days_in_month(y, mo))
		return 0;
	if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') &&
	    i + 1 < len && isdigit((unsigned char)s[i + 1])) {
		i++;
		if ((h = take_digits(s, len, &i, 2)) < 0 || h > 23 ||
		    !take_char(s, len, &i, ':') ||
		    (mi = take_digits(s, len, &i, 2)) < 0 || mi > 59)
			return 0;
		if (take_char(s, len, &i, ':')) {
			if ((se = take_digits(s, len, &i, 2)) < 0 || se > 60)
				return 0;
			if (se == 60)
				se = 59; /* a leap second sorts with its minute */
			if (take_char(s, len, &i, '.') || take_char(s, len, &i, ',')) {
				int scale = 100, digits = 0;

				while (i < len && isdigit((unsigned char)s[i])) {
					ms += (s[i] - '0') * scale;
					scale /= 10;
					i++;
					digits++;
				}
				if (digits == 0)
					return 0;
			}
		}
		if (parse_offset(s, len, &i, &off) < 0)
			return 0;
	} else {
		off = 0;
	}
	*out_ms = (days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
		   (long long)h * 3600 + mi * 60 + se) * 1000 + ms - off;
	return i;
}
