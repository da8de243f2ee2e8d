/* The wake-up lead: it learns how late sleeps end, and never asks for a sleep into the past
 * or past the time wanted. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <stdint.h>
#include "wake.h"

static uint64_t seed = 1;

static uint64_t pseudo_random(uint64_t below)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return (seed >> 33) % below;
}

/* Sleeps that end 60-80 us late (as on the VMs we measure on): the lead settles near the
 * fifth of that (64 us), so about one wake-up in five comes before the time wanted. */
START_TEST(test_learns_lateness)
{
	struct tp_wake w;
	unsigned early = 0;

	tp_wake_init(&w);
	ck_assert_uint_eq(w.lead_ns, 0);
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t now = (uint64_t)i * 1000000, want = now + 900000;
		uint64_t target = tp_wake_target(&w, now, want);
		uint64_t woke = target + 60000 + pseudo_random(20000);
		tp_wake_woke(&w, target, woke);
		if (i >= 10000 && woke < want)
			early++;
	}
	ck_assert_uint_ge(w.lead_ns, 58000);
	ck_assert_uint_le(w.lead_ns, 70000);
	ck_assert_uint_ge(early, 1000);   /* about 2000 of 10000 */
	ck_assert_uint_le(early, 3000);
}
END_TEST

/* Sleeps that start ending on time again (a quieter machine) bring the lead back down. */
START_TEST(test_forgets_lateness)
{
	struct tp_wake w = { .lead_ns = 150000 };

	for (unsigned i = 0; i < 1000; i++)
		tp_wake_woke(&w, 1000000, 1000000 + 5000);
	ck_assert_uint_le(w.lead_ns, 8000);
	for (unsigned i = 0; i < 1000; i++)
		tp_wake_woke(&w, 1000000, 1000000);
	ck_assert_uint_le(w.lead_ns, 4000);
}
END_TEST

/* Very late wake-ups (a busy machine) raise the lead only to TP_WAKE_MAX_LEAD_NS: the caller
 * never waits out more than that on the clock. */
START_TEST(test_lead_bounded)
{
	struct tp_wake w;

	tp_wake_init(&w);
	for (unsigned i = 0; i < 100000; i++)
		tp_wake_woke(&w, 1000000, 1000000 + 5000000);
	ck_assert_uint_eq(w.lead_ns, TP_WAKE_MAX_LEAD_NS);
}
END_TEST

/* The target is the time wanted less the lead, never before now and never after the time
 * wanted. */
START_TEST(test_target)
{
	struct tp_wake w = { .lead_ns = 70000 };

	ck_assert_uint_eq(tp_wake_target(&w, 0, 1000000), 930000);
	ck_assert_uint_eq(tp_wake_target(&w, 950000, 1000000), 950000);  /* less left than the lead */
	ck_assert_uint_eq(tp_wake_target(&w, 930000, 1000000), 930000);  /* just the lead left */
	w.lead_ns = 0;
	ck_assert_uint_eq(tp_wake_target(&w, 999999, 1000000), 1000000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wake");
	TCase *tc = tcase_create("lead");
	tcase_add_test(tc, test_learns_lateness);
	tcase_add_test(tc, test_forgets_lateness);
	tcase_add_test(tc, test_lead_bounded);
	tcase_add_test(tc, test_target);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
