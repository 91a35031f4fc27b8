/* Import staging: the real OpenClaw 2026.9.6 backups (full, only-config,
 * truncated) and a state-dir tar.gz built here from fixture files stage
 * into a managed layout with openclaw.json paths rewritten, credential
 * files byte-identical with modes 0600/0700, and a report without secrets.
 * The manifest checker is driven by tests/fixtures/import/manifest/
 * {valid,invalid}/<case>/. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "clawkeeper/archive.h"
#include "clawkeeper/backup.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/json5.h"

#define B96 CK_FIXTURES "/openclaw/2026.9.6/backup"
#define FULL B96 "/full/2026-11-23T21-15-56.604+00-00-openclaw-backup.tar.gz"
#define ONLY_CONFIG B96 "/only-config/2026-11-23T21-15-54.557+00-00-openclaw-backup.tar.gz"
#define TRUNCATED B96 "/broken/truncated-openclaw-backup.tar.gz"
#define FULL_ROOT "2026-11-23T21-15-56.604+00-00-openclaw-backup"
#define OLD_STATE "/tmp/fixtures-work/v96-backup/state"
#define NOW_MS 1795000000000LL /* 2026-11-18, pinned */

struct tmp {
	char base[64];
	char staging[128];
};

static void
tmp_init(struct tmp *t)
{
	strcpy(t->base, "/tmp/ck-backup-XXXXXX");
	assert_non_null(mkdtemp(t->base));
	snprintf(t->staging, sizeof(t->staging), "%s/staging", t->base);
}

static void
tmp_done(struct tmp *t)
{
	struct ck_error err;

	assert_int_equal(ck_rm_rf(t->base, &err), 0);
}

static json_t *
stage_ok(const char *archive, struct tmp *t)
{
	struct ck_backup_opts opts = { 0 };
	struct ck_error err;
	json_t *report = NULL;
	char *dump;

	opts.staging_dir = t->staging;
	opts.new_state_dir = "/srv/claw/inst1/state";
	opts.new_workspace_dir = "/srv/claw/inst1/workspace";
	opts.now_ms = NOW_MS;
	if (ck_backup_stage(archive, &opts, &report, &err) != 0)
		fail_msg("%s", err.msg);
	assert_non_null(report);
	/* Fixture secrets all contain FAKE: none may reach the report. */
	dump = json_dumps(report, 0);
	assert_null(strstr(dump, "FAKE"));
	free(dump);
	return report;
}

static void
stage_refused(const char *archive, struct tmp *t, const char *cause)
{
	struct ck_backup_opts opts = { 0 };
	struct ck_error err;
	json_t *report = NULL;
	DIR *d;
	struct dirent *de;
	int n = 0;

	opts.staging_dir = t->staging;
	assert_int_equal(ck_backup_stage(archive, &opts, &report, &err), -1);
	assert_null(report);
	if (strstr(err.msg, cause) == NULL)
		fail_msg("message '%s' does not name '%s'", err.msg, cause);
	assert_null(strstr(err.msg, "FAKE"));
	/* Staging removed; nothing else appeared next to it. */
	assert_false(ck_dir_exists(t->staging));
	d = opendir(t->base);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, "in.tar.gz") != 0)
			n++;
	closedir(d);
	assert_int_equal(n, 0);
}

static json_t *
staged_config(struct tmp *t)
{
	struct ck_error err;
	char *p = ck_strdup_printf("%s/state/openclaw.json", t->staging);
	json_t *c = ck_json5_load_file(p, &err);

	if (c == NULL)
		fail_msg("%s", err.msg);
	free(p);
	return c;
}

static const char *
jstr(json_t *root, const char *path)
{
	json_t *v = root;
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL; tok = strtok_r(NULL, ".", &save))
		v = json_object_get(v, tok);
	return json_string_value(v);
}

static mode_t
mode_of(struct tmp *t, const char *rel)
{
	struct stat st;
	char *p = ck_strdup_printf("%s/%s", t->staging, rel);

	if (lstat(p, &st) != 0)
		fail_msg("%s: missing", p);
	free(p);
	return st.st_mode & 07777;
}

static int
member_is(const char *name, void *ud)
{
	return strcmp(name, (const char *)ud) == 0;
}

