/* The pacer under a fake clock: steady rates, idle gaps, stalls, rate changes. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "pace.h"

#define MS 1000000ull
#define S 1000000000ull

/* Bytes sent in each 1 ms window of a simulated run. */
struct sim {
	struct tp_pacer pacer;
	uint64_t now;
	uint64_t *window;   /* bytes per ms since t = 0 */
	uint64_t n_windows;
	uint64_t sent;
	uint64_t wake_late;  /* each wake-up comes up to this many ns late (pseudo-random) */
	uint64_t seed;
};

static void sim_init(struct sim *sim, uint64_t rate, uint64_t burst, uint64_t seconds)
{
	sim->now = 0;
	sim->sent = 0;
	sim->wake_late = 0;
	sim->seed = 1;
	sim->n_windows = seconds * 1000 + 1;
	sim->window = calloc(sim->n_windows, sizeof(uint64_t));
	tp_pace_init(&sim->pacer, rate, burst ? burst : tp_pace_default_burst(rate, 4096), 0);
}

/* Nothing happens for `ns`: for want of input or a blocked output when `said` (the writer
 * tells the pacer), otherwise a late wake-up or a descheduled thread. */
static void sim_pause(struct sim *sim, uint64_t ns, bool said)
{
	if (said)
		tp_pace_forgive(&sim->pacer, sim->now, sim->now + ns);
	sim->now += ns;
}

/* Sent in [from_ms, to_ms) against what the rate allows in that time: the relative error. */
static double sim_error(const struct sim *sim, uint64_t from_ms, uint64_t to_ms)
{
	double got = 0;

	for (uint64_t i = from_ms; i < to_ms && i < sim->n_windows; i++)
		got += (double)sim->window[i];
	double want = (double)sim->pacer.rate * (double)(to_ms - from_ms) / 1000;
	return (got - want) / want;
}

/* Sends for `duration` ns of simulated time as fast as the pacer lets it, `piece` bytes at a
 * time (capped by max_send), each send taking `cost` ns. */
static void sim_run(struct sim *sim, uint64_t duration, uint64_t piece, uint64_t cost)
{
	uint64_t end = sim->now + duration;

	while (sim->now < end) {
		uint64_t when = tp_pace_when(&sim->pacer, sim->now);
		if (when > sim->now) {
			/* The caller sleeps to the absolute deadline, and tells the pacer when it
			 * really woke. */
			sim->now = when;
			if (sim->wake_late) {
				sim->seed = sim->seed * 6364136223846793005ull + 1442695040888963407ull;
				sim->now += (sim->seed >> 33) % sim->wake_late;
			}
		}
		if (sim->now >= end)
			break;
		uint64_t n = tp_pace_piece(&sim->pacer, piece);
		sim->window[sim->now / MS] += n;
		sim->sent += n;
		tp_pace_sent(&sim->pacer, sim->now, n);
		sim->now += cost;
	}
}

static uint64_t max_window(const struct sim *sim, uint64_t from_ms, uint64_t to_ms)
{
	uint64_t max = 0;

	for (uint64_t i = from_ms; i < to_ms && i < sim->n_windows; i++)
		if (sim->window[i] > max)
			max = sim->window[i];
	return max;
}

START_TEST(test_steady_rates)
{
	static const uint64_t rates[] = { 1000000, 20000000, 50000000, 200000000 };
	uint64_t rate = rates[_i];
	struct sim sim;

	sim_init(&sim, rate, 0, 2);
	sim_run(&sim, 2 * S, 1 << 20, 2000);
	double err = ((double)sim.sent - 2.0 * (double)rate) / (2.0 * (double)rate);
	ck_assert_msg(err > -0.005 && err < 0.005, "rate %llu: average off by %.3f %%",
		      (unsigned long long)rate, err * 100);
	/* Fullest 1 ms window at most 1.5x the per-ms amount (ignoring the first ms's burst);
	 * with the default burst it is at most two bursts, 1.4x, where a burst exceeds a page. */
	double per_ms = (double)rate / 1000;
	double worst = (double)max_window(&sim, 1, 2000) / per_ms;
	ck_assert_msg(worst <= 1.5 || rate < 4096 * 1000,
		      "rate %llu: fullest ms %.2fx", (unsigned long long)rate, worst);
	free(sim.window);
}
END_TEST

