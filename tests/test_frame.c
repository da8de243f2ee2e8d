/* Frames: the wire layout, seal/open round trips, every refusal, META and END payloads. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "crc.h"
#include "frame.h"
#include "le.h"

/* A sealed DATA frame with a payload of len bytes (i * 7 + 1), in a buffer with sentinels on
 * both sides. */
struct framebuf {
	unsigned char *mem;
	unsigned char *buf;
	size_t size;
};

#define SENTINEL 16

static struct framebuf make_frame(enum tp_frame_type type, const unsigned char *payload,
				  uint32_t len)
{
	struct framebuf fb;
	struct tp_frame f = {
		.type = type, .flags = 0, .session = 0xA1B2C3D4u,
		.offset = UINT64_C(0x0102030405060708), .seq = 0x11223344u, .len = len,
	};

	fb.mem = malloc(tp_frame_size(len) + 2 * SENTINEL);
	ck_assert_ptr_nonnull(fb.mem);
	memset(fb.mem, 0xEE, tp_frame_size(len) + 2 * SENTINEL);
	fb.buf = fb.mem + SENTINEL;
	if (payload)
		memcpy(fb.buf + TP_FRAME_HDR_SIZE, payload, len);
	else
		for (uint32_t i = 0; i < len; i++)
			fb.buf[TP_FRAME_HDR_SIZE + i] = (unsigned char)(i * 7 + 1);
	fb.size = tp_frame_seal(fb.buf, &f);
	return fb;
}

static void reseal_crc(unsigned char *buf, size_t size)
{
	uint32_t c = tp_crc32c(0, buf, size - TP_FRAME_CRC_SIZE);

	for (int i = 0; i < 4; i++)
		buf[size - 4 + i] = (unsigned char)(c >> (8 * i));
}

START_TEST(test_wire_layout)
{
	struct framebuf fb = make_frame(TP_FRAME_DATA, (const unsigned char *)"hello", 5);
	static const unsigned char want_hdr[TP_FRAME_HDR_SIZE] = {
		'T', 'P', 0x11, 0x00,
		0xD4, 0xC3, 0xB2, 0xA1,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		0x44, 0x33, 0x22, 0x11,
		0x05, 0x00, 0x00, 0x00,
	};

	ck_assert_uint_eq(fb.size, TP_FRAME_OVERHEAD + 5);
	ck_assert_uint_eq(fb.size, tp_frame_size(5));
	ck_assert_mem_eq(fb.buf, want_hdr, sizeof(want_hdr));
	ck_assert_mem_eq(fb.buf + TP_FRAME_HDR_SIZE, "hello", 5);
	uint32_t c = tp_crc32c(0, fb.buf, TP_FRAME_HDR_SIZE + 5);
	unsigned char want_crc[4] = { (unsigned char)c, (unsigned char)(c >> 8),
				      (unsigned char)(c >> 16), (unsigned char)(c >> 24) };
	ck_assert_mem_eq(fb.buf + TP_FRAME_HDR_SIZE + 5, want_crc, 4);
	/* Nothing written outside the frame. */
	for (int i = 0; i < SENTINEL; i++) {
		ck_assert_uint_eq(fb.mem[i], 0xEE);
		ck_assert_uint_eq(fb.buf[fb.size + i], 0xEE);
	}
	free(fb.mem);
}
END_TEST

START_TEST(test_round_trip)
{
	static const uint32_t lens[] = { 0, 1, 3, 4, 1000, 65536, TP_FRAME_MAX_PAYLOAD };

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		struct framebuf fb = make_frame(TP_FRAME_DATA, NULL, lens[k]);
		struct tp_frame f;

		ck_assert_int_eq(tp_frame_open(fb.buf, fb.size, &f), TP_FRAME_OK);
		ck_assert_int_eq(f.type, TP_FRAME_DATA);
		ck_assert_uint_eq(f.flags, 0);
		ck_assert_uint_eq(f.session, 0xA1B2C3D4u);
		ck_assert_uint_eq(f.offset, UINT64_C(0x0102030405060708));
		ck_assert_uint_eq(f.seq, 0x11223344u);
		ck_assert_uint_eq(f.len, lens[k]);
		ck_assert_ptr_eq(f.payload, fb.buf + TP_FRAME_HDR_SIZE);
		uint32_t bad = 0;
		for (uint32_t i = 0; i < lens[k]; i++)
			bad += f.payload[i] != (unsigned char)(i * 7 + 1);
		ck_assert_uint_eq(bad, 0);
		free(fb.mem);
	}
}
END_TEST

