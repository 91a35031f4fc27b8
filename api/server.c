/* The HTTP server: libmicrohttpd with its internal epoll thread, explicit
 * limits (with a header deadline, api/connguard.c), our own listening
 * socket (TCP or unix), optional TLS; it
 * matches the route, authenticates, reads a capped body, runs the
 * handler, and records metrics and an audit line when a request ends. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/api.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/log.h"
#include "clawkeeper/owner.h"
#include "internal.h"
#include "tls.h"

#define POLL_STACK_SIZE (256 * 1024)
#define TLS_FILE_MAX (256 * 1024)

struct ck_confref *
ck_server_conf_get(struct ck_server *srv)
{
	struct ck_confref *cref;

	pthread_mutex_lock(&srv->conf_lock);
	cref = srv->conf;
	atomic_fetch_add(&cref->refs, 1);
	pthread_mutex_unlock(&srv->conf_lock);
	return cref;
}

void
ck_confref_put(struct ck_confref *cref)
{
	if (cref != NULL && atomic_fetch_sub(&cref->refs, 1) == 1) {
		ck_agentconf_free(cref->conf);
		free(cref);
	}
}

static struct ck_confref *
confref_new(struct ck_agentconf *conf)
{
	struct ck_confref *cref = calloc(1, sizeof(*cref));

	if (cref == NULL)
		return NULL;
	cref->conf = conf;
	atomic_init(&cref->refs, 1);
	return cref;
}

/* ---- replies ---- */

static enum MHD_Result
queue(struct ck_request *req, unsigned status, struct MHD_Response *resp,
    const char *ctype, const char *etag)
{
	enum MHD_Result rc;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (etag != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "CK-HMAC-SHA256, Bearer");
	req->status = status;
	req->state = REQ_DONE;
	rc = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

enum MHD_Result
ck_reply_bytes(struct ck_request *req, unsigned status, const char *buf,
    size_t len, const char *ctype, const char *etag)
{
	return queue(req, status, MHD_create_response_from_buffer(len,
	    (void *)buf, MHD_RESPMEM_MUST_COPY), ctype, etag);
}

enum MHD_Result
ck_reply_json(struct ck_request *req, unsigned status, json_t *body,
    const char *etag)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct MHD_Response *resp;

	json_decref(body);
	if (text == NULL)
		return MHD_NO; /* out of memory: drop the connection */
	resp = MHD_create_response_from_buffer(strlen(text), text,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		free(text);
	return queue(req, status, resp, "application/json", etag);
}

enum MHD_Result
ck_reply_error(struct ck_request *req, unsigned status, const char *code,
    const char *fmt, ...)
{
	char msg[CK_ERROR_MAX];
	va_list ap;
	json_t *doc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	doc = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
	if (doc == NULL)
		return MHD_NO;
	return ck_reply_json(req, status, doc, NULL);
}

/* ---- request life cycle ---- */

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct ck_server *srv = cls;
	struct ck_request *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->srv = srv;
	req->conn = conn;
	req->route_idx = -1;
	req->upload_fd = -1;
	req->raw_uri = strdup(uri);
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	req->cref = ck_server_conf_get(srv);
	atomic_fetch_add(&srv->inflight, 1);
	return req;
}

static int is_archive_upload(struct ck_request *req);

