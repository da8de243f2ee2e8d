/* One AEAD key at work: ChaCha20-Poly1305 (RFC 8439) or AES-256-GCM with a 96-bit nonce,
 * from OpenSSL's libcrypto. seal.h builds its ciphers on it: each run of a sender seals
 * under a key of its own, derived from the shared key, so the run's frame count can be the
 * nonce. Why OpenSSL for the bulk work: on this project's x86-64 machines its AVX-512 code
 * seals 64 KiB at 3.5 GB/s with either cipher, where libsodium 1.0.18 (Debian 12) managed
 * 1.35 GB/s (XChaCha20) and 2.0 GB/s (AES-256-GCM): BENCHMARKS.md, issue 19.
 * Pure: no I/O, no threads; one thread at a time per struct tp_aead. */
#ifndef TP_AEAD_H
#define TP_AEAD_H

#include <stddef.h>

#define TP_AEAD_KEY_SIZE 32u
#define TP_AEAD_NONCE_SIZE 12u
#define TP_AEAD_TAG_SIZE 16u

enum tp_cipher {
	TP_CIPHER_XCHACHA20,   /* XChaCha20-Poly1305, the default: see seal.h */
	TP_CIPHER_AES256GCM,   /* AES-256-GCM: taken only on CPUs with AES-NI (seal.h) */
};

/* The key's state: OpenSSL's cipher context, key schedule included. That lives on
 * OpenSSL's heap, neither locked nor kept out of core dumps: the caller sees to the
 * process (run.c makes a keyed tpipe undumpable). Wiped when freed. */
struct tp_aead;

/* A context for cipher (ChaCha20-Poly1305 stands for XChaCha20's inner cipher), with no key
 * yet: 0, or -ENOMEM when OpenSSL cannot make one. */
int tp_aead_new(struct tp_aead **out, enum tp_cipher cipher);
void tp_aead_free(struct tp_aead *a);

/* Sets the key (TP_AEAD_KEY_SIZE bytes; the caller wipes its copy). */
void tp_aead_set_key(struct tp_aead *a, const unsigned char *key);

/* Encrypts len bytes at buf in place and writes the tag; ad (adlen bytes) is authenticated
 * too. The nonce must never repeat under the key. */
void tp_aead_seal(struct tp_aead *a, const unsigned char *nonce, const unsigned char *ad,
		  size_t adlen, unsigned char *buf, size_t len, unsigned char *tag);

/* Authenticates and decrypts len bytes at in to out (in itself, or not overlapping it):
 * 0, or -EBADMSG when the tag does not match, and then out is all zeros. */
int tp_aead_open(struct tp_aead *a, const unsigned char *nonce, const unsigned char *ad,
		 size_t adlen, const unsigned char *in, size_t len, const unsigned char *tag,
		 unsigned char *out);

#endif
