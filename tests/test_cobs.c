/* COBS: known encodings, round trips, in-place encoding at the gap, refusals. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cobs.h"

/* The textbook byte-at-a-time encoder, to compare the fast one against. */
static size_t ref_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
	size_t code_at = 0, o = 1;
	unsigned char code = 1;

	for (size_t i = 0; i < len; i++) {
		if (src[i] == 0) {
			dst[code_at] = code;
			code_at = o++;
			code = 1;
			continue;
		}
		dst[o++] = src[i];
		if (++code == 0xFF && i + 1 < len) {
			dst[code_at] = code;
			code_at = o++;
			code = 1;
		}
	}
	dst[code_at] = code;
	return o;
}

static uint32_t rng = 1;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Random bytes; zero_one_in picks how often a 0x00 shows up (0: never). */
static void fill(unsigned char *p, size_t len, unsigned zero_one_in)
{
	for (size_t i = 0; i < len; i++) {
		if (zero_one_in && next_rand() % zero_one_in == 0)
			p[i] = 0;
		else
			p[i] = (unsigned char)(next_rand() % 255 + 1);
	}
}

/* Encodes into a buffer of exactly tp_cobs_max_encoded(len) bytes (so ASan sees any overrun),
 * compares with the reference and decodes back, out of place and in place. */
static void round_trip(const unsigned char *src, size_t len)
{
	size_t max = tp_cobs_max_encoded(len);
	unsigned char *enc = malloc(max), *ref = malloc(max), *dec = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(enc);
	ck_assert_ptr_nonnull(ref);
	ck_assert_ptr_nonnull(dec);
	size_t n = tp_cobs_encode(enc, src, len);
	ck_assert_uint_le(n, max);
	ck_assert_uint_eq(n, ref_encode(ref, src, len));
	ck_assert_mem_eq(enc, ref, n);
	ck_assert_ptr_null(memchr(enc, 0, n));

	ck_assert_int_eq(tp_cobs_decode(dec, enc, n), (ssize_t)len);
	if (len)
		ck_assert_mem_eq(dec, src, len);
	/* The segment decoder (no scan for 0x00) gives the same. */
	memset(dec, 0xAA, len);
	ck_assert_int_eq(tp_cobs_decode_segment(dec, enc, n), (ssize_t)len);
	if (len)
		ck_assert_mem_eq(dec, src, len);
	ck_assert_int_eq(tp_cobs_decode(enc, enc, n), (ssize_t)len);
	if (len)
		ck_assert_mem_eq(enc, src, len);
	free(enc);
	free(ref);
	free(dec);
}

static void expect_encoding(const unsigned char *src, size_t len, const unsigned char *want,
			    size_t want_len)
{
	unsigned char out[1100];

	ck_assert_uint_le(want_len, sizeof(out));
	ck_assert_uint_eq(tp_cobs_encode(out, src, len), want_len);
	ck_assert_mem_eq(out, want, want_len);
	round_trip(src, len);
}

START_TEST(test_known_encodings)
{
	expect_encoding((const unsigned char *)"", 0, (const unsigned char *)"\x01", 1);
	expect_encoding((const unsigned char *)"\x00", 1, (const unsigned char *)"\x01\x01", 2);
	expect_encoding((const unsigned char *)"\x00\x00", 2,
			(const unsigned char *)"\x01\x01\x01", 3);
	expect_encoding((const unsigned char *)"\x11\x22\x00\x33", 4,
			(const unsigned char *)"\x03\x11\x22\x02\x33", 5);
	expect_encoding((const unsigned char *)"\x11\x22\x33\x44", 4,
			(const unsigned char *)"\x05\x11\x22\x33\x44", 5);
	expect_encoding((const unsigned char *)"\x11\x00\x00\x00", 4,
			(const unsigned char *)"\x02\x11\x01\x01\x01", 5);
}
END_TEST

START_TEST(test_all_zeros)
{
	unsigned char src[1000], want[1001];

	memset(src, 0, sizeof(src));
	memset(want, 1, sizeof(want));
	for (size_t len = 0; len <= sizeof(src); len += len < 10 ? 1 : 97)
		expect_encoding(src, len, want, len + 1);
}
END_TEST