START_TEST(test_idle_is_not_a_burst)
{
	const uint64_t rate = 20000000;
	struct sim sim;

	sim_init(&sim, rate, 0, 4);
	sim_run(&sim, 1 * S, 1 << 20, 1000);
	sim_pause(&sim, 1 * S, true);        /* the producer pauses for a second */
	sim_run(&sim, 1 * S, 1 << 20, 1000);
	double per_ms = (double)rate / 1000;
	double worst = (double)max_window(&sim, 2000, 3000) / per_ms;
	ck_assert_msg(worst <= 2.0, "after idle: fullest ms %.2fx", worst);
	/* And the second has the rate's bytes, not the idle second's too. */
	double got = 0;
	for (uint64_t i = 2000; i < 3000; i++)
		got += (double)sim.window[i];
	ck_assert_msg(got < 1.01 * (double)rate, "after idle sent %.0f in 1 s", got);
	free(sim.window);
}
END_TEST

START_TEST(test_stall_catches_up_gently)
{
	const uint64_t rate = 20000000;
	struct sim sim;

	sim_init(&sim, rate, 0, 3);
	sim_run(&sim, 500 * MS, 4096, 1000);
	/* A 300 us late wake-up must be caught up no faster than the catch-up rate; a 50 ms
	 * stall of the output must be forgiven, not repaid: the 500 ms after it get the rate. */
	sim_pause(&sim, 300000, false);
	sim_run(&sim, 500 * MS, 4096, 1000);
	sim_pause(&sim, 50 * MS, true);
	uint64_t after = sim.now / MS + 1;
	sim_run(&sim, 500 * MS, 4096, 1000);
	double per_ms = (double)rate / 1000;
	double worst = (double)max_window(&sim, 1, 1600) / per_ms;
	ck_assert_msg(worst <= 1.5, "after stalls: fullest ms %.2fx", worst);
	double err = sim_error(&sim, after, after + 498);
	ck_assert_msg(err > -0.005 && err < 0.005, "after the stall: off by %.3f %%", err * 100);
	free(sim.window);
}
END_TEST

START_TEST(test_slow_sender_gets_full_rate)
{
	const uint64_t rate = 20000000;
	struct sim sim;

	/* Each send of 4 KiB costs 150 us (27 MB/s at most): the pacer must not lose time. */
	sim_init(&sim, rate, 0, 2);
	sim_run(&sim, 2 * S, 4096, 150000);
	double err = ((double)sim.sent - 2.0 * (double)rate) / (2.0 * (double)rate);
	ck_assert_msg(err > -0.01 && err < 0.005, "average off by %.3f %%", err * 100);
	free(sim.window);
}
END_TEST

START_TEST(test_late_wakeups_are_repaid)
{
	const uint64_t rate = 20000000;
	struct sim sim;

	/* After every 100 ms of sending a wake-up comes 2 ms late, as on a busy machine: the
	 * average must hold, and the repayment come at the catch-up rate, not as a burst. */
	sim_init(&sim, rate, 0, 3);
	while (sim.now < 2900 * MS) {
		sim_run(&sim, 100 * MS, 1 << 20, 1000);
		sim.now += 2 * MS;
	}
	double err = ((double)sim.sent - (double)rate * (double)sim.now / S) / ((double)rate * (double)sim.now / S);
	ck_assert_msg(err > -0.005 && err < 0.005, "average off by %.3f %%", err * 100);
	double worst = (double)max_window(&sim, 1, sim.now / MS) / ((double)rate / 1000);
	ck_assert_msg(worst <= 1.5, "fullest ms %.2fx", worst);
	free(sim.window);
}
END_TEST

