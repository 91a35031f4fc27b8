/* Reading a self-hoster's OpenClaw archive for import: recognise an
 * `openclaw backup create` archive (<root>/manifest.json +
 * <root>/payload/posix/<abs path>) or a tar.gz of a state dir (.openclaw/
 * at the top), extract it safely, lay it out as a managed instance, remap
 * the absolute paths in openclaw.json, and report what is in it. Nothing
 * outside the staging dir is touched. */
#ifndef CK_BACKUP_H
#define CK_BACKUP_H

#include <jansson.h>
#include "archive.h"
#include "error.h"

struct ck_backup_opts {
	/* Created with mode 0700; must not exist. Removed on any failure.
	 * On success it holds state/ (the instance's state dir) and
	 * workspace/, workspace-2/ ... (one per workspace dir). */
	const char *staging_dir;
	/* The managed paths the staged state/ and workspace/ will be installed
	 * at; openclaw.json is rewritten to point there. NULL: the staging
	 * paths themselves. The N-th workspace (N >= 2) goes to
	 * <new_workspace_dir>-N. */
	const char *new_state_dir;
	const char *new_workspace_dir;
	const struct ck_archive_limits *limits; /* NULL: defaults */
	long long now_ms;                       /* 0: the current time */
};

/* Stages the archive. On success *report is a new object:
 * {format: "openclaw-backup" | "state-dir", runtime_version, created_at,
 *  archive_root, only_config, include_workspace,
 *  staging: {dir, state_dir, workspaces: [..]},
 *  remaps: [{from, to, where}], agents: [ids],
 *  channels: [{name, enabled, accounts: [ids]}],
 *  providers: [{name, base_url, api, status}],
 *  credentials: [ck_credentials_health entries], chains: [{surface,
 *  primary, fallbacks}], warnings: [findings], health: [findings],
 *  stats: {entries, files, bytes, compressed_bytes}}.
 * Secrets never appear in it (credential fingerprints only). Returns -1
 * with a message naming the cause; staging_dir is then gone. */
int ck_backup_stage(const char *archive_path, const struct ck_backup_opts *opts,
		    json_t **report, struct ck_error *err);

/* Parses and checks a manifest.json: schemaVersion 1, archiveRoot (equal
 * to expect_root when that is non-NULL), paths.stateDir absolute,
 * paths.workspaceDirs an array of absolute paths, every
 * assets[].archivePath equal to <archiveRoot>/payload/posix<sourcePath>.
 * Returns a new object or NULL with "manifest.json: <field>: why". */
json_t *ck_backup_manifest_parse(const char *buf, size_t len,
				 const char *expect_root, struct ck_error *err);

/* 1 when host is loopback, private, link-local or unique-local
 * (127/8, ::1, localhost, 10/8, 172.16/12, 192.168/16, 169.254/16,
 * fc00::/7, fe80::/10, 0.0.0.0). url may be a full URL. */
int ck_backup_url_is_private(const char *url);

#endif
