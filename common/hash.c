/* SHA-256, HMAC-SHA256, constant-time compare, random bytes and secret
 * fingerprints, all through OpenSSL's libcrypto. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "clawkeeper/hash.h"

struct ck_sha256_ctx {
	EVP_MD_CTX *md;
};

void
ck_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
ck_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ck_hex_decode(const char *hex, uint8_t *out, size_t out_max)
{
	size_t len = strlen(hex);
	size_t i;

	if (len % 2 != 0 || len / 2 > out_max)
		return -1;
	for (i = 0; i < len / 2; i++) {
		int hi = ck_hex_digit((unsigned char)hex[2 * i]);
		int lo = ck_hex_digit((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(len / 2);
}

void
ck_sha256(const void *data, size_t len, uint8_t out[CK_SHA256_LEN])
{
	unsigned int n = CK_SHA256_LEN;

	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void
ck_sha256_hex(const void *data, size_t len, char out[CK_SHA256_HEX_LEN])
{
	uint8_t md[CK_SHA256_LEN];

	ck_sha256(data, len, md);
	ck_hex_encode(md, sizeof(md), out);
}

void
ck_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
	       uint8_t out[CK_SHA256_LEN])
{
	unsigned int n = CK_SHA256_LEN;

	HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n);
}

int
ck_secure_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void
ck_fingerprint(const char *secret, char out[CK_FINGERPRINT_LEN])
{
	char hex[CK_SHA256_HEX_LEN];

	ck_sha256_hex(secret, strlen(secret), hex);
	snprintf(out, CK_FINGERPRINT_LEN, "sha256:%.12s", hex);
}

int
ck_random_bytes(uint8_t *out, size_t len)
{
	return RAND_bytes(out, (int)len) == 1 ? 0 : -1;
}

struct ck_sha256_ctx *
ck_sha256_begin(void)
{
	struct ck_sha256_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL)
		return NULL;
	ctx->md = EVP_MD_CTX_new();
	if (ctx->md == NULL || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx->md);
		free(ctx);
		return NULL;
	}
	return ctx;
}

void
ck_sha256_update(struct ck_sha256_ctx *ctx, const void *data, size_t len)
{
	EVP_DigestUpdate(ctx->md, data, len);
}

void
ck_sha256_end(struct ck_sha256_ctx *ctx, char out_hex[CK_SHA256_HEX_LEN])
{
	uint8_t md[CK_SHA256_LEN];
	unsigned int n = sizeof(md);

	EVP_DigestFinal_ex(ctx->md, md, &n);
	ck_hex_encode(md, sizeof(md), out_hex);
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

int
ck_sha256_file(const char *path, char out_hex[CK_SHA256_HEX_LEN])
{
	struct ck_sha256_ctx *ctx;
	char buf[65536];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ctx = ck_sha256_begin();
	if (ctx == NULL) {
		close(fd);
		return -1;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		ck_sha256_update(ctx, buf, (size_t)n);
	}
	ck_sha256_end(ctx, out_hex);
	close(fd);
	return n < 0 ? -1 : 0;
}
