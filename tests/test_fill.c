/* The fill levels' gates (fill.h), driven as the hand-off drives them, without threads; then
 * the hand-off's hooks, one thread playing both sides. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <poll.h>
#include <string.h>
#include "fill.h"
#include "handoff.h"

START_TEST(test_defaults_are_no_gates)
{
	struct tp_fill f;

	tp_fill_init(&f, 8, 0, 100);
	ck_assert_uint_eq(f.write_at, 0);
	ck_assert(tp_fill_may_take(&f, 1));
	ck_assert(!tp_fill_may_take(&f, 0));   /* nothing to take is no, as the ring says */
	ck_assert(tp_fill_may_take(&f, 1));    /* ... and no gate closed by it */
	ck_assert(tp_fill_may_get(&f, 8));     /* the ring alone says "none free" */
	ck_assert(tp_fill_may_get(&f, 7));
	ck_assert(!tp_fill_released(&f, 7));   /* nothing opened: the usual wake rules */
	ck_assert(!tp_fill_starved(&f));
	ck_assert(tp_fill_put(&f, 1));
	ck_assert(!tp_fill_filling(&f));
	ck_assert_int_eq(tp_fill_hold(&f), TP_HOLD_NONE);
	char buf[256];
	tp_fill_explain(&f, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_write_gate_opens_at_the_level)
{
	struct tp_fill f;

	tp_fill_init(&f, 8, 50, 100);
	ck_assert_uint_eq(f.write_at, 4);
	ck_assert(tp_fill_filling(&f));
	ck_assert_int_eq(tp_fill_hold(&f), TP_HOLD_FILLING);
	for (unsigned used = 1; used < 4; used++) {
		ck_assert(!tp_fill_put(&f, used));
		ck_assert(!tp_fill_may_take(&f, used));
	}
	ck_assert(tp_fill_put(&f, 4));         /* the 4th chunk: the writer may go */
	ck_assert(!tp_fill_filling(&f));
	ck_assert_int_eq(tp_fill_hold(&f), TP_HOLD_NONE);
	for (unsigned waiting = 4; waiting > 0; waiting--)
		ck_assert(tp_fill_may_take(&f, waiting));
	/* Taken everything, and more coming while it writes: it carries on. */
	ck_assert(tp_fill_put(&f, 5));
	ck_assert(tp_fill_may_take(&f, 1));
}
END_TEST

START_TEST(test_write_gate_closes_when_dry)
{
	struct tp_fill f;

	tp_fill_init(&f, 8, 50, 100);
	ck_assert(tp_fill_put(&f, 4));
	ck_assert(tp_fill_may_take(&f, 4));
	ck_assert(!tp_fill_may_take(&f, 0));   /* ran dry before the end */
	ck_assert(tp_fill_filling(&f));
	/* The ring drained meanwhile; it fills again from nothing to the level. */
	ck_assert(!tp_fill_put(&f, 1));
	ck_assert(!tp_fill_may_take(&f, 1));
	ck_assert(!tp_fill_put(&f, 3));
	ck_assert(tp_fill_put(&f, 4));
	ck_assert(tp_fill_may_take(&f, 3));
}
END_TEST

START_TEST(test_write_gate_counts_chunks_in_flight)
{
	struct tp_fill f;

	/* In use is filled and not yet given back: chunks still being written count. */
	tp_fill_init(&f, 8, 50, 100);
	ck_assert(tp_fill_put(&f, 4));
	ck_assert(!tp_fill_may_take(&f, 0));   /* all 4 taken, still in flight */
	ck_assert(tp_fill_put(&f, 5));         /* 4 in flight and 1 new: the level */
	ck_assert(tp_fill_may_take(&f, 1));
}
END_TEST

START_TEST(test_end_lets_everything_out)
{
	struct tp_fill f;

	tp_fill_init(&f, 8, 100, 100);
	ck_assert_uint_eq(f.write_at, 8);
	ck_assert(!tp_fill_put(&f, 2));
	ck_assert(!tp_fill_may_take(&f, 2));
	tp_fill_end(&f);                       /* a short input: it still goes out */
	ck_assert(!tp_fill_filling(&f));
	ck_assert_int_eq(tp_fill_hold(&f), TP_HOLD_NONE);
	ck_assert(tp_fill_may_take(&f, 2));
	ck_assert(tp_fill_may_take(&f, 1));
	ck_assert(!tp_fill_may_take(&f, 0));
	ck_assert(tp_fill_put(&f, 1));
}
END_TEST

