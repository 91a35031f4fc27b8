/* `clawkeeper decisions`: list the model-fallback decisions in an
 * instance's gateway log (or in the files given), as an aligned table or
 * one JSON object per line, each with the finding it raises.
 *
 * Exit codes:
 *   0   the logs were read, whatever they record. Listing is a read, and
 *       `clawkeeper decisions --json | jq` must not fail because the log
 *       *records* a failure;
 *   1/2 only with --check: the worst finding decides, as for
 *       `clawkeeper health` (1 critical, e.g. DECISION_NO_FAILOVER;
 *       2 warning, e.g. FALLBACK_CHAIN_EXHAUSTED; 0 otherwise);
 *   3   a log could not be read (a --log file is missing or unreadable)
 *       or the instance could not be opened;
 *   64  usage error (bad option, bad --since), like the other commands.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clawkeeper/decision.h"
#include "clawkeeper/finding.h"
#include "clawkeeper/instance.h"
#include "clawkeeper/timeparse.h"
#include "commands.h"

#define TABLE_BATCH 1024 /* rows held to size the columns */
#define NCOLS 7

enum out_mode { OUT_TABLE, OUT_JSON };

struct row {
	char col[NCOLS][160];
};

struct out {
	enum out_mode mode;
	int summary_only;
	struct ck_decision_tally *tally;
	struct row *rows;
	size_t nrows;
	int width[NCOLS];
	int header_done;
	int any_inferred;
};

static const char *const col_names[NCOLS] = {
	"TIME", "DECISION", "REQUESTED", "CANDIDATE", "REASON", "NEXT", "FINDING"
};

static void
decisions_usage(FILE *out)
{
	fprintf(out,
		"usage: clawkeeper decisions [--state-dir D | --log FILE...] [--since T]\n"
		"                            [--json] [--summary] [--check]\n"
		"  --state-dir D  the instance whose gateway log (and rotations) to read\n"
		"                 (default: OPENCLAW_STATE_DIR, OPENCLAW_PROFILE, ~/.openclaw)\n"
		"  --log FILE...  read these files instead, oldest first ('-' is stdin)\n"
		"  --since T      only decisions at or after T: ISO 8601, epoch ms, 'all',\n"
		"                 or a duration like 30s, 15m, 2h, 7d; lines without a\n"
		"                 time are listed only without --since\n"
		"  --json         one JSON object per decision and line\n"
		"  --summary      print counts and findings instead of the decisions\n"
		"  --check        exit 1 on a critical finding, 2 on a warning\n");
}

/* One JSON line is built here and written with one fwrite: per-field
 * stdio calls each take the stream lock and cost more than the parse.
 * Fields are bounded (struct ck_decision), so the worst case, every
 * byte escaped as \u00XX, fits. */
struct line {
	char buf[8192];
	size_t len;
};

static void
put_raw(struct line *l, const char *s, size_t n)
{
	if (l->len + n < sizeof(l->buf)) {
		memcpy(l->buf + l->len, s, n);
		l->len += n;
	}
}

static void
put_lit(struct line *l, const char *s)
{
	put_raw(l, s, strlen(s));
}

/* JSON string body: fields are valid UTF-8 already (the parser makes
 * them so), only quotes, backslashes and control bytes need escapes. */
static void
put_json_str(struct line *l, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char esc[7] = "\\u00";

	put_raw(l, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			put_raw(l, esc, 2);
			esc[1] = 'u';
		} else if (c < 0x20) {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put_raw(l, esc, 6);
		} else if (l->len + 1 < sizeof(l->buf)) {
			l->buf[l->len++] = (char)c;
		}
	}
	put_raw(l, "\"", 1);
}

/* key is a literal without characters to escape */
static void
put_json_field(struct line *l, const char *key, const char *val)
{
	put_lit(l, ",\"");
	put_lit(l, key);
	put_lit(l, "\":");
	put_json_str(l, val);
}

static void
put_json_int(struct line *l, const char *key, long long v)
{
	char num[24], *p = num + sizeof(num);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
		(unsigned long long)v;

	*--p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	put_lit(l, ",\"");
	put_lit(l, key);
	put_lit(l, "\":");
	put_lit(l, p);
}

/* Same object as ck_decision_to_json() (a test holds them equal), written
 * directly: building a jansson tree per record would cost more than the
 * whole scan. */
