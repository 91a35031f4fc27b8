/* One request to an agent's API, as `clawkeeper call` and the instance
 * commands that ask the serving agent send it: signed (CK-HMAC-SHA256
 * over method, path, time, nonce and the body's SHA-256, docs/api.md) or
 * with a bearer token; the body from memory or streamed from a file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <curl/curl.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/download.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "client.h"

#define RESP_MAX (64 * 1024 * 1024)

static int
file_sha256(const char *path, char hex[CK_SHA256_HEX_LEN], long long *size,
    struct ck_error *err)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		ck_error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	*size = (long long)st.st_size;
	if (ck_sha256_file(path, hex) != 0) {
		ck_error_set(err, "%s: cannot read it", path);
		return -1;
	}
	return 0;
}

static char *
auth_header(const struct ck_client *c, const char *method, const char *path,
    const char *body_hex, struct ck_error *err)
{
	uint8_t rnd[16], mac[CK_SHA256_LEN];
	char nonce[33], sig[2 * CK_SHA256_LEN + 1];
	long long ts = (long long)time(NULL);
	char *canon;

	if (c->token != NULL)
		return ck_strdup_printf("Authorization: Bearer %s", c->token);
	if (c->key == NULL)
		return NULL;
	if (ck_random_bytes(rnd, sizeof(rnd)) != 0) {
		ck_error_set(err, "no random bytes for a nonce");
		return NULL;
	}
	ck_hex_encode(rnd, sizeof(rnd), nonce);
	canon = ck_strdup_printf("%s\n%s\n%lld\n%s\n%s", method, path, ts, nonce,
	    body_hex);
	if (canon == NULL)
		return NULL;
	ck_hmac_sha256(c->key, c->key_len, canon, strlen(canon), mac);
	free(canon);
	ck_hex_encode(mac, sizeof(mac), sig);
	return ck_strdup_printf("Authorization: CK-HMAC-SHA256 keyId=%s, "
	    "ts=%lld, nonce=%s, signature=%s", c->key_id, ts, nonce, sig);
}

static size_t
on_header(char *buf, size_t size, size_t n, void *ud)
{
	(void)ud;
	fwrite(buf, size, n, stderr);
	return size * n;
}

static int
has_header(const struct ck_request_out *r, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < r->n_headers; i++)
		if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
			return 1;
	return 0;
}

int
ck_client_send(const struct ck_client *c, const struct ck_request_out *r,
    struct ck_response *resp, struct ck_error *err)
{
	CURL *curl;
	struct curl_slist *hl = NULL;
	struct ck_curl_body sink = { NULL, 0, RESP_MAX, 0 };
	char body_hex[CK_SHA256_HEX_LEN], *url = NULL, *auth = NULL, *h;
	long long file_size = 0;
	FILE *fp = NULL;
	CURLcode rc;
	int i, ret = -1;

	memset(resp, 0, sizeof(*resp));
	if (r->body_file != NULL) {
		if (file_sha256(r->body_file, body_hex, &file_size, err) != 0)
			return -1;
		fp = fopen(r->body_file, "rb");
		if (fp == NULL) {
			ck_error_set(err, "%s: %s", r->body_file, strerror(errno));
			return -1;
		}
	} else
		ck_sha256_hex(r->body ? r->body : "", r->body_len, body_hex);
	err->msg[0] = '\0';
	auth = auth_header(c, r->method, r->path, body_hex, err);
	if (auth == NULL && err->msg[0] != '\0')
		goto out;
	curl = curl_easy_init();
	if (curl == NULL) {
		ck_error_set(err, "libcurl: cannot start a request");
		goto out;
	}
	if (strncmp(c->agent, "unix:", 5) == 0) {
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->agent + 5);
		url = ck_strdup_printf("http://localhost%s", r->path);
	} else
		url = ck_strdup_printf("%s%s", c->agent, r->path);
	if (auth != NULL)
		hl = curl_slist_append(hl, auth);
	/* the agent checks the body against it, and a signature covers it, so
	 * the signature is verified before the agent reads the body */
	if (r->body != NULL || r->body_file != NULL || c->key != NULL) {
		h = ck_strdup_printf("X-Content-SHA256: %s", body_hex);
		if (h != NULL)
			hl = curl_slist_append(hl, h);
		free(h);
	}
	if (r->body != NULL && !has_header(r, "Content-Type"))
		hl = curl_slist_append(hl, "Content-Type: application/json");
	for (i = 0; i < r->n_headers; i++)
		hl = curl_slist_append(hl, r->headers[i]);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	/* the signature covers the path exactly as written */
	curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r->method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);
	if (fp != NULL) {
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_READDATA, fp);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)file_size);
	} else if (r->body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, ck_curl_body_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	if (r->include_headers)
		curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	if (c->cacert != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, r->timeout_s > 0 ? r->timeout_s : 120L);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
		resp->body = sink.buf;
		resp->len = sink.len;
		sink.buf = NULL;
		ret = 0;
	} else if (sink.too_big)
		ck_error_set(err, "%s: the answer is larger than %d MiB", c->agent,
		    RESP_MAX >> 20);
	else
		ck_error_set(err, "%s: %s", c->agent, curl_easy_strerror(rc));
	curl_slist_free_all(hl);
	curl_easy_cleanup(curl);
out:
	free(sink.buf);
	free(url);
	if (auth != NULL)
		explicit_bzero(auth, strlen(auth));
	free(auth);
	if (fp != NULL)
		fclose(fp);
	return ret;
}

void
ck_response_free(struct ck_response *resp)
{
	free(resp->body);
	resp->body = NULL;
}
