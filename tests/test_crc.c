/* CRC-32C: the known answer, zlib-style chaining, and a bitwise reference. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "crc.h"

/* The textbook bitwise CRC-32C (reflected polynomial 0x82F63B78), to check ISA-L against. */
static uint32_t ref_crc32c(uint32_t crc, const unsigned char *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? crc >> 1 ^ 0x82F63B78u : crc >> 1;
	}
	return ~crc;
}

static void fill_random(unsigned char *p, size_t len, unsigned seed)
{
	srand(seed);
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)rand();
}

START_TEST(test_known_answer)
{
	ck_assert_uint_eq(tp_crc32c(0, "123456789", 9), 0xE3069283u);
	ck_assert_uint_eq(ref_crc32c(0, (const unsigned char *)"123456789", 9), 0xE3069283u);
	/* RFC 3720 B.4: 32 bytes of zeros, of 0xFF. */
	unsigned char buf[32];
	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(tp_crc32c(0, buf, sizeof(buf)), 0x8A9136AAu);
	memset(buf, 0xFF, sizeof(buf));
	ck_assert_uint_eq(tp_crc32c(0, buf, sizeof(buf)), 0x62A8AB43u);
}
END_TEST

START_TEST(test_empty_keeps_crc)
{
	ck_assert_uint_eq(tp_crc32c(0, NULL, 0), 0);
	ck_assert_uint_eq(tp_crc32c(0xE3069283u, "", 0), 0xE3069283u);
	ck_assert_uint_eq(tp_crc32c(0x12345678u, "x", 0), 0x12345678u);
}
END_TEST

START_TEST(test_chaining)
{
	const char *s = "123456789";

	for (size_t cut = 0; cut <= 9; cut++)
		ck_assert_uint_eq(tp_crc32c(tp_crc32c(0, s, cut), s + cut, 9 - cut), 0xE3069283u);
}
END_TEST

START_TEST(test_matches_reference)
{
	enum { N = 4099 };
	unsigned char *buf = malloc(N);

	ck_assert_ptr_nonnull(buf);
	fill_random(buf, N, 7);
	/* Every length up to 300 (ISA-L's short-buffer paths), then a few long ones, from
	 * unaligned starts too. */
	for (size_t len = 0; len <= 300; len++)
		ck_assert_uint_eq(tp_crc32c(0, buf + 1, len), ref_crc32c(0, buf + 1, len));
	ck_assert_uint_eq(tp_crc32c(0, buf, N), ref_crc32c(0, buf, N));
	ck_assert_uint_eq(tp_crc32c(0, buf + 3, N - 3), ref_crc32c(0, buf + 3, N - 3));
	ck_assert_uint_eq(tp_crc32c(0xDEADBEEFu, buf, N), ref_crc32c(0xDEADBEEFu, buf, N));
	free(buf);
}
END_TEST

START_TEST(test_split_many_pieces)
{
	enum { N = 3 << 20 };
	unsigned char *buf = malloc(N);

	ck_assert_ptr_nonnull(buf);
	fill_random(buf, N, 11);
	uint32_t whole = tp_crc32c(0, buf, N);
	/* Uneven pieces, some tiny, some large. */
	static const size_t steps[] = { 1, 7, 64, 1000, 4096, 65537, 1 << 20 };
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		uint32_t c = 0;
		for (size_t off = 0; off < N; off += steps[s])
			c = tp_crc32c(c, buf + off, off + steps[s] <= N ? steps[s] : N - off);
		ck_assert_uint_eq(c, whole);
	}
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crc");
	TCase *tc = tcase_create("crc32c");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_known_answer);
	tcase_add_test(tc, test_empty_keeps_crc);
	tcase_add_test(tc, test_chaining);
	tcase_add_test(tc, test_matches_reference);
	tcase_add_test(tc, test_split_many_pieces);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
