/* Sealed frames (seal.h, aead.h): XChaCha20-Poly1305 and AES-256-GCM against published
 * vectors, frames that libsodium makes and opens alike, frames that round-trip with either
 * cipher, and every change to a sealed frame
 * refused, even with its CRC made right. The loop tests run once per cipher (_i: 0 XChaCha20,
 * 1 AES-256-GCM, which a CPU without AES-NI refuses to seal with: checked, then done). */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include "crc.h"
#include "frame.h"
#include "le.h"
#include "aead.h"
#include "seal.h"

static unsigned char key[TP_SEAL_KEY_SIZE];

static void setup(void)
{
	ck_assert_int_eq(tp_seal_library_init(), 0);
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(7 * i + 1);
}

static void unhex(unsigned char *out, const char *hex, size_t n)
{
	size_t got = 0;

	ck_assert_int_eq(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL), 0);
	ck_assert_uint_eq(got, n);
}

/* draft-irtf-cfrg-xchacha-03, A.3.1, built as seal.c builds XChaCha20-Poly1305: the key
 * HChaCha20 makes of the nonce's first 16 bytes, then OpenSSL's ChaCha20-Poly1305 (aead.h)
 * with 4 zero bytes and the nonce's last 8 as its nonce, detached, in place. */
START_TEST(test_known_vector)
{
	static const char m[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				"only one tip for the future, sunscreen would be it.";
	unsigned char k[32], n[24], ad[12], want[sizeof(m) - 1], tag[16], want_tag[16];
	unsigned char buf[sizeof(m) - 1], sub[32], inner[12] = { 0 };
	struct tp_aead *a;

	for (unsigned i = 0; i < 32; i++)
		k[i] = (unsigned char)(0x80 + i);
	for (unsigned i = 0; i < 24; i++)
		n[i] = (unsigned char)(0x40 + i);
	unhex(ad, "50515253c0c1c2c3c4c5c6c7", sizeof(ad));
	unhex(want, "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
		    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
		    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
		    "21f9664c97637da9768812f615c68b13b52e", sizeof(want));
	unhex(want_tag, "c0875924c1c7987947deafd8780acf49", sizeof(want_tag));
	crypto_core_hchacha20(sub, n, k, NULL);
	memcpy(inner + 4, n + 16, 8);
	ck_assert_int_eq(tp_aead_new(&a, TP_CIPHER_XCHACHA20), 0);
	tp_aead_set_key(a, sub);
	memcpy(buf, m, sizeof(buf));
	tp_aead_seal(a, inner, ad, sizeof(ad), buf, sizeof(buf), tag);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_mem_eq(tag, want_tag, sizeof(tag));
	ck_assert_int_eq(tp_aead_open(a, inner, ad, sizeof(ad), buf, sizeof(buf), tag, buf), 0);
	ck_assert_mem_eq(buf, m, sizeof(buf));
	/* A wrong tag: refused, and nothing of the plaintext is left in out. */
	memcpy(buf, want, sizeof(buf));
	tag[3] ^= 1;
	ck_assert_int_eq(tp_aead_open(a, inner, ad, sizeof(ad), buf, sizeof(buf), tag, buf),
			 -EBADMSG);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0);
	tp_aead_free(a);
}
END_TEST

/* GCM specification (McGrew and Viega), test case 16: AES-256, 96-bit IV, associated data,
 * a partial last block; through aead.h, out of place and in place. */