/* The staged file must be byte-identical to the archive member. */
static void
same_as_member(const char *archive, const char *member, struct tmp *t, const char *rel)
{
	struct ck_archive_src src = { .path = archive };
	struct ck_archive_limits lim = { .max_member_bytes = 8 << 20 };
	struct ck_error err;
	char *name, *data, *staged, *p = ck_strdup_printf("%s/%s", t->staging, rel);
	size_t len, slen;

	assert_int_equal(ck_archive_read_member(&src, member_is, (void *)member, &lim,
						&name, &data, &len, &err), 1);
	assert_int_equal(ck_file_read(p, 8 << 20, &staged, &slen, &err), 0);
	assert_int_equal(len, slen);
	assert_memory_equal(data, staged, len);
	free(name);
	free(data);
	free(staged);
	free(p);
}

static int
has_remap(json_t *report, const char *where, const char *from, const char *to)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(report, "remaps"), i, r)
		if (strcmp(jstr(r, "where"), where) == 0 && strcmp(jstr(r, "from"), from) == 0 &&
		    strcmp(jstr(r, "to"), to) == 0)
			return 1;
	return 0;
}

static int
count_code(json_t *report, const char *key, const char *code)
{
	json_t *f;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(report, key), i, f)
		if (strcmp(jstr(f, "code"), code) == 0)
			n++;
	return n;
}

static void
test_full_96(void **state)
{
	struct tmp t;
	json_t *r, *c;
	char *p;

	(void)state;
	tmp_init(&t);
	r = stage_ok(FULL, &t);
	assert_string_equal(jstr(r, "format"), "openclaw-backup");
	assert_string_equal(jstr(r, "runtime_version"), "2026.9.6");
	assert_string_equal(jstr(r, "created_at"), "2026-11-23T21:15:56.604Z");
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "agents"), 0)), "main");
	/* The dirs and every config path that pointed into them. */
	assert_true(has_remap(r, "paths.stateDir", OLD_STATE, "/srv/claw/inst1/state"));
	assert_true(has_remap(r, "paths.workspaceDirs[0]", OLD_STATE "/workspace",
			      "/srv/claw/inst1/workspace"));
	assert_true(has_remap(r, "openclaw.json:agents.entries.main.agentDir",
			      OLD_STATE "/agents/main/agent",
			      "/srv/claw/inst1/state/agents/main/agent"));
	c = staged_config(&t);
	assert_string_equal(jstr(c, "agents.defaults.workspace"), "/srv/claw/inst1/workspace");
	assert_string_equal(jstr(c, "agents.entries.main.workspace"), "/srv/claw/inst1/workspace");
	assert_string_equal(jstr(c, "agents.entries.main.agentDir"),
			    "/srv/claw/inst1/state/agents/main/agent");
	/* logging.file was outside the state dir: kept, and said so. */
	assert_string_equal(jstr(c, "logging.file"), "/tmp/fixtures-work/v96-backup/logs/openclaw.log");
	assert_int_equal(count_code(r, "warnings", "IMPORT_PATH_NOT_REMAPPED"), 1);
	/* Every provider of the fixture points at 127.0.0.1. */
	assert_int_equal(count_code(r, "warnings", "IMPORT_PROVIDER_PRIVATE_URL"), 4);
	/* Credential store (sqlite) and keys intact, private. */
	same_as_member(FULL, FULL_ROOT "/payload/posix" OLD_STATE "/state/openclaw.sqlite",
		       &t, "state/state/openclaw.sqlite");
	same_as_member(FULL, FULL_ROOT "/payload/posix" OLD_STATE
		       "/agents/main/agent/openclaw-agent.sqlite", &t,
		       "state/agents/main/agent/openclaw-agent.sqlite");
	same_as_member(FULL, FULL_ROOT "/payload/posix" OLD_STATE
		       "/config-journal-fingerprint.key", &t,
		       "state/config-journal-fingerprint.key");
	same_as_member(FULL, FULL_ROOT "/payload/posix" OLD_STATE "/workspace/AGENTS.md",
		       &t, "workspace/AGENTS.md");
	assert_int_equal(mode_of(&t, ""), 0700);
	assert_int_equal(mode_of(&t, "state"), 0700);
	assert_int_equal(mode_of(&t, "state/openclaw.json"), 0600);
	assert_int_equal(mode_of(&t, "state/state/openclaw.sqlite"), 0600);
	assert_int_equal(mode_of(&t, "state/agents/main/agent"), 0700);
	assert_int_equal(mode_of(&t, "state/agents/main/agent/openclaw-agent.sqlite"), 0600);
	p = ck_strdup_printf("%s/.raw", t.staging);
	assert_false(ck_file_exists(p) || ck_dir_exists(p));
	free(p);
	/* Credentials were read from the staged sqlite store. */
	assert_string_equal(jstr(json_array_get(json_object_get(r, "credentials"), 0), "source"),
			    "openclaw.sqlite");
	assert_string_equal(jstr(json_array_get(json_object_get(r, "chains"), 0), "primary"),
			    "openai/gpt-5.5");
	json_decref(c);
	json_decref(r);
	tmp_done(&t);
}

