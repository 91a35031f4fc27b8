/* Private to the operation engine's files (engine.c, steps.c, verify.c,
 * rollback.c, recovery.c, params.c, upgrade_steps.c, import_steps.c):
 * one operation's working state and the helpers its steps share. */
#ifndef CK_ENGINE_INTERNAL_H
#define CK_ENGINE_INTERNAL_H

#include <jansson.h>
#include "clawkeeper/error.h"
#include "clawkeeper/instance.h"
#include "clawkeeper/engine.h"

#include <pthread.h>
#include "clawkeeper/journal.h"

struct ck_opengine {
	const struct ck_opengine_conf *conf;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int busy;
	int held;  /* busy for the gateway watch (ck_opengine_hold), no record */
	/* An ended operation whose last record could not be written: written
	 * again before any new operation starts (guarded by lock). */
	json_t *unwritten;
	char running[CK_OP_ID_MAX + 1];
	/* The last operation that ended succeeded, and when (monotonic), for
	 * ck_opengine_revert_recent (guarded by lock). */
	char last_ok[CK_OP_ID_MAX + 1];
	long long last_ok_mono_ms;
	/* The last async operation's thread, joined before the next starts
	 * and by ck_opengine_free: a process that exits right after an
	 * operation ends must not leave its thread mid-exit (guarded by lock). */
	pthread_t worker;
	int has_worker;
};

enum op_kind { OP_REGENERATE, OP_UPGRADE, OP_IMPORT };

struct run {
	struct ck_opengine *eng;
	json_t *op;
	json_t *params;
	int upgrade;
	enum op_kind kind;
	struct ck_instance inst;
	json_t *settings;
	json_t *new_config;
	char *new_text;
	json_t *cron_patches; /* job chains to write at the switch (cron.h) */
	char *snap_dir;
	char *stage_dir;
	char *from_version;
	char *from_release;
	const char *target;
	long long restart_ms;
	char msg[512];
	/* import */
	char *archive;        /* the archive to install (uploaded or downloaded) */
	char *import_stage;   /* <state_dir>.import-<id>: staged state + workspace */
	char *import_prev;    /* <state_dir>.pre-import-<id>: the replaced state */
	char *import_failed;  /* <state_dir>.failed-import-<id>: a rolled back import */
	/* (inside the state dir, .clawkeeper.*, when it is a mount point) */
	/* upgrade rehearsal */
	json_t *rehearsal_ws; /* [[live workspace, its rehearsal copy], ...] */
	char *rehearsal_state; /* the copy's state dir */
	char config_sum[65];
};

/* At most this many journal records are read when looking for an
 * idempotency key or an operation to settle. */
#define JOURNAL_SCAN_MAX 10000

typedef int (*step_fn)(struct run *r, struct ck_error *err);

struct step_def {
	const char *name;
	step_fn fn;
	int touches_live; /* from this step on, failure means rollback */
};

/* engine.c: a run's life and the end of an operation. */
/* A run for the record op (a ref is taken); NULL with err. */
struct run *ck_op_run_new(struct ck_opengine *eng, const char *kind, json_t *op,
			  const json_t *params, struct ck_error *err);
void ck_op_run_free(struct run *r);
/* Writes the ended operation's record, or keeps it for the next submit
 * to write before anything else starts. */
void ck_op_journal_final(struct run *r);
/* Removes the run's staging dir (secrets, rehearsal copies). */
void ck_op_clear_staging(struct run *r);

/* steps.c: the step runner and the steps every kind shares. */
int ck_op_journal(struct run *r);
void ck_op_set_state(struct run *r, const char *state);
/* Records the step running, runs fn, records how it ended. */
int ck_op_run_step(struct run *r, const char *name, step_fn fn, struct ck_error *err);
/* Every step of the operation's kind, then succeeded, failed or rolled
 * back in the record. */
void ck_op_run_steps(struct run *r);
enum op_kind ck_op_kind_parse(const char *kind);
/* The kind's steps, ended by one with a NULL name. */
const struct step_def *ck_op_steps_for(enum op_kind k);
int ck_op_start_gateway(struct run *r, struct ck_error *err);
int ck_op_stop_gateway(struct run *r, struct ck_error *err);
/* The "start" step: ck_op_start_gateway and its message. */
int ck_op_step_start(struct run *r, struct ck_error *err);
char **ck_op_openclaw_argv(struct run *r, const char *version);
/* Adds ms to the record's timings[what]. */
void ck_op_add_ms(struct run *r, const char *what, long long ms);

/* verify.c */
int ck_op_verify_gateway(struct run *r, const char *want_version, int check_chain,
			 struct ck_error *err);

/* rollback.c */
/* Runs the rollback steps; the record ends rolled_back or failed. */
void ck_op_rollback(struct run *r, const char *why);
/* A run rebuilt from its record rolls back to the snapshot and release
 * the record names. */
void ck_op_use_recorded_rollback(struct run *r);

/* params.c */
int ck_op_params_validate(const char *kind, const json_t *params, struct ck_error *err);

/* upgrade_steps.c: rehearsal and cutover. */
/* sha256 of a config as it reads at the live paths, meta left out. */
const char *ck_op_config_sum(struct run *r, const json_t *config);
int ck_op_upgrade_schema_ok(struct run *r, struct ck_error *err);
/* Stages the target release, and a waypoint release when the state
 * needs its doctor first. */
int ck_op_upgrade_stage(struct run *r, struct ck_error *err);
int ck_op_upgrade_rehearse(struct run *r, struct ck_error *err);
int ck_op_upgrade_set_aside(struct run *r, struct ck_error *err);
int ck_op_upgrade_migrate(struct run *r, struct ck_error *err);
/* Renames the kept trees back (safe to run again from any point). */
int ck_op_upgrade_put_back(struct run *r, struct ck_error *err);

/* import_steps.c: the import steps. */
int ck_op_import_fetch(struct run *r, struct ck_error *err);
int ck_op_import_stage(struct run *r, struct ck_error *err);
int ck_op_import_install(struct run *r, struct ck_error *err);
/* Puts the replaced state back (rollback and crash recovery). */
int ck_op_import_restore(struct run *r, struct ck_error *err);
void ck_op_import_paths(struct run *r);

#endif
