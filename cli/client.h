/* cli/client.c: one request to an agent's API (private to the CLI). */
#ifndef CK_CLI_CLIENT_H
#define CK_CLI_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "clawkeeper/error.h"

struct ck_client {
	const char *agent;        /* http(s)://host:port or unix:/path */
	const char *key_id;       /* HMAC signing, with key */
	const uint8_t *key;
	size_t key_len;
	const char *token;        /* or a bearer token */
	const char *cacert;
};

struct ck_request_out {
	const char *method, *path;
	const char *body;         /* NULL: none, or body_file */
	size_t body_len;
	const char *body_file;    /* streamed, hashed first */
	const char *const *headers; /* "Name: value" */
	int n_headers;
	int include_headers;      /* response headers to stderr */
	long timeout_s;           /* 0: 120 s */
};

struct ck_response {
	long status;
	char *body;               /* NUL-terminated, or NULL when empty */
	size_t len;
};

/* 0 when an answer came (any status); -1 with err on a transport error. */
int ck_client_send(const struct ck_client *c, const struct ck_request_out *r,
    struct ck_response *resp, struct ck_error *err);
void ck_response_free(struct ck_response *resp);

#endif
