/* Decision log: a data-driven driver over tests/fixtures/decision/cases
 * (every real capture of 2026.5.28, 2026.6.1 and 2026.9.6, JSON file log
 * and console, plus hand-written bad input), read with several buffer
 * sizes; then time parsing, long lines, the summary and the CLI. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clawkeeper/decision.h"
#include "clawkeeper/timeparse.h"

#define CASES CK_FIXTURES "/decision/cases"
#define NOISY96 CK_FIXTURES "/openclaw/2026.9.6/decision/noisy-gateway-running/file-log.jsonl"
#define NOISY528 CK_FIXTURES "/openclaw/2026.5.28/decision/noisy-gateway-running/file-log.jsonl"
#define A528 CK_FIXTURES "/openclaw/2026.5.28/decision/a-primary-fails-fallback-succeeds/file-log.jsonl"
#define B528 CK_FIXTURES "/openclaw/2026.5.28/decision/b-primary-fails-no-fallbacks/file-log.jsonl"
#define B96CON CK_FIXTURES "/openclaw/2026.9.6/decision/b-primary-fails-no-fallbacks/console.stderr"

/* ---- small helpers -------------------------------------------------- */

struct sbuf {
	char *s;
	size_t len, cap;
};

static void
sb_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct sbuf b = { 0 };
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	sb_add(&b, "");
	while ((n = fread(chunk, 1, sizeof(chunk) - 1, f)) > 0) {
		chunk[n] = '\0';
		sb_add(&b, chunk);
	}
	fclose(f);
	return b.s;
}

