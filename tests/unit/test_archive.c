/* Safe extraction: hostile archives written here with libarchive's writer
 * (traversal, absolute names, symlink and hardlink escapes, device nodes,
 * fifos, setuid, entry/byte/file/ratio caps, non-gzip, empty) must each be
 * refused with the cause named, leave nothing outside the staging dir and
 * remove it; a benign archive extracts with safe modes; member reading
 * works on the real OpenClaw backup. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "clawkeeper/archive.h"
#include "clawkeeper/fileio.h"

#define ONLY_CONFIG CK_FIXTURES "/openclaw/2026.9.6/backup/only-config/" \
	"2026-11-23T21-15-54.557+00-00-openclaw-backup.tar.gz"
#define FULL CK_FIXTURES "/openclaw/2026.9.6/backup/full/" \
	"2026-11-23T21-15-56.604+00-00-openclaw-backup.tar.gz"

/* One entry to write: type 'f' file, 'd' dir, 'l' symlink, 'h' hardlink,
 * 'c' char device, 'p' fifo, 'z' file of `size` zero bytes. */
struct ent {
	char type;
	const char *name;
	const char *data;   /* file content, or link target */
	mode_t mode;
	uint64_t size;      /* for 'z' */
};

struct tmp {
	char base[64];
	char archive[128];
	char dest[128];
};

static void
tmp_init(struct tmp *t)
{
	strcpy(t->base, "/tmp/ck-archive-XXXXXX");
	assert_non_null(mkdtemp(t->base));
	snprintf(t->archive, sizeof(t->archive), "%s/in.tar.gz", t->base);
	snprintf(t->dest, sizeof(t->dest), "%s/stage", t->base);
}

static void
tmp_done(struct tmp *t)
{
	struct ck_error err;

	assert_int_equal(ck_rm_rf(t->base, &err), 0);
}

static void
write_zeros(struct archive *a, uint64_t size)
{
	static char zeros[64 * 1024];

	while (size > 0) {
		size_t n = size > sizeof(zeros) ? sizeof(zeros) : (size_t)size;

		assert_true(archive_write_data(a, zeros, n) == (la_ssize_t)n);
		size -= n;
	}
}

static void
write_archive(const char *path, const struct ent *ents, size_t n, int gzip)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae;
	size_t i;

	assert_non_null(a);
	if (gzip)
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		const struct ent *e = &ents[i];

		ae = archive_entry_new();
		archive_entry_set_pathname(ae, e->name);
		archive_entry_set_perm(ae, e->mode ? e->mode : 0644);
		archive_entry_set_mtime(ae, 1700000000, 0);
		switch (e->type) {
		case 'f':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_size(ae, (la_int64_t)strlen(e->data));
			break;
		case 'z':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_size(ae, (la_int64_t)e->size);
			break;
		case 'd':
			archive_entry_set_filetype(ae, AE_IFDIR);
			break;
		case 'l':
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_symlink(ae, e->data);
			break;
		case 'h':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, e->data);
			archive_entry_set_size(ae, 0);
			break;
		case 'c':
			archive_entry_set_filetype(ae, AE_IFCHR);
			archive_entry_set_rdev(ae, makedev(1, 3));
			break;
		case 'p':
			archive_entry_set_filetype(ae, AE_IFIFO);
			break;
		}
		/* The mode of setuid cases carries the extra bits. */
		if (e->mode & 07000)
			archive_entry_set_mode(ae, archive_entry_filetype(ae) | e->mode);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (e->type == 'f')
			assert_true(archive_write_data(a, e->data, strlen(e->data)) ==
				    (la_ssize_t)strlen(e->data));
		if (e->type == 'z')
			write_zeros(a, e->size);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* Recursive listing of a dir ("path mode" lines), to compare before/after. */
static void
list_into(const char *dir, const char *rel, char **out, size_t *len)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *p, *r;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = ck_path_join(dir, de->d_name);
		r = ck_path_join(rel, de->d_name);
		assert_int_equal(lstat(p, &st), 0);
		*out = realloc(*out, *len + strlen(r) + 32);
		*len += (size_t)sprintf(*out + *len, "%s %o\n", r, (unsigned)st.st_mode);
		if (S_ISDIR(st.st_mode))
			list_into(p, r, out, len);
		free(p);
		free(r);
	}
	closedir(d);
}

static char *
listing(const char *dir)
{
	char *out = calloc(1, 1);
	size_t len = 0;

	list_into(dir, "", &out, &len);
	return out;
}

/* Extracts and expects a refusal whose message contains `cause`, with the
 * staging dir gone and the parent dir exactly as before. */
