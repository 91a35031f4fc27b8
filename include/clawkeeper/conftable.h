/* One reader for config objects: a section is a table of fields (key,
 * type, bounds, default, secret flag, one line of doc), read into a
 * struct at each field's offset, in the way Redis config.c keeps its
 * options. Every unknown key and every bad value is named path-style
 * ("limits.max_body_bytes: expected an integer 1..1073741824"); all
 * problems are collected, the first also goes into err. The agent config
 * (agent/agentconf.c), its operations and gateway sections
 * (agent/opconf.c, agent/gateway_conf.c, agent/gwwatch.c) read through
 * it, and `clawkeeper config fields` prints the tables, which
 * tests/cli/conf_fields.sh compares with clawkeeper.json(5). */
#ifndef CK_CONFTABLE_H
#define CK_CONFTABLE_H

#include <stddef.h>
#include <jansson.h>

#include "error.h"

enum ck_cf_type {
	CK_CF_STRING,   /* char *, a non-empty string */
	CK_CF_PATH,     /* char *, relative to the config file's directory */
	CK_CF_INT,      /* int, lo..hi */
	CK_CF_UNSIGNED, /* unsigned, lo..hi */
	CK_CF_SIZE,     /* size_t, lo..hi */
	CK_CF_LLONG,    /* long long, lo..hi, times scale */
	CK_CF_BOOL,     /* int 0/1 */
	CK_CF_CUSTOM,   /* known here, read by the caller (objects, arrays, enums) */
};

struct ck_cf_field {
	const char *key;
	enum ck_cf_type type;
	size_t offset;          /* of the member in the target struct */
	long long lo, hi;       /* integer bounds */
	long long scale;        /* CK_CF_LLONG: the value stored is n * scale (0: 1) */
	long long dflt;         /* integer / bool default */
	const char *dflt_str;   /* string default, applied (NULL: none) */
	const char *dflt_doc;   /* a default that is not a literal, said in words
	                           ("the host name"); shown, never applied */
	int secret;             /* never shown, not even its default */
	const char *doc;        /* what it is, one line */
};

struct ck_cf_section {
	const char *path;       /* "" for the top level, else "limits", "gateway.watch" */
	const struct ck_cf_field *fields;
	size_t n_fields;
};

struct ck_cf_ctx {
	json_t *problems;       /* may be NULL */
	struct ck_error *err;
	int n_bad;
	const char *base_dir;   /* for CK_CF_PATH; NULL: as written */
};

#define CK_CF_N(a) (sizeof(a) / sizeof((a)[0]))

/* Adds a problem ("path: message") to ctx. */
void ck_cf_bad(struct ck_cf_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sets every field's default into target (strings strdup'd). */
void ck_cf_defaults(const struct ck_cf_section *s, void *target);
/* Reads obj (NULL: nothing to read) into target: unknown keys and bad
 * values are problems; absent fields keep what target holds. A non-object
 * obj is one problem. A NULL target only checks (a request's parameters). */
void ck_cf_read(struct ck_cf_ctx *ctx, const struct ck_cf_section *s,
    const json_t *obj, void *target);
/* {path, type, bounds?, default?, doc} for each field of the sections. */
json_t *ck_cf_describe(const struct ck_cf_section *const *sections, size_t n);

#endif
