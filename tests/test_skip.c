/* -E's skip bookkeeping: the first skip to the next 512-byte boundary, doubling while the
 * errors go on, back to small after data, never past the end, the zeros owed. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <stdint.h>
#include "skip.h"

/* Makes the skip planned at pos and gives out all its zeros; returns its length. */
static uint64_t skip_at(struct tp_skip *s, uint64_t pos, uint64_t end)
{
	uint64_t len = tp_skip_plan(s, pos, end);

	if (len) {
		tp_skip_made(s, pos, len);
		while (tp_skip_take(s, 100) > 0)
			;
	}
	return len;
}

START_TEST(test_first_skip_to_a_sector)
{
	struct tp_skip s = { 0 };

	ck_assert_uint_eq(tp_skip_plan(&s, 0, 1u << 30), 512);
	ck_assert_uint_eq(tp_skip_plan(&s, 1000, 1u << 30), 24);   /* to 1024 */
	ck_assert_uint_eq(tp_skip_plan(&s, 1024, 1u << 30), 512);  /* aligned: a whole block */
	ck_assert_uint_eq(tp_skip_plan(&s, 511, 1u << 30), 1);
	ck_assert_uint_eq(s.ranges, 0); /* planning counts nothing */
}
END_TEST

START_TEST(test_grows_while_errors_go_on)
{
	struct tp_skip s = { 0 };
	uint64_t end = 1ull << 40, pos = 0;
	/* Each block twice the last, each skip to its next multiple, up to TP_SKIP_MAX. */
	uint64_t want[] = { 512, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072,
			    262144, 524288, 1048576, 1048576, 1048576 };

	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint64_t len = skip_at(&s, pos, end);
		ck_assert_msg(len == want[i], "skip %u: %llu, want %llu", i,
			      (unsigned long long)len, (unsigned long long)want[i]);
		pos += len;
		ck_assert_uint_eq(pos % s.block, 0);
	}
	ck_assert_uint_eq(s.block, TP_SKIP_MAX);
	ck_assert_uint_eq(s.ranges, sizeof(want) / sizeof(want[0]));
	ck_assert_uint_eq(s.bytes, pos);

	/* Off the block boundaries: never more than a block, always landing on one. */
	struct tp_skip t = { 0 };
	pos = 100000;
	for (uint64_t block = 512; block <= TP_SKIP_MAX; block *= 2) {
		uint64_t len = skip_at(&t, pos, end);
		ck_assert_uint_eq(t.block, block);
		ck_assert(len > 0 && len <= block);
		pos += len;
		ck_assert_uint_eq(pos % block, 0);
	}
}
END_TEST

START_TEST(test_small_again_after_data)
{
	struct tp_skip s = { 0 };
	uint64_t end = 1ull << 30;

	ck_assert_uint_eq(skip_at(&s, 4096, end), 512);
	ck_assert_uint_eq(skip_at(&s, 4608, end), 512);   /* 1K block: 4608 -> 5120 */
	ck_assert_uint_eq(skip_at(&s, 5120, end), 1024);  /* 2K block: 5120 -> 6144 */
	tp_skip_good(&s);
	ck_assert_uint_eq(tp_skip_plan(&s, 6144, end), 512);
	/* An error somewhere else than where the last skip landed is a new bad part. */
	ck_assert_uint_eq(skip_at(&s, 8192, end), 512);
	ck_assert_uint_eq(tp_skip_plan(&s, 20000, end), 480);
}
END_TEST

START_TEST(test_never_past_the_end)
{
	struct tp_skip s = { 0 };

	ck_assert_uint_eq(tp_skip_plan(&s, 1000, 1010), 10);
	ck_assert_uint_eq(tp_skip_plan(&s, 1010, 1010), 0);
	ck_assert_uint_eq(tp_skip_plan(&s, 2000, 1010), 0);
	ck_assert_uint_eq(skip_at(&s, 0, 700), 512);
	ck_assert_uint_eq(skip_at(&s, 512, 700), 188); /* 1K block, cut at the end */
	ck_assert_uint_eq(tp_skip_plan(&s, 700, 700), 0);
	ck_assert_uint_eq(s.bytes, 700);
}
END_TEST

START_TEST(test_zeros_owed)
{
	struct tp_skip s = { 0 };

	tp_skip_made(&s, 0, 512);
	ck_assert_uint_eq(tp_skip_take(&s, 100), 100);
	ck_assert_uint_eq(tp_skip_take(&s, 1000), 412);
	ck_assert_uint_eq(tp_skip_take(&s, 1000), 0);
	ck_assert_uint_eq(s.owed, 0);
	ck_assert_uint_eq(s.bytes, 512);
	ck_assert_uint_eq(s.ranges, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("skip");
	TCase *tc = tcase_create("skip");
	tcase_add_test(tc, test_first_skip_to_a_sector);
	tcase_add_test(tc, test_grows_while_errors_go_on);
	tcase_add_test(tc, test_small_again_after_data);
	tcase_add_test(tc, test_never_past_the_end);
	tcase_add_test(tc, test_zeros_owed);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
