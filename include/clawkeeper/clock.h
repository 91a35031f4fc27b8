/* Milliseconds: wall clock for timestamps people read, monotonic for
 * deadlines and durations (immune to clock steps). */
#ifndef CK_CLOCK_H
#define CK_CLOCK_H

long long ck_clock_now_ms(void);  /* CLOCK_REALTIME, since the epoch */
long long ck_clock_mono_ms(void); /* CLOCK_MONOTONIC */

#endif