/* A payload one byte past the limit is refused even when the frame is whole and sealed. */
START_TEST(test_too_big)
{
	struct framebuf fb = make_frame(TP_FRAME_DATA, NULL, TP_FRAME_MAX_PAYLOAD + 1);
	struct tp_frame f;

	ck_assert_int_eq(tp_frame_open(fb.buf, fb.size, &f), TP_FRAME_ERR_LENGTH);
	free(fb.mem);
}
END_TEST

START_TEST(test_unknown_flags_kept)
{
	unsigned char buf[TP_FRAME_OVERHEAD + 2] = { 0 };
	struct tp_frame f = { .type = TP_FRAME_DATA, .flags = 0xA5, .len = 2 };
	struct tp_frame g;

	ck_assert_uint_eq(tp_frame_seal(buf, &f), sizeof(buf));
	ck_assert_int_eq(tp_frame_open(buf, sizeof(buf), &g), TP_FRAME_OK);
	ck_assert_uint_eq(g.flags, 0xA5);
}
END_TEST

START_TEST(test_refusals)
{
	struct framebuf fb = make_frame(TP_FRAME_DATA, NULL, 100);
	unsigned char *b = malloc(fb.size);
	struct tp_frame f;

	ck_assert_ptr_nonnull(b);
#define RESET() memcpy(b, fb.buf, fb.size)

	RESET();
	ck_assert_int_eq(tp_frame_open(b, 0, &f), TP_FRAME_ERR_SHORT);
	ck_assert_int_eq(tp_frame_open(b, TP_FRAME_OVERHEAD - 1, &f), TP_FRAME_ERR_SHORT);
	/* Magic: one bit in either byte. */
	b[0] ^= 0x01;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_MAGIC);
	RESET();
	b[1] ^= 0x80;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_MAGIC);
	/* Version 0 and 2; the type nibble left alone. */
	RESET();
	b[2] ^= 0x10;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_VERSION);
	RESET();
	b[2] ^= 0x30;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_VERSION);
	/* Length: the field off by one either way, the frame's size off by one, the field past
	 * the largest payload even when the size agrees with it. */
	RESET();
	b[20] ^= 0x01;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_LENGTH);
	RESET();
	ck_assert_int_eq(tp_frame_open(b, fb.size - 1, &f), TP_FRAME_ERR_LENGTH);
	b[23] = 0x80;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_LENGTH);
	RESET();
	b[20] = b[21] = b[22] = b[23] = 0xFF;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_LENGTH);
	/* CRC: a bit of payload, of the header, of the CRC itself. */
	RESET();
	b[TP_FRAME_HDR_SIZE + 50] ^= 0x04;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_CRC);
	RESET();
	b[3] ^= 0x40;   /* flags are covered too */
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_CRC);
	RESET();
	b[9] ^= 0x01;   /* offset */
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_CRC);
	RESET();
	b[fb.size - 1] ^= 0x80;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_CRC);
	/* Type: 0, 4 and 15 with a CRC that holds. */
	static const unsigned char bad_types[] = { 0, 4, 15 };
	for (size_t i = 0; i < sizeof(bad_types); i++) {
		RESET();
		b[2] = (unsigned char)(TP_FRAME_VERSION << 4 | bad_types[i]);
		reseal_crc(b, fb.size);
		ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_TYPE);
	}
	/* A refusal leaves *f alone. */
	memset(&f, 0x5A, sizeof(f));
	struct tp_frame untouched = f;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_TYPE);
	ck_assert_mem_eq(&f, &untouched, sizeof(f));

	/* The first reason in the documented order wins. */
	RESET();
	b[0] ^= 0x01;
	b[2] ^= 0x10;
	b[20] ^= 0x01;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_MAGIC);
	ck_assert_int_eq(tp_frame_open(b, 5, &f), TP_FRAME_ERR_SHORT);
	b[0] ^= 0x01;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_VERSION);
	b[2] ^= 0x10;
	b[TP_FRAME_HDR_SIZE] ^= 0x01;
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_LENGTH);
	b[20] ^= 0x01;
	b[2] = (unsigned char)(TP_FRAME_VERSION << 4 | 9);
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_ERR_CRC);
	RESET();
	ck_assert_int_eq(tp_frame_open(b, fb.size, &f), TP_FRAME_OK);