/* Runs of non-zero bytes around the 254-byte block limit. */
START_TEST(test_long_runs)
{
	unsigned char src[600], want[600];

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i % 255 + 1);

	/* 253: one block, code 0xFE. */
	want[0] = 0xFE;
	memcpy(want + 1, src, 253);
	expect_encoding(src, 253, want, 254);
	/* 254: one full block and nothing after it. */
	want[0] = 0xFF;
	memcpy(want + 1, src, 254);
	expect_encoding(src, 254, want, 255);
	/* 255: a full block, then a block of one. */
	want[255] = 0x02;
	want[256] = src[254];
	expect_encoding(src, 255, want, 257);
	/* 508: two full blocks. */
	want[255] = 0xFF;
	memcpy(want + 256, src + 254, 254);
	expect_encoding(src, 508, want, 510);
	ck_assert_uint_eq(510, tp_cobs_max_encoded(508) - 1);
	/* 254 then a zero: the zero is an empty block of its own. */
	unsigned char z[255];
	memcpy(z, src, 254);
	z[254] = 0;
	want[0] = 0xFF;
	memcpy(want + 1, src, 254);
	want[255] = 0x01;
	want[256] = 0x01;
	expect_encoding(z, 255, want, 257);

	for (size_t len = 240; len <= 600; len++)
		round_trip(src, len);
}
END_TEST

START_TEST(test_random_round_trips)
{
	static const unsigned zero_rates[] = { 0, 2, 10, 300, 1000 };
	unsigned char *src = malloc(70000);

	ck_assert_ptr_nonnull(src);
	for (size_t r = 0; r < sizeof(zero_rates) / sizeof(zero_rates[0]); r++) {
		for (size_t len = 0; len < 1100; len++) {
			fill(src, len, zero_rates[r]);
			round_trip(src, len);
		}
		fill(src, 70000, zero_rates[r]);
		round_trip(src, 70000);
	}
	free(src);
}
END_TEST

/* Encodes len bytes placed gap bytes after the start of one buffer to its start, and checks
 * the result against an encoding to a separate buffer. */
static void in_place(const unsigned char *src, size_t len, size_t gap)
{
	size_t max = tp_cobs_max_encoded(len);
	size_t size = gap + len > max ? gap + len : max;
	unsigned char *buf = malloc(size), *ref = malloc(max);

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(ref);
	memcpy(buf + gap, src, len);
	size_t want = tp_cobs_encode(ref, src, len);
	ck_assert_uint_eq(tp_cobs_encode(buf, buf + gap, len), want);
	ck_assert_mem_eq(buf, ref, want);
	/* At tp_cobs_gap() the output ends before the input did, with a byte to spare. */
	if (gap >= tp_cobs_gap(len))
		ck_assert_uint_lt(want, gap + len);
	free(buf);
	free(ref);
}

START_TEST(test_in_place_at_gap)
{
	unsigned char *src = malloc(5000);

	ck_assert_ptr_nonnull(src);
	for (unsigned zero_one_in = 0; zero_one_in <= 600; zero_one_in += 300) {
		for (size_t len = 0; len <= 5000; len += len < 1100 ? 1 : 127) {
			fill(src, len, zero_one_in);
			in_place(src, len, tp_cobs_gap(len));
			/* The proof in cobs.c needs only (len - 1) / 254. */
			in_place(src, len, len ? (len - 1) / 254 : 0);
		}
	}
	/* Worst cases for the gap: full 254-byte runs, each with a byte after it; runs of 254
	 * then a 0x00. */
	for (size_t i = 0; i < 5000; i++)
		src[i] = (unsigned char)(i % 251 + 1);
	for (size_t len = 0; len <= 5000; len++) {
		in_place(src, len, tp_cobs_gap(len));
		in_place(src, len, len ? (len - 1) / 254 : 0);
	}
	for (size_t i = 0; i < 5000; i++)
		src[i] = i % 255 == 254 ? 0 : 0x42;
	for (size_t len = 0; len <= 5000; len++) {
		in_place(src, len, tp_cobs_gap(len));
		in_place(src, len, len ? (len - 1) / 254 : 0);
	}
	free(src);
}
END_TEST

