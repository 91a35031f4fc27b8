/* Run a program by argv (never through a shell): a one-shot with stdout
 * and stderr captured with a size cap and its whole process group killed
 * on timeout, or a detached long-running child writing to a file. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/spawn.h"

#define SPAWN_OUT_MAX (16u << 20)

extern char **environ;

struct capture {
	char *buf;
	size_t len, cap;
};

/* Returns 0 on data or EOF (sets *eof), -1 on error. Output past the cap
 * is read and dropped so the child never blocks on a full pipe. */
static int
capture_read(int fd, struct capture *c, int *eof)
{
	char chunk[16384];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		*eof = 1;
		return 0;
	}
	if (c->len + (size_t)n + 1 > c->cap && c->len < SPAWN_OUT_MAX) {
		size_t want = c->cap ? c->cap * 2 : 16384;
		char *grown;

		while (want < c->len + (size_t)n + 1)
			want *= 2;
		grown = realloc(c->buf, want);
		if (grown == NULL)
			return -1;
		c->buf = grown;
		c->cap = want;
	}
	if (c->len + (size_t)n + 1 <= c->cap) {
		memcpy(c->buf + c->len, chunk, (size_t)n);
		c->len += (size_t)n;
	}
	return 0;
}

static char **
build_env(char *const extra[])
{
	size_t n_env = 0, n_extra = 0, i, j, k = 0;
	char **env;

	while (environ[n_env] != NULL)
		n_env++;
	while (extra != NULL && extra[n_extra] != NULL)
		n_extra++;
	env = calloc(n_env + n_extra + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	/* Drop inherited entries the caller overrides. */
	for (i = 0; i < n_env; i++) {
		int overridden = 0;

		for (j = 0; j < n_extra; j++) {
			size_t kl = strcspn(extra[j], "=");

			if (strncmp(environ[i], extra[j], kl) == 0 && environ[i][kl] == '=')
				overridden = 1;
		}
		if (!overridden)
			env[k++] = environ[i];
	}
	for (j = 0; j < n_extra; j++)
		env[k++] = extra[j];
	env[k] = NULL;
	return env;
}

/* In the child before execve: its own process group (so a kill reaches
 * all it forks), stdin from /dev/null, stdout and stderr to the fds. */
static void
child_redirect(int out_fd, int err_fd)
{
	int devnull = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(out_fd, 1);
	dup2(err_fd, 2);
}

static void
child_exec(char *const argv[], char **env, int out_fd, int err_fd)
{
	child_redirect(out_fd, err_fd);
	execve(argv[0], argv, env);
	_exit(127);
}

int
ck_spawn(char *const argv[], char *const env[], int timeout_ms,
	 struct ck_spawn_result *res, struct ck_error *err)
{
	struct capture out = { 0 }, errc = { 0 };
	int out_pipe[2], err_pipe[2];
	int out_eof = 0, err_eof = 0, status = 0;
	long long deadline;
	char **envp;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	if (access(argv[0], X_OK) < 0) {
		ck_error_set(err, "%s: cannot execute: %s", argv[0], strerror(errno));
		return -1;
	}
	envp = build_env(env);
	if (envp == NULL) {
		ck_error_set(err, "%s: out of memory", argv[0]);
		return -1;
	}
	if (pipe2(out_pipe, O_CLOEXEC) < 0) {
		ck_error_set(err, "pipe: %s", strerror(errno));
		free(envp);
		return -1;
	}
	if (pipe2(err_pipe, O_CLOEXEC) < 0) {
		ck_error_set(err, "pipe: %s", strerror(errno));
		close(out_pipe[0]);
		close(out_pipe[1]);
		free(envp);
		return -1;
	}
	pid = fork();
	if (pid == 0)
		child_exec(argv, envp, out_pipe[1], err_pipe[1]);
	free(envp);
	close(out_pipe[1]);
	close(err_pipe[1]);
	if (pid < 0) {
		ck_error_set(err, "%s: fork: %s", argv[0], strerror(errno));
		close(out_pipe[0]);
		close(err_pipe[0]);
		return -1;
	}
	setpgid(pid, pid);
	deadline = ck_clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 60000);
	while (!out_eof || !err_eof) {
		struct pollfd pfd[2] = {
			{ out_eof ? -1 : out_pipe[0], POLLIN, 0 },
			{ err_eof ? -1 : err_pipe[0], POLLIN, 0 },
		};
		long long left = deadline - ck_clock_mono_ms();
		int n;

		if (left <= 0) {
			res->timed_out = 1;
			kill(-pid, SIGKILL);
			break;
		}
		n = poll(pfd, 2, (int)left);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (pfd[0].revents && capture_read(out_pipe[0], &out, &out_eof) < 0)
			out_eof = 1;
		if (pfd[1].revents && capture_read(err_pipe[0], &errc, &err_eof) < 0)
			err_eof = 1;
	}
	close(out_pipe[0]);
	close(err_pipe[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!res->timed_out && WIFEXITED(status))
		res->exit_code = WEXITSTATUS(status);
	res->out = out.buf ? out.buf : strdup("");
	res->out_len = out.len;
	res->errout = errc.buf ? errc.buf : strdup("");
	res->err_len = errc.len;
	if (out.buf)
		out.buf[out.len] = '\0';
	if (errc.buf)
		errc.buf[errc.len] = '\0';
	return 0;
}

int
ck_spawn_detached(char *const argv[], char *const env[], int out_fd, pid_t *pid,
		  struct ck_error *err)
{
	char **envp = build_env(env);
	pid_t child;

	if (envp == NULL) {
		ck_error_set(err, "%s: out of memory", argv[0]);
		return -1;
	}
	child = fork();
	if (child == 0) {
		child_redirect(out_fd, out_fd);
		execve(argv[0], argv, envp);
		/* Nobody reads a pipe from this child: say why in its output. */
		dprintf(2, "clawkeeper: cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(envp);
	if (child < 0) {
		ck_error_set(err, "fork: %s", strerror(errno));
		return -1;
	}
	setpgid(child, child);
	*pid = child;
	return 0;
}

void
ck_spawn_result_free(struct ck_spawn_result *res)
{
	free(res->out);
	free(res->errout);
	res->out = NULL;
	res->errout = NULL;
}

char **
ck_argv_concat(char *const *prefix, const char *const *args)
{
	size_t np = 0, na = 0, i;
	char **out;

	while (prefix != NULL && prefix[np] != NULL)
		np++;
	while (args != NULL && args[na] != NULL)
		na++;
	if (np == 0)
		return NULL;
	out = calloc(np + na + 1, sizeof(*out));
	if (out == NULL)
		return NULL;
	for (i = 0; i < np; i++)
		out[i] = prefix[i];
	for (i = 0; i < na; i++)
		out[np + i] = (char *)args[i];
	return out;
}
