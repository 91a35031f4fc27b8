/* Gateway control (supervise / systemd / exec drivers) and verification
 * (readiness over HTTP, version, live fallback chain). See gateway.h.
 * The supervised child gets its own process group so a stop reaches
 * everything `openclaw gateway run` forked. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clawkeeper/release.h"
#include "clawkeeper/clock.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/gateway.h"
#include "clawkeeper/locks.h"
#include "clawkeeper/json5.h"

#define GW_ENV_MAX 24
#define GW_BODY_MAX 2048
#define GW_TAIL_BYTES 600
#define GW_POLL_MS 200

extern char **environ;

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void
ck_gateway_conf_init(struct ck_gateway_conf *gw)
{
	memset(gw, 0, sizeof(*gw));
	gw->driver = CK_GATEWAY_SUPERVISE;
	gw->ready_timeout_ms = CK_GATEWAY_READY_TIMEOUT_MS;
	gw->stop_timeout_ms = 10000;
	gw->command_timeout_ms = 120000;
	gw->last_exit = -1;
}

void
ck_gateway_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

void
ck_gateway_conf_free(struct ck_gateway_conf *gw)
{
	ck_gateway_argv_free(gw->openclaw_argv);
	ck_gateway_argv_free(gw->run_env);
	ck_gateway_argv_free(gw->exec_start);
	ck_gateway_argv_free(gw->exec_stop);
	ck_gateway_argv_free(gw->exec_restart);
	free(gw->home);
	free(gw->state_dir);
	free(gw->config_path);
	free(gw->unit);
	free(gw->output_path);
	gw->openclaw_argv = gw->exec_start = gw->exec_stop = gw->exec_restart = NULL;
	gw->run_env = NULL;
	gw->home = gw->state_dir = gw->config_path = gw->unit = gw->output_path = NULL;
}

char **
ck_gateway_argv_dup(char *const *argv)
{
	size_t n = 0, i;
	char **out;

	if (argv == NULL)
		return NULL;
	while (argv[n] != NULL)
		n++;
	out = calloc(n + 1, sizeof(*out));
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		out[i] = strdup(argv[i]);
		if (out[i] == NULL) {
			ck_gateway_argv_free(out);
			return NULL;
		}
	}
	return out;
}

char **
ck_gateway_argv_split(const char *s)
{
	char *copy, *tok, *save = NULL;
	char **out;
	size_t n = 0;

	if (s == NULL)
		return NULL;
	copy = strdup(s);
	out = calloc(strlen(s) / 2 + 2, sizeof(*out));
	if (copy == NULL || out == NULL) {
		free(copy);
		free(out);
		return NULL;
	}
	for (tok = strtok_r(copy, " \t\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		out[n] = strdup(tok);
		if (out[n] == NULL)
			break;
		n++;
	}
	free(copy);
	if (n == 0 || (tok != NULL)) {
		ck_gateway_argv_free(out);
		return NULL;
	}
	return out;
}

const char *
ck_gateway_driver_name(enum ck_gateway_driver d)
{
	switch (d) {
	case CK_GATEWAY_SYSTEMD:
		return "systemd";
	case CK_GATEWAY_EXEC:
		return "exec";
	default:
		return "supervise";
	}
}

int
ck_gateway_driver_parse(const char *s, enum ck_gateway_driver *out)
{
	if (strcmp(s, "supervise") == 0)
		*out = CK_GATEWAY_SUPERVISE;
	else if (strcmp(s, "systemd") == 0)
		*out = CK_GATEWAY_SYSTEMD;
	else if (strcmp(s, "exec") == 0)
		*out = CK_GATEWAY_EXEC;
	else
		return -1;
	return 0;
}

/* ---- configuration from JSON ---- */

static int
json_argv(const json_t *v, const char *field, char ***out, struct ck_error *err)
{
	char **argv;
	size_t i;
	json_t *item;

	if (v == NULL)
		return 0;
	if (json_is_string(v)) {
		argv = ck_gateway_argv_split(json_string_value(v));
	} else if (json_is_array(v) && json_array_size(v) > 0) {
		argv = calloc(json_array_size(v) + 1, sizeof(*argv));
		json_array_foreach(v, i, item) {
			if (argv == NULL)
				break;
			if (!json_is_string(item)) {
				ck_gateway_argv_free(argv);
				ck_error_set(err, "gateway.%s[%zu]: expected a string", field, i);
				return -1;
			}
			argv[i] = strdup(json_string_value(item));
		}
	} else {
		ck_error_set(err, "gateway.%s: expected a command (string or non-empty array of strings)",
			     field);
		return -1;
	}
	if (argv == NULL) {
		ck_error_set(err, "gateway.%s: empty command", field);
		return -1;
	}
	ck_gateway_argv_free(*out);
	*out = argv;
	return 0;
}

