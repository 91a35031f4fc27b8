/* `clawkeeper serve [--config FILE]`: run the HTTP API as a service.
 * systemd: READY=1 once listening, watchdog pings when WATCHDOG_USEC is
 * set, STOPPING=1 on the way out. SIGTERM/SIGINT: stop accepting, finish
 * in-flight requests, exit 0. SIGHUP: reload keys, tokens and instance
 * paths from the config file (a bad file is refused, the old one stays).
 *
 * Exit codes: 0 clean stop, 1 could not start, 64 usage. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/api.h"
#include "clawkeeper/log.h"
#include "commands.h"

#define DEFAULT_CONFIG "/etc/clawkeeper/agent.json"
#define GRACE_MS 10000

static void
serve_usage(FILE *out)
{
	fprintf(out, "usage: clawkeeper serve [--config FILE]\n"
	    "  --config FILE  agent config (default $CLAWKEEPER_CONFIG or "
	    DEFAULT_CONFIG ")\n");
}

static void
reload(struct ck_server *srv, const char *path)
{
	struct ck_error err;
	struct ck_agentconf *conf = ck_agentconf_load(path, NULL, &err);

	if (conf == NULL) {
		ck_log_error("reload refused, keeping the running config: %s",
		    err.msg);
		return;
	}
	sd_notify(0, "RELOADING=1");
	if (ck_server_reload(srv, conf, &err) != 0)
		ck_log_error("reload: %s", err.msg);
	sd_notify(0, "READY=1");
}

/* Waits for signals; pings the watchdog at half its interval. */
static void
run(struct ck_server *srv, const char *path)
{
	uint64_t wd_usec = 0;
	sigset_t set;
	struct timespec tick = { 1, 0 };

	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
		tick.tv_sec = (time_t)(wd_usec / 2000000);
		tick.tv_nsec = (long)((wd_usec / 2) % 1000000) * 1000;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &tick);

		if (wd_usec > 0)
			sd_notify(0, "WATCHDOG=1");
		if (sig == SIGHUP)
			reload(srv, path);
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
}

int
ck_cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("CLAWKEEPER_CONFIG");
	struct ck_agentconf *conf;
	struct ck_server *srv;
	struct ck_error err;
	sigset_t set;
	int c;

	if (path == NULL)
		path = DEFAULT_CONFIG;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'h') {
			serve_usage(stdout);
			return 0;
		} else {
			serve_usage(stderr);
			return 64;
		}
	}
	if (optind != argc) {
		serve_usage(stderr);
		return 64;
	}
	/* two malloc arenas are plenty for two threads and keep RSS small */
	mallopt(M_ARENA_MAX, 2);
	/* block before any thread starts so only sigtimedwait sees them */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	conf = ck_agentconf_load(path, NULL, &err);
	if (conf == NULL) {
		ck_log_error("%s", err.msg);
		return 1;
	}
	srv = ck_server_start(conf, &err);
	if (srv == NULL) {
		ck_log_error("%s", err.msg);
		return 1;
	}
	sd_notify(0, "READY=1");
	run(srv, path);
	sd_notify(0, "STOPPING=1");
	ck_log_info("stopping: finishing in-flight requests");
	ck_server_shutdown(srv, GRACE_MS);
	return 0;
}
