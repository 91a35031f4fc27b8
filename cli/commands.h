/* The clawkeeper subcommands. Each lives in cli/cmd_<name>.c and returns
 * the process exit code. */
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

#endif