#undef RESET
	free(b);
	free(fb.mem);
}
END_TEST

/* Opens buf[0..size) both ways: whole, and in three separate allocations the way the
 * deframer decodes it (header, payload as the length field says when it fits, CRC); the
 * verdicts and fields must agree. */
static void expect_parts_agree(const unsigned char *buf, size_t size)
{
	struct tp_frame whole, parts;
	enum tp_frame_error want = tp_frame_open(buf, size, &whole);
	size_t plen = size >= TP_FRAME_HDR_SIZE ? tp_get_le32(buf + 20) : 0;

	if (size < TP_FRAME_OVERHEAD || plen > size - TP_FRAME_OVERHEAD)
		plen = size >= TP_FRAME_OVERHEAD ? size - TP_FRAME_OVERHEAD : 0;
	unsigned char *hdr = calloc(1, TP_FRAME_HDR_SIZE), *pay = malloc(plen ? plen : 1);
	unsigned char *crc = calloc(1, TP_FRAME_CRC_SIZE);
	ck_assert(hdr && pay && crc);
	memcpy(hdr, buf, size < TP_FRAME_HDR_SIZE ? size : TP_FRAME_HDR_SIZE);
	if (size >= TP_FRAME_OVERHEAD) {
		memcpy(pay, buf + TP_FRAME_HDR_SIZE, plen);
		memcpy(crc, buf + TP_FRAME_HDR_SIZE + plen, TP_FRAME_CRC_SIZE);
	}
	ck_assert_int_eq(tp_frame_open_parts(hdr, pay, crc, size, &parts), want);
	if (want == TP_FRAME_OK) {
		ck_assert_ptr_eq(parts.payload, pay);
		ck_assert_int_eq(parts.type, whole.type);
		ck_assert_uint_eq(parts.flags, whole.flags);
		ck_assert_uint_eq(parts.session, whole.session);
		ck_assert_uint_eq(parts.offset, whole.offset);
		ck_assert_uint_eq(parts.seq, whole.seq);
		ck_assert_uint_eq(parts.len, whole.len);
		ck_assert_uint_eq(parts.crc, whole.crc);
	}
	free(hdr);
	free(pay);
	free(crc);
}

/* In parts as whole: good frames of each type, every byte flipped, every length cut. */
START_TEST(test_open_parts)
{
	struct tp_frame_meta m = { .total = 12345, .frame_size = 1000, .repeat = 2, .name = "x" };
	struct tp_frame_end e = { .total = 12345, .digest = 0xDEADBEEF, .frames = 13 };
	unsigned char p[64];
	struct framebuf fbs[4] = {
		make_frame(TP_FRAME_DATA, NULL, 300),
		make_frame(TP_FRAME_DATA, NULL, 0),
		make_frame(TP_FRAME_META, p, (uint32_t)tp_frame_meta_encode(p, sizeof(p), &m)),
		make_frame(TP_FRAME_END, p + 32, (uint32_t)tp_frame_end_encode(p + 32, 32, &e)),
	};

	for (int k = 0; k < 4; k++) {
		unsigned char *b = malloc(fbs[k].size);
		ck_assert_ptr_nonnull(b);
		expect_parts_agree(fbs[k].buf, fbs[k].size);
		for (size_t i = 0; i < fbs[k].size; i++) {
			for (unsigned bit = 1; bit < 256; bit <<= 3) {
				memcpy(b, fbs[k].buf, fbs[k].size);
				b[i] ^= (unsigned char)bit;
				expect_parts_agree(b, fbs[k].size);
				/* and sealed again, so the checks after the CRC's are reached */
				if (i < fbs[k].size - TP_FRAME_CRC_SIZE) {
					reseal_crc(b, fbs[k].size);
					expect_parts_agree(b, fbs[k].size);
				}
			}
		}
		for (size_t cut = 0; cut < fbs[k].size; cut++)
			expect_parts_agree(fbs[k].buf, cut);
		free(b);
		free(fbs[k].mem);
	}
}
END_TEST