static enum MHD_Result
begin(struct ck_request *req, const char *url, const char *method)
{
	struct ck_agentconf *conf = ck_req_conf(req);
	char allow[64];
	const char *cl;
	enum MHD_Result res;
	int rc;

	req->method = method;
	if (ck_tls_client_check(req) != 0) {
		req->auth_failure = "client_certificate";
		return ck_reply_error(req, 403, "forbidden", "%s",
		    "a valid client certificate is required");
	}
	rc = ck_route_match(method, url, &req->route_idx, req->param,
	    sizeof(req->param), allow, sizeof(allow));
	if (rc == -1)
		return ck_reply_error(req, 404, "not_found", "no route %s", url);
	if (rc == -2) {
		struct MHD_Response *resp;
		char *text = ck_strdup_printf("{\"error\":{\"code\":"
		    "\"method_not_allowed\",\"message\":\"%s is not allowed "
		    "here; allowed: %s\"}}", method[0] && strlen(method) < 16 ?
		    method : "method", allow);

		if (text == NULL)
			return MHD_NO;
		resp = MHD_create_response_from_buffer(strlen(text), text,
		    MHD_RESPMEM_MUST_FREE);
		if (resp != NULL)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
		return queue(req, 405, resp, "application/json", NULL);
	}
	/* everything up to here is decided from the headers: nothing of the
	 * body has been read, let alone stored */
	if (ck_auth_begin(req, &res) != 0)
		return res;
	cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (ck_routes[req->route_idx].upload && is_archive_upload(req)) {
		if (ck_upload_admit(req, &res) != 0)
			return res;
		req->state = REQ_BODY;
		return MHD_YES;
	}
	if (cl != NULL && strtoull(cl, NULL, 10) > conf->max_body_bytes)
		return ck_reply_error(req, 413, "body_too_large", "the body "
		    "limit is %zu bytes", conf->max_body_bytes);
	req->state = REQ_BODY;
	return MHD_YES;
}

static int
is_archive_upload(struct ck_request *req)
{
	const char *ct = ck_req_content_type(req);

	return ct != NULL && (strncasecmp(ct, "application/gzip", 16) == 0 ||
	    strncasecmp(ct, "application/x-gzip", 18) == 0 ||
	    strncasecmp(ct, "application/octet-stream", 24) == 0);
}

static void
take_body(struct ck_request *req, const char *data, size_t len)
{
	size_t max = ck_req_conf(req)->max_body_bytes;

	if (req->body_too_big || req->body_len + len > max) {
		/* keep reading and dropping, answer 413 at the end */
		req->body_too_big = 1;
		return;
	}
	if (req->body_len + len + 1 > req->body_cap) {
		size_t cap = req->body_cap ? req->body_cap : 4096;
		char *nb;

		while (cap < req->body_len + len + 1)
			cap *= 2;
		nb = realloc(req->body, cap);
		if (nb == NULL) {
			req->body_too_big = 1;
			return;
		}
		req->body = nb;
		req->body_cap = cap;
	}
	memcpy(req->body + req->body_len, data, len);
	req->body_len += len;
	req->body[req->body_len] = '\0';
}

int
ck_req_has_body(struct ck_request *req)
{
	const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING);

	return te != NULL || (cl != NULL && strspn(cl, "0") != strlen(cl));
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct ck_request *req = *req_cls;
	enum MHD_Result res;

	(void)cls;
	(void)version;
	if (req == NULL)
		return MHD_NO;
	req->conn = conn;
	switch (req->state) {
	case REQ_NEW:
		/* the first call comes once the headers are in */
		ck_connguard_headers_done(req->srv->guard, conn);
		/* A reply queued on the first call, before libmicrohttpd knows
		 * the body is read, closes the connection after it: right for a
		 * body we refuse unread, wrong for pipelined requests behind one
		 * without a body. Those are decided on the next call. */
		if (!ck_req_has_body(req)) {
			req->state = REQ_HEAD_READ;
			return MHD_YES;
		}
		return begin(req, url, method);
	case REQ_HEAD_READ:
		if (begin(req, url, method) == MHD_NO)
			return MHD_NO;
		if (req->state == REQ_DONE)
			return MHD_YES;
		return on_request(cls, conn, url, method, version, upload_data,
		    upload_data_size, req_cls);
	case REQ_BODY:
		if (*upload_data_size > 0) {
			if (req->upload_fd >= 0)
				ck_upload_take(req, upload_data, *upload_data_size);
			else
				take_body(req, upload_data, *upload_data_size);
			*upload_data_size = 0;
			return MHD_YES;
		}
		ck_upload_close(req);
		if (req->body_too_big && req->upload_path != NULL) {
			ck_upload_discard(req);
			return ck_reply_error(req, 413, "body_too_large", "the upload "
			    "was larger than its Content-Length or could not be "
			    "stored (see the agent log)");
		}
		if (req->body_too_big)
			return ck_reply_error(req, 413, "body_too_large", "the body "
			    "limit is %zu bytes", ck_req_conf(req)->max_body_bytes);
		if (ck_auth_finish(req, &res) != 0) {
			ck_upload_discard(req);
			return res;
		}
		return ck_routes[req->route_idx].handler(req);
	case REQ_WAIT_HEALTH:
	case REQ_RESUMED:
		return ck_routes[req->route_idx].handler(req);
	case REQ_DONE:
	default:
		*upload_data_size = 0;
		return MHD_YES;
	}
}

