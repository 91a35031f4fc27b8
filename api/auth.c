/* Request authentication, default deny, from the headers alone (before
 * any body byte). Two schemes: HMAC request signing for the control plane
 * (keys from 0600 files, two may be active for rotation, +-300 s skew, ts
 * not before the agent's start, nonce replay cache) and bearer tokens
 * with a scope for people and scripts (the config stores only their
 * SHA-256). Canonical string (docs/api.md):
 *   METHOD \n request-target \n ts \n nonce \n X-Content-SHA256
 * where the declared body hash is then checked against the body. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HMAC_SCHEME "CK-HMAC-SHA256"
#define BEARER_SCHEME "Bearer"
#define MAX_TOKEN_LEN 1024
#define NONCE_PROBES 32

struct nonce_slot {
	uint8_t h[16];
	long long expires_s;
};

struct ck_nonce_cache {
	pthread_mutex_t lock;
	size_t n;
	struct nonce_slot *slots;
};

struct ck_nonce_cache *
ck_nonce_cache_new(size_t slots)
{
	struct ck_nonce_cache *nc = calloc(1, sizeof(*nc));

	if (nc == NULL)
		return NULL;
	/* calloc of a large block is fresh zero pages: no RSS until used */
	nc->slots = calloc(slots, sizeof(*nc->slots));
	if (nc->slots == NULL) {
		free(nc);
		return NULL;
	}
	nc->n = slots;
	pthread_mutex_init(&nc->lock, NULL);
	return nc;
}

void
ck_nonce_cache_free(struct ck_nonce_cache *nc)
{
	if (nc == NULL)
		return;
	pthread_mutex_destroy(&nc->lock);
	free(nc->slots);
	free(nc);
}

/* 1 when new (now remembered), 0 when replayed, -1 when the cache is
 * full of live nonces: then refuse rather than forget one, which would
 * let it be replayed. */
static int
nonce_remember(struct ck_nonce_cache *nc, const char *key_id,
    const char *nonce, long long now_s, long long expires_s)
{
	struct ck_sha256_ctx *ctx = ck_sha256_begin();
	char hex[CK_SHA256_HEX_LEN];
	uint8_t h[CK_SHA256_LEN];
	struct nonce_slot *free_slot = NULL;
	size_t start, i;
	int rc = -1;

	if (ctx == NULL)
		return -1;
	ck_sha256_update(ctx, key_id, strlen(key_id) + 1);
	ck_sha256_update(ctx, nonce, strlen(nonce));
	ck_sha256_end(ctx, hex);
	ck_hex_decode(hex, h, sizeof(h));
	memcpy(&start, h + 16, sizeof(start));
	pthread_mutex_lock(&nc->lock);
	for (i = 0; i < NONCE_PROBES; i++) {
		struct nonce_slot *s = &nc->slots[(start + i) % nc->n];

		if (s->expires_s < now_s) {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		if (memcmp(s->h, h, 16) == 0) {
			rc = 0;
			goto out;
		}
	}
	if (free_slot != NULL) {
		memcpy(free_slot->h, h, 16);
		free_slot->expires_s = expires_s;
		rc = 1;
	}
out:
	pthread_mutex_unlock(&nc->lock);
	return rc;
}

static enum MHD_Result
deny(struct ck_request *req, unsigned status, const char *why,
    const char *fmt, const char *arg)
{
	req->auth_failure = why;
	return ck_reply_error(req, status, status == 403 ? "forbidden" :
	    "unauthorized", fmt, arg);
}

static int
valid_chars(const char *s, size_t lo, size_t hi, const char *extra)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++) {
		if (n >= hi)
			return 0;
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return 0;
	}
	return n >= lo;
}

/* Parses "keyId=a, ts=1, nonce=n, signature=hex" into the fields; every
 * field exactly once, nothing else. */
static int
parse_hmac_params(const char *p, char *key_id, size_t key_id_len,
    char *ts, char *nonce, char *sig)
{
	int seen = 0;

	while (*p != '\0') {
		const char *eq, *end;
		char *dst;
		size_t cap, len;
		int bit;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		eq = strchr(p, '=');
		if (eq == NULL)
			return -1;
		end = eq + strcspn(eq, ",");
		if (strncmp(p, "keyId=", 6) == 0) {
			dst = key_id, cap = key_id_len, bit = 1;
		} else if (strncmp(p, "ts=", 3) == 0) {
			dst = ts, cap = 21, bit = 2;
		} else if (strncmp(p, "nonce=", 6) == 0) {
			dst = nonce, cap = 65, bit = 4;
		} else if (strncmp(p, "signature=", 10) == 0) {
			dst = sig, cap = 65, bit = 8;
		} else
			return -1;
		len = (size_t)(end - eq - 1);
		while (len > 0 && eq[len] == ' ')
			len--;
		if ((seen & bit) != 0 || len == 0 || len >= cap)
			return -1;
		memcpy(dst, eq + 1, len);
		dst[len] = '\0';
		seen |= bit;
		p = end;
	}
	return seen == 15 ? 0 : -1;
}

