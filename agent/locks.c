/* Stale lock detection: session locks OpenClaw 2026.5.28/6.1 leave in
 * agents/<id>/sessions/ and the gateway locks 2026.9.6 keeps under
 * tmp/openclaw-<uid>/. Judges each by pid liveness, pid reuse and age,
 * and removes only stale session locks (see locks.h for the rules). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/locks.h"
#include "clawkeeper/log.h"

#define LOCK_MAX_BYTES (64 * 1024)

enum lock_kind { LOCK_SESSION, LOCK_GATEWAY };

struct lock_file {
	char *path;
	char *agent;            /* session locks: the agents/<id> it sits in */
	enum lock_kind kind;
};

struct lock_list {
	struct lock_file *v;
	size_t n, cap;
	const char *root;       /* the state dir: nothing is read outside it */
};

struct verdict {
	int stale;
	char why[256];
};

/* ---- parsing ---------------------------------------------------------- */

/* "2026-11-23T21:13:38.073Z" (or an offset) to epoch ms; all of it. */
static int
parse_iso_ms(const char *s, long long *out)
{
	size_t len = strlen(s);

	return len > 0 && ck_clock_parse_iso(s, len, out) == len ? 0 : -1;
}

static long long
int_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static int
fill_info(json_t *doc, struct ck_lock_info *info, struct ck_error *err)
{
	json_t *pid, *created;

	pid = json_object_get(doc, "pid");
	/* kill(0 or -n) would signal whole process groups: never let one
	 * through. */
	if (!json_is_integer(pid) || json_integer_value(pid) <= 0 ||
	    json_integer_value(pid) > INT_MAX) {
		ck_error_set(err, "\"pid\" is missing or not a positive integer");
		return -1;
	}
	info->pid = (long long)json_integer_value(pid);
	info->max_hold_ms = int_field(doc, "maxHoldMs");
	info->starttime = int_field(doc, "starttime");
	if (info->starttime < 0)
		info->starttime = int_field(doc, "startTime");
	info->created_at_ms = -1;
	created = json_object_get(doc, "createdAt");
	if (json_is_string(created)) {
		if (parse_iso_ms(json_string_value(created), &info->created_at_ms) < 0) {
			ck_error_set(err, "\"createdAt\" is not an ISO 8601 time");
			return -1;
		}
	} else if (json_is_integer(created)) {
		info->created_at_ms = (long long)json_integer_value(created);
	} else if (created != NULL) {
		ck_error_set(err, "\"createdAt\" is neither a time string nor epoch ms");
		return -1;
	}
	return 0;
}

int
ck_lock_parse(const char *buf, size_t len, struct ck_lock_info *info,
	      struct ck_error *err)
{
	json_error_t jerr;
	json_t *doc;
	size_t i;
	int rc;

	memset(info, 0, sizeof(*info));
	if (len == 0) {
		ck_error_set(err, "empty file (a lock being rewritten, or truncated)");
		return -1;
	}
	/* 2026.9.6 pads its gateway locks with tabs and spaces after the
	 * object, so parse one value and then insist the rest is padding. */
	doc = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES,
			 &jerr);
	if (doc == NULL) {
		ck_error_set(err, "line %d, column %d: %s", jerr.line, jerr.column,
			     jerr.text);
		return -1;
	}
	for (i = (size_t)jerr.position; i < len; i++) {
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' &&
		    buf[i] != '\r' && buf[i] != '\0') {
			ck_error_set(err, "byte %zu: unexpected data after the lock object",
				     i);
			json_decref(doc);
			return -1;
		}
	}
	if (!json_is_object(doc)) {
		ck_error_set(err, "expected a JSON object");
		json_decref(doc);
		return -1;
	}
	rc = fill_info(doc, info, err);
	json_decref(doc);
	return rc;
}

long long
ck_lock_proc_starttime(long long pid)
{
	char path[64], buf[4096];
	const char *p;
	long long v;
	ssize_t n;
	int fd, field;
	char *end;

	snprintf(path, sizeof(path), "/proc/%lld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* comm (field 2) is in parentheses and may itself hold spaces and
	 * ')', so fields are counted from the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (field = 2; field < 22; field++) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return -1;
		if (field == 21)
			break;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	errno = 0;
	v = strtoll(p, &end, 10);
	if (errno != 0 || end == p || (*end != ' ' && *end != '\0' && *end != '\n'))
		return -1;
	return v;
}

int
ck_lock_hold(const char *path, struct ck_error *err)
{
	char buf[64] = "";
	ssize_t n;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		ck_error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, " \n")] = '\0';
		close(fd);
		if (e == EWOULDBLOCK)
			ck_error_set(err, "another clawkeeper agent (pid %s) holds %s: one agent "
				     "per instance", buf[0] ? buf : "unknown", path);
		else
			ck_error_set(err, "%s: flock: %s", path, strerror(e));
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld %lld\n", (long)getpid(),
		     ck_lock_proc_starttime((long long)getpid()));
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		ck_log_warn("%s: recording the agent's pid: %s", path, strerror(errno));
	return fd;
}