static void
client_addr(struct MHD_Connection *conn, char *buf, size_t n)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	socklen_t len = sizeof(struct sockaddr_in6);

	snprintf(buf, n, "unix");
	if (sa == NULL || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return;
	if (sa->sa_family == AF_INET)
		len = sizeof(struct sockaddr_in);
	if (getnameinfo(sa, len, buf, (socklen_t)n, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(buf, n, "?");
}

static void
audit(struct ck_request *req)
{
	const char *route = req->route_idx >= 0 ?
	    ck_routes[req->route_idx].name : "unmatched";
	char addr[INET6_ADDRSTRLEN + 8];
	json_t *f;

	client_addr(req->conn, addr, sizeof(addr));
	f = json_pack("{s:b, s:s, s:s, s:s, s:s, s:i}", "audit", 1,
	    "principal", req->principal[0] ? req->principal : "-",
	    "client", addr, "method", req->method ? req->method : "-",
	    "route", route, "status", (int)req->status);
	if (f == NULL)
		return;
	if (req->op_id[0] != '\0')
		json_object_set_new(f, "operation_id", json_string(req->op_id));
	if (req->auth_failure != NULL)
		json_object_set_new(f, "auth_failure",
		    json_string(req->auth_failure));
	ck_log_json(req->status >= 400 ? CK_LOG_WARN : CK_LOG_INFO, "audit", f,
	    "%s %s %u", req->method ? req->method : "-", route, req->status);
	json_decref(f);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct ck_server *srv = cls;
	struct ck_request *req = *req_cls;
	struct timespec end;
	double secs;

	(void)toe;
	ck_connguard_request_done(srv->guard, conn);
	if (req == NULL)
		return;
	req->conn = conn;
	clock_gettime(CLOCK_MONOTONIC, &end);
	secs = (double)(end.tv_sec - req->start.tv_sec) +
	    (double)(end.tv_nsec - req->start.tv_nsec) / 1e9;
	if (req->status != 0) {
		ck_metrics_observe(srv->metrics, req->route_idx, req->status, secs);
		if (req->auth_failure != NULL || (req->method != NULL &&
		    strcmp(req->method, "GET") != 0 &&
		    strcmp(req->method, "HEAD") != 0))
			audit(req);
	}
	ck_upload_end(req);
	ck_confref_put(req->cref);
	free(req->raw_uri);
	free(req->body);
	free(req);
	*req_cls = NULL;
	atomic_fetch_sub(&srv->inflight, 1);
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	ck_log_msg(CK_LOG_WARN, "libmicrohttpd", "%s", msg);
}

/* ---- listening socket ---- */

static int
listen_unix(struct ck_server *srv, const char *path, struct ck_error *err)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		ck_error_set(err, "listen: unix socket path too long: %s", path);
		return -1;
	}
	/* a socket left by a previous run would make bind fail */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ck_error_set(err, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* chmod before listen: nobody can connect in between */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(path, 0660) != 0 || listen(fd, 128) != 0) {
		ck_error_set(err, "listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	srv->unix_path = strdup(path);
	return fd;
}

static int
listen_tcp(struct ck_server *srv, const char *host, unsigned port,
    struct ck_error *err)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char portstr[8];
	int fd, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	rc = getaddrinfo(host, portstr, &hints, &ai);
	if (rc != 0) {
		ck_error_set(err, "listen: %s: %s", host, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		ck_error_set(err, "listen on %s:%u: %s", host, port,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	srv->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static int
load_pem(const char *path, char **out, struct ck_error *err)
{
	size_t len;

	if (path == NULL)
		return 0;
	return ck_file_read(path, TLS_FILE_MAX, out, &len, err);
}

static int
start_daemon(struct ck_server *srv, const struct ck_agentconf *c,
    struct ck_error *err)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls_opts[4];
	int n = 0;

	memset(tls_opts, 0, sizeof(tls_opts));
	if (c->tls_cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			ck_error_set(err, "tls: this libmicrohttpd has no TLS");
			return -1;
		}
		if (load_pem(c->tls_cert, &srv->tls_cert_pem, err) != 0 ||
		    load_pem(c->tls_key, &srv->tls_key_pem, err) != 0 ||
		    load_pem(c->tls_client_ca, &srv->tls_ca_pem, err) != 0)
			return -1;
		flags |= MHD_USE_TLS;
		tls_opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT,
		    0, srv->tls_cert_pem };
		tls_opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY,
		    0, srv->tls_key_pem };
		if (srv->tls_ca_pem != NULL)
			tls_opts[n++] = (struct MHD_OptionItem){
			    MHD_OPTION_HTTPS_MEM_TRUST, 0, srv->tls_ca_pem };
	}
	tls_opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	srv->daemon = MHD_start_daemon(flags, 0, ck_connguard_accept, srv->guard,
	    on_request, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->connection_timeout_s,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)c->max_per_ip,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)c->max_header_bytes,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)POLL_STACK_SIZE,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, ck_connguard_notify, srv->guard,
	    MHD_OPTION_ARRAY, tls_opts,
	    MHD_OPTION_END);
	if (srv->daemon == NULL) {
		ck_error_set(err, "libmicrohttpd would not start on %s (see the "
		    "log line before this one)", c->listen);
		return -1;
	}
	return 0;
}