/* One answer for every signature that does not verify, whether the key id
 * is unknown or the MAC is wrong: a caller without a key must not learn
 * which key ids exist. The audit line says which (auth_failure). */
static enum MHD_Result
deny_signature(struct ck_request *req, const char *why)
{
	return deny(req, 401, why, "%s", "signature does not verify: sign "
	    "METHOD\\nPATH?QUERY\\nts\\nnonce\\nX-Content-SHA256 with a "
	    "configured key (docs/api.md)");
}

/* The signature covers the body through the hash the client declares, so
 * it is verified before a byte of the body is read; the body is checked
 * against the declared hash as it arrives (ck_auth_finish). */
static int
verify_signature(struct ck_request *req, const char *key_id,
    enum MHD_Result *res)
{
	static const uint8_t no_key[32];
	struct ck_agentconf *conf = ck_req_conf(req);
	const struct ck_agentconf_key *key = NULL;
	uint8_t mac[CK_SHA256_LEN];
	char ts[24], *canon;
	size_t i;
	int ok;

	for (i = 0; i < conf->n_keys; i++)
		if (strcmp(conf->keys[i].id, key_id) == 0)
			key = &conf->keys[i];
	snprintf(ts, sizeof(ts), "%lld", req->ts);
	canon = ck_strdup_printf("%s\n%s\n%s\n%s\n%s", req->method,
	    req->raw_uri, ts, req->nonce, req->body_sha_declared);
	if (canon == NULL) {
		*res = ck_reply_error(req, 500, "internal", "%s", "out of memory");
		return -1;
	}
	/* an unknown key costs the same MAC, so the time says nothing either */
	if (key != NULL)
		ck_hmac_sha256(key->key, key->key_len, canon, strlen(canon), mac);
	else
		ck_hmac_sha256(no_key, sizeof(no_key), canon, strlen(canon), mac);
	free(canon);
	ok = ck_secure_equal(mac, req->sig, sizeof(mac));
	if (key == NULL || !ok) {
		*res = deny_signature(req, key == NULL ? "unknown_key" :
		    "bad_signature");
		return -1;
	}
	req->hmac_key = key;
	return 0;
}

static int
begin_hmac(struct ck_request *req, const char *params, enum MHD_Result *res)
{
	char key_id[65], ts[24], sig_hex[65];
	long long now_s = ck_clock_now_ms() / 1000;
	int rc;

	if (parse_hmac_params(params, key_id, sizeof(key_id), ts, req->nonce,
	    sig_hex) != 0 || !valid_chars(key_id, 1, 64, "._-") ||
	    !valid_chars(ts, 1, 20, "") || !valid_chars(req->nonce, 8, 64, "_-") ||
	    ck_hex_decode(sig_hex, req->sig, sizeof(req->sig)) != CK_SHA256_LEN) {
		*res = deny(req, 401, "malformed_authorization", "%s",
		    "malformed Authorization header: expected " HMAC_SCHEME
		    " keyId=<id>, ts=<unix seconds>, nonce=<8-64 of "
		    "[A-Za-z0-9_-]>, signature=<64 hex>");
		return -1;
	}
	req->ts = strtoll(ts, NULL, 10);
	snprintf(req->principal, sizeof(req->principal), "key:%s", key_id);
	if (req->ts > now_s + CK_API_MAX_SKEW_S ||
	    req->ts < now_s - CK_API_MAX_SKEW_S) {
		*res = deny(req, 401, "clock_skew", "%s", "ts is more than 300 s "
		    "away from the agent's clock; check NTP on both sides");
		return -1;
	}
	if (req->body_sha_declared[0] == '\0') {
		if (ck_req_has_body(req)) {
			*res = deny(req, 401, "missing_content_sha256", "%s", "a "
			    "signed request with a body must declare the body's "
			    "SHA-256 in X-Content-SHA256 (64 hex) and sign it "
			    "(docs/api.md)");
			return -1;
		}
		memcpy(req->body_sha_declared, CK_API_EMPTY_SHA256,
		    sizeof(req->body_sha_declared));
	}
	if (verify_signature(req, key_id, res) != 0)
		return -1;
	if (req->ts < req->srv->signed_from_s) {
		*res = deny(req, 401, "signed_before_start", "%s", "ts is from "
		    "before the agent started: it accepts only requests signed "
		    "since then; sign again with the current time");
		return -1;
	}
	/* only a verified request may take a nonce, so nobody can fill the
	 * cache with guesses */
	rc = nonce_remember(req->srv->nonces, key_id, req->nonce, now_s,
	    req->ts + CK_API_MAX_SKEW_S + 1);
	if (rc == 0) {
		*res = deny(req, 401, "replayed_nonce", "%s", "nonce already used "
		    "within the last 300 s: send a fresh nonce per request");
		return -1;
	}
	if (rc < 0) {
		req->auth_failure = "nonce_cache_full";
		*res = ck_reply_error(req, 503, "busy", "%s", "too many signed "
		    "requests in the replay window; retry shortly");
		return -1;
	}
	req->scope = CK_SCOPE_OPERATE;
	return 0;
}

