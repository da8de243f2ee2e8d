/* The status line and byte formatting, rendered into memory. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <string.h>
#include "stats.h"

START_TEST(test_format_bytes)
{
	char b[32];

	ck_assert_str_eq(tp_format_bytes(b, sizeof(b), 0), "0 B");
	ck_assert_str_eq(tp_format_bytes(b, sizeof(b), 1023), "1023 B");
	ck_assert_str_eq(tp_format_bytes(b, sizeof(b), 1024), "1.00 KiB");
	ck_assert_str_eq(tp_format_bytes(b, sizeof(b), 1536), "1.50 KiB");
	ck_assert_str_eq(tp_format_bytes(b, sizeof(b), 50.0 * 1048576), "50.0 MiB");
	ck_assert_str_eq(tp_format_bytes(b, sizeof(b), 500.0 * 1073741824), "500 GiB");
	ck_assert_str_eq(tp_format_bytes(b, sizeof(b), 4.5 * 1099511627776.0), "4.50 TiB");
	ck_assert_str_eq(tp_format_bytes(b, 6, 1536), "1.50 "); /* truncated, still terminated */
}
END_TEST

START_TEST(test_format_decimal)
{
	char b[32];

	ck_assert_str_eq(tp_format_decimal(b, sizeof(b), 999), "999 B");
	ck_assert_str_eq(tp_format_decimal(b, sizeof(b), 999.7), "1.00 kB"); /* never "1000 B" */
	ck_assert_str_eq(tp_format_decimal(b, sizeof(b), 20e6), "20.0 MB");
	ck_assert_str_eq(tp_format_decimal(b, sizeof(b), 5e6), "5.00 MB");
	ck_assert_str_eq(tp_format_decimal(b, sizeof(b), 999.9e6), "1.00 GB");
	ck_assert_str_eq(tp_format_decimal(b, sizeof(b), -1), "0 B");        /* nonsense shows 0 */
	ck_assert_str_eq(tp_format_bytes(b, sizeof(b), 1023.7), "1.00 KiB");  /* never "1024 B" */
}
END_TEST

START_TEST(test_status_line)
{
	struct tp_snapshot snap = {
		.bytes_out = 2 << 20, .elapsed = 2.0,
		.ring_used = 3, .ring_depth = 16,
	};
	char line[256];

	tp_format_status(line, sizeof(line), NULL, &snap);
	ck_assert_str_eq(line, "2.00 MiB (2097152 bytes) in 2.0 s, 1.00 MiB/s, ring 3/16 full");
	snap.total = 4 << 20;
	tp_format_status(line, sizeof(line), "video", &snap);
	ck_assert_str_eq(line, "video: 2.00 MiB (2097152 bytes) in 2.0 s, 1.00 MiB/s, 50%, ring 3/16 full");
	snap.elapsed = 0; /* no division by zero at the very start */
	tp_format_status(line, sizeof(line), NULL, &snap);
	ck_assert_ptr_nonnull(strstr(line, " 0 B/s,"));
	/* The fill levels holding back: said after the ring's fill. */
	snap.total = 0;
	snap.hold = TP_HOLD_FILLING;
	tp_format_status(line, sizeof(line), NULL, &snap);
	ck_assert_str_eq(line, "2.00 MiB (2097152 bytes) in 0.0 s, 0 B/s, ring 3/16 full, filling");
	snap.hold = TP_HOLD_DRAINING;
	snap.lines = true;
	tp_format_status(line, sizeof(line), NULL, &snap);
	ck_assert_str_eq(line, "2097152 lines in 0.0 s, 0 lines/s, ring 3/16 full, draining");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, test_format_bytes);
	tcase_add_test(tc, test_format_decimal);
	tcase_add_test(tc, test_status_line);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