static void
print_json(const struct ck_decision *d, FILE *f)
{
	const char *code = ck_decision_verdict_code(d->verdict);
	struct line l;

	l.len = 0;
	put_lit(&l, "{\"time\":");
	if (d->time[0] != '\0')
		put_json_str(&l, d->time);
	else
		put_lit(&l, "null");
	if (d->time_ms >= 0)
		put_json_int(&l, "time_ms", d->time_ms);
	else
		put_lit(&l, ",\"time_ms\":null");
	put_json_field(&l, "decision", d->decision);
	put_json_field(&l, "requested", d->requested);
	put_json_field(&l, "candidate", d->candidate);
	put_json_field(&l, "reason", d->reason);
	put_json_field(&l, "next", d->next);
	if (d->detail[0] != '\0')
		put_json_field(&l, "detail", d->detail);
	if (d->attempt > 0)
		put_json_int(&l, "attempt", d->attempt);
	if (d->total > 0)
		put_json_int(&l, "total", d->total);
	if (d->inferred)
		put_lit(&l, ",\"inferred\":true");
	if (code != NULL)
		put_json_field(&l, "finding", code);
	else
		put_lit(&l, ",\"finding\":null");
	put_lit(&l, "}\n");
	fwrite(l.buf, 1, l.len, f);
}

static void
flush_rows(struct out *o)
{
	size_t i;
	int c;

	if (!o->header_done && o->nrows > 0) {
		for (c = 0; c < NCOLS; c++)
			printf("%-*s%s", c < NCOLS - 1 ? o->width[c] : 0,
			       col_names[c], c < NCOLS - 1 ? "  " : "\n");
		o->header_done = 1;
	}
	for (i = 0; i < o->nrows; i++)
		for (c = 0; c < NCOLS; c++)
			printf("%-*s%s", c < NCOLS - 1 ? o->width[c] : 0,
			       o->rows[i].col[c], c < NCOLS - 1 ? "  " : "\n");
	o->nrows = 0;
}

/* Rows are held in batches so columns fit their contents; widths only
 * grow, so later batches stay aligned with earlier ones. */
static void
add_row(struct out *o, const struct ck_decision *d)
{
	const char *code = ck_decision_verdict_code(d->verdict);
	const char *vals[NCOLS] = {
		d->time[0] ? d->time : "-", d->decision[0] ? d->decision : "-",
		d->requested, d->candidate, d->reason, d->next[0] ? d->next : "-",
		code ? code : "-",
	};
	struct row *r = &o->rows[o->nrows++];
	int c;

	for (c = 0; c < NCOLS; c++) {
		int len;

		snprintf(r->col[c], sizeof(r->col[c]), "%s%s", vals[c],
			 c == 1 && d->inferred ? "*" : "");
		len = (int)strlen(r->col[c]);
		if (len > o->width[c])
			o->width[c] = len;
	}
	if (o->nrows == TABLE_BATCH)
		flush_rows(o);
}

static int
on_decision(const struct ck_decision *d, void *ud)
{
	struct out *o = ud;

	ck_decision_tally_add(o->tally, d);
	o->any_inferred |= d->inferred;
	if (o->summary_only)
		return 0;
	if (o->mode == OUT_JSON)
		print_json(d, stdout);
	else
		add_row(o, d);
	return 0;
}

static void
print_human_summary(json_t *sum, json_t *findings, int any_inferred)
{
	json_t *counts = json_object_get(sum, "counts"), *v, *f;
	const char *key, *sep = "";
	size_t i;

	printf("\n%lld decision(s)", (long long)json_integer_value(
		       json_object_get(sum, "total")));
	if (json_object_size(counts) > 0)
		printf(": ");
	json_object_foreach(counts, key, v) {
		printf("%s%lld %s", sep, (long long)json_integer_value(v), key);
		sep = ", ";
	}
	printf("\n");
	if (any_inferred)
		printf("* decision inferred: the line had no decision= field\n");
	json_array_foreach(findings, i, f) {
		printf("\n%s %s (%s)\n  %s\n",
		       json_string_value(json_object_get(f, "severity")),
		       json_string_value(json_object_get(f, "code")),
		       json_string_value(json_object_get(f, "surface")),
		       json_string_value(json_object_get(f, "message")));
		if (json_object_get(f, "fix") != NULL)
			printf("  fix: %s\n",
			       json_string_value(json_object_get(f, "fix")));
	}
}

static void
warn_stats(const struct ck_decision_stats *st)
{
	if (st->long_decision_lines > 0)
		fprintf(stderr, "clawkeeper decisions: skipped %llu decision line(s) "
			"longer than %d bytes\n", st->long_decision_lines,
			CK_DECISION_MAX_LINE);
	if (st->malformed > 0)
		fprintf(stderr, "clawkeeper decisions: %llu line(s) mentioned a "
			"fallback decision but could not be parsed\n", st->malformed);
}

struct args {
	const char *state_dir;
	const char **logs;
	size_t n_logs;
	const char *since;
	int json, summary, check;
};