static void
test_only_config_96(void **state)
{
	struct tmp t;
	json_t *r, *c;
	char *p;

	(void)state;
	tmp_init(&t);
	r = stage_ok(ONLY_CONFIG, &t);
	assert_true(json_is_true(json_object_get(r, "only_config")));
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "staging"),
							 "workspaces")), 0);
	c = staged_config(&t);
	assert_string_equal(jstr(c, "agents.defaults.workspace"), "/srv/claw/inst1/workspace");
	assert_string_equal(jstr(c, "agents.entries.main.agentDir"),
			    "/srv/claw/inst1/state/agents/main/agent");
	assert_int_equal(mode_of(&t, "state/openclaw.json"), 0600);
	p = ck_strdup_printf("%s/workspace", t.staging);
	assert_false(ck_dir_exists(p));
	free(p);
	json_decref(c);
	json_decref(r);
	tmp_done(&t);
}

static void
test_truncated_96(void **state)
{
	struct tmp t;

	(void)state;
	tmp_init(&t);
	stage_refused(TRUNCATED, &t, "truncated");
	tmp_done(&t);
}

/* ---- archives written here ---- */

static void
add_entry(struct archive *a, const char *name, const char *data, size_t len,
	  mode_t type, mode_t perm)
{
	struct archive_entry *ae = archive_entry_new();

	archive_entry_set_pathname(ae, name);
	archive_entry_set_filetype(ae, type);
	archive_entry_set_perm(ae, perm);
	archive_entry_set_size(ae, type == AE_IFREG ? (la_int64_t)len : 0);
	assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
	if (type == AE_IFREG && len > 0)
		assert_true(archive_write_data(a, data, len) == (la_ssize_t)len);
	archive_entry_free(ae);
}

static void
add_file(struct archive *a, const char *name, const char *src_path, mode_t perm)
{
	struct ck_error err;
	char *buf;
	size_t len;

	if (ck_file_read(src_path, 1 << 20, &buf, &len, &err) != 0)
		fail_msg("%s", err.msg);
	add_entry(a, name, buf, len, AE_IFREG, perm);
	free(buf);
}

static struct archive *
writer(const char *path)
{
	struct archive *a = archive_write_new();

	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	return a;
}