static char *
case_file(const char *dir, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s/%s", CASES, dir, name);
	return slurp(path);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* ---- the case driver ------------------------------------------------ */

struct collect {
	struct sbuf rows;
	int leaked_secret;
	size_t n;
	json_t *objs;
};

static int
collect_cb(const struct ck_decision *d, void *ud)
{
	struct collect *c = ud;
	const char *code = ck_decision_verdict_code(d->verdict);
	char line[1024], tms[32];
	json_t *o = ck_decision_to_json(d);
	char *dump;

	assert_non_null(o);
	dump = json_dumps(o, JSON_COMPACT);
	assert_non_null(dump); /* also proves every field is valid UTF-8 */
	if (strstr(dump, "FAKE") != NULL)
		c->leaked_secret = 1;
	free(dump);
	if (c->objs != NULL)
		json_array_append(c->objs, o);
	json_decref(o);
	if (d->time_ms >= 0)
		snprintf(tms, sizeof(tms), "%lld", d->time_ms);
	else
		snprintf(tms, sizeof(tms), "-");
	snprintf(line, sizeof(line), "%s%s %s %s %s %s %s %s\n", d->decision,
		 d->inferred ? "*" : "", d->requested, d->candidate, d->reason,
		 d->next, code ? code : "none", tms);
	sb_add(&c->rows, line);
	c->n++;
	return 0;
}

struct tcase {
	char name[256];
	char *paths[16];
	size_t npaths;
	long long since_ms;
	char *expected, *error, *stats;
};

static void
case_load(const char *name, struct tcase *tc)
{
	char *inputs = case_file(name, "inputs"), *since = case_file(name, "since");
	char *save = NULL, *tok, buf[1024];

	memset(tc, 0, sizeof(*tc));
	snprintf(tc->name, sizeof(tc->name), "%s", name);
	if (inputs != NULL) {
		for (tok = strtok_r(inputs, "\n", &save); tok != NULL;
		     tok = strtok_r(NULL, "\n", &save)) {
			assert_true(tc->npaths < 16);
			snprintf(buf, sizeof(buf), "%s/%s", CK_FIXTURES, tok);
			tc->paths[tc->npaths++] = strdup(buf);
		}
	} else {
		snprintf(buf, sizeof(buf), "%s/%s/input.log", CASES, name);
		tc->paths[tc->npaths++] = strdup(buf);
	}
	free(inputs);
	tc->since_ms = -1;
	if (since != NULL) {
		since[strcspn(since, "\n")] = '\0';
		assert_int_equal(ck_time_parse(since, 0, &tc->since_ms), 0);
		free(since);
	}
	tc->expected = case_file(name, "expected");
	assert_non_null(tc->expected);
	tc->error = case_file(name, "error");
	if (tc->error != NULL)
		tc->error[strcspn(tc->error, "\n")] = '\0';
	tc->stats = case_file(name, "stats");
}

static void
case_free(struct tcase *tc)
{
	size_t i;

	for (i = 0; i < tc->npaths; i++)
		free(tc->paths[i]);
	free(tc->expected);
	free(tc->error);
	free(tc->stats);
}

/* "malformed N" / "long N" lines against what the scan counted. */
static int
stats_match(const struct tcase *tc, const struct ck_decision_stats *st)
{
	char key[32];
	unsigned long long want;
	const char *p = tc->stats;
	int n;

	while (p != NULL && sscanf(p, "%31s %llu%n", key, &want, &n) == 2) {
		unsigned long long got = strcmp(key, "malformed") == 0 ? st->malformed :
			strcmp(key, "long") == 0 ? st->long_lines : ~0ULL;

		if (got != want) {
			print_error("case %s: %s: want %llu, got %llu\n", tc->name,
				    key, want, got);
			return 0;
		}
		p += n;
	}
	return 1;
}

/* Runs one case with one read size; 1 when it passes. */
static int
run_case(const struct tcase *tc, size_t block)
{
	struct ck_decision_scan_opts opts = { block, 0 };
	struct ck_decision_stats st;
	struct collect c = { { 0 }, 0, 0, NULL };
	struct ck_error err = { { 0 } };
	int rc, ok = 1;

	sb_add(&c.rows, "");
	rc = ck_decision_scan_ex((const char *const *)tc->paths, tc->npaths,
				 tc->since_ms, 0, &opts, collect_cb, &c, &st, &err);
	if (tc->error != NULL) {
		if (rc != -1 || strstr(err.msg, tc->error) == NULL) {
			print_error("case %s: want an error naming '%s', got rc=%d '%s'\n",
				    tc->name, tc->error, rc, err.msg);
			ok = 0;
		}
	} else if (rc != 0) {
		print_error("case %s: scan failed: %s\n", tc->name, err.msg);
		ok = 0;
	} else if (strcmp(c.rows.s, tc->expected) != 0) {
		print_error("case %s (block %zu):\n--- expected\n%s--- got\n%s",
			    tc->name, block, tc->expected, c.rows.s);
		ok = 0;
	} else if (!stats_match(tc, &st)) {
		ok = 0;
	}
	if (c.leaked_secret) {
		print_error("case %s: a fixture secret reached the output\n", tc->name);
		ok = 0;
	}
	free(c.rows.s);
	return ok;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t
list_cases(char ***out)
{
	DIR *d = opendir(CASES);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		assert_non_null(names);
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	return n;
}

static void
test_cases(void **state)
{
	/* 0 is the real default; the tiny ones put every line, and the
	 * needle itself, across read boundaries. */
	static const size_t blocks[] = { 0, 1, 2, 3, 7, 61, 4096 };
	char **names;
	size_t n = list_cases(&names), i, b, failed = 0, real = 0;

	(void)state;
	assert_true(n >= 40);
	for (i = 0; i < n; i++) {
		struct tcase tc;

		case_load(names[i], &tc);
		if (strncmp(names[i], "2026.", 5) == 0)
			real++;
		for (b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
			if (!run_case(&tc, blocks[b])) {
				failed++;
				break;
			}
		}
		case_free(&tc);
		free(names[i]);
	}
	free(names);
	assert_true(real >= 30);
	assert_int_equal(failed, 0);
}

/* ---- parse_line directly -------------------------------------------- */

static void
test_parse_line_fields(void **state)
{
	char *all = slurp(NOISY96), *line;
	struct ck_decision d;
	int found = 0;

	(void)state;
	assert_non_null(all);
	for (line = strtok(all, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (!ck_decision_parse_line(line, strlen(line), &d))
			continue;
		if (++found != 4)
			continue;
		assert_string_equal(d.time, "2026-11-23T21:19:47.501+00:00");
		assert_int_equal(d.time_ms, 1795468787501LL);
		assert_string_equal(d.candidate, "anthropic/claude-sonnet-4-6");
		assert_string_equal(d.next, "ollama/llama3.1:8b");
		assert_int_equal(d.attempt, 2);
		assert_int_equal(d.total, 3);
		assert_int_equal(d.inferred, 0);
		assert_non_null(strstr(d.detail, "token_expired"));
	}
	assert_int_equal(found, 5);
	free(all);

	/* junk and near misses are "not a decision", never a crash */
	assert_int_equal(ck_decision_parse_line("", 0, &d), 0);
	assert_int_equal(ck_decision_parse_line("{", 1, &d), 0);
	assert_int_equal(ck_decision_parse_line("model fallback decision:", 24, &d), 0);
	assert_int_equal(d.time_ms, -1);
	assert_string_equal(d.decision, "");
	/* the length is honoured: a record cut by len is not a record */
	line = "model fallback decision: decision=candidate_failed requested=a/b "
	       "candidate=a/b reason=auth next=none";
	assert_int_equal(ck_decision_parse_line(line, strlen(line), &d), 1);
	assert_int_equal(d.verdict, CK_VERDICT_NO_FAILOVER);
	assert_int_equal(ck_decision_parse_line(line, 30, &d), 0);
	assert_string_equal(ck_decision_verdict_code(CK_VERDICT_NO_FAILOVER),
			    "DECISION_NO_FAILOVER");
	assert_string_equal(ck_decision_verdict_code(CK_VERDICT_CHAIN_EXHAUSTED),
			    "FALLBACK_CHAIN_EXHAUSTED");
	assert_null(ck_decision_verdict_code(CK_VERDICT_NONE));
}

static void
test_detail_scrubbed(void **state)
{
	const char *line = "model fallback decision: decision=candidate_failed "
		"requested=openai/gpt-5.5 candidate=openai/gpt-5.5 reason=auth "
		"next=none detail=Incorrect API key provided: sk-FAKE-local-key. "
		"Bearer FAKE-gateway-token-0123456789abcdef0123456789abcdef end";
	struct ck_decision d;

	(void)state;
	assert_int_equal(ck_decision_parse_line(line, strlen(line), &d), 1);
	assert_null(strstr(d.detail, "FAKE"));
	assert_non_null(strstr(d.detail, "Incorrect API key provided: sha256:"));
	assert_non_null(strstr(d.detail, " end"));
}

/* ---- time ------------------------------------------------------------ */

static void
test_time_parse(void **state)
{
	static const struct {
		const char *in;
		int ok;
		long long want;
	} t[] = {
		{ "2026-11-23T20:58:35.906+00:00", 1, 1795467515906LL },
		{ "2026-11-23T20:58:35.906Z", 1, 1795467515906LL },
		{ "2026-11-23T21:58:35.906+01:00", 1, 1795467515906LL },
		{ "2026-11-23T15:28:35.906-0530", 1, 1795467515906LL },
		{ "2026-11-23T20:58:35Z", 1, 1795467515000LL },
		{ "2026-11-23T20:58Z", 1, 1795467480000LL },
		{ "2026-11-23 20:58:35.9", 1, 1795467515900LL },
		{ "2026-11-23", 1, 1795392000000LL },
		{ "2024-02-29T00:00:00Z", 1, 1709164800000LL },
		{ "1795467515906", 1, 1795467515906LL },
		{ "30s", 1, 2000000000000LL - 30000 },
		{ "15m", 1, 2000000000000LL - 900000 },
		{ "2h", 1, 2000000000000LL - 7200000 },
		{ "7d", 1, 2000000000000LL - 604800000 },
		{ "", 0, 0 }, { "x", 0, 0 }, { "15", 1, 15 }, { "15x", 0, 0 },
		{ "m", 0, 0 }, { "-5m", 0, 0 }, { "2026-13-01", 0, 0 },
		{ "2025-02-29", 0, 0 }, { "2026-11-23T25:00Z", 0, 0 },
		{ "2026-11-23T20:58:35+0", 0, 0 }, { "2026-11-23T20:58:35.Z", 0, 0 },
		{ "2026-11-23T", 0, 0 }, { "2026-11-23T20:58:35Zjunk", 0, 0 },
		{ "99999999999999999999999", 0, 0 }, { "99999999999999d", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		long long got = -42;
		int rc = ck_time_parse(t[i].in, 2000000000000LL, &got);

		if (rc != (t[i].ok ? 0 : -1) || (t[i].ok && got != t[i].want))
			fail_msg("ck_time_parse(\"%s\") = %d, %lld; want %s %lld",
				 t[i].in, rc, got, t[i].ok ? "ok" : "error", t[i].want);
	}
}

/* ---- long lines, odd endings, stops ---------------------------------- */

static int
count_cb(const struct ck_decision *d, void *ud)
{
	(void)d;
	(*(int *)ud)++;
	return 0;
}

static int
stop_cb(const struct ck_decision *d, void *ud)
{
	(void)d;
	(*(int *)ud)++;
	return 1;
}

/* A 10 MB line naming a decision (needle straddling a read), a
 * 10 MB line without one, and good records around them. */
static void
test_long_lines(void **state)
{
	static const size_t blocks[] = { 0, 4096, 1 << 20 };
	const char *good = "\x1b[33mmodel fallback decision: decision=candidate_failed "
		"requested=a/b candidate=a/b reason=auth next=c/d\x1b[39m\n";
	char path[] = "/tmp/ck-decision-long-XXXXXX";
	size_t big = 10 * 1024 * 1024, i, glen = strlen(good), off = 0;
	char *data = malloc(3 * glen + 2 * big + 2);
	const char *paths[1] = { path };
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_non_null(data);
	memcpy(data + off, good, glen), off += glen;
	memset(data + off, 'x', big);
	/* past the first MiB, so the reader is already skipping, and 10
	 * bytes before a read boundary of every block size below */
	memcpy(data + 3 * 1024 * 1024 - 10, "model fallback decision: requested=x", 36);
	off += big;
	data[off++] = '\n';
	memcpy(data + off, good, glen), off += glen;
	memset(data + off, '{', big), off += big;
	data[off++] = '\n';
	memcpy(data + off, good, glen - 1), off += glen - 1; /* no final \n */
	write_file(path, data, off);
	free(data);

	for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		struct ck_decision_scan_opts opts = { blocks[i], 0 };
		struct ck_decision_stats st;
		struct ck_error err;
		int n = 0;

		assert_int_equal(ck_decision_scan_ex(paths, 1, -1, 0, &opts, count_cb,
						     &n, &st, &err), 0);
		assert_int_equal(n, 3);
		assert_int_equal(st.long_lines, 2);
		assert_int_equal(st.long_decision_lines, 1);
		assert_int_equal(st.bytes, 3 * glen + 2 * big + 1);
	}
	unlink(path);
}

/* A smaller line cap skips the 9.6 JSON records (about 1.4-3 KB each) but
 * still reads the file to its end. */
static void
test_small_line_cap(void **state)
{
	const char *paths[2] = { NOISY96, B96CON };
	struct ck_decision_scan_opts opts = { 100, 1000 };
	struct ck_decision_stats st;
	struct ck_error err;
	int n = 0;

	(void)state;
	assert_int_equal(ck_decision_scan_ex(paths, 2, -1, 0, &opts, count_cb, &n,
					     &st, &err), 0);
	assert_int_equal(n, 1); /* the console line of b */
	assert_int_equal(st.long_decision_lines, 5);
	assert_int_equal(st.files, 2);
}

static void
test_stop_and_missing(void **state)
{
	const char *paths[3] = { CASES "/nope.log", NOISY528, NOISY96 };
	struct ck_error err;
	int n = 0;

	(void)state;
	assert_int_equal(ck_decision_scan(paths, 3, -1, 1, stop_cb, &n, &err), 1);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(ck_decision_scan(paths, 3, -1, 1, count_cb, &n, &err), 0);
	assert_int_equal(n, 11);
	assert_int_equal(ck_decision_scan(paths, 3, -1, 0, count_cb, &n, &err), -1);
	assert_non_null(strstr(err.msg, "nope.log"));
	/* a directory is not a log */
	paths[0] = CASES;
	assert_int_equal(ck_decision_scan(paths, 1, -1, 1, count_cb, &n, &err), -1);
	assert_non_null(strstr(err.msg, CASES));
}

/* ---- summary ---------------------------------------------------------- */

static json_t *
finding(json_t *findings, const char *code)
{
	size_t i;
	json_t *f;

	json_array_foreach(findings, i, f)
		if (strcmp(json_string_value(json_object_get(f, "code")), code) == 0)
			return f;
	return NULL;
}

static void
test_summary(void **state)
{
	const char *paths[2] = { A528, NOISY528 };
	json_t *findings = json_array(), *sum, *f;
	struct ck_error err;
	const char *msg;

	(void)state;
	sum = ck_decision_summary(paths, 2, -1, findings, &err);
	assert_non_null(sum);
	assert_int_equal(json_integer_value(json_object_get(sum, "total")), 8);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum,
		"counts"), "candidate_failed")), 6);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum,
		"counts"), "candidate_succeeded")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum,
		"reasons"), "auth")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum,
		"reasons"), "timeout")), 1);
	assert_null(json_object_get(json_object_get(sum, "reasons"), "unknown"));
	assert_int_equal(json_integer_value(json_object_get(sum, "no_failover")), 1);
	assert_int_equal(json_integer_value(json_object_get(sum, "exhausted")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(sum,
		"last"), "candidate")), "ollama/llama3.1:8b");
	assert_int_equal(json_array_size(findings), 2);

	f = finding(findings, "DECISION_NO_FAILOVER");
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(f, "surface")), "defaults");
	msg = json_string_value(json_object_get(f, "message"));
	assert_non_null(strstr(msg, "1 time(s)"));
	assert_non_null(strstr(msg, "2026-11-23T21:17:46.957+00:00"));
	assert_non_null(strstr(json_string_value(json_object_get(f, "fix")),
			       "fallbacks"));
	f = finding(findings, "FALLBACK_CHAIN_EXHAUSTED");
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "warning");
	assert_non_null(strstr(json_string_value(json_object_get(f, "message")),
			       "ollama/llama3.1:8b (reason=timeout)"));
	json_decref(sum);
	json_decref(findings);

	/* a healthy log raises nothing; a window after it sees nothing */
	findings = json_array();
	sum = ck_decision_summary(paths, 1, -1, findings, &err);
	assert_non_null(sum);
	assert_int_equal(json_array_size(findings), 0);
	json_decref(sum);
	sum = ck_decision_summary(paths, 2, 1795469000000LL, findings, &err);
	assert_non_null(sum);
	assert_int_equal(json_integer_value(json_object_get(sum, "total")), 0);
	assert_true(json_is_null(json_object_get(sum, "last")));
	assert_int_equal(json_array_size(findings), 0);
	json_decref(sum);
	json_decref(findings);
}

