/* A loopback HTTP stand-in for model providers (see stub_provider.h).
 * Plain sockets and one thread per connection: it serves one OpenClaw
 * turn at a time, and keeping it off libmicrohttpd keeps agent/ free of
 * the server library the API layer links. Every answer closes the
 * connection, so no client can hold a thread with keep-alive. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "clawkeeper/stub_provider.h"

#define STUB_HEAD_MAX (64 * 1024)
#define STUB_BODY_MAX (8 * 1024 * 1024)
#define STUB_IO_TIMEOUT_MS 10000
#define STUB_LOG_MAX 1000

struct stub_route {
	char *prefix;
	char *model;
	enum ck_stub_answer answer;
};

struct ck_stub_provider {
	int listen_fd;
	int wake[2];            /* self-pipe that stops the accept loop */
	unsigned port;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t idle;
	int active;             /* connection threads still running */
	struct stub_route *routes;
	size_t n_routes;
	json_t *log;
};

struct stub_conn {
	struct ck_stub_provider *stub;
	int fd;
};

struct stub_request {
	char method[16];
	char path[1024];
	char *body;
	size_t body_len;
	char model[256];
	int stream;
};

static const char expired_body[] =
	"{\"error\":{\"message\":\"Your authentication token has expired. "
	"Please try signing in again.\",\"type\":\"invalid_request_error\","
	"\"code\":\"token_expired\"}}";
static const char limited_body[] =
	"{\"error\":{\"message\":\"Rate limit reached for requests. Please try "
	"again later.\",\"type\":\"rate_limit_error\",\"code\":\"rate_limit_exceeded\"}}";

int
ck_stub_answer_parse(const char *s, enum ck_stub_answer *out)
{
	if (strcmp(s, "401") == 0 || strcmp(s, "expired") == 0 ||
	    strcmp(s, "token_expired") == 0)
		*out = CK_STUB_TOKEN_EXPIRED;
	else if (strcmp(s, "429") == 0 || strcmp(s, "rate_limited") == 0)
		*out = CK_STUB_RATE_LIMITED;
	else if (strcmp(s, "ok") == 0 || strcmp(s, "200") == 0 ||
		 strcmp(s, "success") == 0)
		*out = CK_STUB_SUCCESS;
	else
		return -1;
	return 0;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads more bytes with a timeout; 0 on EOF or timeout, -1 on error. */
static ssize_t
read_some(int fd, char *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&pfd, 1, STUB_IO_TIMEOUT_MS) <= 0)
		return 0;
	do
		n = recv(fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	return n;
}

static const char *
header_value(const char *head, const char *name)
{
	const char *p = head;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
	}
	return NULL;
}

/* The model and stream flag from a JSON body; junk bodies leave both unset. */
static void
request_inspect(struct stub_request *req)
{
	json_t *doc, *model;

	if (req->body == NULL)
		return;
	doc = json_loadb(req->body, req->body_len, 0, NULL);
	if (doc == NULL)
		return;
	model = json_object_get(doc, "model");
	if (json_is_string(model))
		snprintf(req->model, sizeof(req->model), "%s", json_string_value(model));
	req->stream = json_is_true(json_object_get(doc, "stream"));
	json_decref(doc);
}

/* Reads one request: head, then a Content-Length body, or a chunked body
 * up to its terminator (kept undecoded: only the model is lost). */
static int
request_read(int fd, struct stub_request *req)
{
	char *buf = malloc(STUB_HEAD_MAX + 1), *end = NULL;
	size_t len = 0, head_len, want = 0;
	const char *cl, *te;
	int chunked;

	if (buf == NULL)
		return -1;
	while (end == NULL) {
		ssize_t n;

		if (len == STUB_HEAD_MAX)
			goto fail;
		n = read_some(fd, buf + len, STUB_HEAD_MAX - len);
		if (n <= 0)
			goto fail;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	head_len = (size_t)(end - buf) + 4;
	if (sscanf(buf, "%15s %1023s", req->method, req->path) != 2)
		goto fail;
	*end = '\0';
	cl = header_value(buf, "Content-Length");
	te = header_value(buf, "Transfer-Encoding");
	chunked = te != NULL && strncasecmp(te, "chunked", 7) == 0;
	if (cl != NULL)
		want = strtoul(cl, NULL, 10);
	if (want > STUB_BODY_MAX)
		goto fail;
	req->body = malloc(STUB_BODY_MAX + 1);
	if (req->body == NULL)
		goto fail;
	req->body_len = len - head_len;
	memcpy(req->body, buf + head_len, req->body_len);
	free(buf);
	for (;;) {
		ssize_t n;

		req->body[req->body_len] = '\0';
		if (!chunked && req->body_len >= want)
			break;
		if (chunked && strstr(req->body, "\r\n0\r\n") != NULL)
			break;
		if (req->body_len == STUB_BODY_MAX)
			return -1;
		n = read_some(fd, req->body + req->body_len, STUB_BODY_MAX - req->body_len);
		if (n <= 0)
			return chunked ? 0 : -1;
		req->body_len += (size_t)n;
	}
	request_inspect(req);
	return 0;
fail:
	free(buf);
	return -1;
}

static int
send_simple(int fd, int status, const char *reason, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, reason, strlen(body));

	if (write_all(fd, head, (size_t)n) < 0)
		return -1;
	return write_all(fd, body, strlen(body));
}

