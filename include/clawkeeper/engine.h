/* The operation engine: operations that change the instance, regenerate
 * (same version), upgrade (new version) and import (an OpenClaw backup).
 * One runs at a time; each step is recorded in the journal (journal.h)
 * before it starts; a failure after the instance was touched puts back
 * what was there (snapshot, trees set aside, release) and starts once
 * more. An agent killed mid-way finishes or rolls back the operation on
 * its next start (ck_opengine_recover).
 *
 * regenerate: preflight, snapshot, generate, validate, stop, locks,
 *             switch, start, verify, drill
 * upgrade:    preflight, snapshot, stage, rehearse, stop, set_aside,
 *             migrate, generate, validate, locks, switch, start, verify,
 *             drill
 * import:     preflight, fetch, stage, snapshot, stop, install, generate,
 *             validate, locks, switch, start, verify, drill
 * A rollback adds the steps rollback_restore, rollback_start,
 * rollback_verify. */
#ifndef CK_ENGINE_H
#define CK_ENGINE_H

#include <jansson.h>
#include "error.h"
#include "gateway.h"
#include "instance.h"

struct ck_opengine_conf {
	const char *journal_dir;     /* required */
	const char *work_dir;        /* snapshots + staging; required */
	const char *releases_root;   /* NULL: releases are not managed */
	const char *install_template;/* NULL: CK_RELEASE_DEFAULT_INSTALL */
	const char *settings_path;   /* required */
	struct ck_instance_opts inst;
	struct ck_gateway_conf *gw;  /* borrowed; its openclaw argv is switched */
	int drill;                   /* run the fallback drill on upgrades */
	int allow_http;              /* release tarballs over http (tests) */
	long long min_free_bytes;    /* preflight disk check; 0: 64 MiB */
	int ready_timeout_ms;        /* 0: the gateway conf's */
	int settle_ms;               /* verify: ready and still running this long */
	/* Called after every gateway restart (the API records the
	 * supervised gateway's pid with it). */
	void (*after_restart)(void *ud);
	void *ud;
};

enum ck_submit {
	CK_SUBMIT_CREATED,   /* 202: a new operation */
	CK_SUBMIT_EXISTING,  /* 202/200: the same Idempotency-Key, same body */
	CK_SUBMIT_BUSY,      /* 409: another operation is running */
	CK_SUBMIT_KEY_REUSED,/* 422: the key was used with another body */
	CK_SUBMIT_INVALID,   /* 400: the request names a bad field */
	CK_SUBMIT_ERROR,     /* 500 */
	CK_SUBMIT_JOURNAL,   /* 503: the journal cannot be written or read */
};

struct ck_opengine;

/* conf and everything it points to must outlive the engine. */
struct ck_opengine *ck_opengine_new(const struct ck_opengine_conf *conf,
				    struct ck_error *err);
/* Waits for a running operation's thread, then frees. */
void ck_opengine_free(struct ck_opengine *eng);
/* Finishes or rolls back an operation a previous agent left running.
 * Returns the number of operations it settled, -1 on error. */
int ck_opengine_recover(struct ck_opengine *eng, struct ck_error *err);
/* kind "regenerate" (params {} or {"drill":bool}) or "upgrade"
 * (params {"target_version", "source":{"dir"|"install"|"url","sha256"},
 * "allow_downgrade", "drill"}). async: run in a thread and return at
 * once; else return when it ended. *op_out: the record (new ref). For
 * BUSY, *op_out is the running one. */
enum ck_submit ck_opengine_submit(struct ck_opengine *eng, const char *kind,
				  const json_t *params, const char *idem_key,
				  int async, json_t **op_out, struct ck_error *err);
/* Blocks until no operation runs. */
void ck_opengine_wait(struct ck_opengine *eng);
/* The same, for at most timeout_ms: 0 when idle, -1 when one still runs. */
int ck_opengine_wait_for(struct ck_opengine *eng, int timeout_ms);
/* Id of the running operation, or NULL (copy into buf). */
const char *ck_opengine_running(struct ck_opengine *eng, char *buf, size_t n);
/* The gateway belongs to one actor at a time: an operation, or the
 * gateway watch between operations. hold: 0 when the engine was idle and
 * is now busy (a submit meanwhile waits for the release), -1 when an
 * operation runs.
 * release ends a hold. */
int ck_opengine_hold(struct ck_opengine *eng);
void ck_opengine_release(struct ck_opengine *eng);

/* The gateway watch's answer to a crash loop right after a cutover: rolls
 * the last operation back (its recorded rollback: trees or snapshot put
 * back, release switched back, one start, verify) when it succeeded less
 * than within_ms ago, once per operation. The caller holds the engine
 * (ck_opengine_hold). 1 rolled back (its id in id), 0 nothing to roll back,
 * -1 the rollback failed (err). */
int ck_opengine_revert_recent(struct ck_opengine *eng, long long within_ms,
			      const char *why, char *id, size_t id_len,
			      struct ck_error *err);

#endif
