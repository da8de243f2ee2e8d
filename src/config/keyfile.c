/* --key-file (keyfile.h). */
#include "config.h"
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "seal.h"

/* Longer than any key file: 64 hex digits and a line end, with room to tell "too long". */
#define KEY_FILE_MAX 256

/* Whether the file's owner and mode are as ssh wants a private key's: a key that others
 * could read is no secret, one they could write is not ours. */
static int check_file(const struct stat *st, char *why, size_t why_len)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, why_len, "not a regular file");
		return -1;
	}
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		snprintf(why, why_len, "owned by another user (uid %u)", (unsigned)st->st_uid);
		return -1;
	}
	if (st->st_mode & 077) {
		snprintf(why, why_len, "permissions %04o are too open: others than its owner may %s "
			 "it (chmod 600 it)", (unsigned)(st->st_mode & 07777),
			 st->st_mode & 044 ? "read" : "write");
		return -1;
	}
	return 0;
}

/* The key from the file's bytes: 32 raw, or 64 hex digits and trailing white space. */
static int parse_key(const unsigned char *buf, size_t n, unsigned char *key, char *why,
		     size_t why_len)
{
	size_t len = n, bin_len = 0;

	if (n == TP_SEAL_KEY_SIZE) {
		memcpy(key, buf, TP_SEAL_KEY_SIZE);
		return 0;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
			   buf[len - 1] == '\t'))
		len--;
	if (len == 2 * TP_SEAL_KEY_SIZE &&
	    sodium_hex2bin(key, TP_SEAL_KEY_SIZE, (const char *)buf, len, NULL, &bin_len, NULL) == 0 &&
	    bin_len == TP_SEAL_KEY_SIZE)
		return 0;
	snprintf(why, why_len, "not a key: %s%zu bytes, where a key is 32 raw bytes or 64 hex "
		 "digits (head -c 32 /dev/urandom > FILE makes one)", n >= KEY_FILE_MAX ? "over " : "",
		 n >= KEY_FILE_MAX ? (size_t)KEY_FILE_MAX - 1 : n);
	return -1;
}

int tp_key_load(const char *path, unsigned char *key, char *why, size_t why_len)
{
	unsigned char buf[KEY_FILE_MAX];
	struct stat st;
	size_t n = 0;
	int rc = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(why, why_len, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, why_len, "%s", strerror(errno));
	} else if (check_file(&st, why, why_len) == 0) {
		ssize_t got = 1;

		while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) > 0)
			n += (size_t)got;
		if (got < 0)
			snprintf(why, why_len, "%s", strerror(errno));
		else
			rc = parse_key(buf, n, key, why, why_len);
	}
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return rc;
}