static void
expect_refused(struct tmp *t, const struct ck_archive_limits *lim,
	       const char *cause, struct ck_archive_stats *st_out)
{
	struct ck_archive_src src = { .path = t->archive };
	struct ck_archive_stats st;
	struct ck_error err;
	char *before = listing(t->base);
	char *after;

	memset(&err, 0, sizeof(err));
	assert_int_equal(ck_archive_extract(&src, t->dest, lim, &st, &err), -1);
	if (strstr(err.msg, cause) == NULL)
		fail_msg("message '%s' does not name '%s'", err.msg, cause);
	assert_false(ck_dir_exists(t->dest));
	after = listing(t->base);
	assert_string_equal(before, after);
	/* Nothing was written next to the temp dir either. */
	assert_false(ck_file_exists("/tmp/ck-archive-escaped"));
	free(before);
	free(after);
	if (st_out != NULL)
		*st_out = st;
}

static void
refuse_case(const struct ent *ents, size_t n, const struct ck_archive_limits *lim,
	    const char *cause)
{
	struct tmp t;

	tmp_init(&t);
	write_archive(t.archive, ents, n, 1);
	expect_refused(&t, lim, cause, NULL);
	tmp_done(&t);
}

static void
test_traversal(void **state)
{
	const struct ent e1[] = {
		{ 'f', "ok.txt", "fine", 0, 0 },
		{ 'f', "../escaped.txt", "evil", 0, 0 },
	};
	const struct ent e2[] = { { 'f', "a/b/../../../escaped.txt", "evil", 0, 0 } };

	(void)state;
	refuse_case(e1, 2, NULL, "'..' path component");
	refuse_case(e2, 1, NULL, "'..' path component");
}

static void
test_absolute(void **state)
{
	const struct ent e[] = { { 'f', "/tmp/ck-archive-escaped", "evil", 0, 0 } };

	(void)state;
	refuse_case(e, 1, NULL, "absolute path");
}

static void
test_symlink_escape(void **state)
{
	const struct ent up[] = {
		{ 'l', "link", "..", 0, 0 },
		{ 'f', "link/escaped.txt", "evil", 0, 0 },
	};
	const struct ent abs[] = { { 'l', "etc", "/etc", 0, 0 } };
	/* Each link passes the lexical test; together they climb out. */
	const struct ent chain[] = {
		{ 'd', "d", NULL, 0755, 0 },
		{ 'l', "d/L", "..", 0, 0 },
		{ 'l', "d/A", "L/../..", 0, 0 },
	};
	/* A file written through a link inside the root is refused too: no
	 * write ever follows a link. */
	const struct ent through[] = {
		{ 'd', "real", NULL, 0755, 0 },
		{ 'l', "alias", "real", 0, 0 },
		{ 'f', "alias/x.txt", "x", 0, 0 },
	};

	(void)state;
	refuse_case(up, 2, NULL, "points outside the archive root");
	refuse_case(abs, 1, NULL, "symlink to an absolute path");
	refuse_case(chain, 3, NULL, "symlink resolves outside the archive root");
	refuse_case(through, 3, NULL, "a symlink or not a directory");
}

static void
test_hardlink_escape(void **state)
{
	const struct ent out[] = { { 'h', "h", "../secret", 0, 0 } };
	const struct ent abs[] = { { 'h', "h", "/etc/passwd", 0, 0 } };
	const struct ent later[] = {
		{ 'h', "h", "later.txt", 0, 0 },
		{ 'f', "later.txt", "x", 0, 0 },
	};
	const struct ent to_link[] = {
		{ 'l', "s", "x", 0, 0 },
		{ 'h', "h", "s", 0, 0 },
	};

	(void)state;
	refuse_case(out, 1, NULL, "hardlink target outside the archive root");
	refuse_case(abs, 1, NULL, "hardlink target outside the archive root");
	refuse_case(later, 2, NULL, "not extracted before it");
	refuse_case(to_link, 2, NULL, "not a regular file");
}

static void
test_nodes_and_modes(void **state)
{
	const struct ent dev[] = { { 'c', "null", NULL, 0600, 0 } };
	const struct ent fifo[] = { { 'p', "pipe", NULL, 0600, 0 } };
	const struct ent suid[] = { { 'f', "sh", "#!/bin/sh\n", 04755, 0 } };
	const struct ent sgid[] = { { 'f', "sh", "#!/bin/sh\n", 02755, 0 } };
	const struct ent dup[] = {
		{ 'f', "a.txt", "one", 0, 0 },
		{ 'f', "a.txt", "two", 0, 0 },
	};

	(void)state;
	refuse_case(dev, 1, NULL, "character device entries are not allowed");
	refuse_case(fifo, 1, NULL, "fifo entries are not allowed");
	refuse_case(suid, 1, NULL, "setuid/setgid");
	refuse_case(sgid, 1, NULL, "setuid/setgid");
	refuse_case(dup, 2, NULL, "duplicate entry");
}

