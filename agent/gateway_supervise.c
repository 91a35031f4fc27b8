/* The supervise driver: the agent runs `openclaw gateway run` as its own
 * child through ck_spawn_detached (own process group, so a stop reaches
 * everything it forked; output appended to a file), watches it, adopts
 * one an earlier agent left running, and stops it SIGTERM then SIGKILL. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/locks.h"
#include "clawkeeper/spawn.h"
#include "gateway_internal.h"

char *
ck_gateway_output_path(const struct ck_gateway_conf *gw)
{
	if (gw->output_path != NULL)
		return strdup(gw->output_path);
	if (gw->state_dir != NULL)
		return ck_strdup_printf("%s/logs/gateway.supervised.log", gw->state_dir);
	return strdup("/dev/null");
}

/* The gateway's own env: the instance's, and the agent owns updates (an
 * unknown variable is ignored by versions that do not read it; which
 * version reads which is in agent/compat.c), plus what the caller adds
 * (a rehearsal turns channels and providers off). */
static size_t
run_env(const struct ck_gateway_conf *gw, char *env[CK_GATEWAY_ENV_MAX])
{
	size_t room = CK_GATEWAY_ENV_MAX - 1;
	size_t n = ck_gateway_instance_env(gw, env), i;

	env[n++] = strdup("OPENCLAW_NO_AUTO_UPDATE=1");
	env[n++] = strdup("OPENCLAW_SUPERVISOR_MODE=external");
	for (i = 0; gw->run_env != NULL && gw->run_env[i] != NULL && n < room; i++)
		env[n++] = strdup(gw->run_env[i]);
	env[n] = NULL;
	return n;
}

static char **
supervise_argv(const struct ck_gateway_conf *gw, char *portbuf, size_t portlen)
{
	const char *args[5] = { "gateway", "run", NULL, NULL, NULL };

	if (gw->port > 0) {
		snprintf(portbuf, portlen, "%u", gw->port);
		args[2] = "--port";
		args[3] = portbuf;
	}
	return ck_argv_concat(gw->openclaw_argv, args);
}

/* The output file opened for appending; a fresh state dir has no logs/
 * yet. -1 and err when it cannot be opened. */
static int
open_output(const struct ck_gateway_conf *gw, struct ck_error *err)
{
	char *out = ck_gateway_output_path(gw);
	char *slash;
	int fd;

	if (out == NULL) {
		ck_error_set(err, "gateway: out of memory");
		return -1;
	}
	slash = strrchr(out, '/');
	if (slash != NULL && slash != out) {
		*slash = '\0';
		ck_mkdir_p(out, 0700, NULL);
		*slash = '/';
	}
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		ck_error_set(err, "gateway output %s: %s", out, strerror(errno));
	free(out);
	return fd;
}

static int
supervise_spawn(struct ck_gateway_conf *gw, struct ck_error *err)
{
	char *env[CK_GATEWAY_ENV_MAX];
	char portbuf[16];
	char **argv, *bin;
	int out_fd = open_output(gw, err);
	int rc = -1;
	pid_t pid;

	if (out_fd < 0)
		return -1;
	run_env(gw, env);
	argv = supervise_argv(gw, portbuf, sizeof(portbuf));
	bin = ck_gateway_path_lookup(gw->openclaw_argv[0]);
	if (argv == NULL || bin == NULL) {
		ck_error_set(err, "gateway: cannot run '%s' (not found on PATH, or out of memory)",
			     gw->openclaw_argv[0]);
		goto done;
	}
	argv[0] = bin;
	rc = ck_spawn_detached(argv, env, out_fd, &pid, err);
	if (rc < 0) {
		ck_error_prefix(err, "gateway: ");
		goto done;
	}
	gw->pid = pid;
	gw->adopted = 0;
	gw->starttime = ck_lock_proc_starttime((long long)pid);
done:
	close(out_fd);
	free(bin);
	free(argv);
	ck_gateway_env_free(env);
	return rc;
}

