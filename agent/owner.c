/* What an agent owns for its instance while it serves (owner.h): the
 * instance lock, the supervised gateway's life across agents (its pid
 * file, adoption, the stop at the end) and the sweep of interrupted
 * writes. `clawkeeper serve` (api/server.c) calls these around the
 * operation engine; nothing here knows HTTP. */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/locks.h"
#include "clawkeeper/log.h"
#include "clawkeeper/owner.h"

/* A supervised gateway runs in its own process group, so an agent that
 * was killed (or stopped with gateway.keep_running) leaves it serving.
 * Its pid and start time (a pid alone never names a process: numbers are
 * reused) are kept in a file; the next agent adopts that gateway when the
 * same process still leads its group, so an agent restart is no
 * downtime. A pid file naming anything else is left alone. A clean stop
 * that stops the gateway removes the file. */
static char *
gateway_pidfile(const struct ck_agentconf *c)
{
	return ck_path_join(c->ops.work_dir, "gateway.pid");
}

void
ck_owner_adopt_gateway(struct ck_agentconf *c)
{
	char *path = gateway_pidfile(c);
	char *text = NULL;
	long pid = 0;
	int i;

	long long recorded = -2, now = -1;

	if (path != NULL && ck_file_read(path, 64, &text, NULL, NULL) == 0 &&
	    sscanf(text, "%ld %lld", &pid, &recorded) < 2)
		recorded = -2;
	if (pid > 1)
		now = ck_lock_proc_starttime(pid);
	if (pid > 1 && (recorded < 0 || now != recorded)) {
		ck_log_warn("gateway.pid names process %ld%s, not the gateway an earlier agent "
			    "started: left alone", pid, now < 0 ? " (gone)" : " (another process now)");
	} else if (pid > 1 && ck_gateway_adopt(&c->ops.gw, (pid_t)pid, recorded) == 0) {
		ck_log_info("adopted the gateway an earlier agent started (pid %ld): it keeps "
			    "serving, no restart", pid);
		free(text);
		free(path);
		return;
	} else if (pid > 1 && kill((pid_t)-pid, 0) == 0) {
		/* the same process, but no longer leading its own group */
		ck_log_warn("ending gateway process group %ld left by an earlier agent", pid);
		kill((pid_t)-pid, SIGTERM);
		for (i = 0; i < 100 && kill((pid_t)-pid, 0) == 0; i++)
			usleep(50 * 1000);
		if (kill((pid_t)-pid, 0) == 0)
			kill((pid_t)-pid, SIGKILL);
	}
	if (path != NULL)
		unlink(path);
	free(text);
	free(path);
}

void
ck_owner_record_gateway(const struct ck_agentconf *c, pid_t pid)
{
	char *path = gateway_pidfile(c);
	char buf[64];
	struct ck_error err;
	int n = snprintf(buf, sizeof(buf), "%ld %lld\n", (long)pid,
			 ck_lock_proc_starttime((long long)pid));

	if (path != NULL && ck_file_write_atomic(path, buf, (size_t)n, 0600, &err) != 0)
		ck_log_warn("%s", err.msg);
	free(path);
}

/* Interrupted atomic writes leave <file>.ck-tmp-<hex> beside the file
 * (one can sit next to the live openclaw.json, secrets included). A
 * minute's age spares a `clawkeeper` command writing right now. */
void
ck_owner_sweep_temp_files(const struct ck_agentconf *c)
{
	const char *files[] = { c->config_path, c->settings_path };
	const char *dirs[] = { c->state_dir, c->journal_dir, c->ops.work_dir };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dirs[i] != NULL)
			ck_tmp_sweep(dirs[i], 60);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *copy = files[i] ? strdup(files[i]) : NULL;

		if (copy != NULL)
			ck_tmp_sweep(dirname(copy), 60);
		free(copy);
	}
}

/* One agent per instance, taken before the socket is bound (a second
 * agent would take the first one's socket path) and before anything is
 * judged an orphan (it would end the first one's gateway and settle its
 * running operation as if that agent had stopped). */
int
ck_owner_lock(const struct ck_agentconf *c, int *fd, struct ck_error *err)
{
	char *lock;

	*fd = -1;
	if (c->ops.work_dir == NULL || c->journal_dir == NULL || c->settings_path == NULL ||
	    c->ops.gw.openclaw_argv == NULL)
		return 0; /* no operations, no gateway of its own: nothing to own */
	lock = ck_path_join(c->ops.work_dir, "agent.lock");
	if (lock == NULL) {
		ck_error_set(err, "out of memory");
		return -1;
	}
	if (ck_mkdir_p(c->ops.work_dir, 0700, err) == 0)
		*fd = ck_lock_hold(lock, err);
	free(lock);
	return *fd < 0 ? -1 : 0;
}


void
ck_owner_stop_gateway(struct ck_agentconf *c)
{
	struct ck_error gerr;
	char *path;

	if (c->ops.gw.driver != CK_GATEWAY_SUPERVISE)
		return;
	if (c->ops.gw.keep_running && ck_gateway_running(&c->ops.gw) == 1) {
		ck_log_info("leaving the gateway (pid %ld) serving for the next agent "
			    "(gateway.keep_running)", (long)c->ops.gw.pid);
		return;
	}
	if (ck_gateway_stop(&c->ops.gw, &gerr) != 0) {
		ck_log_warn("supervised gateway stop: %s", gerr.msg);
		return;
	}
	path = gateway_pidfile(c);
	if (path != NULL)
		unlink(path);
	free(path);
}

void
ck_owner_start_gateway(struct ck_agentconf *c)
{
	struct ck_error gerr;

	if (c->ops.gw.driver != CK_GATEWAY_SUPERVISE)
		return;
	if (c->ops.gw.pid > 0)
		ck_owner_record_gateway(c, c->ops.gw.pid);
	else if (ck_gateway_start(&c->ops.gw, &gerr) != 0)
		ck_log_error("supervised gateway did not start: %s", gerr.msg);
	else
		ck_owner_record_gateway(c, c->ops.gw.pid);
}
