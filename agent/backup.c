/* Import staging: turn an `openclaw backup create` archive or a tar.gz of a
 * state dir into a managed layout (<staging>/state, <staging>/workspace[-N])
 * with the config's absolute paths remapped, credential files private, and
 * a report of what the instance holds and what will not work once hosted. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clawkeeper/archive.h"
#include "clawkeeper/backup.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/config_health.h"
#include "clawkeeper/confine.h"
#include "clawkeeper/credentials.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/instance.h"
#include "clawkeeper/json5.h"
#include "clawkeeper/model.h"

#define EXPECTED_FORMATS "expected an `openclaw backup create` archive " \
	"(<root>/manifest.json) or a tar.gz of a state dir (.openclaw/ at the top)"
#define MANIFEST_MAX (1U << 20)
#define MAX_MAPS 64

enum fmt { FMT_BACKUP, FMT_STATEDIR };

/* One directory of the old machine and where it lands. old == NULL marks
 * the state dir of a state-dir tarball, whose old path is only known from
 * the ".openclaw" component of the paths that point into it. */
struct dirmap {
	char *old;
	char *staged;
	char *final;
	char *where;
	char *rel;    /* state-dir tarball: the dir's path inside the old
		       * state dir ("/workspace"), matched after any
		       * ".../.openclaw" prefix */
	int is_state;
};

struct stage {
	const struct ck_backup_opts *opts;
	const char *archive;
	char *staging;
	char *raw;
	char *state;        /* <staging>/state */
	char *final_state;
	char *final_ws;
	enum fmt fmt;
	char *root;         /* archive root dir (backup format) */
	json_t *manifest;
	json_t *config;
	struct dirmap maps[MAX_MAPS];
	size_t n_maps;
	size_t n_workspaces;
	json_t *remaps;
	json_t *warnings;
	json_t *workspaces; /* staged workspace dirs */
	struct ck_archive_stats stats;
	struct ck_error *err;
};

/* ---- small path helpers ---- */

/* Length of `prefix` in `path` when path is prefix or below it. */
static int
under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	if (strncmp(path, prefix, n) != 0)
		return -1;
	if (path[n] != '\0' && path[n] != '/')
		return -1;
	return (int)n;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