static void
writer_done(struct archive *a)
{
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

#define S61 CK_FIXTURES "/openclaw/2026.6.1/auth/s7-all"
#define IMP CK_FIXTURES "/import/statedir"

/* A ~/.openclaw tarball: the hand-made multi-agent config with channels,
 * 6.1's real auth store, 5.28's real device identity, credentials/ with
 * loose modes the import must tighten. */
static void
write_statedir_tarball(const char *path)
{
	struct archive *a = writer(path);

	add_entry(a, ".openclaw/", NULL, 0, AE_IFDIR, 0755);
	add_file(a, ".openclaw/openclaw.json", IMP "/openclaw.json", 0644);
	add_entry(a, ".openclaw/agents/main/agent/", NULL, 0, AE_IFDIR, 0755);
	add_file(a, ".openclaw/agents/main/agent/auth-profiles.json",
		 S61 "/auth-profiles.json", 0644);
	add_file(a, ".openclaw/agents/main/agent/auth-state.json", S61 "/auth-state.json", 0644);
	add_entry(a, ".openclaw/credentials/", NULL, 0, AE_IFDIR, 0755);
	add_file(a, ".openclaw/credentials/telegram-pairing.json",
		 IMP "/credentials/telegram-pairing.json", 0644);
	add_file(a, ".openclaw/identity/device.json",
		 CK_FIXTURES "/openclaw/2026.5.28/other/identity-device.json", 0644);
	add_file(a, ".openclaw/devices/paired.json", IMP "/devices/paired.json", 0664);
	add_file(a, ".openclaw/workspace/AGENTS.md", IMP "/workspace/AGENTS.md", 0644);
	add_file(a, ".openclaw/workspace-work/NOTES.md", IMP "/workspace-work/NOTES.md", 0644);
	add_entry(a, "README.txt", "hello", 5, AE_IFREG, 0644);
	writer_done(a);
}

static int
same_file(const char *a, const char *b)
{
	struct ck_error err;
	char *x, *y;
	size_t lx, ly;
	int same;

	assert_int_equal(ck_file_read(a, 1 << 20, &x, &lx, &err), 0);
	assert_int_equal(ck_file_read(b, 1 << 20, &y, &ly, &err), 0);
	same = lx == ly && memcmp(x, y, lx) == 0;
	free(x);
	free(y);
	return same;
}

static void
test_statedir_tarball(void **state)
{
	struct tmp t;
	json_t *r, *c, *ch;
	char in[160], *p;

	(void)state;
	tmp_init(&t);
	snprintf(in, sizeof(in), "%s/in.tar.gz", t.base);
	write_statedir_tarball(in);
	r = stage_ok(in, &t);
	assert_string_equal(jstr(r, "format"), "state-dir");
	assert_string_equal(jstr(r, "runtime_version"), "2026.6.1");
	c = staged_config(&t);
	/* ~/.openclaw/workspace and /home/alice/.openclaw/workspace are the
	 * same dir: both go to the first managed workspace. */
	assert_string_equal(jstr(c, "agents.defaults.workspace"), "/srv/claw/inst1/workspace");
	ch = json_object_get(json_object_get(c, "agents"), "list");
	assert_string_equal(jstr(json_array_get(ch, 0), "workspace"), "/srv/claw/inst1/workspace");
	assert_string_equal(jstr(json_array_get(ch, 0), "agentDir"),
			    "/srv/claw/inst1/state/agents/main/agent");
	assert_string_equal(jstr(json_array_get(ch, 1), "workspace"), "/srv/claw/inst1/workspace-2");
	assert_string_equal(jstr(json_array_get(ch, 2), "workspace"), "/srv/claw/inst1/workspace-3");
	assert_string_equal(jstr(c, "logging.file"), "/srv/claw/inst1/state/logs/openclaw.log");
	assert_true(has_remap(r, "openclaw.json:agents.defaults.workspace",
			      "~/.openclaw/workspace", "/srv/claw/inst1/workspace"));
	assert_true(has_remap(r, "openclaw.json:logging.file",
			      "/home/alice/.openclaw/logs/openclaw.log",
			      "/srv/claw/inst1/state/logs/openclaw.log"));
	/* Channels: names and account ids only. */
	ch = json_object_get(r, "channels");
	assert_int_equal(json_array_size(ch), 3);
	assert_string_equal(jstr(json_array_get(ch, 0), "name"), "telegram");
	assert_int_equal(json_array_size(json_object_get(json_array_get(ch, 0), "accounts")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		json_array_get(ch, 0), "accounts"), 1)), "work");
	assert_string_equal(jstr(json_array_get(ch, 1), "name"), "discord");
	assert_true(json_is_false(json_object_get(json_array_get(ch, 2), "enabled")));
	/* Warnings: private ollama + lmstudio (fd00::/8), gateway bind/port/
	 * auth, the unresolved ollama fallback on two surfaces, the missing
	 * /srv/notes workspace, the stray README. */
	assert_int_equal(count_code(r, "warnings", "IMPORT_PROVIDER_PRIVATE_URL"), 2);
	assert_int_equal(count_code(r, "warnings", "IMPORT_GATEWAY_SETTING_REPLACED"), 3);
	assert_int_equal(count_code(r, "warnings", "FALLBACK_UNRESOLVED"), 2);
	assert_int_equal(count_code(r, "warnings", "IMPORT_WORKSPACE_NOT_IN_ARCHIVE"), 1);
	assert_int_equal(count_code(r, "warnings", "IMPORT_ENTRY_IGNORED"), 1);
	/* Credentials intact and private. */
	p = ck_strdup_printf("%s/state/agents/main/agent/auth-profiles.json", t.staging);
	assert_true(same_file(p, S61 "/auth-profiles.json"));
	free(p);
	p = ck_strdup_printf("%s/state/identity/device.json", t.staging);
	assert_true(same_file(p, CK_FIXTURES "/openclaw/2026.5.28/other/identity-device.json"));
	free(p);
	assert_int_equal(mode_of(&t, "state/agents/main/agent/auth-profiles.json"), 0600);
	assert_int_equal(mode_of(&t, "state/agents/main/agent/auth-state.json"), 0600);
	assert_int_equal(mode_of(&t, "state/agents/main/agent"), 0700);
	assert_int_equal(mode_of(&t, "state/credentials"), 0700);
	assert_int_equal(mode_of(&t, "state/credentials/telegram-pairing.json"), 0600);
	assert_int_equal(mode_of(&t, "state/identity"), 0700);
	assert_int_equal(mode_of(&t, "state/identity/device.json"), 0600);
	assert_int_equal(mode_of(&t, "state/devices/paired.json"), 0600);
	assert_int_equal(mode_of(&t, "workspace-2/NOTES.md"), 0644);
	/* The expired openai-codex OAuth of s7 shows as expired, by fingerprint. */
	assert_true(json_array_size(json_object_get(r, "credentials")) >= 7);
	json_decref(c);
	json_decref(r);
	tmp_done(&t);
}

