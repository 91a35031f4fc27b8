/* Archive uploads (POST /v1/imports with a gzip body): admitted from the
 * headers alone, after authentication, against the upload cap, the
 * principal's budget of bytes in flight and the free space of the uploads
 * dir; then streamed to <work_dir>/uploads and hashed on the way, never
 * whole in memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "clawkeeper/log.h"
#include "internal.h"

/* More than every key and token a config can hold (2 + 64). */
#define BUDGET_SLOTS 128

struct budget_slot {
	char principal[96];          /* "" when free */
	unsigned long long bytes;
};

/* Bytes of uploads being received, per principal and in all. */
struct ck_upload_budget {
	pthread_mutex_t lock;
	unsigned long long total;
	struct budget_slot slots[BUDGET_SLOTS];
};

struct ck_upload_budget *
ck_upload_budget_new(void)
{
	struct ck_upload_budget *b = calloc(1, sizeof(*b));

	if (b != NULL)
		pthread_mutex_init(&b->lock, NULL);
	return b;
}

void
ck_upload_budget_free(struct ck_upload_budget *b)
{
	if (b == NULL)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* The slot of principal, a free one when it has none; NULL when full.
 * Called with the lock held. */
static struct budget_slot *
budget_slot(struct ck_upload_budget *b, const char *principal)
{
	struct budget_slot *free_slot = NULL;
	size_t i;

	for (i = 0; i < BUDGET_SLOTS; i++) {
		if (strcmp(b->slots[i].principal, principal) == 0 &&
		    b->slots[i].principal[0] != '\0')
			return &b->slots[i];
		if (b->slots[i].principal[0] == '\0' && free_slot == NULL)
			free_slot = &b->slots[i];
	}
	return free_slot;
}

static void
budget_release(struct ck_upload_budget *b, const char *principal,
    unsigned long long n)
{
	struct budget_slot *s;

	pthread_mutex_lock(&b->lock);
	s = budget_slot(b, principal);
	if (s != NULL && s->principal[0] != '\0') {
		s->bytes -= n < s->bytes ? n : s->bytes;
		if (s->bytes == 0)
			s->principal[0] = '\0';
	}
	b->total -= n < b->total ? n : b->total;
	pthread_mutex_unlock(&b->lock);
}

/* The declared Content-Length; -1 when there is none (chunked) or it is
 * not a plain number. */
static long long
content_length(struct ck_request *req)
{
	const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (cl == NULL || cl[0] < '0' || cl[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (errno != 0 || *end != '\0' || n > (unsigned long long)1 << 62)
		return -1;
	return (long long)n;
}

/* Reserves n bytes for the request's principal when its budget and the
 * free space allow; else queues the refusal. One lock around both
 * checks so two uploads cannot each see room for one. */
static int
reserve(struct ck_request *req, const char *dir, unsigned long long n,
    enum MHD_Result *res)
{
	struct ck_agentconf *conf = ck_req_conf(req);
	struct ck_upload_budget *b = req->srv->uploads;
	unsigned long long keep = (unsigned long long)conf->ops.min_free_bytes;
	unsigned long long avail;
	struct budget_slot *s;
	struct statvfs vfs;

	if (statvfs(dir, &vfs) != 0) {
		ck_log_error("%s: statvfs: %s", dir, strerror(errno));
		*res = ck_reply_error(req, 503, "upload_unavailable", "%s",
		    "cannot store the upload (see the agent log)");
		return -1;
	}
	avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	pthread_mutex_lock(&b->lock);
	s = budget_slot(b, req->principal);
	if (s == NULL || s->bytes + n > conf->max_upload_in_flight) {
		unsigned long long held = s ? s->bytes : 0;

		pthread_mutex_unlock(&b->lock);
		*res = ck_reply_error(req, 429, "upload_budget_exceeded", "%s has "
		    "%llu bytes of uploads in flight; this one (%llu) would pass "
		    "limits.max_upload_bytes_in_flight (%zu): retry when they have "
		    "finished", req->principal, held, n, conf->max_upload_in_flight);
		return -1;
	}
	if (avail < keep || avail - keep < b->total + n) {
		unsigned long long others = b->total;

		pthread_mutex_unlock(&b->lock);
		ck_log_warn("uploads: %s has %llu bytes free; refused an upload "
		    "of %llu", dir, avail, n);
		*res = ck_reply_error(req, 507, "insufficient_storage", "the "
		    "uploads dir has %llu bytes free; this upload needs %llu, plus "
		    "%llu for uploads in flight, plus operations.min_free_mb "
		    "(%llu bytes) left free", avail, n, others, keep);
		return -1;
	}
	if (n == 0) {
		pthread_mutex_unlock(&b->lock);
		return 0;
	}
	if (s->principal[0] == '\0')
		snprintf(s->principal, sizeof(s->principal), "%s", req->principal);
	s->bytes += n;
	b->total += n;
	pthread_mutex_unlock(&b->lock);
	req->upload_reserved = n;
	return 0;
}

static int
open_file(struct ck_request *req, const char *dir)
{
	req->upload_path = ck_strdup_printf("%s/upload-XXXXXX", dir);
	if (req->upload_path == NULL)
		return -1;
	req->upload_fd = mkostemp(req->upload_path, O_CLOEXEC);
	if (req->upload_fd < 0) {
		ck_log_error("%s: %s", req->upload_path, strerror(errno));
		free(req->upload_path);
		req->upload_path = NULL;
		return -1;
	}
	req->upload_sha = ck_sha256_begin();
	return req->upload_sha != NULL ? 0 : -1;
}

int
ck_upload_admit(struct ck_request *req, enum MHD_Result *res)
{
	struct ck_agentconf *conf = ck_req_conf(req);
	long long len = content_length(req);
	struct ck_error err;
	char *dir;
	int rc = -1;

	/* an upload nothing can use is refused before it is stored */
	if (req->srv->engine == NULL) {
		*res = ck_reply_error(req, 503, "operations_disabled", "%s",
		    "operations need journal_dir, instance.settings_path "
		    "and instance.openclaw_bin in the agent config");
		return -1;
	}
	if (len < 0) {
		*res = ck_reply_error(req, 411, "length_required", "%s", "an "
		    "archive upload needs a Content-Length (no chunked encoding): "
		    "its size is checked against the limits and the free space "
		    "before a byte is stored");
		return -1;
	}
	if ((unsigned long long)len > CK_API_MAX_UPLOAD ||
	    (unsigned long long)len > conf->max_upload_in_flight) {
		*res = ck_reply_error(req, 413, "body_too_large", "the upload "
		    "limit is %llu bytes (limits.max_upload_bytes_in_flight: %zu)",
		    CK_API_MAX_UPLOAD, conf->max_upload_in_flight);
		return -1;
	}
	dir = ck_path_join(conf->ops.work_dir, "uploads");
	if (dir == NULL || ck_mkdir_p(dir, 0700, &err) != 0) {
		ck_log_error("uploads: %s", dir ? err.msg : "out of memory");
		*res = ck_reply_error(req, 503, "upload_unavailable", "%s",
		    "cannot store the upload (see the agent log)");
		goto out;
	}
	if (reserve(req, dir, (unsigned long long)len, res) != 0)
		goto out;
	if (open_file(req, dir) != 0) {
		*res = ck_reply_error(req, 503, "upload_unavailable", "%s",
		    "cannot store the upload (see the agent log)");
		goto out;
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

void
ck_upload_take(struct ck_request *req, const char *data, size_t len)
{
	size_t off = 0;

	if (req->body_too_big || req->upload_len + len > req->upload_reserved) {
		req->body_too_big = 1;
		return;
	}
	while (off < len) {
		ssize_t n = write(req->upload_fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ck_log_error("%s: write: %s", req->upload_path, strerror(errno));
			req->body_too_big = 1;
			return;
		}
		off += (size_t)n;
	}
	ck_sha256_update(req->upload_sha, data, len);
	req->upload_len += len;
}

void
ck_upload_close(struct ck_request *req)
{
	if (req->upload_sha != NULL) {
		ck_sha256_end(req->upload_sha, req->upload_sha_hex);
		req->upload_sha = NULL;
	}
	if (req->upload_fd >= 0) {
		if (fsync(req->upload_fd) != 0)
			ck_log_warn("%s: fsync: %s", req->upload_path, strerror(errno));
		close(req->upload_fd);
		req->upload_fd = -1;
	}
}

/* A refused upload goes at once, not when the connection is done. */
void
ck_upload_discard(struct ck_request *req)
{
	if (req->upload_fd >= 0) {
		close(req->upload_fd);
		req->upload_fd = -1;
	}
	if (req->upload_path != NULL) {
		unlink(req->upload_path);
		free(req->upload_path);
		req->upload_path = NULL;
	}
}

void
ck_upload_end(struct ck_request *req)
{
	if (req->upload_sha != NULL) {
		ck_sha256_end(req->upload_sha, req->upload_sha_hex);
		req->upload_sha = NULL;
	}
	/* a handler that keeps the upload has taken the path */
	ck_upload_discard(req);
	if (req->upload_reserved > 0) {
		budget_release(req->srv->uploads, req->principal,
		    req->upload_reserved);
		req->upload_reserved = 0;
	}
}
