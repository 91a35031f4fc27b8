/* Desired settings, data-driven: tests/fixtures/settings/valid/<case>/
 * settings.json must load; invalid/<case>/{settings.json,error} must fail
 * with exactly that message ({path} stands for the file; a trailing
 * "..." makes it a prefix). Plus the example in docs/settings.md. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/settings.h"

#define SETTINGS CK_FIXTURES "/settings"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **
list_cases(const char *dir, size_t *n)
{
	struct dirent *de;
	char **names = NULL;
	DIR *d = opendir(dir);

	assert_non_null(d);
	*n = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (*n + 1) * sizeof(*names));
		names[(*n)++] = ck_path_join(dir, de->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

static void
free_cases(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* "{path}" in the expected text becomes the settings file's path. */
static char *
expected_error(const char *dir, const char *path)
{
	char *file = ck_path_join(dir, "error");
	struct ck_error err;
	char *buf, *at, *out;
	size_t len;

	assert_int_equal(ck_file_read(file, 4096, &buf, &len, &err), 0);
	free(file);
	buf[strcspn(buf, "\n")] = '\0';
	at = strstr(buf, "{path}");
	assert_non_null(at);
	*at = '\0';
	out = ck_strdup_printf("%s%s%s", buf, path, at + 6);
	free(buf);
	return out;
}

static void
valid_cases(void **state)
{
	struct ck_error err;
	size_t n, i;
	char **cases = list_cases(SETTINGS "/valid", &n);

	(void)state;
	assert_true(n >= 4);
	for (i = 0; i < n; i++) {
		char *path = ck_path_join(cases[i], "settings.json");
		json_t *doc, *plain;
		json_error_t jerr;

		ck_error_clear(&err);
		doc = ck_settings_load(path, &err);
		if (doc == NULL)
			fail_msg("%s: %s", path, err.msg);
		plain = json_load_file(path, 0, &jerr);
		assert_non_null(plain);
		assert_true(json_equal(doc, plain));
		assert_int_equal(ck_settings_validate(doc, &err), 0);
		json_decref(plain);
		json_decref(doc);
		free(path);
	}
	free_cases(cases, n);
}

static void
invalid_cases(void **state)
{
	struct ck_error err;
	size_t n, i;
	char **cases = list_cases(SETTINGS "/invalid", &n);

	(void)state;
	assert_true(n >= 20);
	for (i = 0; i < n; i++) {
		char *path = ck_path_join(cases[i], "settings.json");
		char *want = expected_error(cases[i], path);
		size_t wlen = strlen(want);
		json_t *doc;
		int ok;

		ck_error_clear(&err);
		doc = ck_settings_load(path, &err);
		if (doc != NULL)
			fail_msg("%s: loaded, expected \"%s\"", path, want);
		if (wlen > 3 && strcmp(want + wlen - 3, "...") == 0)
			ok = strncmp(err.msg, want, wlen - 3) == 0;
		else
			ok = strcmp(err.msg, want) == 0;
		if (!ok)
			fail_msg("%s:\n  want: %s\n  got:  %s", cases[i], want, err.msg);
		/* Provider configs hold keys: a message never quotes them. */
		assert_null(strstr(err.msg, "FAKE"));
		free(want);
		free(path);
	}
	free_cases(cases, n);
}

static void
validate_prefix(void **state)
{
	struct ck_error err;
	json_t *doc = json_pack("{s:s, s:[s, i]}", "primary", "openai/gpt-5.5",
				"fallbacks", "anthropic/claude-sonnet-4-6", 42);

	(void)state;
	assert_int_equal(ck_settings_validate(doc, &err), -1);
	assert_string_equal(err.msg,
		"settings: fallbacks[1]: expected \"provider/model\", got 42");
	json_decref(doc);
	assert_int_equal(ck_settings_validate(NULL, &err), -1);
}

static void
missing_file(void **state)
{
	struct ck_error err;

	(void)state;
	assert_null(ck_settings_load(SETTINGS "/no-such-file.json", &err));
	assert_non_null(strstr(err.msg, "no-such-file.json"));
	assert_non_null(strstr(err.msg, "No such file"));
}