static int
json_str(const json_t *obj, const char *field, char **out, struct ck_error *err)
{
	json_t *v = json_object_get(obj, field);

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0) {
		ck_error_set(err, "gateway.%s: expected a non-empty string", field);
		return -1;
	}
	free(*out);
	*out = strdup(json_string_value(v));
	return *out == NULL ? -1 : 0;
}

static int
json_int(const json_t *obj, const char *field, long long lo, long long hi,
	 long long *out, struct ck_error *err)
{
	json_t *v = json_object_get(obj, field);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		ck_error_set(err, "gateway.%s: expected an integer %lld..%lld", field, lo, hi);
		return -1;
	}
	*out = json_integer_value(v);
	return 1;
}

static int
conf_numbers(struct ck_gateway_conf *gw, const json_t *obj, struct ck_error *err)
{
	long long v;
	int r;

	if ((r = json_int(obj, "port", 1, 65535, &v, err)) < 0)
		return -1;
	if (r)
		gw->port = (unsigned)v;
	if ((r = json_int(obj, "ready_timeout_ms", 100, 3600000, &v, err)) < 0)
		return -1;
	if (r)
		gw->ready_timeout_ms = (int)v;
	if ((r = json_int(obj, "stop_timeout_ms", 100, 600000, &v, err)) < 0)
		return -1;
	if (r)
		gw->stop_timeout_ms = (int)v;
	if ((r = json_int(obj, "command_timeout_ms", 100, 3600000, &v, err)) < 0)
		return -1;
	if (r)
		gw->command_timeout_ms = (int)v;
	return 0;
}

static int
conf_check(const struct ck_gateway_conf *gw, struct ck_error *err)
{
	switch (gw->driver) {
	case CK_GATEWAY_SYSTEMD:
		if (gw->unit == NULL) {
			ck_error_set(err, "gateway.unit: required by the systemd driver");
			return -1;
		}
		return 0;
	case CK_GATEWAY_EXEC:
		if (gw->exec_start == NULL || gw->exec_stop == NULL) {
			ck_error_set(err, "gateway.start and gateway.stop: required by the exec driver");
			return -1;
		}
		return 0;
	default:
		if (gw->openclaw_argv == NULL) {
			ck_error_set(err, "gateway.openclaw: required by the supervise driver "
				     "(the openclaw binary, or [node, openclaw.mjs])");
			return -1;
		}
		return 0;
	}
}

int
ck_gateway_conf_from_json(struct ck_gateway_conf *gw, const json_t *obj,
			  struct ck_error *err)
{
	json_t *v;

	if (obj != NULL && !json_is_object(obj)) {
		ck_error_set(err, "gateway: expected an object");
		return -1;
	}
	if (obj == NULL)
		return conf_check(gw, err);
	v = json_object_get(obj, "driver");
	if (v != NULL && (!json_is_string(v) ||
			  ck_gateway_driver_parse(json_string_value(v), &gw->driver) < 0)) {
		ck_error_set(err, "gateway.driver: expected \"supervise\", \"systemd\" or \"exec\"");
		return -1;
	}
	v = json_object_get(obj, "user_unit");
	if (v != NULL && !json_is_boolean(v)) {
		ck_error_set(err, "gateway.user_unit: expected true or false");
		return -1;
	}
	if (v != NULL)
		gw->user_unit = json_is_true(v);
	v = json_object_get(obj, "keep_running");
	if (v != NULL && !json_is_boolean(v)) {
		ck_error_set(err, "gateway.keep_running: expected true or false");
		return -1;
	}
	if (v != NULL)
		gw->keep_running = json_is_true(v);
	if (json_argv(json_object_get(obj, "openclaw"), "openclaw", &gw->openclaw_argv, err) < 0 ||
	    json_argv(json_object_get(obj, "start"), "start", &gw->exec_start, err) < 0 ||
	    json_argv(json_object_get(obj, "stop"), "stop", &gw->exec_stop, err) < 0 ||
	    json_argv(json_object_get(obj, "restart"), "restart", &gw->exec_restart, err) < 0 ||
	    json_str(obj, "home", &gw->home, err) < 0 ||
	    json_str(obj, "state_dir", &gw->state_dir, err) < 0 ||
	    json_str(obj, "config_path", &gw->config_path, err) < 0 ||
	    json_str(obj, "unit", &gw->unit, err) < 0 ||
	    json_str(obj, "output", &gw->output_path, err) < 0 ||
	    conf_numbers(gw, obj, err) < 0)
		return -1;
	gw->openclaw_argv = ck_release_resolve_argv(gw->openclaw_argv);
	return conf_check(gw, err);
}

