/* libFuzzer target for the decision-log line parser (and the --since
 * time parser): any bytes must give "not a decision" or a record whose
 * strings are valid UTF-8 and whose verdict follows the rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/decision.h"
#include "clawkeeper/timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_record(const struct ck_decision *d)
{
	json_t *o = ck_decision_to_json(d);
	char *s;

	/* json_string() refuses invalid UTF-8: a NULL here is a parser bug */
	if (o == NULL || json_object_size(o) < 7 ||
	    json_is_null(json_object_get(o, "decision")) ||
	    json_object_get(o, "requested") == NULL ||
	    json_object_get(o, "next") == NULL)
		abort();
	s = json_dumps(o, JSON_COMPACT);
	if (s == NULL)
		abort();
	free(s);
	json_decref(o);
	if (d->verdict != CK_VERDICT_NONE && strcmp(d->next, "none") != 0)
		abort();
	if (d->verdict == CK_VERDICT_NO_FAILOVER &&
	    strcmp(d->candidate, d->requested) != 0)
		abort();
	if (d->decision[0] == '\0' || (d->time_ms >= 0) != (d->time[0] != '\0'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_decision d;
	char text[64];
	long long ms;
	/* a heap copy of exactly `size` bytes, so ASan sees any over-read */
	char *line = malloc(size ? size : 1);

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	if (ck_decision_parse_line(line, size, &d) == 1)
		check_record(&d);
	else if (d.decision[0] != '\0' || d.time_ms != -1)
		abort();
	free(line);

	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		(void)ck_time_parse(text, 1795467515906LL, &ms);
	}
	return 0;
}
