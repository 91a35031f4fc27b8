/* `clawkeeper keygen FILE`: write a new HMAC key (32 random bytes as hex)
 * to a file that must not exist yet, mode 0600. Prints only the key's
 * fingerprint, never the key.
 *
 * Exit codes: 0 written, 1 could not write, 64 usage. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clawkeeper/hash.h"
#include "commands.h"

#define KEY_BYTES 32

int
ck_cmd_keygen(int argc, char **argv)
{
	uint8_t key[KEY_BYTES];
	char hex[2 * KEY_BYTES + 2], fp[CK_FINGERPRINT_LEN];
	int fd, ok;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout :
		    stderr, "usage: clawkeeper keygen FILE\n"
		    "  writes a new HMAC key (64 hex digits) to FILE, mode 0600; "
		    "FILE must not exist\n");
		return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 64;
	}
	if (ck_random_bytes(key, sizeof(key)) != 0) {
		fprintf(stderr, "clawkeeper keygen: no random bytes available\n");
		return 1;
	}
	ck_hex_encode(key, sizeof(key), hex);
	explicit_bzero(key, sizeof(key));
	ck_fingerprint(hex, fp);
	strcat(hex, "\n");
	fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		fprintf(stderr, "clawkeeper keygen: %s: %s\n", argv[1],
		    strerror(errno));
		explicit_bzero(hex, sizeof(hex));
		return 1;
	}
	/* the umask could only have removed bits; make it exactly 0600 */
	ok = fchmod(fd, 0600) == 0 &&
	    write(fd, hex, strlen(hex)) == (ssize_t)strlen(hex) && fsync(fd) == 0;
	explicit_bzero(hex, sizeof(hex));
	if (close(fd) != 0 || !ok) {
		fprintf(stderr, "clawkeeper keygen: %s: %s\n", argv[1],
		    strerror(errno));
		unlink(argv[1]);
		return 1;
	}
	printf("wrote %s (key fingerprint %s)\n", argv[1], fp);
	return 0;
}
