/* Snapshots of the live config and credential files, byte for byte, so a
 * failed operation can put the instance back exactly as it was. An SQLite
 * database (2026.7+ keeps credentials in one) is copied with SQLite's
 * backup API instead: a plain copy of the main file misses what is still
 * in its -wal, and putting such a copy back next to the newer -wal
 * corrupts the database (seen with 2026.9.6). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/snapshot.h"
#include "clawkeeper/tree.h"

#define MANIFEST "manifest.json"

static int
is_sqlite(const char *path)
{
	size_t n = strlen(path);

	return n > 7 && strcmp(path + n - 7, ".sqlite") == 0;
}

/* Sidecar files of a database that must not outlive a restore. */
static void
remove_sqlite_sidecars(const char *path)
{
	static const char *const sfx[] = { "-wal", "-shm", "-journal", NULL };
	size_t i;

	for (i = 0; sfx[i] != NULL; i++) {
		char *p = ck_strdup_printf("%s%s", path, sfx[i]);

		if (p != NULL)
			unlink(p);
		free(p);
	}
}

static const char *agent_cred_files[] = {
	"auth-profiles.json", "auth-state.json", "auth.json", NULL,
};

json_t *
ck_snapshot_files(const struct ck_instance *inst)
{
	json_t *files = json_array();
	size_t i, j;

	json_array_append_new(files, json_string(inst->config_path));
	for (i = 0; i < inst->n_agents; i++) {
		char *dir = ck_instance_agent_dir(inst, inst->agent_ids[i]);

		for (j = 0; dir != NULL && agent_cred_files[j] != NULL; j++) {
			char *p = ck_path_join(dir, agent_cred_files[j]);

			json_array_append_new(files, json_string(p));
			free(p);
		}
		free(dir);
	}
	/* 2026.7+ keeps the credential store in the state database, and
	 * 2026.6.1+ the cron jobs; before, cron/jobs.json (or cron.store)
	 * holds them: a regenerate may set a job's chain in either. */
	{
		char *db = ck_path_join(inst->state_dir, "state/openclaw.sqlite");
		char *jobs = ck_cron_store_path(inst);

		json_array_append_new(files, json_string(db));
		if (jobs != NULL)
			json_array_append_new(files, json_string(jobs));
		free(db);
		free(jobs);
	}
	return files;
}

int
ck_snapshot_take(const struct ck_instance *inst, const char *dest_dir,
		 struct ck_error *err)
{
	json_t *files = ck_snapshot_files(inst);
	json_t *manifest = json_object(), *entries = json_array();
	json_t *item;
	char *text = NULL, *mpath = NULL;
	size_t i;
	int rc = -1;

	if (ck_mkdir_p(dest_dir, 0700, err) < 0)
		goto out;
	json_array_foreach(files, i, item) {
		const char *path = json_string_value(item);
		char name[32], hex[CK_SHA256_HEX_LEN];
		struct stat st;
		json_t *e;

		snprintf(name, sizeof(name), "file-%03zu", i);
		e = json_pack("{s:s, s:s}", "path", path, "copy", name);
		if (stat(path, &st) < 0) {
			if (errno != ENOENT) {
				ck_error_set(err, "%s: %s", path, strerror(errno));
				json_decref(e);
				goto out;
			}
			json_object_set_new(e, "existed", json_false());
		} else {
			char *copy = ck_path_join(dest_dir, name);
			int crc = is_sqlite(path) ? ck_tree_sqlite_copy(path, copy, 0600, err) :
						    ck_file_copy(path, copy, err);

			/* What a restore writes back is the copy: its hash is what a
			 * restored file must match. */
			if (crc < 0 || ck_sha256_file(copy, hex) < 0) {
				free(copy);
				json_decref(e);
				goto out;
			}
			free(copy);
			if (is_sqlite(path))
				json_object_set_new(e, "sqlite", json_true());
			json_object_set_new(e, "existed", json_true());
			json_object_set_new(e, "mode", json_integer(st.st_mode & 07777));
			json_object_set_new(e, "sha256", json_string(hex));
		}
		json_array_append_new(entries, e);
	}
	json_object_set_new(manifest, "files", entries);
	entries = NULL;
	text = json_dumps(manifest, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	mpath = ck_path_join(dest_dir, MANIFEST);
	/* The manifest is written last: a snapshot without one is incomplete
	 * and never restored from. */
	if (text == NULL || mpath == NULL ||
	    ck_file_write_atomic(mpath, text, strlen(text), 0600, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(entries);
	json_decref(manifest);
	json_decref(files);
	free(text);
	free(mpath);
	return rc;
}

static json_t *
load_manifest(const char *snap_dir, struct ck_error *err)
{
	char *mpath = ck_path_join(snap_dir, MANIFEST);
	json_error_t jerr;
	json_t *m;

	m = json_load_file(mpath, 0, &jerr);
	if (m == NULL)
		ck_error_set(err, "%s: snapshot manifest unreadable: %s (line %d)",
			     mpath, jerr.text, jerr.line);
	free(mpath);
	return m;
}

int
ck_snapshot_restore(const char *snap_dir, struct ck_error *err)
{
	json_t *m = load_manifest(snap_dir, err);
	json_t *e;
	size_t i;
	int rc = 0;

	if (m == NULL)
		return -1;
	json_array_foreach(json_object_get(m, "files"), i, e) {
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *copy = json_string_value(json_object_get(e, "copy"));
		char *src;

		if (path == NULL || copy == NULL)
			continue;
		if (!json_is_true(json_object_get(e, "existed"))) {
			if (unlink(path) < 0 && errno != ENOENT) {
				ck_error_set(err, "%s: unlink: %s", path, strerror(errno));
				rc = -1;
			}
			continue;
		}
		src = ck_path_join(snap_dir, copy);
		if (json_is_true(json_object_get(e, "sqlite")))
			remove_sqlite_sidecars(path);
		if (ck_file_copy(src, path, err) < 0)
			rc = -1;
		else if (chmod(path, (mode_t)json_integer_value(json_object_get(e, "mode"))) < 0)
			rc = -1;
		free(src);
	}
	json_decref(m);
	return rc;
}

int
ck_snapshot_matches(const char *snap_dir, struct ck_error *err)
{
	json_t *m = load_manifest(snap_dir, err);
	json_t *e;
	size_t i;
	int same = 1;

	if (m == NULL)
		return -1;
	json_array_foreach(json_object_get(m, "files"), i, e) {
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *want = json_string_value(json_object_get(e, "sha256"));
		char hex[CK_SHA256_HEX_LEN];

		if (path == NULL)
			continue;
		if (!json_is_true(json_object_get(e, "existed"))) {
			if (ck_file_exists(path))
				same = 0;
			continue;
		}
		if (ck_sha256_file(path, hex) < 0 || want == NULL || strcmp(hex, want) != 0)
			same = 0;
	}
	json_decref(m);
	return same;
}
