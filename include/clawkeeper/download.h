/* Downloads with libcurl straight to a file: https only unless allowed,
 * connect and total timeouts, a size cap, and the SHA-256 computed while
 * the bytes arrive so a mismatch is known before anything reads them. */
#ifndef CK_DOWNLOAD_H
#define CK_DOWNLOAD_H

#include <stddef.h>
#include "error.h"
#include "hash.h"

struct ck_download_opts {
	size_t max_bytes;        /* 0: 1 GiB */
	long connect_timeout_s;  /* 0: 10 */
	long total_timeout_s;    /* 0: 600 */
	int allow_http;
	const char *want_sha256; /* checked when set (hex, any case) */
};

/* Writes to dest (mode 0600). On any failure dest is removed and err
 * says why (HTTP status, cut off after N bytes, size cap, checksum). */
int ck_download(const char *url, const char *dest,
		const struct ck_download_opts *opts,
		char sha256_out[CK_SHA256_HEX_LEN], struct ck_error *err);

/* A response body kept in memory for libcurl: CURLOPT_WRITEFUNCTION
 * ck_curl_body_write with CURLOPT_WRITEDATA a ck_curl_body whose max is
 * set. buf is NUL-terminated (NULL while empty); past max the write
 * stops the transfer (CURLE_WRITE_ERROR) and too_big says why. The
 * caller frees buf. */
struct ck_curl_body {
	char *buf;
	size_t len;
	size_t max;
	int too_big;
};
size_t ck_curl_body_write(char *ptr, size_t size, size_t nmemb, void *ud);

#endif
