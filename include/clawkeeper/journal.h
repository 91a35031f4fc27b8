/* The operations journal: one JSON file per operation (import, regenerate,
 * upgrade, rollback) in the journal dir, written atomically each time a
 * step changes, so the record survives the agent being killed.
 *
 * Record:
 * {"id":"op-20260901T120000Z-1a2b3c4d", "kind":"upgrade",
 *  "state":"pending|running|succeeded|failed|rolled_back",
 *  "created_at":"2026-09-01T12:00:00.000Z", "updated_at":"...",
 *  "params":{...}, "idempotency_key":"..." (optional),
 *  "steps":[{"name":"snapshot","state":"pending|running|done|failed|skipped",
 *            "started_at":"...|null","ended_at":"...|null","message":"..."}],
 *  "restarts":0, "result":null | {"ok":true|false,"message":"...",...}} */
#ifndef CK_JOURNAL_H
#define CK_JOURNAL_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"

#define CK_OP_ID_MAX 64

/* 1 when id is a well-formed operation id ([A-Za-z0-9._-], 1..64, no
 * leading dot): ids are file names, so this is the traversal guard. */
int ck_op_id_valid(const char *id);
/* A new record in state "pending" with a fresh id, no steps. */
json_t *ck_op_new(const char *kind, long long now_ms);
/* Appends a pending step. */
int ck_op_add_step(json_t *op, const char *name);
/* Sets step `name` to state (running/done/failed/skipped) with its
 * timestamps, and updated_at. message may be NULL. */
int ck_op_step_set(json_t *op, const char *name, const char *state,
		   const char *message, long long now_ms);
/* <dir>/<id>.json, atomically, mode 0640. */
int ck_op_write(const char *dir, const json_t *op, struct ck_error *err);
/* Returns the record, NULL with err (err->msg starts with "not found"
 * when there is no such operation). */
json_t *ck_op_read(const char *dir, const char *id, struct ck_error *err);
/* 1 when a record in dir cannot be read or parsed (err names the file
 * and why; listings skip such records, so its operation would never be
 * settled), 0 when every one reads, -1 when dir cannot be listed. */
int ck_op_find_unreadable(const char *dir, struct ck_error *err);
/* All records, newest first (created_at, then id). A missing dir is an
 * empty list; unreadable files are skipped. At most `max` records. */
json_t *ck_op_list(const char *dir, size_t max, struct ck_error *err);
/* ISO 8601 UTC with milliseconds into buf (>= 48 bytes). */
void ck_op_time(long long ms, char *buf, size_t n);

#endif
