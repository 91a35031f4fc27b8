/* libFuzzer target: arbitrary bytes as an in-memory tar.gz through safe
 * extraction (small caps, a fresh temp dir each run, removed after), member
 * reading, and the backup manifest checker. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clawkeeper/archive.h"
#include "clawkeeper/backup.h"
#include "clawkeeper/fileio.h"

static int
any_manifest(const char *name, void *ud)
{
	size_t n = strlen(name);

	(void)ud;
	return n >= 13 && strcmp(name + n - 13, "manifest.json") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_archive_limits lim = {
		.max_total_bytes = 4 << 20, .max_entries = 2000,
		.max_file_bytes = 1 << 20, .max_ratio = 200,
		.ratio_grace = 64 << 10, .max_member_bytes = 64 << 10,
	};
	struct ck_archive_src src = { .data = data, .len = size, .name = "fuzz" };
	char base[] = "/tmp/ck-fuzz-archive-XXXXXX";
	struct ck_error err;
	char *dest, *name, *buf;
	size_t len;
	json_t *m;

	if (mkdtemp(base) == NULL)
		return 0;
	dest = ck_path_join(base, "x");
	(void)ck_archive_extract(&src, dest, &lim, NULL, &err);
	(void)ck_rm_rf(base, &err);
	free(dest);
	if (ck_archive_read_member(&src, any_manifest, NULL, &lim, &name, &buf,
				   &len, &err) == 1) {
		m = ck_backup_manifest_parse(buf, len, NULL, &err);
		json_decref(m);
		free(name);
		free(buf);
	}
	/* The raw bytes as a manifest, too. */
	m = ck_backup_manifest_parse((const char *)data, size, NULL, &err);
	json_decref(m);
	return 0;
}
