/* Private to the operation engine's files (engine.c, upgrade_steps.c,
 * import_steps.c): one operation's working state and the helpers its
 * steps share. */
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

int ck_op_journal(struct run *r);
int ck_op_start_gateway(struct run *r, struct ck_error *err);
int ck_op_verify_gateway(struct run *r, const char *want_version, int check_chain,
			 struct ck_error *err);
char **ck_op_openclaw_argv(struct run *r, const char *version);

/* upgrade_steps.c: rehearsal and cutover. */
/* sha256 of a config as it reads at the live paths, meta left out. */
const char *ck_op_config_sum(struct run *r, const json_t *config);
int ck_op_upgrade_schema_ok(struct run *r, struct ck_error *err);
/* The release whose doctor must run before the target's (compat.c), or
 * NULL. */
const char *ck_op_upgrade_waypoint(struct run *r);
int ck_op_upgrade_rehearse(struct run *r, struct ck_error *err);
int ck_op_stop_gateway(struct run *r, struct ck_error *err);
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
