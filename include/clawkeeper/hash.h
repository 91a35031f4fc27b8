/* Hashing with OpenSSL: SHA-256, HMAC-SHA256, constant-time compare, and
 * the short fingerprint shown in place of any secret. */
#ifndef CK_HASH_H
#define CK_HASH_H

#include <stddef.h>
#include <stdint.h>

#define CK_SHA256_LEN 32
#define CK_SHA256_HEX_LEN 65 /* 64 hex + NUL */
/* "sha256:" + 12 hex + NUL, the same shape OpenClaw prints for inline keys */
#define CK_FINGERPRINT_LEN 20

void ck_sha256(const void *data, size_t len, uint8_t out[CK_SHA256_LEN]);
void ck_sha256_hex(const void *data, size_t len, char out[CK_SHA256_HEX_LEN]);
void ck_hex_encode(const uint8_t *in, size_t len, char *out /* 2*len+1 */);
/* The value of one hex digit (either case), -1 for anything else. */
int ck_hex_digit(int c);
/* Returns bytes decoded, -1 on a bad hex digit or odd length. */
int ck_hex_decode(const char *hex, uint8_t *out, size_t out_max);
void ck_hmac_sha256(const void *key, size_t key_len, const void *data,
		    size_t len, uint8_t out[CK_SHA256_LEN]);
/* Constant time; 1 when equal. */
int ck_secure_equal(const void *a, const void *b, size_t len);
/* "sha256:<first 12 hex of SHA-256(secret)>"; never reversible. */
void ck_fingerprint(const char *secret, char out[CK_FINGERPRINT_LEN]);
int ck_random_bytes(uint8_t *out, size_t len);

/* Streaming SHA-256 for files and uploads. */
struct ck_sha256_ctx;
struct ck_sha256_ctx *ck_sha256_begin(void);
void ck_sha256_update(struct ck_sha256_ctx *ctx, const void *data, size_t len);
void ck_sha256_end(struct ck_sha256_ctx *ctx, char out_hex[CK_SHA256_HEX_LEN]);
int ck_sha256_file(const char *path, char out_hex[CK_SHA256_HEX_LEN]);

#endif