static void
ref_rules(void **state)
{
	static const char *good[] = {
		"openai/gpt-5.5", "openai-codex/gpt-5.5", "ollama/llama3.1:8b",
		"openrouter/meta-llama/llama-3.3-70b-instruct", "a/b",
	};
	static const char *bad[] = {
		"", "gpt-5.5", "/gpt", "openai/", "Openai/x", "open ai/x",
		"openai/gpt 5", "openai/gpt\t5", "-openai/x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(ck_settings_ref_valid(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ck_settings_ref_valid(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	assert_false(ck_settings_ref_valid(NULL));
}

/* The example a reader copies from docs/settings.md must be valid. */
static void
docs_example(void **state)
{
	struct ck_error err;
	char *buf, *start, *end;
	json_error_t jerr;
	json_t *doc;
	size_t len;

	(void)state;
	assert_int_equal(ck_file_read(CK_SRC_DIR "/docs/settings.md", 1 << 20, &buf,
				      &len, &err), 0);
	start = strstr(buf, "```json\n");
	assert_non_null(start);
	start += 8;
	end = strstr(start, "```");
	assert_non_null(end);
	*end = '\0';
	doc = json_loads(start, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		fail_msg("docs/settings.md example: %d:%d: %s", jerr.line,
			 jerr.column, jerr.text);
	if (ck_settings_validate(doc, &err) < 0)
		fail_msg("docs/settings.md example: %s", err.msg);
	assert_non_null(json_object_get(doc, "agents"));
	json_decref(doc);
	free(buf);
}

/* The store's compare-and-set (ck_settings_get/put): the ETag is the
 * stored bytes' SHA-256; a PUT needs it (or *) once settings exist; a
 * stale one is refused; a fingerprint sent back keeps the stored secret;
 * and of two processes putting with the same ETag at once, exactly one
 * wins (the lock is on the settings' directory, not per process). */
static void
store_cas(void **state)
{
	char dir[] = "/tmp/ck-settings-XXXXXX", path[64], etag[CK_SETTINGS_ETAG_LEN];
	char etag2[CK_SETTINGS_ETAG_LEN], hex[CK_SHA256_HEX_LEN + 3];
	struct ck_error err;
	json_t *doc, *out = NULL, *shown;
	char *bytes;
	size_t len;
	int i, wins = 0;
	pid_t kids[2];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/settings.json", dir);
	assert_int_equal(ck_settings_get(path, &out, etag, &err), CK_SETTINGS_MISSING);
	doc = json_pack("{s:s, s:[s], s:{s:{s:s, s:s, s:s, s:[{s:s, s:s}]}}}", "primary", "openai/gpt-5.5",
	    "fallbacks", "anthropic/claude-sonnet-4-6", "providers", "stubby", "baseUrl",
	    "http://127.0.0.1:9/v1", "apiKey", "sk-FAKE-store-secret-0123456789", "api",
	    "openai-completions", "models", "id", "m1", "name", "m1");
	assert_non_null(doc);
	assert_int_equal(ck_settings_put(path, doc, "*", &out, etag, &err), CK_SETTINGS_STALE);
	assert_int_equal(ck_settings_put(path, doc, NULL, &out, etag, &err), CK_SETTINGS_OK);
	json_decref(out);
	assert_int_equal(ck_file_read(path, 1 << 20, &bytes, &len, &err), 0);
	{
		char sum[CK_SHA256_HEX_LEN];

		ck_sha256_hex(bytes, len, sum);
		snprintf(hex, sizeof(hex), "\"%s\"", sum);
	}
	assert_string_equal(etag, hex);
	free(bytes);
	/* shown: the key as a fingerprint only */
	assert_int_equal(ck_settings_get(path, &shown, etag2, &err), CK_SETTINGS_OK);
	assert_string_equal(etag2, etag);
	bytes = json_dumps(shown, 0);
	assert_null(strstr(bytes, "sk-FAKE-store-secret"));
	free(bytes);
	/* NULL If-Match over existing settings, a stale one */
	assert_int_equal(ck_settings_put(path, shown, NULL, &out, etag2, &err), CK_SETTINGS_NEED_MATCH);
	assert_int_equal(ck_settings_put(path, shown, "\"0\"", &out, etag2, &err), CK_SETTINGS_STALE);
	/* GET-modify-PUT: the fingerprint keeps the stored key */
	json_object_set_new(shown, "fallbacks", json_pack("[s]", "openrouter/meta-llama/llama-3.3-70b-instruct"));
	assert_int_equal(ck_settings_put(path, shown, etag, &out, etag2, &err), CK_SETTINGS_OK);
	json_decref(out);
	assert_int_equal(ck_file_read(path, 1 << 20, &bytes, &len, &err), 0);
	assert_non_null(strstr(bytes, "sk-FAKE-store-secret-0123456789"));
	assert_non_null(strstr(bytes, "openrouter/meta-llama"));
	free(bytes);
	/* invalid settings: refused, the store unchanged */
	json_object_set_new(shown, "primary", json_integer(5));
	assert_int_equal(ck_settings_put(path, shown, "*", &out, etag, &err), CK_SETTINGS_INVALID);
	json_decref(shown);
	/* two processes, one ETag: one wins */
	assert_int_equal(ck_settings_get(path, &shown, etag, &err), CK_SETTINGS_OK);
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			json_t *mine = json_deep_copy(shown), *o = NULL;
			char e[CK_SETTINGS_ETAG_LEN];

			json_object_set_new(mine, "fallbacks", json_pack("[s]", i ? "openai/gpt-5.4" :
			    "anthropic/claude-sonnet-4-6"));
			_exit(ck_settings_put(path, mine, etag, &o, e, &err) == CK_SETTINGS_OK ? 0 : 1);
		}
	}
	for (i = 0; i < 2; i++) {
		int st;

		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		wins += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	assert_int_equal(wins, 1);
	json_decref(shown);
	json_decref(doc);
	ck_rm_rf(dir, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_cases),
		cmocka_unit_test(invalid_cases),
		cmocka_unit_test(validate_prefix),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(ref_rules),
		cmocka_unit_test(docs_example),
		cmocka_unit_test(store_cas),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
