/* Self-tuning: the chunk size, ring depth and burst chosen for each kind of run. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <string.h>
#include "cli.h"
#include "sink.h"
#include "tune.h"

#define PAGE 4096u

static struct tp_options defaults(void)
{
	struct tp_options o;

	memset(&o, 0, sizeof(o));
	o.buffer_size = TP_DEFAULT_BUFFER_SIZE;
	return o;
}

START_TEST(test_unpaced_big_chunks)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 1u << 20);
	ck_assert_uint_eq(t.depth, 16);
	ck_assert_uint_eq(t.burst, 0);
	ck_assert_str_eq(t.chunk_why, "auto: unpaced pipe, big chunks for throughput (1M measured on the plateau)");
	ck_assert_ptr_nonnull(strstr(t.burst_why, "not paced"));
}
END_TEST

START_TEST(test_small_buffer_keeps_four_chunks)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.buffer_size = 1u << 20;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 256u << 10);
	ck_assert_uint_eq(t.depth, 4);
	ck_assert_ptr_nonnull(strstr(t.chunk_why, "quarter"));
}
END_TEST

START_TEST(test_paced_chunk_is_a_few_ms)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.rate_limit = 20000000; /* 4 ms = 80000 bytes, rounded down to pages */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 80000 / PAGE * PAGE);
	ck_assert_uint_eq(t.depth, (16u << 20) / t.chunk);
	ck_assert_uint_eq(t.burst, 14000); /* 700 us at 20 MB/s */

	o.rate_limit = 1000; /* very slow: never below a page */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, PAGE);
	ck_assert_uint_eq(t.burst, PAGE);

	o.rate_limit = 10000000000ull; /* fast: capped like the unpaced case */
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 1u << 20);
	ck_assert_ptr_nonnull(strstr(t.chunk_why, "capped"));
	ck_assert_uint_eq(t.burst, 7000000); /* 700 us at 10 GB/s */
	ck_assert_ptr_nonnull(strstr(t.burst_why, "700 us"));
}
END_TEST

START_TEST(test_explicit_settings_win)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.chunk_size = 5000; /* rounded up to pages */
	o.rate_limit = 1000000;
	o.burst = 12345;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, 2 * PAGE);
	ck_assert_uint_eq(t.burst, 12345);
	ck_assert_str_eq(t.chunk_why, "set by --chunk-size");
	ck_assert_str_eq(t.burst_why, "set by --burst");
}
END_TEST

START_TEST(test_tiny_buffer_two_chunks)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.buffer_size = PAGE;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_eq(t.chunk, PAGE);
	ck_assert_uint_eq(t.depth, 2);
	ck_assert_str_eq(t.chunk_why, "auto: one page, the smallest chunk");
	ck_assert_ptr_nonnull(strstr(t.depth_why, "at least two"));
}
END_TEST

START_TEST(test_paced_depth_stays_bounded)
{
	struct tp_options o = defaults();
	struct tp_tuning t;

	o.buffer_size = 5ull << 30; /* 5 GiB at 1 MB/s: 4 KiB chunks would be 1.3 million */
	o.rate_limit = 1000000;
	tp_tune(&o, TP_SINK_PIPE, PAGE, &t);
	ck_assert_uint_le(t.depth, TP_MAX_DEPTH);
	ck_assert_uint_eq(t.chunk % PAGE, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tune");
	TCase *tc = tcase_create("choices");
	tcase_add_test(tc, test_unpaced_big_chunks);
	tcase_add_test(tc, test_small_buffer_keeps_four_chunks);
	tcase_add_test(tc, test_paced_chunk_is_a_few_ms);
	tcase_add_test(tc, test_explicit_settings_win);
	tcase_add_test(tc, test_tiny_buffer_two_chunks);
	tcase_add_test(tc, test_paced_depth_stays_bounded);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