/* Replay protection that survives a restart, persisting nothing: the
 * nonces an earlier agent saw are gone, so a signed request is accepted
 * only when its ts is from a whole second after this agent began to
 * serve. Serving starts on that second's boundary, so no client that
 * signs after it can connect is refused for it (ts has 1 s resolution). */
static void
wait_for_next_second(struct ck_server *srv)
{
	long long now = ck_clock_now_ms();

	srv->signed_from_s = now / 1000 + 1;
	/* and a little past it: time() reads a coarse clock that may lag a
	 * tick behind */
	usleep((useconds_t)(srv->signed_from_s * 1000 - now + 50) * 1000);
}

struct ck_server *
ck_server_start(struct ck_agentconf *conf, struct ck_error *err)
{
	struct ck_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL || (srv->conf = confref_new(conf)) == NULL) {
		ck_error_set(err, "out of memory");
		ck_agentconf_free(conf);
		free(srv);
		return NULL;
	}
	pthread_mutex_init(&srv->conf_lock, NULL);
	srv->started_ms = ck_clock_now_ms();
	srv->listen_fd = -1;
	srv->agent_lock_fd = -1;
	srv->metrics = ck_metrics_new();
	srv->nonces = ck_nonce_cache_new(CK_API_NONCE_SLOTS);
	srv->uploads = ck_upload_budget_new();
	if (srv->metrics == NULL || srv->nonces == NULL || srv->uploads == NULL) {
		ck_error_set(err, "out of memory");
		goto fail;
	}
	if (ck_owner_lock(conf, &srv->agent_lock_fd, err) != 0)
		goto fail;
	if (conf->unix_path != NULL)
		srv->listen_fd = listen_unix(srv, conf->unix_path, err);
	else
		srv->listen_fd = listen_tcp(srv, conf->host, conf->port, err);
	if (srv->listen_fd < 0)
		goto fail;
	srv->health = ck_health_cache_start(srv, err);
	if (srv->health == NULL)
		goto fail;
	/* Recovery first: an operation accepted while an earlier agent's is
	 * being settled would be rolled back under its own worker. Clients
	 * that connect meanwhile wait in the listen backlog. */
	if (ck_server_ops_start(srv, err) != 0)
		goto fail;
	srv->guard = ck_connguard_start(conf->header_timeout_s,
	    conf->max_pending_per_ip, err);
	if (srv->guard == NULL)
		goto fail;
	wait_for_next_second(srv);
	if (start_daemon(srv, conf, err) != 0)
		goto fail;
	srv->listen_fd = -1; /* the daemon owns it now */
	ck_log_info("listening on %s (port %d)", conf->listen, srv->port);
	return srv;
