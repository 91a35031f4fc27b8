/* Private to cli/: the clawkeeper subcommands. Each lives in
 * cli/cmd_<name>.c and returns the process exit code. */
#ifndef CK_CLI_COMMANDS_H
#define CK_CLI_COMMANDS_H

struct ck_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
	const char *summary;
};

int ck_cmd_health(int argc, char **argv);
int ck_cmd_decisions(int argc, char **argv);
int ck_cmd_drill(int argc, char **argv);
int ck_cmd_serve(int argc, char **argv);
int ck_cmd_call(int argc, char **argv);
int ck_cmd_keygen(int argc, char **argv);
int ck_cmd_config(int argc, char **argv);
int ck_cmd_plan(int argc, char **argv);
/* regenerate and upgrade share one implementation (argv[0] tells which). */
int ck_cmd_ops(int argc, char **argv);
int ck_cmd_import_stage(int argc, char **argv);
int ck_cmd_findings(int argc, char **argv);
int ck_cmd_settings(int argc, char **argv);
int ck_cmd_operations(int argc, char **argv);
/* agent and metrics ask the serving agent (cli/cmd_agent.c). */
int ck_cmd_agent(int argc, char **argv);

/* cli/conf.c: the agent config behind the instance commands. */
#include <jansson.h>
#include "clawkeeper/error.h"
#define CK_CLI_DEFAULT_CONFIG "/etc/clawkeeper/agent.json"
struct ck_agentconf;
struct ck_instance_opts;
/* opt (--config), else $CLAWKEEPER_CONFIG, else the default. */
const char *ck_cli_conf_path(const char *opt);
/* Loaded, or NULL after saying why on stderr ("clawkeeper CMD: ..."). */
struct ck_agentconf *ck_cli_conf_load(const char *cmd, const char *opt);
/* 0 when value (the config's field) is set; else -1 after saying which
 * config lacks it ("clawkeeper CMD: FILE has no FIELD"). */
int ck_cli_conf_require(const char *cmd, const char *opt, const char *value,
    const char *field);
/* Indented, in the document's order, then a newline. */
void ck_cli_print_json(const json_t *doc);
/* The serving agent's address from its config ("unix:/path" or
 * http://host:port), or NULL after saying why (a TLS listener: use call). */
char *ck_cli_agent_address(const char *cmd, const struct ck_agentconf *conf);
/* One request; the answer parsed as JSON (NULL with err when it is not),
 * *status its HTTP status (0 on a transport error). */
struct ck_client;
struct ck_request_out;
json_t *ck_cli_agent_call(const struct ck_client *cl, const struct ck_request_out *r,
    long *status, struct ck_error *err);
/* An operation record for a person: id, kind, state, restarts, then
 * (with_steps) one line per step (name, state, message), and the
 * result's message. */
void ck_cli_print_op(const json_t *op, int with_steps);

#endif
