/* Sealed frames (--key-file): every frame's payload encrypted and its header authenticated
 * with an AEAD, so that a receiver with the key takes only frames its sender
 * made, and can tell which of its sender's runs a frame belongs to. Pure: no I/O, no threads.
 *
 * A sealed frame is an ordinary frame (frame.h) with TP_FRAME_FLAG_SEALED in its flags (and
 * TP_FRAME_FLAG_AES256GCM when that is the cipher) and a payload of
 *   ciphertext (as long as the plaintext), 16-byte tag, 24-byte trailer
 * where the trailer is the sealer's start (u64 nanoseconds since 1970 by the sender's clock:
 * its "epoch"), 8 random bytes drawn at the start, and a u64 count of the frames it sealed.
 * The associated data is the frame's 24-byte header as sent (length field and flags
 * included); the CRC-32C still covers the whole frame, so line noise is told from forgery
 * before any cryptography runs.
 *   XChaCha20-Poly1305: the trailer is the 24-byte nonce. As the construction is defined
 *   (draft-irtf-cfrg-xchacha), that is ChaCha20-Poly1305 under the run key
 *   HChaCha20(key, epoch and random bytes), with 4 zero bytes and the count as its nonce.
 *   AES-256-GCM: each run seals under its own key, BLAKE2b(key; label, epoch, random
 *   bytes), with the same 96-bit nonce.
 * So both derive a run's key once (libsodium's HChaCha20 or BLAKE2b) and seal its frames with
 * OpenSSL's ChaCha20-Poly1305 or AES-256-GCM (aead.h says why OpenSSL); the frames are the
 * ones libsodium's crypto_aead_xchacha20poly1305_ietf makes, byte for byte (test_seal).
 * Either way no nonce repeats under a key: the count does not repeat within a run (2^64
 * frames are never sealed), and two runs share epoch and random bytes only if they start in
 * the same nanosecond and draw the same 64 bits. The trailer is authenticated too (a changed
 * byte of it changes the nonce or the key), so the epoch orders a sender's runs (track.h). */
#ifndef TP_SEAL_H
#define TP_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "aead.h"
#include "frame.h"

#define TP_SEAL_KEY_SIZE 32u
#define TP_SEAL_TAG_SIZE 16u
#define TP_SEAL_TRAILER_SIZE 24u
/* What sealing adds to a payload. */
#define TP_SEAL_OVERHEAD (TP_SEAL_TAG_SIZE + TP_SEAL_TRAILER_SIZE)

/* The key, in memory that is locked (never swapped out), left out of core dumps where the
 * system allows, and wiped when freed (libsodium's sodium_malloc); the nonce state; the run
 * keys in OpenSSL's contexts (aead.h). One thread at a time: tp_seal_open keeps
 * the keys of the runs it opened last. */
struct tp_sealer;

/* libsodium must be ready first: 0, or -EIO (sodium_init failed). Safe to call again. */
int tp_seal_library_init(void);

/* Whether this CPU can seal and open with cipher: AES-256-GCM needs AES-NI, as libsodium
 * judges it, since AES in software is slow and open to timing attacks on its tables. */
bool tp_seal_cipher_available(enum tp_cipher cipher);

/* The cipher's name, as --explain and --stats say it. */
const char *tp_seal_cipher_name(enum tp_cipher cipher);

/* A sealer for key (TP_SEAL_KEY_SIZE bytes, copied) that seals with cipher; any sealer
 * opens frames of both ciphers. epoch_ns: the sender's clock now (0 is taken as 1).
 * 0, -ENOMEM, or -ENOTSUP (AES-256-GCM asked for, and this CPU has no AES-NI). */
int tp_sealer_new(struct tp_sealer **out, const unsigned char *key, enum tp_cipher cipher,
		  uint64_t epoch_ns);
void tp_sealer_free(struct tp_sealer *s);
enum tp_cipher tp_sealer_cipher(const struct tp_sealer *s);

/* Seals in place the frame at buf: f's plaintext payload (f->len bytes) is already at
 * buf + TP_FRAME_HDR_SIZE, with room for TP_SEAL_OVERHEAD more bytes and the CRC after it.
 * Writes the header (f's fields, the sealed flags, the longer length), encrypts the payload
 * where it lies, appends tag and trailer, then the CRC. Returns the frame's size. */
size_t tp_seal_frame(struct tp_sealer *s, unsigned char *buf, const struct tp_frame *f);

/* Opens a sealed frame that passed its CRC (tp_frame_open): authenticates it and decrypts
 * its payload to out (room for f->len - TP_SEAL_OVERHEAD bytes; out may be f->payload
 * itself, decrypted in place, but must not overlap it otherwise). *plain gets the frame as
 * its sender meant it: the same header fields, flags without the sealed ones, the
 * plaintext's length, payload at out, and its sender's epoch. 0; -EBADMSG when the frame
 * does not authenticate (out is then zeros, as far as it was written) or is no sealed frame; -ENOTSUP
 * when it is sealed with AES-256-GCM and this CPU cannot open that; -EPROTO when it
 * authenticates but its payload does not parse as its type says. */
int tp_seal_open(struct tp_sealer *s, const struct tp_frame *f, unsigned char *out,
		 struct tp_frame *plain);

#endif
