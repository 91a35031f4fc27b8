/* The gateway's own account of its life, from real OpenClaw file logs
 * (../shared/fixtures/openclaw). Expected counts were read off the files
 * by hand (grep -c "http server listening", "evaluating reload",
 * "received SIGUSR2; restarting"), not by the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/gwlog.h"

#define OC CK_FIXTURES "/openclaw"

static struct ck_gwlog_counts
count(const char *path, long long since_ms)
{
	struct ck_gwlog_counts c;
	const char *paths[] = { path };

	memset(&c, 0xff, sizeof(c));
	assert_int_equal(ck_gwlog_count(paths, 1, since_ms, &c), 0);
	return c;
}

static long long
ms(const char *iso)
{
	long long v;

	assert_int_equal(ck_clock_parse_iso(iso, strlen(iso), &v), strlen(iso));
	return v;
}

/* 9.6: a boot, SIGUSR2 (an in-process restart), a second boot. */
static void
v96_restart_in_process(void **state)
{
	struct ck_gwlog_counts c = count(OC "/2026.9.6/gateway/file-log.jsonl", 0);

	(void)state;
	assert_int_equal(c.boots, 2);
	assert_int_equal(c.restarts, 1);
	assert_int_equal(c.reloads, 0);
	assert_true(c.first_boot_ms == ms("2026-11-23T21:09:20.231Z"));
	assert_true(c.last_boot_ms == ms("2026-11-23T21:09:40.809Z"));
	/* from the SIGUSR2 on (at or after): the restart and the second boot */
	c = count(OC "/2026.9.6/gateway/file-log.jsonl", ms("2026-11-23T21:09:38.831Z"));
	assert_int_equal(c.boots, 1);
	assert_int_equal(c.restarts, 1);
	/* after the last boot: nothing */
	c = count(OC "/2026.9.6/gateway/file-log.jsonl", ms("2026-11-23T21:09:40.810Z"));
	assert_int_equal(c.boots, 0);
	assert_int_equal(c.restarts, 0);
}

/* Config edits a running gateway evaluated: reloads, not restarts ("Change
 * will apply without restarting the gateway" is not a restart). */
static void
reloads_are_not_restarts(void **state)
{
	struct ck_gwlog_counts c;

	(void)state;
	c = count(OC "/2026.9.6/decision/noisy-gateway-running/file-log.jsonl", 0);
	assert_int_equal(c.boots, 1);
	assert_int_equal(c.reloads, 2);
	assert_int_equal(c.restarts, 0);
	c = count(OC "/2026.5.28/decision/noisy-gateway-running/file-log.jsonl", 0);
	assert_int_equal(c.boots, 1);
	assert_int_equal(c.reloads, 2);
	assert_int_equal(c.restarts, 0);
	c = count(OC "/2026.6.1/gateway/file-log.jsonl", 0);
	assert_int_equal(c.boots, 1);
	assert_int_equal(c.reloads, 0);
	assert_int_equal(c.restarts, 0);
}

/* Several files add up; a missing one is skipped; none readable is -1. */
static void
files(void **state)
{
	const char *two[] = { OC "/2026.6.1/gateway/file-log.jsonl", "/nonexistent/x.log",
			      OC "/2026.9.6/gateway/file-log.jsonl" };
	const char *none[] = { "/nonexistent/x.log" };
	struct ck_gwlog_counts c;

	(void)state;
	assert_int_equal(ck_gwlog_count(two, 3, 0, &c), 0);
	assert_int_equal(c.boots, 3);
	assert_int_equal(c.restarts, 1);
	assert_int_equal(ck_gwlog_count(none, 1, 0, &c), -1);
}

/* Lines that are not the gateway's JSON: not counted, never a crash. */
static void
odd_lines(void **state)
{
	static const char *const lines[] = {
		"", "{", "not json at all", "[1,2,3]", "{\"0\":\"http server listening\"}",
		"{\"1\":\"http server listening\",\"time\":\"not a time\"}",
		"{\"0\":42,\"1\":{\"x\":1},\"time\":\"2026-11-23T21:09:20.231Z\"}",
	};
	struct ck_gwlog_counts c;
	size_t i;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(ck_gwlog_line(lines[i], strlen(lines[i]), 0, &c), 0);
	assert_int_equal(c.boots + c.reloads + c.restarts, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v96_restart_in_process),
		cmocka_unit_test(reloads_are_not_restarts),
		cmocka_unit_test(files),
		cmocka_unit_test(odd_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
