/* Whether a directory tree stays inside itself: no symlink in it leads
 * out (absolute, too many "..", or out through other links) and, when
 * asked, no file in it shares its inode with a file outside. An import
 * checks its staged tree with this before install and the live state dir
 * after it. */
#ifndef CK_CONFINE_H
#define CK_CONFINE_H

#include "error.h"

#define CK_CONFINE_RESOLVE   1  /* also resolve each link as the kernel
				 * would (RESOLVE_BENEATH from dir) */
#define CK_CONFINE_HARDLINKS 2  /* also refuse files linked from outside */

struct ck_confine_escape {
	char path[4096];    /* relative to the walked dir */
	char target[1024];  /* the symlink's target; "" for a hard link */
	char why[160];      /* "absolute symlink", ... */
};

/* Walks dir without following links. `at` is where dir will sit inside
 * the root it is installed under ("" for the root itself, "workspace-2"
 * for <root>/workspace-2): a link's ".." count is taken from its final
 * place. Returns 1 with *esc set for the first escape found, 0 when there
 * is none, -1 on error (err). */
int ck_confine_check(const char *dir, const char *at, int flags,
		     struct ck_confine_escape *esc, struct ck_error *err);

/* ck_confine_check(dir, "", CK_CONFINE_RESOLVE | CK_CONFINE_HARDLINKS) as
 * pass/fail: 0, or -1 with "<dir>/<path>: <why> (it points to '<target>')"
 * when anything in dir leads out of it. */
int ck_confine_require(const char *dir, struct ck_error *err);

/* 1 when `target`, read from a link at `link_path` (relative to the root,
 * slash-separated), never climbs above the root; 0 for an absolute target
 * or one that does. Lexical only: links through links need RESOLVE. */
int ck_confine_target_ok(const char *link_path, const char *target);

#endif