static int
send_stream(int fd, const char *ctype, const char *const *events, size_t n)
{
	char head[256];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
			  "Cache-Control: no-cache\r\nConnection: close\r\n\r\n", ctype);
	size_t i;

	if (write_all(fd, head, (size_t)hl) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (write_all(fd, events[i], strlen(events[i])) < 0)
			return -1;
	return 0;
}

static int
send_openai(int fd, const struct stub_request *req)
{
	const char *model = req->model[0] ? req->model : "stub";
	char ev1[512], ev2[512], full[768];
	const char *events[3];

	if (!req->stream) {
		snprintf(full, sizeof(full),
			 "{\"id\":\"chatcmpl-ck\",\"object\":\"chat.completion\",\"created\":0,"
			 "\"model\":\"%s\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
			 "\"assistant\",\"content\":\"" CK_STUB_REPLY "\"},\"finish_reason\":"
			 "\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":6,"
			 "\"total_tokens\":7}}", model);
		return send_simple(fd, 200, "OK", full);
	}
	snprintf(ev1, sizeof(ev1),
		 "data: {\"id\":\"chatcmpl-ck\",\"object\":\"chat.completion.chunk\","
		 "\"created\":0,\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":"
		 "{\"role\":\"assistant\",\"content\":\"" CK_STUB_REPLY "\"},"
		 "\"finish_reason\":null}]}\n\n", model);
	snprintf(ev2, sizeof(ev2),
		 "data: {\"id\":\"chatcmpl-ck\",\"object\":\"chat.completion.chunk\","
		 "\"created\":0,\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{},"
		 "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,"
		 "\"completion_tokens\":6,\"total_tokens\":7}}\n\n", model);
	events[0] = ev1;
	events[1] = ev2;
	events[2] = "data: [DONE]\n\n";
	return send_stream(fd, "text/event-stream", events, 3);
}

static int
send_anthropic(int fd, const struct stub_request *req)
{
	const char *model = req->model[0] ? req->model : "stub";
	char start[512];
	const char *events[6];

	snprintf(start, sizeof(start),
		 "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
		 "{\"id\":\"msg_ck\",\"type\":\"message\",\"role\":\"assistant\","
		 "\"model\":\"%s\",\"content\":[],\"stop_reason\":null,"
		 "\"stop_sequence\":null,\"usage\":{\"input_tokens\":1,"
		 "\"output_tokens\":1}}}\n\n", model);
	events[0] = start;
	events[1] = "event: content_block_start\ndata: {\"type\":\"content_block_start\","
		    "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
	events[2] = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
		    "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\""
		    CK_STUB_REPLY "\"}}\n\n";
	events[3] = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\","
		    "\"index\":0}\n\n";
	events[4] = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
		    "{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":"
		    "{\"output_tokens\":6}}\n\n";
	events[5] = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
	return send_stream(fd, "text/event-stream", events, 6);
}

static int
send_ollama(int fd, const struct stub_request *req)
{
	const char *model = req->model[0] ? req->model : "stub";
	char ev1[512], ev2[512];
	const char *events[2];

	snprintf(ev1, sizeof(ev1),
		 "{\"model\":\"%s\",\"created_at\":\"2026-01-01T00:00:00Z\",\"message\":"
		 "{\"role\":\"assistant\",\"content\":\"" CK_STUB_REPLY "\"},"
		 "\"done\":false}\n", model);
	snprintf(ev2, sizeof(ev2),
		 "{\"model\":\"%s\",\"created_at\":\"2026-01-01T00:00:00Z\",\"message\":"
		 "{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
		 "\"done_reason\":\"stop\",\"total_duration\":1000,\"prompt_eval_count\":1,"
		 "\"eval_count\":6}\n", model);
	events[0] = ev1;
	events[1] = ev2;
	return send_stream(fd, "application/x-ndjson", events, 2);
}

