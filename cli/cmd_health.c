/* `clawkeeper health`: one instance's config, credential, decision-log
 * and lock health. Exit 0 ok, 2 warning, 1 critical (like
 * `openclaw models status --check`), 64 usage, 3 when nothing could be read. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clawkeeper/finding.h"
#include "clawkeeper/health.h"
#include "clawkeeper/timeparse.h"
#include "commands.h"

static void
health_usage(FILE *out)
{
	fprintf(out,
		"usage: clawkeeper health [--state-dir D] [--config F] [--settings S]\n"
		"                         [--openclaw CMD] [--log FILE] [--since T]\n"
		"                         [--fix-locks] [--json]\n"
		"  --since T   decision-log window: ISO 8601, epoch ms, or 30m/2h/7d (default 24h)\n");
}

static const char *
str_or(json_t *v, const char *dflt)
{
	const char *s = json_string_value(v);

	return s ? s : dflt;
}

static void
print_findings(json_t *findings)
{
	size_t i;
	json_t *f;

	if (json_array_size(findings) == 0) {
		printf("\nNo findings.\n");
		return;
	}
	printf("\nFindings:\n");
	json_array_foreach(findings, i, f) {
		printf("  %-8s %-30s %s\n", str_or(json_object_get(f, "severity"), "?"),
		       str_or(json_object_get(f, "code"), "?"),
		       str_or(json_object_get(f, "surface"), ""));
		printf("           %s\n", str_or(json_object_get(f, "message"), ""));
		if (json_object_get(f, "fix") != NULL)
			printf("           fix: %s\n", str_or(json_object_get(f, "fix"), ""));
	}
}

static void
print_credentials(json_t *creds)
{
	size_t i;
	json_t *c;

	printf("\nCredentials:\n");
	if (json_array_size(creds) == 0)
		printf("  (no profiles)\n");
	json_array_foreach(creds, i, c) {
		printf("  %-14s %-28s %-8s %-9s %-24s %s\n",
		       str_or(json_object_get(c, "provider"), "-"),
		       str_or(json_object_get(c, "profile"), "-"),
		       str_or(json_object_get(c, "type"), "-"),
		       str_or(json_object_get(c, "status"), "-"),
		       str_or(json_object_get(c, "expires_at"), "-"),
		       str_or(json_object_get(c, "fingerprint"), ""));
	}
}

static void
print_decisions(json_t *dec)
{
	json_t *counts = json_object_get(dec, "counts");
	const char *key;
	json_t *v;

	printf("\nDecision log (%s, %lld file(s) read):\n",
	       str_or(json_object_get(dec, "log_file"), "-"),
	       (long long)json_integer_value(json_object_get(dec, "files_read")));
	if (json_object_size(counts) == 0)
		printf("  no fallback decisions in the window\n");
	json_object_foreach(counts, key, v)
		printf("  %-22s %lld\n", key, (long long)json_integer_value(v));
}

static void
print_human(json_t *r)
{
	printf("Instance:  %s\n", str_or(json_object_get(r, "state_dir"), "-"));
	printf("Config:    %s\n", str_or(json_object_get(r, "config_path"), "-"));
	printf("Version:   %s (%s)\n", str_or(json_object_get(r, "version"), "unknown"),
	       str_or(json_object_get(r, "version_source"), "no source"));
	printf("Status:    %s\n", str_or(json_object_get(r, "status"), "?"));
	print_credentials(json_object_get(r, "credentials"));
	print_decisions(json_object_get(r, "decisions"));
	print_findings(json_object_get(r, "findings"));
}

int
ck_cmd_health(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "settings", required_argument, NULL, 's' },
		{ "openclaw", required_argument, NULL, 'o' },
		{ "log", required_argument, NULL, 'l' },
		{ "since", required_argument, NULL, 't' },
		{ "fix-locks", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ck_health_opts opts;
	const char *since = "24h";
	struct ck_error err;
	json_t *report;
	int json_out = 0, c, rc;

	memset(&opts, 0, sizeof(opts));
	optind = 1;
	for (;;) {
		c = getopt_long(argc, argv, "", longopts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'd': opts.inst.state_dir = optarg; break;
		case 'c': opts.inst.config_path = optarg; break;
		case 's': opts.settings_path = optarg; break;
		case 'o': opts.inst.openclaw_bin = optarg; break;
		case 'l': opts.inst.log_file = optarg; break;
		case 't': since = optarg; break;
		case 'f': opts.fix_locks = 1; break;
		case 'j': json_out = 1; break;
		case 'h': health_usage(stdout); return 0;
		default: health_usage(stderr); return 64;
		}
	}
	if (optind != argc) {
		health_usage(stderr);
		return 64;
	}
	opts.now_ms = (long long)time(NULL) * 1000;
	if (strcmp(since, "all") == 0) {
		opts.since_ms = -1;
	} else if (ck_time_parse(since, opts.now_ms, &opts.since_ms) < 0) {
		fprintf(stderr, "clawkeeper health: --since '%s': expected ISO 8601, "
			"epoch ms, 'all', or a duration like 30m, 2h, 7d\n", since);
		return 64;
	}
	ck_error_clear(&err);
	report = ck_health_report(&opts, &err);
	if (report == NULL) {
		fprintf(stderr, "clawkeeper health: %s\n", err.msg);
		return 3;
	}
	if (json_out) {
		json_dumpf(report, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		print_human(report);
	}
	rc = ck_status_exit_code(ck_findings_worst(json_object_get(report, "findings")));
	json_decref(report);
	return rc;
}
