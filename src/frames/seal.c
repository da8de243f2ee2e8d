/* Sealed frames (seal.h): XChaCha20-Poly1305 from libsodium, the header as associated data. */
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
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == TP_SEAL_NONCE_SIZE, "nonce size");

#define SALT_SIZE 16u

struct tp_sealer {
	unsigned char key[TP_SEAL_KEY_SIZE];
	unsigned char salt[SALT_SIZE];  /* the nonce's random part, drawn once */
	uint64_t count;                 /* frames sealed: the nonce's counting part */
};

int tp_seal_library_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int tp_sealer_new(struct tp_sealer **out, const unsigned char *key)
{
	/* Guard pages around it, locked in memory, excluded from core dumps (MADV_DONTDUMP),
	 * zeroed when freed. */
	struct tp_sealer *s = sodium_malloc(sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	memcpy(s->key, key, TP_SEAL_KEY_SIZE);
	randombytes_buf(s->salt, sizeof(s->salt));
	s->count = 0;
	*out = s;
	return 0;
}

void tp_sealer_free(struct tp_sealer *s)
{
	sodium_free(s);
}

size_t tp_seal_frame(struct tp_sealer *s, unsigned char *buf, const struct tp_frame *f)
{
	struct tp_frame wire = *f;
	unsigned char *payload = buf + TP_FRAME_HDR_SIZE;
	unsigned char *tag = payload + f->len, *nonce = tag + TP_SEAL_TAG_SIZE;
	size_t end;

	assert(f->len <= TP_FRAME_MAX_PAYLOAD - TP_SEAL_OVERHEAD);
	wire.flags |= TP_FRAME_FLAG_SEALED;
	wire.len = f->len + TP_SEAL_OVERHEAD;
	tp_frame_put_header(buf, &wire);
	memcpy(nonce, s->salt, SALT_SIZE);
	tp_put_le64(nonce + SALT_SIZE, s->count++);
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(payload, tag, NULL, payload, f->len,
							    buf, TP_FRAME_HDR_SIZE, NULL, nonce,
							    s->key);
	end = TP_FRAME_HDR_SIZE + (size_t)wire.len;
	tp_put_le32(buf + end, tp_crc32c(0, buf, end));
	return end + TP_FRAME_CRC_SIZE;
}

int tp_seal_open(const struct tp_sealer *s, const struct tp_frame *f, unsigned char *out,
		 struct tp_frame *plain)
{
	unsigned char hdr[TP_FRAME_HDR_SIZE];
	int rc = -EBADMSG;

	/* The header as it was sent, from its fields: the frame may have been decoded in
	 * pieces (deframe.h's destination), so its bytes need not lie before the payload. */
	tp_frame_put_header(hdr, f);
	if ((f->flags & TP_FRAME_FLAG_SEALED) && f->len >= TP_SEAL_OVERHEAD) {
		uint32_t len = f->len - TP_SEAL_OVERHEAD;
		const unsigned char *tag = f->payload + len, *nonce = tag + TP_SEAL_TAG_SIZE;

		if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(out, NULL, f->payload, len,
									tag, hdr, sizeof(hdr),
									nonce, s->key) == 0) {
			*plain = *f;
			plain->flags = (uint8_t)(f->flags & ~TP_FRAME_FLAG_SEALED);
			plain->len = len;
			plain->payload = out;
			rc = tp_frame_payload_parses(f->type, out, len) ? 0 : -EPROTO;
		}
	}
	return rc;
}
