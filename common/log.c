/* Structured logging: one JSON object per line. Callers never pass
 * secrets; the message is data, so it is JSON-escaped, never a format
 * string for someone else. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include "clawkeeper/log.h"

static enum ck_log_level log_level = CK_LOG_INFO;
static int log_fd = 2;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = { "debug", "info", "warn", "error" };

void
ck_log_set_level(enum ck_log_level level)
{
	log_level = level;
}

void
ck_log_set_fd(int fd)
{
	log_fd = fd;
}

static void
iso_now(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%.20s.%03dZ", base, (int)(ts.tv_nsec / 1000000));
}

static void
emit(enum ck_log_level level, const char *func, json_t *fields,
     const char *fmt, va_list ap)
{
	char msg[2048];
	char when[40];
	json_t *line;
	char *text;
	size_t len;

	if (level < log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	iso_now(when, sizeof(when));
	line = json_object();
	if (line == NULL)
		return;
	json_object_set_new(line, "time", json_string(when));
	json_object_set_new(line, "level", json_string(level_names[level]));
	json_object_set_new(line, "func", json_string(func));
	json_object_set_new(line, "msg", json_string(msg));
	if (fields != NULL)
		json_object_update_missing(line, fields);
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(line);
	if (text == NULL)
		return;
	len = strlen(text);
	text[len] = '\n';
	pthread_mutex_lock(&log_lock);
	/* One write per line keeps lines whole when several threads log. */
	if (write(log_fd, text, len + 1) < 0) {
		/* nowhere left to report it */
	}
	pthread_mutex_unlock(&log_lock);
	free(text);
}

void
ck_log_msg(enum ck_log_level level, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(level, func, NULL, fmt, ap);
	va_end(ap);
}

void
ck_log_json(enum ck_log_level level, const char *func, json_t *fields,
	    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(level, func, fields, fmt, ap);
	va_end(ap);
}
