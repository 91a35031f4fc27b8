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
/* Every code a report can carry, in one registry (common/finding.c):
 * the README's table is printed from it (`clawkeeper findings
 * --markdown`) and tests/cli/findings.sh fails when the README, the
 * registry or the codes the sources emit differ. `where`: health, plan
 * (an operation's plan entries), import (the import report's warnings),
 * or several of them joined by ", ". */
struct ck_finding_code {
	const char *code;
	const char *where;
	const char *severity;
	const char *meaning;
};

const struct ck_finding_code *ck_finding_codes(size_t *n);
/* NULL when code is not registered. */
const struct ck_finding_code *ck_finding_code_find(const char *code);
/* Test builds stop (abort, naming it) at a code outside the registry;
 * a bug every report path shares. A no-op in other builds. */
void ck_finding_code_check(const char *code);

/* Highest severity in the array (CK_SEV_OK when empty). */
enum ck_severity ck_findings_worst(const json_t *findings);
/* Status word for a report: "ok", "info" is "ok", "warning", "critical". */
const char *ck_status_name(enum ck_severity worst);
/* CLI exit code: 0 ok/info, 2 warning, 1 critical (like models status --check). */
int ck_status_exit_code(enum ck_severity worst);

#endif
