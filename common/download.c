/* libcurl downloads to a file with a size cap and a streaming SHA-256. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clawkeeper/download.h"

struct sink {
	int fd;
	size_t written, max;
	int too_big, write_failed;
	struct ck_sha256_ctx *sha;
};

static size_t
sink_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t len = size * nmemb, off = 0;

	if (s->written + len > s->max) {
		s->too_big = 1;
		return 0;
	}
	while (off < len) {
		ssize_t n = write(s->fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->write_failed = errno;
			return 0;
		}
		off += (size_t)n;
	}
	ck_sha256_update(s->sha, data, len);
	s->written += len;
	return len;
}

static int
scheme_allowed(const char *url, int allow_http)
{
	if (strncasecmp(url, "https://", 8) == 0)
		return 1;
	return allow_http && strncasecmp(url, "http://", 7) == 0;
}

int
ck_download(const char *url, const char *dest, const struct ck_download_opts *opts,
	    char sha256_out[CK_SHA256_HEX_LEN], struct ck_error *err)
{
	struct sink s = { .fd = -1 };
	char hex[CK_SHA256_HEX_LEN];
	CURLcode cc;
	long status = 0;
	CURL *curl;
	int rc = -1;

	if (!scheme_allowed(url, opts->allow_http)) {
		ck_error_set(err, "download: only https:// URLs are accepted");
		return -1;
	}
	s.max = opts->max_bytes ? opts->max_bytes : (size_t)1 << 30;
	s.fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s.fd < 0) {
		ck_error_set(err, "%s: %s", dest, strerror(errno));
		return -1;
	}
	s.sha = ck_sha256_begin();
	curl = curl_easy_init();
	if (curl == NULL || s.sha == NULL) {
		ck_error_set(err, "download: out of memory");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, opts->allow_http ? "http,https" : "https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, opts->connect_timeout_s ? opts->connect_timeout_s : 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, opts->total_timeout_s ? opts->total_timeout_s : 600L);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.max);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
	cc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (s.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		ck_error_set(err, "download: larger than the %zu byte limit", s.max);
		goto out;
	}
	if (s.write_failed) {
		ck_error_set(err, "%s: write: %s", dest, strerror(s.write_failed));
		goto out;
	}
	if (cc != CURLE_OK) {
		ck_error_set(err, "download: %s after %zu bytes", curl_easy_strerror(cc), s.written);
		goto out;
	}
	if (status != 200) {
		ck_error_set(err, "download: HTTP %ld", status);
		goto out;
	}
	if (fsync(s.fd) < 0) {
		ck_error_set(err, "%s: fsync: %s", dest, strerror(errno));
		goto out;
	}
	ck_sha256_end(s.sha, hex);
	s.sha = NULL;
	if (opts->want_sha256 != NULL && strcasecmp(hex, opts->want_sha256) != 0) {
		ck_error_set(err, "download: SHA-256 mismatch: got %s, expected %s",
			     hex, opts->want_sha256);
		goto out;
	}
	if (sha256_out != NULL)
		memcpy(sha256_out, hex, CK_SHA256_HEX_LEN);
	rc = 0;
out:
	if (s.sha != NULL)
		ck_sha256_end(s.sha, hex);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	close(s.fd);
	if (rc < 0)
		unlink(dest);
	return rc;
}

size_t
ck_curl_body_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct ck_curl_body *b = ud;
	size_t n = size * nmemb;
	char *nb;

	if (b->len + n > b->max) {
		b->too_big = 1;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	nb = realloc(b->buf, b->len + n + 1);
	if (nb == NULL)
		return 0;
	memcpy(nb + b->len, ptr, n);
	b->buf = nb;
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}
