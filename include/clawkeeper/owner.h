/* What an agent owns for its instance while it serves: the instance lock
 * (one agent per instance), the supervised gateway's life across agents
 * (a pid file with the process's start time, adopted by the next agent
 * when the same process still leads its group; a clean stop ends it
 * unless gateway.keep_running) and the sweep of interrupted writes. */
#ifndef CK_OWNER_H
#define CK_OWNER_H

#include <sys/types.h>

#include "agentconf.h"
#include "error.h"

/* Takes <work_dir>/agent.lock into *fd (held until closed). 0 with
 * *fd = -1 when the config runs no operations (nothing to own); -1 with
 * err naming the holder when another agent has it. */
int ck_owner_lock(const struct ck_agentconf *c, int *fd, struct ck_error *err);
/* Adopts the gateway an earlier agent left serving, or ends the process
 * group its pid file names if that no longer leads its group; a pid
 * file naming another process is left alone. */
void ck_owner_adopt_gateway(struct ck_agentconf *c);
/* Starts the supervised gateway unless one was adopted, and records it. */
void ck_owner_start_gateway(struct ck_agentconf *c);
void ck_owner_record_gateway(const struct ck_agentconf *c, pid_t pid);
/* Stops the supervised gateway (and removes its pid file), or leaves it
 * serving for the next agent with gateway.keep_running. */
void ck_owner_stop_gateway(struct ck_agentconf *c);
/* Removes <file>.ck-tmp-<hex> left by interrupted atomic writes beside
 * the instance's files, older than a minute. */
void ck_owner_sweep_temp_files(const struct ck_agentconf *c);

#endif