static int
begin_bearer(struct ck_request *req, const char *token, enum MHD_Result *res)
{
	struct ck_agentconf *conf = ck_req_conf(req);
	char hex[CK_SHA256_HEX_LEN];
	const struct ck_agentconf_token *found = NULL;
	size_t i, len = strlen(token);

	if (len == 0 || len > MAX_TOKEN_LEN) {
		*res = deny(req, 401, "malformed_authorization", "%s",
		    "malformed bearer token");
		return -1;
	}
	ck_sha256_hex(token, len, hex);
	/* look at every token so the time taken says nothing about which */
	for (i = 0; i < conf->n_tokens; i++)
		if (ck_secure_equal(hex, conf->tokens[i].sha256, 64) &&
		    found == NULL)
			found = &conf->tokens[i];
	if (found == NULL) {
		*res = deny(req, 401, "unknown_token", "%s", "unknown bearer token");
		return -1;
	}
	snprintf(req->principal, sizeof(req->principal), "token:%s",
	    found->name);
	req->scope = found->scope;
	return 0;
}

/* X-Content-SHA256, when sent, into req->body_sha_declared (lowercase). */
static int
declared_sha256(struct ck_request *req, enum MHD_Result *res)
{
	const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    CK_API_CONTENT_SHA256);
	size_t i;

	if (h == NULL)
		return 0;
	if (strlen(h) != CK_SHA256_HEX_LEN - 1 ||
	    strspn(h, "0123456789abcdefABCDEF") != CK_SHA256_HEX_LEN - 1) {
		*res = ck_reply_error(req, 400, "bad_content_sha256", "%s",
		    CK_API_CONTENT_SHA256 ": expected the body's SHA-256 as 64 "
		    "hex digits");
		return -1;
	}
	for (i = 0; i < CK_SHA256_HEX_LEN - 1; i++)
		req->body_sha_declared[i] = (char)tolower((unsigned char)h[i]);
	req->body_sha_declared[i] = '\0';
	return 0;
}

int
ck_auth_begin(struct ck_request *req, enum MHD_Result *res)
{
	const struct ck_route *route = &ck_routes[req->route_idx];
	const char *h;
	int rc;

	if (route->scope == CK_SCOPE_NONE)
		return 0;
	if (declared_sha256(req, res) != 0)
		return -1;
	h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL) {
		*res = deny(req, 401, "missing_credentials", "%s",
		    "this route needs an Authorization header (" HMAC_SCHEME
		    " or Bearer)");
		return -1;
	}
	if (strncmp(h, HMAC_SCHEME " ", sizeof(HMAC_SCHEME)) == 0)
		rc = begin_hmac(req, h + sizeof(HMAC_SCHEME), res);
	else if (strncmp(h, BEARER_SCHEME " ", sizeof(BEARER_SCHEME)) == 0)
		rc = begin_bearer(req, h + sizeof(BEARER_SCHEME), res);
	else {
		*res = deny(req, 401, "malformed_authorization", "%s",
		    "unsupported Authorization scheme: use " HMAC_SCHEME
		    " or Bearer");
		return -1;
	}
	if (rc != 0)
		return -1;
	if (req->scope < route->scope) {
		*res = deny(req, 403, "scope", "this route needs scope %s",
		    ck_scope_name(route->scope));
		return -1;
	}
	return 0;
}

int
ck_auth_finish(struct ck_request *req, enum MHD_Result *res)
{
	char body_hex[CK_SHA256_HEX_LEN];

	if (req->body_sha_declared[0] == '\0')
		return 0;
	if (req->upload_sha_hex[0] != '\0')
		memcpy(body_hex, req->upload_sha_hex, sizeof(body_hex));
	else
		ck_sha256_hex(req->body ? req->body : "", req->body_len, body_hex);
	if (strcmp(body_hex, req->body_sha_declared) != 0) {
		req->auth_failure = "content_sha256_mismatch";
		*res = ck_reply_error(req, 400, "content_sha256_mismatch", "%s",
		    "the body's SHA-256 is not the one " CK_API_CONTENT_SHA256
		    " declared: nothing of it was kept");
		return -1;
	}
	return 0;
}