fail:
	ck_server_stop(srv);
	return NULL;
}

int
ck_server_port(const struct ck_server *srv)
{
	return srv->port;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
ck_server_reload(struct ck_server *srv, struct ck_agentconf *conf,
    struct ck_error *err)
{
	struct ck_confref *cref = confref_new(conf), *old;
	const struct ck_agentconf *cur = srv->conf->conf;

	if (cref == NULL) {
		ck_agentconf_free(conf);
		ck_error_set(err, "out of memory");
		return -1;
	}
	if (!same(cur->listen, conf->listen) || !same(cur->tls_cert,
	    conf->tls_cert) || !same(cur->tls_key, conf->tls_key) ||
	    !same(cur->tls_client_ca, conf->tls_client_ca) ||
	    cur->connection_timeout_s != conf->connection_timeout_s ||
	    cur->max_connections != conf->max_connections ||
	    cur->max_per_ip != conf->max_per_ip ||
	    cur->header_timeout_s != conf->header_timeout_s ||
	    cur->max_pending_per_ip != conf->max_pending_per_ip ||
	    cur->max_header_bytes != conf->max_header_bytes)
		ck_log_warn("listen, tls and connection limits changed: they "
		    "apply after a restart (keys, tokens, instance paths and "
		    "the body limit apply now)");
	pthread_mutex_lock(&srv->conf_lock);
	old = srv->conf;
	srv->conf = cref;
	pthread_mutex_unlock(&srv->conf_lock);
	ck_confref_put(old);
	ck_health_cache_poke(srv->health);
	ck_log_info("reloaded: %zu hmac key(s), %zu token(s)", conf->n_keys,
	    conf->n_tokens);
	return 0;
}

void
ck_server_shutdown(struct ck_server *srv, int grace_ms)
{
	int waited = 0;

	if (srv == NULL)
		return;
	if (srv->daemon != NULL) {
		MHD_socket fd = MHD_quiesce_daemon(srv->daemon);

		if (fd != MHD_INVALID_SOCKET)
			srv->listen_fd = fd;
		while (atomic_load(&srv->inflight) > 0 && waited < grace_ms) {
			usleep(20 * 1000);
			waited += 20;
		}
	}
	ck_server_stop(srv);
}

void
ck_server_stop(struct ck_server *srv)
{
	if (srv == NULL)
		return;
	/* waiters must be resumed before the daemon goes */
	ck_health_cache_stop(srv->health);
	ck_server_ops_stop(srv);
	if (srv->daemon != NULL)
		MHD_stop_daemon(srv->daemon);
	ck_connguard_stop(srv->guard); /* after: its CLOSED notices are in */
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->unix_path != NULL) {
		unlink(srv->unix_path);
		free(srv->unix_path);
	}
	ck_metrics_free(srv->metrics);
	ck_nonce_cache_free(srv->nonces);
	ck_upload_budget_free(srv->uploads);
	if (srv->agent_lock_fd >= 0)
		close(srv->agent_lock_fd); /* last: the socket is gone by now */
	ck_confref_put(srv->conf);
	pthread_mutex_destroy(&srv->conf_lock);
	free(srv->tls_cert_pem);
	if (srv->tls_key_pem != NULL)
		explicit_bzero(srv->tls_key_pem, strlen(srv->tls_key_pem));
	free(srv->tls_key_pem);
	free(srv->tls_ca_pem);
	free(srv);
}

/* ---- what the agent owns while it serves: the engine (recovered before
 * the API answers), the supervised gateway and its watch (agent/owner.c) */

static void
after_restart(void *ud)
{
	const struct ck_agentconf *c = ud;

	if (c->ops.gw.driver == CK_GATEWAY_SUPERVISE && c->ops.gw.pid > 0)
		ck_owner_record_gateway(c, c->ops.gw.pid);
}

/* The watch changed the gateway's state: the health report says so now,
 * not at the next refresh. */
