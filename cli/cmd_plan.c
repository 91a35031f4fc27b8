/* `clawkeeper plan`: a dry run of the config generator. Shows what a
 * regenerate would do to each model reference, and the diff of the live
 * config; writes nothing. Exit 0 clean, 2 when the plan holds warnings,
 * 3 when an input cannot be read, 64 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/compat.h"
#include "clawkeeper/cron.h"
#include "clawkeeper/generate.h"
#include "clawkeeper/instance.h"
#include "clawkeeper/settings.h"
#include "clawkeeper/version.h"
#include "commands.h"

#define VALUE_SHOWN_MAX 100

static void
plan_usage(FILE *out)
{
	fprintf(out,
		"usage: clawkeeper plan --settings S [--state-dir D] [--config F]\n"
		"                       [--openclaw CMD] [--target-version V]\n"
		"                       [--no-fetch] [--show-config] [--json]\n"
		"  --target-version V  shape to generate for (default: the instance's\n"
		"                      version, from BIN --version or meta.lastTouchedVersion)\n"
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
		case 'v': a->target = optarg; break;
		case 'n': a->no_fetch = 1; break;
		case 'C': a->show_config = 1; break;
		case 'j': a->json_out = 1; break;
		case 'h': plan_usage(stdout); return 0;
		default: plan_usage(stderr); return 64;
		}
	}
	if (optind != argc || a->settings_path == NULL) {
		if (a->settings_path == NULL)
			fprintf(stderr, "clawkeeper plan: --settings is required\n");
		plan_usage(stderr);
		return 64;
	}
	return -1; /* go on */
}

static void
print_result(const struct plan_args *a, const struct ck_instance *inst,
	     const char *target, const json_t *out, const json_t *plan,
	     const json_t *diff)
{
	struct ck_version v;
	int unified = ck_version_parse(target, &v) == 0 && ck_compat_has(target, CK_FEAT_UNIFIED_PROVIDER) == 1;
	json_t *doc;

	if (a->json_out) {
		doc = json_pack("{s:s, s:s, s:s, s:O, s:O, s:b}",
				"config_path", inst->config_path,
				"target_version", target,
				"shape", unified ? "unified" : "legacy",
				"plan", plan, "diff", diff,
				"warnings", ck_plan_has_warnings(plan));
		if (a->show_config)
			json_object_set_new(doc, "config", ck_config_redacted(out));
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
		return;
	}
	printf("Config:  %s\n", inst->config_path);
	printf("Target:  OpenClaw %s (%s provider shape)%s%s\n", target,
	       unified ? "unified" : "legacy per-agent runtime",
	       a->target ? "" : ", from ",
	       a->target ? "" : (inst->version_source ? inst->version_source : "?"));
	print_plan(plan);
	print_diff(diff);
	if (a->show_config) {
		char *text;

		doc = ck_config_redacted(out);
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
	struct ck_instance inst;
	struct ck_gen_opts gopts;
	struct ck_error err;
	json_t *settings = NULL, *out = NULL, *plan = NULL, *diff = NULL, *jobs = NULL;
	const char *target;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	ck_error_clear(&err);
	if (ck_instance_open(&a.inst, &inst, &err) < 0) {
		fprintf(stderr, "clawkeeper plan: %s\n", err.msg);
		return 3;
	}
	rc = 3;
	if (inst.config == NULL) {
		fprintf(stderr, "clawkeeper plan: %s\n", inst.config_error);
		goto done;
	}
	settings = ck_settings_load(a.settings_path, &err);
	if (settings == NULL) {
		fprintf(stderr, "clawkeeper plan: %s\n", err.msg);
		goto done;
	}
	target = a.target ? a.target : inst.version;
	if (target == NULL) {
		fprintf(stderr, "clawkeeper plan: %s: no meta.lastTouchedVersion; "
			"pass --target-version or --openclaw BIN\n", inst.config_path);
		goto done;
	}
	memset(&gopts, 0, sizeof(gopts));
	gopts.target_version = target;
	gopts.no_fetch = a.no_fetch;
	if (json_object_get(settings, "cron") != NULL &&
	    (jobs = ck_cron_jobs_load(&inst, &err)) == NULL) {
		fprintf(stderr, "clawkeeper plan: settings.cron: %s\n", err.msg);
		goto done;
	}
	gopts.cron_jobs = jobs;
	if (ck_generate(inst.config, settings, &gopts, &out, &plan, &err) < 0) {
		fprintf(stderr, "clawkeeper plan: %s\n", err.msg);
		goto done;
	}
	diff = ck_config_diff(inst.config, out);
	print_result(&a, &inst, target, out, plan, diff);
	rc = ck_plan_has_warnings(plan) ? 2 : 0;
done:
	json_decref(jobs);
	json_decref(diff);
	json_decref(plan);
	json_decref(out);
	json_decref(settings);
	ck_instance_close(&inst);
	return rc;
}
