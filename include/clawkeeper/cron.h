/* OpenClaw's cron jobs, read from wherever the instance's version keeps
 * them: <state>/cron/jobs.json (or the config's cron.store) before
 * 2026.6.1, rows of table cron_jobs in <state>/state/openclaw.sqlite
 * from 2026.6.1 on (compat.h, CK_FEAT_CRON_IN_SQLITE). Only reads. */
#ifndef CK_CRON_H
#define CK_CRON_H

#include <jansson.h>
#include "error.h"
#include "instance.h"

#define CK_CRON_SOURCE_JSON "cron/jobs.json"
#define CK_CRON_SOURCE_SQLITE "state/openclaw.sqlite cron_jobs"

/*
 * A new JSON array of jobs in the shape of cron/jobs.json, which the
 * chain walker (model.h) reads: "id" (or a legacy "jobId"), "name",
 * "enabled", "agentId", "payload" {"kind", "model", "fallbacks"}, and
 * "source": CK_CRON_SOURCE_JSON or CK_CRON_SOURCE_SQLITE. A jobs.json
 * job also has "position" (its index in that file), and on a version
 * that keeps jobs in the database "pending_import": true: the gateway
 * does not run it until `openclaw doctor --fix` imports it.
 *
 * Database rows count when their store_key is this instance's store
 * path (OpenClaw loads no others). With an unknown version both stores
 * are read, the database first; a jobs.json job whose id the database
 * already has is left out, as doctor's import does.
 *
 * [] when the instance has no cron jobs; NULL and err
 * ("<file>: what is wrong") when a store exists but cannot be read.
 */
json_t *ck_cron_jobs_load(const struct ck_instance *inst, struct ck_error *err);

/* The cron store path (jobs.json, and the rows' store_key before
 * path.resolve): the config's cron.store or <state>/cron/jobs.json. */
char *ck_cron_store_path(const struct ck_instance *inst);

/* The job a settings key names among loaded jobs: the one with that id,
 * else the only one with that name. NULL when none; *n_named is how many
 * jobs carry the name (2 and more: ambiguous). Borrowed. */
const json_t *ck_cron_job_find(const json_t *jobs, const char *key, size_t *n_named);

/*
 * Writes job patches [{id, source, position (jobs.json), store_key
 * (database), payload: {model?, fallbacks?}}] (generate.h makes them)
 * into the stores they came from: jobs.json rewritten atomically; in the
 * database, one transaction setting job_json and, on the split layout,
 * payload_model / payload_fallbacks_json. The database is written only
 * when it lies beneath the state dir. A job that is gone or moved since
 * it was read fails the whole write. 0, or -1 with err.
 */
int ck_cron_apply(const struct ck_instance *inst, const json_t *patches,
		  struct ck_error *err);

/* Maps a row's store_key to the key it should have, or NULL to leave it.
 * Returns a malloc'd string. */
typedef char *(*ck_cron_key_fn)(const char *key, void *ud);
/* Moves the cron_jobs rows of <state_dir>/state/openclaw.sqlite to the
 * keys fn gives (an imported state's rows carry its source's path, and a
 * release loads only its own key), one transaction; appends {from, to,
 * rows} to moved for each key moved. No database or no table: 0. */
int ck_cron_rekey(const char *state_dir, ck_cron_key_fn fn, void *ud, json_t *moved,
		  struct ck_error *err);

#endif
