/* The systemd driver: `systemctl [--user] start|stop|restart <unit>`; the
 * service manager runs and restarts the gateway. */
#include "clawkeeper/gateway.h"
#include "gateway_internal.h"

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
	return ck_gateway_run_checked("gateway (systemd)", argv, NULL, gw->command_timeout_ms,
				      err);
}

static int
systemd_start(struct ck_gateway_conf *gw, struct ck_error *err)
{
	return systemctl(gw, "start", err);
}

static int
systemd_stop(struct ck_gateway_conf *gw, struct ck_error *err)
{
	return systemctl(gw, "stop", err);
}

static int
systemd_restart(struct ck_gateway_conf *gw, struct ck_error *err)
{
	return systemctl(gw, "restart", err);
}

static int
systemd_check(const struct ck_gateway_conf *gw, struct ck_error *err)
{
	if (gw->unit != NULL)
		return 0;
	ck_error_set(err, "gateway.unit: required by the systemd driver");
	return -1;
}

/* No running: whether the unit runs is systemd's to say. */
const struct ck_gateway_driver_ops ck_gateway_systemd_ops = {
	.name = "systemd",
	.check = systemd_check,
	.start = systemd_start,
	.stop = systemd_stop,
	.restart = systemd_restart,
	.running = NULL,
};
