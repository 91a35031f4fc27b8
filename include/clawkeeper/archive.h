/* Safe tar.gz extraction and member reading with libarchive. Knows nothing
 * about OpenClaw: it refuses anything that could write or point outside the
 * destination, streams in constant memory, and enforces caps as it reads. */
#ifndef CK_ARCHIVE_H
#define CK_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

/* Caps; 0 in a field means "use the default" (ck_archive_limits_default). */
struct ck_archive_limits {
	uint64_t max_total_bytes;  /* sum of regular-file bytes written */
	uint64_t max_entries;      /* headers read, of any type */
	uint64_t max_file_bytes;   /* one regular file */
	uint64_t max_ratio;        /* uncompressed/compressed bytes read so far */
	uint64_t ratio_grace;      /* the ratio is checked once this many
				    * uncompressed bytes were read (tar headers
				    * and padding of tiny archives compress
				    * extremely well) */
	size_t max_member_bytes;   /* ck_archive_read_member's buffer */
};

#define CK_ARCHIVE_DEFAULT_TOTAL   (8ULL << 30)  /* 8 GiB */
#define CK_ARCHIVE_DEFAULT_ENTRIES 200000ULL
#define CK_ARCHIVE_DEFAULT_FILE    (4ULL << 30)  /* 4 GiB */
#define CK_ARCHIVE_DEFAULT_RATIO   200ULL
#define CK_ARCHIVE_DEFAULT_GRACE   (4ULL << 20)  /* 4 MiB */
#define CK_ARCHIVE_DEFAULT_MEMBER  (1U << 20)    /* 1 MiB */

void ck_archive_limits_default(struct ck_archive_limits *lim);

/* Where the archive bytes come from: a file path, or a buffer (fuzzing,
 * tests). Exactly one of path / data is set. `name` labels messages
 * (defaults to the path's last component, or "archive"). */
struct ck_archive_src {
	const char *path;
	const void *data;
	size_t len;
	const char *name;
};

struct ck_archive_stats {
	uint64_t entries;
	uint64_t files;
	uint64_t dirs;
	uint64_t symlinks;
	uint64_t hardlinks;
	uint64_t bytes;            /* regular-file bytes written */
	uint64_t compressed_bytes; /* read from the source */
};

/* Extracts a gzip-compressed tar into `dest`, which this creates with mode
 * 0700 and which must not exist. Refused, naming the entry: absolute
 * names, ".." components, names that pass through a symlink, symlinks
 * whose target leaves dest, hardlinks to anything but a regular file
 * extracted earlier, device/fifo/socket nodes, setuid/setgid files,
 * duplicate file names, non-gzip input, an empty archive, and any cap
 * exceeded (checked block by block, before the bytes are written).
 * Sticky bits and group/other write bits are stripped; owners are never
 * applied; directories always keep owner rwx. Nothing is ever opened
 * following a symlink (O_NOFOLLOW, O_EXCL, *at() relative to dir fds).
 * On any failure `dest` is removed entirely. stats may be NULL. */
int ck_archive_extract(const struct ck_archive_src *src, const char *dest,
		       const struct ck_archive_limits *lim,
		       struct ck_archive_stats *stats, struct ck_error *err);

/* Called with each member's normalised name ("./" and "//" removed, no
 * trailing '/'); return 1 to select it. */
typedef int (*ck_archive_match_fn)(const char *name, void *ud);

/* Reads the first regular-file member `match` selects, without extracting
 * anything, into a NUL-terminated malloc'd buffer (at most
 * lim->max_member_bytes). Returns 1 found (*name_out, *data, *len set;
 * caller frees both), 0 not found, -1 on a bad archive or cap. The entry
 * and ratio caps apply while scanning. */
int ck_archive_read_member(const struct ck_archive_src *src,
			   ck_archive_match_fn match, void *ud,
			   const struct ck_archive_limits *lim,
			   char **name_out, char **data, size_t *len,
			   struct ck_error *err);

/* Normalises an archive member name into buf: strips leading "./" and
 * empty or "." components and a trailing '/' ("./" becomes ""). -1 (with
 * a reason in err) for absolute names, ".." components or overflow. */
int ck_archive_normalize_name(const char *name, char *buf, size_t n,
			      struct ck_error *err);

#endif