/* ---- the CLI ---------------------------------------------------------- */

static int
run_cli(const char *args, char **out)
{
	char cmd[4096], outpath[] = "/tmp/ck-decision-out-XXXXXX";
	int fd = mkstemp(outpath), st;

	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s decisions %s > %s 2>/dev/null", CK_BIN,
		 args, outpath);
	st = system(cmd);
	*out = slurp(outpath);
	unlink(outpath);
	assert_non_null(*out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The CLI's --json lines are the library's ck_decision_to_json(), for
 * every case. */
static void
test_cli_json_matches_library(void **state)
{
	char **names;
	size_t n = list_cases(&names), i, k;

	(void)state;
	for (i = 0; i < n; i++) {
		struct tcase tc;
		struct collect c = { { 0 }, 0, 0, json_array() };
		struct ck_error err;
		char args[3072] = "--json --log", *out, *line, *save = NULL;
		int rc;

		case_load(names[i], &tc);
		for (k = 0; k < tc.npaths; k++) {
			strcat(args, " ");
			strcat(args, tc.paths[k]);
		}
		if (tc.since_ms >= 0)
			snprintf(args + strlen(args), sizeof(args) - strlen(args),
				 " --since %lld", tc.since_ms);
		sb_add(&c.rows, "");
		rc = ck_decision_scan((const char *const *)tc.paths, tc.npaths,
				      tc.since_ms, 0, collect_cb, &c, &err);
		assert_int_equal(run_cli(args, &out), tc.error ? 3 : 0);
		assert_int_equal(rc, tc.error ? -1 : 0);
		assert_null(strstr(out, "FAKE"));
		k = 0;
		for (line = strtok_r(out, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save), k++) {
			json_t *got = json_loads(line, 0, NULL);

			assert_non_null(got);
			if (!json_equal(got, json_array_get(c.objs, k)))
				fail_msg("case %s line %zu: CLI %s", tc.name, k, line);
			json_decref(got);
		}
		assert_int_equal(k, c.n);
		free(out);
		free(c.rows.s);
		json_decref(c.objs);
		case_free(&tc);
		free(names[i]);
	}
	free(names);
}

static void
test_cli_exit_codes(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run_cli("--log " B528, &out), 0);
	free(out);
	assert_int_equal(run_cli("--check --log " B528, &out), 1);
	free(out);
	assert_int_equal(run_cli("--check --log " NOISY96, &out), 2);
	free(out);
	assert_int_equal(run_cli("--check --log " A528, &out), 0);
	free(out);
	assert_int_equal(run_cli("--log /nonexistent/gw.log", &out), 3);
	free(out);
	assert_int_equal(run_cli("--since yesterday --log " A528, &out), 64);
	free(out);
	assert_int_equal(run_cli("--state-dir /tmp --log " A528, &out), 64);
	free(out);
	assert_int_equal(run_cli("--bogus", &out), 64);
	free(out);
	assert_int_equal(run_cli("stray-operand", &out), 64);
	free(out);
	assert_int_equal(run_cli("--help", &out), 0);
	assert_non_null(strstr(out, "--since"));
	free(out);
}