is_reg(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int
move(struct stage *s, const char *from, const char *to)
{
	char *parent = strdup(to);
	char *slash = parent != NULL ? strrchr(parent, '/') : NULL;

	if (slash != NULL) {
		*slash = '\0';
		if (ck_mkdir_p(parent, 0700, s->err) < 0) {
			free(parent);
			return -1;
		}
	}
	free(parent);
	if (rename(from, to) < 0) {
		ck_error_set(s->err, "staging: rename %s -> %s: %s", from, to,
			     strerror(errno));
		return -1;
	}
	return 0;
}

static int
add_map(struct stage *s, const char *old, const char *staged, const char *final,
	const char *where, int is_state)
{
	struct dirmap *m;

	if (s->n_maps == MAX_MAPS) {
		ck_error_set(s->err, "manifest.json: more than %d paths to remap", MAX_MAPS);
		return -1;
	}
	m = &s->maps[s->n_maps++];
	m->old = old != NULL ? strdup(old) : NULL;
	m->staged = strdup(staged);
	m->final = strdup(final);
	m->where = strdup(where);
	m->is_state = is_state;
	return 0;
}

/* ---- manifest ---- */

static int
abs_string(json_t *v)
{
	const char *p = json_string_value(v);

	return p != NULL && p[0] == '/' && strstr(p, "/../") == NULL &&
	       strstr(p, "/./") == NULL;
}

static int
check_assets(json_t *m, const char *root, struct ck_error *err)
{
	json_t *assets = json_object_get(m, "assets");
	json_t *a;
	size_t i;

	if (!json_is_array(assets) || json_array_size(assets) == 0) {
		ck_error_set(err, "manifest.json: assets: missing or empty");
		return -1;
	}
	json_array_foreach(assets, i, a) {
		json_t *src = json_object_get(a, "sourcePath");
		const char *ap = json_string_value(json_object_get(a, "archivePath"));
		char *want;
		int ok;

		if (!json_is_string(json_object_get(a, "kind")) || !abs_string(src) ||
		    ap == NULL) {
			ck_error_set(err, "manifest.json: assets[%zu]: needs kind, an "
				     "absolute sourcePath and archivePath", i);
			return -1;
		}
		want = ck_strdup_printf("%s/payload/posix%s", root, json_string_value(src));
		ok = want != NULL && strcmp(want, ap) == 0;
		free(want);
		if (!ok) {
			ck_error_set(err, "manifest.json: assets[%zu].archivePath: '%.200s' "
				     "is not <archiveRoot>/payload/posix<sourcePath>", i, ap);
			return -1;
		}
	}
	return 0;
}

static int
check_paths(json_t *m, struct ck_error *err)
{
	json_t *paths = json_object_get(m, "paths");
	json_t *ws = json_object_get(paths, "workspaceDirs");
	json_t *roots = json_object_get(paths, "agentRoots");
	json_t *cp = json_object_get(paths, "configPath");
	json_t *v;
	size_t i;

	if (!json_is_object(paths) || !abs_string(json_object_get(paths, "stateDir"))) {
		ck_error_set(err, "manifest.json: paths.stateDir: missing or not an "
			     "absolute path");
		return -1;
	}
	if (cp != NULL && !abs_string(cp)) {
		ck_error_set(err, "manifest.json: paths.configPath: not an absolute path");
		return -1;
	}
	if (!json_is_array(ws)) {
		ck_error_set(err, "manifest.json: paths.workspaceDirs: missing or not an array");
		return -1;
	}
	json_array_foreach(ws, i, v) {
		if (!abs_string(v)) {
			ck_error_set(err, "manifest.json: paths.workspaceDirs[%zu]: not an "
				     "absolute path", i);
			return -1;
		}
	}
	if (roots != NULL && !json_is_array(roots)) {
		ck_error_set(err, "manifest.json: paths.agentRoots: not an array");
		return -1;
	}
	json_array_foreach(roots, i, v) {
		const char *id = json_string_value(json_object_get(v, "agentId"));

		if (id == NULL || id[0] == '\0' || strchr(id, '/') != NULL ||
		    strcmp(id, ".") == 0 || strcmp(id, "..") == 0 ||
		    !abs_string(json_object_get(v, "sourcePath"))) {
			ck_error_set(err, "manifest.json: paths.agentRoots[%zu]: needs a "
				     "plain agentId and an absolute sourcePath", i);
			return -1;
		}
	}
	return 0;
}

json_t *
ck_backup_manifest_parse(const char *buf, size_t len, const char *expect_root,
			 struct ck_error *err)
{
	json_error_t jerr;
	json_t *m, *sv;
	const char *root;

	m = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (m == NULL) {
		ck_error_set(err, "manifest.json:%d:%d: %s", jerr.line, jerr.column,
			     jerr.text);
		return NULL;
	}
	sv = json_object_get(m, "schemaVersion");
	if (!json_is_integer(sv) || json_integer_value(sv) != 1) {
		ck_error_set(err, "manifest.json: schemaVersion: %s (this agent reads "
			     "schemaVersion 1)", json_is_integer(sv) ? "unsupported" : "missing");
		goto fail;
	}
	root = json_string_value(json_object_get(m, "archiveRoot"));
	if (root == NULL || root[0] == '\0' || strchr(root, '/') != NULL ||
	    strcmp(root, "..") == 0 || strcmp(root, ".") == 0) {
		ck_error_set(err, "manifest.json: archiveRoot: missing or not a plain name");
		goto fail;
	}
	if (expect_root != NULL && strcmp(root, expect_root) != 0) {
		ck_error_set(err, "manifest.json: archiveRoot: '%.200s' but the archive's "
			     "top directory is '%.200s'", root, expect_root);
		goto fail;
	}
	if (check_paths(m, err) < 0 || check_assets(m, root, err) < 0)
		goto fail;
	return m;
fail:
	json_decref(m);
	return NULL;
}

/* ---- private addresses ---- */

static int
ipv4_private(const char *h)
{
	unsigned a, b, c, d;
	char tail;

	if (sscanf(h, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 ||
	    a > 255 || b > 255 || c > 255 || d > 255)
		return 0;
	return a == 127 || a == 10 || a == 0 || (a == 172 && b >= 16 && b <= 31) ||
	       (a == 192 && b == 168) || (a == 169 && b == 254);
}

static int
ipv6_private(const char *h)
{
	if (strcmp(h, "::1") == 0 || strcmp(h, "::") == 0)
		return 1;
	if (strncmp(h, "::ffff:", 7) == 0)
		return ipv4_private(h + 7);
	/* fc00::/7 (fc.., fd..) and fe80::/10 */
	if ((h[0] == 'f' || h[0] == 'F') && strchr("cdCD", h[1]) != NULL && h[1] != '\0')
		return 1;
	return strncasecmp(h, "fe8", 3) == 0 || strncasecmp(h, "fe9", 3) == 0 ||
	       strncasecmp(h, "fea", 3) == 0 || strncasecmp(h, "feb", 3) == 0;
}

int
ck_backup_url_is_private(const char *url)
{
	char host[256];
	const char *p = strstr(url, "://");
	const char *at, *end;
	size_t n;

	p = p != NULL ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	if (at != NULL)
		p = at + 1;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (close == NULL)
			return 0;
		n = (size_t)(close - p - 1);
		if (n >= sizeof(host))
			return 0;
		memcpy(host, p + 1, n);
		host[n] = '\0';
		return ipv6_private(host);
	}
	n = strcspn(p, ":/?#");
	if (n >= sizeof(host))
		return 0;
	memcpy(host, p, n);
	host[n] = '\0';
	if (strcasecmp(host, "localhost") == 0 ||
	    (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
		return 1;
	return ipv4_private(host);
}

/* ---- format detection and layout ---- */

static int
detect(struct stage *s)
{
	DIR *d = opendir(s->raw);
	struct dirent *de;
	char *backup_root = NULL, *other = NULL;
	int has_openclaw = 0, n = 0, rc = -1;

	if (d == NULL) {
		ck_error_set(s->err, "%s: %s", s->raw, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *p, *mf;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		p = ck_path_join(s->raw, de->d_name);
		mf = p != NULL ? ck_path_join(p, "manifest.json") : NULL;
		if (strcmp(de->d_name, ".openclaw") == 0 && p != NULL && is_dir(p))
			has_openclaw = 1;
		else if (mf != NULL && is_dir(p) && is_reg(mf) && backup_root == NULL)
			backup_root = strdup(de->d_name);
		else if (other == NULL)
			other = strdup(de->d_name);
		free(mf);
		free(p);
	}
	closedir(d);
	if (backup_root != NULL && n == 1) {
		s->fmt = FMT_BACKUP;
		s->root = backup_root;
		backup_root = NULL;
		rc = 0;
	} else if (backup_root != NULL) {
		ck_error_set(s->err, "%s: unexpected top-level entry '%.200s' next to the "
			     "backup root '%.200s' (%s)", s->archive,
			     other != NULL ? other : ".openclaw", backup_root, EXPECTED_FORMATS);
	} else if (has_openclaw) {
		s->fmt = FMT_STATEDIR;
		rc = 0;
		if (other != NULL)
			ck_finding_add(s->warnings, "IMPORT_ENTRY_IGNORED", CK_SEV_INFO,
				       "archive", NULL, "top-level entry '%.200s' is not "
				       "under .openclaw/ and was not imported", other);
	} else {
		ck_error_set(s->err, "%s: not an OpenClaw archive: %s", s->archive,
			     EXPECTED_FORMATS);
	}
	free(backup_root);
	free(other);
	return rc;
}

static char *
payload_path(struct stage *s, const char *abs)
{
	return ck_strdup_printf("%s/%s/payload/posix%s", s->raw, s->root, abs);
}

static int
read_manifest(struct stage *s)
{
	char *path = ck_strdup_printf("%s/%s/manifest.json", s->raw, s->root);
	char *buf = NULL;
	size_t len;

	if (path == NULL || ck_file_read(path, MANIFEST_MAX, &buf, &len, s->err) < 0) {
		free(path);
		return -1;
	}
	free(path);
	s->manifest = ck_backup_manifest_parse(buf, len, s->root, s->err);
	free(buf);
	if (s->manifest == NULL) {
		ck_error_prefix(s->err, "%s: ", s->archive);
		return -1;
	}
	return 0;
}

static char *
numbered(const char *base, size_t n)
{
	return n == 0 ? strdup(base) : ck_strdup_printf("%s-%zu", base, n + 1);
}

/* Stages workspace number n from `src` (may not exist) and maps old to it. */
static int
stage_workspace(struct stage *s, const char *old, const char *src,
		const char *where)
{
	char *base = ck_path_join(s->staging, "workspace");
	char *staged = numbered(base, s->n_workspaces);
	char *final = numbered(s->final_ws, s->n_workspaces);
	int rc = -1;

	if (base == NULL || staged == NULL || final == NULL)
		goto out;
	if (src != NULL && is_dir(src)) {
		if (move(s, src, staged) < 0)
			goto out;
		json_array_append_new(s->workspaces, json_string(staged));
	} else {
		ck_finding_add(s->warnings, "IMPORT_WORKSPACE_NOT_IN_ARCHIVE", CK_SEV_INFO,
			       where, NULL, "workspace %.300s is not in the archive; the "
			       "instance starts with an empty workspace at %.300s", old, final);
	}
	if (add_map(s, old, staged, final, where, 0) < 0)
		goto out;
	s->n_workspaces++;
	rc = 0;
out:
	free(base);
	free(staged);
	free(final);
	return rc;
}

static int
layout_config(struct stage *s, const char *state_dir, const char *config_path)
{
	char *src, *dst;
	int n, rc;

	n = under(config_path, state_dir);
	if (n >= 0 && strcmp(config_path + n, "/openclaw.json") == 0)
		return 0;
	src = n >= 0 ? ck_strdup_printf("%s%s", s->state, config_path + n)
		     : payload_path(s, config_path);
	dst = ck_path_join(s->state, "openclaw.json");
	rc = 0;
	if (src != NULL && dst != NULL && is_reg(src)) {
		rc = move(s, src, dst);
		if (rc == 0) {
			char *final = ck_path_join(s->final_state, "openclaw.json");

			json_array_append_new(s->remaps, json_pack("{s:s, s:s?, s:s}",
				"from", config_path, "to", final, "where", "paths.configPath"));
			free(final);
		}
	}
	free(src);
	free(dst);
	return rc;
}

static int
layout_agent_roots(struct stage *s, const char *state_dir)
{
	json_t *roots = json_object_get(json_object_get(s->manifest, "paths"), "agentRoots");
	json_t *r;
	size_t i;

	json_array_foreach(roots, i, r) {
		const char *id = json_string_value(json_object_get(r, "agentId"));
		const char *sp = json_string_value(json_object_get(r, "sourcePath"));
		char *src, *staged, *final, *where;
		int rc = 0;

		if (under(sp, state_dir) >= 0)
			continue; /* comes along with the state dir */
		src = payload_path(s, sp);
		staged = ck_strdup_printf("%s/agents/%s/agent", s->state, id);
		final = ck_strdup_printf("%s/agents/%s/agent", s->final_state, id);
		where = ck_strdup_printf("paths.agentRoots[%zu]", i);
		if (src == NULL || staged == NULL || final == NULL || where == NULL)
			rc = -1;
		else if (is_dir(src) && !is_dir(staged))
			rc = move(s, src, staged);
		if (rc == 0)
			rc = add_map(s, sp, staged, final, where, 0);
		free(src);
		free(staged);
		free(final);
		free(where);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
asset_consumed(struct stage *s, const char *sp)
{
	json_t *paths = json_object_get(s->manifest, "paths");
	const char *cp = json_string_value(json_object_get(paths, "configPath"));
	size_t i;

	if (cp != NULL && strcmp(cp, sp) == 0)
		return 1;
	for (i = 0; i < s->n_maps; i++)
		if (s->maps[i].old != NULL && under(sp, s->maps[i].old) >= 0)
			return 1;
	return 0;
}

static int
layout_backup(struct stage *s)
{
	json_t *paths = json_object_get(s->manifest, "paths");
	const char *state_dir = json_string_value(json_object_get(paths, "stateDir"));
	const char *cp = json_string_value(json_object_get(paths, "configPath"));
	json_t *ws = json_object_get(paths, "workspaceDirs");
	json_t *v, *a;
	char *src = payload_path(s, state_dir);
	size_t i;
	int rc;

	if (src == NULL)
		return -1;
	rc = is_dir(src) ? move(s, src, s->state) : (mkdir(s->state, 0700) < 0 ? -1 : 0);
	free(src);
	if (rc < 0) {
		if (s->err->msg[0] == '\0')
			ck_error_set(s->err, "%s: %s", s->state, strerror(errno));
		return -1;
	}
	if (add_map(s, state_dir, s->state, s->final_state, "paths.stateDir", 1) < 0)
		return -1;
	if (cp != NULL && layout_config(s, state_dir, cp) < 0)
		return -1;
	json_array_foreach(ws, i, v) {
		const char *w = json_string_value(v);
		int n = under(w, state_dir);
		char *wsrc = n >= 0 ? ck_strdup_printf("%s%s", s->state, w + n)
				    : payload_path(s, w);
		char *where = ck_strdup_printf("paths.workspaceDirs[%zu]", i);

		rc = wsrc != NULL && where != NULL ? stage_workspace(s, w, wsrc, where) : -1;
		free(wsrc);
		free(where);
		if (rc < 0)
			return -1;
	}
	if (layout_agent_roots(s, state_dir) < 0)
		return -1;
	json_array_foreach(json_object_get(s->manifest, "assets"), i, a) {
		const char *sp = json_string_value(json_object_get(a, "sourcePath"));

		if (!asset_consumed(s, sp))
			ck_finding_add(s->warnings, "IMPORT_ASSET_NOT_IMPORTED", CK_SEV_WARNING,
				       "archive", NULL, "asset %.40s at %.300s is outside the "
				       "state dir and workspaces and was not imported",
				       json_string_value(json_object_get(a, "kind")), sp);
	}
	return 0;
}

/* ---- remapping ---- */

/* Length of the ".../.openclaw" (or ".openclaw-<profile>") prefix of a path
 * from a state-dir tarball, or -1. */
static int
statedir_prefix(const char *v)
{
	const char *p = v;

	while ((p = strstr(p, ".openclaw")) != NULL) {
		const char *e = p + strlen(".openclaw");

		if ((p == v || p[-1] == '/') && (v[0] == '/' || v[0] == '~')) {
			if (*e == '-')
				e += strcspn(e, "/");
			if (*e == '\0' || *e == '/')
				return (int)(e - v);
		}
		p = e;
	}
	return -1;
}

/* "~/.openclaw/x" matches an old dir "/home/u/.openclaw" (OpenClaw 5.28 and
 * 6.1 write the workspace as ~/.openclaw/workspace): compare from the
 * ".openclaw" component on. */
static int
tilde_match(const char *v, const char *old)
{
	int so = statedir_prefix(old), sv;
	const char *comp;

	if (v[0] != '~' || v[1] != '/' || so < 0)
		return -1;
	comp = strstr(old, "/.openclaw");
	if (comp == NULL)
		return -1;
	comp++;
	sv = under(v + 2, comp);
	return sv < 0 ? -1 : sv + 2;
}

static const struct dirmap *
find_map(struct stage *s, const char *v, int *matched)
{
	const struct dirmap *best = NULL;
	size_t i;
	int best_spec = -1;

	for (i = 0; i < s->n_maps; i++) {
		const struct dirmap *m = &s->maps[i];
		int n, spec;

		if (m->rel != NULL) {
			int n0 = statedir_prefix(v);

			n = n0 >= 0 && under(v + n0, m->rel) >= 0
			    ? n0 + (int)strlen(m->rel) : -1;
			spec = 100000 + (int)strlen(m->rel);
		} else if (m->old == NULL) {
			n = statedir_prefix(v);
			spec = 0;
		} else {
			n = under(v, m->old);
			if (n < 0 && v[0] == '~')
				n = tilde_match(v, m->old);
			spec = (int)strlen(m->old);
		}
		if (n < 0)
			continue;
		/* The most specific dir wins (a workspace inside the state
		 * dir); on a tie, the one that is not the state dir. */
		if (spec > best_spec || (spec == best_spec && !m->is_state)) {
			best = m;
			best_spec = spec;
			*matched = n;
		}
	}
	return best;
}

static char *
remapped(struct stage *s, const char *v, int staged, const struct dirmap **used)
{
	int n = 0;
	const struct dirmap *m = find_map(s, v, &n);

	*used = m;
	if (m == NULL)
		return NULL;
	return ck_strdup_printf("%s%s", staged ? m->staged : m->final, v + n);
}

/* Rewrites one string field; reports the remap (final) or, for an absolute
 * path outside every imported dir, a warning. */
static void
remap_field(struct stage *s, json_t *final_obj, json_t *staged_obj, const char *key,
	    const char *where, int state_only)
{
	const char *v = json_string_value(json_object_get(final_obj, key));
	const struct dirmap *m;
	char *to, *to_staged;

	if (v == NULL || (v[0] != '/' && v[0] != '~'))
		return;
	to = remapped(s, v, 0, &m);
	if (to == NULL && !state_only) {
		/* A workspace or agentDir outside everything imported could
		 * name another instance on the host, which the agent would then
		 * read as this one's: dropped, OpenClaw's default inside the
		 * instance applies. */
		ck_finding_add(s->warnings, "IMPORT_PATH_NOT_REMAPPED", CK_SEV_WARNING,
			       where, "set it again once hosted if the default does not fit",
			       "%.300s points outside the imported state dir and "
			       "workspaces; dropped, the instance's default is used", v);
		json_object_del(final_obj, key);
		json_object_del(staged_obj, key);
		return;
	}
	if (to == NULL || (state_only && !m->is_state)) {
		free(to);
		ck_finding_add(s->warnings, "IMPORT_PATH_NOT_REMAPPED", CK_SEV_WARNING,
			       where, "the host sets this path when it regenerates the config",
			       "%.300s points outside the imported state dir and "
			       "workspaces; it will not exist on the host", v);
		return;
	}
	to_staged = remapped(s, v, 1, &m);
	json_array_append_new(s->remaps, json_pack("{s:s, s:s?, s:s}", "from", v,
						   "to", to, "where", where));
	json_object_set_new(staged_obj, key, json_string(to_staged));
	json_object_set_new(final_obj, key, json_string(to));
	free(to);
	free(to_staged);
}

static void
remap_agent(struct stage *s, json_t *fin, json_t *stg, const char *label)
{
	char where[256];

	snprintf(where, sizeof(where), "openclaw.json:%.200s.workspace", label);
	remap_field(s, fin, stg, "workspace", where, 0);
	snprintf(where, sizeof(where), "openclaw.json:%.200s.agentDir", label);
	remap_field(s, fin, stg, "agentDir", where, 0);
}

static void
remap_config(struct stage *s, json_t *fin, json_t *stg)
{
	json_t *fa = json_object_get(fin, "agents");
	json_t *sa = json_object_get(stg, "agents");
	json_t *fl, *sl, *fe, *v;
	const char *id;
	char label[256];
	size_t i;

	remap_agent(s, json_object_get(fa, "defaults"), json_object_get(sa, "defaults"),
		    "agents.defaults");
	fl = json_object_get(fa, "list");
	sl = json_object_get(sa, "list");
	json_array_foreach(fl, i, v) {
		snprintf(label, sizeof(label), "agents.list[%zu]", i);
		remap_agent(s, v, json_array_get(sl, i), label);
	}
	fe = json_object_get(fa, "entries");
	json_object_foreach(fe, id, v) {
		snprintf(label, sizeof(label), "agents.entries.%.200s", id);
		remap_agent(s, v, json_object_get(json_object_get(sa, "entries"), id), label);
	}
	remap_field(s, json_object_get(fin, "logging"), json_object_get(stg, "logging"),
		    "file", "openclaw.json:logging.file", 1);
	/* A cron store outside the imported dirs could be another
	 * instance's job file, which the gateway would then write. */
	remap_field(s, json_object_get(fin, "cron"), json_object_get(stg, "cron"),
		    "store", "openclaw.json:cron.store", 0);
}

static char *
rekey_cb(const char *key, void *ud)
{
	const struct dirmap *m;

	return remapped(ud, key, 0, &m);
}

/* 2026.6.1+ keep cron jobs as rows keyed by the source's store path, and
 * a release loads only the rows of its own: moved to the host's paths,
 * or the imported jobs would never run. */
static int
rekey_cron(struct stage *s)
{
	json_t *moved = json_array(), *mv;
	size_t i;
	int rc;

	rc = moved ? ck_cron_rekey(s->state, rekey_cb, s, moved, s->err) : -1;
	json_array_foreach(rc == 0 ? moved : NULL, i, mv) {
		char where[96];

		snprintf(where, sizeof(where), "state/openclaw.sqlite:cron_jobs.store_key "
			 "(%lld job(s))", (long long)json_integer_value(json_object_get(mv, "rows")));
		json_array_append_new(s->remaps, json_pack("{s:O, s:O, s:s}", "from",
			json_object_get(mv, "from"), "to", json_object_get(mv, "to"),
			"where", where));
	}
	json_decref(moved);
	return rc;
}

/* Length of the old state dir's prefix in w, or -1. */
static int
state_prefix(struct stage *s, const char *w)
{
	const char *old;
	int n;

	if (s->fmt == FMT_STATEDIR)
		return statedir_prefix(w);
	old = json_string_value(json_object_get(json_object_get(s->manifest, "paths"),
						"stateDir"));
	n = under(w, old);
	return n < 0 && w[0] == '~' ? tilde_match(w, old) : n;
}

/* The workspaces the config names that no manifest entry covered (all of
 * them for a state-dir tarball, which has no manifest): those inside the
 * old state dir are moved out to workspace[-N] too. */
static int
config_workspaces(struct stage *s)
{
	json_t *agents = json_object_get(s->config, "agents");
	json_t *list = json_array();
	json_t *v;
	const char *id;
	size_t i;
	int rc = 0;

	json_array_append(list, json_object_get(json_object_get(agents, "defaults"),
						 "workspace"));
	json_array_foreach(json_object_get(agents, "list"), i, v)
		json_array_append(list, json_object_get(v, "workspace"));
	json_object_foreach(json_object_get(agents, "entries"), id, v)
		json_array_append(list, json_object_get(v, "workspace"));
	json_array_foreach(list, i, v) {
		const char *w = json_string_value(v);
		int dummy, n;
		char *src, *where;
		const struct dirmap *m;

		if (w == NULL || (w[0] != '/' && w[0] != '~'))
			continue;
		m = find_map(s, w, &dummy);
		if (m != NULL && !m->is_state)
			continue; /* seen already, maybe spelled ~/.openclaw/... */
		n = state_prefix(s, w);
		if (n >= 0 && w[n] == '\0')
			continue; /* the state dir itself as a workspace: left in place */
		src = n >= 0 ? ck_strdup_printf("%s%s", s->state, w + n) : NULL;
		where = ck_strdup_printf("workspace %zu", s->n_workspaces + 1);
		rc = stage_workspace(s, w, src, where);
		if (rc == 0 && n >= 0 && s->fmt == FMT_STATEDIR)
			s->maps[s->n_maps - 1].rel = strdup(w + n);
		free(src);
		free(where);
		if (rc < 0)
			break;
	}
	json_decref(list);
	return rc;
}

static int
load_config(struct stage *s)
{
	char *path = ck_path_join(s->state, "openclaw.json");

	if (path == NULL)
		return -1;
	if (!is_reg(path)) {
		ck_error_set(s->err, "%s: the archive has no openclaw.json in its state "
			     "dir", s->archive);
		free(path);
		return -1;
	}
	s->config = ck_json5_load_file(path, s->err);
	free(path);
	if (s->config == NULL || !json_is_object(s->config)) {
		if (s->config != NULL)
			ck_error_set(s->err, "openclaw.json: not a JSON object");
		ck_error_prefix(s->err, "%s: ", s->archive);
		return -1;
	}
	return 0;
}

static int
write_config(struct stage *s, json_t *config)
{
	char *path = ck_path_join(s->state, "openclaw.json");
	char *text = json_dumps(config, JSON_INDENT(2));
	int rc = -1;

	if (path != NULL && text != NULL) {
		size_t len = strlen(text);

		text[len] = '\n';
		rc = ck_file_write_atomic(path, text, len + 1, 0600, s->err);
		text[len] = '\0';
	}
	free(path);
	free(text);
	return rc;
}

/* ---- permissions ---- */

static int
private_name(const char *name)
{
	static const char *const files[] = {
		"auth-profiles.json", "auth-state.json", "openclaw.sqlite",
		"openclaw-agent.sqlite", "openclaw.json", NULL,
	};
	size_t i;

	for (i = 0; files[i] != NULL; i++)
		if (strcmp(name, files[i]) == 0 ||
		    (strncmp(name, files[i], strlen(files[i])) == 0 &&
		     (name[strlen(files[i])] == '.' || name[strlen(files[i])] == '-')))
			return 1;
	return 0;
}

/* Credentials, identity and device keys: dirs 0700, files 0600, whatever
 * modes the archive carried. Never follows a link. */
static void
tighten(int dirfd, int all, int depth)
{
	DIR *d;
	struct dirent *de;
	int fd = dup(dirfd);

	if (fd < 0 || depth > 64)
		goto done;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		goto done;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		int secret;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		secret = all || strcmp(de->d_name, "credentials") == 0 ||
			 strcmp(de->d_name, "identity") == 0 ||
			 strcmp(de->d_name, "devices") == 0;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (secret)
				(void)fchmodat(dirfd, de->d_name, 0700, 0);
			if (sub >= 0) {
				tighten(sub, secret, depth + 1);
				close(sub);
			}
		} else if (S_ISREG(st.st_mode) && (secret || private_name(de->d_name))) {
			(void)fchmodat(dirfd, de->d_name, 0600, 0);
			/* the dir of a credential store is private too */
			if (!all && strcmp(de->d_name, "openclaw.json") != 0 &&
			    strncmp(de->d_name, "openclaw.json.", 14) != 0)
				(void)fchmod(dirfd, 0700);
		}
	}
	closedir(d);
done:
	return;
}

static void
fix_modes(struct stage *s)
{
	int fd = open(s->state, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)fchmod(fd, 0700);
	tighten(fd, 0, 0);
	close(fd);
}

/* ---- report ---- */

static json_t *
channels_report(json_t *config)
{
	json_t *out = json_array();
	json_t *ch, *acc, *v;
	const char *name, *id;

	json_object_foreach(json_object_get(config, "channels"), name, ch) {
		json_t *ids = json_array();
		json_t *enabled = json_object_get(ch, "enabled");

		/* Not channels: shared defaults and per-channel model pins. */
		if (!json_is_object(ch) || strcmp(name, "defaults") == 0 ||
		    strcmp(name, "modelByChannel") == 0) {
			json_decref(ids);
			continue;
		}
		acc = json_object_get(ch, "accounts");
		if (json_is_object(acc)) {
			json_object_foreach(acc, id, v)
				json_array_append_new(ids, json_string(id));
		} else if (json_is_array(acc)) {
			size_t i;

			json_array_foreach(acc, i, v) {
				const char *aid = json_string_value(json_object_get(v, "id"));

				if (aid != NULL)
					json_array_append_new(ids, json_string(aid));
			}
		}
		/* Single-account shape: top-level settings are the "default"
		 * account (what `channels add` migrates to accounts.default). */
		if (json_array_size(ids) == 0)
			json_array_append_new(ids, json_string("default"));
		json_array_append_new(out, json_pack("{s:s, s:b, s:o}", "name", name,
			"enabled", !json_is_false(enabled), "accounts", ids));
	}
	return out;
}

/* baseUrl without userinfo, query or fragment: those can carry keys. */
static json_t *
safe_url(const char *url)
{
	const char *p = strstr(url, "://");
	const char *host = p != NULL ? p + 3 : url;
	const char *end = host + strcspn(host, "/?#");
	const char *at = memchr(host, '@', (size_t)(end - host));
	size_t path = strcspn(end, "?#");
	char *s;
	json_t *j;

	if (at != NULL)
		host = at + 1;
	s = ck_strdup_printf("%.*s%.*s%.*s", p != NULL ? (int)(p - url + 3) : 0, url,
			     (int)(end - host), host, (int)path, end);
	j = json_string(s != NULL ? s : "");
	free(s);
	return j;
}

static void
providers_report(struct stage *s, json_t *config, json_t *creds, json_t *out)
{
	json_t *prov = json_object_get(json_object_get(config, "models"), "providers");
	json_t *p, *e;
	const char *name;
	size_t i;

	json_object_foreach(prov, name, p) {
		const char *url = json_string_value(json_object_get(p, "baseUrl"));
		json_t *api = json_object_get(p, "api");

		json_array_append_new(out, json_pack("{s:s, s:o, s:O?, s:s}", "name", name,
			"base_url", url != NULL ? safe_url(url) : json_null(),
			"api", api, "status", ck_credentials_provider_status(creds, name)));
		if (url != NULL && ck_backup_url_is_private(url)) {
			char surface[160];
			json_t *u = safe_url(url);

			snprintf(surface, sizeof(surface), "provider:%.140s", name);
			ck_finding_add(s->warnings, "IMPORT_PROVIDER_PRIVATE_URL",
				       CK_SEV_WARNING, surface,
				       "point the provider at an address the host can reach",
				       "models.providers.%.100s.baseUrl %.200s is a loopback or "
				       "private address: once hosted it reaches the host, not "
				       "your machine", name, json_string_value(u));
			json_decref(u);
		}
	}
	/* Providers that only have auth profiles. */
	json_array_foreach(creds, i, e) {
		const char *pn = json_string_value(json_object_get(e, "provider"));
		json_t *x;
		size_t j;
		int seen = 0;

		if (pn == NULL)
			continue;
		json_array_foreach(out, j, x)
			if (strcmp(json_string_value(json_object_get(x, "name")), pn) == 0)
				seen = 1;
		if (!seen)
			json_array_append_new(out, json_pack("{s:s, s:n, s:n, s:s}", "name", pn,
				"base_url", "api", "status",
				ck_credentials_provider_status(creds, pn)));
	}
}

static void
gateway_warnings(struct stage *s, json_t *config)
{
	static const char *const keys[] = { "bind", "port", "auth", "tls",
					    "tailscale", "remote", NULL };
	json_t *gw = json_object_get(config, "gateway");
	size_t i;

	for (i = 0; keys[i] != NULL; i++) {
		json_t *v = json_object_get(gw, keys[i]);
		char shown[128];
		char surface[64];

		if (v == NULL)
			continue;
		/* Values only for scalars that are not secrets; auth shows its
		 * mode, never a token or password. */
		if (json_is_integer(v))
			snprintf(shown, sizeof(shown), "%lld", (long long)json_integer_value(v));
		else if (json_is_string(v) && strcmp(keys[i], "auth") != 0)
			snprintf(shown, sizeof(shown), "%.100s", json_string_value(v));
		else if (strcmp(keys[i], "auth") == 0 &&
			 json_is_string(json_object_get(v, "mode")))
			snprintf(shown, sizeof(shown), "mode %.60s",
				 json_string_value(json_object_get(v, "mode")));
		else
			snprintf(shown, sizeof(shown), "set");
		snprintf(surface, sizeof(surface), "gateway.%s", keys[i]);
		ck_finding_add(s->warnings, "IMPORT_GATEWAY_SETTING_REPLACED", CK_SEV_INFO,
			       surface, NULL, "gateway.%s (%s) is replaced by the host's "
			       "gateway settings", keys[i], shown);
	}
}

static int
chain_cb(const struct ck_chain *c, void *ud)
{
	json_t *out = ud;

	json_array_append_new(out, json_pack("{s:s, s:s?, s:O?}", "surface", c->surface,
		"primary", c->primary, "fallbacks", c->fallbacks));
	return 0;
}

static json_t *
load_cron(struct stage *s)
{
	char *path = ck_strdup_printf("%s/cron/jobs.json", s->state);
	struct ck_error ignored;
	json_t *jobs = NULL;

	if (path != NULL && is_reg(path))
		jobs = ck_json5_load_file(path, &ignored);
	free(path);
	return jobs;
}

static json_t *
inspect(struct stage *s, json_t *staged_config)
{
	struct ck_instance_opts io = { 0 };
	struct ck_instance inst;
	struct ck_error ierr;
	json_t *findings = json_array();
	json_t *creds, *agents = json_array(), *providers = json_array();
	json_t *chains = json_array(), *cron, *f, *rep;
	char *nolog = ck_path_join(s->state, "logs/.none");
	long long now = s->opts->now_ms ? s->opts->now_ms : (long long)time(NULL) * 1000;
	size_t i;

	io.state_dir = s->state;
	io.log_file = nolog;
	if (ck_instance_open(&io, &inst, &ierr) < 0) {
		ck_error_set(s->err, "%s: staged instance: %s", s->archive, ierr.msg);
		free(nolog);
		json_decref(findings);
		return NULL;
	}
	/* Health reads the staged copy: agentDir etc. point into staging. */
	json_decref(inst.config);
	inst.config = json_incref(staged_config);
	ck_config_health(&inst, NULL, findings);
	creds = ck_credentials_health(&inst, now, findings);
	for (i = 0; i < inst.n_agents; i++)
		json_array_append_new(agents, json_string(inst.agent_ids[i]));
	cron = load_cron(s);
	ck_chains_each(staged_config, cron, chain_cb, chains);
	json_decref(cron);
	providers_report(s, staged_config, creds, providers);
	gateway_warnings(s, staged_config);
	json_array_foreach(findings, i, f)
		if (strcmp(json_string_value(json_object_get(f, "code")),
			   "FALLBACK_UNRESOLVED") == 0)
			json_array_append(s->warnings, f);
	rep = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "agents", agents,
			"channels", channels_report(staged_config), "providers", providers,
			"credentials", creds != NULL ? creds : json_array(), "chains", chains,
			"health", findings);
	ck_instance_close(&inst);
	free(nolog);
	return rep;
}

static json_t *
build_report(struct stage *s, json_t *staged_config)
{
	json_t *rep = inspect(s, staged_config);
	json_t *m = s->manifest;
	json_t *opts = json_object_get(m, "options");
	json_t *meta = json_object_get(s->config, "meta");
	const char *rv = json_string_value(json_object_get(m, "runtimeVersion"));

	if (rep == NULL)
		return NULL;
	if (rv == NULL)
		rv = json_string_value(json_object_get(meta, "lastTouchedVersion"));
	json_object_set_new(rep, "format", json_string(s->fmt == FMT_BACKUP ?
				"openclaw-backup" : "state-dir"));
	json_object_set_new(rep, "runtime_version", rv ? json_string(rv) : json_null());
	json_object_set(rep, "created_at", json_object_get(m, "createdAt") ?
			json_object_get(m, "createdAt") : json_null());
	json_object_set_new(rep, "archive_root", s->root ? json_string(s->root) : json_null());
	json_object_set_new(rep, "only_config",
			    json_boolean(json_is_true(json_object_get(opts, "onlyConfig"))));
	json_object_set(rep, "include_workspace",
			json_object_get(opts, "includeWorkspace") ?
			json_object_get(opts, "includeWorkspace") : json_null());
	json_object_set_new(rep, "staging", json_pack("{s:s, s:s, s:O}", "dir", s->staging,
				"state_dir", s->state, "workspaces", s->workspaces));
	json_object_set(rep, "remaps", s->remaps);
	json_object_set(rep, "warnings", s->warnings);
	json_object_set_new(rep, "stats", json_pack("{s:I, s:I, s:I, s:I}",
		"entries", (json_int_t)s->stats.entries, "files", (json_int_t)s->stats.files,
		"bytes", (json_int_t)s->stats.bytes,
		"compressed_bytes", (json_int_t)s->stats.compressed_bytes));
	return rep;
}

/* ---- links in the installed tree ---- */

/* The archive entry a staged path came from: the most specific staged dir
 * it lies in, mapped back to where that dir sits in the archive. */
static char *
entry_name(struct stage *s, const char *staged)
{
	const struct dirmap *best = NULL;
	int best_n = -1;
	size_t i;

	for (i = 0; i < s->n_maps; i++) {
		int n = under(staged, s->maps[i].staged);

		if (n > best_n) {
			best = &s->maps[i];
			best_n = n;
		}
	}
	if (best == NULL)
		return strdup(staged);
	if (s->fmt == FMT_BACKUP)
		return ck_strdup_printf("%s/payload/posix%s%s", s->root, best->old,
					staged + best_n);
	return ck_strdup_printf(".openclaw%s%s", best->rel ? best->rel : "",
				staged + best_n);
}

static int
refuse_escape(struct stage *s, const char *dir, const struct ck_confine_escape *esc)
{
	char *staged = ck_path_join(dir, esc->path);
	char *entry = staged != NULL ? entry_name(s, staged) : NULL;

	if (esc->target[0] != '\0')
		ck_error_set(s->err, "%s: entry '%.300s': %s (it points to '%.200s'); "
			     "refused", s->archive, entry ? entry : esc->path, esc->why,
			     esc->target);
	else
		ck_error_set(s->err, "%s: entry '%.300s': %s; refused", s->archive,
			     entry ? entry : esc->path, esc->why);
	free(staged);
	free(entry);
	return -1;
}

/* The extractor only knows the archive root; what is installed is the
 * state subtree (and the workspaces, which land inside the state dir), so
 * each link is judged from where it will sit. Hard links are refused when
 * their other name is not installed with them. Run before .raw goes: an
 * inode shared with a file there still shows in its link count. */
static int
check_staged_links(struct stage *s)
{
	struct ck_confine_escape esc;
	json_t *w;
	size_t i;
	int rc;

	rc = ck_confine_check(s->state, "", CK_CONFINE_RESOLVE | CK_CONFINE_HARDLINKS,
			      &esc, s->err);
	if (rc == 1)
		return refuse_escape(s, s->state, &esc);
	if (rc < 0)
		return -1;
	json_array_foreach(s->workspaces, i, w) {
		const char *dir = json_string_value(w);
		const char *base = strrchr(dir, '/');

		rc = ck_confine_check(dir, base ? base + 1 : dir, CK_CONFINE_HARDLINKS,
				      &esc, s->err);
		if (rc == 1)
			return refuse_escape(s, dir, &esc);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- driver ---- */

static int
stage_paths(struct stage *s, const struct ck_backup_opts *opts)
{
	s->staging = strdup(opts->staging_dir);
	s->raw = ck_path_join(opts->staging_dir, ".raw");
	s->state = ck_path_join(opts->staging_dir, "state");
	s->final_state = strdup(opts->new_state_dir ? opts->new_state_dir : s->state);
	s->final_ws = opts->new_workspace_dir ? strdup(opts->new_workspace_dir)
					      : ck_path_join(opts->staging_dir, "workspace");
	s->remaps = json_array();
	s->warnings = json_array();
	s->workspaces = json_array();
	if (s->staging == NULL || s->raw == NULL || s->state == NULL ||
	    s->final_state == NULL || s->final_ws == NULL || s->remaps == NULL) {
		ck_error_set(s->err, "out of memory");
		return -1;
	}
	return 0;
}

static void
stage_free(struct stage *s)
{
	size_t i;

	for (i = 0; i < s->n_maps; i++) {
		free(s->maps[i].old);
		free(s->maps[i].staged);
		free(s->maps[i].final);
		free(s->maps[i].where);
		free(s->maps[i].rel);
	}
	free(s->staging);
	free(s->raw);
	free(s->state);
	free(s->final_state);
	free(s->final_ws);
	free(s->root);
	json_decref(s->manifest);
	json_decref(s->config);
	json_decref(s->remaps);
	json_decref(s->warnings);
	json_decref(s->workspaces);
}

static void
report_dir_maps(struct stage *s)
{
	size_t i;
	json_t *dirs = json_array();

	for (i = 0; i < s->n_maps; i++)
		json_array_append_new(dirs, json_pack("{s:s?, s:s, s:s}", "from",
			s->maps[i].old ? s->maps[i].old : ".openclaw/ (archive top)",
			"to", s->maps[i].final, "where", s->maps[i].where));
	/* Directory remaps first, then the config values they caused. */
	json_array_extend(dirs, s->remaps);
	json_decref(s->remaps);
	s->remaps = dirs;
}

static int
stage_run(struct stage *s, json_t **report)
{
	struct ck_archive_src src = { .path = s->archive };
	json_t *staged_config;

	if (ck_archive_extract(&src, s->raw, s->opts->limits, &s->stats, s->err) < 0)
		return -1;
	if (detect(s) < 0)
		return -1;
	if (s->fmt == FMT_BACKUP) {
		if (read_manifest(s) < 0 || layout_backup(s) < 0)
			return -1;
	} else {
		char *top = ck_path_join(s->raw, ".openclaw");
		int rc = top != NULL ? move(s, top, s->state) : -1;

		free(top);
		if (rc < 0 || add_map(s, NULL, s->state, s->final_state, ".openclaw",
				      1) < 0)
			return -1;
	}
	if (load_config(s) < 0)
		return -1;
	if (config_workspaces(s) < 0)
		return -1;
	if (check_staged_links(s) < 0)
		return -1;
	staged_config = json_deep_copy(s->config);
	remap_config(s, s->config, staged_config);
	if (rekey_cron(s) < 0) {
		json_decref(staged_config);
		return -1;
	}
	report_dir_maps(s);
	if (write_config(s, s->config) < 0) {
		json_decref(staged_config);
		return -1;
	}
	fix_modes(s);
	if (ck_rm_rf(s->raw, s->err) < 0) {
		json_decref(staged_config);
		return -1;
	}
	*report = build_report(s, staged_config);
	json_decref(staged_config);
	return *report != NULL ? 0 : -1;
}

int
ck_backup_stage(const char *archive_path, const struct ck_backup_opts *opts,
		json_t **report, struct ck_error *err)
{
	struct stage s;
	struct ck_error ignored;
	int rc = -1;

	*report = NULL;
	memset(&s, 0, sizeof(s));
	s.opts = opts;
	s.archive = archive_path;
	s.err = err;
	ck_error_clear(err);
	if (opts == NULL || opts->staging_dir == NULL || opts->staging_dir[0] != '/') {
		ck_error_set(err, "import: the staging dir must be an absolute path");
		return -1;
	}
	if (mkdir(opts->staging_dir, 0700) < 0) {
		ck_error_set(err, "%s: cannot create the staging dir: %s",
			     opts->staging_dir, strerror(errno));
		return -1;
	}
	if (stage_paths(&s, opts) == 0)
		rc = stage_run(&s, report);
	if (rc < 0)
		(void)ck_rm_rf(opts->staging_dir, &ignored);
	stage_free(&s);
	return rc;
}
