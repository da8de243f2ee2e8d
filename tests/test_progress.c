/* The progress line rendered into memory: layout, widths, unknown size, ETA, -n lines, and the
 * terminal/numeric/-c drawing through a memory FILE. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "enums.h"
#include "progress.h"

#define KiB 1024.0
#define MiB (1024.0 * 1024)
#define GiB (1024.0 * 1024 * 1024)
#define TiB (1024.0 * 1024 * 1024 * 1024)

/* 1.5 GiB of 2.4 GiB (62.4999..%) after 12 s at 118 MiB/s on average, 120 MiB/s just now:
 * 966367642 bytes left at 123731968 B/s is 7.81 s, shown rounded up as 8. */
static const struct tp_progress_view typical = {
	.bytes = 1610612736, .elapsed = 12.0, .rate_now = 120 * MiB, .rate_avg = 118 * MiB,
	.ring_pct = 45, .total = 2576980378,
};

static char line[4096];

static const char *render(unsigned width, const char *name, const struct tp_progress_view *v)
{
	size_t n = tp_progress_render(line, sizeof(line), width, name, v);

	ck_assert_uint_eq(n, strlen(line));
	ck_assert(width == 0 ? n == 0 : n < width);
	return line;
}

START_TEST(test_known_total)
{
	/* 120 columns with a name: 79 of text, the bar takes the remaining 37 cells; 62.5% of
	 * them is 23, so 22 '=' and the '>'. */
	ck_assert_str_eq(render(120, "NAME", &typical),
		"NAME: 1.50 GiB 0:00:12 [ 120 MiB/s] [ 118 MiB/s avg] ring  45% "
		"[======================>              ]  62% ETA 0:00:08");
	/* 100 columns, no name: 23 cells, 14 of them filled. */
	ck_assert_str_eq(render(100, NULL, &typical),
		"1.50 GiB 0:00:12 [ 120 MiB/s] [ 118 MiB/s avg] ring  45% "
		"[=============>         ]  62% ETA 0:00:08");
	/* An empty name is no name. */
	ck_assert_str_eq(render(100, "", &typical),
		"1.50 GiB 0:00:12 [ 120 MiB/s] [ 118 MiB/s avg] ring  45% "
		"[=============>         ]  62% ETA 0:00:08");
}
END_TEST

START_TEST(test_widths)
{
	/* 80 columns with a total: the average makes room for a bar, as in pv's default line. */
	ck_assert_str_eq(render(80, NULL, &typical),
		"1.50 GiB 0:00:12 [ 120 MiB/s] ring  45% [===========>        ]  62% ETA 0:00:08");
	/* With a name the ring fill goes too, and the bar takes the room. */
	ck_assert_str_eq(render(80, "NAME", &typical),
		"NAME: 1.50 GiB 0:00:12 [ 120 MiB/s] [=============>          ]  62% ETA 0:00:08");
	ck_assert_str_eq(render(79, "NAME", &typical),
		"NAME: 1.50 GiB 0:00:12 [ 120 MiB/s] [=============>         ]  62% ETA 0:00:08");
	/* 40: avg, ring and ETA go; with a name the current rate goes too. */
	ck_assert_str_eq(render(40, NULL, &typical), "1.50 GiB 0:00:12 [ 120 MiB/s]  62%");
	ck_assert_str_eq(render(40, "NAME", &typical), "NAME: 1.50 GiB 0:00:12  62%");
	ck_assert_str_eq(render(20, NULL, &typical), "1.50 GiB  62%");
	ck_assert_str_eq(render(20, "a-very-long-name", &typical), "1.50 GiB  62%");
	ck_assert_str_eq(render(10, NULL, &typical), "1.50 GiB");
	ck_assert_str_eq(render(9, NULL, &typical), "1.50 GiB");
	ck_assert_str_eq(render(8, NULL, &typical), ""); /* not even the bytes fit */
	ck_assert_str_eq(render(5, NULL, &typical), "");
	ck_assert_str_eq(render(1, NULL, &typical), "");
	ck_assert_str_eq(render(0, NULL, &typical), "");
}
END_TEST

START_TEST(test_every_width_and_buffer)
{
	struct tp_progress_view views[] = { typical, typical, { 0 },
		{ .bytes = UINT64_MAX, .elapsed = 1e300, .rate_now = INFINITY, .rate_avg = -5,
		  .ring_pct = 100, .total = 1 } };
	char small[64];

	views[1].total = 0;
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		for (unsigned w = 0; w <= 300; w++)
			render(w, i == 1 ? "name" : NULL, &views[i]);
		/* A buffer smaller than the width: the line is cut to the buffer, never past it. */
		for (size_t len = 1; len <= sizeof(small); len++) {
			memset(small, 'x', sizeof(small));
			size_t n = tp_progress_render(small, len, 200, "n", &views[i]);
			ck_assert_uint_lt(n, len);
			ck_assert_uint_eq(n, strlen(small));
		}
	}
	ck_assert_uint_eq(tp_progress_render(small, 0, 80, NULL, &typical), 0);
}
END_TEST