static void
watch_changed(void *ud)
{
	struct ck_server *srv = ud;

	ck_health_cache_poke(srv->health);
}

static void
watch_started(void *ud)
{
	struct ck_server *srv = ud;

	after_restart(srv->ops_conf->conf);
}

int
ck_server_ops_start(struct ck_server *srv, struct ck_error *err)
{
	struct ck_agentconf *c;
	int settled;

	srv->ops_conf = ck_server_conf_get(srv);
	c = srv->ops_conf->conf;
	if (c->journal_dir == NULL || c->settings_path == NULL ||
	    c->ops.gw.openclaw_argv == NULL) {
		ck_log_info("operations disabled: they need journal_dir, "
			    "instance.settings_path and instance.openclaw_bin");
		return 0;
	}
	/* versions come from the gateway checks */
	ck_agentconf_instance(c, 0, &srv->ops_inst);
	ck_opconf_engine(&c->ops, c->journal_dir, c->settings_path, &srv->ops_inst,
			 &srv->ops_engine_conf);
	srv->ops_engine_conf.after_restart = after_restart;
	srv->ops_engine_conf.ud = c;
	/* published for the health thread, which already runs */
	__atomic_store_n(&srv->engine, ck_opengine_new(&srv->ops_engine_conf, err),
			 __ATOMIC_RELEASE);
	if (srv->engine == NULL)
		return -1;
	if (c->ops.gw.driver == CK_GATEWAY_SUPERVISE)
		ck_owner_adopt_gateway(c);
	ck_owner_sweep_temp_files(c);
	settled = ck_opengine_recover(srv->engine, err);
	if (settled > 0)
		ck_log_warn("settled %d operation(s) an earlier agent left running", settled);
	if (c->ops.gw.driver == CK_GATEWAY_SUPERVISE) {
		struct ck_gwwatch_conf wc = c->ops.watch;
		struct ck_gwwatch *w;

		ck_owner_start_gateway(c);
		wc.after_start = watch_started;
		wc.changed = watch_changed;
		wc.ud = srv;
		if ((w = ck_gwwatch_start(srv->engine, &c->ops.gw, &wc, err)) == NULL)
			return -1;
		__atomic_store_n(&srv->gwwatch, w, __ATOMIC_RELEASE);
	}
	return 0;
}

/* What an operation still running at stop keeps using until the process
 * exits (see ck_server_ops_stop). */
static struct {
	struct ck_opengine *engine;
	struct ck_confref *conf;
} left_running;

void
ck_server_ops_stop(struct ck_server *srv)
{
	struct ck_agentconf *c;

	if (srv->ops_conf == NULL)
		return;
	c = srv->ops_conf->conf;
	/* the watch first: it would start the gateway stopped below */
	ck_gwwatch_stop(__atomic_exchange_n(&srv->gwwatch, NULL, __ATOMIC_ACQ_REL));
	if (srv->engine != NULL && ck_opengine_wait_for(srv->engine, c->ops.stop_grace_ms) < 0) {
		char id[CK_OP_ID_MAX + 1];

		/* SIGTERM ends the agent within its grace whatever runs: every
		 * step is in the journal before it starts, so stopping here is
		 * what a crash is, and the next agent settles the operation (as
		 * the crash tests prove for every step). The operation's thread
		 * keeps the engine, the config and the gateway until the
		 * process exits. */
		ck_log_warn("operation %s still runs after %d ms; stopping anyway: the next "
			    "agent settles it from the journal",
			    ck_opengine_running(srv->engine, id, sizeof(id)) ? id : "?",
			    c->ops.stop_grace_ms);
		/* kept (reachable) for the running thread until exit */
		left_running.engine = srv->engine;
		left_running.conf = srv->ops_conf;
		srv->engine = NULL;
		srv->ops_conf = NULL;
		srv->agent_lock_fd = -1; /* held until the process is gone */
		return;
	}
	if (srv->engine != NULL) {
		ck_opengine_free(srv->engine);
		srv->engine = NULL;
		ck_owner_stop_gateway(c);
	}
	ck_confref_put(srv->ops_conf);
	srv->ops_conf = NULL;
}
