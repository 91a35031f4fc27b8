/* libFuzzer target for the SQLite readers (common/sqlite_ro.c and the
 * stores read through it: credentials in state/openclaw.sqlite and the
 * agent's openclaw-agent.sqlite, cron jobs): the bytes are written to the
 * files an instance would hold and opened as databases. Garbage,
 * truncated pages and hostile schemas (views, virtual tables, huge
 * values) give 1, 0 or -1 with a message, never a crash or a hang.
 * Seeds: tests/fuzz/corpus/sqlite/. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clawkeeper/credentials.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/instance.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char *state_db, *agent_dir, *agent_db;

static void
setup(void)
{
	char *state;

	if (dir[0] != '\0')
		return;
	snprintf(dir, sizeof(dir), "/tmp/ck-fuzz-sqlite-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	state = ck_path_join(dir, "state");
	agent_dir = ck_path_join(dir, "agents/main/agent");
	state_db = ck_path_join(dir, "state/openclaw.sqlite");
	agent_db = ck_path_join(dir, "agents/main/agent/openclaw-agent.sqlite");
	if (state == NULL || agent_dir == NULL || state_db == NULL || agent_db == NULL ||
	    mkdir(state, 0700) < 0 || ck_mkdir_p(agent_dir, 0700, NULL) < 0)
		abort();
	free(state);
}

static void
put(const char *path, const uint8_t *data, size_t size)
{
	static const char *const sides[] = { "-wal", "-shm", "-journal" };
	char side[512];
	size_t i;
	int fd;

	for (i = 0; i < 3; i++) {
		snprintf(side, sizeof(side), "%s%s", path, sides[i]);
		unlink(side);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
}

static void
check(int rc, json_t *store, json_t *state, const struct ck_error *err)
{
	if (rc < -1 || rc > 1)
		abort();
	if (rc == -1 && (err->msg[0] == '\0' || store != NULL))
		abort();
	if (rc == 1 && !json_is_object(store))
		abort();
	if (state != NULL && !json_is_object(state))
		abort();
	json_decref(store);
	json_decref(state);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_instance inst;
	struct ck_error err;
	json_t *store, *state, *jobs;
	int rc;

	setup();
	put(state_db, data, size);
	put(agent_db, data, size);
	ck_error_clear(&err);
	rc = ck_credentials_read_sqlite(dir, state_db, &store, &state, &err);
	check(rc, store, state, &err);
	ck_error_clear(&err);
	rc = ck_credentials_read_agent_db(dir, agent_dir, &store, &state, &err);
	check(rc, store, state, &err);
	/* Cron jobs as a 2026.6.1+ instance reads them from the same file. */
	memset(&inst, 0, sizeof(inst));
	inst.state_dir = dir;
	inst.version = (char *)"2026.9.6";
	ck_error_clear(&err);
	jobs = ck_cron_jobs_load(&inst, &err);
	if (jobs == NULL && err.msg[0] == '\0')
		abort();
	json_decref(jobs);
	return 0;
}
