/* common/: version order (data-driven from fixtures/version), atomic
 * writes, capped reads, fingerprints, HMAC, spawn. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "clawkeeper/error.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/spawn.h"
#include "clawkeeper/version.h"

static char **
read_lines(const char *path, size_t *n)
{
	char **lines = NULL;
	char buf[256];
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	*n = 0;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] == '\0' || buf[0] == '#')
			continue;
		lines = realloc(lines, (*n + 1) * sizeof(*lines));
		lines[(*n)++] = strdup(buf);
	}
	fclose(f);
	return lines;
}

static void
free_lines(char **lines, size_t n)
{
	while (n > 0)
		free(lines[--n]);
	free(lines);
}

static void
test_version_order(void **state)
{
	size_t n, i, j;
	char **v = read_lines(CK_FIXTURES "/version/order.txt", &n);

	(void)state;
	assert_true(n >= 10);
	for (i = 0; i < n; i++) {
		struct ck_version pv;

		assert_int_equal(ck_version_parse(v[i], &pv), 0);
		for (j = 0; j < n; j++) {
			int c = ck_version_cmp_str(v[i], v[j]);
			int want = (i > j) - (i < j);

			if (c != want)
				fail_msg("cmp(%s, %s) = %d, want %d", v[i], v[j], c, want);
		}
	}
	free_lines(v, n);
}

static void
test_version_invalid(void **state)
{
	size_t n, i;
	char **v = read_lines(CK_FIXTURES "/version/invalid.txt", &n);

	(void)state;
	assert_true(n >= 10);
	for (i = 0; i < n; i++) {
		struct ck_version pv;

		if (ck_version_parse(v[i], &pv) == 0)
			fail_msg("'%s' parsed as a version", v[i]);
	}
	free_lines(v, n);
}

static char tmpdir[64];

static int
setup_tmp(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/ck-test-common-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int
teardown_tmp(void **state)
{
	(void)state;
	ck_rm_rf(tmpdir, NULL);
	return 0;
}

static void
test_atomic_write_mode_and_content(void **state)
{
	char path[128], *data;
	struct ck_error err;
	struct stat st;
	size_t len;
	mode_t old = umask(0);

	(void)state;
	snprintf(path, sizeof(path), "%s/f.json", tmpdir);
	assert_int_equal(ck_file_write_atomic(path, "{\"a\":1}", 7, 0600, &err), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(ck_file_read(path, 1024, &data, &len, &err), 0);
	assert_int_equal(len, 7);
	assert_string_equal(data, "{\"a\":1}");
	free(data);
	/* Replace keeps no temp files behind. */
	assert_int_equal(ck_file_write_atomic(path, "x", 1, 0640, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 1);
	{
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", tmpdir);
		assert_int_equal(system(cmd), 0);
	}
}