START_TEST(test_decode_rejects)
{
	unsigned char out[600];
	unsigned char bad[300];

	/* A 0x00 anywhere: as a code, as data. */
	ck_assert_int_eq(tp_cobs_decode(out, (const unsigned char *)"\x00", 1), -EINVAL);
	ck_assert_int_eq(tp_cobs_decode(out, (const unsigned char *)"\x03\x11\x00", 3), -EINVAL);
	ck_assert_int_eq(tp_cobs_decode(out, (const unsigned char *)"\x02\x11\x00\x01", 4), -EINVAL);
	/* Codes past the end. */
	ck_assert_int_eq(tp_cobs_decode(out, (const unsigned char *)"\x02", 1), -EINVAL);
	ck_assert_int_eq(tp_cobs_decode(out, (const unsigned char *)"\x05\x11\x22", 3), -EINVAL);
	ck_assert_int_eq(tp_cobs_decode(out, (const unsigned char *)"\x02\x11\x03\x22", 4), -EINVAL);
	memset(bad, 0x77, sizeof(bad));
	bad[0] = 0xFF;
	ck_assert_int_eq(tp_cobs_decode(out, bad, 254), -EINVAL);
	ck_assert_int_eq(tp_cobs_decode(out, bad, 255), 254);
	/* Random non-zero input decodes or is refused, never overruns (under ASan/valgrind). */
	for (int k = 0; k < 2000; k++) {
		size_t len = next_rand() % sizeof(bad);
		fill(bad, len, 0);
		for (size_t i = 0; i < len; i++)
			if (next_rand() % 4 == 0)
				bad[i] = (unsigned char)(next_rand() % 8 + 1);  /* short codes too */
		ssize_t n = tp_cobs_decode(out, bad, len);
		ck_assert(n == -EINVAL || (n >= 0 && (size_t)n <= len));
	}
}
END_TEST

START_TEST(test_decode_lenient_forms)
{
	unsigned char out[600], in[300];

	memset(in, 0x42, sizeof(in));
	/* Nothing decodes to nothing; a spare empty block after a full one adds nothing. */
	ck_assert_int_eq(tp_cobs_decode(out, in, 0), 0);
	ck_assert_int_eq(tp_cobs_decode(out, (const unsigned char *)"\x01", 1), 0);
	in[0] = 0xFF;
	in[255] = 0x01;
	ck_assert_int_eq(tp_cobs_decode(out, in, 256), 254);
	ck_assert_int_eq(tp_cobs_decode(in, in, 256), 254);
	for (int i = 0; i < 254; i++)
		ck_assert_uint_eq(in[i], 0x42);
}
END_TEST

/* Decodes enc[0..n) across spans of the given lengths, each its own exact-sized allocation
 * (ASan sees any write past one), and returns the result; the output, joined, is in *joined
 * (as many bytes as the spans hold when the result is -ENOSPC). */
static ssize_t decode_in_spans(const unsigned char *enc, size_t n, const size_t *lens,
			       unsigned n_spans, unsigned char *joined)
{
	struct tp_cobs_span spans[4];
	size_t at = 0;

	ck_assert_uint_le(n_spans, 4);
	for (unsigned i = 0; i < n_spans; i++) {
		spans[i].p = malloc(lens[i] ? lens[i] : 1);
		ck_assert_ptr_nonnull(spans[i].p);
		memset(spans[i].p, 0xAA, lens[i]);
		spans[i].len = lens[i];
	}
	ssize_t r = tp_cobs_decode_spans(spans, n_spans, enc, n);
	for (unsigned i = 0; i < n_spans; i++) {
		memcpy(joined + at, spans[i].p, lens[i]);
		at += lens[i];
		free(spans[i].p);
	}
	return r;
}

/* Decoded across two spans split at every position, and across three with the first at a
 * frame header's 24 bytes and the second ending at every position: the same bytes as the
 * plain decoder. */
