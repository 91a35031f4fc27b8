/* Client-certificate verification. libmicrohttpd asks for a client
 * certificate when given a trust store (MHD_OPTION_HTTPS_MEM_TRUST) but
 * does not insist on one, so each request checks the GnuTLS session.
 * GnuTLS is already loaded by libmicrohttpd; its two functions are looked
 * up at run time so the build needs no extra link dependency. */
#include <dlfcn.h>
#include <gnutls/gnutls.h>
#include <stddef.h>

#include "internal.h"
#include "tls.h"

typedef int (*verify_fn)(gnutls_session_t, unsigned int *);

int
ck_tls_client_check(struct ck_request *req)
{
	static verify_fn verify;
	const union MHD_ConnectionInfo *ci;
	unsigned int status = 1;

	if (ck_req_conf(req)->tls_client_ca == NULL ||
	    req->srv->tls_ca_pem == NULL)
		return 0;
	if (verify == NULL)
		verify = (verify_fn)dlsym(RTLD_DEFAULT,
		    "gnutls_certificate_verify_peers2");
	ci = MHD_get_connection_info(req->conn,
	    MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (verify == NULL || ci == NULL || ci->tls_session == NULL)
		return -1;
	/* < 0 also covers "no certificate sent" */
	if (verify((gnutls_session_t)ci->tls_session, &status) < 0)
		return -1;
	return status == 0 ? 0 : -1;
}
