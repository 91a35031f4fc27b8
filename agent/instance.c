/* Finding an OpenClaw instance on disk the way OpenClaw itself does:
 * state dir, config path, agents (both config shapes plus agents/<id>
 * dirs), the gateway file log with its rotations, and the version. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clawkeeper/release.h"
#include "clawkeeper/gateway.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/instance.h"
#include "clawkeeper/redact.h"
#include "clawkeeper/json5.h"
#include "clawkeeper/log.h"
#include "clawkeeper/spawn.h"
#include "clawkeeper/version.h"

#define LOG_ROTATIONS 5
#define VERSION_TIMEOUT_MS 30000

static char *
resolve_state_dir(const struct ck_instance_opts *opts)
{
	const char *env = getenv("OPENCLAW_STATE_DIR");
	const char *profile = getenv("OPENCLAW_PROFILE");
	const char *home = getenv("HOME");

	if (opts->state_dir != NULL)
		return strdup(opts->state_dir);
	if (env != NULL && *env != '\0')
		return strdup(env);
	if (home == NULL || *home == '\0')
		home = "/root";
	if (profile != NULL && *profile != '\0' && strcmp(profile, "default") != 0)
		return ck_strdup_printf("%s/.openclaw-%s", home, profile);
	return ck_strdup_printf("%s/.openclaw", home);
}

static char *
resolve_config_path(const struct ck_instance_opts *opts, const char *state_dir)
{
	const char *env = getenv("OPENCLAW_CONFIG_PATH");

	if (opts->config_path != NULL)
		return strdup(opts->config_path);
	/* An explicit --state-dir means "this instance": the environment's
	 * config path belongs to whatever instance the shell points at. */
	if (opts->state_dir == NULL && env != NULL && *env != '\0')
		return strdup(env);
	return ck_path_join(state_dir, "openclaw.json");
}