START_TEST(test_gcm_known_vector)
{
	unsigned char k[32], n[12], ad[20], m[60], want[60], tag[16], want_tag[16], out[60];
	struct tp_aead *a;

	unhex(k, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", sizeof(k));
	unhex(n, "cafebabefacedbaddecaf888", sizeof(n));
	unhex(ad, "feedfacedeadbeeffeedfacedeadbeefabaddad2", sizeof(ad));
	unhex(m, "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		 "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39", sizeof(m));
	unhex(want, "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662", sizeof(want));
	unhex(want_tag, "76fc6ece0f4e1768cddf8853bb2d551b", sizeof(want_tag));
	ck_assert_int_eq(tp_aead_new(&a, TP_CIPHER_AES256GCM), 0);
	tp_aead_set_key(a, k);
	memcpy(out, m, sizeof(m));
	tp_aead_seal(a, n, ad, sizeof(ad), out, sizeof(out), tag);
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_mem_eq(tag, want_tag, sizeof(tag));
	ck_assert_int_eq(tp_aead_open(a, n, ad, sizeof(ad), want, sizeof(want), tag, out), 0);
	ck_assert_mem_eq(out, m, sizeof(m));
	ad[0] ^= 0x80;   /* other associated data: refused */
	ck_assert_int_eq(tp_aead_open(a, n, ad, sizeof(ad), want, sizeof(want), tag, out), -EBADMSG);
	tp_aead_free(a);
}
END_TEST

static const enum tp_cipher ciphers[] = { TP_CIPHER_XCHACHA20, TP_CIPHER_AES256GCM };

/* A sealer for loop test i's cipher, started at epoch; false when this CPU lacks it (and
 * then asking for one says so). */
static bool sealer_for(int i, struct tp_sealer **s, uint64_t epoch)
{
	int rc = tp_sealer_new(s, key, ciphers[i], epoch);

	if (!tp_seal_cipher_available(ciphers[i])) {
		ck_assert_int_eq(rc, -ENOTSUP);
		ck_assert_ptr_null(*s);
		return false;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(tp_sealer_cipher(*s), ciphers[i]);
	return true;
}

static unsigned sealed_flags(int i)
{
	return TP_FRAME_FLAG_SEALED | (ciphers[i] == TP_CIPHER_AES256GCM ? TP_FRAME_FLAG_AES256GCM : 0);
}

/* A DATA frame of len bytes sealed into buf; returns its size. */
static size_t sealed_data(struct tp_sealer *s, unsigned char *buf, size_t len, uint32_t seq)
{
	struct tp_frame f = { .type = TP_FRAME_DATA, .session = 0xabcdef01u, .offset = 1000u * seq,
			      .seq = seq, .len = (uint32_t)len };

	for (size_t i = 0; i < len; i++)
		buf[TP_FRAME_HDR_SIZE + i] = (unsigned char)(i * 13 + seq);
	return tp_seal_frame(s, buf, &f);
}

START_TEST(test_round_trip)
{
	static unsigned char buf[70000], out[70000];
	static const size_t lens[] = { 0, 1, 100, 1404, 65536 };
	struct tp_sealer *s, *other;

	if (!sealer_for(_i, &s, 1234567))
		return;
	ck_assert_int_eq(tp_sealer_new(&other, key, TP_CIPHER_XCHACHA20, 1), 0);
	for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t n = sealed_data(s, buf, lens[k], k);
		struct tp_frame f, g;

		ck_assert_uint_eq(n, tp_frame_size(lens[k]) + TP_SEAL_OVERHEAD);
		ck_assert_int_eq(tp_frame_open(buf, n, &f), TP_FRAME_OK);
		ck_assert_uint_eq(f.flags, sealed_flags(_i));
		ck_assert_uint_eq(f.epoch, 0);
		ck_assert_uint_eq(f.len, lens[k] + TP_SEAL_OVERHEAD);
		if (lens[k] >= 16) { /* encrypted: not the plaintext */
			unsigned same = 0;
			for (size_t i = 0; i < 16; i++)
				same += f.payload[i] == (unsigned char)(i * 13 + k);
			ck_assert_uint_lt(same, 16);
		}
		/* Out of place, then in place: the same. */
		ck_assert_int_eq(tp_seal_open(s, &f, out, &g), 0);
		ck_assert_uint_eq(g.len, lens[k]);
		ck_assert_uint_eq(g.flags, 0);
		ck_assert_uint_eq(g.seq, k);
		ck_assert_uint_eq(g.offset, 1000u * k);
		ck_assert_uint_eq(g.session, 0xabcdef01u);
		ck_assert_uint_eq(g.epoch, 1234567);
		ck_assert_ptr_eq(g.payload, out);
		for (size_t i = 0; i < lens[k]; i++)
			ck_assert_uint_eq(out[i], (unsigned char)(i * 13 + k));
		/* Any sealer under the key opens either cipher. */
		memset(out, 0, lens[k]);
		ck_assert_int_eq(tp_seal_open(other, &f, out, &g), 0);
		for (size_t i = 0; i < lens[k]; i++)
			ck_assert_uint_eq(out[i], (unsigned char)(i * 13 + k));
		ck_assert_int_eq(tp_seal_open(s, &f, (unsigned char *)f.payload, &g), 0);
		ck_assert_mem_eq(g.payload, out, lens[k]);
	}
	tp_sealer_free(s);
	tp_sealer_free(other);
}
END_TEST

/* The frames are libsodium's XChaCha20-Poly1305, byte for byte: what the sealer makes,
 * libsodium's one-shot call opens (header as associated data, trailer as nonce), and what
 * libsodium seals so, the sealer opens: for a run it has seen, and for one it has not. */
START_TEST(test_libsodium_agrees)
{
	static unsigned char buf[70000], out[70000];
	static const size_t lens[] = { 0, 1, 100, 1404, 65536 };
	struct tp_sealer *s;

	ck_assert_int_eq(tp_sealer_new(&s, key, TP_CIPHER_XCHACHA20, 777), 0);
	for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t n = sealed_data(s, buf, lens[k], k), len = lens[k];
		struct tp_frame f, g;

		ck_assert_int_eq(tp_frame_open(buf, n, &f), TP_FRAME_OK);
		unsigned char *payload = buf + TP_FRAME_HDR_SIZE, *tag = payload + len;
		unsigned char *trailer = tag + TP_SEAL_TAG_SIZE;
		ck_assert_int_eq(crypto_aead_xchacha20poly1305_ietf_decrypt_detached(out, NULL,
					payload, len, tag, buf, TP_FRAME_HDR_SIZE, trailer, key), 0);
		for (size_t i = 0; i < len; i++)
			ck_assert_uint_eq(out[i], (unsigned char)(i * 13 + k));
		/* libsodium seals the plaintext again under another count (k odd: another
		 * run too, epoch 778), the CRC made right: the sealer opens it. */
		tp_put_le64(trailer + 16, 1000 + k);
		if (k & 1)
			tp_put_le64(trailer, 778);
		crypto_aead_xchacha20poly1305_ietf_encrypt_detached(payload, tag, NULL, out, len,
					buf, TP_FRAME_HDR_SIZE, NULL, trailer, key);
		tp_put_le32(buf + n - TP_FRAME_CRC_SIZE, tp_crc32c(0, buf, n - TP_FRAME_CRC_SIZE));
		ck_assert_int_eq(tp_frame_open(buf, n, &f), TP_FRAME_OK);
		memset(out, 0xee, len);
		ck_assert_int_eq(tp_seal_open(s, &f, out, &g), 0);
		ck_assert_uint_eq(g.epoch, k & 1 ? 778 : 777);
		for (size_t i = 0; i < len; i++)
			ck_assert_uint_eq(out[i], (unsigned char)(i * 13 + k));
	}
	tp_sealer_free(s);
}
END_TEST

/* AES-256-GCM: each run has a key of its own; a receiver keeps two, and frames of three runs
 * in turn still all open (a key derived again for the one let go). */
START_TEST(test_gcm_runs)
{
	unsigned char buf[3][400], out[400];
	struct tp_sealer *run[3], *rx;
	struct tp_frame f[3], g;

	if (!tp_seal_cipher_available(TP_CIPHER_AES256GCM))
		return;
	ck_assert_int_eq(tp_sealer_new(&rx, key, TP_CIPHER_XCHACHA20, 1), 0);
	for (int r = 0; r < 3; r++) {
		ck_assert_int_eq(tp_sealer_new(&run[r], key, TP_CIPHER_AES256GCM, 100 + r), 0);
		size_t n = sealed_data(run[r], buf[r], 200, 0);
		/* The same count and header in each run: another key makes other bytes. */
		ck_assert_int_eq(tp_frame_open(buf[r], n, &f[r]), TP_FRAME_OK);
		if (r)
			ck_assert(memcmp(f[r].payload, f[r - 1].payload, 200) != 0);
	}
	for (int round = 0; round < 4; round++)
		for (int r = 0; r < 3; r++) {
			ck_assert_int_eq(tp_seal_open(rx, &f[r], out, &g), 0);
			ck_assert_uint_eq(g.epoch, 100u + (unsigned)r);
			ck_assert_uint_eq(out[5], (unsigned char)(5 * 13));
		}
	for (int r = 0; r < 3; r++)
		tp_sealer_free(run[r]);
	tp_sealer_free(rx);
}
END_TEST

/* Every bit of a sealed frame flipped, its CRC made right again (a forger who knows the
 * format): it never opens. */
START_TEST(test_every_bit_refused)
{
	unsigned char buf[400], copy[400], out[400];
	struct tp_sealer *s;

	if (!sealer_for(_i, &s, 99))
		return;
	size_t n = sealed_data(s, buf, 200, 3);

	for (size_t bit = 0; bit < 8 * (n - TP_FRAME_CRC_SIZE); bit++) {
		struct tp_frame f, g;

		memcpy(copy, buf, n);
		copy[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		tp_put_le32(copy + n - 4, tp_crc32c(0, copy, n - 4));
		if (tp_frame_open(copy, n, &f) != TP_FRAME_OK)
			continue; /* magic, version, type, length: refused before any cryptography */
		ck_assert_int_eq(tp_seal_open(s, &f, out, &g), -EBADMSG);
	}
	tp_sealer_free(s);
}
END_TEST

START_TEST(test_wrong_key_and_unsealed)
{
	unsigned char buf[400], out[400], other_key[TP_SEAL_KEY_SIZE];
	struct tp_sealer *s, *t;
	struct tp_frame f, g;

	memcpy(other_key, key, sizeof(key));
	other_key[31] ^= 1;
	if (!sealer_for(_i, &s, 5))
		return;
	ck_assert_int_eq(tp_sealer_new(&t, other_key, ciphers[_i], 5), 0);
	size_t n = sealed_data(s, buf, 100, 1);
	ck_assert_int_eq(tp_frame_open(buf, n, &f), TP_FRAME_OK);
	ck_assert_int_eq(tp_seal_open(t, &f, out, &g), -EBADMSG);
	/* An unsealed frame, however good its CRC. */
	struct tp_frame plain = { .type = TP_FRAME_DATA, .session = 1, .len = 100 };
	n = tp_frame_seal(buf, &plain);
	ck_assert_int_eq(tp_frame_open(buf, n, &f), TP_FRAME_OK);
	ck_assert_int_eq(tp_seal_open(s, &f, out, &g), -EBADMSG);
	/* Sealed, but shorter than the seal itself. */
	struct tp_frame tiny = { .type = TP_FRAME_DATA, .flags = (uint8_t)sealed_flags(_i), .len = 39 };
	n = tp_frame_seal(buf, &tiny);
	ck_assert_int_eq(tp_frame_open(buf, n, &f), TP_FRAME_OK);
	ck_assert_int_eq(tp_seal_open(s, &f, out, &g), -EBADMSG);
	tp_sealer_free(s);
	tp_sealer_free(t);
}
END_TEST

/* The same frame sealed twice, by one sealer and by two started in the same nanosecond:
 * never the same trailer (epoch, random bytes, count). */
START_TEST(test_nonces_differ)
{
	unsigned char a[300], b[300], c[300];
	struct tp_sealer *s, *t;

	if (!sealer_for(_i, &s, 0))
		return;
	ck_assert_int_eq(tp_sealer_new(&t, key, ciphers[_i], 0), 0);
	size_t n = sealed_data(s, a, 200, 9);
	ck_assert_uint_eq(sealed_data(s, b, 200, 9), n);
	ck_assert_uint_eq(sealed_data(t, c, 200, 9), n);
	const size_t tr = n - TP_FRAME_CRC_SIZE - TP_SEAL_TRAILER_SIZE;
	/* The epoch first (0 is taken as 1); one sealer: the same random part, the count one
	 * more. */
	ck_assert_uint_eq(tp_get_le64(a + tr), 1);
	ck_assert_mem_eq(a + tr, b + tr, 16);
	ck_assert_uint_eq(tp_get_le64(b + tr + 16), tp_get_le64(a + tr + 16) + 1);
	ck_assert(memcmp(a + TP_FRAME_HDR_SIZE, b + TP_FRAME_HDR_SIZE, 200) != 0);
	/* Two sealers (two runs): the same epoch, other random bytes. */
	ck_assert_mem_eq(a + tr, c + tr, 8);
	ck_assert(memcmp(a + tr + 8, c + tr + 8, 8) != 0);
	ck_assert(memcmp(a + TP_FRAME_HDR_SIZE, c + TP_FRAME_HDR_SIZE, 200) != 0);
	tp_sealer_free(s);
	tp_sealer_free(t);
}
END_TEST

/* META and END are sealed too; a sealed META that authenticates but does not parse is
 * -EPROTO (a sender bug), and tp_frame_open does not parse sealed payloads. */
START_TEST(test_control_frames)
{
	unsigned char buf[600], out[600];
	struct tp_frame_meta m = { .total = 77, .frame_size = 1404, .name = "x.bin" };
	struct tp_sealer *s;
	struct tp_frame f, g, meta;

	if (!sealer_for(_i, &s, 3))
		return;
	size_t len = tp_frame_meta_encode(buf + TP_FRAME_HDR_SIZE, 400, &m);
	meta = (struct tp_frame){ .type = TP_FRAME_META, .session = 5, .len = (uint32_t)len };
	size_t n = tp_seal_frame(s, buf, &meta);
	ck_assert_int_eq(tp_frame_open(buf, n, &f), TP_FRAME_OK);
	ck_assert_int_eq(tp_seal_open(s, &f, out, &g), 0);
	struct tp_frame_meta back;
	ck_assert_int_eq(tp_frame_meta_decode(g.payload, g.len, &back), 0);
	ck_assert_str_eq(back.name, "x.bin");
	ck_assert_uint_eq(back.total, 77);
	memset(buf + TP_FRAME_HDR_SIZE, 0xff, 10); /* name_len past the end */
	meta.len = 10;
	n = tp_seal_frame(s, buf, &meta);
	ck_assert_int_eq(tp_frame_open(buf, n, &f), TP_FRAME_OK);
	ck_assert_int_eq(tp_seal_open(s, &f, out, &g), -EPROTO);
	tp_sealer_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seal");
	TCase *tc = tcase_create("seal");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_known_vector);
	tcase_add_test(tc, test_gcm_known_vector);
	tcase_add_loop_test(tc, test_round_trip, 0, 2);
	tcase_add_test(tc, test_libsodium_agrees);
	tcase_add_test(tc, test_gcm_runs);
	tcase_add_loop_test(tc, test_every_bit_refused, 0, 2);
	tcase_add_loop_test(tc, test_wrong_key_and_unsealed, 0, 2);
	tcase_add_loop_test(tc, test_nonces_differ, 0, 2);
	tcase_add_loop_test(tc, test_control_frames, 0, 2);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
