/* Readiness: the gateway's port, one GET /readyz, and the wait for a 200
 * that gives up at once, with the tail of its output, when a supervised
 * child exits. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/json5.h"
#include "gateway_internal.h"

#define GW_BODY_MAX 2048
#define GW_TAIL_BYTES 600
#define GW_POLL_MS 200

unsigned
ck_gateway_port(const struct ck_gateway_conf *gw)
{
	struct ck_error err;
	json_t *cfg, *port;
	unsigned p = CK_GATEWAY_DEFAULT_PORT;

	if (gw->port > 0)
		return gw->port;
	if (gw->config_path == NULL)
		return p;
	cfg = ck_json5_load_file(gw->config_path, &err);
	port = json_object_get(json_object_get(cfg, "gateway"), "port");
	if (json_is_integer(port) && json_integer_value(port) > 0 &&
	    json_integer_value(port) < 65536)
		p = (unsigned)json_integer_value(port);
	json_decref(cfg);
	return p;
}

struct body_buf {
	char data[GW_BODY_MAX];
	size_t len;
};

static size_t
body_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct body_buf *b = ud;
	size_t n = size * nmemb, room = sizeof(b->data) - 1 - b->len;

	memcpy(b->data + b->len, ptr, n < room ? n : room);
	b->len += n < room ? n : room;
	b->data[b->len] = '\0';
	return n;
}

/* One GET; returns the HTTP status (0 when nothing answered) and fills
 * body or, when nothing answered, curl's reason. */
static long
probe(CURL *curl, const char *url, long timeout_ms, struct body_buf *body)
{
	long status = 0;
	CURLcode rc;

	body->len = 0;
	body->data[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 1000 ? timeout_ms : 1000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		snprintf(body->data, sizeof(body->data), "%s", curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* The last bytes of the supervised child's output, one line, for errors. */
static void
output_tail(const struct ck_gateway_conf *gw, char *buf, size_t n)
{
	char *path = ck_gateway_output_path(gw), *data = NULL, *p, *o;
	size_t len = 0;
	struct ck_error err;

	buf[0] = '\0';
	if (path == NULL || ck_file_read(path, 64u << 20, &data, &len, &err) < 0) {
		free(path);
		return;
	}
	p = data + (len > GW_TAIL_BYTES ? len - GW_TAIL_BYTES : 0);
	/* Drop ANSI colour codes and fold lines so the message stays one line. */
	for (o = buf; *p != '\0' && (size_t)(o - buf) < n - 1; p++) {
		if (*p == '\033') {
			while (*p != '\0' && *p != 'm')
				p++;
			if (*p == '\0')
				break;
			continue;
		}
		*o++ = (*p == '\n' || *p == '\r') ? ' ' : *p;
	}
	*o = '\0';
	free(data);
	free(path);
}

static int
child_exited(struct ck_gateway_conf *gw, struct ck_error *err)
{
	char tail[GW_TAIL_BYTES + 1];

	/* Only a driver that can tell (supervise) says 0 here. */
	if (ck_gateway_running(gw) != 0)
		return 0;
	output_tail(gw, tail, sizeof(tail));
	ck_error_set(err, "gateway exited (status %d) before it was ready; its last output: %s",
		     gw->last_exit, tail[0] ? tail : "(none)");
	return 1;
}

long
ck_gateway_probe_ready(const struct ck_gateway_conf *gw, int timeout_ms)
{
	struct body_buf body;
	char url[64];
	long status;
	CURL *curl = curl_easy_init();

	if (curl == NULL)
		return 0;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/readyz", ck_gateway_port(gw));
	status = probe(curl, url, timeout_ms, &body);
	curl_easy_cleanup(curl);
	return status;
}

int
ck_gateway_wait_ready(struct ck_gateway_conf *gw, int timeout_ms,
		      long long *waited_ms, struct ck_error *err)
{
	struct body_buf body;
	char url[64];
	long long start = ck_clock_mono_ms(), deadline;
	long status = 0;
	int exited = 0;
	CURL *curl;

	if (timeout_ms <= 0)
		timeout_ms = gw->ready_timeout_ms;
	if (ck_gateway_running(gw) == 0) {
		ck_error_set(err, "the supervised gateway is not running (last exit status %d); "
			     "start it first", gw->last_exit);
		return -1;
	}
	deadline = start + timeout_ms;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/readyz", ck_gateway_port(gw));
	curl = curl_easy_init();
	if (curl == NULL) {
		ck_error_set(err, "gateway readiness: curl_easy_init failed");
		return -1;
	}
	for (;;) {
		status = probe(curl, url, 3000L, &body);
		if (status == 200)
			break;
		exited = child_exited(gw, err);
		if (exited || ck_clock_mono_ms() >= deadline)
			break;
		ck_clock_sleep_ms(GW_POLL_MS);
	}
	curl_easy_cleanup(curl);
	if (waited_ms != NULL)
		*waited_ms = ck_clock_mono_ms() - start;
	if (status == 200)
		return 0;
	if (exited)
		return -1;
	if (status > 0)
		ck_error_set(err, "gateway not ready after %d ms: %s answered HTTP %ld %.300s",
			     timeout_ms, url, status, body.data);
	else
		ck_error_set(err, "gateway not ready after %d ms: %s: %.300s",
			     timeout_ms, url, body.data);
	return -1;
}
