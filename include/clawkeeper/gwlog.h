/* The gateway's own account of its life, from its file log (JSON lines):
 * how many times it booted (an HTTP server came up: "http server
 * listening", also after an in-process restart) and how many config
 * reloads it evaluated, since a moment. The agent's restart counter says
 * what the agent asked for; this says what happened. */
#ifndef CK_GWLOG_H
#define CK_GWLOG_H

#include <stddef.h>

struct ck_gwlog_counts {
	int boots;     /* "http server listening" */
	int reloads;   /* "config change detected; evaluating reload" */
	int restarts;  /* in-process restarts ("restarting", SIGUSR1/2) */
	long long first_boot_ms, last_boot_ms;
};

/* Counts lines dated at or after since_ms in every file of paths
 * (missing files are skipped). Returns 0, or -1 when no file was read. */
int ck_gwlog_count(const char *const *paths, size_t n, long long since_ms,
		   struct ck_gwlog_counts *out);

/* One line; exposed for the tests. 1 when counted, else 0. */
int ck_gwlog_line(const char *line, size_t len, long long since_ms,
		  struct ck_gwlog_counts *out);

#endif
