/* Ollama's model listing (GET {baseUrl}/api/tags) over libcurl, used by
 * the generator to fill an empty models.providers.ollama.models. The
 * endpoint is outside input: bounded in time and size, parsed strictly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "clawkeeper/download.h"
#include "clawkeeper/ollama.h"
#include "clawkeeper/fileio.h"

char *
ck_ollama_tags_url(const char *base_url)
{
	size_t n;
	char *base;
	char *url;

	if (base_url == NULL || *base_url == '\0')
		base_url = CK_OLLAMA_DEFAULT_BASE_URL;
	base = strdup(base_url);
	if (base == NULL)
		return NULL;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	/* OpenClaw's docs warn against the OpenAI-compatible /v1 URL, but
	 * configs carry it; the native listing lives at the root. */
	if (n >= 3 && strcmp(base + n - 3, "/v1") == 0)
		base[n - 3] = '\0';
	url = ck_strdup_printf("%s/api/tags", base);
	free(base);
	return url;
}

/* The URL for messages, without any user:password@ part. */
static void
url_for_display(const char *url, char *out, size_t n)
{
	const char *scheme_end = strstr(url, "://");
	const char *host;
	const char *at;
	const char *slash;

	if (scheme_end == NULL) {
		snprintf(out, n, "%s", url);
		return;
	}
	host = scheme_end + 3;
	slash = strchr(host, '/');
	at = strchr(host, '@');
	if (at != NULL && (slash == NULL || at < slash))
		snprintf(out, n, "%.*s%s", (int)(host - url), url, at + 1);
	else
		snprintf(out, n, "%s", url);
}

int
ck_ollama_parse_tags(const char *body, size_t len, json_t **names,
		     struct ck_error *err)
{
	json_error_t jerr;
	json_t *doc;
	json_t *models;
	json_t *out;
	json_t *m;
	size_t i;

	*names = NULL;
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		ck_error_set(err, "line %d, column %d: %s", jerr.line,
			     jerr.column, jerr.text);
		return -1;
	}
	models = json_object_get(doc, "models");
	if (!json_is_array(models)) {
		ck_error_set(err, "no \"models\" array in the answer");
		json_decref(doc);
		return -1;
	}
	out = json_array();
	json_array_foreach(models, i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));

		if (name == NULL)
			name = json_string_value(json_object_get(m, "model"));
		if (name == NULL || *name == '\0') {
			ck_error_set(err, "models[%zu] has no \"name\"", i);
			json_decref(out);
			json_decref(doc);
			return -1;
		}
		json_array_append_new(out, json_string(name));
	}
	json_decref(doc);
	*names = out;
	return 0;
}

static int
fetch(const char *url, struct ck_curl_body *b, long *status, struct ck_error *err)
{
	char shown[512];
	CURLcode rc;
	CURL *h;

	url_for_display(url, shown, sizeof(shown));
	h = curl_easy_init();
	if (h == NULL) {
		ck_error_set(err, "GET %s: cannot start libcurl", shown);
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CK_OLLAMA_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, CK_OLLAMA_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ck_curl_body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "clawkeeper/" CK_VERSION);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	if (b->too_big) {
		ck_error_set(err, "GET %s: answer larger than %d bytes", shown,
			     CK_OLLAMA_MAX_BODY);
		return -1;
	}
	if (rc != CURLE_OK) {
		ck_error_set(err, "GET %s: %s", shown, curl_easy_strerror(rc));
		return -1;
	}
	if (*status != 200) {
		ck_error_set(err, "GET %s: HTTP %ld", shown, *status);
		return -1;
	}
	return 0;
}

int
ck_ollama_list_models(const char *base_url, json_t **names,
		      struct ck_error *err, void *ud)
{
	struct ck_curl_body b = { NULL, 0, CK_OLLAMA_MAX_BODY, 0 };
	char shown[512];
	long status = 0;
	char *url;
	int rc;

	(void)ud;
	*names = NULL;
	url = ck_ollama_tags_url(base_url);
	if (url == NULL) {
		ck_error_set(err, "out of memory");
		return -1;
	}
	rc = fetch(url, &b, &status, err);
	if (rc == 0) {
		rc = ck_ollama_parse_tags(b.buf ? b.buf : "", b.len, names, err);
		if (rc < 0) {
			url_for_display(url, shown, sizeof(shown));
			ck_error_prefix(err, "GET %s: ", shown);
		}
	}
	free(b.buf);
	free(url);
	return rc;
}
