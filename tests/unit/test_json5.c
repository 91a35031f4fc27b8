/* JSON5 reader tests: data-driven cases from tests/fixtures/json5
 * ({valid,invalid}/<case>/), every real OpenClaw config fixture, and a
 * chaos test failing each allocation in turn. */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/json5.h"

#define CASES CK_FIXTURES "/json5"
#define OPENCLAW CK_FIXTURES "/openclaw"

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of a directory (no dot entries); NULL-terminated. */
static char **
list_dir(const char *dir, size_t *count)
{
	char **names = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 2) * sizeof(*names));
		assert_non_null(names);
		names[n] = strdup(de->d_name);
		assert_non_null(names[n]);
		n++;
	}
	closedir(d);
	if (names == NULL)
		names = calloc(1, sizeof(*names));
	assert_non_null(names);
	names[n] = NULL;
	qsort(names, n, sizeof(*names), cmp_names);
	*count = n;
	return names;
}

static void
free_list(char **names)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

static char *
join(const char *a, const char *b)
{
	char *p = ck_path_join(a, b);

	assert_non_null(p);
	return p;
}

/* Not inlined: gcc 12 at -O3 then mistakes the returned buffer for the
 * local pointer it was read into (-Wdangling-pointer false positive). */
static __attribute__((noinline)) char *
slurp(const char *path, size_t *len)
{
	struct ck_error err;
	char *buf = NULL;

	if (ck_file_read(path, (size_t)16 << 20, &buf, len, &err) < 0)
		fail_msg("%s", err.msg);
	assert_non_null(buf);
	return buf;
}

static void
assert_json_equal(const char *what, json_t *got, json_t *want)
{
	char *g, *w;

	if (json_equal(got, want))
		return;
	g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
	w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
	fail_msg("%s: got %.300s\nwant %.300s", what, g ? g : "(null)",
	    w ? w : "(null)");
}

/* valid/<case>/input.json5 parses to the value of output.json, both
 * from memory and through ck_json5_load_file. */
static void
test_valid_cases(void **state)
{
	char **names, *dir, *in, *out, *buf;
	struct ck_error err;
	json_error_t jerr;
	json_t *got, *want;
	size_t n, i, len;

	(void)state;
	names = list_dir(CASES "/valid", &n);
	assert_true(n >= 25);
	for (i = 0; i < n; i++) {
		dir = join(CASES "/valid", names[i]);
		in = join(dir, "input.json5");
		out = join(dir, "output.json");
		want = json_load_file(out, JSON_DECODE_ANY, &jerr);
		if (want == NULL)
			fail_msg("%s: bad expected output: %s", out, jerr.text);
		buf = slurp(in, &len);
		got = ck_json5_parse(buf, len, &err);
		if (got == NULL)
			fail_msg("%s: %s", names[i], err.msg);
		assert_json_equal(names[i], got, want);
		json_decref(got);
		got = ck_json5_load_file(in, &err);
		if (got == NULL)
			fail_msg("%s: load_file: %s", names[i], err.msg);
		assert_json_equal(names[i], got, want);
		json_decref(got);
		json_decref(want);
		free(buf);
		free(in);
		free(out);
		free(dir);
	}
	free_list(names);
}

static void
check_invalid_case(const char *name, const char *dir)
{
	char *in, *errpath, *buf, *expect, *nl, *rest;
	char want_file[CK_ERROR_MAX + 4200];
	struct ck_error err, ferr;
	size_t len, elen, line, col;
	int off = 0;
	json_t *v;

	in = join(dir, "input.json5");
	errpath = join(dir, "error");
	expect = slurp(errpath, &elen);
	nl = strchr(expect, '\n');
	if (nl != NULL)
		*nl = '\0';
	/* Each expectation pins the position, not just the wording. */
	if (strncmp(expect, "line ", 5) != 0 || strstr(expect, ", column ") ==
	    NULL)
		fail_msg("%s: error file names no position", name);
	buf = slurp(in, &len);
	v = ck_json5_parse(buf, len, &err);
	if (v != NULL)
		fail_msg("%s: parsed but should fail with: %s", name, expect);
	if (strstr(err.msg, expect) == NULL)
		fail_msg("%s: error \"%s\"\ndoes not contain \"%s\"", name,
		    err.msg, expect);
	/* An error names a position and never echoes input text that could
	 * be a secret (fixture secrets all contain FAKE). */
	if (sscanf(err.msg, "line %zu, column %zu: %n", &line, &col,
	    &off) != 2 || off == 0)
		fail_msg("%s: no position in \"%s\"", name, err.msg);
	assert_null(strstr(err.msg, "FAKE"));
	rest = err.msg + off;
	/* The file form carries the same position as path:L:C. */
	v = ck_json5_load_file(in, &ferr);
	assert_null(v);
	snprintf(want_file, sizeof(want_file), "%s:%zu:%zu: %s", in, line, col,
	    rest);
	assert_string_equal(ferr.msg, want_file);
	free(buf);
	free(expect);
	free(errpath);
	free(in);
}

