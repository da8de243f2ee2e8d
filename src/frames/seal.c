/* Sealed frames (seal.h): a key per run, derived with libsodium, and each frame sealed under
 * it with OpenSSL's ChaCha20-Poly1305 or AES-256-GCM (aead.h), the header as associated
 * data. */
#include "config.h"
#include "seal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "crc.h"
#include "le.h"

_Static_assert(TP_AEAD_KEY_SIZE == TP_SEAL_KEY_SIZE, "key size");
_Static_assert(TP_AEAD_TAG_SIZE == TP_SEAL_TAG_SIZE, "tag size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == TP_SEAL_TRAILER_SIZE,
	       "the trailer is XChaCha20's nonce");
_Static_assert(crypto_core_hchacha20_INPUTBYTES == 16 && crypto_core_hchacha20_OUTPUTBYTES ==
	       TP_AEAD_KEY_SIZE, "HChaCha20 turns the nonce's first 16 bytes into a key");

/* The trailer's run part: epoch (8 bytes) and the random bytes (8); then the count (8). */
#define RUN_ID_SIZE 16u
#define CIPHERS 2u
/* Keys of this many senders' runs are kept by a receiver, per cipher: the current run and
 * one more (a restart), so that frames of two runs in turn cost no key derivation each. */
#define RUNS_KEPT 2u

/* One run's key, at work. */
struct run_key {
	struct tp_aead *aead;
	unsigned char run[RUN_ID_SIZE];
	bool valid;
	uint64_t used;                      /* when last used, by the sealer's clock `uses` */
};

struct tp_sealer {
	/* Guard pages around it, locked in memory, excluded from core dumps (MADV_DONTDUMP),
	 * zeroed when freed (sodium_malloc). Only the key: the rest is no secret, and the
	 * contexts' pointers stay where a leak checker sees them. */
	unsigned char *key;
	unsigned char run[RUN_ID_SIZE];     /* epoch and random bytes, drawn once */
	uint64_t count;                     /* frames sealed: the trailer's counting part */
	uint64_t uses;
	enum tp_cipher cipher;
	struct run_key own;                 /* this sealer's run, under its cipher */
	struct run_key opened[CIPHERS][RUNS_KEPT];   /* the runs opened last, per cipher */
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

/* The key of the run `run` names, under cipher, set into rk. XChaCha20: HChaCha20 of the
 * nonce's first 16 bytes, as XChaCha20-Poly1305 is defined. AES-256-GCM: BLAKE2b keyed with
 * the key, over a label and the run's id. */
static void derive_run_key(const struct tp_sealer *s, enum tp_cipher cipher,
			   const unsigned char *run, struct run_key *rk)
{
	static const char label[] = "tpipe AES-256-GCM run key v1";
	unsigned char msg[sizeof(label) - 1 + RUN_ID_SIZE], sub[TP_AEAD_KEY_SIZE];

	if (cipher == TP_CIPHER_AES256GCM) {
		memcpy(msg, label, sizeof(label) - 1);
		memcpy(msg + sizeof(label) - 1, run, RUN_ID_SIZE);
		crypto_generichash(sub, sizeof(sub), msg, sizeof(msg), s->key, TP_SEAL_KEY_SIZE);
	} else {
		crypto_core_hchacha20(sub, run, s->key, NULL);
	}
	tp_aead_set_key(rk->aead, sub);
	sodium_memzero(sub, sizeof(sub));
	memcpy(rk->run, run, RUN_ID_SIZE);
	rk->valid = true;
}

/* The 96-bit nonce: 4 zero bytes, then the trailer's count. */
static void run_nonce(unsigned char nonce[TP_AEAD_NONCE_SIZE], const unsigned char *trailer)
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
	s = calloc(1, sizeof(*s));
	if (!s || !(s->key = sodium_malloc(TP_SEAL_KEY_SIZE))) {
		tp_sealer_free(s);
		return -ENOMEM;
	}
	err = tp_aead_new(&s->own.aead, cipher);
	for (unsigned c = 0; c < CIPHERS && !err; c++)
		for (unsigned i = 0; i < RUNS_KEPT && !err; i++)
			if (tp_seal_cipher_available((enum tp_cipher)c))
				err = tp_aead_new(&s->opened[c][i].aead, (enum tp_cipher)c);
	if (err) {
		tp_sealer_free(s);
		return err;
	}
	memcpy(s->key, key, TP_SEAL_KEY_SIZE);
	tp_put_le64(s->run, epoch_ns ? epoch_ns : 1);
	randombytes_buf(s->run + 8, RUN_ID_SIZE - 8);
	s->cipher = cipher;
	derive_run_key(s, cipher, s->run, &s->own);
	*out = s;
	return 0;
}