/* ---- judging ---------------------------------------------------------- */

static long long
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
age_limit(const struct ck_lock_info *li, long long max_age_ms, const char **src)
{
	if (max_age_ms > 0) {
		*src = "--lock-max-age";
		return max_age_ms;
	}
	if (li->max_hold_ms > 0) {
		*src = "the lock's maxHoldMs";
		return li->max_hold_ms;
	}
	*src = "the default";
	return CK_LOCK_DEFAULT_MAX_AGE_MS;
}

static void
judge(const struct ck_lock_info *li, enum lock_kind kind, long long now_ms,
      long long max_age_ms, struct verdict *v)
{
	long long cur, limit;
	const char *src;

	v->stale = 1;
	if (kill((pid_t)li->pid, 0) < 0 && errno == ESRCH) {
		snprintf(v->why, sizeof(v->why), "pid %lld is not running", li->pid);
		return;
	}
	if (li->starttime >= 0 && (cur = ck_lock_proc_starttime(li->pid)) >= 0 &&
	    cur != li->starttime) {
		snprintf(v->why, sizeof(v->why), "pid %lld now belongs to another "
			 "process (starttime %lld in the lock, %lld in /proc)",
			 li->pid, li->starttime, cur);
		return;
	}
	if (kind == LOCK_SESSION && li->created_at_ms >= 0) {
		limit = age_limit(li, max_age_ms, &src);
		if (now_ms - li->created_at_ms > limit) {
			snprintf(v->why, sizeof(v->why), "held for %llds, longer than "
				 "%llds (%s), by live pid %lld",
				 (now_ms - li->created_at_ms) / 1000, limit / 1000, src,
				 li->pid);
			return;
		}
	}
	v->stale = 0;
	snprintf(v->why, sizeof(v->why), "held by live pid %lld", li->pid);
}

/* ---- scanning --------------------------------------------------------- */

static int
has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static int
list_add(struct lock_list *l, const char *dir, const char *name,
	 const char *agent, enum lock_kind kind)
{
	struct lock_file *grown;
	struct lock_file *f;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;

		if ((grown = realloc(l->v, cap * sizeof(*grown))) == NULL)
			return -1;
		l->v = grown;
		l->cap = cap;
	}
	f = &l->v[l->n];
	f->path = ck_path_join(dir, name);
	f->agent = agent ? strdup(agent) : NULL;
	f->kind = kind;
	if (f->path == NULL || (agent != NULL && f->agent == NULL)) {
		free(f->path);
		free(f->agent);
		return -1;
	}
	l->n++;
	return 0;
}

static void
list_free(struct lock_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].agent);
	}
	free(l->v);
}

static int
is_regular(DIR *d, const char *name)
{
	struct stat st;

	/* not followed: a symlink named like a lock is not OpenClaw's. */
	return fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode);
}

/* dir opened beneath the state dir: a sessions/ (or agents/, tmp/) that
 * is a link out of the instance is not listed. NULL when absent or out. */
static DIR *
open_dir_beneath(const struct lock_list *l, const char *dir)
{
	int fd = ck_open_beneath(l->root, dir, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (d == NULL)
		close(fd);
	return d;
}

/* Adds the files of dir that match(name), -1 on OOM. */
static int
scan_dir(struct lock_list *l, const char *dir, int (*match)(const char *),
	 const char *agent, enum lock_kind kind)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = open_dir_beneath(l, dir)) == NULL)
		return 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (match(de->d_name) && is_regular(d, de->d_name))
			rc = list_add(l, dir, de->d_name, agent, kind);
	}
	closedir(d);
	return rc;
}

static int
match_session(const char *name)
{
	return name[0] != '.' && has_suffix(name, ".jsonl.lock");
}

static int
match_gateway(const char *name)
{
	return strncmp(name, "gateway.", 8) == 0 && has_suffix(name, ".lock");
}

/* Calls per(dir_path, entry_name) for each subdirectory of dir whose
 * name passes want(). */
static int
each_subdir(const char *dir, int (*want)(const char *), struct lock_list *l,
	    int (*per)(struct lock_list *, const char *, const char *))
{
	struct dirent *de;
	struct stat st;
	char *sub;
	DIR *d;
	int rc = 0;

	if (dir == NULL || (d = open_dir_beneath(l, dir)) == NULL)
		return 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !want(de->d_name))
			continue;
		if ((sub = ck_path_join(dir, de->d_name)) == NULL) {
			rc = -1;
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			rc = per(l, sub, de->d_name);
		free(sub);
	}
	closedir(d);
	return rc;
}