/* ---- running things ---- */

/* "K=V" strings for the instance env; *n set, caller frees each. */
static size_t
instance_env(const struct ck_gateway_conf *gw, char *env[GW_ENV_MAX])
{
	size_t n = 0;

	if (gw->home != NULL)
		env[n++] = ck_strdup_printf("HOME=%s", gw->home);
	if (gw->state_dir != NULL)
		env[n++] = ck_strdup_printf("OPENCLAW_STATE_DIR=%s", gw->state_dir);
	if (gw->config_path != NULL)
		env[n++] = ck_strdup_printf("OPENCLAW_CONFIG_PATH=%s", gw->config_path);
	env[n] = NULL;
	return n;
}

/* The gateway's own env: the instance's, and the agent owns updates (an
 * unknown variable is ignored by versions that do not read it; which
 * version reads which is in agent/compat.c), plus what the caller adds
 * (a rehearsal turns channels and providers off). */
static size_t
run_env(const struct ck_gateway_conf *gw, char *env[GW_ENV_MAX])
{
	size_t n = instance_env(gw, env), i;

	env[n++] = strdup("OPENCLAW_NO_AUTO_UPDATE=1");
	env[n++] = strdup("OPENCLAW_SUPERVISOR_MODE=external");
	for (i = 0; gw->run_env != NULL && gw->run_env[i] != NULL && n < GW_ENV_MAX - 1; i++)
		env[n++] = strdup(gw->run_env[i]);
	env[n] = NULL;
	return n;
}

static void
env_free(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
}