/* An agentDir outside everything imported could name another instance
 * on the host: dropped, never kept for the agent to read. */
static void
test_outside_agent_dir_dropped(void **state)
{
	static const char conf[] = "{\"agents\":{\"list\":[{\"id\":\"main\","
		"\"agentDir\":\"/srv/other-tenant/agents/main/agent\"}]}}\n";
	struct archive *a;
	struct tmp t;
	json_t *r, *c;
	char in[160];

	(void)state;
	tmp_init(&t);
	snprintf(in, sizeof(in), "%s/in.tar.gz", t.base);
	a = writer(in);
	add_entry(a, ".openclaw/openclaw.json", conf, strlen(conf), AE_IFREG, 0600);
	writer_done(a);
	r = stage_ok(in, &t);
	c = staged_config(&t);
	assert_null(json_object_get(json_array_get(json_object_get(json_object_get(c,
		"agents"), "list"), 0), "agentDir"));
	assert_int_equal(count_code(r, "warnings", "IMPORT_PATH_NOT_REMAPPED"), 1);
	json_decref(c);
	json_decref(r);
	tmp_done(&t);
}

static void
test_not_openclaw(void **state)
{
	struct archive *a;
	struct tmp t;
	char in[160];

	(void)state;
	tmp_init(&t);
	snprintf(in, sizeof(in), "%s/in.tar.gz", t.base);
	a = writer(in);
	add_entry(a, "photos/cat.jpg", "meow", 4, AE_IFREG, 0644);
	writer_done(a);
	stage_refused(in, &t, "expected an `openclaw backup create` archive "
		      "(<root>/manifest.json) or a tar.gz of a state dir (.openclaw/ at the top)");
	tmp_done(&t);
}

static void
test_bad_manifest_archive(void **state)
{
	const char *m = "{\"schemaVersion\":1,\"archiveRoot\":\"r\",\"paths\":{\"stateDir\":"
			"\"/s\",\"workspaceDirs\":[]},\"assets\":[{\"kind\":\"state\","
			"\"sourcePath\":\"/s\",\"archivePath\":\"r/../../s\"}]}";
	struct archive *a;
	struct tmp t;
	char in[160];

	(void)state;
	tmp_init(&t);
	snprintf(in, sizeof(in), "%s/in.tar.gz", t.base);
	a = writer(in);
	add_entry(a, "r/payload/posix/s/openclaw.json", "{}", 2, AE_IFREG, 0600);
	add_entry(a, "r/manifest.json", m, strlen(m), AE_IFREG, 0644);
	writer_done(a);
	stage_refused(in, &t, "assets[0].archivePath");
	tmp_done(&t);
}

