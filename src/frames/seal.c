/* Sealed frames (seal.h): XChaCha20-Poly1305 or AES-256-GCM from libsodium, the header as
 * associated data. */
#include "config.h"
#include "seal.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include "crc.h"
#include "le.h"

_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == TP_SEAL_KEY_SIZE, "key size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == TP_SEAL_TAG_SIZE, "tag size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == TP_SEAL_TRAILER_SIZE,
	       "the trailer is XChaCha20's nonce");
_Static_assert(crypto_aead_aes256gcm_ABYTES == TP_SEAL_TAG_SIZE, "tag size");
_Static_assert(crypto_aead_aes256gcm_NPUBBYTES == 12, "GCM nonce size");

/* The trailer's run part: epoch (8 bytes) and the random bytes (8). */
#define RUN_ID_SIZE 16u
/* AES-256-GCM keys of this many senders' runs are kept by a receiver: the current run and
 * one more (a restart), so that frames of two runs in turn cost no key derivation each. */
#define RUNS_KEPT 2u

/* One run's AES-256-GCM key, expanded (libsodium's precomputed state). */
struct run_key {
	crypto_aead_aes256gcm_state state;  /* first: 16-byte aligned (see tp_sealer_new) */
	unsigned char run[RUN_ID_SIZE];
	bool valid;
	uint64_t used;                      /* when last used, by the sealer's clock `uses` */
};

struct tp_sealer {
	struct run_key own;                 /* AES-256-GCM: this sealer's run key */
	struct run_key opened[RUNS_KEPT];   /* AES-256-GCM: the runs opened last */
	unsigned char key[TP_SEAL_KEY_SIZE];
	unsigned char run[RUN_ID_SIZE];     /* epoch and random bytes, drawn once */
	uint64_t count;                     /* frames sealed: the trailer's counting part */
	uint64_t uses;
	enum tp_cipher cipher;
};

int tp_seal_library_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

bool tp_seal_cipher_available(enum tp_cipher cipher)
{
	return cipher == TP_CIPHER_XCHACHA20 ||
	       (cipher == TP_CIPHER_AES256GCM && crypto_aead_aes256gcm_is_available());
}

const char *tp_seal_cipher_name(enum tp_cipher cipher)
{
	return cipher == TP_CIPHER_AES256GCM ? "AES-256-GCM" : "XChaCha20-Poly1305";
}

/* A run's AES-256-GCM key: BLAKE2b keyed with the key, over a label and the run's id, so
 * that each run has a key of its own and its count alone can be the nonce. */
static void derive_run_key(const struct tp_sealer *s, const unsigned char *run,
			   struct run_key *rk)
{
	static const char label[] = "tpipe AES-256-GCM run key v1";
	unsigned char msg[sizeof(label) - 1 + RUN_ID_SIZE], sub[crypto_aead_aes256gcm_KEYBYTES];

	memcpy(msg, label, sizeof(label) - 1);
	memcpy(msg + sizeof(label) - 1, run, RUN_ID_SIZE);
	crypto_generichash(sub, sizeof(sub), msg, sizeof(msg), s->key, sizeof(s->key));
	crypto_aead_aes256gcm_beforenm(&rk->state, sub);
	sodium_memzero(sub, sizeof(sub));
	memcpy(rk->run, run, RUN_ID_SIZE);
	rk->valid = true;
}

static void gcm_nonce(unsigned char nonce[12], const unsigned char *trailer)
{
	memset(nonce, 0, 4);
	memcpy(nonce + 4, trailer + RUN_ID_SIZE, 8);
}

int tp_sealer_new(struct tp_sealer **out, const unsigned char *key, enum tp_cipher cipher,
		  uint64_t epoch_ns)
{
	struct tp_sealer *s = NULL;
	int err = -ENOTSUP;

	*out = NULL;
	if (!tp_seal_cipher_available(cipher))
		return err;
	/* Guard pages around it, locked in memory, excluded from core dumps (MADV_DONTDUMP),
	 * zeroed when freed. It ends at a page's end, so its size, a multiple of the states'
	 * alignment, keeps them aligned. */
	_Static_assert(sizeof(struct tp_sealer) % 16 == 0, "sealer states stay aligned");
	s = sodium_malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	assert(((uintptr_t)s & 15) == 0);
	memset(s, 0, sizeof(*s));
	memcpy(s->key, key, TP_SEAL_KEY_SIZE);
	tp_put_le64(s->run, epoch_ns ? epoch_ns : 1);
	randombytes_buf(s->run + 8, RUN_ID_SIZE - 8);
	s->cipher = cipher;
	if (cipher == TP_CIPHER_AES256GCM)
		derive_run_key(s, s->run, &s->own);
	*out = s;
	return 0;
}

