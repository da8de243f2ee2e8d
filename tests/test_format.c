/* pv's --format and display letters, rendered into memory: every sequence, the letters' order,
 * units (-8, -k, -l), the bar's room, empty segments, numeric fields, and bad formats. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "enums.h"
#include "format.h"

#define MiB (1024.0 * 1024)

/* 1.5 MiB of 3 MiB after 1.5 s at 1 MiB/s: 50 %, ETA 2 s. */
static const struct tp_progress_view half = {
	.bytes = 1572864, .elapsed = 1.5, .rate_now = MiB, .rate_avg = MiB,
	.ring_pct = 7, .total = 3145728,
};

static char line[4096];
static const struct tp_units bytes_units;

static const char *fmt(const char *spec, const struct tp_units *u,
		       const struct tp_progress_view *v, unsigned width)
{
	struct tp_format f;
	char why[160];

	ck_assert_msg(tp_format_parse(&f, spec, why, sizeof(why)) == 0, "%s: %s", spec, why);
	size_t n = tp_format_render(&f, u, v, 0, line, sizeof(line), width);
	ck_assert_uint_eq(n, strlen(line));
	ck_assert(n < width);
	return line;
}

static const char *letters(unsigned display, const char *name, const struct tp_progress_view *v,
			   unsigned width)
{
	struct tp_format f;
	struct tp_progress_view w = *v;

	w.name = name;
	tp_format_from_letters(&f, display, 8, name != NULL);
	tp_format_render(&f, &bytes_units, &w, 0, line, sizeof(line), width);
	return line;
}

START_TEST(test_each_sequence)
{
	ck_assert_str_eq(fmt("%b", &bytes_units, &half, 80), "1.50MiB");
	ck_assert_str_eq(fmt("%t", &bytes_units, &half, 80), "0:00:01");
	ck_assert_str_eq(fmt("%e", &bytes_units, &half, 80), "ETA 0:00:02");
	ck_assert_str_eq(fmt("%r", &bytes_units, &half, 80), "[1.00MiB/s]");
	ck_assert_str_eq(fmt("%a", &bytes_units, &half, 80), "[1.00MiB/s]");
	ck_assert_str_eq(fmt("%T", &bytes_units, &half, 80), "{  7%}");
	struct tp_progress_view held = half;
	held.hold = TP_HOLD_DRAINING;           /* the fill levels hold back: said inside */
	ck_assert_str_eq(fmt("%T", &bytes_units, &held, 80), "{  7% draining}");
	ck_assert_str_eq(fmt("%{progress-amount-only}", &bytes_units, &half, 80), " 50%");
	ck_assert_str_eq(fmt("100%% done", &bytes_units, &half, 80), "100% done");
	ck_assert_str_eq(fmt("%{bytes}|%{transferred}|%{timer}", &bytes_units, &half, 80),
			 "1.50MiB|1.50MiB|0:00:01");
	/* The bar fills what is left: 20 columns, 19 usable; "[" 13 cells "]" " 50%". */
	ck_assert_str_eq(fmt("%p", &bytes_units, &half, 20), "[=====>       ] 50%");
	ck_assert_str_eq(fmt("%{progress-bar-only}", &bytes_units, &half, 12), "[===>     ]");
	/* Two bars share the room. */
	ck_assert_str_eq(fmt("%{progress-bar-only}%{progress-bar-only}", &bytes_units, &half, 21),
			 "[===>    ][===>    ]");
}
END_TEST

START_TEST(test_name_last_and_line)
{
	static const unsigned char out[] = "abc\ndef\x1b[2J";
	struct tp_progress_view v = half;

	v.name = "job";
	v.last = out;
	v.last_len = sizeof(out) - 1;
	v.line = (const unsigned char *)"abc";
	v.line_len = 3;
	ck_assert_str_eq(fmt("%N", &bytes_units, &v, 80), "      job:");
	/* The last 4 bytes, an escape sequence shown harmless. */
	ck_assert_str_eq(fmt("%4A", &bytes_units, &v, 80), ".[2J");
	ck_assert_str_eq(fmt("<%6A>", &bytes_units, &v, 80), "<ef.[2J>");
	ck_assert_str_eq(fmt("<%A>", &bytes_units, &v, 80), "<abc.def.[2J>");
	ck_assert_str_eq(fmt("%L", &bytes_units, &v, 80), "abc");
	/* No name: nothing, and the space after it goes too. */
	v.name = NULL;
	ck_assert_str_eq(fmt("%N %b", &bytes_units, &v, 80), "1.50MiB");
}
END_TEST

