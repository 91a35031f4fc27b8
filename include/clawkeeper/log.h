/* Structured logging: one JSON object per line on stderr (or a file),
 * {"time","level","func","msg", ...extra}. Messages never carry secrets:
 * callers pass fingerprints (see hash.h). */
#ifndef CK_LOG_H
#define CK_LOG_H

#include <jansson.h>

enum ck_log_level { CK_LOG_DEBUG, CK_LOG_INFO, CK_LOG_WARN, CK_LOG_ERROR };

void ck_log_set_level(enum ck_log_level level);
/* Redirect to a file descriptor (default 2). */
void ck_log_set_fd(int fd);
void ck_log_msg(enum ck_log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Emit with extra fields; `fields` is borrowed (may be NULL). */
void ck_log_json(enum ck_log_level level, const char *func, json_t *fields,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define ck_log_info(...) ck_log_msg(CK_LOG_INFO, __func__, __VA_ARGS__)
#define ck_log_warn(...) ck_log_msg(CK_LOG_WARN, __func__, __VA_ARGS__)
#define ck_log_error(...) ck_log_msg(CK_LOG_ERROR, __func__, __VA_ARGS__)
#define ck_log_debug(...) ck_log_msg(CK_LOG_DEBUG, __func__, __VA_ARGS__)

#endif
