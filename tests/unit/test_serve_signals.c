/* `clawkeeper serve` as a systemd service: READY=1 once listening,
 * WATCHDOG=1 pings when WATCHDOG_USEC is set, RELOADING=1 then READY=1 on
 * SIGHUP, STOPPING=1 and exit 0 on SIGTERM. A datagram socket stands in
 * for systemd's NOTIFY_SOCKET. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "clawkeeper/fileio.h"

static char dir[64];

/* Waits up to ms for a datagram containing want; 1 when seen. */
static int
expect(int fd, const char *want, int ms)
{
	char buf[512];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			return 0;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			return 0;
		buf[n] = '\0';
		if (strstr(buf, want) != NULL)
			return 1;
	}
}

static void
test_notify_reload_stop(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char conf[128], sock[96], *text;
	struct ck_error err;
	int fd, status;
	pid_t pid;

	(void)state;
	strcpy(dir, "/tmp/ck-test-serve-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/notify", dir);
	snprintf(conf, sizeof(conf), "%s/agent.json", dir);
	text = ck_strdup_printf(
	    "{\"listen\": \"unix:%s/api.sock\","
	    " \"tokens\": [{\"name\": \"t\", \"sha256\": \"%064d\", \"scope\": \"read\"}],"
	    " \"instance\": {\"state_dir\": \"%s/demo/instance\"}}", dir, 0, CK_SRC_DIR);
	assert_int_equal(ck_file_write_atomic(conf, text, strlen(text), 0600, &err), 0);
	free(text);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char wd[32];

		snprintf(wd, sizeof(wd), "%d", 400000);
		setenv("NOTIFY_SOCKET", sock, 1);
		setenv("WATCHDOG_USEC", wd, 1);
		snprintf(wd, sizeof(wd), "%d", (int)getpid());
		setenv("WATCHDOG_PID", wd, 1);
		execl(CK_BIN, CK_BIN, "serve", "--config", conf, (char *)NULL);
		_exit(127);
	}
	assert_true(expect(fd, "READY=1", 10000));
	assert_true(expect(fd, "WATCHDOG=1", 2000));
	kill(pid, SIGHUP);
	assert_true(expect(fd, "RELOADING=1", 5000));
	assert_true(expect(fd, "READY=1", 5000));
	kill(pid, SIGTERM);
	assert_true(expect(fd, "STOPPING=1", 5000));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(fd);
	ck_rm_rf(dir, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_reload_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
