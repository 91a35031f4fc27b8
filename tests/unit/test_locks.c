/* Lock files: the parser over real and hand-made lock bytes
 * (tests/fixtures/locks/parse/<name>.{lock,expected}), /proc starttime
 * with a hostile comm, and the scan/judge/fix cycle on a temp state dir
 * holding live, dead, recycled, old and garbled locks. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/locks.h"

#define PARSE CK_FIXTURES "/locks/parse"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
slurp(const char *path, size_t *len)
{
	struct ck_error err;
	char *buf;

	if (ck_file_read(path, 1 << 20, &buf, len, &err) < 0)
		fail_msg("%s", err.msg);
	return buf;
}

static void
parse_cases(void **state)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	DIR *d = opendir(PARSE);

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > 5 && strcmp(de->d_name + l - 5, ".lock") == 0) {
			names = realloc(names, (n + 1) * sizeof(*names));
			names[n++] = strndup(de->d_name, l - 5);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	assert_true(n >= 20);
	for (i = 0; i < n; i++) {
		char *lock = ck_strdup_printf("%s/%s.lock", PARSE, names[i]);
		char *exp = ck_strdup_printf("%s/%s.expected", PARSE, names[i]);
		struct ck_lock_info li;
		struct ck_error err;
		size_t len, elen;
		char *buf = slurp(lock, &len);
		char *want = slurp(exp, &elen);
		char got[CK_ERROR_MAX + 16];

		want[strcspn(want, "\n")] = '\0';
		ck_error_clear(&err);
		if (ck_lock_parse(buf, len, &li, &err) == 0)
			snprintf(got, sizeof(got), "pid=%lld created_at=%lld "
				 "max_hold_ms=%lld starttime=%lld", li.pid,
				 li.created_at_ms, li.max_hold_ms, li.starttime);
		else
			snprintf(got, sizeof(got), "error: %s", err.msg);
		/* An expected error is a prefix of the message. */
		if (strncmp(want, "error: ", 7) == 0 ? strncmp(got, want, strlen(want)) != 0
						      : strcmp(got, want) != 0)
			fail_msg("%s:\n  want: %s\n  got:  %s", names[i], want, got);
		free(buf);
		free(want);
		free(lock);
		free(exp);
		free(names[i]);
	}
	free(names);
}

/* Field 22 the simple way, for a process whose comm is plain. */
static long long
naive_starttime(pid_t pid)
{
	char path[64], buf[1024], *tok, *save = NULL;
	int field = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (++field == 22)
			return atoll(tok);
	return -1;
}