static int
add_agent(struct ck_instance *inst, const char *id)
{
	char **grown;
	size_t i;

	if (id == NULL || *id == '\0' || strchr(id, '/') != NULL)
		return 0;
	for (i = 0; i < inst->n_agents; i++)
		if (strcmp(inst->agent_ids[i], id) == 0)
			return 0;
	grown = realloc(inst->agent_ids, (inst->n_agents + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	inst->agent_ids = grown;
	inst->agent_ids[inst->n_agents] = strdup(id);
	if (inst->agent_ids[inst->n_agents] == NULL)
		return -1;
	inst->n_agents++;
	return 0;
}

static void
discover_agents(struct ck_instance *inst)
{
	json_t *agents = json_object_get(inst->config, "agents");
	json_t *list = json_object_get(agents, "list");
	json_t *entries = json_object_get(agents, "entries");
	const char *key;
	json_t *item;
	size_t i;
	char *dir;
	DIR *d;

	json_array_foreach(list, i, item)
		add_agent(inst, json_string_value(json_object_get(item, "id")));
	json_object_foreach(entries, key, item)
		add_agent(inst, key);
	dir = ck_path_join(inst->state_dir, "agents");
	d = dir ? opendir(dir) : NULL;
	for (;;) {
		struct dirent *de = d ? readdir(d) : NULL;

		if (de == NULL)
			break;
		if (de->d_name[0] != '.')
			add_agent(inst, de->d_name);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
}

/* A log in the state dir must not lead out of it (a link planted in the
 * instance, pointing at another one's log); one elsewhere is where the
 * host put it and must not lead out of its own directory. */
static int
log_confined(const struct ck_instance *inst, const char *path)
{
	char *dir = NULL;
	const char *root = inst->state_dir;
	int fd, out;

	if (root == NULL || !ck_path_within(path, root)) {
		dir = strdup(path);
		if (dir == NULL)
			return 0;
		root = dirname(dir);
	}
	fd = ck_open_beneath(root, path, O_PATH);
	out = fd < 0 && errno == EXDEV;
	if (out)
		ck_log_warn("gateway log %s resolves outside %s (a link leads out of "
			    "it); not read", path, root);
	if (fd >= 0)
		close(fd);
	free(dir);
	return !out;
}

static int
add_log(struct ck_instance *inst, const char *path)
{
	char **grown;

	if (!ck_file_exists(path) || !log_confined(inst, path))
		return 0;
	grown = realloc(inst->log_paths, (inst->n_logs + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	inst->log_paths = grown;
	inst->log_paths[inst->n_logs] = strdup(path);
	if (inst->log_paths[inst->n_logs] == NULL)
		return -1;
	inst->n_logs++;
	return 0;
}

/* Rotations first (.5 is the oldest), the live file last, so a scan
 * reads records in time order. */
static void
add_log_with_rotations(struct ck_instance *inst, const char *path)
{
	int i;

	for (i = LOG_ROTATIONS; i >= 1; i--) {
		char *rot = ck_strdup_printf("%s.%d", path, i);

		if (rot != NULL)
			add_log(inst, rot);
		free(rot);
	}
	add_log(inst, path);
}

char *
ck_instance_default_log(long long now_ms)
{
	time_t secs = (time_t)(now_ms / 1000);
	struct tm tm;

	localtime_r(&secs, &tm);
	return ck_strdup_printf("/tmp/openclaw/openclaw-%04d-%02d-%02d.log",
				tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static void
discover_logs(struct ck_instance *inst, const struct ck_instance_opts *opts)
{
	json_t *logging = json_object_get(inst->config, "logging");
	const char *file = json_string_value(json_object_get(logging, "file"));
	glob_t g;
	size_t i;

	if (opts->log_file != NULL)
		file = opts->log_file;
	if (file != NULL) {
		inst->log_file = strdup(file);
		add_log_with_rotations(inst, file);
		return;
	}
	inst->log_file = ck_instance_default_log((long long)time(NULL) * 1000);
	/* The default log is one file a day: read the days in order (the
	 * YYYY-MM-DD names sort by date). */
	if (glob("/tmp/openclaw/openclaw-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].log",
		 0, NULL, &g) != 0)
		return;
	for (i = 0; i < g.gl_pathc; i++)
		add_log_with_rotations(inst, g.gl_pathv[i]);
	globfree(&g);
}

/* "OpenClaw 2026.5.28 (e932160)" -> "2026.5.28" */
static char *
version_from_output(const char *out)
{
	const char *p = out;

	while (*p != '\0') {
		struct ck_version v;
		size_t n = strcspn(p, " \t\r\n()");
		char word[64];

		if (n > 0 && n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			if (ck_version_parse(word, &v) == 0)
				return strdup(word);
		}
		p += n;
		p += strspn(p, " \t\r\n()");
	}
	return NULL;
}

static void
discover_version(struct ck_instance *inst)
{
	json_t *meta = json_object_get(inst->config, "meta");
	const char *touched = json_string_value(json_object_get(meta, "lastTouchedVersion"));
	struct ck_version v;

	if (inst->openclaw_bin != NULL) {
		static const char *const args[] = { "--version", NULL };
		char **argv = ck_argv_concat(inst->openclaw_argv, args);
		struct ck_spawn_result res;
		struct ck_error err;

		if (argv != NULL && ck_spawn(argv, NULL, VERSION_TIMEOUT_MS, &res, &err) == 0) {
			if (res.exit_code == 0)
				inst->version = version_from_output(res.out);
			ck_spawn_result_free(&res);
		}
		free(argv);
		if (inst->version != NULL) {
			inst->version_source = "openclaw --version";
			return;
		}
	}
	if (touched != NULL && ck_version_parse(touched, &v) == 0) {
		inst->version = strdup(touched);
		inst->version_source = "meta.lastTouchedVersion";
	}
}

int
ck_instance_open(const struct ck_instance_opts *opts, struct ck_instance *inst,
		 struct ck_error *err)
{
	struct ck_error cerr;

	memset(inst, 0, sizeof(*inst));
	inst->openclaw_bin = opts->openclaw_bin;
	if (opts->openclaw_bin != NULL)
		inst->openclaw_argv = ck_release_resolve_argv(ck_gateway_argv_split(opts->openclaw_bin));
	inst->state_dir = resolve_state_dir(opts);
	if (inst->state_dir == NULL) {
		ck_error_set(err, "out of memory");
		return -1;
	}
	inst->config_path = resolve_config_path(opts, inst->state_dir);
	if (inst->config_path == NULL) {
		ck_error_set(err, "out of memory");
		ck_instance_close(inst);
		return -1;
	}
	ck_error_clear(&cerr);
	inst->config = ck_json5_load_file(inst->config_path, &cerr);
	if (inst->config == NULL) {
		inst->config_missing = !ck_file_exists(inst->config_path);
		if (inst->config_missing)
			snprintf(inst->config_error, sizeof(inst->config_error),
				 "%s: no such file", inst->config_path);
		else
			snprintf(inst->config_error, sizeof(inst->config_error),
				 "%s", cerr.msg);
	}
	discover_agents(inst);
	discover_logs(inst, opts);
	discover_version(inst);
	return 0;
}

void
ck_instance_close(struct ck_instance *inst)
{
	size_t i;

	for (i = 0; i < inst->n_agents; i++)
		free(inst->agent_ids[i]);
	for (i = 0; i < inst->n_logs; i++)
		free(inst->log_paths[i]);
	free(inst->agent_ids);
	free(inst->log_paths);
	free(inst->log_file);
	free(inst->version);
	ck_gateway_argv_free(inst->openclaw_argv);
	free(inst->config_path);
	free(inst->state_dir);
	json_decref(inst->config);
	memset(inst, 0, sizeof(*inst));
}

json_t *
ck_instance_agent_config(const struct ck_instance *inst, const char *agent_id)
{
	json_t *agents = json_object_get(inst->config, "agents");
	json_t *list = json_object_get(agents, "list");
	json_t *item;
	size_t i;

	json_array_foreach(list, i, item) {
		const char *id = json_string_value(json_object_get(item, "id"));

		if (id != NULL && strcmp(id, agent_id) == 0)
			return item;
	}
	return json_object_get(json_object_get(agents, "entries"), agent_id);
}

char *
ck_instance_agent_dir(const struct ck_instance *inst, const char *agent_id)
{
	json_t *conf = ck_instance_agent_config(inst, agent_id);
	const char *dir = json_string_value(json_object_get(conf, "agentDir"));

	/* A copied or imported instance can carry the agentDir of the
	 * machine it came from; the dir under this state dir wins then. */
	if (dir != NULL && ck_dir_exists(dir))
		return strdup(dir);
	return ck_strdup_printf("%s/agents/%s/agent", inst->state_dir, agent_id);
}

/* "~/x" against home; anything else as it is. Caller frees. */
static char *
expand_home(const char *p, const char *home)
{
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0') && home != NULL)
		return ck_strdup_printf("%s%s", home, p + 1);
	return strdup(p);
}

static void
add_workspace(json_t *out, const struct ck_instance *inst, const char *p, const char *home)
{
	char *abs;
	size_t i;
	json_t *v;

	if (p == NULL || p[0] == '\0')
		return;
	abs = expand_home(p, home);
	if (abs == NULL || abs[0] != '/' || !ck_dir_exists(abs) ||
	    ck_path_within(abs, inst->state_dir)) {
		free(abs);
		return;
	}
	json_array_foreach(out, i, v)
		if (ck_path_within(abs, json_string_value(v)) ||
		    ck_path_within(json_string_value(v), abs)) {
			free(abs);
			return;
		}
	json_array_append_new(out, json_string(abs));
	free(abs);
}

json_t *
ck_instance_workspaces(const struct ck_instance *inst, const char *home)
{
	json_t *agents = json_object_get(inst->config, "agents");
	json_t *out = json_array();
	const char *defaults_ws;
	const char *key;
	json_t *it;
	size_t i;

	if (home == NULL)
		home = getenv("HOME");
	defaults_ws = json_string_value(json_object_get(json_object_get(agents, "defaults"),
							"workspace"));
	if (defaults_ws == NULL) {
		/* OpenClaw's default: under the account home, not the state dir. */
		char *dflt = home ? ck_path_join(home, ".openclaw/workspace") : NULL;

		add_workspace(out, inst, dflt, home);
		free(dflt);
	} else {
		add_workspace(out, inst, defaults_ws, home);
	}
	json_array_foreach(json_object_get(agents, "list"), i, it)
		add_workspace(out, inst, json_string_value(json_object_get(it, "workspace")), home);
	json_object_foreach(json_object_get(agents, "entries"), key, it)
		add_workspace(out, inst, json_string_value(json_object_get(it, "workspace")), home);
	return out;
}

enum ck_config_shown
ck_instance_config_show(const struct ck_instance_opts *opts, json_t **out,
    struct ck_error *err)
{
	struct ck_instance_opts files = *opts;
	struct ck_instance inst;
	enum ck_config_shown r = CK_CONFIG_SHOWN;

	*out = NULL;
	files.openclaw_bin = NULL;
	if (ck_instance_open(&files, &inst, err) != 0)
		return CK_CONFIG_NO_INSTANCE;
	if (inst.config == NULL) {
		if (inst.config_missing) {
			ck_error_set(err, "%s does not exist", inst.config_path);
			r = CK_CONFIG_MISSING;
		} else {
			ck_error_set(err, "%s", inst.config_error);
			r = CK_CONFIG_UNREADABLE;
		}
	} else {
		*out = json_pack("{s:s, s:s?, s:o?}", "path", inst.config_path,
		    "version", inst.version, "config", ck_redact(inst.config));
		if (*out == NULL) {
			ck_error_set(err, "out of memory");
			r = CK_CONFIG_UNREADABLE;
		}
	}
	ck_instance_close(&inst);
	return r;
}