void tp_sealer_free(struct tp_sealer *s)
{
	if (!s)
		return;
	tp_aead_free(s->own.aead);
	for (unsigned c = 0; c < CIPHERS; c++)
		for (unsigned i = 0; i < RUNS_KEPT; i++)
			tp_aead_free(s->opened[c][i].aead);
	sodium_free(s->key);
	free(s);
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
	unsigned char nonce[TP_AEAD_NONCE_SIZE];
	size_t end;

	assert(f->len <= TP_FRAME_MAX_PAYLOAD - TP_SEAL_OVERHEAD);
	wire.flags |= TP_FRAME_FLAG_SEALED;
	if (s->cipher == TP_CIPHER_AES256GCM)
		wire.flags |= TP_FRAME_FLAG_AES256GCM;
	wire.len = f->len + TP_SEAL_OVERHEAD;
	tp_frame_put_header(buf, &wire);
	memcpy(trailer, s->run, RUN_ID_SIZE);
	tp_put_le64(trailer + RUN_ID_SIZE, s->count++);
	run_nonce(nonce, trailer);
	tp_aead_seal(s->own.aead, nonce, buf, TP_FRAME_HDR_SIZE, payload, f->len, tag);
	end = TP_FRAME_HDR_SIZE + (size_t)wire.len;
	tp_put_le32(buf + end, tp_crc32c(0, buf, end));
	return end + TP_FRAME_CRC_SIZE;
}

/* The kept key of the run a trailer names under cipher, derived now if it is not kept
 * (over the one used least lately). */
static struct run_key *run_key_for(struct tp_sealer *s, enum tp_cipher cipher,
				   const unsigned char *trailer)
{
	struct run_key *kept = s->opened[cipher], *rk = NULL;

	for (unsigned i = 0; i < RUNS_KEPT && !rk; i++)
		if (kept[i].valid && memcmp(kept[i].run, trailer, RUN_ID_SIZE) == 0)
			rk = &kept[i];
	if (!rk) {
		rk = &kept[0];
		for (unsigned i = 1; i < RUNS_KEPT; i++)
			if (!kept[i].valid || kept[i].used < rk->used)
				rk = &kept[i];
		derive_run_key(s, cipher, trailer, rk);
	}
	rk->used = ++s->uses;
	return rk;
}

int tp_seal_open(struct tp_sealer *s, const struct tp_frame *f, unsigned char *out,
		 struct tp_frame *plain)
{
	unsigned char hdr[TP_FRAME_HDR_SIZE], nonce[TP_AEAD_NONCE_SIZE];
	enum tp_cipher cipher = f->flags & TP_FRAME_FLAG_AES256GCM ? TP_CIPHER_AES256GCM
								   : TP_CIPHER_XCHACHA20;
	int rc = -EBADMSG;

	if (!(f->flags & TP_FRAME_FLAG_SEALED) || f->len < TP_SEAL_OVERHEAD)
		return rc;
	if (!tp_seal_cipher_available(cipher))
		return -ENOTSUP;
	/* The header as it was sent, from its fields: the frame may have been decoded in
	 * pieces (deframe.h's destination), so its bytes need not lie before the payload. */
	tp_frame_put_header(hdr, f);
	uint32_t len = f->len - TP_SEAL_OVERHEAD;
	const unsigned char *tag = f->payload + len, *trailer = tag + TP_SEAL_TAG_SIZE;

	run_nonce(nonce, trailer);
	if (tp_aead_open(run_key_for(s, cipher, trailer)->aead, nonce, hdr, sizeof(hdr),
			 f->payload, len, tag, out) == 0) {
		*plain = *f;
		plain->flags = (uint8_t)(f->flags & ~(TP_FRAME_FLAG_SEALED | TP_FRAME_FLAG_AES256GCM));
		plain->len = len;
		plain->payload = out;
		plain->epoch = tp_get_le64(trailer);
		rc = tp_frame_payload_parses(f->type, out, len) ? 0 : -EPROTO;
	}
	return rc;
}