static int
any_name(const char *name)
{
	(void)name;
	return 1;
}

static int
openclaw_tmp(const char *name)
{
	return strncmp(name, "openclaw-", 9) == 0;
}

static int
per_agent(struct lock_list *l, const char *agent_dir, const char *agent)
{
	char *sessions = ck_path_join(agent_dir, "sessions");
	int rc;

	if (sessions == NULL)
		return -1;
	rc = scan_dir(l, sessions, match_session, agent, LOCK_SESSION);
	free(sessions);
	return rc;
}

static int
per_tmp(struct lock_list *l, const char *tmp_dir, const char *name)
{
	(void)name;
	return scan_dir(l, tmp_dir, match_gateway, NULL, LOCK_GATEWAY);
}

static int
cmp_lock(const void *a, const void *b)
{
	return strcmp(((const struct lock_file *)a)->path,
		      ((const struct lock_file *)b)->path);
}

static int
collect(const struct ck_instance *inst, struct lock_list *l)
{
	char *agents = NULL, *tmp = NULL;
	int rc = -1;

	if (inst->state_dir == NULL)
		return 0;
	l->root = inst->state_dir;
	agents = ck_path_join(inst->state_dir, "agents");
	tmp = ck_path_join(inst->state_dir, "tmp");
	if (agents == NULL || tmp == NULL)
		goto out;
	if (each_subdir(agents, any_name, l, per_agent) < 0 ||
	    each_subdir(tmp, openclaw_tmp, l, per_tmp) < 0)
		goto out;
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(l->v[0]), cmp_lock);
	rc = 0;
out:
	free(agents);
	free(tmp);
	return rc;
}

/* ---- reporting and fixing --------------------------------------------- */

struct check_ctx {
	long long now_ms, max_age_ms;
	int fix;
	json_t *findings;
	const char *root;       /* the state dir */
};

/* unlink(path) where path must lie beneath root: the parent is opened
 * beneath it, so a directory swapped for a link since the scan cannot
 * make this remove another instance's file. */
