/* Whole directory trees: a copy that a running writer cannot tear (SQLite
 * databases through the backup API, everything else byte for byte with
 * its mode, symlinks as links, never followed), a rename-based swap (by
 * contents for a mount point), and
 * a digest of every file for "is it exactly as before". */
#ifndef CK_TREE_H
#define CK_TREE_H

#include <sys/types.h>
#include <jansson.h>
#include "error.h"

struct ck_tree_stats {
	long long files;
	long long bytes;
	long long databases;   /* copied through the SQLite backup API */
};

/* Copies src to dst (which must not exist). A database's -wal/-shm/
 * -journal sidecars are not copied: the backup holds their content.
 * stats may be NULL. On failure dst is removed. */
int ck_tree_copy(const char *src, const char *dst, struct ck_tree_stats *stats,
		 struct ck_error *err);

/* {"relative/path": "sha256 hex" | "link:<target>" | "dir"} for every
 * entry under root (not following links). NULL with err on failure. */
json_t *ck_tree_digest(const char *root, struct ck_error *err);

/* A consistent copy of one (possibly live) database into dest, with
 * mode, as a self-contained file (rollback journal, no -wal). */
int ck_tree_sqlite_copy(const char *src_path, const char *dest, mode_t mode,
			struct ck_error *err);

/* 1 when the file starts with the SQLite header. */
int ck_tree_is_sqlite(const char *path);

/* 1 when path is the root of a mount (statx STATX_ATTR_MOUNT_ROOT; on
 * older kernels, another device than its parent). No rename moves it
 * (EBUSY), and what sits beside it is on another filesystem. */
int ck_tree_is_mount(const char *path);

/* Where a tree keeps something of its own (a staging dir, the tree set
 * aside): "<live><suffix>" beside it, or, for a mount point,
 * "<live>/.clawkeeper<suffix>" inside it. Top-level entries named
 * ".clawkeeper.*" are not part of the tree: copies, digests and moves
 * by contents leave them out. suffix starts with '.'. */
char *ck_tree_beside(const char *live, const char *suffix);

/* live (when present) moved to aside, then with moved to live: two
 * renames, or for a mount point live entry by entry (with and aside
 * then inside it, see ck_tree_beside). Safe to run again from any
 * point; with gone means done. */
int ck_tree_replace(const char *live, const char *with, const char *aside,
		    struct ck_error *err);

/* Undoes ck_tree_replace(live, with, aside) from any point it stopped
 * at: live gets back what it held before; what with brought in goes to
 * failed. Safe to run again. */
int ck_tree_replace_undo(const char *live, const char *with, const char *aside,
			 const char *failed, struct ck_error *err);

/* Moves live to kept (unless kept already exists: a second run after a
 * crash), then makes live a byte-for-byte copy of kept (its owner must
 * have stopped: no database in kept is opened, so kept stays exactly as
 * it was). The original tree is
 * never opened again by whoever changes live. */
int ck_tree_set_aside(const char *live, const char *kept, struct ck_tree_stats *stats,
		      struct ck_error *err);

/* Undoes ck_tree_set_aside: live (when present) is moved to aside (or
 * aside.N when that is taken), kept is renamed back to live. Safe to run
 * again from any point: with kept gone there is nothing left to do.
 * A mount point is set aside and put back by contents (ck_tree_replace),
 * with kept inside it. */
int ck_tree_put_back(const char *live, const char *kept, const char *aside,
		     struct ck_error *err);

#endif