static void
proc_starttime_hostile_comm(void **state)
{
	int to_child[2], to_parent[2];
	long long before, after;
	char c, comm[64] = "", *path;
	pid_t pid;

	(void)state;
	assert_true(ck_lock_proc_starttime(getpid()) > 0);
	assert_int_equal(ck_lock_proc_starttime(getpid()), naive_starttime(getpid()));
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(to_parent), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (write(to_parent[1], "a", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(1);
		/* comm with spaces and ')' breaks a parser that splits on
		 * spaces or stops at the first ')'. */
		prctl(PR_SET_NAME, "x) 1 2 (y) z");
		if (write(to_parent[1], "b", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(to_parent[0], &c, 1), 1);
	before = ck_lock_proc_starttime(pid);
	assert_int_equal(before, naive_starttime(pid));
	assert_int_equal(write(to_child[1], "go", 1), 1);
	assert_int_equal(read(to_parent[0], &c, 1), 1);
	path = ck_strdup_printf("/proc/%d/comm", (int)pid);
	{
		FILE *f = fopen(path, "r");

		assert_non_null(f);
		assert_non_null(fgets(comm, sizeof(comm), f));
		fclose(f);
	}
	assert_non_null(strstr(comm, "x) 1 2 (y) z"));
	after = ck_lock_proc_starttime(pid);
	assert_int_equal(after, before);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(ck_lock_proc_starttime(pid), -1);
	free(path);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

/* ---- the scan on a temp state dir ------------------------------------ */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
iso(long long ms, char *buf, size_t n)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&s, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%03lldZ", base, ms % 1000);
}

static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void
write_file(const char *dir, const char *name, const char *data)
{
	char *path = ck_path_join(dir, name);
	struct ck_error err;

	assert_int_equal(ck_file_write_atomic(path, data, strlen(data), 0644, &err), 0);
	free(path);
}

static void
write_lock(const char *dir, const char *name, long long pid, long long created,
	   long long max_hold, long long starttime, const char *padding)
{
	char when[40], hold[64] = "", *body;

	iso(created, when, sizeof(when));
	if (max_hold > 0)
		snprintf(hold, sizeof(hold), "  \"maxHoldMs\": %lld,\n", max_hold);
	body = ck_strdup_printf("{\n  \"pid\": %lld,\n  \"createdAt\": \"%s\",\n"
				"%s  \"%s\": %lld\n}%s", pid, when, hold,
				padding ? "startTime" : "starttime", starttime,
				padding ? padding : "\n");
	write_file(dir, name, body);
	free(body);
}

static char *
mkstate(void)
{
	char tmpl[] = "/tmp/ck-locks-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static char *
mkdirs(const char *state, const char *sub)
{
	char *dir = ck_path_join(state, sub);
	struct ck_error err;

	assert_int_equal(ck_mkdir_p(dir, 0700, &err), 0);
	return dir;
}

static json_t *
item_for(json_t *items, const char *name)
{
	json_t *it;
	size_t i;

	json_array_foreach(items, i, it) {
		const char *p = json_string_value(json_object_get(it, "path"));
		const char *slash = strrchr(p, '/');

		if (strcmp(slash + 1, name) == 0)
			return it;
	}
	fail_msg("no item for %s", name);
	return NULL;
}

static int
count_code(json_t *findings, const char *code, const char *surface)
{
	json_t *f;
	size_t i;
	int n = 0;

	json_array_foreach(findings, i, f) {
		if (strcmp(json_string_value(json_object_get(f, "code")), code) == 0 &&
		    (surface == NULL || strcmp(json_string_value(json_object_get(f,
				"surface")), surface) == 0))
			n++;
	}
	return n;
}

static int
exists(const char *dir, const char *name)
{
	char *p = ck_path_join(dir, name);
	struct stat st;
	int ok = lstat(p, &st) == 0;

	free(p);
	return ok;
}

static void
assert_stale(json_t *items, const char *name, int stale, const char *why_part)
{
	json_t *it = item_for(items, name);
	const char *why = json_string_value(json_object_get(it, "why"));

	if (json_is_true(json_object_get(it, "stale")) != stale)
		fail_msg("%s: stale should be %d (%s)", name, stale, why);
	if (why_part != NULL && (why == NULL || strstr(why, why_part) == NULL))
		fail_msg("%s: why \"%s\" lacks \"%s\"", name, why, why_part);
}

struct fixture {
	char *state, *main_s, *ops_s, *gw;
	long long now;
};

static void
build_state(struct fixture *fx)
{
	long long me = getpid(), st = ck_lock_proc_starttime(getpid());
	long long now = now_ms();
	struct timespec old[2];
	char *garbage_old;

	fx->now = now;
	fx->state = mkstate();
	fx->main_s = mkdirs(fx->state, "agents/main/sessions");
	fx->ops_s = mkdirs(fx->state, "agents/ops/sessions");
	fx->gw = mkdirs(fx->state, "tmp/openclaw-0");
	write_lock(fx->main_s, "live.jsonl.lock", me, now - 1000, 1020000, st, NULL);
	write_lock(fx->main_s, "dead.jsonl.lock", dead_pid(), now, 1020000, 1, NULL);
	write_lock(fx->main_s, "recycled.jsonl.lock", me, now, 1020000, st + 1, NULL);
	write_lock(fx->main_s, "old.jsonl.lock", me, now - 2 * 3600 * 1000LL, 1020000,
		   st, NULL);
	write_lock(fx->main_s, "old-default.jsonl.lock", me, now - 31 * 60 * 1000LL,
		   0, st, NULL);
	write_lock(fx->main_s, "young-default.jsonl.lock", me, now - 29 * 60 * 1000LL,
		   0, st, NULL);
	write_file(fx->main_s, "garbage.jsonl.lock", "{{{");
	write_file(fx->main_s, "garbage-old.jsonl.lock", "");
	write_file(fx->main_s, "session.jsonl", "{}\n");
	write_lock(fx->ops_s, "dead2.jsonl.lock", dead_pid(), now, 1020000, 1, NULL);
	/* 2026.9.6 gateway locks: padded, startTime, no maxHoldMs. */
	write_lock(fx->gw, "gateway.abc12345.lock", dead_pid(), now, 0, 1,
		   "\n\t\t \t  \t\t\t \t");
	write_lock(fx->gw, "gateway.state.lock", me, now - 3 * 3600 * 1000LL, 0, st,
		   "\n\t \t\t");
	write_file(fx->gw, "gateway.abc12345.lock.sqlite", "");
	garbage_old = ck_path_join(fx->main_s, "garbage-old.jsonl.lock");
	old[0].tv_sec = old[1].tv_sec = (time_t)(now / 1000 - 7200);
	old[0].tv_nsec = old[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, garbage_old, old, 0), 0);
	/* A symlink named like a lock is not OpenClaw's: never followed. */
	{
		char *dead = ck_path_join(fx->main_s, "dead.jsonl.lock");
		char *link = ck_path_join(fx->main_s, "link.jsonl.lock");

		assert_int_equal(symlink(dead, link), 0);
		free(dead);
		free(link);
	}
	free(garbage_old);
}

static void
free_fixture(struct fixture *fx)
{
	struct ck_error err;

	assert_int_equal(ck_rm_rf(fx->state, &err), 0);
	free(fx->state);
	free(fx->main_s);
	free(fx->ops_s);
	free(fx->gw);
}

static void
scan_reports_without_touching(void **state)
{
	struct ck_instance inst;
	struct fixture fx;
	json_t *findings = json_array(), *items;

	(void)state;
	build_state(&fx);
	memset(&inst, 0, sizeof(inst));
	inst.state_dir = fx.state;
	items = ck_locks_check(&inst, 0, 0, 0, findings);
	assert_non_null(items);
	assert_int_equal(json_array_size(items), 11);
	assert_stale(items, "live.jsonl.lock", 0, "live pid");
	assert_stale(items, "dead.jsonl.lock", 1, "is not running");
	assert_stale(items, "recycled.jsonl.lock", 1, "another process");
	assert_stale(items, "old.jsonl.lock", 1, "maxHoldMs");
	assert_stale(items, "old-default.jsonl.lock", 1, "the default");
	assert_stale(items, "young-default.jsonl.lock", 0, NULL);
	assert_stale(items, "garbage.jsonl.lock", 0, "unparsable");
	assert_stale(items, "garbage-old.jsonl.lock", 0, "empty file");
	assert_stale(items, "dead2.jsonl.lock", 1, "is not running");
	assert_stale(items, "gateway.abc12345.lock", 1, "is not running");
	/* Held for 3 h by a live gateway: age does not apply to it. */
	assert_stale(items, "gateway.state.lock", 0, "live pid");
	assert_string_equal(json_string_value(json_object_get(
		item_for(items, "dead2.jsonl.lock"), "agent")), "ops");
	assert_string_equal(json_string_value(json_object_get(
		item_for(items, "gateway.state.lock"), "kind")), "gateway");
	assert_int_equal(json_integer_value(json_object_get(
		item_for(items, "live.jsonl.lock"), "pid")), getpid());

	assert_int_equal(count_code(findings, "STALE_SESSION_LOCK", "agent:main"), 4);
	assert_int_equal(count_code(findings, "STALE_SESSION_LOCK", "agent:ops"), 1);
	assert_int_equal(count_code(findings, "STALE_GATEWAY_LOCK", "gateway"), 1);
	assert_int_equal(count_code(findings, "SESSION_LOCK_UNREADABLE", "agent:main"), 1);
	assert_int_equal(json_array_size(findings), 7);
	assert_non_null(strstr(json_string_value(json_object_get(
		json_array_get(findings, 0), "fix")), "--fix-locks"));
	assert_true(exists(fx.main_s, "dead.jsonl.lock"));
	assert_true(exists(fx.main_s, "old.jsonl.lock"));
	json_decref(items);
	json_decref(findings);
	free_fixture(&fx);
}

static void
fix_removes_only_stale_session_locks(void **state)
{
	static const char *gone[] = { "dead.jsonl.lock", "recycled.jsonl.lock",
				      "old.jsonl.lock", "old-default.jsonl.lock" };
	static const char *kept[] = { "live.jsonl.lock", "young-default.jsonl.lock",
				      "garbage.jsonl.lock", "garbage-old.jsonl.lock",
				      "session.jsonl", "link.jsonl.lock" };
	struct ck_instance inst;
	struct fixture fx;
	json_t *findings = json_array(), *items;
	size_t i;

	(void)state;
	build_state(&fx);
	memset(&inst, 0, sizeof(inst));
	inst.state_dir = fx.state;
	items = ck_locks_check(&inst, 0, 0, 1, findings);
	assert_non_null(items);
	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		if (exists(fx.main_s, gone[i]))
			fail_msg("%s was not removed", gone[i]);
		assert_true(json_is_true(json_object_get(item_for(items, gone[i]),
							 "removed")));
	}
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (!exists(fx.main_s, kept[i]))
			fail_msg("%s was removed", kept[i]);
	assert_false(exists(fx.ops_s, "dead2.jsonl.lock"));
	assert_true(exists(fx.gw, "gateway.abc12345.lock"));
	assert_false(json_is_true(json_object_get(item_for(items,
		"gateway.abc12345.lock"), "removed")));
	assert_true(exists(fx.gw, "gateway.state.lock"));
	/* What was removed is no longer a finding; what remains still is. */
	assert_int_equal(count_code(findings, "STALE_SESSION_LOCK", NULL), 0);
	assert_int_equal(count_code(findings, "STALE_GATEWAY_LOCK", NULL), 1);
	assert_int_equal(count_code(findings, "SESSION_LOCK_UNREADABLE", NULL), 1);
	json_decref(items);

	/* A second pass finds nothing stale left to remove. */
	json_decref(findings);
	findings = json_array();
	items = ck_locks_check(&inst, 0, 0, 1, findings);
	assert_int_equal(json_array_size(items), 6);
	assert_int_equal(count_code(findings, "STALE_SESSION_LOCK", NULL), 0);
	json_decref(items);
	json_decref(findings);
	free_fixture(&fx);
}

static void
max_age_overrides_max_hold(void **state)
{
	long long st = ck_lock_proc_starttime(getpid());
	struct ck_instance inst;
	json_t *findings = json_array(), *items;
	char *st_dir = mkstate();
	char *sessions = mkdirs(st_dir, "agents/main/sessions");
	long long now = now_ms();
	struct ck_error err;

	(void)state;
	write_lock(sessions, "a.jsonl.lock", getpid(), now - 5000, 1020000, st, NULL);
	memset(&inst, 0, sizeof(inst));
	inst.state_dir = st_dir;
	items = ck_locks_check(&inst, now, 1000, 0, findings);
	assert_stale(items, "a.jsonl.lock", 1, "--lock-max-age");
	json_decref(items);
	items = ck_locks_check(&inst, now, 0, 0, findings);
	assert_stale(items, "a.jsonl.lock", 0, NULL);
	json_decref(items);
	json_decref(findings);
	assert_int_equal(ck_rm_rf(st_dir, &err), 0);
	free(st_dir);
	free(sessions);
}

/* The real 2026.5.28 lock, in place: pid 7031 from the capture machine is
 * dead here or someone else's, so it is stale either way. */
static void
real_lock_in_place(void **state)
{
	struct ck_instance inst;
	json_t *findings = json_array(), *items;
	char *st_dir = mkstate();
	char *sessions = mkdirs(st_dir, "agents/main/sessions");
	char *dst = ck_path_join(sessions, "b67d145a-b141-4ed2-9dbb-32270bf5b59b.jsonl.lock");
	struct ck_error err;

	(void)state;
	assert_int_equal(ck_file_copy(PARSE "/real-2026.5.28-session.lock", dst, &err), 0);
	memset(&inst, 0, sizeof(inst));
	inst.state_dir = st_dir;
	/* Pinned one second after the lock's createdAt: only pid checks. */
	items = ck_locks_check(&inst, 1795468419073LL, 0, 0, findings);
	assert_int_equal(json_array_size(items), 1);
	assert_stale(items, "b67d145a-b141-4ed2-9dbb-32270bf5b59b.jsonl.lock", 1, "7031");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0),
							    "created_at")), 1795468418073LL);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0),
							    "age_ms")), 1000);
	json_decref(items);
	json_decref(findings);
	assert_int_equal(ck_rm_rf(st_dir, &err), 0);
	free(st_dir);
	free(sessions);
	free(dst);
}

static void
no_state_dir(void **state)
{
	struct ck_instance inst;
	json_t *findings = json_array(), *items;

	(void)state;
	memset(&inst, 0, sizeof(inst));
	items = ck_locks_check(&inst, 0, 0, 1, findings);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	inst.state_dir = "/nonexistent/ck-state";
	items = ck_locks_check(&inst, 0, 0, 1, findings);
	assert_int_equal(json_array_size(items), 0);
	assert_int_equal(json_array_size(findings), 0);
	json_decref(items);
	json_decref(findings);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_cases),
		cmocka_unit_test(proc_starttime_hostile_comm),
		cmocka_unit_test(scan_reports_without_touching),
		cmocka_unit_test(fix_removes_only_stale_session_locks),
		cmocka_unit_test(max_age_overrides_max_hold),
		cmocka_unit_test(real_lock_in_place),
		cmocka_unit_test(no_state_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