START_TEST(test_error_names)
{
	static const char *const want[TP_FRAME_NERRORS] = {
		[TP_FRAME_ERR_SHORT] = "short", [TP_FRAME_ERR_MAGIC] = "magic",
		[TP_FRAME_ERR_VERSION] = "version", [TP_FRAME_ERR_LENGTH] = "length",
		[TP_FRAME_ERR_CRC] = "crc", [TP_FRAME_ERR_TYPE] = "type",
		[TP_FRAME_ERR_COBS] = "cobs",
	};

	for (int e = TP_FRAME_ERR_SHORT; e < TP_FRAME_NERRORS; e++)
		ck_assert_str_eq(tp_frame_error_name((enum tp_frame_error)e), want[e]);
	ck_assert_ptr_nonnull(tp_frame_error_name(TP_FRAME_OK));
	ck_assert_ptr_nonnull(tp_frame_error_name(TP_FRAME_NERRORS));
	ck_assert_ptr_nonnull(tp_frame_error_name((enum tp_frame_error)-1));
}
END_TEST

START_TEST(test_meta_round_trip)
{
	struct tp_frame_meta m = { .total = UINT64_C(123456789012), .frame_size = 65536,
				   .repeat = 3 };
	struct tp_frame_meta got;
	unsigned char p[16 + TP_FRAME_NAME_MAX + 8];

	strcpy(m.name, "backup.tar");
	size_t n = tp_frame_meta_encode(p, sizeof(p), &m);
	ck_assert_uint_eq(n, 16 + 10);
	ck_assert_uint_eq(p[14], 10);   /* name_len, little-endian at 14 */
	ck_assert_uint_eq(p[15], 0);
	ck_assert_mem_eq(p + 16, "backup.tar", 10);
	memset(&got, 0x5A, sizeof(got));
	ck_assert_int_eq(tp_frame_meta_decode(p, n, &got), 0);
	ck_assert_uint_eq(got.total, m.total);
	ck_assert_uint_eq(got.frame_size, 65536);
	ck_assert_uint_eq(got.repeat, 3);
	ck_assert_str_eq(got.name, "backup.tar");
	/* Not enough room: 0, and room for exactly it. */
	ck_assert_uint_eq(tp_frame_meta_encode(p, n - 1, &m), 0);
	ck_assert_uint_eq(tp_frame_meta_encode(p, n, &m), n);
	/* Unknown total and no name. */
	m.total = TP_FRAME_TOTAL_UNKNOWN;
	m.name[0] = '\0';
	n = tp_frame_meta_encode(p, sizeof(p), &m);
	ck_assert_uint_eq(n, 16);
	ck_assert_int_eq(tp_frame_meta_decode(p, n, &got), 0);
	ck_assert_uint_eq(got.total, TP_FRAME_TOTAL_UNKNOWN);
	ck_assert_str_eq(got.name, "");
	/* A name filling the whole array, no NUL: cut to TP_FRAME_NAME_MAX. */
	memset(m.name, 'n', sizeof(m.name));
	n = tp_frame_meta_encode(p, sizeof(p), &m);
	ck_assert_uint_eq(n, 16 + TP_FRAME_NAME_MAX);
	ck_assert_int_eq(tp_frame_meta_decode(p, n, &got), 0);
	ck_assert_uint_eq(strlen(got.name), TP_FRAME_NAME_MAX);

	/* Carried in a frame, opened, decoded. */
	strcpy(m.name, "x");
	unsigned char payload[64];
	n = tp_frame_meta_encode(payload, sizeof(payload), &m);
	struct framebuf fb = make_frame(TP_FRAME_META, payload, (uint32_t)n);
	struct tp_frame f;
	ck_assert_int_eq(tp_frame_open(fb.buf, fb.size, &f), TP_FRAME_OK);
	ck_assert_int_eq(f.type, TP_FRAME_META);
	ck_assert_int_eq(tp_frame_meta_decode(f.payload, f.len, &got), 0);
	ck_assert_str_eq(got.name, "x");
	free(fb.mem);
}
END_TEST

