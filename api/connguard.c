/* Connection guard: an absolute deadline for a request's headers and a
 * cap on the connections one address may have waiting for them, so a
 * client that trickles a header line a second cannot hold a slot for long
 * (libmicrohttpd's timeout resets on every byte) nor take them all. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/log.h"
#include "internal.h"

#define GUARD_TICK_MS 250
#define GUARD_LOG_EVERY_MS 10000
#define GUARD_STACK_SIZE (256 * 1024)
#define ADDR_KEY_LEN 9 /* family tag + up to 8 bytes */

/* One per connection, from libmicrohttpd's STARTED notice to its CLOSED
 * one; the connection's socket_context points at it. */
struct guard_conn {
	struct guard_conn *prev, *next;
	int fd;
	long long deadline_ms;        /* 0: this request's headers are in */
	int cut;                      /* shutdown() sent */
	int keyed;                    /* 0: a unix socket, never refused */
	unsigned char key[ADDR_KEY_LEN];
};

struct ck_connguard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int stop;
	unsigned header_timeout_s;
	unsigned max_pending;         /* per address; 0: no limit */
	struct guard_conn *head;
	/* counted since the last log line, so an attack logs a line every
	 * GUARD_LOG_EVERY_MS instead of one per connection */
	unsigned long cut_count, refused_count;
	long long logged_ms;
};

/* The address a limit is counted by: IPv4 (also mapped into IPv6) per
 * address, IPv6 per /64, the least a host is usually given. */
static int
addr_key(const struct sockaddr *sa, unsigned char key[ADDR_KEY_LEN])
{
	memset(key, 0, ADDR_KEY_LEN);
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		key[0] = 4;
		memcpy(key + 1, &in->sin_addr, 4);
		return 1;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const unsigned char *b = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			key[0] = 4;
			memcpy(key + 1, b + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, b, 8);
		}
		return 1;
	}
	return 0;
}

static void
maybe_log(struct ck_connguard *g, long long now, int force)
{
	if (g->cut_count == 0 && g->refused_count == 0)
		return;
	if (!force && g->logged_ms != 0 &&
	    now - g->logged_ms < GUARD_LOG_EVERY_MS)
		return;
	ck_log_warn("cut off %lu connection(s) whose request headers were not "
	    "in within %u s; refused %lu connection(s) from addresses with "
	    "%u waiting for theirs", g->cut_count, g->header_timeout_s,
	    g->refused_count, g->max_pending);
	g->cut_count = 0;
	g->refused_count = 0;
	g->logged_ms = now;
}

/* shutdown(), not close(): the socket stays libmicrohttpd's, which sees
 * the end of input and closes it (after the CLOSED notice, which waits
 * for this lock, so the fd cannot be another socket's meanwhile). */
static void
cut_late(struct ck_connguard *g, long long now)
{
	struct guard_conn *c;

	for (c = g->head; c != NULL; c = c->next) {
		if (c->cut || c->deadline_ms == 0 || now < c->deadline_ms)
			continue;
		if (shutdown(c->fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
			ck_log_debug("shutdown fd %d: %s", c->fd, strerror(errno));
		c->cut = 1;
		g->cut_count++;
	}
}

static void *
guard_main(void *arg)
{
	struct ck_connguard *g = arg;
	struct timespec until;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		long long now = ck_clock_mono_ms();

		cut_late(g, now);
		maybe_log(g, now, 0);
		ck_clock_after(CLOCK_MONOTONIC, GUARD_TICK_MS, &until);
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct ck_connguard *
ck_connguard_start(unsigned header_timeout_s, unsigned max_pending_per_ip,
    struct ck_error *err)
{
	struct ck_connguard *g = calloc(1, sizeof(*g));
	pthread_condattr_t ca;
	pthread_attr_t ta;
	int rc;

	if (g == NULL) {
		ck_error_set(err, "out of memory");
		return NULL;
	}
	g->header_timeout_s = header_timeout_s;
	g->max_pending = max_pending_per_ip;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setstacksize(&ta, GUARD_STACK_SIZE);
	rc = pthread_create(&g->thread, &ta, guard_main, g);
	pthread_attr_destroy(&ta);
	if (rc != 0) {
		ck_error_set(err, "header deadline thread: %s", strerror(rc));
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

/* After the daemon has stopped: every connection has had its CLOSED
 * notice, so the list is empty. */
void
ck_connguard_stop(struct ck_connguard *g)
{
	struct guard_conn *c, *next;

	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	maybe_log(g, ck_clock_mono_ms(), 1); /* what the last interval held */
	for (c = g->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

enum MHD_Result
ck_connguard_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct ck_connguard *g = cls;
	unsigned char key[ADDR_KEY_LEN];
	struct guard_conn *c;
	unsigned pending = 0;
	enum MHD_Result res = MHD_YES;

	(void)len;
	if (g->max_pending == 0 || !addr_key(addr, key))
		return MHD_YES;
	pthread_mutex_lock(&g->lock);
	for (c = g->head; c != NULL; c = c->next)
		if (c->keyed && c->deadline_ms != 0 && !c->cut &&
		    memcmp(c->key, key, ADDR_KEY_LEN) == 0)
			pending++;
	if (pending >= g->max_pending) {
		g->refused_count++;
		res = MHD_NO;
	}
	pthread_mutex_unlock(&g->lock);
	return res;
}

void
ck_connguard_notify(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	struct ck_connguard *g = cls;
	struct guard_conn *c = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (c == NULL)
			return;
		pthread_mutex_lock(&g->lock);
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			g->head = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
		pthread_mutex_unlock(&g->lock);
		free(c);
		*socket_context = NULL;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	c = calloc(1, sizeof(*c));
	if (c == NULL || ci == NULL) {
		/* not watched: only the inactivity timeout applies to it */
		free(c);
		return;
	}
	c->fd = ci->connect_fd;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	c->keyed = addr_key(ci != NULL ? ci->client_addr : NULL, c->key);
	c->deadline_ms = ck_clock_mono_ms() + (long long)g->header_timeout_s * 1000;
	pthread_mutex_lock(&g->lock);
	c->next = g->head;
	if (g->head != NULL)
		g->head->prev = c;
	g->head = c;
	pthread_mutex_unlock(&g->lock);
	*socket_context = c;
}

static struct guard_conn *
conn_entry(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

void
ck_connguard_headers_done(struct ck_connguard *g, struct MHD_Connection *conn)
{
	struct guard_conn *c = conn_entry(conn);

	if (g == NULL || c == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	c->deadline_ms = 0;
	pthread_mutex_unlock(&g->lock);
}

void
ck_connguard_request_done(struct ck_connguard *g, struct MHD_Connection *conn)
{
	struct guard_conn *c = conn_entry(conn);

	if (g == NULL || c == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	c->deadline_ms = ck_clock_mono_ms() + (long long)g->header_timeout_s * 1000;
	pthread_mutex_unlock(&g->lock);
}