START_TEST(test_letters_in_pv_order)
{
	/* -pterabT -N nm, given in any order, come out in pv's: name, bytes, buffer, timer,
	 * rate, average, bar, ETA. */
	unsigned all = TP_DISPLAY_BAR | TP_DISPLAY_TIMER | TP_DISPLAY_ETA | TP_DISPLAY_RATE |
		       TP_DISPLAY_AVG | TP_DISPLAY_BYTES | TP_DISPLAY_BUFFER;
	ck_assert_str_eq(letters(all, "nm", &half, 100),
			 "       nm: 1.50MiB {  7%} 0:00:01 [1.00MiB/s] [1.00MiB/s] "
			 "[==========>            ] 50% ETA 0:00:02");
	ck_assert_str_eq(letters(TP_DISPLAY_TIMER | TP_DISPLAY_BYTES, NULL, &half, 80),
			 "1.50MiB 0:00:01");
	/* syncoid's -p -t -e -r -b with no size: no ETA, a moving bar. */
	struct tp_progress_view v = half;
	v.total = 0;
	const char *l = letters(TP_DISPLAY_BAR | TP_DISPLAY_TIMER | TP_DISPLAY_ETA |
				TP_DISPLAY_RATE | TP_DISPLAY_BYTES, NULL, &v, 60);
	ck_assert_str_eq(l, "1.50MiB 0:00:01 [1.00MiB/s] [<=>                         ]");
	v.ticks = 10; /* 2 % a draw: 2 of the 14 cells it can move */
	l = letters(TP_DISPLAY_BAR, NULL, &v, 20);
	ck_assert_str_eq(l, "[  <=>            ]");
	v.ticks = 75; /* past the right end and on the way back */
	l = letters(TP_DISPLAY_BAR, NULL, &v, 20);
	ck_assert_str_eq(l, "[       <=>       ]");
	/* -A N */
	static const unsigned char out[] = "0123456789";
	v.last = out;
	v.last_len = 10;
	ck_assert_str_eq(letters(TP_DISPLAY_LAST, NULL, &v, 80), "23456789");
}
END_TEST

START_TEST(test_units)
{
	struct tp_units bits = { .bits = true }, si = { .si = true }, lines = { .lines = true };
	struct tp_progress_view v = { .bytes = 1500000, .rate_now = 1000, .elapsed = 1 };

	ck_assert_str_eq(fmt("%b %r", &bytes_units, &v, 80), "1.43MiB [1000 B/s]");
	ck_assert_str_eq(fmt("%b %r", &si, &v, 80), "1.50MB [1.00kB/s]");
	ck_assert_str_eq(fmt("%b %r", &bits, &v, 80), "11.4Mib [7.81Kib/s]");
	ck_assert_str_eq(fmt("%b %r", &lines, &v, 80), "1.50M [1.00k/s]");
	v.bytes = 0;
	ck_assert_str_eq(fmt("%b", &bytes_units, &v, 80), "0.00 B");
	v.bytes = 512 * 1024;
	ck_assert_str_eq(fmt("%b", &bytes_units, &v, 80), " 512KiB");
	v.bytes = 17;
	ck_assert_str_eq(fmt("%b", &lines, &v, 80), "17.0");
}
END_TEST