START_TEST(test_unknown_total)
{
	struct tp_progress_view v = typical;

	v.total = 0;
	/* No bar, percentage nor ETA, however wide. */
	ck_assert_str_eq(render(200, NULL, &v),
		"1.50 GiB 0:00:12 [ 120 MiB/s] [ 118 MiB/s avg] ring  45%");
	ck_assert_str_eq(render(40, "in", &v), "in: 1.50 GiB 0:00:12 [ 120 MiB/s]");
	ck_assert_str_eq(render(20, NULL, &v), "1.50 GiB 0:00:12");
	/* The fill levels holding back: the word goes (and is dropped) with the ring's fill. */
	v.hold = TP_HOLD_FILLING;
	ck_assert_str_eq(render(200, NULL, &v),
		"1.50 GiB 0:00:12 [ 120 MiB/s] [ 118 MiB/s avg] ring  45% filling");
	v.hold = TP_HOLD_DRAINING;
	ck_assert_str_eq(render(40, "in", &v), "in: 1.50 GiB 0:00:12 [ 120 MiB/s]");
}
END_TEST

START_TEST(test_start_and_overrun)
{
	/* At the start: zero everything, no division by zero, unknown ETA, an empty bar. */
	struct tp_progress_view v = { .total = 1000 };

	ck_assert_str_eq(render(100, NULL, &v),
		"     0 B 0:00:00 [     0 B/s] [     0 B/s avg] ring   0% "
		"[                      ]   0% ETA --:--:--");
	/* More than the expected total: the bar is full, the percentage is the real one. */
	v = (struct tp_progress_view){ .bytes = 1500, .elapsed = 3, .rate_now = 500,
				       .rate_avg = 500, .ring_pct = 100, .total = 1000 };
	ck_assert_str_eq(render(100, NULL, &v),
		"1.46 KiB 0:00:03 [   500 B/s] [   500 B/s avg] ring 100% "
		"[=======================] 150% ETA 0:00:00");
	/* Exactly done: 100%, ETA zero, full bar. */
	v.bytes = 1000;
	ck_assert_str_eq(render(100, NULL, &v),
		"  1000 B 0:00:03 [   500 B/s] [   500 B/s avg] ring 100% "
		"[=======================] 100% ETA 0:00:00");
	/* Just short of done: still 99%, and the ETA rounds up to a second, never 0:00:00. */
	v.bytes = 999;
	ck_assert_ptr_nonnull(strstr(render(100, NULL, &v), " 99% ETA 0:00:01"));
	/* A stalled transfer has no ETA. */
	v.rate_avg = 0;
	ck_assert_ptr_nonnull(strstr(render(100, NULL, &v), " 99% ETA --:--:--"));
}
END_TEST

START_TEST(test_huge)
{
	/* 5 TiB of 10 after 100 hours: the hours just grow, the ETA is another 100 hours. */
	struct tp_progress_view v = { .bytes = (uint64_t)(5 * TiB), .elapsed = 360000,
				      .rate_now = 16 * MiB, .ring_pct = 45, .total = (uint64_t)(10 * TiB) };

	v.rate_avg = (double)v.bytes / v.elapsed; /* 14.56 MiB/s */
	ck_assert_str_eq(render(80, NULL, &v),
		"5.00 TiB 100:00:00 [16.0 MiB/s] [============>             ]  50% ETA 100:00:00");
	v.total = 0;
	ck_assert_str_eq(render(80, "big", &v),
		"big: 5.00 TiB 100:00:00 [16.0 MiB/s] [14.6 MiB/s avg] ring  45%");
	/* 1 KiB/s with a petabyte to go: centuries, shown as unknown rather than as a number. */
	v = (struct tp_progress_view){ .bytes = 1024, .elapsed = 1, .rate_now = 1024,
				       .rate_avg = 1024, .total = UINT64_MAX };
	ck_assert_ptr_nonnull(strstr(render(200, NULL, &v), "   0% ETA --:--:--"));
}
END_TEST

/* Runs the draws and returns what reached the FILE (caller frees). */
struct step { int finish; double elapsed; uint64_t bytes; };

static char *draw_styled(const struct tp_progress_style *style, unsigned cursor_up,
			 const char *name, const struct step *steps, size_t n)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	struct tp_progress p;

	ck_assert_ptr_nonnull(f);
	tp_progress_init(&p, f, style, name);
	ck_assert(!p.drawn);
	for (size_t i = 0; i < n; i++) {
		p.cursor_up = cursor_up;
		struct tp_snapshot snap = { .bytes_out = steps[i].bytes,
					    .elapsed = steps[i].elapsed, .ring_used = 4 * (unsigned)(i + 1),
					    .ring_depth = 16 };
		if (steps[i].finish) {
			tp_progress_finish(&p, &snap, 80);
		} else {
			tp_progress_draw(&p, &snap, 80);
			ck_assert(p.drawn);
		}
	}
	fclose(f);
	return text;
}

