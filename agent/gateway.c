/* Gateway control: the table of drivers (supervise, systemd, exec; each in
 * its gateway_<driver>.c) and the start, stop, restart and running calls
 * that dispatch through it and keep the counts. See gateway.h. */
#include "clawkeeper/gateway.h"
#include "gateway_internal.h"

static const struct ck_gateway_driver_ops *const drivers[CK_GATEWAY_DRIVERS] = {
	[CK_GATEWAY_SUPERVISE] = &ck_gateway_supervise_ops,
	[CK_GATEWAY_SYSTEMD] = &ck_gateway_systemd_ops,
	[CK_GATEWAY_EXEC] = &ck_gateway_exec_ops,
};

const struct ck_gateway_driver_ops *
ck_gateway_driver_ops(enum ck_gateway_driver d)
{
	if ((unsigned)d >= CK_GATEWAY_DRIVERS)
		return drivers[CK_GATEWAY_SUPERVISE];
	return drivers[d];
}

int
ck_gateway_start(struct ck_gateway_conf *gw, struct ck_error *err)
{
	int rc = ck_gateway_driver_ops(gw->driver)->start(gw, err);

	if (rc == 1)
		return 0;
	if (rc == 0)
		gw->starts++;
	return rc;
}

int
ck_gateway_stop(struct ck_gateway_conf *gw, struct ck_error *err)
{
	return ck_gateway_driver_ops(gw->driver)->stop(gw, err);
}

int
ck_gateway_restart(struct ck_gateway_conf *gw, struct ck_error *err)
{
	int rc = ck_gateway_driver_ops(gw->driver)->restart(gw, err);

	if (rc == 0)
		gw->restarts++;
	return rc;
}

int
ck_gateway_running(struct ck_gateway_conf *gw)
{
	const struct ck_gateway_driver_ops *ops = ck_gateway_driver_ops(gw->driver);

	if (ops->running == NULL)
		return -1;
	return ops->running(gw);
}
