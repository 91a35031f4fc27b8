/* Millisecond clocks, one place for both kinds. */
#include <time.h>

#include "clawkeeper/clock.h"

static long long
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
