/* The pacer under a fake clock: steady rates, idle gaps, stalls, rate changes. */
#include "config.h"

#include <check.h>
#include "unit.h"
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
	sim.now += 1 * S;                    /* the producer pauses for a second */
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
	/* A send that blocks for 300 us (well under a burst's lag) must be caught up no faster
	 * than the catch-up rate; a 50 ms stall must be forgiven, not repaid. */
	sim.now += 300000;
	sim_run(&sim, 500 * MS, 4096, 1000);
	sim.now += 50 * MS;
	sim_run(&sim, 500 * MS, 4096, 1000);
	double per_ms = (double)rate / 1000;
	double worst = (double)max_window(&sim, 1, 1600) / per_ms;
	ck_assert_msg(worst <= 1.5, "after stalls: fullest ms %.2fx", worst);
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
	tcase_add_test(tc, test_rate_change);
	tcase_add_test(tc, test_unlimited);
	tcase_add_test(tc, test_default_burst);
	tcase_add_test(tc, test_equal_pieces);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