static enum ck_stub_answer
route_answer(struct ck_stub_provider *stub, const struct stub_request *req)
{
	enum ck_stub_answer answer = CK_STUB_TOKEN_EXPIRED;
	size_t i, best_len = 0;
	int best_model = 0;

	pthread_mutex_lock(&stub->mu);
	for (i = 0; i < stub->n_routes; i++) {
		const struct stub_route *r = &stub->routes[i];
		size_t pl = strlen(r->prefix);
		int has_model = r->model != NULL;

		if (strncmp(req->path, r->prefix, pl) != 0)
			continue;
		if (has_model && strcmp(r->model, req->model) != 0)
			continue;
		if (has_model < best_model || (has_model == best_model && pl < best_len))
			continue;
		answer = r->answer;
		best_len = pl;
		best_model = has_model;
	}
	pthread_mutex_unlock(&stub->mu);
	return answer;
}

static void
log_request(struct ck_stub_provider *stub, const struct stub_request *req, int status)
{
	pthread_mutex_lock(&stub->mu);
	if (json_array_size(stub->log) < STUB_LOG_MAX)
		json_array_append_new(stub->log, json_pack("{s:s, s:s, s:s, s:i}",
			"method", req->method, "path", req->path, "model", req->model,
			"status", status));
	pthread_mutex_unlock(&stub->mu);
}

static void
serve_request(struct ck_stub_provider *stub, int fd, const struct stub_request *req)
{
	enum ck_stub_answer answer;

	if (strcmp(req->method, "POST") != 0) {
		/* Model listings (ollama /api/tags, /v1/models) find nothing. */
		int tags = strstr(req->path, "/api/tags") != NULL;

		log_request(stub, req, tags ? 200 : 404);
		send_simple(fd, tags ? 200 : 404, tags ? "OK" : "Not Found",
			    tags ? "{\"models\":[]}" : "{\"error\":{\"message\":\"not found\"}}");
		return;
	}
	answer = route_answer(stub, req);
	if (answer == CK_STUB_TOKEN_EXPIRED) {
		log_request(stub, req, 401);
		send_simple(fd, 401, "Unauthorized", expired_body);
	} else if (answer == CK_STUB_RATE_LIMITED) {
		log_request(stub, req, 429);
		send_simple(fd, 429, "Too Many Requests", limited_body);
	} else {
		log_request(stub, req, 200);
		if (strstr(req->path, "/messages") != NULL)
			send_anthropic(fd, req);
		else if (strstr(req->path, "/api/chat") != NULL)
			send_ollama(fd, req);
		else
			send_openai(fd, req);
	}
}

static void *
conn_main(void *arg)
{
	struct stub_conn *conn = arg;
	struct ck_stub_provider *stub = conn->stub;
	struct stub_request req;

	memset(&req, 0, sizeof(req));
	if (request_read(conn->fd, &req) == 0)
		serve_request(stub, conn->fd, &req);
	free(req.body);
	shutdown(conn->fd, SHUT_WR);
	close(conn->fd);
	free(conn);
	pthread_mutex_lock(&stub->mu);
	stub->active--;
	pthread_cond_broadcast(&stub->idle);
	pthread_mutex_unlock(&stub->mu);
	return NULL;
}

static void
accept_one(struct ck_stub_provider *stub)
{
	struct stub_conn *conn;
	pthread_attr_t attr;
	pthread_t t;
	int fd = accept4(stub->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	conn = malloc(sizeof(*conn));
	if (conn == NULL) {
		close(fd);
		return;
	}
	conn->stub = stub;
	conn->fd = fd;
	pthread_mutex_lock(&stub->mu);
	stub->active++;
	pthread_mutex_unlock(&stub->mu);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, conn_main, conn) != 0) {
		close(fd);
		free(conn);
		pthread_mutex_lock(&stub->mu);
		stub->active--;
		pthread_mutex_unlock(&stub->mu);
	}
	pthread_attr_destroy(&attr);
}

