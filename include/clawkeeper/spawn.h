/* Running other programs (the openclaw binary): argv only, never a shell;
 * stdout captured with a size cap, stderr captured separately, a timeout
 * that kills the process group. Or, for the supervised gateway, a child
 * left running in its own process group. */
#ifndef CK_SPAWN_H
#define CK_SPAWN_H

#include <stddef.h>
#include <sys/types.h>
#include "error.h"

struct ck_spawn_result {
	int exit_code;   /* -1 when killed by a signal or timed out */
	int timed_out;
	char *out;       /* stdout, NUL-terminated */
	size_t out_len;
	char *errout;    /* stderr, NUL-terminated */
	size_t err_len;
};

/* prefix then args in one new NULL-terminated array that borrows every
 * string (free the array only); NULL when prefix is empty or on OOM. */
char **ck_argv_concat(char *const *prefix, const char *const *args);

/* env: extra "K=V" entries added to the current environment (NULL-ended,
 * may be NULL). Returns 0 when the program ran (whatever its exit code),
 * -1 when it could not be started. */
int ck_spawn(char *const argv[], char *const env[], int timeout_ms,
	     struct ck_spawn_result *res, struct ck_error *err);
void ck_spawn_result_free(struct ck_spawn_result *res);

/* Starts argv[0] (a path, not checked first) in its own process group,
 * stdin from /dev/null, stdout and stderr to out_fd (the caller's to
 * close), env as for ck_spawn, and returns at once: *pid is the caller's
 * to wait for. A failed execve writes "clawkeeper: cannot execute ..." to
 * out_fd and exits 127. -1 with err ("fork: ...") when no child started. */
int ck_spawn_detached(char *const argv[], char *const env[], int out_fd, pid_t *pid,
		      struct ck_error *err);

#endif