START_TEST(test_spans_every_split)
{
	static const unsigned zero_rates[] = { 0, 3, 300 };
	unsigned char src[700], enc[720], out[720];

	for (size_t r = 0; r < sizeof(zero_rates) / sizeof(zero_rates[0]); r++) {
		for (size_t len = 0; len <= sizeof(src); len += len < 300 ? 1 : 41) {
			fill(src, len, zero_rates[r]);
			size_t n = tp_cobs_encode(enc, src, len);

			for (size_t a = 0; a <= len; a++) {
				size_t two[2] = { a, len - a };
				ck_assert_int_eq(decode_in_spans(enc, n, two, 2, out), (ssize_t)len);
				ck_assert_mem_eq(out, src, len);
			}
			for (size_t b = 24; b <= len; b += len < 100 ? 1 : 7) {
				size_t three[3] = { 24, b - 24, len - b };
				ck_assert_int_eq(decode_in_spans(enc, n, three, 3, out), (ssize_t)len);
				ck_assert_mem_eq(out, src, len);
			}
		}
	}
}
END_TEST

/* Too little room: -ENOSPC with the spans full of the output's start, never a byte past
 * them; room to spare: decoded as ever, the rest untouched. Empty spans are passed over. */
START_TEST(test_spans_room)
{
	unsigned char src[1000], enc[1010], out[1100];

	for (size_t len = 1; len <= sizeof(src); len += len < 300 ? 1 : 53) {
		fill(src, len, len % 2 ? 7 : 0);
		size_t n = tp_cobs_encode(enc, src, len);

		for (size_t a = 0; a < len; a += 1 + a / 16) {
			size_t short_by_one[2] = { a, len - a - 1 };
			ck_assert_int_eq(decode_in_spans(enc, n, short_by_one, 2, out), -ENOSPC);
			ck_assert_mem_eq(out, src, len - 1);
			size_t spare[3] = { a, 0, len - a + 50 };
			memset(out, 0, sizeof(out));
			ck_assert_int_eq(decode_in_spans(enc, n, spare, 3, out), (ssize_t)len);
			ck_assert_mem_eq(out, src, len);
			for (size_t i = len; i < len + 50; i++)
				ck_assert_uint_eq(out[i], 0xAA);
		}
		ck_assert_int_eq(tp_cobs_decode_spans(NULL, 0, enc, n), -ENOSPC);
	}
	/* Nothing to decode needs no span. */
	ck_assert_int_eq(tp_cobs_decode_spans(NULL, 0, enc, 0), 0);
	ck_assert_int_eq(tp_cobs_decode_spans(NULL, 0, (const unsigned char *)"\x01", 1), 0);
}
END_TEST

/* Bad codes: refused as by the plain decoder (given room for all of it). */
START_TEST(test_spans_rejects)
{
	unsigned char bad[300], out[600], ref[600];

	for (int k = 0; k < 3000; k++) {
		size_t len = next_rand() % sizeof(bad);
		fill(bad, len, 0);
		for (size_t i = 0; i < len; i++)
			if (next_rand() % 4 == 0)
				bad[i] = (unsigned char)(next_rand() % 8 + 1);
		ssize_t want = tp_cobs_decode_segment(ref, bad, len);
		size_t a = len ? next_rand() % len : 0;
		size_t lens[2] = { a, len - a };
		ssize_t got = decode_in_spans(bad, len, lens, 2, out);
		ck_assert_int_eq(got, want);
		if (want > 0)
			ck_assert_mem_eq(out, ref, (size_t)want);
	}
	ck_assert_int_eq(decode_in_spans((const unsigned char *)"\x05\x11\x22", 3,
					 (const size_t[]){ 1, 9 }, 2, out), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cobs");
	TCase *tc = tcase_create("cobs");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_known_encodings);
	tcase_add_test(tc, test_all_zeros);
	tcase_add_test(tc, test_long_runs);
	tcase_add_test(tc, test_random_round_trips);
	tcase_add_test(tc, test_in_place_at_gap);
	tcase_add_test(tc, test_decode_rejects);
	tcase_add_test(tc, test_decode_lenient_forms);
	tcase_add_test(tc, test_spans_every_split);
	tcase_add_test(tc, test_spans_room);
	tcase_add_test(tc, test_spans_rejects);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
