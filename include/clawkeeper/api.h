/* The HTTP API server (libmicrohttpd): start it from an agent config,
 * reload keys and instance paths, stop it gracefully. Tests run it
 * in-process on port 0. */
#ifndef CK_API_H
#define CK_API_H

#include "agentconf.h"
#include "error.h"

struct ck_server;

/* Takes ownership of conf (also on failure). Listening when it returns. */
struct ck_server *ck_server_start(struct ck_agentconf *conf,
				  struct ck_error *err);
/* The bound TCP port (0 for a unix socket). */
int ck_server_port(const struct ck_server *srv);
/* Swaps in keys, tokens, instance paths and the refresh interval of
 * `conf` (ownership taken). Listen address, TLS and limits need a
 * restart; a change there is logged and ignored. */
int ck_server_reload(struct ck_server *srv, struct ck_agentconf *conf,
		     struct ck_error *err);
/* Stop accepting, wait up to grace_ms for in-flight requests, then stop
 * and free. */
void ck_server_shutdown(struct ck_server *srv, int grace_ms);
/* Stop at once and free. */
void ck_server_stop(struct ck_server *srv);

#endif