static void *
accept_main(void *arg)
{
	struct ck_stub_provider *stub = arg;

	for (;;) {
		struct pollfd pfd[2] = {
			{ stub->listen_fd, POLLIN, 0 },
			{ stub->wake[0], POLLIN, 0 },
		};

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents)
			accept_one(stub);
	}
	return NULL;
}

static int
stub_listen(struct ck_stub_provider *stub, struct ck_error *err)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	stub->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (stub->listen_fd < 0) {
		ck_error_set(err, "stub provider: socket: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(stub->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(stub->listen_fd, 64) < 0 ||
	    getsockname(stub->listen_fd, (struct sockaddr *)&sa, &sl) < 0) {
		ck_error_set(err, "stub provider: listen on 127.0.0.1: %s", strerror(errno));
		return -1;
	}
	stub->port = ntohs(sa.sin_port);
	return 0;
}

struct ck_stub_provider *
ck_stub_provider_start(struct ck_error *err)
{
	struct ck_stub_provider *stub = calloc(1, sizeof(*stub));

	if (stub == NULL) {
		ck_error_set(err, "stub provider: out of memory");
		return NULL;
	}
	stub->listen_fd = -1;
	stub->wake[0] = stub->wake[1] = -1;
	pthread_mutex_init(&stub->mu, NULL);
	pthread_cond_init(&stub->idle, NULL);
	stub->log = json_array();
	if (stub->log == NULL || stub_listen(stub, err) < 0)
		goto fail;
	if (pipe2(stub->wake, O_CLOEXEC) < 0) {
		ck_error_set(err, "stub provider: pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&stub->thread, NULL, accept_main, stub) != 0) {
		ck_error_set(err, "stub provider: cannot start its thread");
		goto fail;
	}
	return stub;
fail:
	if (stub->listen_fd >= 0)
		close(stub->listen_fd);
	if (stub->wake[0] >= 0) {
		close(stub->wake[0]);
		close(stub->wake[1]);
	}
	json_decref(stub->log);
	pthread_mutex_destroy(&stub->mu);
	pthread_cond_destroy(&stub->idle);
	free(stub);
	return NULL;
}

unsigned
ck_stub_provider_port(const struct ck_stub_provider *stub)
{
	return stub->port;
}

int
ck_stub_provider_route(struct ck_stub_provider *stub, const char *prefix,
		       const char *model, enum ck_stub_answer answer,
		       struct ck_error *err)
{
	struct stub_route *grown, *r;

	pthread_mutex_lock(&stub->mu);
	grown = realloc(stub->routes, (stub->n_routes + 1) * sizeof(*grown));
	if (grown == NULL) {
		pthread_mutex_unlock(&stub->mu);
		ck_error_set(err, "stub provider: out of memory");
		return -1;
	}
	stub->routes = grown;
	r = &grown[stub->n_routes];
	r->prefix = strdup(prefix);
	r->model = model != NULL ? strdup(model) : NULL;
	r->answer = answer;
	if (r->prefix == NULL || (model != NULL && r->model == NULL)) {
		free(r->prefix);
		free(r->model);
		pthread_mutex_unlock(&stub->mu);
		ck_error_set(err, "stub provider: out of memory");
		return -1;
	}
	stub->n_routes++;
	pthread_mutex_unlock(&stub->mu);
	return 0;
}

json_t *
ck_stub_provider_log(struct ck_stub_provider *stub)
{
	json_t *copy;

	pthread_mutex_lock(&stub->mu);
	copy = json_deep_copy(stub->log);
	pthread_mutex_unlock(&stub->mu);
	return copy;
}

void
ck_stub_provider_stop(struct ck_stub_provider *stub)
{
	size_t i;

	if (stub == NULL)
		return;
	if (write(stub->wake[1], "x", 1) < 0) {
		/* The pipe is ours and empty: this cannot block or fail in
		 * practice, and there is no caller to tell. */
	}
	pthread_join(stub->thread, NULL);
	close(stub->listen_fd);
	pthread_mutex_lock(&stub->mu);
	while (stub->active > 0)
		pthread_cond_wait(&stub->idle, &stub->mu);
	pthread_mutex_unlock(&stub->mu);
	close(stub->wake[0]);
	close(stub->wake[1]);
	for (i = 0; i < stub->n_routes; i++) {
		free(stub->routes[i].prefix);
		free(stub->routes[i].model);
	}
	free(stub->routes);
	json_decref(stub->log);
	pthread_mutex_destroy(&stub->mu);
	pthread_cond_destroy(&stub->idle);
	free(stub);
}
