/* The table-driven reader of config objects (conftable.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/conftable.h"
#include "clawkeeper/fileio.h"

void
ck_cf_bad(struct ck_cf_ctx *ctx, const char *fmt, ...)
{
	char msg[CK_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx->n_bad++ == 0 && ctx->err != NULL)
		ck_error_set(ctx->err, "%s", msg);
	if (ctx->problems != NULL)
		json_array_append_new(ctx->problems, json_string(msg));
}

static const char *
field_path(const struct ck_cf_section *s, const struct ck_cf_field *f,
    char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", s->path, *s->path ? "." : "", f->key);
	return buf;
}

static void *
member(void *target, const struct ck_cf_field *f)
{
	return (char *)target + f->offset;
}

static void
set_int(void *target, const struct ck_cf_field *f, long long v)
{
	void *m = member(target, f);

	switch (f->type) {
	case CK_CF_INT:
	case CK_CF_BOOL:
		*(int *)m = (int)v;
		break;
	case CK_CF_UNSIGNED:
		*(unsigned *)m = (unsigned)v;
		break;
	case CK_CF_SIZE:
		*(size_t *)m = (size_t)v;
		break;
	case CK_CF_LLONG:
		*(long long *)m = v * (f->scale ? f->scale : 1);
		break;
	default:
		break;
	}
}

void
ck_cf_defaults(const struct ck_cf_section *s, void *target)
{
	size_t i;

	for (i = 0; i < s->n_fields; i++) {
		const struct ck_cf_field *f = &s->fields[i];

		if (f->type == CK_CF_STRING || f->type == CK_CF_PATH) {
			char **m = member(target, f);

			free(*m);
			*m = f->dflt_str ? strdup(f->dflt_str) : NULL;
		} else if (f->type != CK_CF_CUSTOM) {
			set_int(target, f, f->dflt);
		}
	}
}

static void
read_field(struct ck_cf_ctx *ctx, const struct ck_cf_section *s,
    const struct ck_cf_field *f, const json_t *v, void *target)
{
	char path[160];
	long long n;

	field_path(s, f, path, sizeof(path));
	switch (f->type) {
	case CK_CF_STRING:
	case CK_CF_PATH: {
		const char *str = json_string_value(v);
		char **m = member(target, f);

		if (str == NULL || *str == '\0') {
			ck_cf_bad(ctx, "%s: expected a non-empty %s", path,
			    f->type == CK_CF_PATH ? "path" : "string");
			return;
		}
		if (target == NULL)
			return;
		free(*m);
		*m = f->type == CK_CF_PATH && str[0] != '/' && ctx->base_dir != NULL ?
		    ck_path_join(ctx->base_dir, str) : strdup(str);
		return;
	}
	case CK_CF_BOOL:
		if (!json_is_boolean(v)) {
			ck_cf_bad(ctx, "%s: expected true or false", path);
			return;
		}
		if (target != NULL)
			set_int(target, f, json_is_true(v));
		return;
	case CK_CF_INT:
	case CK_CF_UNSIGNED:
	case CK_CF_SIZE:
	case CK_CF_LLONG:
		n = json_integer_value(v);
		if (!json_is_integer(v) || n < f->lo || n > f->hi) {
			ck_cf_bad(ctx, "%s: expected an integer %lld..%lld", path,
			    f->lo, f->hi);
			return;
		}
		if (target != NULL)
			set_int(target, f, n);
		return;
	case CK_CF_CUSTOM:
		return;
	}
}

void
ck_cf_read(struct ck_cf_ctx *ctx, const struct ck_cf_section *s,
    const json_t *obj, void *target)
{
	const char *k;
	json_t *v;
	size_t i;

	if (obj == NULL)
		return;
	if (!json_is_object(obj)) {
		ck_cf_bad(ctx, "%s: expected an object", *s->path ? s->path : "config");
		return;
	}
	json_object_foreach((json_t *)obj, k, v) {
		for (i = 0; i < s->n_fields; i++)
			if (strcmp(k, s->fields[i].key) == 0)
				break;
		if (i == s->n_fields) {
			ck_cf_bad(ctx, "%s%s%s: unknown field", s->path,
			    *s->path ? "." : "", k);
			continue;
		}
		read_field(ctx, s, &s->fields[i], v, target);
	}
}

static const char *
type_name(enum ck_cf_type t)
{
	switch (t) {
	case CK_CF_STRING: return "string";
	case CK_CF_PATH: return "path";
	case CK_CF_BOOL: return "boolean";
	case CK_CF_CUSTOM: return "custom";
	default: return "integer";
	}
}

json_t *
ck_cf_describe(const struct ck_cf_section *const *sections, size_t n)
{
	json_t *out = json_array();
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct ck_cf_section *s = sections[i];

		for (j = 0; j < s->n_fields; j++) {
			const struct ck_cf_field *f = &s->fields[j];
			char path[160];
			json_t *d = json_pack("{s:s, s:s, s:s}", "path",
			    field_path(s, f, path, sizeof(path)), "type",
			    type_name(f->type), "doc", f->doc ? f->doc : "");

			if (f->type == CK_CF_INT || f->type == CK_CF_UNSIGNED ||
			    f->type == CK_CF_SIZE || f->type == CK_CF_LLONG) {
				json_object_set_new(d, "min", json_integer(f->lo));
				json_object_set_new(d, "max", json_integer(f->hi));
				if (!f->secret)
					json_object_set_new(d, "default", f->dflt_doc ?
					    json_string(f->dflt_doc) : json_integer(f->dflt));
			} else if (f->type == CK_CF_BOOL && !f->secret) {
				json_object_set_new(d, "default", json_boolean(f->dflt));
			} else if ((f->dflt_str != NULL || f->dflt_doc != NULL) && !f->secret) {
				json_object_set_new(d, "default", json_string(f->dflt_str ?
				    f->dflt_str : f->dflt_doc));
			}
			if (f->secret)
				json_object_set_new(d, "secret", json_true());
			json_array_append_new(out, d);
		}
	}
	return out;
}
