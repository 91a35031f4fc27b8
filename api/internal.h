/* Private to api/: the per-request state, the route table, reply helpers,
 * the health cache and the metrics registry shared by server.c, auth.c,
 * routes.c and the handlers. */
#ifndef CK_API_INTERNAL_H
#define CK_API_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <microhttpd.h>

#include "clawkeeper/gwwatch.h"
#include "clawkeeper/clock.h"
#include "clawkeeper/agentconf.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "clawkeeper/engine.h"
#include "clawkeeper/journal.h"

#define CK_API_MAX_SKEW_S 300
/* The SHA-256 of an empty body: what a signed request without a body and
 * without X-Content-SHA256 is taken to declare. */
#define CK_API_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define CK_API_NONCE_SLOTS 16384
/* The header a client declares its body's SHA-256 in (hex); the HMAC
 * signature covers it. */
#define CK_API_CONTENT_SHA256 "X-Content-SHA256"

struct ck_request;
typedef enum MHD_Result (*ck_handler_fn)(struct ck_request *req);

struct ck_route {
	const char *method;
	const char *pattern;     /* "/v1/operations/{id}": one {param} segment */
	ck_handler_fn handler;
	enum ck_scope scope;     /* CK_SCOPE_NONE: open */
	const char *name;        /* metrics label: the pattern */
	int upload;              /* 1: a gzip body streams to a file, not memory */
};

#define CK_API_MAX_UPLOAD ((unsigned long long)4 << 30)

extern const struct ck_route ck_routes[];
extern const size_t ck_n_routes;

/* A counted reference to the config in force, so SIGHUP can swap it while
 * requests still hold the old one. */
struct ck_confref {
	struct ck_agentconf *conf;
	atomic_int refs;
};

struct ck_health_cache;
struct ck_metrics;
struct ck_nonce_cache;
struct ck_upload_budget;
struct ck_connguard;

struct ck_server {
	struct MHD_Daemon *daemon;
	int listen_fd;
	int port;
	char *unix_path;
	pthread_mutex_t conf_lock;
	struct ck_confref *conf;
	struct ck_health_cache *health;
	struct ck_metrics *metrics;
	struct ck_nonce_cache *nonces;
	struct ck_upload_budget *uploads;
	struct ck_connguard *guard;
	long long started_ms;
	/* the first ts a signed request may carry: requests signed before
	 * this agent served could have been seen by an earlier one, whose
	 * nonces are gone */
	long long signed_from_s;
	atomic_int inflight;
	char *tls_cert_pem, *tls_key_pem, *tls_ca_pem;
	/* Operations run against the config the server started with: the
	 * engine keeps that reference (a reload does not move it). */
	struct ck_confref *ops_conf;
	struct ck_instance_opts ops_inst;
	struct ck_opengine_conf ops_engine_conf;
	struct ck_opengine *engine;
	int agent_lock_fd;        /* <work_dir>/agent.lock, -1 when not held */
	struct ck_gwwatch *gwwatch; /* supervise driver only; NULL otherwise */
};

enum ck_req_state { REQ_NEW = 0, REQ_HEAD_READ, REQ_BODY, REQ_WAIT_HEALTH,
	REQ_RESUMED, REQ_DONE };

struct ck_request {
	struct ck_server *srv;
	struct MHD_Connection *conn;
	struct ck_confref *cref;
	char *raw_uri;                /* request target as sent, with query */
	const char *method;
	struct timespec start;
	int route_idx;                /* -1: no route */
	char param[CK_OP_ID_MAX + 1]; /* the {id} segment */
	enum ck_req_state state;
	char *body;
	size_t body_len, body_cap;
	int body_too_big;
	/* upload routes: the body goes to a file as it arrives */
	int upload_fd;                /* -1: none */
	char *upload_path;            /* unlinked at the end unless a handler took it */
	unsigned long long upload_len;
	struct ck_sha256_ctx *upload_sha;
	char upload_sha_hex[CK_SHA256_HEX_LEN];
	unsigned long long upload_reserved; /* bytes held in the principal's budget */
	/* X-Content-SHA256 as lowercase hex, "" when not declared; a signed
	 * request's signature covers it, so it is verified before the body */
	char body_sha_declared[CK_SHA256_HEX_LEN];
	/* auth */
	char principal[96];           /* "key:<id>", "token:<name>", "" */
	enum ck_scope scope;
	const struct ck_agentconf_key *hmac_key;
	char nonce[65];
	long long ts;
	uint8_t sig[CK_SHA256_LEN];
	const char *auth_failure;     /* reason for the audit line */
	/* result */
	unsigned status;
	char op_id[CK_OP_ID_MAX + 1];
	unsigned long long need_gen;  /* health refresh this request waits for */
	int health_failed;
	struct ck_request *next_waiter;
};

static inline struct ck_agentconf *
ck_req_conf(const struct ck_request *req)
{
	return req->cref->conf;
}

/* The request's Content-Type, or NULL. */
static inline const char *
ck_req_content_type(const struct ck_request *req)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
}

/* 1 when the body is declared JSON, or not declared at all. */
static inline int
ck_req_json_body(const struct ck_request *req)
{
	const char *ct = ck_req_content_type(req);

	return ct == NULL || strncmp(ct, "application/json", 16) == 0;
}

/* routes.c: 0 and *idx on a match; -1 no such path; -2 path exists but not
 * for this method (allow filled with "GET, PUT"). */
