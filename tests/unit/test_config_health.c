/* Config health, data-driven: each tests/fixtures/config_health/<case>/
 * holds openclaw.json (absent: missing config), settings.json (optional),
 * version (absent: unknown), cron-jobs.json (optional, copied to
 * <state>/cron/jobs.json), expected ("CODE severity surface" lines, the
 * exact multiset of findings) and expected-text (optional lines
 * "[!]CODE surface message|fix text": the finding's field must (or with
 * '!' must not) contain text). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clawkeeper/config_health.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/json5.h"
#include "clawkeeper/settings.h"

#define CASES CK_FIXTURES "/config_health"

static const char *all_codes[] = {
	"CONFIG_UNREADABLE", "FALLBACKS_STRIPPED", "NO_FALLBACKS",
	"FALLBACKS_SAME_PROVIDER_ONLY", "LEGACY_RUNTIME_DROPS_FALLBACKS",
	"FALLBACK_UNRESOLVED", "AGENT_MODEL_STRICT", "CRON_FALLBACKS_OVERRIDE",
	"VERSION_UNKNOWN", "CRON_UNREADABLE",
};
#define NCODES (sizeof(all_codes) / sizeof(all_codes[0]))
static int code_seen[NCODES];
static int cases_run;

static char **
read_lines(const char *path, size_t *n)
{
	char **lines = NULL;
	char buf[1024];
	FILE *f = fopen(path, "r");

	*n = 0;
	if (f == NULL)
		return NULL;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] == '\0' || buf[0] == '#')
			continue;
		lines = realloc(lines, (*n + 1) * sizeof(*lines));
		assert_non_null(lines);
		lines[(*n)++] = strdup(buf);
	}
	fclose(f);
	return lines;
}

static void
free_lines(char **lines, size_t n)
{
	while (n > 0)
		free(lines[--n]);
	free(lines);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
read_version(const char *dir)
{
	char *path = ck_path_join(dir, "version");
	struct ck_error err;
	size_t len;
	char *buf;

	if (ck_file_read(path, 256, &buf, &len, &err) < 0) {
		free(path);
		return NULL;
	}
	free(path);
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

/* Fills inst the way discovery would, without depending on it. */
static void
open_case(const char *dir, const char *state, struct ck_instance *inst)
{
	struct ck_error err;

	memset(inst, 0, sizeof(*inst));
	inst->state_dir = strdup(state);
	inst->config_path = ck_path_join(dir, "openclaw.json");
	inst->version = read_version(dir);
	ck_error_clear(&err);
	inst->config = ck_json5_load_file(inst->config_path, &err);
	if (inst->config == NULL) {
		inst->config_missing = !ck_file_exists(inst->config_path);
		snprintf(inst->config_error, sizeof(inst->config_error), "%s", err.msg);
	}
}

static void
close_case(struct ck_instance *inst)
{
	free(inst->state_dir);
	free(inst->config_path);
	free(inst->version);
	json_decref(inst->config);
}

static char *
make_state(const char *dir)
{
	char tmpl[] = "/tmp/ck-config-health-XXXXXX";
	struct ck_error err;
	char *state, *src, *cron, *dst;

	assert_non_null(mkdtemp(tmpl));
	state = strdup(tmpl);
	src = ck_path_join(dir, "cron-jobs.json");
	if (ck_file_exists(src)) {
		cron = ck_path_join(state, "cron");
		dst = ck_path_join(cron, "jobs.json");
		assert_int_equal(ck_mkdir_p(cron, 0700, &err), 0);
		assert_int_equal(ck_file_copy(src, dst, &err), 0);
		free(cron);
		free(dst);
	}
	free(src);
	return state;
}

static json_t *
load_settings(const char *dir)
{
	char *path = ck_path_join(dir, "settings.json");
	struct ck_error err;
	json_t *s = NULL;

	if (ck_file_exists(path)) {
		s = ck_settings_load(path, &err);
		if (s == NULL)
			fail_msg("%s", err.msg);
	}
	free(path);
	return s;
}

static void
mark_seen(const char *code)
{
	size_t i;

	for (i = 0; i < NCODES; i++)
		if (strcmp(all_codes[i], code) == 0)
			code_seen[i] = 1;
}

/* Every finding is whole (message and a concrete fix) and the set of
 * "CODE severity surface" lines is exactly the expected one. */