START_TEST(test_numeric_fields)
{
	struct tp_units n = { .numeric = true };
	struct tp_progress_view v = half;

	v.name = "x";
	ck_assert_str_eq(fmt("%t %b %r %a %p %e %T %N", &n, &v, 200),
			 "1.5000 1572864 1048576 1048576 50 2 7 x");
	char buf[64];
	ck_assert_uint_eq(tp_format_numeric(0, &half, buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "50");
	tp_format_numeric(TP_DISPLAY_TIMER, &half, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.5000 50");
	/* -b: the amount in place of the percentage, as pv 1.6 here prints "0.5469 524288". */
	tp_format_numeric(TP_DISPLAY_TIMER | TP_DISPLAY_BYTES, &half, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.5000 1572864");
	tp_format_numeric(TP_DISPLAY_BYTES, &half, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1572864");
	/* No size known: the amount in place of the percentage. */
	v.total = 0;
	tp_format_numeric(0, &v, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1572864");
	tp_format_numeric(TP_DISPLAY_BYTES | TP_DISPLAY_TIMER, &v, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.5000 1572864");
	/* Past the total: more than 100, as pv says. */
	v.total = 1000000;
	tp_format_numeric(0, &v, buf, sizeof(buf));
	ck_assert_str_eq(buf, "157");
}
END_TEST

START_TEST(test_bad_formats)
{
	static const char *bad[] = { "%q", "abc %", "%{nope}", "%{progress", "%3b", "%0A",
				     "%300A", "%" };
	struct tp_format f;
	char why[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = 0;
		ck_assert_msg(tp_format_parse(&f, bad[i], why, sizeof(why)) == -EINVAL, "%s", bad[i]);
		ck_assert_msg(why[0] != 0, "%s: no reason", bad[i]);
	}
	tp_format_parse(&f, "x %q", why, sizeof(why));
	ck_assert_str_eq(why, "'%q' is not a sequence tpipe knows (%p %t %e %I %r %a %b %T %A %L "
			 "%N %% and %{name})");
	/* Too many sequences. */
	char many[400] = "";
	for (int i = 0; i < 70; i++)
		strcat(many, "%b");
	ck_assert_int_eq(tp_format_parse(&f, many, why, sizeof(why)), -EINVAL);
	/* What a format uses tells the monitor what to gather. */
	ck_assert_int_eq(tp_format_parse(&f, "%b %20A %L", why, sizeof(why)), 0);
	ck_assert_uint_eq(f.uses, TP_DISPLAY_BYTES | TP_DISPLAY_LAST);
	ck_assert_uint_eq(f.last_len, 20);
	ck_assert(f.uses_line);
}
END_TEST

START_TEST(test_every_width)
{
	struct tp_format f;
	char why[80];
	struct tp_progress_view v = half;

	v.name = "a-long-name-here";
	ck_assert_int_eq(tp_format_parse(&f, "%N %b %T %t %r %a %p %e %I %A", why, sizeof(why)), 0);
	for (unsigned w = 0; w < 300; w++) {
		char small[64];
		size_t n = tp_format_render(&f, &bytes_units, &v, 1e9, line, sizeof(line), w);
		ck_assert(w == 0 ? n == 0 : n < w);
		ck_assert_uint_eq(n, strlen(line));
		n = tp_format_render(&f, &bytes_units, &v, 1e9, small, sizeof(small), w);
		ck_assert(n < sizeof(small));
	}
	/* Far past a --size far too small: a percentage of 9 digits, bars at every width. */
	struct tp_progress_view over = half;
	over.total = 1;
	over.bytes = 100000000;
	ck_assert_int_eq(tp_format_parse(&f, "%p%{progress-bar-only}%p", why, sizeof(why)), 0);
	for (unsigned w = 0; w < 300; w++) {
		size_t n = tp_format_render(&f, &bytes_units, &over, 0, line, sizeof(line), w);
		ck_assert(w == 0 ? n == 0 : n < w);
		ck_assert_uint_eq(n, strlen(line));
	}
	ck_assert_str_eq(fmt("%p", &bytes_units, &over, 20), "[====] 10000000000%");
	/* A zero-length buffer is left alone. */
	ck_assert_uint_eq(tp_format_render(&f, &bytes_units, &v, 0, line, 0, 80), 0);
}
END_TEST

START_TEST(test_last_line)
{
	const unsigned char *l;
	const unsigned char *d = (const unsigned char *)"one\ntwo\nthr";

	ck_assert_uint_eq(tp_format_last_line(d, 11, '\n', &l), 3);
	ck_assert_int_eq(memcmp(l, "two", 3), 0);
	ck_assert_uint_eq(tp_format_last_line(d, 8, '\n', &l), 3);  /* "one\ntwo\n" */
	ck_assert_int_eq(memcmp(l, "two", 3), 0);
	ck_assert_uint_eq(tp_format_last_line(d, 4, '\n', &l), 3);
	ck_assert_int_eq(memcmp(l, "one", 3), 0);
	ck_assert_uint_eq(tp_format_last_line(d, 3, '\n', &l), 0);  /* no line is whole yet */
	ck_assert_uint_eq(tp_format_last_line(d, 0, '\n', &l), 0);
	ck_assert_uint_eq(tp_format_last_line((const unsigned char *)"a\0b\0", 4, 0, &l), 1);
	ck_assert_int_eq(l[0], 'b');
	ck_assert_uint_eq(tp_format_last_line((const unsigned char *)"\n\n", 2, '\n', &l), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, test_each_sequence);
	tcase_add_test(tc, test_name_last_and_line);
	tcase_add_test(tc, test_letters_in_pv_order);
	tcase_add_test(tc, test_units);
	tcase_add_test(tc, test_numeric_fields);
	tcase_add_test(tc, test_bad_formats);
	tcase_add_test(tc, test_every_width);
	tcase_add_test(tc, test_last_line);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