static void
test_cli_table(void **state)
{
	char *out, *line, *save = NULL;
	size_t col = 0, rows = 0;

	(void)state;
	assert_int_equal(run_cli("--log " A528 " " NOISY528, &out), 0);
	assert_non_null(strstr(out, "DECISION_NO_FAILOVER"));
	assert_non_null(strstr(out, "FALLBACK_CHAIN_EXHAUSTED"));
	assert_non_null(strstr(out, "8 decision(s): 6 candidate_failed, 2 candidate_succeeded"));
	assert_non_null(strstr(out, "fix: "));
	/* aligned: REQUESTED starts at the same column on every row */
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "TIME", 4) == 0) {
			col = (size_t)(strstr(line, "REQUESTED") - line);
			continue;
		}
		if (col == 0 || strncmp(line, "2026-", 5) != 0)
			continue;
		assert_int_equal((size_t)(strstr(line, "openai/gpt-5.5") - line), col);
		rows++;
	}
	assert_int_equal(rows, 8);
	free(out);
}

static void
test_cli_summary_and_stdin(void **state)
{
	char *out;
	json_t *sum;

	(void)state;
	assert_int_equal(run_cli("--summary --json --log " NOISY528, &out), 0);
	sum = json_loads(out, 0, NULL);
	assert_non_null(sum);
	assert_int_equal(json_integer_value(json_object_get(sum, "total")), 6);
	assert_int_equal(json_array_size(json_object_get(sum, "findings")), 2);
	json_decref(sum);
	free(out);
	assert_int_equal(run_cli("--json --log - < " B528, &out), 0);
	assert_non_null(strstr(out, "\"finding\":\"DECISION_NO_FAILOVER\""));
	free(out);
}