/* argv = prefix + args, borrowed pointers; caller frees the array only. */
/* A bare command name found on PATH, as ck_spawn runs paths only. */
static char *
path_lookup(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (strchr(name, '/') != NULL)
		return strdup(name);
	copy = strdup(path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
	if (copy == NULL)
		return NULL;
	for (dir = strtok_r(copy, ":", &save); dir != NULL && found == NULL;
	     dir = strtok_r(NULL, ":", &save)) {
		char *cand = ck_path_join(dir, name);

		if (cand != NULL && access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(copy);
	return found;
}

/* Runs argv (argv[0] looked up on PATH) with env; fails on a non-zero exit
 * with the command's own words. `what` names the action for messages. */
static int
run_checked(const char *what, char *const *argv, char *const *env, int timeout_ms,
	    struct ck_error *err)
{
	struct ck_spawn_result res;
	char *bin = path_lookup(argv[0]);
	char **full;
	const char *msg;
	int rc;

	if (bin == NULL) {
		ck_error_set(err, "%s: '%s' not found on PATH", what, argv[0]);
		return -1;
	}
	full = ck_argv_concat(argv, NULL);
	if (full == NULL) {
		free(bin);
		ck_error_set(err, "%s: out of memory", what);
		return -1;
	}
	full[0] = bin;
	rc = ck_spawn(full, env, timeout_ms, &res, err);
	free(full);
	free(bin);
	if (rc < 0) {
		ck_error_prefix(err, "%s: ", what);
		return -1;
	}
	if (res.exit_code != 0) {
		msg = res.err_len > 0 ? res.errout : res.out;
		ck_error_set(err, "%s: %s %s: %.300s", what, argv[0],
			     res.timed_out ? "timed out" : "failed", msg);
		if (!res.timed_out)
			snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg),
				 " (exit %d)", res.exit_code);
		ck_spawn_result_free(&res);
		return -1;
	}
	ck_spawn_result_free(&res);
	return 0;
}

int
ck_gateway_openclaw(const struct ck_gateway_conf *gw, const char *const *args,
		    char *const *extra_env, int timeout_ms,
		    struct ck_spawn_result *res, struct ck_error *err)
{
	char *env[GW_ENV_MAX + 16];
	char **argv, *bin;
	size_t n, i;
	int rc;

	if (gw->openclaw_argv == NULL) {
		ck_error_set(err, "no openclaw binary configured (gateway.openclaw)");
		return -1;
	}
	n = instance_env(gw, env);
	for (i = 0; extra_env != NULL && extra_env[i] != NULL && n < GW_ENV_MAX + 15; i++)
		env[n++] = strdup(extra_env[i]);
	env[n] = NULL;
	argv = ck_argv_concat(gw->openclaw_argv, args);
	bin = path_lookup(gw->openclaw_argv[0]);
	if (argv == NULL || bin == NULL) {
		env_free(env);
		free(argv);
		ck_error_set(err, "openclaw: '%s' not found on PATH", gw->openclaw_argv[0]);
		free(bin);
		return -1;
	}
	argv[0] = bin;
	rc = ck_spawn(argv, env, timeout_ms > 0 ? timeout_ms : gw->command_timeout_ms, res, err);
	free(bin);
	free(argv);
	env_free(env);
	return rc;
}

/* ---- supervise ---- */

static char *
output_path(const struct ck_gateway_conf *gw)
{
	if (gw->output_path != NULL)
		return strdup(gw->output_path);
	if (gw->state_dir != NULL)
		return ck_strdup_printf("%s/logs/gateway.supervised.log", gw->state_dir);
	return strdup("/dev/null");
}

/* The environment for the child: ours minus what the instance overrides. */
static char **
child_env(char **extra)
{
	size_t n = 0, k = 0, i, j;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = calloc(n + GW_ENV_MAX + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		int overridden = 0;

		for (j = 0; extra[j] != NULL; j++) {
			size_t kl = strcspn(extra[j], "=");

			if (strncmp(environ[i], extra[j], kl) == 0 && environ[i][kl] == '=')
				overridden = 1;
		}
		if (!overridden)
			env[k++] = environ[i];
	}
	for (j = 0; extra[j] != NULL; j++)
		env[k++] = extra[j];
	return env;
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

static int
supervise_spawn(struct ck_gateway_conf *gw, struct ck_error *err)
{
	char *env_extra[GW_ENV_MAX];
	char portbuf[16];
	char **argv, **envp, *bin;
	char *out = output_path(gw);
	int out_fd;
	pid_t pid;

	if (out == NULL) {
		ck_error_set(err, "gateway: out of memory");
		return -1;
	}
	{
		/* A fresh state dir has no logs/ yet. */
		char *slash = strrchr(out, '/');

		if (slash != NULL && slash != out) {
			*slash = '\0';
			ck_mkdir_p(out, 0700, NULL);
			*slash = '/';
		}
	}
	out_fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (out_fd < 0) {
		ck_error_set(err, "gateway output %s: %s", out, strerror(errno));
		free(out);
		return -1;
	}
	free(out);
	run_env(gw, env_extra);
	argv = supervise_argv(gw, portbuf, sizeof(portbuf));
	envp = child_env(env_extra);
	bin = path_lookup(gw->openclaw_argv[0]);
	if (argv == NULL || envp == NULL || bin == NULL) {
		ck_error_set(err, "gateway: cannot run '%s' (not found on PATH, or out of memory)",
			     gw->openclaw_argv[0]);
		pid = -1;
		goto done;
	}
	argv[0] = bin;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out_fd, 1);
		dup2(out_fd, 2);
		execve(argv[0], argv, envp);
		dprintf(2, "clawkeeper: cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		ck_error_set(err, "gateway: fork: %s", strerror(errno));
	else {
		setpgid(pid, pid);
		gw->pid = pid;
		gw->adopted = 0;
		gw->starttime = ck_lock_proc_starttime((long long)pid);
	}
done:
	close(out_fd);
	free(bin);
	free(argv);
	free(envp);
	env_free(env_extra);
	return pid < 0 ? -1 : 0;
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

int
ck_gateway_running(struct ck_gateway_conf *gw)
{
	int status;
	pid_t r;

	if (gw->driver != CK_GATEWAY_SUPERVISE)
		return -1;
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

	if (ck_gateway_running(gw) == 0)
		return 0;
	kill(-gw->pid, SIGTERM);
	deadline = ck_clock_mono_ms() + gw->stop_timeout_ms;
	if (gw->adopted) {
		pid_t group = gw->pid;

		while (ck_gateway_running(gw) == 1 && ck_clock_mono_ms() < deadline)
			sleep_ms(25);
		kill(-group, SIGKILL); /* the leader if it stayed, and what it left */
		gw->pid = 0;
		gw->adopted = 0;
		return 0;
	}
	while ((r = waitpid(gw->pid, &status, WNOHANG)) == 0 && ck_clock_mono_ms() < deadline)
		sleep_ms(25);
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

/* ---- drivers ---- */

static int
systemctl(struct ck_gateway_conf *gw, const char *verb, struct ck_error *err)
{
	char *argv[5];
	size_t n = 0;

	argv[n++] = "systemctl";
	if (gw->user_unit)
		argv[n++] = "--user";
	argv[n++] = (char *)verb;
	argv[n++] = gw->unit;
	argv[n] = NULL;
	return run_checked("gateway (systemd)", argv, NULL, gw->command_timeout_ms, err);
}

static int
exec_cmd(struct ck_gateway_conf *gw, char **argv, const char *what, struct ck_error *err)
{
	char *env[GW_ENV_MAX];
	int rc;

	if (argv == NULL || argv[0] == NULL) {
		ck_error_set(err, "%s: no command configured for the exec driver", what);
		return -1;
	}
	instance_env(gw, env);
	rc = run_checked(what, argv, env, gw->command_timeout_ms, err);
	env_free(env);
	return rc;
}

int
ck_gateway_start(struct ck_gateway_conf *gw, struct ck_error *err)
{
	int rc;

	switch (gw->driver) {
	case CK_GATEWAY_SYSTEMD:
		rc = systemctl(gw, "start", err);
		break;
	case CK_GATEWAY_EXEC:
		rc = exec_cmd(gw, gw->exec_start, "gateway start", err);
		break;
	default:
		if (gw->openclaw_argv == NULL) {
			ck_error_set(err, "gateway: no openclaw binary configured");
			return -1;
		}
		if (ck_gateway_running(gw) == 1)
			return 0;
		rc = supervise_spawn(gw, err);
		break;
	}
	if (rc == 0)
		gw->starts++;
	return rc;
}

int
ck_gateway_stop(struct ck_gateway_conf *gw, struct ck_error *err)
{
	switch (gw->driver) {
	case CK_GATEWAY_SYSTEMD:
		return systemctl(gw, "stop", err);
	case CK_GATEWAY_EXEC:
		return exec_cmd(gw, gw->exec_stop, "gateway stop", err);
	default:
		return supervise_stop(gw, err);
	}
}

int
ck_gateway_restart(struct ck_gateway_conf *gw, struct ck_error *err)
{
	int rc;

	switch (gw->driver) {
	case CK_GATEWAY_SYSTEMD:
		rc = systemctl(gw, "restart", err);
		break;
	case CK_GATEWAY_EXEC:
		if (gw->exec_restart != NULL)
			rc = exec_cmd(gw, gw->exec_restart, "gateway restart", err);
		else if ((rc = exec_cmd(gw, gw->exec_stop, "gateway stop", err)) == 0)
			rc = exec_cmd(gw, gw->exec_start, "gateway start", err);
		break;
	default:
		if (gw->openclaw_argv == NULL) {
			ck_error_set(err, "gateway: no openclaw binary configured");
			return -1;
		}
		rc = supervise_stop(gw, err);
		if (rc == 0)
			rc = supervise_spawn(gw, err);
		break;
	}
	if (rc == 0)
		gw->restarts++;
	return rc;
}

/* ---- readiness ---- */

unsigned
ck_gateway_port(const struct ck_gateway_conf *gw)
{
	struct ck_error err;
	json_t *cfg, *port;
	unsigned p = CK_GATEWAY_DEFAULT_PORT;

	if (gw->port > 0)
		return gw->port;
	if (gw->config_path == NULL)
		return p;
	cfg = ck_json5_load_file(gw->config_path, &err);
	port = json_object_get(json_object_get(cfg, "gateway"), "port");
	if (json_is_integer(port) && json_integer_value(port) > 0 &&
	    json_integer_value(port) < 65536)
		p = (unsigned)json_integer_value(port);
	json_decref(cfg);
	return p;
}

struct body_buf {
	char data[GW_BODY_MAX];
	size_t len;
};

static size_t
body_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct body_buf *b = ud;
	size_t n = size * nmemb, room = sizeof(b->data) - 1 - b->len;

	memcpy(b->data + b->len, ptr, n < room ? n : room);
	b->len += n < room ? n : room;
	b->data[b->len] = '\0';
	return n;
}

/* One GET; returns the HTTP status (0 when nothing answered) and fills
 * body or, when nothing answered, curl's reason. */
static long
probe(CURL *curl, const char *url, long timeout_ms, struct body_buf *body)
{
	long status = 0;
	CURLcode rc;

	body->len = 0;
	body->data[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 1000 ? timeout_ms : 1000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		snprintf(body->data, sizeof(body->data), "%s", curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* The last bytes of the supervised child's output, one line, for errors. */
static void
output_tail(const struct ck_gateway_conf *gw, char *buf, size_t n)
{
	char *path = output_path(gw), *data = NULL, *p, *o;
	size_t len = 0;
	struct ck_error err;

	buf[0] = '\0';
	if (path == NULL || ck_file_read(path, 64u << 20, &data, &len, &err) < 0) {
		free(path);
		return;
	}
	p = data + (len > GW_TAIL_BYTES ? len - GW_TAIL_BYTES : 0);
	/* Drop ANSI colour codes and fold lines so the message stays one line. */
	for (o = buf; *p != '\0' && (size_t)(o - buf) < n - 1; p++) {
		if (*p == '\033') {
			while (*p != '\0' && *p != 'm')
				p++;
			if (*p == '\0')
				break;
			continue;
		}
		*o++ = (*p == '\n' || *p == '\r') ? ' ' : *p;
	}
	*o = '\0';
	free(data);
	free(path);
}

static int
child_exited(struct ck_gateway_conf *gw, struct ck_error *err)
{
	char tail[GW_TAIL_BYTES + 1];

	if (gw->driver != CK_GATEWAY_SUPERVISE || ck_gateway_running(gw) != 0)
		return 0;
	output_tail(gw, tail, sizeof(tail));
	ck_error_set(err, "gateway exited (status %d) before it was ready; its last output: %s",
		     gw->last_exit, tail[0] ? tail : "(none)");
	return 1;
}

long
ck_gateway_probe_ready(const struct ck_gateway_conf *gw, int timeout_ms)
{
	struct body_buf body;
	char url[64];
	long status;
	CURL *curl = curl_easy_init();

	if (curl == NULL)
		return 0;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/readyz", ck_gateway_port(gw));
	status = probe(curl, url, timeout_ms, &body);
	curl_easy_cleanup(curl);
	return status;
}

int
ck_gateway_wait_ready(struct ck_gateway_conf *gw, int timeout_ms,
		      long long *waited_ms, struct ck_error *err)
{
	struct body_buf body;
	char url[64];
	long long start = ck_clock_mono_ms(), deadline;
	long status = 0;
	int exited = 0;
	CURL *curl;

	if (timeout_ms <= 0)
		timeout_ms = gw->ready_timeout_ms;
	if (gw->driver == CK_GATEWAY_SUPERVISE && ck_gateway_running(gw) == 0) {
		ck_error_set(err, "the supervised gateway is not running (last exit status %d); "
			     "start it first", gw->last_exit);
		return -1;
	}
	deadline = start + timeout_ms;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/readyz", ck_gateway_port(gw));
	curl = curl_easy_init();
	if (curl == NULL) {
		ck_error_set(err, "gateway readiness: curl_easy_init failed");
		return -1;
	}
	for (;;) {
		status = probe(curl, url, 3000L, &body);
		if (status == 200)
			break;
		exited = child_exited(gw, err);
		if (exited || ck_clock_mono_ms() >= deadline)
			break;
		sleep_ms(GW_POLL_MS);
	}
	curl_easy_cleanup(curl);
	if (waited_ms != NULL)
		*waited_ms = ck_clock_mono_ms() - start;
	if (status == 200)
		return 0;
	if (exited)
		return -1;
	if (status > 0)
		ck_error_set(err, "gateway not ready after %d ms: %s answered HTTP %ld %.300s",
			     timeout_ms, url, status, body.data);
	else
		ck_error_set(err, "gateway not ready after %d ms: %s: %.300s",
			     timeout_ms, url, body.data);
	return -1;
}

/* ---- what the installed OpenClaw says ---- */

int
ck_gateway_parse_version(const char *text, char *ver, size_t ver_len,
			 char *sha, size_t sha_len)
{
	const char *p = text;

	while (p != NULL && *p != '\0') {
		char v[64], s[64];
		const char *q = p;

		while (*q == '\033') {   /* a colour code before the word */
			q = strchr(q, 'm');
			q = q != NULL ? q + 1 : "";
		}
		s[0] = '\0';
		if (sscanf(q, "OpenClaw %63[0-9A-Za-z.+-] (%63[0-9A-Za-z])", v, s) >= 1 &&
		    v[0] >= '0' && v[0] <= '9') {
			snprintf(ver, ver_len, "%s", v);
			if (sha != NULL && sha_len > 0)
				snprintf(sha, sha_len, "%s", s);
			return 0;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

int
ck_gateway_version(const struct ck_gateway_conf *gw, char *ver, size_t ver_len,
		   char *sha, size_t sha_len, struct ck_error *err)
{
	static const char *const args[] = { "--version", NULL };
	struct ck_spawn_result res;
	int rc;

	if (ck_gateway_openclaw(gw, args, NULL, 60000, &res, err) < 0)
		return -1;
	rc = ck_gateway_parse_version(res.out, ver, ver_len, sha, sha_len);
	if (rc < 0)
		ck_error_set(err, "openclaw --version (exit %d) printed no \"OpenClaw <version> (<sha>)\": %.200s",
			     res.exit_code, res.out_len > 0 ? res.out : res.errout);
	ck_spawn_result_free(&res);
	return rc;
}

json_t *
ck_gateway_parse_models_status(const char *text, struct ck_error *err)
{
	const char *p = text;
	json_error_t jerr;
	json_t *doc, *primary, *fallbacks, *chain, *f;
	size_t i;

	/* Skip any banner or warning lines before the JSON document. */
	while (p != NULL && *p != '{') {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (p == NULL) {
		ck_error_set(err, "models status --json: no JSON object in the output");
		return NULL;
	}
	doc = json_loads(p, JSON_DISABLE_EOF_CHECK, &jerr);
	if (doc == NULL) {
		ck_error_set(err, "models status --json: line %d: %s", jerr.line, jerr.text);
		return NULL;
	}
	primary = json_object_get(doc, "defaultModel");
	if (!json_is_string(primary))
		primary = json_object_get(doc, "resolvedDefault");
	fallbacks = json_object_get(doc, "fallbacks");
	if (fallbacks != NULL && !json_is_array(fallbacks)) {
		json_decref(doc);
		ck_error_set(err, "models status --json: \"fallbacks\" is not an array");
		return NULL;
	}
	chain = json_pack("{s:O, s:[]}", "primary", json_is_string(primary) ? primary : json_null(),
			  "fallbacks");
	json_array_foreach(fallbacks, i, f)
		if (json_is_string(f))
			json_array_append(json_object_get(chain, "fallbacks"), f);
	json_decref(doc);
	return chain;
}

json_t *
ck_gateway_live_chain(const struct ck_gateway_conf *gw, struct ck_error *err)
{
	static const char *const args[] = { "models", "status", "--json", NULL };
	struct ck_spawn_result res;
	json_t *chain;

	if (ck_gateway_openclaw(gw, args, NULL, 0, &res, err) < 0)
		return NULL;
	if (res.exit_code != 0 && strchr(res.out, '{') == NULL) {
		ck_error_set(err, "openclaw models status --json: exit %d: %.300s",
			     res.exit_code, res.errout);
		ck_spawn_result_free(&res);
		return NULL;
	}
	chain = ck_gateway_parse_models_status(res.out, err);
	ck_spawn_result_free(&res);
	return chain;
}
