/* `clawkeeper plan`: a dry run of the config generator. Shows what a
 * regenerate would do to each model reference, and the diff of the live
 * config; writes nothing. Exit 0 clean, 2 when the plan holds warnings,
 * 3 when an input cannot be read, 64 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/instance.h"
#include "clawkeeper/plan.h"
#include "commands.h"

#define VALUE_SHOWN_MAX 100

static void
plan_usage(FILE *out)
{
	fprintf(out,
		"usage: clawkeeper plan --settings S [--state-dir D] [--config F]\n"
		"                       [--openclaw CMD] [--target-version V]\n"
		"       clawkeeper plan --agent-config FILE [--settings S] [--target-version V]\n"
		"                       [--no-fetch] [--show-config] [--json]\n"
		"  --target-version V  shape to generate for (default: the instance's\n"
		"                      version, from BIN --version or meta.lastTouchedVersion)\n"
		"  --agent-config FILE the instance, release and settings of an agent config\n"
		"                      (the plan POST /v1/instance/config/plan gives)\n"
		"  --no-fetch          never ask a provider for its model listing\n"
		"  --show-config       also print the generated config (secrets fingerprinted)\n");
}

static const char *
str_or(const json_t *v, const char *dflt)
{
	const char *s = json_string_value(v);

	return s ? s : dflt;
}

static void
print_value(const json_t *v)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	if (text == NULL)
		return;
	if (strlen(text) > VALUE_SHOWN_MAX)
		printf("%.*s...", VALUE_SHOWN_MAX, text);
	else
		printf("%s", text);
	free(text);
}

static void
print_plan(const json_t *plan)
{
	json_t *e;
	size_t i;

	printf("\nModel references:\n");
	json_array_foreach(plan, i, e) {
		const char *to = json_string_value(json_object_get(e, "to"));
		const char *sev = str_or(json_object_get(e, "severity"), "info");

		printf("  %s %-16s %-9s %-9s %s%s%s\n",
		       strcmp(sev, "warning") == 0 ? "!" : " ",
		       str_or(json_object_get(e, "surface"), "-"),
		       str_or(json_object_get(e, "role"), "-"),
		       str_or(json_object_get(e, "action"), "-"),
		       str_or(json_object_get(e, "ref"), "-"),
		       to ? " -> " : "", to ? to : "");
		printf("      %s\n", str_or(json_object_get(e, "reason"), ""));
	}
}

static void
print_diff(const json_t *diff)
{
	json_t *e;
	size_t i;

	printf("\nConfig diff (%zu change%s):\n", json_array_size(diff),
	       json_array_size(diff) == 1 ? "" : "s");
	json_array_foreach(diff, i, e) {
		const char *op = str_or(json_object_get(e, "op"), "?");
		json_t *from = json_object_get(e, "from");
		json_t *to = json_object_get(e, "to");

		printf("  %c %s: ", op[0] == 'a' ? '+' : op[0] == 'r' ? '-' : '~',
		       str_or(json_object_get(e, "path"), "?"));
		if (from != NULL)
			print_value(from);
		if (from != NULL && to != NULL)
			printf(" -> ");
		if (to != NULL)
			print_value(to);
		printf("\n");
	}
}

struct plan_args {
	struct ck_instance_opts inst;
	const char *settings_path;
	const char *agent_config;
	const char *target;
	int no_fetch, show_config, json_out;
};

static int
parse_args(int argc, char **argv, struct plan_args *a)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "settings", required_argument, NULL, 's' },
		{ "openclaw", required_argument, NULL, 'o' },
		{ "agent-config", required_argument, NULL, 'a' },
		{ "target-version", required_argument, NULL, 'v' },
		{ "no-fetch", no_argument, NULL, 'n' },
		{ "show-config", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': a->inst.state_dir = optarg; break;
		case 'c': a->inst.config_path = optarg; break;
		case 's': a->settings_path = optarg; break;
		case 'o': a->inst.openclaw_bin = optarg; break;
		case 'a': a->agent_config = optarg; break;
		case 'v': a->target = optarg; break;
		case 'n': a->no_fetch = 1; break;
		case 'C': a->show_config = 1; break;
		case 'j': a->json_out = 1; break;
		case 'h': plan_usage(stdout); return 0;
		default: plan_usage(stderr); return 64;
		}
	}
	if (optind != argc || (a->settings_path == NULL && a->agent_config == NULL) ||
	    (a->agent_config != NULL && (a->inst.state_dir || a->inst.config_path ||
	    a->inst.openclaw_bin))) {
		if (a->settings_path == NULL && a->agent_config == NULL)
			fprintf(stderr, "clawkeeper plan: --settings or --agent-config is required\n");
		plan_usage(stderr);
		return 64;
	}
	return -1; /* go on */
}

static void
print_result(const struct plan_args *a, const struct ck_plan_result *r)
{
	const json_t *d = r->doc, *plan = json_object_get(d, "plan");
	const char *src = json_string_value(json_object_get(d, "version_source"));
	json_t *doc;

	if (a->json_out) {
		doc = json_deep_copy(d);
		if (a->show_config)
			json_object_set_new(doc, "config", ck_config_redacted(r->config));
		ck_cli_print_json(doc);
		json_decref(doc);
		return;
	}
	printf("Config:  %s\n", json_string_value(json_object_get(d, "config_path")));
	printf("Target:  OpenClaw %s (%s provider shape)%s%s\n",
	       json_string_value(json_object_get(d, "target_version")),
	       strcmp(json_string_value(json_object_get(d, "shape")), "unified") == 0 ?
	       "unified" : "legacy per-agent runtime",
	       a->target ? "" : ", from ", a->target ? "" : (src ? src : "?"));
	print_plan(plan);
	print_diff(json_object_get(d, "diff"));
	if (a->show_config) {
		char *text;

		doc = ck_config_redacted(r->config);
		text = ck_config_dump(doc);
		printf("\nGenerated config (secrets fingerprinted):\n%s", text ? text : "");
		free(text);
		json_decref(doc);
	}
	if (ck_plan_has_warnings(plan))
		printf("\nThe plan has warnings (marked !): read them before applying.\n");
}

int
ck_cmd_plan(int argc, char **argv)
{
	struct plan_args a;
	struct ck_plan_req pr = { 0 };
	struct ck_plan_result res;
	struct ck_agentconf *conf = NULL;
	struct ck_error err;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (a.agent_config != NULL) {
		/* the serving agent's instance, settings and release */
		conf = ck_cli_conf_load("plan", a.agent_config);
		if (conf == NULL)
			return 3;
		ck_agentconf_instance(conf, 1, &a.inst);
		if (a.settings_path == NULL)
			a.settings_path = conf->settings_path;
	}
	pr.inst = &a.inst;
	pr.settings_path = a.settings_path;
	pr.target_version = a.target;
	pr.no_fetch = a.no_fetch;
	if (ck_plan(&pr, &res, &err) != CK_PLAN_OK) {
		fprintf(stderr, "clawkeeper plan: %s\n", err.msg);
		rc = 3;
	} else {
		print_result(&a, &res);
		rc = json_is_true(json_object_get(res.doc, "warnings")) ? 2 : 0;
	}
	ck_plan_result_free(&res);
	if (conf != NULL)
		ck_agentconf_free(conf);
	return rc;
}