static void
check_findings(const char *dir, json_t *findings)
{
	char *path = ck_path_join(dir, "expected");
	char **want, **got;
	size_t nwant, i;
	json_t *f;
	int ok;

	want = read_lines(path, &nwant);
	free(path);
	got = calloc(json_array_size(findings) + 1, sizeof(*got));
	json_array_foreach(findings, i, f) {
		const char *code = json_string_value(json_object_get(f, "code"));
		const char *msg = json_string_value(json_object_get(f, "message"));
		const char *fix = json_string_value(json_object_get(f, "fix"));

		assert_non_null(code);
		assert_true(msg != NULL && strlen(msg) > 20);
		assert_true(fix != NULL && strlen(fix) > 20);
		mark_seen(code);
		got[i] = ck_strdup_printf("%s %s %s", code,
			json_string_value(json_object_get(f, "severity")),
			json_string_value(json_object_get(f, "surface")));
	}
	qsort(got, json_array_size(findings), sizeof(*got), cmp_str);
	if (nwant > 0)
		qsort(want, nwant, sizeof(*want), cmp_str);
	ok = nwant == json_array_size(findings);
	for (i = 0; ok && i < nwant; i++)
		ok = strcmp(want[i], got[i]) == 0;
	if (!ok) {
		print_error("%s: expected %zu findings:\n", dir, nwant);
		for (i = 0; i < nwant; i++)
			print_error("  %s\n", want[i]);
		print_error("got %zu:\n", json_array_size(findings));
		json_array_foreach(findings, i, f)
			print_error("  %s %s %s: %s\n",
				    json_string_value(json_object_get(f, "code")),
				    json_string_value(json_object_get(f, "severity")),
				    json_string_value(json_object_get(f, "surface")),
				    json_string_value(json_object_get(f, "message")));
	}
	free_lines(got, json_array_size(findings));
	free_lines(want, nwant);
	assert_true(ok);
}

static int
text_matches(json_t *findings, const char *code, const char *surface,
	     const char *field, const char *text)
{
	json_t *f;
	size_t i;

	json_array_foreach(findings, i, f) {
		const char *v = json_string_value(json_object_get(f, field));

		if (strcmp(json_string_value(json_object_get(f, "code")), code) == 0 &&
		    strcmp(json_string_value(json_object_get(f, "surface")), surface) == 0 &&
		    v != NULL && strstr(v, text) != NULL)
			return 1;
	}
	return 0;
}

static void
check_text(const char *dir, json_t *findings)
{
	char *path = ck_path_join(dir, "expected-text");
	char code[64], surface[160], field[16];
	char **lines;
	size_t n, i;

	lines = read_lines(path, &n);
	free(path);
	for (i = 0; i < n; i++) {
		const char *line = lines[i];
		int negate = line[0] == '!';
		int off = 0, found;

		if (negate)
			line++;
		assert_int_equal(sscanf(line, "%63s %159s %15s %n", code, surface,
					field, &off), 3);
		found = text_matches(findings, code, surface, field, line + off);
		if (found == negate)
			fail_msg("%s: %s %s %s should %scontain \"%s\"", dir, code,
				 surface, field, negate ? "not " : "", line + off);
	}
	free_lines(lines, n);
}

static void
run_case(void **state)
{
	const char *dir = *state;
	struct ck_instance inst;
	json_t *settings, *findings;
	char *tmp, *dump;
	struct ck_error err;

	tmp = make_state(dir);
	open_case(dir, tmp, &inst);
	settings = load_settings(dir);
	findings = json_array();
	assert_int_equal(ck_config_health(&inst, settings, findings), 0);
	check_findings(dir, findings);
	check_text(dir, findings);
	/* The decision-case configs carry fake keys; none may leak. */
	dump = json_dumps(findings, JSON_INDENT(2));
	assert_null(strstr(dump, "FAKE"));
	if (getenv("CK_TEST_VERBOSE") != NULL)
		printf("%s\n%s\n", dir, dump);
	free(dump);
	json_decref(findings);
	json_decref(settings);
	close_case(&inst);
	assert_int_equal(ck_rm_rf(tmp, &err), 0);
	free(tmp);
	cases_run++;
}

/* A code no case produces is a code nothing tests. */
static void
all_codes_covered(void **state)
{
	size_t i;

	(void)state;
	assert_true(cases_run >= 20);
	for (i = 0; i < NCODES; i++)
		if (!code_seen[i])
			fail_msg("no case produces %s", all_codes[i]);
}

/* The settings a case carries are compared against the live config, so
 * the same config without settings must lose every FALLBACKS_STRIPPED. */
static void
no_settings_no_stripped(void **state)
{
	struct ck_instance inst;
	json_t *findings = json_array();
	size_t i;
	json_t *f;

	(void)state;
	open_case(CASES "/stripped-2026.9.6", "/nonexistent", &inst);
	assert_int_equal(ck_config_health(&inst, NULL, findings), 0);
	assert_int_equal(json_array_size(findings), 1);
	json_array_foreach(findings, i, f)
		assert_string_equal(json_string_value(json_object_get(f, "code")),
				    "NO_FALLBACKS");
	json_decref(findings);
	close_case(&inst);
}

int
main(void)
{
	struct CMUnitTest *tests = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	DIR *d = opendir(CASES);
	int rc;

	if (d == NULL) {
		perror(CASES);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "README.md") == 0)
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = ck_path_join(CASES, de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	tests = calloc(n + 2, sizeof(*tests));
	for (i = 0; i < n; i++) {
		tests[i].name = strrchr(names[i], '/') + 1;
		tests[i].test_func = run_case;
		tests[i].initial_state = names[i];
	}
	tests[n].name = "no_settings_no_stripped";
	tests[n].test_func = no_settings_no_stripped;
	tests[n + 1].name = "all_codes_covered";
	tests[n + 1].test_func = all_codes_covered;
	rc = _cmocka_run_group_tests("config_health", tests, n + 2, NULL, NULL);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return rc;
}
