/* Byte-for-byte snapshots of what an operation may change: the live
 * config and the credential files. A snapshot dir holds a copy of each
 * file plus manifest.json {files:[{path, existed, mode, sha256}]};
 * restoring puts every file back atomically and removes the ones that
 * did not exist when the snapshot was taken. */
#ifndef CK_SNAPSHOT_H
#define CK_SNAPSHOT_H

#include <jansson.h>
#include "error.h"
#include "instance.h"

/* The files a snapshot covers for this instance (absolute paths). */
json_t *ck_snapshot_files(const struct ck_instance *inst);
int ck_snapshot_take(const struct ck_instance *inst, const char *dest_dir,
		     struct ck_error *err);
int ck_snapshot_restore(const char *snap_dir, struct ck_error *err);
/* 1 when every file matches the snapshot byte for byte, 0 when not,
 * -1 on error. An SQLite database is snapshotted as a consistent copy
 * (backup API), so it matches after a restore, not before. */
int ck_snapshot_matches(const char *snap_dir, struct ck_error *err);

#endif