START_TEST(test_write_levels_round_up)
{
	struct tp_fill f;

	tp_fill_init(&f, 8, 1, 100);
	ck_assert_uint_eq(f.write_at, 1);
	tp_fill_init(&f, 3, 50, 100);
	ck_assert_uint_eq(f.write_at, 2);      /* 1.5 chunks: two */
	tp_fill_init(&f, 3, 100, 100);
	ck_assert_uint_eq(f.write_at, 3);
	tp_fill_init(&f, 1000000, 100, 100);
	ck_assert_uint_eq(f.write_at, 1000000);
	tp_fill_init(&f, 8, 250, 250);         /* clamped */
	ck_assert_uint_eq(f.write_at, 8);
	ck_assert_uint_eq(f.read_below, 100);
}
END_TEST

START_TEST(test_read_gate_closes_full_opens_below)
{
	struct tp_fill f;

	tp_fill_init(&f, 8, 0, 50);
	ck_assert_uint_eq(f.read_at, 4);
	for (unsigned used = 0; used < 8; used++)
		ck_assert(tp_fill_may_get(&f, used));
	ck_assert(!tp_fill_may_get(&f, 8));    /* full: closed */
	ck_assert_int_eq(tp_fill_hold(&f), TP_HOLD_DRAINING);
	ck_assert(!tp_fill_read_open(&f));
	for (unsigned used = 7; used >= 4; used--) {
		ck_assert(!tp_fill_released(&f, used));
		ck_assert(!tp_fill_may_get(&f, used));   /* 4 of 8 is not below 50 % */
	}
	ck_assert(tp_fill_released(&f, 3));   /* opened: say so once */
	ck_assert(!tp_fill_released(&f, 2));
	ck_assert(tp_fill_may_get(&f, 2));
	ck_assert_int_eq(tp_fill_hold(&f), TP_HOLD_NONE);
	/* Open, it stays open as the ring fills, until full again. */
	ck_assert(tp_fill_may_get(&f, 7));
	ck_assert(!tp_fill_may_get(&f, 8));
}
END_TEST

START_TEST(test_read_below_zero_waits_for_empty)
{
	struct tp_fill f;

	tp_fill_init(&f, 4, 0, 0);
	ck_assert(!tp_fill_may_get(&f, 4));
	ck_assert(!tp_fill_released(&f, 1));
	ck_assert(tp_fill_released(&f, 0));
	ck_assert(tp_fill_may_get(&f, 0));
}
END_TEST

START_TEST(test_read_gate_opens_for_a_starved_writer)
{
	struct tp_fill f;

	/* --repeat: the writer keeps its last chunks for their copies and sleeps for more. */
	tp_fill_init(&f, 8, 0, 25);
	ck_assert(!tp_fill_may_get(&f, 8));
	ck_assert(!tp_fill_released(&f, 3));   /* 3 held: not below 2 */
	ck_assert(tp_fill_starved(&f));
	ck_assert(!tp_fill_starved(&f));       /* open already */
	ck_assert(tp_fill_may_get(&f, 3));
}
END_TEST

START_TEST(test_both_gates)
{
	struct tp_fill f;

	tp_fill_init(&f, 8, 75, 25);
	ck_assert_uint_eq(f.write_at, 6);
	ck_assert_uint_eq(f.read_at, 2);
	/* Fill: the writer waits to 6, the reader reads on to 8. */
	for (unsigned used = 1; used <= 5; used++) {
		ck_assert(tp_fill_may_get(&f, used - 1));
		ck_assert(!tp_fill_put(&f, used));
	}
	ck_assert(tp_fill_put(&f, 6));
	ck_assert(tp_fill_may_get(&f, 6));
	ck_assert(tp_fill_put(&f, 7));
	ck_assert(tp_fill_may_get(&f, 7));
	ck_assert(tp_fill_put(&f, 8));
	ck_assert(!tp_fill_may_get(&f, 8));
	ck_assert_int_eq(tp_fill_hold(&f), TP_HOLD_DRAINING);
	/* The writer drains; it runs dry at 2 in flight and the read gate is still closed. */
	ck_assert(tp_fill_may_take(&f, 1));
	ck_assert(!tp_fill_may_take(&f, 0));
	ck_assert_int_eq(tp_fill_hold(&f), TP_HOLD_DRAINING); /* the reader's wait is said */
	ck_assert(!tp_fill_released(&f, 2));
	ck_assert(tp_fill_released(&f, 1));
	ck_assert_int_eq(tp_fill_hold(&f), TP_HOLD_FILLING);
}
END_TEST

START_TEST(test_explain)
{
	struct tp_fill f;
	char buf[256];

	tp_fill_init(&f, 8, 50, 100);
	tp_fill_explain(&f, buf, sizeof(buf));
	ck_assert_str_eq(buf, "the writer starts once 4 of 8 chunks are full (--write-above=50)");
	tp_fill_init(&f, 8, 0, 50);
	tp_fill_explain(&f, buf, sizeof(buf));
	ck_assert_str_eq(buf, "once the ring is full, the reader waits until fewer than 4 of 8 "
			      "chunks are in use (--read-below=50)");
	tp_fill_init(&f, 8, 10, 0);
	tp_fill_explain(&f, buf, sizeof(buf));
	ck_assert_str_eq(buf, "the writer starts once 1 of 8 chunks are full (--write-above=10); "
			      "once the ring is full, the reader waits until it is empty "
			      "(--read-below=0)");
}
END_TEST