START_TEST(test_every_wakeup_late)
{
	const uint64_t rate = 20000000;
	struct sim sim;

	/* On a VM every timer wake-up is late, here by 0-120 us: the catch-up must still keep
	 * the average (the schedule is absolute), and pieces must not bunch up. */
	sim_init(&sim, rate, 0, 3);
	sim.wake_late = 120000;
	sim_run(&sim, 3 * S, 1 << 20, 1000);
	double err = ((double)sim.sent - 3.0 * (double)rate) / (3.0 * (double)rate);
	ck_assert_msg(err > -0.005 && err < 0.005, "average off by %.3f %%", err * 100);
	double worst = (double)max_window(&sim, 1, 3000) / ((double)rate / 1000);
	ck_assert_msg(worst <= 1.5, "fullest ms %.2fx", worst);
	free(sim.window);
}
END_TEST

/* A thread descheduled for 50 or 200 ms (a busy machine) owes what it did not send: repaid
 * at the catch-up rate, so the average over the run holds, and never as a burst. */
START_TEST(test_long_deschedule_repaid)
{
	static const uint64_t gaps_ms[] = { 50, 200 };
	const uint64_t rate = 20000000;
	struct sim sim;

	sim_init(&sim, rate, 0, 4);
	sim_run(&sim, 500 * MS, 1 << 20, 1000);
	sim_pause(&sim, gaps_ms[_i] * MS, false);
	sim_run(&sim, 4 * S - sim.now, 1 << 20, 1000);
	double err = sim_error(&sim, 0, 4000);
	ck_assert_msg(err > -0.005 && err < 0.005, "gap %llu ms: average off by %.3f %%",
		      (unsigned long long)gaps_ms[_i], err * 100);
	double worst = (double)max_window(&sim, 1, 4000) / ((double)rate / 1000);
	ck_assert_msg(worst <= 1.5, "gap %llu ms: fullest ms %.2fx",
		      (unsigned long long)gaps_ms[_i], worst);
	free(sim.window);
}
END_TEST

/* Idle input or a blocked output, said, is forgiven exactly; the debt from a late wake-up
 * just before it is still repaid. */
START_TEST(test_forgive_keeps_older_debt)
{
	struct tp_pacer p;

	tp_pace_init(&p, 1000000, 1000, 0);           /* 1 byte per us */
	tp_pace_sent(&p, 0, 10000);                   /* due until 10 ms */
	tp_pace_forgive(&p, 2 * MS, 5 * MS);          /* ahead all the time: nothing to forgive */
	ck_assert_uint_eq(p.sched_ns, 10 * MS);
	tp_pace_forgive(&p, 8 * MS, 15 * MS);         /* late from 10 ms on: 5 ms forgiven */
	ck_assert_uint_eq(p.sched_ns, 15 * MS);
	tp_pace_forgive(&p, 20 * MS, 30 * MS);        /* 5 ms late before it: still owed */
	ck_assert_uint_eq(p.sched_ns, 25 * MS);
	tp_pace_forgive(&p, 30 * MS, 30 * MS);        /* an empty span changes nothing */
	ck_assert_uint_eq(p.sched_ns, 25 * MS);
}
END_TEST

/* A process stopped for 10 s owes at most TP_PACE_MAX_DEBT_NS of the rate after it. */
START_TEST(test_stopped_process_debt_capped)
{
	const uint64_t rate = 20000000;
	struct sim sim;

	sim_init(&sim, rate, 0, 17);
	sim_run(&sim, 1 * S, 1 << 20, 1000);
	sim_pause(&sim, 10 * S, false);
	uint64_t from = sim.now / MS;
	sim_run(&sim, 6 * S, 1 << 20, 1000);
	double err = sim_error(&sim, from, from + 6000);
	double cap = (double)TP_PACE_MAX_DEBT_NS / 1e9 / 6;   /* the debt over the 6 s */
	ck_assert_msg(err < cap + 0.005 && err > cap - 0.005, "after a stop: %.3f %% more (cap %.3f %%)",
		      err * 100, cap * 100);
	double worst = (double)max_window(&sim, from, from + 6000) / ((double)rate / 1000);
	ck_assert_msg(worst <= 1.5, "fullest ms %.2fx", worst);
	free(sim.window);
}
END_TEST