static void
test_invalid_cases(void **state)
{
	char **names, *dir;
	size_t n, i;

	(void)state;
	names = list_dir(CASES "/invalid", &n);
	assert_true(n >= 20);
	for (i = 0; i < n; i++) {
		dir = join(CASES "/invalid", names[i]);
		check_invalid_case(names[i], dir);
		free(dir);
	}
	free_list(names);
}

/* Plain-JSON file: jansson's reading is the reference. 1 when compared,
 * 0 when jansson itself refuses it (e.g. integers beyond int64). */
static int
compare_with_jansson(const char *path)
{
	struct ck_error err;
	json_error_t jerr;
	json_t *want, *got;

	want = json_load_file(path, JSON_DECODE_ANY, &jerr);
	if (want == NULL)
		return 0;
	got = ck_json5_load_file(path, &err);
	if (got == NULL)
		fail_msg("%s", err.msg);
	assert_json_equal(path, got, want);
	json_decref(got);
	json_decref(want);
	return 1;
}

static int
is_config_dir(const char *name)
{
	return strncmp(name, "config", 6) == 0;
}

/* Every openclaw.json* OpenClaw wrote in a config case dir parses equal
 * to jansson's parse. */
static void
test_openclaw_configs(void **state)
{
	char **vers, **cases, **files, *vdir, *cdir, *path;
	size_t nv, nc, nf, i, j, k, compared = 0;

	(void)state;
	vers = list_dir(OPENCLAW, &nv);
	for (i = 0; i < nv; i++) {
		vdir = join(OPENCLAW, vers[i]);
		if (!ck_dir_exists(vdir)) {
			free(vdir);
			continue;
		}
		cases = list_dir(vdir, &nc);
		for (j = 0; j < nc; j++) {
			if (!is_config_dir(cases[j]))
				continue;
			cdir = join(vdir, cases[j]);
			files = list_dir(cdir, &nf);
			for (k = 0; k < nf; k++) {
				if (strncmp(files[k], "openclaw.json", 13) != 0 ||
				    strstr(files[k], ".json5") != NULL)
					continue;
				path = join(cdir, files[k]);
				assert_int_equal(compare_with_jansson(path), 1);
				compared++;
				free(path);
			}
			free_list(files);
			free(cdir);
		}
		free_list(cases);
		free(vdir);
	}
	free_list(vers);
	/* 3 versions x (openclaw.json, .after-setup, .bak, .bak.1-4). */
	assert_true(compared >= 21);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void
walk_json(const char *dir, size_t *compared, size_t *refused)
{
	char **names, *path;
	struct stat st;
	size_t n, i;

	names = list_dir(dir, &n);
	for (i = 0; i < n; i++) {
		path = join(dir, names[i]);
		assert_int_equal(lstat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			walk_json(path, compared, refused);
		} else if (S_ISREG(st.st_mode) && (ends_with(names[i], ".json")
		    || strncmp(names[i], "openclaw.json", 13) == 0) &&
		    !ends_with(names[i], ".json5")) {
			if (compare_with_jansson(path))
				(*compared)++;
			else
				(*refused)++;
		}
		free(path);
	}
	free_list(names);
}

/* Beyond the config dirs: every JSON file in the OpenClaw corpus
 * (gateway responses, sqlite dumps, status outputs) reads the same. */
static void
test_openclaw_all_json(void **state)
{
	size_t compared = 0, refused = 0;

	(void)state;
	walk_json(OPENCLAW, &compared, &refused);
	print_message("compared %zu JSON files with jansson (%zu refused by "
	    "jansson, skipped)\n", compared, refused);
	assert_true(compared >= 50);
}

static const char *
get_str(json_t *root, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(root, a), b);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

/* OpenClaw's line for the gateway.port issue, from 9.6's own stderr
 * ("openclaw-invalid.json5:5 — gateway.port: ..."). */
static size_t
openclaw_port_line(void)
{
	char *buf, *p;
	size_t len, line = 0;

	buf = slurp(OPENCLAW "/2026.9.6/config-json5/"
	    "openclaw-invalid.validate.stderr", &len);
	p = strstr(buf, "openclaw-invalid.json5:");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "openclaw-invalid.json5:%zu", &line), 1);
	assert_non_null(strstr(p, "gateway.port"));
	free(buf);
	return line;
}