static int
unlink_beneath(const char *root, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *parent = slash != NULL ? strndup(path, (size_t)(slash - path)) : NULL;
	int fd, rc, saved;

	if (parent == NULL) {
		errno = EINVAL;
		return -1;
	}
	fd = ck_open_beneath(root, parent, O_RDONLY | O_DIRECTORY);
	free(parent);
	if (fd < 0)
		return -1;
	rc = unlinkat(fd, slash + 1, 0);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Re-reads and re-judges the lock right before unlink: a live process
 * may have taken it over since the first look. */
static int
remove_if_still_stale(const struct lock_file *f, const char *first, size_t first_len,
		      const struct check_ctx *cc, char *why, size_t nwhy)
{
	struct ck_lock_info li;
	struct verdict v;
	struct ck_error err;
	size_t len;
	char *buf;

	if (ck_file_read_beneath(cc->root, f->path, LOCK_MAX_BYTES, &buf, &len, &err) < 0) {
		snprintf(why, nwhy, "not removed: %.200s", err.msg);
		return 0;
	}
	if (len != first_len || memcmp(buf, first, len) != 0 ||
	    ck_lock_parse(buf, len, &li, &err) < 0) {
		free(buf);
		snprintf(why, nwhy, "not removed: the lock changed since it was read");
		return 0;
	}
	free(buf);
	judge(&li, f->kind, cc->now_ms, cc->max_age_ms, &v);
	if (!v.stale) {
		snprintf(why, nwhy, "not removed: %.200s", v.why);
		return 0;
	}
	if (unlink_beneath(cc->root, f->path) < 0) {
		snprintf(why, nwhy, "not removed: unlink: %s", strerror(errno));
		return 0;
	}
	return 1;
}

static long long
mtime_ms(const char *root, const char *path)
{
	struct stat st;
	int fd = ck_open_beneath(root, path, O_PATH);
	int rc;

	if (fd < 0)
		return -1;
	rc = fstat(fd, &st);
	close(fd);
	if (rc < 0)
		return -1;
	return (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

static int
report_unparsable(const struct lock_file *f, const struct check_ctx *cc,
		  const char *why, json_t *item)
{
	long long mt = mtime_ms(cc->root, f->path);
	long long limit = cc->max_age_ms > 0 ? cc->max_age_ms : CK_LOCK_DEFAULT_MAX_AGE_MS;
	char surface[160], fix[512];

	json_object_set_new(item, "stale", json_false());
	json_object_set_new(item, "why", json_sprintf("unparsable: %s", why));
	if (f->kind != LOCK_SESSION || mt < 0 || cc->now_ms - mt <= limit)
		return 0;
	snprintf(surface, sizeof(surface), "agent:%s", f->agent);
	snprintf(fix, sizeof(fix), "stop the gateway and any `openclaw agent` run "
		 "for this state dir, then remove it by hand: `rm '%s'` (clawkeeper "
		 "never removes a lock it cannot read)", f->path);
	return ck_finding_add(cc->findings, "SESSION_LOCK_UNREADABLE", CK_SEV_WARNING,
			      surface, fix, "%s: unparsable session lock, untouched "
			      "for %llds: %s", f->path, (cc->now_ms - mt) / 1000, why);
}

static int
report_stale(const struct lock_file *f, const struct check_ctx *cc,
	     const struct verdict *v)
{
	char surface[160], fix[512];

	if (f->kind == LOCK_GATEWAY) {
		snprintf(fix, sizeof(fix), "OpenClaw takes over a dead gateway's lock "
			 "on its next start; if it does not, stop every openclaw "
			 "process for this state dir and remove `%s`", f->path);
		return ck_finding_add(cc->findings, "STALE_GATEWAY_LOCK", CK_SEV_INFO,
				      "gateway", fix, "%s: %s", f->path, v->why);
	}
	snprintf(surface, sizeof(surface), "agent:%s", f->agent);
	snprintf(fix, sizeof(fix), "`clawkeeper health --fix-locks` removes stale "
		 "session locks (each is re-checked right before removal)");
	return ck_finding_add(cc->findings, "STALE_SESSION_LOCK", CK_SEV_WARNING,
			      surface, fix, "%s: stale session lock blocks agent %s: %s",
			      f->path, f->agent, v->why);
}

static json_t *
check_one(const struct lock_file *f, const struct check_ctx *cc)
{
	struct ck_lock_info li;
	struct ck_error err;
	struct verdict v;
	json_t *item;
	size_t len;
	char *buf = NULL;
	int removed = 0;

	item = json_pack("{s:s, s:s, s:o, s:b}", "path", f->path, "kind",
			 f->kind == LOCK_SESSION ? "session" : "gateway",
			 "agent", f->agent ? json_string(f->agent) : json_null(),
			 "removed", 0);
	if (item == NULL)
		return NULL;
	if (ck_file_read_beneath(cc->root, f->path, LOCK_MAX_BYTES, &buf, &len, &err) < 0 ||
	    ck_lock_parse(buf, len, &li, &err) < 0) {
		if (report_unparsable(f, cc, err.msg, item) < 0)
			goto fail;
		free(buf);
		return item;
	}
	judge(&li, f->kind, cc->now_ms, cc->max_age_ms, &v);
	json_object_set_new(item, "pid", json_integer(li.pid));
	json_object_set_new(item, "created_at", li.created_at_ms >= 0
			    ? json_integer(li.created_at_ms) : json_null());
	json_object_set_new(item, "age_ms", li.created_at_ms >= 0
			    ? json_integer(cc->now_ms - li.created_at_ms) : json_null());
	json_object_set_new(item, "stale", json_boolean(v.stale));
	if (v.stale && cc->fix && f->kind == LOCK_SESSION) {
		char note[256];

		if (remove_if_still_stale(f, buf, len, cc, note, sizeof(note)))
			removed = 1;
		else
			json_object_set_new(item, "remove_error", json_string(note));
	}
	/* A lock removed here is history (the item says removed), not a
	 * finding: the report shows the state after the fix. */
	if (v.stale && !removed && report_stale(f, cc, &v) < 0)
		goto fail;
	json_object_set_new(item, "why", json_string(v.why));
	json_object_set_new(item, "removed", json_boolean(removed));
	free(buf);
	return item;
fail:
	free(buf);
	json_decref(item);
	return NULL;
}

json_t *
ck_locks_check(const struct ck_instance *inst, long long now_ms,
	       long long max_age_ms, int fix, json_t *findings)
{
	struct lock_list l = { NULL, 0, 0, NULL };
	struct check_ctx cc = { now_ms > 0 ? now_ms : clock_ms(), max_age_ms, fix,
				findings, inst->state_dir };
	json_t *out, *item;
	size_t i;

	if ((out = json_array()) == NULL)
		return NULL;
	if (collect(inst, &l) < 0)
		goto fail;
	for (i = 0; i < l.n; i++) {
		if ((item = check_one(&l.v[i], &cc)) == NULL ||
		    json_array_append_new(out, item) < 0)
			goto fail;
	}
	list_free(&l);
	return out;
fail:
	list_free(&l);
	json_decref(out);
	return NULL;
}
