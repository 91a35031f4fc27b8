/* A point in time as a person types it (--since, API query parameters):
 * ISO 8601, epoch milliseconds, or a span back from now. */
#ifndef CK_TIMEPARSE_H
#define CK_TIMEPARSE_H

/* ISO 8601 (offset or Z; none means UTC), epoch ms, or a relative "30s",
 * "15m", "2h", "7d", "1w" before now_ms. Returns 0 or -1. */
int ck_time_parse(const char *s, long long now_ms, long long *out_ms);

#endif
