/* Milliseconds: wall clock for timestamps people read, monotonic for
 * deadlines and durations (immune to clock steps). */
#ifndef CK_CLOCK_H
#define CK_CLOCK_H

#include <stddef.h>
#include <time.h>

long long ck_clock_now_ms(void);  /* CLOCK_REALTIME, since the epoch */
long long ck_clock_mono_ms(void); /* CLOCK_MONOTONIC */
/* Sleeps ms, resumed when a signal interrupts it. */
void ck_clock_sleep_ms(int ms);
/* *ts = now on clock id plus ms: a pthread_cond_timedwait deadline. */
void ck_clock_after(clockid_t id, long long ms, struct timespec *ts);
/* ISO 8601 at the start of s: YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|+HH[:]MM];
 * no offset means UTC. Returns the bytes consumed (0: not a time). */
size_t ck_clock_parse_iso(const char *s, size_t len, long long *out_ms);

#endif