static int
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' },
		{ "since", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "summary", no_argument, NULL, 'S' },
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i;

	a->logs = calloc((size_t)argc + 1, sizeof(*a->logs));
	if (a->logs == NULL)
		return -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': a->state_dir = optarg; break;
		case 'l': a->logs[a->n_logs++] = optarg; break;
		case 't': a->since = optarg; break;
		case 'j': a->json = 1; break;
		case 'S': a->summary = 1; break;
		case 'c': a->check = 1; break;
		case 'h': decisions_usage(stdout); return 1;
		default: decisions_usage(stderr); return -1;
		}
	}
	/* "--log a b c": getopt leaves b and c as operands */
	for (i = optind; i < argc; i++) {
		if (a->n_logs == 0) {
			fprintf(stderr, "clawkeeper decisions: unexpected '%s' "
				"(log files go after --log)\n", argv[i]);
			return -1;
		}
		a->logs[a->n_logs++] = argv[i];
	}
	if (a->state_dir != NULL && a->n_logs > 0) {
		fprintf(stderr, "clawkeeper decisions: --state-dir and --log "
			"exclude each other\n");
		return -1;
	}
	return 0;
}

static int
parse_since(const char *since, long long *since_ms)
{
	struct timespec ts;

	*since_ms = -1;
	if (since == NULL || strcmp(since, "all") == 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ck_time_parse(since, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
			  since_ms) < 0) {
		fprintf(stderr, "clawkeeper decisions: --since '%s': expected ISO "
			"8601 (2026-11-23T20:58:35Z), epoch ms, 'all', or a duration "
			"like 30s, 15m, 2h, 7d\n", since);
		return -1;
	}
	return 0;
}

static int
report(struct out *o, const struct args *a, const struct ck_decision_stats *st)
{
	json_t *findings = json_array(), *sum;
	int rc = 0;

	sum = findings ? ck_decision_tally_summary(o->tally, st, findings) : NULL;
	if (sum == NULL) {
		fprintf(stderr, "clawkeeper decisions: out of memory\n");
		json_decref(findings);
		return 3;
	}
	if (a->summary && a->json) {
		json_object_set(sum, "findings", findings);
		json_dumpf(sum, stdout, JSON_COMPACT);
		putchar('\n');
	} else if (!a->json) {
		flush_rows(o);
		print_human_summary(sum, findings, o->any_inferred);
	}
	if (a->check)
		rc = ck_status_exit_code(ck_findings_worst(findings));
	json_decref(sum);
	json_decref(findings);
	return rc;
}

static int
scan(const struct args *a, long long since_ms, struct out *o,
     struct ck_decision_stats *st)
{
	struct ck_instance_opts iopts;
	struct ck_instance inst;
	struct ck_error err;
	int rc;

	if (a->n_logs > 0) {
		rc = ck_decision_scan_ex(a->logs, a->n_logs, since_ms, 0, NULL,
					 on_decision, o, st, &err);
	} else {
		memset(&iopts, 0, sizeof(iopts));
		iopts.state_dir = a->state_dir;
		if (ck_instance_open(&iopts, &inst, &err) < 0) {
			fprintf(stderr, "clawkeeper decisions: %s\n", err.msg);
			return -1;
		}
		if (inst.n_logs == 0)
			fprintf(stderr, "clawkeeper decisions: no gateway log yet "
				"(looked for %s)\n", inst.log_file ? inst.log_file : "?");
		/* rotation can remove a file between discovery and reading */
		rc = ck_decision_scan_ex((const char *const *)inst.log_paths,
					 inst.n_logs, since_ms, 1, NULL,
					 on_decision, o, st, &err);
		ck_instance_close(&inst);
	}
	if (rc < 0) {
		fprintf(stderr, "clawkeeper decisions: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int
ck_cmd_decisions(int argc, char **argv)
{
	static char obuf[1 << 16];
	struct ck_decision_stats st;
	struct args a;
	struct out o;
	long long since_ms;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&o, 0, sizeof(o));
	rc = parse_args(argc, argv, &a);
	if (rc != 0 || parse_since(a.since, &since_ms) < 0) {
		free(a.logs);
		return rc > 0 ? 0 : 64;
	}
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	o.mode = a.json ? OUT_JSON : OUT_TABLE;
	o.summary_only = a.summary;
	o.tally = ck_decision_tally_new();
	o.rows = a.json ? NULL : calloc(TABLE_BATCH, sizeof(*o.rows));
	if (o.tally == NULL || (!a.json && o.rows == NULL)) {
		fprintf(stderr, "clawkeeper decisions: out of memory\n");
		rc = 3;
	} else if (scan(&a, since_ms, &o, &st) < 0) {
		rc = 3;
	} else {
		warn_stats(&st);
		rc = report(&o, &a, &st);
	}
	fflush(stdout);
	ck_decision_tally_free(o.tally);
	free(o.rows);
	free(a.logs);
	return rc;
}
