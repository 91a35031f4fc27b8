/* libFuzzer target for the JSON5 reader (common/json5.c): any bytes give
 * either a value or an error naming a line and column, never a crash;
 * and a value survives a round trip through jansson's JSON output, since
 * JSON is JSON5. Seeds: tests/fuzz/corpus/json5/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/json5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(json_t *v)
{
	struct ck_error err;
	json_t *again;
	char *out;

	out = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (out == NULL)
		abort();
	again = ck_json5_parse(out, strlen(out), &err);
	if (again == NULL || !json_equal(v, again))
		abort();
	json_decref(again);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_error err;
	json_t *v;

	v = ck_json5_parse((const char *)data, size, &err);
	if (v == NULL) {
		if (strncmp(err.msg, "line ", 5) != 0 ||
		    strstr(err.msg, ", column ") == NULL)
			abort();
		return 0;
	}
	check_round_trip(v);
	json_decref(v);
	return 0;
}
