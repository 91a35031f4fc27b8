/* clawkeeper: the per-instance agent of a managed OpenClaw fleet. This
 * file only dispatches to the subcommands in cli/cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct ck_command commands[] = {
	{ "health", ck_cmd_health, "report config, credential and failover health" },
	{ "decisions", ck_cmd_decisions, "print parsed model-fallback decision records" },
	{ "plan", ck_cmd_plan, "dry-run a config regenerate: the plan and a diff, writes nothing" },
	{ "regenerate", ck_cmd_ops, "rewrite the live config from the settings, one restart, verify" },
	{ "import", ck_cmd_ops, "install an uploaded OpenClaw backup as this instance, one restart, verify" },
	{ "upgrade", ck_cmd_ops, "move to a new OpenClaw version, one restart, verify, or roll back" },
	{ "drill", ck_cmd_drill, "prove failover: one real turn against a stub provider" },
	{ "serve", ck_cmd_serve, "run the authenticated HTTP API (systemd service)" },
	{ "call", ck_cmd_call, "send a signed request to an agent's API" },
	{ "keygen", ck_cmd_keygen, "write a new HMAC key file (mode 0600)" },
	{ "config", ck_cmd_config, "config check FILE | config show: validate an agent config; the live OpenClaw config" },
	{ "settings", ck_cmd_settings, "settings get | put FILE: the desired settings (compare-and-set on the ETag)" },
	{ "operations", ck_cmd_operations, "operations list | show ID: the operations journal" },
	{ "agent", ck_cmd_agent, "the serving agent's name, version, uptime and instance id" },
	{ "metrics", ck_cmd_agent, "the serving agent's /metrics (Prometheus text)" },
	{ "import-stage", ck_cmd_import_stage, "extract and lay out an OpenClaw backup into a staging dir" },
	{ "findings", ck_cmd_findings, "list every finding code: where it appears, severity, meaning" },
	{ NULL, NULL, NULL },
};

static void
usage(FILE *out)
{
	const struct ck_command *c;

	fprintf(out, "usage: clawkeeper <command> [options]\n\ncommands:\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->summary);
	fprintf(out, "\nclawkeeper <command> --help shows a command's options.\n");
}

int
main(int argc, char **argv)
{
	const struct ck_command *c;

	if (argc < 2) {
		usage(stderr);
		return 64;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("clawkeeper %s\n", CK_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, argv[1]) == 0)
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "clawkeeper: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 64;
}