int
ck_gateway_adopt(struct ck_gateway_conf *gw, pid_t pid, long long starttime)
{
	if (gw->driver != CK_GATEWAY_SUPERVISE || pid <= 1 || starttime < 0 ||
	    ck_lock_proc_starttime((long long)pid) != starttime || getpgid(pid) != pid)
		return -1;
	gw->pid = pid;
	gw->starttime = starttime;
	gw->adopted = 1;
	return 0;
}

/* An adopted gateway is not our child: alive while its pid still names
 * the process with its start time (a zombie has none to read: gone). */
static int
adopted_alive(struct ck_gateway_conf *gw)
{
	if (kill(gw->pid, 0) == 0 && ck_lock_proc_starttime((long long)gw->pid) == gw->starttime)
		return 1;
	gw->last_exit = -1;
	gw->pid = 0;
	gw->adopted = 0;
	return 0;
}

static int
supervise_running(struct ck_gateway_conf *gw)
{
	int status;
	pid_t r;

	if (gw->pid <= 0)
		return 0;
	if (gw->adopted)
		return adopted_alive(gw);
	r = waitpid(gw->pid, &status, WNOHANG);
	if (r == 0)
		return 1;
	if (r == gw->pid)
		gw->last_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	gw->pid = 0;
	return 0;
}

/* SIGTERM the group, wait up to stop_timeout_ms, then SIGKILL. */
static int
supervise_stop(struct ck_gateway_conf *gw, struct ck_error *err)
{
	long long deadline;
	int status;
	pid_t r;

	if (supervise_running(gw) == 0)
		return 0;
	kill(-gw->pid, SIGTERM);
	deadline = ck_clock_mono_ms() + gw->stop_timeout_ms;
	if (gw->adopted) {
		pid_t group = gw->pid;

		while (supervise_running(gw) == 1 && ck_clock_mono_ms() < deadline)
			ck_clock_sleep_ms(25);
		kill(-group, SIGKILL); /* the leader if it stayed, and what it left */
		gw->pid = 0;
		gw->adopted = 0;
		return 0;
	}
	while ((r = waitpid(gw->pid, &status, WNOHANG)) == 0 && ck_clock_mono_ms() < deadline)
		ck_clock_sleep_ms(25);
	if (r == 0) {
		kill(-gw->pid, SIGKILL);
		while ((r = waitpid(gw->pid, &status, 0)) < 0 && errno == EINTR)
			;
	}
	if (r < 0 && errno != ECHILD) {
		ck_error_set(err, "gateway pid %d: waitpid: %s", (int)gw->pid, strerror(errno));
		return -1;
	}
	gw->last_exit = r == gw->pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	/* Whatever the leader left behind in its group goes too. */
	kill(-gw->pid, SIGKILL);
	gw->pid = 0;
	return 0;
}


static int
have_openclaw(const struct ck_gateway_conf *gw, struct ck_error *err)
{
	if (gw->openclaw_argv != NULL)
		return 1;
	ck_error_set(err, "gateway: no openclaw binary configured");
	return 0;
}

static int
supervise_start(struct ck_gateway_conf *gw, struct ck_error *err)
{
	if (!have_openclaw(gw, err))
		return -1;
	if (supervise_running(gw) == 1)
		return 1;
	return supervise_spawn(gw, err);
}

static int
supervise_restart(struct ck_gateway_conf *gw, struct ck_error *err)
{
	if (!have_openclaw(gw, err))
		return -1;
	if (supervise_stop(gw, err) < 0)
		return -1;
	return supervise_spawn(gw, err);
}

static int
supervise_check(const struct ck_gateway_conf *gw, struct ck_error *err)
{
	if (gw->openclaw_argv != NULL)
		return 0;
	ck_error_set(err, "gateway.openclaw: required by the supervise driver "
		     "(the openclaw binary, or [node, openclaw.mjs])");
	return -1;
}

const struct ck_gateway_driver_ops ck_gateway_supervise_ops = {
	.name = "supervise",
	.check = supervise_check,
	.start = supervise_start,
	.stop = supervise_stop,
	.restart = supervise_restart,
	.running = supervise_running,
};