int ck_route_match(const char *method, const char *path, int *idx,
		   char *param, size_t param_len, char *allow, size_t allow_len);

/* server.c reply helpers; body is stolen. */
enum MHD_Result ck_reply_json(struct ck_request *req, unsigned status,
			      json_t *body, const char *etag);
enum MHD_Result ck_reply_bytes(struct ck_request *req, unsigned status,
			       const char *buf, size_t len, const char *ctype,
			       const char *etag);
enum MHD_Result ck_reply_error(struct ck_request *req, unsigned status,
			       const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* 1 when the request carries a body: a Content-Length other than 0, or
 * a chunked one. */
int ck_req_has_body(struct ck_request *req);
struct ck_confref *ck_server_conf_get(struct ck_server *srv);
void ck_confref_put(struct ck_confref *cref);

/* auth.c: authenticates from the headers alone, before any body byte is
 * read: the Authorization header, and for a signed request the signature
 * over the declared body hash, the start-time floor and the nonce.
 * Returns 0 when the request may proceed to the body (or is open); else
 * a reply has been queued and its MHD result is in *result. */
int ck_auth_begin(struct ck_request *req, enum MHD_Result *result);
/* After the body: its SHA-256 is the one declared, when one was. */
int ck_auth_finish(struct ck_request *req, enum MHD_Result *result);
struct ck_nonce_cache *ck_nonce_cache_new(size_t slots);
void ck_nonce_cache_free(struct ck_nonce_cache *nc);

/* upload.c: archive bodies streamed to <work_dir>/uploads. admit checks
 * the declared length against the upload cap, the principal's budget of
 * bytes in flight and the free space, then opens the file; 0 or a reply
 * queued (*result). end releases the budget and removes the file unless
 * a handler took it. */
struct ck_upload_budget *ck_upload_budget_new(void);
void ck_upload_budget_free(struct ck_upload_budget *b);
int ck_upload_admit(struct ck_request *req, enum MHD_Result *result);
void ck_upload_take(struct ck_request *req, const char *data, size_t len);
void ck_upload_close(struct ck_request *req);
void ck_upload_discard(struct ck_request *req);
void ck_upload_end(struct ck_request *req);

/* connguard.c: the header deadline and the per-address cap on
 * connections waiting for their headers. accept and notify are
 * libmicrohttpd's accept policy and connection callbacks (cls: the
 * guard); headers_done is called on a request's first access-handler
 * call, request_done when it completes (the next one's deadline starts).
 * Stop after the daemon. */
struct ck_connguard *ck_connguard_start(unsigned header_timeout_s,
					unsigned max_pending_per_ip,
					struct ck_error *err);
void ck_connguard_stop(struct ck_connguard *g);
enum MHD_Result ck_connguard_accept(void *cls, const struct sockaddr *addr,
				    socklen_t len);
void ck_connguard_notify(void *cls, struct MHD_Connection *conn,
			 void **socket_context,
			 enum MHD_ConnectionNotificationCode code);
void ck_connguard_headers_done(struct ck_connguard *g,
			       struct MHD_Connection *conn);
void ck_connguard_request_done(struct ck_connguard *g,
			       struct MHD_Connection *conn);

/* health_cache.c */
struct ck_health_cache *ck_health_cache_start(struct ck_server *srv,
					      struct ck_error *err);
void ck_health_cache_stop(struct ck_health_cache *hc);
/* Copies the cached report's JSON text (caller frees) and returns a new
 * reference to the report; NULL when none yet. */
json_t *ck_health_cache_get(struct ck_health_cache *hc, char **text,
			    size_t *len);
/* Suspends the request until a report computed after now is ready. */
void ck_health_cache_wait(struct ck_health_cache *hc, struct ck_request *req);
void ck_health_cache_poke(struct ck_health_cache *hc);

/* metrics.c */
struct ck_metrics *ck_metrics_new(void);
void ck_metrics_free(struct ck_metrics *m);
void ck_metrics_observe(struct ck_metrics *m, int route_idx, unsigned status,
			double seconds);
/* Prometheus text; caller frees. */
char *ck_metrics_render(struct ck_metrics *m, const json_t *health,
			const json_t *ops, size_t *len);

/* handlers */
enum MHD_Result ck_h_agent(struct ck_request *req);
enum MHD_Result ck_h_health(struct ck_request *req);
enum MHD_Result ck_h_config(struct ck_request *req);
enum MHD_Result ck_h_decisions(struct ck_request *req);
enum MHD_Result ck_h_settings_get(struct ck_request *req);
enum MHD_Result ck_h_settings_put(struct ck_request *req);
enum MHD_Result ck_h_ops_list(struct ck_request *req);
enum MHD_Result ck_h_ops_get(struct ck_request *req);
enum MHD_Result ck_h_metrics(struct ck_request *req);
enum MHD_Result ck_h_regenerate(struct ck_request *req);
enum MHD_Result ck_h_upgrade(struct ck_request *req);
enum MHD_Result ck_h_plan(struct ck_request *req);
enum MHD_Result ck_h_import(struct ck_request *req);

/* server.c: the engine, recovered before the API answers, and the
 * supervised gateway with its watch (agent/owner.c); stopped last. */
int ck_server_ops_start(struct ck_server *srv, struct ck_error *err);
void ck_server_ops_stop(struct ck_server *srv);

#endif
