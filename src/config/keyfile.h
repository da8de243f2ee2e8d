/* --key-file: the 32-byte key both ends share, read as ssh reads a private key: from a
 * regular file that only its owner (you, or root) may read or write. */
#ifndef TP_KEYFILE_H
#define TP_KEYFILE_H

#include <stddef.h>

/* Reads the key at path into key (TP_SEAL_KEY_SIZE bytes): 32 raw bytes, or 64 hex digits
 * (a newline or spaces after them allowed). 0, or -1 with one sentence in why saying what is
 * wrong (never any of the file's bytes). What was read is wiped from memory before it
 * returns; key is the caller's to wipe. */
int tp_key_load(const char *path, unsigned char *key, char *why, size_t why_len);

#endif
