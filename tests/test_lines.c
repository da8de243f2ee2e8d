/* Line mode's counting (lines.h): the vectorised count and the cut after the N-th terminator,
 * against a byte-by-byte reference, at every alignment and around every block boundary. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "lines.h"
#include "unit.h"

static uint64_t count_ref(const unsigned char *buf, size_t len, unsigned char term)
{
	uint64_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == term;
	return n;
}

static size_t cut_ref(const unsigned char *buf, size_t len, unsigned char term, uint64_t want,
		      uint64_t *found)
{
	uint64_t got = 0;

	for (size_t i = 0; i < len && got < want; i++)
		if (buf[i] == term && ++got == want) {
			*found = got;
			return i + 1;
		}
	*found = got;
	return want == 0 ? 0 : len;
}

/* A buffer of random bytes from a small alphabet, so terminators are dense (1 in `every`). */
static unsigned char *random_buf(size_t len, unsigned every, unsigned char term, unsigned seed)
{
	unsigned char *b = malloc(len + 1);

	srand(seed);
	for (size_t i = 0; i < len; i++)
		b[i] = rand() % every == 0 ? term : (unsigned char)('a' + rand() % 26);
	return b;
}

START_TEST(test_count_simple)
{
	const unsigned char *s = (const unsigned char *)"one\ntwo\n\nthree";

	ck_assert_uint_eq(tp_lines_count(s, strlen((const char *)s), '\n'), 3);
	ck_assert_uint_eq(tp_lines_count(s, 0, '\n'), 0);
	ck_assert_uint_eq(tp_lines_count(s, 4, '\n'), 1);
	ck_assert_uint_eq(tp_lines_count(s, 3, '\n'), 0);      /* a line not ended is not counted */
	ck_assert_uint_eq(tp_lines_count(s, 14, '\0'), 0);
	ck_assert_uint_eq(tp_lines_count((const unsigned char *)"a\0b\0", 4, '\0'), 2);
	ck_assert_uint_eq(tp_lines_terminator(0), '\n');
	ck_assert_uint_eq(tp_lines_terminator(1), '\0');
}
END_TEST

/* Every byte a terminator, far past the 255 rounds a lane may count before it is summed. */
START_TEST(test_count_all_terminators)
{
	size_t len = 100003;
	unsigned char *b = malloc(len);

	memset(b, '\n', len);
	ck_assert_uint_eq(tp_lines_count(b, len, '\n'), len);
	memset(b, 0, len);
	ck_assert_uint_eq(tp_lines_count(b, len, '\0'), len);
	ck_assert_uint_eq(tp_lines_count(b, len, '\n'), 0);
	free(b);
}
END_TEST

/* Every start alignment and length up to a few vectors, and lengths around 16 x 255. */
START_TEST(test_count_matches_reference)
{
	static const unsigned char terms[] = { '\n', '\0' };
	size_t len = 3 * 16 * 255 + 77;

	for (unsigned t = 0; t < 2; t++) {
		unsigned char *b = random_buf(len, 5, terms[t], 7 + t);
		for (size_t start = 0; start < 17; start++)
			for (size_t n = 0; n < 70; n++)
				ck_assert_uint_eq(tp_lines_count(b + start, n, terms[t]),
						  count_ref(b + start, n, terms[t]));
		for (size_t n = 16 * 255 - 20; n < 16 * 255 + 40; n++)
			ck_assert_uint_eq(tp_lines_count(b + 3, n, terms[t]),
					  count_ref(b + 3, n, terms[t]));
		ck_assert_uint_eq(tp_lines_count(b, len, terms[t]), count_ref(b, len, terms[t]));
		free(b);
	}
}
END_TEST

START_TEST(test_cut_simple)
{
	const unsigned char *s = (const unsigned char *)"one\ntwo\n\nthree";
	size_t len = strlen((const char *)s);
	uint64_t found = 99;

	ck_assert_uint_eq(tp_lines_cut(s, len, '\n', 0, &found), 0);
	ck_assert_uint_eq(found, 0);
	ck_assert_uint_eq(tp_lines_cut(s, len, '\n', 1, &found), 4);  /* just after "one\n" */
	ck_assert_uint_eq(found, 1);
	ck_assert_uint_eq(tp_lines_cut(s, len, '\n', 3, &found), 9);  /* the empty line counts */
	ck_assert_uint_eq(found, 3);
	ck_assert_uint_eq(tp_lines_cut(s, len, '\n', 4, &found), len); /* fewer: all of it */
	ck_assert_uint_eq(found, 3);
	ck_assert_uint_eq(tp_lines_cut(s, len, '\n', UINT64_MAX, &found), len);
	ck_assert_uint_eq(found, 3);
	ck_assert_uint_eq(tp_lines_cut(s, 0, '\n', 5, &found), 0);
	ck_assert_uint_eq(found, 0);
	/* The last byte a terminator: the cut is the whole buffer, and it is found. */
	ck_assert_uint_eq(tp_lines_cut(s, 8, '\n', 2, &found), 8);
	ck_assert_uint_eq(found, 2);
}
END_TEST

/* Long buffers, sparse and dense, every want around the block size and the end. */
START_TEST(test_cut_matches_reference)
{
	static const unsigned every[] = { 1, 2, 7, 300, 100000 };
	size_t len = 5 * 4096 + 333;

	for (unsigned e = 0; e < sizeof(every) / sizeof(every[0]); e++) {
		unsigned char term = e % 2 ? '\0' : '\n';
		unsigned char *b = random_buf(len, every[e], term, 11 + e);
		uint64_t total = count_ref(b, len, term);
		uint64_t wants[] = { 1, 2, 3, 15, 16, 17, 4095, 4096, 4097, 8191, 8193, total / 2,
				     total - 1, total, total + 1, total + 4096 };
		for (unsigned w = 0; w < sizeof(wants) / sizeof(wants[0]); w++) {
			uint64_t f1, f2;
			size_t c1 = tp_lines_cut(b, len, term, wants[w], &f1);
			size_t c2 = cut_ref(b, len, term, wants[w], &f2);
			ck_assert_uint_eq(c1, c2);
			ck_assert_uint_eq(f1, f2);
		}
		free(b);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lines");
	TCase *tc = tcase_create("count and cut");

	tcase_add_test(tc, test_count_simple);
	tcase_add_test(tc, test_count_all_terminators);
	tcase_add_test(tc, test_count_matches_reference);
	tcase_add_test(tc, test_cut_simple);
	tcase_add_test(tc, test_cut_matches_reference);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