/* The hooks in the hand-off, one thread playing both sides (take without waiting). */
static bool woken(struct tp_handoff *h)
{
	struct pollfd pfd = { .fd = h->wake_fd, .events = POLLIN };
	bool yes = poll(&pfd, 1, 0) == 1;

	tp_handoff_clear_wake(h);
	return yes;
}

START_TEST(test_handoff_write_gate)
{
	struct tp_handoff h;
	struct tp_chunk *c, *taken[8];

	ck_assert_int_eq(tp_handoff_init(&h, 4096, 8, 0), 0);
	tp_handoff_set_fill(&h, 50, 100);
	ck_assert_int_eq(tp_handoff_hold(&h), TP_HOLD_FILLING);
	for (int i = 0; i < 3; i++) {
		tp_handoff_put(&h, tp_handoff_get_free(&h));
		ck_assert_int_eq(tp_handoff_take(&h, 0, false, &c), -EAGAIN);
	}
	/* Held back, the reader's partial chunk fills on (whole chunks count). */
	ck_assert(tp_handoff_writer_has_work(&h));
	tp_handoff_put(&h, tp_handoff_get_free(&h));
	ck_assert_int_eq(tp_handoff_hold(&h), TP_HOLD_NONE);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(tp_handoff_take(&h, 0, false, &taken[i]), 0);
	ck_assert_int_eq(tp_handoff_take(&h, 0, false, &c), -EAGAIN); /* dry: closed again */
	ck_assert_int_eq(tp_handoff_hold(&h), TP_HOLD_FILLING);
	for (int i = 0; i < 4; i++)
		tp_handoff_release(&h, 0, taken[i]);
	tp_handoff_put(&h, tp_handoff_get_free(&h));
	ck_assert_int_eq(tp_handoff_take(&h, 0, false, &c), -EAGAIN);
	tp_handoff_close(&h);                 /* the end: what is there goes */
	ck_assert_int_eq(tp_handoff_take(&h, 0, false, &c), 0);
	tp_handoff_release(&h, 0, c);
	ck_assert_int_eq(tp_handoff_take(&h, 0, false, &c), -ENODATA);
	tp_handoff_destroy(&h);
}
END_TEST

START_TEST(test_handoff_read_gate)
{
	struct tp_handoff h;
	struct tp_chunk *c, *taken[8];

	ck_assert_int_eq(tp_handoff_init(&h, 4096, 8, 0), 0);
	tp_handoff_set_fill(&h, 0, 50);
	while ((c = tp_handoff_get_free(&h)))
		tp_handoff_put(&h, c);
	ck_assert(h.reader_waiting);
	ck_assert_int_eq(tp_handoff_hold(&h), TP_HOLD_DRAINING);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(tp_handoff_take(&h, 0, false, &taken[i]), 0);
	ck_assert(!woken(&h));
	/* Two free is a quarter, which wakes a reader without the gate: not with it. */
	for (int i = 0; i < 4; i++) {
		tp_handoff_release(&h, 0, taken[i]);
		ck_assert(!woken(&h));
		ck_assert_ptr_null(tp_handoff_get_free(&h));
	}
	tp_handoff_release(&h, 0, taken[4]);     /* 3 of 8 in use: below 50 % */
	ck_assert(woken(&h));
	ck_assert_int_eq(tp_handoff_hold(&h), TP_HOLD_NONE);
	ck_assert_ptr_nonnull(tp_handoff_get_free(&h));
	tp_handoff_destroy(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fill");
	TCase *tc = tcase_create("gates");
	tcase_add_test(tc, test_defaults_are_no_gates);
	tcase_add_test(tc, test_write_gate_opens_at_the_level);
	tcase_add_test(tc, test_write_gate_closes_when_dry);
	tcase_add_test(tc, test_write_gate_counts_chunks_in_flight);
	tcase_add_test(tc, test_end_lets_everything_out);
	tcase_add_test(tc, test_write_levels_round_up);
	tcase_add_test(tc, test_read_gate_closes_full_opens_below);
	tcase_add_test(tc, test_read_below_zero_waits_for_empty);
	tcase_add_test(tc, test_read_gate_opens_for_a_starved_writer);
	tcase_add_test(tc, test_both_gates);
	tcase_add_test(tc, test_explain);
	suite_add_tcase(s, tc);
	tc = tcase_create("handoff");
	tcase_add_test(tc, test_handoff_write_gate);
	tcase_add_test(tc, test_handoff_read_gate);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