START_TEST(test_rate_change)
{
	struct sim sim;

	sim_init(&sim, 10000000, 0, 2);
	sim_run(&sim, 1 * S, 1 << 20, 1000);
	uint64_t first = sim.sent;
	tp_pace_init(&sim.pacer, 40000000, tp_pace_default_burst(40000000, 4096), sim.now);
	sim_run(&sim, 1 * S, 1 << 20, 1000);
	double second = (double)(sim.sent - first);
	ck_assert_msg(second > 0.995 * 40e6 && second < 1.005 * 40e6, "after change: %.0f", second);
	free(sim.window);
}
END_TEST

START_TEST(test_unlimited)
{
	struct tp_pacer p;

	tp_pace_init(&p, 0, 0, 5 * S);
	ck_assert_uint_eq(tp_pace_when(&p, 5 * S), 5 * S);
	tp_pace_sent(&p, 5 * S, 1ull << 40);
	ck_assert_uint_eq(tp_pace_when(&p, 5 * S), 5 * S);
	ck_assert_uint_eq(tp_pace_max_send(&p), UINT64_MAX);
}
END_TEST

START_TEST(test_equal_pieces)
{
	struct tp_pacer p;

	tp_pace_init(&p, 20000000, 14000, 0);
	ck_assert_uint_eq(tp_pace_piece(&p, 14000), 14000);   /* fits: one piece */
	ck_assert_uint_eq(tp_pace_piece(&p, 500), 500);
	ck_assert_uint_eq(tp_pace_piece(&p, 77824), 12971);   /* 6 pieces, not 5 + a stub */
	ck_assert_uint_le(tp_pace_piece(&p, 14001), 14000);
	ck_assert_uint_eq(tp_pace_piece(&p, 14001), 7001);
	for (uint64_t len = 1; len < 100000; len += 997) {
		uint64_t piece = tp_pace_piece(&p, len);
		uint64_t pieces = (len + piece - 1) / piece;
		ck_assert_uint_le(piece, 14000);
		ck_assert_uint_eq(pieces, (len + 13999) / 14000); /* no more sends than needed */
	}
	tp_pace_init(&p, 0, 0, 0);
	ck_assert_uint_eq(tp_pace_piece(&p, 1u << 20), 1u << 20); /* unpaced: whole */
}
END_TEST

START_TEST(test_default_burst)
{
	ck_assert_uint_eq(tp_pace_default_burst(1000000, 4096), 4096);       /* 700 B < a page */
	ck_assert_uint_eq(tp_pace_default_burst(100000000, 4096), 70000);    /* 700 us worth */
	ck_assert_uint_eq(tp_pace_default_burst(50000000, 65536), 65536);    /* one datagram */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pace");
	TCase *tc = tcase_create("fake clock");
	tcase_add_loop_test(tc, test_steady_rates, 0, 4);
	tcase_add_test(tc, test_idle_is_not_a_burst);
	tcase_add_test(tc, test_stall_catches_up_gently);
	tcase_add_test(tc, test_slow_sender_gets_full_rate);
	tcase_add_test(tc, test_late_wakeups_are_repaid);
	tcase_add_test(tc, test_every_wakeup_late);
	tcase_add_loop_test(tc, test_long_deschedule_repaid, 0, 2);
	tcase_add_test(tc, test_forgive_keeps_older_debt);
	tcase_add_test(tc, test_stopped_process_debt_capped);
	tcase_add_test(tc, test_rate_change);
	tcase_add_test(tc, test_unlimited);
	tcase_add_test(tc, test_default_burst);
	tcase_add_test(tc, test_equal_pieces);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
