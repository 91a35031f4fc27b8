/* JSON5 reader producing jansson values. Every error names line:column.
 * OpenClaw's openclaw.json is JSON5; what clawkeeper writes is plain JSON. */
#ifndef CK_JSON5_H
#define CK_JSON5_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"

/* On failure returns NULL; the message starts with the position:
 * "line 5, column 12: expected ',' or '}'". Infinity and NaN are refused
 * (jansson holds no non-finite reals), as is any NUL character; integers
 * beyond int64 become reals; duplicate keys: the last wins. */
json_t *ck_json5_parse(const char *buf, size_t len, struct ck_error *err);
/* Reads the file (capped at 16 MiB) and prefixes errors with its path:
 * "/x/openclaw.json:5:12: expected ..." */
json_t *ck_json5_load_file(const char *path, struct ck_error *err);

#endif