static void
test_entry_cap(void **state)
{
	struct ck_archive_limits lim = { .max_entries = 10000 };
	struct ent *e = calloc(100000, sizeof(*e));
	char (*names)[16] = calloc(100000, 16);
	size_t i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		snprintf(names[i], 16, "f%zu", i);
		e[i].type = 'f';
		e[i].name = names[i];
		e[i].data = "";
	}
	refuse_case(e, 100000, &lim, "more than 10000 entries");
	free(e);
	free(names);
}

static void
test_bomb_total(void **state)
{
	/* 50 MB of zeros is ~50 KB of gzip: one declared entry is refused
	 * from its header, before a byte is written. */
	const struct ent one[] = { { 'z', "zeros", NULL, 0, 50ULL << 20 } };
	struct ck_archive_limits lim = { .max_total_bytes = 10ULL << 20,
					 .max_ratio = 100000 };
	struct ck_archive_stats st;
	struct ent many[50];
	char names[50][16];
	struct tmp t;
	size_t i;

	(void)state;
	refuse_case(one, 1, &lim, "byte total cap");
	/* Fifty 1 MB files: stopped at the 11th, not after writing 50 MB. */
	for (i = 0; i < 50; i++) {
		snprintf(names[i], sizeof(names[i]), "z%02zu", i);
		many[i] = (struct ent){ 'z', names[i], NULL, 0, 1ULL << 20 };
	}
	tmp_init(&t);
	write_archive(t.archive, many, 50, 1);
	expect_refused(&t, &lim, "byte total cap", &st);
	assert_true(st.bytes <= lim.max_total_bytes);
	assert_true(st.files <= 11);
	tmp_done(&t);
}

static void
test_bomb_ratio(void **state)
{
	const struct ent one[] = { { 'z', "zeros", NULL, 0, 50ULL << 20 } };
	struct ck_archive_limits lim = { .max_ratio = 100, .ratio_grace = 1 << 20 };
	struct ck_archive_stats st;
	struct tmp t;

	(void)state;
	tmp_init(&t);
	write_archive(t.archive, one, 1, 1);
	expect_refused(&t, &lim, "compression ratio over 100:1", &st);
	/* Stopped while inflating, long before the 50 MB. */
	assert_true(st.bytes < (8ULL << 20));
	tmp_done(&t);
}

static void
test_file_cap(void **state)
{
	const struct ent big[] = {
		{ 'f', "small", "ok", 0, 0 },
		{ 'z', "big", NULL, 0, 3ULL << 20 },
	};
	struct ck_archive_limits lim = { .max_file_bytes = 1ULL << 20 };

	(void)state;
	refuse_case(big, 2, &lim, "per-file cap");
}

