/* Private to api/ (server.c, tls.c): client-certificate verification for
 * TLS connections when the agent config names a client CA. */
#ifndef CK_API_TLS_H
#define CK_API_TLS_H

struct ck_request;

/* 0 when no client CA is configured or the peer's certificate chain
 * verifies against it; -1 otherwise. */
int ck_tls_client_check(struct ck_request *req);

#endif