void tp_sealer_free(struct tp_sealer *s)
{
	sodium_free(s);
}

enum tp_cipher tp_sealer_cipher(const struct tp_sealer *s)
{
	return s->cipher;
}

size_t tp_seal_frame(struct tp_sealer *s, unsigned char *buf, const struct tp_frame *f)
{
	struct tp_frame wire = *f;
	unsigned char *payload = buf + TP_FRAME_HDR_SIZE;
	unsigned char *tag = payload + f->len, *trailer = tag + TP_SEAL_TAG_SIZE;
	size_t end;

	assert(f->len <= TP_FRAME_MAX_PAYLOAD - TP_SEAL_OVERHEAD);
	wire.flags |= TP_FRAME_FLAG_SEALED;
	if (s->cipher == TP_CIPHER_AES256GCM)
		wire.flags |= TP_FRAME_FLAG_AES256GCM;
	wire.len = f->len + TP_SEAL_OVERHEAD;
	tp_frame_put_header(buf, &wire);
	memcpy(trailer, s->run, RUN_ID_SIZE);
	tp_put_le64(trailer + RUN_ID_SIZE, s->count++);
	if (s->cipher == TP_CIPHER_AES256GCM) {
		unsigned char nonce[12];

		gcm_nonce(nonce, trailer);
		crypto_aead_aes256gcm_encrypt_detached_afternm(payload, tag, NULL, payload, f->len,
							       buf, TP_FRAME_HDR_SIZE, NULL, nonce,
							       &s->own.state);
	} else {
		crypto_aead_xchacha20poly1305_ietf_encrypt_detached(payload, tag, NULL, payload,
								    f->len, buf, TP_FRAME_HDR_SIZE,
								    NULL, trailer, s->key);
	}
	end = TP_FRAME_HDR_SIZE + (size_t)wire.len;
	tp_put_le32(buf + end, tp_crc32c(0, buf, end));
	return end + TP_FRAME_CRC_SIZE;
}

/* The kept key of the run a trailer names, derived now if it is not kept (over the one
 * used least lately). */
static const struct run_key *run_key_for(struct tp_sealer *s, const unsigned char *trailer)
{
	struct run_key *rk = NULL;

	for (unsigned i = 0; i < RUNS_KEPT && !rk; i++)
		if (s->opened[i].valid && memcmp(s->opened[i].run, trailer, RUN_ID_SIZE) == 0)
			rk = &s->opened[i];
	if (!rk) {
		rk = &s->opened[0];
		for (unsigned i = 1; i < RUNS_KEPT; i++)
			if (!s->opened[i].valid || s->opened[i].used < rk->used)
				rk = &s->opened[i];
		derive_run_key(s, trailer, rk);
	}
	rk->used = ++s->uses;
	return rk;
}

int tp_seal_open(struct tp_sealer *s, const struct tp_frame *f, unsigned char *out,
		 struct tp_frame *plain)
{
	unsigned char hdr[TP_FRAME_HDR_SIZE];
	bool aes = f->flags & TP_FRAME_FLAG_AES256GCM;
	int rc = -EBADMSG;

	if (!(f->flags & TP_FRAME_FLAG_SEALED) || f->len < TP_SEAL_OVERHEAD)
		return rc;
	if (aes && !tp_seal_cipher_available(TP_CIPHER_AES256GCM))
		return -ENOTSUP;
	/* The header as it was sent, from its fields: the frame may have been decoded in
	 * pieces (deframe.h's destination), so its bytes need not lie before the payload. */
	tp_frame_put_header(hdr, f);
	uint32_t len = f->len - TP_SEAL_OVERHEAD;
	const unsigned char *tag = f->payload + len, *trailer = tag + TP_SEAL_TAG_SIZE;
	int bad;

	if (aes) {
		unsigned char nonce[12];

		gcm_nonce(nonce, trailer);
		bad = crypto_aead_aes256gcm_decrypt_detached_afternm(out, NULL, f->payload, len,
								     tag, hdr, sizeof(hdr), nonce,
								     &run_key_for(s, trailer)->state);
	} else {
		bad = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(out, NULL, f->payload,
									  len, tag, hdr,
									  sizeof(hdr), trailer,
									  s->key);
	}
	if (!bad) {
		*plain = *f;
		plain->flags = (uint8_t)(f->flags & ~(TP_FRAME_FLAG_SEALED | TP_FRAME_FLAG_AES256GCM));
		plain->len = len;
		plain->payload = out;
		plain->epoch = tp_get_le64(trailer);
		rc = tp_frame_payload_parses(f->type, out, len) ? 0 : -EPROTO;
	}
	return rc;
}