static void
test_not_gzip(void **state)
{
	const struct ent e[] = { { 'f', "a.txt", "plain tar", 0, 0 } };
	struct tmp t;
	int fd;

	(void)state;
	tmp_init(&t);
	write_archive(t.archive, e, 1, 0);
	expect_refused(&t, NULL, "not gzip-compressed", NULL);
	tmp_done(&t);

	tmp_init(&t);
	fd = open(t.archive, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(write(fd, "this is not an archive at all\n", 30) == 30);
	close(fd);
	expect_refused(&t, NULL, "not a tar.gz archive", NULL);
	tmp_done(&t);

	tmp_init(&t);
	fd = open(t.archive, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	close(fd);
	expect_refused(&t, NULL, "empty file", NULL);
	tmp_done(&t);
}

static void
test_truncated_real(void **state)
{
	struct tmp t;
	struct ck_error err;
	char *buf;
	size_t len;
	int fd;

	(void)state;
	tmp_init(&t);
	/* The fixture's truncated archive (head -c 20000 of the full one). */
	assert_int_equal(ck_file_read(CK_FIXTURES "/openclaw/2026.9.6/backup/broken/"
				      "truncated-openclaw-backup.tar.gz", 1 << 20,
				      &buf, &len, &err), 0);
	fd = open(t.archive, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(write(fd, buf, len) == (ssize_t)len);
	close(fd);
	free(buf);
	expect_refused(&t, NULL, "truncated", NULL);
	tmp_done(&t);
}

static mode_t
mode_of(const char *dir, const char *rel)
{
	struct stat st;
	char *p = ck_path_join(dir, rel);

	assert_int_equal(lstat(p, &st), 0);
	free(p);
	return st.st_mode;
}

static void
test_benign(void **state)
{
	const struct ent e[] = {
		{ 'f', "./top.txt", "top", 0644, 0 },
		{ 'f', "deep/a/b/file.txt", "deep", 0666, 0 },
		{ 'd', "deep/a", NULL, 01777, 0 },
		{ 'd', "ro", NULL, 0500, 0 },
		{ 'f', "ro/x", "x", 0400, 0 },
		{ 'l', "deep/a/link", "b/file.txt", 0, 0 },
		{ 'l', "deep/up", "../top.txt", 0, 0 },
		{ 'h', "hard.txt", "top.txt", 0, 0 },
		{ 'f', "exe", "#!/bin/sh\n", 0777, 0 },
	};
	struct ck_archive_src src;
	struct ck_archive_stats st;
	struct ck_error err;
	struct stat a, b;
	char target[64];
	char *p, *q;
	struct tmp t;
	ssize_t n;

	(void)state;
	tmp_init(&t);
	write_archive(t.archive, e, sizeof(e) / sizeof(e[0]), 1);
	memset(&src, 0, sizeof(src));
	src.path = t.archive;
	if (ck_archive_extract(&src, t.dest, NULL, &st, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st.entries, 9);
	assert_int_equal(st.symlinks, 2);
	assert_int_equal(st.hardlinks, 1);
	assert_int_equal(mode_of(t.dest, "") & 07777, 0700);
	/* group/other write and sticky stripped; owner rwx kept on dirs */
	assert_int_equal(mode_of(t.dest, "deep/a/b/file.txt") & 07777, 0644);
	assert_int_equal(mode_of(t.dest, "deep/a") & 07777, 0755);
	assert_int_equal(mode_of(t.dest, "ro") & 07777, 0700);
	assert_int_equal(mode_of(t.dest, "ro/x") & 07777, 0400);
	assert_int_equal(mode_of(t.dest, "exe") & 07777, 0755);
	p = ck_path_join(t.dest, "deep/a/link");
	n = readlink(p, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "b/file.txt");
	free(p);
	p = ck_path_join(t.dest, "hard.txt");
	q = ck_path_join(t.dest, "top.txt");
	assert_int_equal(stat(p, &a), 0);
	assert_int_equal(stat(q, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	free(p);
	free(q);
	/* A second extraction into the same dir is refused: dest must be new. */
	assert_int_equal(ck_archive_extract(&src, t.dest, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "cannot create staging dir"));
	assert_true(ck_dir_exists(t.dest));
	tmp_done(&t);
}

static int
is_manifest(const char *name, void *ud)
{
	const char *slash = strchr(name, '/');

	(void)ud;
	return slash != NULL && strcmp(slash + 1, "manifest.json") == 0;
}

static void
test_read_member(void **state)
{
	struct ck_archive_src src = { .path = FULL };
	struct ck_archive_limits lim = { 0 };
	struct ck_error err;
	char *name, *data;
	size_t len;

	(void)state;
	/* The manifest is the last member of OpenClaw's archives. */
	assert_int_equal(ck_archive_read_member(&src, is_manifest, NULL, NULL, &name,
						&data, &len, &err), 1);
	assert_string_equal(name, "2026-11-23T21-15-56.604+00-00-openclaw-backup/manifest.json");
	assert_int_equal(len, 1689);
	assert_non_null(strstr(data, "\"schemaVersion\": 1"));
	free(name);
	free(data);
	lim.max_member_bytes = 100;
	assert_int_equal(ck_archive_read_member(&src, is_manifest, NULL, &lim, &name,
						&data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "larger than the 100 byte limit"));
	assert_null(data);
	src.path = ONLY_CONFIG;
	assert_int_equal(ck_archive_read_member(&src, is_manifest, NULL, NULL, &name,
						&data, &len, &err), 1);
	assert_int_equal(len, 835);
	free(name);
	free(data);
}

static void
test_normalize(void **state)
{
	struct ck_error err;
	char buf[64];

	(void)state;
	assert_int_equal(ck_archive_normalize_name("./a//b/./c/", buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "a/b/c");
	assert_int_equal(ck_archive_normalize_name("./", buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "");
	assert_int_equal(ck_archive_normalize_name("a/..", buf, sizeof(buf), &err), -1);
	assert_int_equal(ck_archive_normalize_name("/a", buf, sizeof(buf), &err), -1);
	assert_int_equal(ck_archive_normalize_name("a/..b/c..", buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "a/..b/c..");
	assert_int_equal(ck_archive_normalize_name("aaaaaaaaaa/bbbbbbbbbb", buf, 8, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_traversal),
		cmocka_unit_test(test_absolute),
		cmocka_unit_test(test_symlink_escape),
		cmocka_unit_test(test_hardlink_escape),
		cmocka_unit_test(test_nodes_and_modes),
		cmocka_unit_test(test_entry_cap),
		cmocka_unit_test(test_bomb_total),
		cmocka_unit_test(test_bomb_ratio),
		cmocka_unit_test(test_file_cap),
		cmocka_unit_test(test_not_gzip),
		cmocka_unit_test(test_truncated_real),
		cmocka_unit_test(test_benign),
		cmocka_unit_test(test_read_member),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
