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

#endif