/* The config-json5 file is hand-written JSON5 (comments, unquoted keys,
 * single quotes, trailing commas) that is *syntactically* valid: OpenClaw
 * rejects it for its schema (port is a string, bind not allowed), which
 * is config health's job, not the reader's. So it must parse, keeping the
 * bad values; and a real syntax error at the port value must be reported
 * on the same line OpenClaw names. */
static void
test_openclaw_json5(void **state)
{
	static const char *const vers[] = { "2026.5.28", "2026.6.1",
	    "2026.9.6" };
	char path[512], expect[128], *buf, *at, *mut;
	struct ck_error err;
	json_t *root, *fb;
	size_t i, len, line;

	(void)state;
	line = openclaw_port_line();
	assert_int_equal(line, 5);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s/config-json5/"
		    "openclaw-invalid.json5", OPENCLAW, vers[i]);
		root = ck_json5_load_file(path, &err);
		if (root == NULL)
			fail_msg("%s", err.msg);
		assert_string_equal(get_str(root, "gateway", "mode"), "local");
		assert_string_equal(get_str(root, "gateway", "port"),
		    "eighteen-thousand");
		assert_string_equal(get_str(root, "gateway", "bind"),
		    "everywhere");
		fb = json_object_get(json_object_get(json_object_get(
		    json_object_get(root, "agents"), "defaults"), "model"),
		    "fallbacks");
		assert_int_equal(json_array_size(fb), 1);
		assert_string_equal(json_string_value(json_array_get(fb, 0)),
		    "ollama/llama3.1:8b");
		json_decref(root);

		/* Drop the quotes around the port value. */
		buf = slurp(path, &len);
		at = strstr(buf, "'eighteen-thousand'");
		assert_non_null(at);
		mut = ck_strdup_printf("%.*seighteen-thousand%s",
		    (int)(at - buf), buf, at + strlen("'eighteen-thousand'"));
		assert_non_null(mut);
		root = ck_json5_parse(mut, strlen(mut), &err);
		assert_null(root);
		snprintf(expect, sizeof(expect), "line %zu, column 11: expected "
		    "a value, found 'e'", line);
		assert_non_null(strstr(err.msg, expect));
		free(mut);
		free(buf);
	}
}

/* Allocation accounting for the chaos test. */
static size_t chaos_fail_at;
static size_t chaos_calls;
static long chaos_live;
static int chaos_failed;

static void *
chaos_malloc(size_t n)
{
	void *p;

	chaos_calls++;
	if (chaos_calls == chaos_fail_at) {
		chaos_failed = 1;
		return NULL;
	}
	p = malloc(n);
	if (p != NULL)
		chaos_live++;
	return p;
}

static void
chaos_free(void *p)
{
	if (p != NULL)
		chaos_live--;
	free(p);
}

static size_t
chaos_run(const char *buf, size_t len, json_t *want)
{
	struct ck_error err;
	json_t *got;
	size_t n;

	for (n = 1; n < 100000; n++) {
		chaos_fail_at = n;
		chaos_calls = 0;
		chaos_failed = 0;
		chaos_live = 0;
		got = ck_json5_parse(buf, len, &err);
		if (got != NULL) {
			/* jansson may swallow a failure only where it does
			 * not matter; the result must still be right. */
			assert_json_equal("chaos", got, want);
			json_decref(got);
			assert_int_equal(chaos_live, 0);
			if (!chaos_failed)
				return n;
			continue;
		}
		assert_true(chaos_failed);
		if (strstr(err.msg, "out of memory") == NULL)
			fail_msg("allocation %zu: %s", n, err.msg);
		assert_int_equal(chaos_live, 0);
	}
	fail_msg("never succeeded");
	return 0;
}

