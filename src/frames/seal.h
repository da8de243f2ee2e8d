/* Sealed frames (--key-file): every frame's payload encrypted and its header authenticated
 * with XChaCha20-Poly1305 (libsodium's crypto_aead_xchacha20poly1305_ietf), so that a
 * receiver with the key takes only frames its sender made. Pure: no I/O, no threads.
 *
 * A sealed frame is an ordinary frame (frame.h) with TP_FRAME_SEALED in its flags and a
 * payload of
 *   ciphertext (as long as the plaintext), 16-byte Poly1305 tag, 24-byte nonce
 * The associated data is the frame's 24-byte header as sent (length field and flags
 * included); the CRC-32C still covers the whole frame, so line noise is told from forgery
 * before any cryptography runs. The nonce is a 16-byte random value drawn once per sealer
 * (per run), then a 64-bit count of the frames it sealed: it never repeats under one key,
 * as a run never seals 2^64 frames and two runs draw the same 128-bit value with
 * probability about n^2 / 2^129 for n runs. */
#ifndef TP_SEAL_H
#define TP_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include "frame.h"

#define TP_SEAL_KEY_SIZE 32u
#define TP_SEAL_TAG_SIZE 16u
#define TP_SEAL_NONCE_SIZE 24u
/* What sealing adds to a payload. */
#define TP_SEAL_OVERHEAD (TP_SEAL_TAG_SIZE + TP_SEAL_NONCE_SIZE)
/* The flag (header byte 3) of a sealed frame. */
#define TP_FRAME_SEALED 0x01u
/* The cipher, as --explain and --stats name it. */
#define TP_SEAL_CIPHER "XChaCha20-Poly1305"

/* The key and the nonce state, in memory that is locked (never swapped out), left out of
 * core dumps where the system allows, and wiped when freed (libsodium's sodium_malloc). */
struct tp_sealer;

/* libsodium must be ready first: 0, or -EIO (sodium_init failed). Safe to call again. */
int tp_seal_library_init(void);

/* A sealer for key (TP_SEAL_KEY_SIZE bytes, copied). 0 or -ENOMEM. */
int tp_sealer_new(struct tp_sealer **out, const unsigned char *key);
void tp_sealer_free(struct tp_sealer *s);

/* Seals in place the frame at buf: f's plaintext payload (f->len bytes) is already at
 * buf + TP_FRAME_HDR_SIZE, with room for TP_SEAL_OVERHEAD more bytes and the CRC after it.
 * Writes the header (f's fields, the sealed flag, the longer length), encrypts the payload
 * where it lies, appends tag and nonce, then the CRC. Returns the frame's size. */
size_t tp_seal_frame(struct tp_sealer *s, unsigned char *buf, const struct tp_frame *f);

/* Opens a sealed frame that passed its CRC (tp_frame_open): authenticates it and decrypts
 * its payload to out (room for f->len - TP_SEAL_OVERHEAD bytes; out may be f->payload
 * itself, decrypted in place, but must not overlap it otherwise). *plain gets the frame as
 * its sender meant it: the same header fields, flags without TP_FRAME_SEALED, the
 * plaintext's length, payload at out. 0; -EBADMSG when the frame does not authenticate
 * (nothing usable is in out then) or is no sealed frame; -EPROTO when it authenticates but
 * its payload does not parse as its type says. */
int tp_seal_open(const struct tp_sealer *s, const struct tp_frame *f, unsigned char *out,
		 struct tp_frame *plain);

#endif
