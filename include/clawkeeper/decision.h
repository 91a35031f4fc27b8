/* The model-fallback decision log. Reads both forms OpenClaw writes:
 * the JSON-lines file log (tslog; "1".event == model_fallback_decision)
 * and the console text line
 * "[model-fallback/decision] model fallback decision: decision=... next=..."
 * (ANSI colours, with or without decision=). Streaming: memory does not
 * grow with the file. */
#ifndef CK_DECISION_H
#define CK_DECISION_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"

enum ck_decision_verdict {
	CK_VERDICT_NONE = 0,          /* nothing notable */
	CK_VERDICT_NO_FAILOVER,       /* requested model failed, next=none */
	CK_VERDICT_CHAIN_EXHAUSTED,   /* a fallback failed, next=none */
};

struct ck_decision {
	long long time_ms;       /* -1 when the line has no time */
	char time[40];           /* as written (ISO 8601), "" when none */
	char decision[32];       /* candidate_failed, candidate_succeeded, skip_candidate, "" */
	char requested[160];     /* provider/model */
	char candidate[160];
	char reason[32];         /* "unknown" when the line gives none (as the console does) */
	char next[160];          /* provider/model or "none" */
	char detail[200];        /* errorPreview / detail=; token-like runs replaced by fingerprints */
	int attempt, total;      /* 0 when unknown */
	int inferred;            /* 1: the line had no decision=, `decision` was inferred */
	enum ck_decision_verdict verdict;
};

/* Parse one line (no trailing newline needed). Returns 1 when it is a
 * decision record (filled into d), 0 when it is some other line, never
 * fails on junk. */
int ck_decision_parse_line(const char *line, size_t len, struct ck_decision *d);
const char *ck_decision_verdict_code(enum ck_decision_verdict v); /* finding code or NULL */

/* Return 0 to go on; anything else stops the scan (ck_decision_scan then
 * returns 1). */
typedef int (*ck_decision_fn)(const struct ck_decision *d, void *ud);
/* Scan files in order (oldest first), calling fn for each decision whose
 * time >= since_ms (since_ms < 0: all; lines without a time are passed
 * only then). The path "-" is stdin. Returns 0, or -1 with err when a
 * file cannot be read (missing files are skipped only when skip_missing). */
int ck_decision_scan(const char *const *paths, size_t n, long long since_ms,
		     int skip_missing, ck_decision_fn fn, void *ud,
		     struct ck_error *err);

/* What a scan saw besides decisions. */
struct ck_decision_stats {
	unsigned long long files;        /* files read */
	unsigned long long bytes;        /* bytes read */
	unsigned long long decisions;    /* decision records parsed (before --since) */
	unsigned long long malformed;    /* lines naming a decision that did not parse */
	/* Lines longer than max_line are skipped, never parsed. Counted are
	 * those the reader had to drop unread (longer than its buffer) and
	 * those that named a decision; long_decision_lines is the subset
	 * that named one (the phrase seen anywhere in the line). */
	unsigned long long long_lines;
	unsigned long long long_decision_lines;
};

struct ck_decision_scan_opts {
	size_t block_size;  /* bytes per read(); 0: 256 KiB. Tests use tiny ones */
	size_t max_line;    /* longer lines are skipped and counted; 0: 1 MiB */
};
#define CK_DECISION_MAX_LINE (1024 * 1024)

/* ck_decision_scan with tunables (opts may be NULL) and counters (stats
 * may be NULL; it is zeroed first). */
int ck_decision_scan_ex(const char *const *paths, size_t n, long long since_ms,
			int skip_missing, const struct ck_decision_scan_opts *opts,
			ck_decision_fn fn, void *ud, struct ck_decision_stats *stats,
			struct ck_error *err);

/* Running totals, so one pass can both list decisions and summarise them. */
struct ck_decision_tally;
struct ck_decision_tally *ck_decision_tally_new(void);
void ck_decision_tally_add(struct ck_decision_tally *t, const struct ck_decision *d);
/* The summary object (below), findings appended to `findings` (may be
 * NULL); stats may be NULL. NULL on OOM. */
json_t *ck_decision_tally_summary(const struct ck_decision_tally *t,
				  const struct ck_decision_stats *stats,
				  json_t *findings);
void ck_decision_tally_free(struct ck_decision_tally *t);

/* Summary for health: {"total":n,"counts":{decision:n},"reasons":{reason:n}
 * (failed and skipped candidates only),"no_failover":n,"exhausted":n,
 * "last":{...}|null,"files","bytes","malformed","skipped_long_lines"} and
 * findings appended: DECISION_NO_FAILOVER (critical) and
 * FALLBACK_CHAIN_EXHAUSTED (warning), one each with the count and the
 * latest example, surface "defaults". Missing files are skipped (a
 * rotation may remove one); NULL with err when a file cannot be read. */
json_t *ck_decision_summary(const char *const *paths, size_t n,
			    long long since_ms, json_t *findings,
			    struct ck_error *err);
/* {time, time_ms, decision, requested, candidate, reason, next, detail,
 * attempt, total, verdict, finding}; "finding" is the code or null. */
json_t *ck_decision_to_json(const struct ck_decision *d);

#endif
