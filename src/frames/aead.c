/* One AEAD key at work (aead.h), through OpenSSL's EVP interface. */
#include "config.h"
#include "aead.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

struct tp_aead {
	EVP_CIPHER_CTX *ctx;
};

int tp_aead_new(struct tp_aead **out, enum tp_cipher cipher)
{
	const char *name = cipher == TP_CIPHER_AES256GCM ? "AES-256-GCM" : "ChaCha20-Poly1305";
	EVP_CIPHER *evp = EVP_CIPHER_fetch(NULL, name, NULL);
	struct tp_aead *a = calloc(1, sizeof(*a));
	int err = -ENOMEM;

	*out = NULL;
	if (evp && a && (a->ctx = EVP_CIPHER_CTX_new()) &&
	    EVP_CipherInit_ex2(a->ctx, evp, NULL, NULL, 1, NULL) == 1 &&
	    EVP_CIPHER_CTX_get_key_length(a->ctx) == TP_AEAD_KEY_SIZE &&
	    EVP_CIPHER_CTX_get_iv_length(a->ctx) == TP_AEAD_NONCE_SIZE) {
		*out = a;
		a = NULL;
		err = 0;
	}
	EVP_CIPHER_free(evp);   /* the context holds its own reference */
	tp_aead_free(a);
	return err;
}

void tp_aead_free(struct tp_aead *a)
{
	if (!a)
		return;
	EVP_CIPHER_CTX_free(a->ctx);   /* wipes the key schedule */
	free(a);
}

/* OpenSSL's calls cannot fail on a context that tp_aead_new made: only bad arguments make
 * them fail, and these are fixed sizes. Should one fail all the same, the payload may be
 * left unencrypted, and stopping is better than sending it. */
static void must(int ok)
{
	if (ok != 1)
		abort();
}

void tp_aead_set_key(struct tp_aead *a, const unsigned char *key)
{
	must(EVP_CipherInit_ex2(a->ctx, NULL, key, NULL, -1, NULL));
}

/* Starts one message: the nonce, the direction, the associated data. */
static void begin(struct tp_aead *a, int enc, const unsigned char *nonce,
		  const unsigned char *ad, size_t adlen)
{
	int n;

	must(EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, enc, NULL));
	if (adlen)
		must(EVP_CipherUpdate(a->ctx, NULL, &n, ad, (int)adlen));
}

void tp_aead_seal(struct tp_aead *a, const unsigned char *nonce, const unsigned char *ad,
		  size_t adlen, unsigned char *buf, size_t len, unsigned char *tag)
{
	unsigned char none[1];
	int n;

	begin(a, 1, nonce, ad, adlen);
	if (len)
		must(EVP_CipherUpdate(a->ctx, buf, &n, buf, (int)len));
	must(EVP_CipherFinal_ex(a->ctx, none, &n));
	must(EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, TP_AEAD_TAG_SIZE, tag));
}

int tp_aead_open(struct tp_aead *a, const unsigned char *nonce, const unsigned char *ad,
		 size_t adlen, const unsigned char *in, size_t len, const unsigned char *tag,
		 unsigned char *out)
{
	unsigned char none[1];
	int n;

	begin(a, 0, nonce, ad, adlen);
	must(EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, TP_AEAD_TAG_SIZE, (void *)tag));
	if (len)
		must(EVP_CipherUpdate(a->ctx, out, &n, in, (int)len));
	/* One pass: the plaintext is out before the tag is checked, so a frame that fails
	 * leaves nothing of itself there. */
	if (EVP_CipherFinal_ex(a->ctx, none, &n) != 1) {
		memset(out, 0, len);
		return -EBADMSG;
	}
	return 0;
}