static void
test_replace_keeps_mode_and_owner(void **state)
{
	char path[128];
	struct ck_error err;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/openclaw.json", tmpdir);
	assert_int_equal(ck_file_replace(path, "{}", 2, 0600, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(chmod(path, 0640), 0);
	if (geteuid() == 0)
		assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(ck_file_replace(path, "{\"a\":1}", 7, 0600, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 7);
	if (geteuid() == 0) {
		assert_int_equal(st.st_uid, 65534);
		assert_int_equal(st.st_gid, 65534);
	}
}

static void
test_atomic_write_bad_dir(void **state)
{
	struct ck_error err;

	(void)state;
	ck_error_clear(&err);
	assert_int_equal(ck_file_write_atomic("/nonexistent-dir/x", "a", 1, 0600, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x"));
}

static void
test_read_cap(void **state)
{
	char path[128], *data = NULL;
	struct ck_error err;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	assert_int_equal(ck_file_write_atomic(path, "0123456789", 10, 0600, &err), 0);
	assert_int_equal(ck_file_read(path, 9, &data, &len, &err), -1);
	assert_null(data);
	assert_non_null(strstr(err.msg, "limit"));
	assert_int_equal(ck_file_read(path, 10, &data, &len, &err), 0);
	assert_int_equal(len, 10);
	free(data);
	assert_int_equal(ck_file_read("/nonexistent/file", 10, &data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "No such file"));
}

static void
test_mkdir_rm(void **state)
{
	char path[160], top[160];
	struct ck_error err;

	(void)state;
	snprintf(top, sizeof(top), "%s/a", tmpdir);
	snprintf(path, sizeof(path), "%s/a/b/c", tmpdir);
	assert_int_equal(ck_mkdir_p(path, 0700, &err), 0);
	assert_true(ck_dir_exists(path));
	assert_int_equal(ck_rm_rf(top, &err), 0);
	assert_false(ck_file_exists(top));
}

static void
test_fingerprint(void **state)
{
	char fp[CK_FINGERPRINT_LEN], hex[CK_SHA256_HEX_LEN];

	(void)state;
	/* sha256("abc") = ba7816bf8f01cfea... */
	ck_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_fingerprint("abc", fp);
	assert_string_equal(fp, "sha256:ba7816bf8f01");
	ck_fingerprint("sk-FAKE-openai-secret", fp);
	assert_null(strstr(fp, "FAKE"));
}

static void
test_hmac_rfc4231(void **state)
{
	/* RFC 4231 test case 2 */
	uint8_t mac[CK_SHA256_LEN];
	char hex[CK_SHA256_HEX_LEN];
	uint8_t raw[4];

	(void)state;
	ck_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	ck_hex_encode(mac, sizeof(mac), hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_true(ck_secure_equal("abcd", "abcd", 4));
	assert_false(ck_secure_equal("abcd", "abce", 4));
	assert_int_equal(ck_hex_decode("00ff10", raw, sizeof(raw)), 3);
	assert_int_equal(raw[1], 0xff);
	assert_int_equal(ck_hex_decode("0g", raw, sizeof(raw)), -1);
	assert_int_equal(ck_hex_decode("abc", raw, sizeof(raw)), -1);
}

static void
test_spawn(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2; echo $CK_X; exit 3", NULL };
	char *env[] = { "CK_X=hello", NULL };
	char *sleeper[] = { "/bin/sleep", "10", NULL };
	char *missing[] = { "/nonexistent/openclaw", NULL };
	struct ck_spawn_result res;
	struct ck_error err;

	(void)state;
	assert_int_equal(ck_spawn(argv, env, 5000, &res, &err), 0);
	assert_int_equal(res.exit_code, 3);
	assert_string_equal(res.out, "out\nhello\n");
	assert_string_equal(res.errout, "err\n");
	ck_spawn_result_free(&res);
	assert_int_equal(ck_spawn(sleeper, NULL, 200, &res, &err), 0);
	assert_true(res.timed_out);
	assert_int_equal(res.exit_code, -1);
	ck_spawn_result_free(&res);
	assert_int_equal(ck_spawn(missing, NULL, 200, &res, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/openclaw"));
}

static int
wait_exit(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The child appends to the caller's file, reads /dev/null, leads its own
 * process group, gets the extra env, and an execve that fails says so. */
static void
test_spawn_detached(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "echo $CK_X; echo err >&2; read line || echo eof; "
			 "echo $$ $(cut -d' ' -f5 /proc/$$/stat); exit 3", NULL };
	char *env[] = { "CK_X=hello", NULL };
	char *missing[] = { "/nonexistent/openclaw", NULL };
	char *path = ck_path_join(tmpdir, "out.log");
	char *data = NULL, want[256];
	struct ck_error err;
	size_t len;
	pid_t pid, pid2;
	int fd;

	(void)state;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "before\n", 7), 7);
	assert_int_equal(ck_spawn_detached(argv, env, fd, &pid, &err), 0);
	assert_int_equal(wait_exit(pid), 3);
	assert_int_equal(ck_spawn_detached(missing, NULL, fd, &pid2, &err), 0);
	assert_int_equal(wait_exit(pid2), 127);
	close(fd);
	assert_int_equal(ck_file_read(path, 4096, &data, &len, &err), 0);
	snprintf(want, sizeof(want), "before\nhello\nerr\neof\n%d %d\n"
		 "clawkeeper: cannot execute /nonexistent/openclaw: No such file or directory\n",
		 (int)pid, (int)pid);
	assert_string_equal(data, want);
	free(data);
	free(path);
}

static void
test_findings(void **state)
{
	json_t *f = json_array();

	(void)state;
	assert_int_equal(ck_findings_worst(f), CK_SEV_OK);
	assert_int_equal(ck_status_exit_code(ck_findings_worst(f)), 0);
	ck_finding_add(f, "AGENT_MODEL_STRICT", CK_SEV_INFO, "agent:x", NULL, "m %d", 1);
	assert_int_equal(ck_status_exit_code(ck_findings_worst(f)), 0);
	ck_finding_add(f, "NO_FALLBACKS", CK_SEV_WARNING, "defaults", "fix", "m");
	assert_int_equal(ck_status_exit_code(ck_findings_worst(f)), 2);
	ck_finding_add(f, "FALLBACKS_STRIPPED", CK_SEV_CRITICAL, "defaults", "fix", "m");
	assert_int_equal(ck_status_exit_code(ck_findings_worst(f)), 1);
	assert_string_equal(ck_status_name(ck_findings_worst(f)), "critical");
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 0), "message")), "m 1");
	assert_null(json_object_get(json_array_get(f, 0), "fix"));
	json_decref(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_order),
		cmocka_unit_test(test_version_invalid),
		cmocka_unit_test_setup_teardown(test_atomic_write_mode_and_content, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_replace_keeps_mode_and_owner, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_atomic_write_bad_dir),
		cmocka_unit_test_setup_teardown(test_read_cap, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_mkdir_rm, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_spawn),
		cmocka_unit_test_setup_teardown(test_spawn_detached, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_findings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