/* --state-dir: the instance's logging.file and its rotations, oldest
 * (.1) first. */
static void
test_cli_state_dir(void **state)
{
	char dir[] = "/tmp/ck-decision-state-XXXXXX", path[512], args[600];
	char *a = slurp(A528), *b = slurp(B528), *out;
	const char *p;
	int n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(a);
	assert_non_null(b);
	snprintf(path, sizeof(path), "%s/gw.log.1", dir);
	write_file(path, a, strlen(a));
	snprintf(path, sizeof(path), "%s/gw.log", dir);
	write_file(path, b, strlen(b));
	snprintf(args, sizeof(args), "{\"logging\":{\"file\":\"%s/gw.log\"}}\n", dir);
	snprintf(path, sizeof(path), "%s/openclaw.json", dir);
	write_file(path, args, strlen(args));
	snprintf(args, sizeof(args), "--json --state-dir %s", dir);
	assert_int_equal(run_cli(args, &out), 0);
	for (p = out; (p = strstr(p, "\"decision\"")) != NULL; p++)
		n++;
	assert_int_equal(n, 3);
	/* a's success comes before b's failure */
	assert_true(strstr(out, "candidate_succeeded") < strstr(out, "DECISION_NO_FAILOVER"));
	free(out);
	free(a);
	free(b);
	snprintf(args, sizeof(args), "rm -rf %s", dir);
	assert_int_equal(system(args), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_parse_line_fields),
		cmocka_unit_test(test_detail_scrubbed),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_small_line_cap),
		cmocka_unit_test(test_stop_and_missing),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_cli_json_matches_library),
		cmocka_unit_test(test_cli_exit_codes),
		cmocka_unit_test(test_cli_table),
		cmocka_unit_test(test_cli_summary_and_stdin),
		cmocka_unit_test(test_cli_state_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
