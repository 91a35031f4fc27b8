/* Boots and reloads read from the gateway's file log. Lines are JSON with
 * the message in "1" (or "message") and the time in _meta.date (or
 * "time"); the text is matched only after a cheap substring test, so a
 * 100 MB log is not parsed line by line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clawkeeper/clock.h"
#include "clawkeeper/gwlog.h"

#define LINE_MAX_BYTES (64 * 1024)

static const char *
line_message(json_t *j)
{
	const char *m = json_string_value(json_object_get(j, "1"));

	return m ? m : json_string_value(json_object_get(j, "message"));
}

static long long
line_time(json_t *j)
{
	const char *d = json_string_value(json_object_get(json_object_get(j, "_meta"), "date"));
	long long ms = -1;

	if (d == NULL)
		d = json_string_value(json_object_get(j, "time"));
	if (d == NULL || ck_clock_parse_iso(d, strlen(d), &ms) == 0)
		return -1;
	return ms;
}

int
ck_gwlog_line(const char *line, size_t len, long long since_ms, struct ck_gwlog_counts *out)
{
	int boot = memmem(line, len, "http server listening", 21) != NULL;
	int reload = memmem(line, len, "evaluating reload", 17) != NULL;
	int restart = memmem(line, len, "; restarting", 12) != NULL;
	json_t *j;
	const char *msg;
	long long t;
	int counted = 0;

	if (!boot && !reload && !restart)
		return 0;
	j = json_loadb(line, len, 0, NULL);
	msg = line_message(j);
	t = line_time(j);
	if (msg != NULL && t >= since_ms) {
		if (boot && strstr(msg, "http server listening") != NULL) {
			if (out->boots++ == 0)
				out->first_boot_ms = t;
			out->last_boot_ms = t;
			counted = 1;
		} else if (reload && strstr(msg, "evaluating reload") != NULL) {
			out->reloads++;
			counted = 1;
		} else if (restart && strstr(msg, "; restarting") != NULL) {
			out->restarts++;
			counted = 1;
		}
	}
	json_decref(j);
	return counted;
}

int
ck_gwlog_count(const char *const *paths, size_t n, long long since_ms,
	       struct ck_gwlog_counts *out)
{
	char *line = malloc(LINE_MAX_BYTES);
	size_t i;
	int read_any = 0;

	memset(out, 0, sizeof(*out));
	if (line == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		FILE *f = paths[i] ? fopen(paths[i], "r") : NULL;

		if (f == NULL)
			continue;
		read_any = 1;
		while (fgets(line, LINE_MAX_BYTES, f) != NULL)
			ck_gwlog_line(line, strlen(line), since_ms, out);
		fclose(f);
	}
	free(line);
	return read_any ? 0 : -1;
}