/* tpipe's own line, or with numeric pv's -n -t -b. */
static char *draw_steps(bool numeric, const char *name, const struct step *steps, size_t n)
{
	struct tp_progress_style style = { .numeric = numeric,
					   .display = TP_DISPLAY_TIMER | TP_DISPLAY_BYTES };

	return draw_styled(&style, 0, name, steps, n);
}

START_TEST(test_draw_terminal)
{
	/* The first rate is the average, the next one is over the last interval (2 MiB in 1 s). */
	const struct step steps[] = { { 0, 1, 1 << 20 }, { 0, 2, 3 << 20 }, { 1, 4, 4 << 20 } };
	char *out = draw_steps(false, "x", steps, 3);

	ck_assert_str_eq(out,
		"\rx: 1.00 MiB 0:00:01 [1.00 MiB/s] [1.00 MiB/s avg] ring  25%\033[K"
		"\rx: 3.00 MiB 0:00:02 [2.00 MiB/s] [1.50 MiB/s avg] ring  50%\033[K"
		"\rx: 4.00 MiB 0:00:04 [ 512 KiB/s] [1.00 MiB/s avg] ring  75%\033[K\n");
	free(out);
	/* Finishing without a draw still leaves one line and a newline. */
	const struct step only[] = { { 1, 0, 0 } };
	out = draw_steps(false, NULL, only, 1);
	ck_assert_str_eq(out, "\r     0 B 0:00:00 [     0 B/s] [     0 B/s avg] ring  25%\033[K\n");
	free(out);
}
END_TEST

START_TEST(test_draw_numeric)
{
	/* One line per draw; finish adds a line only if time moved on; never an escape code. */
	const struct step same[] = { { 0, 1, 1 << 20 }, { 0, 2, 3 << 20 }, { 1, 2, 3 << 20 } };
	char *out = draw_steps(true, "ignored", same, 3);

	ck_assert_str_eq(out, "1.0000 1048576\n2.0000 3145728\n");
	ck_assert_ptr_null(strchr(out, '\033'));
	free(out);
	const struct step later[] = { { 0, 1, 1 << 20 }, { 1, 1.5, 2 << 20 } };
	out = draw_steps(true, NULL, later, 2);
	ck_assert_str_eq(out, "1.0000 1048576\n1.5000 2097152\n");
	free(out);
	/* tpipe 0.1's -n line, as a --format with -n: seconds, bytes, rate. */
	struct tp_format f;
	char why[80];
	ck_assert_int_eq(tp_format_parse(&f, "%t %b %r", why, sizeof(why)), 0);
	struct tp_progress_style style = { .numeric = true, .format = &f,
					   .units = { .numeric = true } };
	const struct step only[] = { { 1, 0.25, 1000 } };
	out = draw_styled(&style, 0, NULL, only, 1);
	ck_assert_str_eq(out, "0.2500 1000 4000\n");
	free(out);
}
END_TEST

START_TEST(test_draw_format_and_cursor)
{
	/* -c: saved, up to our line, drawn, restored; no newline at the end (the cursor is on
	 * a line of its own below every tpipe's). */
	struct tp_format f;
	tp_format_from_letters(&f, TP_DISPLAY_BYTES | TP_DISPLAY_TIMER, 0, true);
	struct tp_progress_style style = { .format = &f };
	const struct step steps[] = { { 0, 1, 1 << 20 }, { 1, 2, 2 << 20 } };
	char *out = draw_styled(&style, 2, "x", steps, 2);
	ck_assert_str_eq(out, "\0337\033[2A\r        x: 1.00MiB 0:00:01\033[K\0338"
			      "\0337\033[2A\r        x: 2.00MiB 0:00:02\033[K\0338");
	free(out);
	/* In place without -c, a newline at the end. */
	out = draw_styled(&style, 0, NULL, steps, 2);
	ck_assert_str_eq(out, "\r1.00MiB 0:00:01\033[K\r2.00MiB 0:00:02\033[K\n");
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("progress");
	TCase *tc = tcase_create("render");
	tcase_add_test(tc, test_known_total);
	tcase_add_test(tc, test_widths);
	tcase_add_test(tc, test_every_width_and_buffer);
	tcase_add_test(tc, test_unknown_total);
	tcase_add_test(tc, test_start_and_overrun);
	tcase_add_test(tc, test_huge);
	suite_add_tcase(s, tc);
	TCase *td = tcase_create("draw");
	tcase_add_test(td, test_draw_terminal);
	tcase_add_test(td, test_draw_numeric);
	tcase_add_test(td, test_draw_format_and_cursor);
	suite_add_tcase(s, td);

	return tp_unit_run(s);
}