static void
test_staging_exists(void **state)
{
	struct ck_backup_opts opts = { 0 };
	struct ck_error err;
	json_t *r = NULL;
	struct tmp t;

	(void)state;
	tmp_init(&t);
	opts.staging_dir = t.base; /* exists: refused, and left alone */
	assert_int_equal(ck_backup_stage(FULL, &opts, &r, &err), -1);
	assert_non_null(strstr(err.msg, "cannot create the staging dir"));
	assert_true(ck_dir_exists(t.base));
	tmp_done(&t);
}

static void
test_private_urls(void **state)
{
	(void)state;
	assert_true(ck_backup_url_is_private("http://127.0.0.1:11434"));
	assert_true(ck_backup_url_is_private("http://localhost:11434/v1"));
	assert_true(ck_backup_url_is_private("http://10.1.2.3/v1"));
	assert_true(ck_backup_url_is_private("http://172.16.0.1"));
	assert_true(ck_backup_url_is_private("http://172.31.255.1"));
	assert_false(ck_backup_url_is_private("http://172.32.0.1"));
	assert_true(ck_backup_url_is_private("https://192.168.0.10:8443"));
	assert_true(ck_backup_url_is_private("http://169.254.169.254/latest"));
	assert_true(ck_backup_url_is_private("http://[::1]:8080"));
	assert_true(ck_backup_url_is_private("http://[fd00::1]/"));
	assert_true(ck_backup_url_is_private("http://[fc00::1]/"));
	assert_true(ck_backup_url_is_private("http://u:p@127.0.0.1/"));
	assert_false(ck_backup_url_is_private("https://api.openai.com/v1"));
	assert_false(ck_backup_url_is_private("https://10.example.com/"));
	assert_false(ck_backup_url_is_private("http://[2001:db8::1]/"));
}

/* Data-driven: valid/<case>/manifest.json parses; invalid/<case>/ fails
 * with the text of its `error` file in the message. */
static void
manifest_cases(void **state)
{
	static const char *const kinds[] = { "valid", "invalid" };
	struct ck_error err;
	size_t k;
	int n = 0;

	(void)state;
	for (k = 0; k < 2; k++) {
		char *dir = ck_strdup_printf(CK_FIXTURES "/import/manifest/%s", kinds[k]);
		DIR *d = opendir(dir);
		struct dirent *de;

		assert_non_null(d);
		while ((de = readdir(d)) != NULL) {
			char *p, *buf, *want = NULL;
			size_t len, wlen;
			json_t *m;

			if (de->d_name[0] == '.')
				continue;
			p = ck_strdup_printf("%s/%s/manifest.json", dir, de->d_name);
			assert_int_equal(ck_file_read(p, 1 << 20, &buf, &len, &err), 0);
			free(p);
			m = ck_backup_manifest_parse(buf, len, NULL, &err);
			if (k == 0) {
				if (m == NULL)
					fail_msg("%s: %s", de->d_name, err.msg);
			} else {
				p = ck_strdup_printf("%s/%s/error", dir, de->d_name);
				assert_int_equal(ck_file_read(p, 4096, &want, &wlen, &err), 0);
				free(p);
				want[strcspn(want, "\n")] = '\0';
				if (m != NULL)
					fail_msg("%s: accepted", de->d_name);
				if (strstr(err.msg, want) == NULL)
					fail_msg("%s: '%s' lacks '%s'", de->d_name, err.msg, want);
			}
			json_decref(m);
			free(want);
			free(buf);
			n++;
		}
		closedir(d);
		free(dir);
	}
	assert_true(n >= 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(manifest_cases),
		cmocka_unit_test(test_private_urls),
		cmocka_unit_test(test_full_96),
		cmocka_unit_test(test_only_config_96),
		cmocka_unit_test(test_truncated_96),
		cmocka_unit_test(test_statedir_tarball),
		cmocka_unit_test(test_outside_agent_dir_dropped),
		cmocka_unit_test(test_not_openclaw),
		cmocka_unit_test(test_bad_manifest_archive),
		cmocka_unit_test(test_staging_exists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
