/* common/: opening beneath a directory (fileio.h ck_open_beneath, read
 * through openat2 and through the component walk kept for kernels
 * without it) and the tree check built on it (confine.h). Each case
 * builds its own hostile tree: <tmp>/root is the instance, <tmp>/outside
 * another one. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "clawkeeper/confine.h"
#include "clawkeeper/error.h"
#include "clawkeeper/fileio.h"

struct tree {
	char tmp[64];
	char root[128];
	char outside[128];
};

static void
put(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
link_at(const char *dir, const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* root/{file, sub/file, in -> sub/file, sub/up -> ../file,
 *       dirlink -> sub, out -> ../outside/secret, abs -> <outside>/secret,
 *       outdir -> ../outside, self -> ., chain -> self/..,
 *       fifo}
 * outside/secret */
static int
setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char abs[256], fifo[256];

	assert_non_null(t);
	snprintf(t->tmp, sizeof(t->tmp), "/tmp/ck-beneath-XXXXXX");
	assert_non_null(mkdtemp(t->tmp));
	snprintf(t->root, sizeof(t->root), "%s/root", t->tmp);
	snprintf(t->outside, sizeof(t->outside), "%s/outside", t->tmp);
	assert_int_equal(mkdir(t->root, 0700), 0);
	assert_int_equal(mkdir(t->outside, 0700), 0);
	put(t->outside, "secret", "OTHER-TENANT-SECRET");
	put(t->root, "file", "mine");
	snprintf(abs, sizeof(abs), "%s/sub", t->root);
	assert_int_equal(mkdir(abs, 0700), 0);
	put(t->root, "sub/file", "sub file");
	link_at(t->root, "in", "sub/file");
	link_at(t->root, "sub/up", "../file");
	link_at(t->root, "dirlink", "sub");
	link_at(t->root, "out", "../outside/secret");
	snprintf(abs, sizeof(abs), "%s/secret", t->outside);
	link_at(t->root, "abs", abs);
	link_at(t->root, "outdir", "../outside");
	link_at(t->root, "self", ".");
	link_at(t->root, "chain", "self/..");
	snprintf(fifo, sizeof(fifo), "%s/fifo", t->root);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tree *t = *state;
	struct ck_error err;

	ck_beneath_no_openat2 = 0;
	assert_int_equal(ck_rm_rf(t->tmp, &err), 0);
	free(t);
	return 0;
}

/* 0 with the file's text in buf, or -errno. */
static int
read_rel(const struct tree *t, const char *rel, char *buf, size_t n)
{
	int fd = ck_open_beneath(t->root, rel, O_RDONLY | O_NONBLOCK);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = read(fd, buf, n - 1);
	close(fd);
	buf[got > 0 ? got : 0] = '\0';
	return 0;
}

