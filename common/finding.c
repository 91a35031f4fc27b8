/* Findings as JSON objects {code, severity, surface, message, fix}, and
 * the report status derived from the worst one. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clawkeeper/finding.h"

static const char *severity_names[] = { "ok", "info", "warning", "critical" };

const char *
ck_severity_name(enum ck_severity sev)
{
	if ((unsigned)sev > CK_SEV_CRITICAL)
		return "unknown";
	return severity_names[sev];
}

int
ck_finding_add(json_t *findings, const char *code, enum ck_severity sev,
	       const char *surface, const char *fix, const char *fmt, ...)
{
	char msg[1024];
	json_t *f;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f = json_pack("{s:s, s:s, s:s, s:s}", "code", code, "severity",
		      ck_severity_name(sev), "surface", surface ? surface : "instance",
		      "message", msg);
	if (f == NULL)
		return -1;
	if (fix != NULL)
		json_object_set_new(f, "fix", json_string(fix));
	return json_array_append_new(findings, f);
}

enum ck_severity
ck_findings_worst(const json_t *findings)
{
	enum ck_severity worst = CK_SEV_OK;
	size_t i;
	json_t *f;

	json_array_foreach(findings, i, f) {
		const char *s = json_string_value(json_object_get(f, "severity"));
		enum ck_severity sev = CK_SEV_OK;

		if (s == NULL)
			continue;
		if (strcmp(s, "critical") == 0)
			sev = CK_SEV_CRITICAL;
		else if (strcmp(s, "warning") == 0)
			sev = CK_SEV_WARNING;
		else if (strcmp(s, "info") == 0)
			sev = CK_SEV_INFO;
		if (sev > worst)
			worst = sev;
	}
	return worst;
}

const char *
ck_status_name(enum ck_severity worst)
{
	if (worst == CK_SEV_CRITICAL)
		return "critical";
	if (worst == CK_SEV_WARNING)
		return "warning";
	return "ok";
}

int
ck_status_exit_code(enum ck_severity worst)
{
	if (worst == CK_SEV_CRITICAL)
		return 1;
	if (worst == CK_SEV_WARNING)
		return 2;
	return 0;
}
