/* Health findings: {code, severity, surface, message, fix}. Kept as a
 * jansson array so every report (CLI, API, operation result) is the same
 * JSON. Severity order: info < warning < critical. */
#ifndef CK_FINDING_H
#define CK_FINDING_H

#include <jansson.h>

enum ck_severity { CK_SEV_OK = 0, CK_SEV_INFO, CK_SEV_WARNING, CK_SEV_CRITICAL };

const char *ck_severity_name(enum ck_severity sev);
/* Appends {code, severity, surface, message, fix} to `findings` (a json
 * array). `fix` may be NULL (omitted). Returns 0, or -1 on OOM. */
int ck_finding_add(json_t *findings, const char *code, enum ck_severity sev,
		   const char *surface, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Highest severity in the array (CK_SEV_OK when empty). */
enum ck_severity ck_findings_worst(const json_t *findings);
/* Status word for a report: "ok", "info" is "ok", "warning", "critical". */
const char *ck_status_name(enum ck_severity worst);
/* CLI exit code: 0 ok/info, 2 warning, 1 critical (like models status --check). */
int ck_status_exit_code(enum ck_severity worst);

#endif