static void
check_opens(const struct tree *t)
{
	char buf[64], abs[256];

	/* plain files and links that stay inside are followed */
	assert_int_equal(read_rel(t, "file", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "mine");
	assert_int_equal(read_rel(t, "in", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sub file");
	assert_int_equal(read_rel(t, "sub/up", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "mine");
	assert_int_equal(read_rel(t, "dirlink/file", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sub file");
	assert_int_equal(read_rel(t, "sub/../file", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "mine");
	snprintf(abs, sizeof(abs), "%s/sub/file", t->root);
	assert_int_equal(read_rel(t, abs, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sub file");

	/* links and ".." out of root are refused, never read */
	assert_int_equal(read_rel(t, "out", buf, sizeof(buf)), -EXDEV);
	assert_int_equal(read_rel(t, "abs", buf, sizeof(buf)), -EXDEV);
	assert_int_equal(read_rel(t, "outdir/secret", buf, sizeof(buf)), -EXDEV);
	assert_int_equal(read_rel(t, "chain/outside/secret", buf, sizeof(buf)), -EXDEV);
	assert_int_equal(read_rel(t, "../outside/secret", buf, sizeof(buf)), -EXDEV);
	assert_int_equal(read_rel(t, "sub/../../outside/secret", buf, sizeof(buf)), -EXDEV);
	snprintf(abs, sizeof(abs), "%s/secret", t->outside);
	assert_int_equal(read_rel(t, abs, buf, sizeof(buf)), -EXDEV);
	snprintf(abs, sizeof(abs), "%s/../outside/secret", t->root);
	assert_int_equal(read_rel(t, abs, buf, sizeof(buf)), -EXDEV);
	assert_int_equal(read_rel(t, "missing", buf, sizeof(buf)), -ENOENT);
	/* O_NOFOLLOW still refuses a last component that is a link */
	assert_int_equal(ck_open_beneath(t->root, "in", O_RDONLY | O_NOFOLLOW), -1);
	assert_int_equal(errno, ELOOP);
}

static void
test_open_openat2(void **state)
{
	ck_beneath_no_openat2 = 0;
	check_opens(*state);
}

static void
test_open_walk(void **state)
{
	ck_beneath_no_openat2 = 1;
	check_opens(*state);
}

static void
test_read_beneath(void **state)
{
	const struct tree *t = *state;
	struct ck_error err;
	char path[256];
	char *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/in", t->root);
	assert_int_equal(ck_file_read_beneath(t->root, path, 100, &buf, &len, &err), 0);
	assert_string_equal(buf, "sub file");
	free(buf);
	snprintf(path, sizeof(path), "%s/out", t->root);
	assert_int_equal(ck_file_read_beneath(t->root, path, 100, &buf, &len, &err), -1);
	assert_null(buf);
	assert_non_null(strstr(err.msg, "resolves outside"));
	assert_non_null(strstr(err.msg, "/root/out"));
	assert_null(strstr(err.msg, "OTHER-TENANT"));
	/* root NULL: the file's own dir; sub/up leaves sub/ */
	snprintf(path, sizeof(path), "%s/sub/up", t->root);
	assert_int_equal(ck_file_read_beneath(NULL, path, 100, &buf, &len, &err), -1);
	assert_non_null(strstr(err.msg, "resolves outside"));
	/* a FIFO neither hangs the open nor is read */
	snprintf(path, sizeof(path), "%s/fifo", t->root);
	assert_int_equal(ck_file_read_beneath(t->root, path, 100, &buf, &len, &err), -1);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

static void
test_target_ok(void **state)
{
	(void)state;
	assert_true(ck_confine_target_ok("a/b/link", "../x"));
	assert_true(ck_confine_target_ok("a/b/link", "../../x"));
	assert_false(ck_confine_target_ok("a/b/link", "../../../x"));
	assert_false(ck_confine_target_ok("link", "../x"));
	assert_false(ck_confine_target_ok("a/link", "/a/x"));
	/* dipping out and back in leaves the root on the way */
	assert_false(ck_confine_target_ok("a/link", "../../root/a/x"));
	assert_true(ck_confine_target_ok("a//b/./link", ".././../x"));
}

static void
test_confine_check(void **state)
{
	const struct tree *t = *state;
	struct ck_confine_escape esc;
	struct ck_error err;
	char dir[256];

	/* the whole root: "abs" or "out" or ... is found */
	assert_int_equal(ck_confine_check(t->root, "", CK_CONFINE_RESOLVE, &esc, &err), 1);
	assert_true(esc.why[0] != '\0');
	assert_int_equal(ck_confine_require(t->root, &err), -1);
	assert_non_null(strstr(err.msg, t->root));
	/* sub/ alone: sub/up leads out of it, but not once installed at
	 * <root>/sub */
	snprintf(dir, sizeof(dir), "%s/sub", t->root);
	assert_int_equal(ck_confine_check(dir, "", 0, &esc, &err), 1);
	assert_string_equal(esc.path, "up");
	assert_string_equal(esc.target, "../file");
	assert_int_equal(ck_confine_check(dir, "sub", 0, &esc, &err), 0);
	/* a hard link to a file outside the walked tree */
	snprintf(dir, sizeof(dir), "%s/hard", t->tmp);
	assert_int_equal(mkdir(dir, 0700), 0);
	put(dir, "own", "x");
	assert_int_equal(ck_confine_check(dir, "", CK_CONFINE_HARDLINKS, &esc, &err), 0);
	snprintf(dir, sizeof(dir), "%s/hard/shared", t->tmp);
	{
		char src[256];

		snprintf(src, sizeof(src), "%s/secret", t->outside);
		assert_int_equal(link(src, dir), 0);
	}
	snprintf(dir, sizeof(dir), "%s/hard", t->tmp);
	assert_int_equal(ck_confine_check(dir, "", CK_CONFINE_HARDLINKS, &esc, &err), 1);
	assert_string_equal(esc.path, "shared");
	assert_int_equal(ck_confine_check(dir, "", 0, &esc, &err), 0);
}

/* Links that stay inside: hard links among the tree's own files (several
 * groups), a dangling relative link; one absolute link, named with its
 * target; and a tree deeper than the walk goes, refused by name. */
static void
test_confine_inside(void **state)
{
	const struct tree *t = *state;
	struct ck_confine_escape esc;
	struct ck_error err;
	char dir[256], a[300], b[300];
	int i;

	snprintf(dir, sizeof(dir), "%s/in", t->tmp);
	assert_int_equal(mkdir(dir, 0700), 0);
	put(dir, "one", "1");
	put(dir, "two", "2");
	for (i = 0; i < 3; i++) {
		snprintf(a, sizeof(a), "%s/one", dir);
		snprintf(b, sizeof(b), "%s/one-%d", dir, i);
		assert_int_equal(link(a, b), 0);
		snprintf(a, sizeof(a), "%s/two", dir);
		snprintf(b, sizeof(b), "%s/two-%d", dir, i);
		assert_int_equal(link(a, b), 0);
	}
	snprintf(b, sizeof(b), "%s/dangling", dir);
	assert_int_equal(symlink("no-such-file", b), 0);
	assert_int_equal(ck_confine_check(dir, "", CK_CONFINE_RESOLVE | CK_CONFINE_HARDLINKS,
	    &esc, &err), 0);
	assert_int_equal(ck_confine_require(dir, &err), 0);
	snprintf(b, sizeof(b), "%s/abs", dir);
	assert_int_equal(symlink("/etc/hostname", b), 0);
	assert_int_equal(ck_confine_check(dir, "", 0, &esc, &err), 1);
	assert_string_equal(esc.path, "abs");
	assert_string_equal(esc.target, "/etc/hostname");
	assert_non_null(strstr(esc.why, "absolute"));
	assert_int_equal(ck_confine_require(dir, &err), -1);
	assert_non_null(strstr(err.msg, "abs"));
	assert_non_null(strstr(err.msg, "/etc/hostname"));
	/* deeper than the walk goes */
	snprintf(dir, sizeof(dir), "%s/deep", t->tmp);
	assert_int_equal(mkdir(dir, 0700), 0);
	{
		char path[8192];
		size_t len = (size_t)snprintf(path, sizeof(path), "%s", dir);

		for (i = 0; i < 600 && len + 3 < sizeof(path); i++) {
			len += (size_t)snprintf(path + len, sizeof(path) - len, "/d");
			if (mkdir(path, 0700) != 0)
				break;
		}
	}
	assert_int_equal(ck_confine_check(dir, "", 0, &esc, &err), -1);
	assert_non_null(strstr(err.msg, "directories deep"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_openat2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_beneath, setup, teardown),
		cmocka_unit_test(test_target_ok),
		cmocka_unit_test_setup_teardown(test_confine_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confine_inside, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