static void
test_chaos_alloc(void **state)
{
	char *buf, *big;
	struct ck_error err;
	json_t *want;
	size_t len, runs, i;

	(void)state;
	/* Escapes and a long string exercise the scratch stack's growth. */
	big = malloc(8000);
	assert_non_null(big);
	strcpy(big, "{'k\\x41': '");
	for (i = 0; i < 600; i++)
		strcat(big, "\\u00e9");
	strcat(big, "', d: {a: [1, 2.5, 0x10, 'x\\ny', {b: null}],},"
	    " a: 1, a: 'dup', big: 123456789012345678901234567890}");
	buf = slurp(OPENCLAW "/2026.9.6/config/openclaw.json", &len);

	want = ck_json5_parse(big, strlen(big), &err);
	assert_non_null(want);
	json_set_alloc_funcs(chaos_malloc, chaos_free);
	runs = chaos_run(big, strlen(big), want);
	json_set_alloc_funcs(malloc, free);
	json_decref(want);
	assert_true(runs > 10);

	want = ck_json5_parse(buf, len, &err);
	assert_non_null(want);
	json_set_alloc_funcs(chaos_malloc, chaos_free);
	runs = chaos_run(buf, len, want);
	json_set_alloc_funcs(malloc, free);
	json_decref(want);
	assert_true(runs > 20);
	free(buf);
	free(big);
}

/* A key decoded onto the scratch stack must survive the stack growing
 * (and moving) while its value is decoded. */
static void
test_key_survives_scratch_growth(void **state)
{
	struct ck_error err;
	json_t *root, *v;
	char *doc, *end;
	size_t i, n = 100000;

	(void)state;
	doc = malloc(n * 2 + 64);
	assert_non_null(doc);
	strcpy(doc, "{'k\\x41\\u00e9': {n\\u0041me: '");
	end = doc + strlen(doc);
	for (i = 0; i < n; i++) {
		*end++ = '\\';
		*end++ = 't';
	}
	strcpy(end, "'}}");
	root = ck_json5_parse(doc, strlen(doc), &err);
	if (root == NULL)
		fail_msg("%s", err.msg);
	v = json_object_get(json_object_get(root, "kA\xc3\xa9"), "nAme");
	assert_true(json_is_string(v));
	assert_int_equal(json_string_length(v), n);
	assert_int_equal(json_string_value(v)[n - 1], '\t');
	json_decref(root);
	free(doc);
}

static void
test_api_edges(void **state)
{
	char path[] = "/tmp/ck-json5-big-XXXXXX";
	struct ck_error err;
	json_t *v;
	int fd;

	(void)state;
	/* The length bounds the input: no NUL terminator needed. */
	v = ck_json5_parse("[1,2]garbage", 5, &err);
	assert_non_null(v);
	assert_int_equal(json_array_size(v), 2);
	json_decref(v);

	v = ck_json5_parse(NULL, 0, &err);
	assert_null(v);
	assert_string_equal(err.msg,
	    "line 1, column 1: expected a value, found end of input");
	assert_null(ck_json5_parse("{", 1, NULL));

	v = ck_json5_load_file(CASES "/does-not-exist.json5", &err);
	assert_null(v);
	assert_non_null(strstr(err.msg, "does-not-exist.json5"));

	/* Over the 16 MiB cap: refused before parsing. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, ((off_t)16 << 20) + 1), 0);
	close(fd);
	v = ck_json5_load_file(path, &err);
	unlink(path);
	assert_null(v);
	assert_non_null(strstr(err.msg, "limit"));
	assert_non_null(strstr(err.msg, path));
}

/* A ~1 MB config-shaped document: many keys, comments, escapes. */
static void
test_large_document(void **state)
{
	struct ck_error err;
	size_t cap = 2 << 20, len = 0, i, n = 20000;
	json_t *root, *p;
	char *doc;

	(void)state;
	doc = malloc(cap);
	assert_non_null(doc);
	len += (size_t)snprintf(doc + len, cap - len, "// big\n{\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(doc + len, cap - len,
		    "  'provider/model-%zu': { id: \"m%zu\", ctx: %zu, "
		    "note: 'line\\nbreak', }, /* c */\n", i, i, i * 1000);
	len += (size_t)snprintf(doc + len, cap - len, "}\n");
	assert_true(len > 1000000);
	root = ck_json5_parse(doc, len, &err);
	if (root == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(json_object_size(root), n);
	p = json_object_get(root, "provider/model-19999");
	assert_int_equal(json_integer_value(json_object_get(p, "ctx")),
	    19999000);
	assert_string_equal(json_string_value(json_object_get(p, "note")),
	    "line\nbreak");
	json_decref(root);
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_cases),
		cmocka_unit_test(test_invalid_cases),
		cmocka_unit_test(test_openclaw_configs),
		cmocka_unit_test(test_openclaw_all_json),
		cmocka_unit_test(test_openclaw_json5),
		cmocka_unit_test(test_chaos_alloc),
		cmocka_unit_test(test_key_survives_scratch_growth),
		cmocka_unit_test(test_api_edges),
		cmocka_unit_test(test_large_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