START_TEST(test_meta_bad)
{
	struct tp_frame_meta m = { .total = 1, .frame_size = 2, .repeat = 0 };
	struct tp_frame_meta got;
	unsigned char p[400];
	struct tp_frame f;

	strcpy(m.name, "name");
	size_t n = tp_frame_meta_encode(p, sizeof(p), &m);
	/* name_len one past the end: refused alone, and as a frame's payload (a bad type). */
	p[14] = 5;
	ck_assert_int_eq(tp_frame_meta_decode(p, n, &got), -EINVAL);
	struct framebuf fb = make_frame(TP_FRAME_META, p, (uint32_t)n);
	ck_assert_int_eq(tp_frame_open(fb.buf, fb.size, &f), TP_FRAME_ERR_TYPE);
	free(fb.mem);
	p[14] = 4;
	ck_assert_int_eq(tp_frame_meta_decode(p, n, &got), 0);
	/* Shorter than the fixed fields. */
	for (size_t len = 0; len < 16; len++)
		ck_assert_int_eq(tp_frame_meta_decode(p, len, &got), -EINVAL);
	fb = make_frame(TP_FRAME_META, p, 15);
	ck_assert_int_eq(tp_frame_open(fb.buf, fb.size, &f), TP_FRAME_ERR_TYPE);
	free(fb.mem);
	/* A name_len longer than a name can be, even with the bytes there. */
	memset(p + 16, 'a', 300);
	p[14] = (unsigned char)(300 & 0xFF);
	p[15] = 300 >> 8;
	ck_assert_int_eq(tp_frame_meta_decode(p, 316, &got), -EINVAL);
	/* A NUL inside the name. */
	p[14] = 4;
	p[15] = 0;
	p[18] = 0;
	ck_assert_int_eq(tp_frame_meta_decode(p, 20, &got), -EINVAL);
	/* Bytes after the name are left for later versions. */
	p[18] = 'a';
	ck_assert_int_eq(tp_frame_meta_decode(p, 30, &got), 0);
	ck_assert_str_eq(got.name, "aaaa");
}
END_TEST

START_TEST(test_end_round_trip)
{
	struct tp_frame_end e = { .total = UINT64_C(0x1122334455667788), .digest = 0xE3069283u,
				  .frames = 42 };
	struct tp_frame_end got;
	unsigned char p[TP_FRAME_END_SIZE];
	struct tp_frame f;

	ck_assert_uint_eq(tp_frame_end_encode(p, sizeof(p) - 1, &e), 0);
	ck_assert_uint_eq(tp_frame_end_encode(p, sizeof(p), &e), TP_FRAME_END_SIZE);
	ck_assert_uint_eq(p[0], 0x88);
	ck_assert_uint_eq(p[8], 0x83);
	ck_assert_uint_eq(p[12], 42);
	ck_assert_int_eq(tp_frame_end_decode(p, sizeof(p), &got), 0);
	ck_assert_uint_eq(got.total, e.total);
	ck_assert_uint_eq(got.digest, e.digest);
	ck_assert_uint_eq(got.frames, 42);
	ck_assert_int_eq(tp_frame_end_decode(p, sizeof(p) - 1, &got), -EINVAL);

	struct framebuf fb = make_frame(TP_FRAME_END, p, TP_FRAME_END_SIZE);
	ck_assert_int_eq(tp_frame_open(fb.buf, fb.size, &f), TP_FRAME_OK);
	ck_assert_int_eq(f.type, TP_FRAME_END);
	ck_assert_uint_eq(f.len, TP_FRAME_END_SIZE);
	free(fb.mem);
	/* A short END payload does not parse: a bad type. */
	fb = make_frame(TP_FRAME_END, p, 8);
	ck_assert_int_eq(tp_frame_open(fb.buf, fb.size, &f), TP_FRAME_ERR_TYPE);
	free(fb.mem);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("frame");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wire_layout);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_unknown_flags_kept);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_open_parts);
	tcase_add_test(tc, test_error_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("payloads");
	tcase_add_test(tc, test_meta_round_trip);
	tcase_add_test(tc, test_meta_bad);
	tcase_add_test(tc, test_end_round_trip);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
