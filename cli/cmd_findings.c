/* `clawkeeper findings [--markdown | --json]`: every code a health
 * report, a plan or an import report can carry, from the one registry
 * (common/finding.c). --markdown prints the README's table.
 *
 * Exit codes: 0, 64 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clawkeeper/finding.h"
#include "commands.h"

int
ck_cmd_findings(int argc, char **argv)
{
	const struct ck_finding_code *c;
	size_t i, n;
	int md = argc == 2 && strcmp(argv[1], "--markdown") == 0;
	int js = argc == 2 && strcmp(argv[1], "--json") == 0;

	if (argc > 2 || (argc == 2 && !md && !js)) {
		int help = argc == 2 && strcmp(argv[1], "--help") == 0;

		fprintf(help ? stdout : stderr,
			"usage: clawkeeper findings [--markdown | --json]\n"
			"  every finding code: where it appears, its severity, what it means\n");
		return help ? 0 : 64;
	}
	c = ck_finding_codes(&n);
	if (js) {
		json_t *out = json_array();
		char *text;

		for (i = 0; i < n; i++)
			json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}", "code",
				c[i].code, "where", c[i].where, "severity", c[i].severity,
				"meaning", c[i].meaning));
		text = json_dumps(out, JSON_INDENT(2));
		json_decref(out);
		if (text == NULL)
			return 1;
		puts(text);
		free(text);
		return 0;
	}
	if (md)
		printf("| code | where | severity | meaning |\n|---|---|---|---|\n");
	for (i = 0; i < n; i++) {
		if (md)
			printf("| `%s` | %s | %s | %s |\n", c[i].code, c[i].where, c[i].severity,
			       c[i].meaning);
		else
			printf("%-32s %-14s %s\n", c[i].code, c[i].where, c[i].severity);
	}
	return 0;
}
