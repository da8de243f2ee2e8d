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

/* Every send of a simulated run, and the bytes sent in each 1 ms bin. */
struct sim_send {
	uint64_t at, bytes;
};

struct sim {
	struct tp_pacer pacer;
	uint64_t now;
	uint64_t *window;   /* bytes per ms since t = 0 */
	uint64_t n_windows;
	struct sim_send *sends;
	size_t n_sends, cap_sends;
	uint64_t sent;
	uint64_t wake_late;  /* each wake-up comes up to this many ns late (pseudo-random) */
	uint64_t seed;
	bool repaid_at_debt_peak;  /* the pacer took TP_PACE_DEBT_PEAK at some point */
};

static uint64_t sim_random(struct sim *sim, uint64_t below)
{
	sim->seed = sim->seed * 6364136223846793005ull + 1442695040888963407ull;
	return below ? (sim->seed >> 33) % below : 0;
}

static void sim_init(struct sim *sim, uint64_t rate, uint64_t burst, uint64_t seconds)
{
	sim->now = 0;
	sim->sent = 0;
	sim->wake_late = 0;
	sim->seed = 1;
	sim->repaid_at_debt_peak = false;
	sim->n_windows = seconds * 1000 + 1;
	sim->window = calloc(sim->n_windows, sizeof(uint64_t));
	sim->n_sends = 0;
	sim->cap_sends = 1024;
	sim->sends = malloc(sim->cap_sends * sizeof(*sim->sends));
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

static void sim_free(struct sim *sim)
{
	free(sim->window);
	free(sim->sends);
}

/* Sends for `duration` ns of simulated time as fast as the pacer lets it, `piece` bytes at a
 * time (capped by max_send, and cut where the pacer says), each send taking `cost` ns. */
static void sim_run(struct sim *sim, uint64_t duration, uint64_t piece, uint64_t cost)
{
	uint64_t end = sim->now + duration;

	while (sim->now < end) {
		/* As the writer: equal pieces of the burst, or as much as the pacer allows while
		 * it catches up. */
		uint64_t max = tp_pace_max_send(&sim->pacer, sim->now), may;
		uint64_t n = max > sim->pacer.burst ? (max < piece ? max : piece)
						    : tp_pace_piece(&sim->pacer, piece);
		uint64_t when = tp_pace_when(&sim->pacer, sim->now, n, 1, &may);
		ck_assert_uint_le(may, n);
		ck_assert_uint_gt(may, 0);
		sim->repaid_at_debt_peak |= sim->pacer.repaying;
		if (when > sim->now) {
			/* The caller sleeps to the absolute deadline, and tells the pacer when it
			 * really woke. */
			sim->now = when + sim_random(sim, sim->wake_late);
		}
		if (sim->now >= end)
			break;
		n = may;
		sim->window[sim->now / MS] += n;
		sim->sent += n;
		if (sim->n_sends == sim->cap_sends) {
			sim->cap_sends *= 2;
			sim->sends = realloc(sim->sends, sim->cap_sends * sizeof(*sim->sends));
		}
		sim->sends[sim->n_sends++] = (struct sim_send){ sim->now, n };
		tp_pace_sent(&sim->pacer, sim->now, sim->now + cost, n, false);
		sim->now += cost;
	}
}

/* The most bytes sent in any 1 ms window [t, t + 1 ms), sliding (each send's time tried as
 * a start), over the sends from from_ns on; *largest gets the largest single send there. */
static uint64_t sliding_max(const struct sim *sim, uint64_t from_ns, uint64_t *largest)
{
	uint64_t max = 0, in = 0;
	size_t j = 0;

	*largest = 0;
	for (size_t i = 0; i < sim->n_sends; i++) {
		if (sim->sends[i].at < from_ns)
			continue;
		if (j < i)
			j = i, in = 0;
		if (sim->sends[i].bytes > *largest)
			*largest = sim->sends[i].bytes;
		while (j < sim->n_sends && sim->sends[j].at < sim->sends[i].at + MS)
			in += sim->sends[j++].bytes;
		if (in > max)
			max = in;
		in -= sim->sends[i].bytes;
	}
	return max;
}

/* The window rule holds from from_ns on: no 1 ms window has more than `peak` times the
 * rate's share (TP_PACE_PEAK, or TP_PACE_DEBT_PEAK where a run owes more than
 * TP_PACE_DEBT_NS), unless it holds one send alone that is larger than that. */
static void assert_window(const struct sim *sim, uint64_t from_ns, double peak, const char *what)
{
	uint64_t largest;
	uint64_t max = sliding_max(sim, from_ns, &largest);
	double share = (double)sim->pacer.rate / 1000;

	ck_assert_msg((double)max <= peak * share + 1 || max == largest,
		      "%s: fullest 1 ms window %.3fx the rate", what, (double)max / share);
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
	/* No 1 ms window over TP_PACE_PEAK x the rate (or one send alone, at 1 MB/s a page). */
	assert_window(&sim, 0, TP_PACE_PEAK, "steady");
	sim_free(&sim);
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
	assert_window(&sim, 0, TP_PACE_PEAK, "after idle");
	/* And the second has the rate's bytes, not the idle second's too. */
	double got = 0;
	for (uint64_t i = 2000; i < 3000; i++)
		got += (double)sim.window[i];
	ck_assert_msg(got < 1.01 * (double)rate, "after idle sent %.0f in 1 s", got);
	sim_free(&sim);
}
END_TEST

START_TEST(test_stall_catches_up_gently)
{
	const uint64_t rate = 20000000;
	struct sim sim;

	sim_init(&sim, rate, 0, 3);
	sim_run(&sim, 500 * MS, 4096, 1000);
	/* A 300 us late wake-up must be caught up within the window rule; a 50 ms
	 * stall of the output must be forgiven, not repaid: the 500 ms after it get the rate. */
	sim_pause(&sim, 300000, false);
	sim_run(&sim, 500 * MS, 4096, 1000);
	sim_pause(&sim, 50 * MS, true);
	uint64_t after = sim.now / MS + 1;
	sim_run(&sim, 500 * MS, 4096, 1000);
	assert_window(&sim, 0, TP_PACE_PEAK, "after stalls");
	double err = sim_error(&sim, after, after + 498);
	ck_assert_msg(err > -0.005 && err < 0.005, "after the stall: off by %.3f %%", err * 100);
	sim_free(&sim);
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
	sim_free(&sim);
}
END_TEST

START_TEST(test_late_wakeups_are_repaid)
{
	const uint64_t rate = 20000000;
	struct sim sim;

	/* After every 100 ms of sending a wake-up comes 2 ms late, as on a busy machine: the
	 * average must hold, and the repayment stay within the window rule, not come as a burst. */
	sim_init(&sim, rate, 0, 3);
	while (sim.now < 2900 * MS) {
		sim_run(&sim, 100 * MS, 1 << 20, 1000);
		sim.now += 2 * MS;
	}
	double err = ((double)sim.sent - (double)rate * (double)sim.now / S) / ((double)rate * (double)sim.now / S);
	ck_assert_msg(err > -0.005 && err < 0.005, "average off by %.3f %%", err * 100);
	assert_window(&sim, 0, TP_PACE_PEAK, "late");
	sim_free(&sim);
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
	assert_window(&sim, 0, TP_PACE_PEAK, "late");
	sim_free(&sim);
}
END_TEST

/* A quiet machine's hiccup (the writer held off 120 ms while the producer and the reader
 * fill the ring at the start) is repaid within 1.25 times the rate: it takes longer than
 * TP_PACE_TREND_NS, but the debt shrinks from the first. */
START_TEST(test_quiet_hiccup_within_peak)
{
	const uint64_t rate = 20000000;
	struct sim sim;

	sim_init(&sim, rate, 0, 2);
	sim.wake_late = 20000;
	sim_run(&sim, 20 * MS, 1 << 20, 15000);
	sim_pause(&sim, 120 * MS, false);
	sim_run(&sim, 1 * S - sim.now, 1 << 20, 15000);
	ck_assert(!sim.repaid_at_debt_peak);
	double err = sim_error(&sim, 0, 1000);
	ck_assert_msg(err > -0.003 && err < 0.003, "average off by %.3f %%", err * 100);
	assert_window(&sim, 0, TP_PACE_PEAK, "after a hiccup");
	sim_free(&sim);
}
END_TEST

/* On a busy machine every wake-up comes up to 600 us late: at 1.25 times the share the
 * window frees too seldom to repay, so the lasting debt gets TP_PACE_DEBT_PEAK, and the
 * average holds. */
START_TEST(test_busy_machine_repays_at_debt_peak)
{
	const uint64_t rate = 20000000;
	struct sim sim;

	sim_init(&sim, rate, 0, 4);
	sim.wake_late = 600000;
	sim_run(&sim, 4 * S, 1 << 20, 30000);
	ck_assert(sim.repaid_at_debt_peak);
	double err = sim_error(&sim, 0, 4000);
	ck_assert_msg(err > -0.005 && err < 0.005, "average off by %.3f %%", err * 100);
	assert_window(&sim, 0, TP_PACE_DEBT_PEAK, "busy");
	sim_free(&sim);
}
END_TEST

/* A thread descheduled for 50 or 200 ms (a busy machine) owes what it did not send: repaid
 * within the window rule, so the average over the run holds, and never as a burst. */
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
	assert_window(&sim, 0, TP_PACE_DEBT_PEAK, "after a long deschedule");
	sim_free(&sim);
}
END_TEST

/* Idle input or a blocked output, said, is forgiven exactly; the debt from a late wake-up
 * just before it is still repaid. */
START_TEST(test_forgive_keeps_older_debt)
{
	struct tp_pacer p;

	tp_pace_init(&p, 1000000, 1000, 0);           /* 1 byte per us */
	tp_pace_sent(&p, 0, 0, 10000, false);                   /* due until 10 ms */
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
	assert_window(&sim, 0, TP_PACE_DEBT_PEAK, "after a stop");
	sim_free(&sim);
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
	sim_free(&sim);
}
END_TEST

START_TEST(test_unlimited)
{
	struct tp_pacer p;

	tp_pace_init(&p, 0, 0, 5 * S);
	uint64_t may;
	ck_assert_uint_eq(tp_pace_when(&p, 5 * S, 1u << 20, 1, &may), 5 * S);
	ck_assert_uint_eq(may, 1u << 20);
	tp_pace_sent(&p, 5 * S, 5 * S, 1ull << 40, false);
	ck_assert_uint_eq(tp_pace_when(&p, 5 * S, 1u << 20, 1, &may), 5 * S);
	ck_assert_uint_eq(tp_pace_max_send(&p, 5 * S), UINT64_MAX);
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
	ck_assert_uint_eq(tp_pace_default_burst(1000000, 4096), 4096);       /* 1200 B < a page */
	ck_assert_uint_eq(tp_pace_default_burst(100000000, 4096), 120000);   /* 1.2 ms worth */
	ck_assert_uint_eq(tp_pace_default_burst(50000000, 65536), 65536);    /* one datagram */
}
END_TEST

/* Pieces of every size, wake-ups late by up to 120 us (a VM), sends that take up to 80 us,
 * deschedules of up to 2 ms: no 1 ms window ever holds more than TP_PACE_DEBT_PEAK x the
 * rate (the debt from the deschedules passes TP_PACE_DEBT_NS at times), and the average
 * still holds. */
START_TEST(test_window_never_over_peak)
{
	static const uint64_t pieces[] = { 1500, 9000, 18000, 22000, 24000, 26000, 60000 };
	const uint64_t rate = 20000000;
	struct sim sim;

	sim_init(&sim, rate, pieces[_i], 6);
	sim.wake_late = 120000;
	sim.seed = 7 + _i;
	while (sim.now < 5 * S) {
		sim_run(&sim, 50 * MS + sim_random(&sim, 100 * MS), 1 << 20, sim_random(&sim, 80000));
		sim_pause(&sim, sim_random(&sim, 2 * MS), false);
	}
	sim_run(&sim, 200 * MS, 1 << 20, 1000);        /* time to repay the last pause */
	assert_window(&sim, 0, TP_PACE_DEBT_PEAK, "random");
	double err = sim_error(&sim, 0, sim.now / MS);
	ck_assert_msg(err > -0.005 && err < 0.005, "burst %llu: average off by %.3f %%",
		      (unsigned long long)pieces[_i], err * 100);
	sim_free(&sim);
}
END_TEST

/* Pieces of 0.9 ms could go only one a window whole, slower than the rate: cut to the room
 * left, they still repay a 100 ms deschedule, at up to TP_PACE_DEBT_PEAK x the rate. */
START_TEST(test_cut_pieces_repay)
{
	const uint64_t rate = 20000000;
	struct sim sim;

	sim_init(&sim, rate, 18000, 3);
	sim_run(&sim, 200 * MS, 1 << 20, 1000);
	sim_pause(&sim, 100 * MS, false);
	uint64_t from = sim.now;
	sim_run(&sim, 3 * S - sim.now, 1 << 20, 1000);
	double err = sim_error(&sim, 0, 3000);
	ck_assert_msg(err > -0.005 && err < 0.005, "average off by %.3f %%", err * 100);
	/* Repaid within 100 ms / (TP_PACE_PEAK - 1) = 400 ms at the most: the 100 ms after
	 * that get the rate, not more. */
	double after = sim_error(&sim, from / MS + 500, from / MS + 600);
	ck_assert_msg(after > -0.01 && after < 0.01, "after repaying: off by %.3f %%", after * 100);
	assert_window(&sim, 0, TP_PACE_DEBT_PEAK, "repaying");
	sim_free(&sim);
}
END_TEST

/* A send larger than the window's share (a serial line's 10 ms burst, a big datagram) goes
 * whole and alone in its window; cut sends are whole datagrams. */
START_TEST(test_window_units)
{
	struct tp_pacer p;
	uint64_t may;

	tp_pace_init(&p, 11520, 115, 0);                    /* 115200 baud: cap 14 bytes */
	ck_assert_uint_eq(tp_pace_when(&p, 0, 115, 1, &may), 0);
	ck_assert_uint_eq(may, 115);
	tp_pace_sent(&p, 0, 0, 115, false);
	uint64_t when = tp_pace_when(&p, 0, 115, 1, &may);
	ck_assert_uint_eq(may, 115);                         /* not cut into 14-byte slivers */
	ck_assert_uint_ge(when, 115 * S / 11520 - 1);        /* by the schedule, ~10 ms */

	/* Behind the schedule (by more than TP_PACE_BEHIND_NS), a send that does not fit is cut
	 * to the room, if that is at least half the cap. */
	tp_pace_init(&p, 20000000, 24000, 0);               /* cap 25000 bytes a window */
	tp_pace_sent(&p, 0, 0, 14720, false);                 /* due until 736 us */
	when = tp_pace_when(&p, 10 * MS, 20000, 1472, &may);
	ck_assert_uint_eq(when, 10 * MS);                    /* the first send is out of the window */
	ck_assert_uint_eq(may, 20000);
	tp_pace_sent(&p, 10 * MS, 10 * MS, 7360, false);
	ck_assert_uint_eq(tp_pace_max_send(&p, 10 * MS), 25000); /* catching up: up to the cap */
	when = tp_pace_when(&p, 10 * MS, 25000, 1472, &may);
	ck_assert_uint_eq(when, 10 * MS);                    /* 17640 bytes of room: cut */
	ck_assert_uint_eq(may, 11 * 1472);
	tp_pace_sent(&p, 10 * MS, 10 * MS, may, false);
	when = tp_pace_when(&p, 10 * MS, 20000, 1472, &may);
	ck_assert_uint_eq(when, 11 * MS);                    /* 1448 left: not worth it, wait */
	ck_assert_uint_eq(may, 20000);
	tp_pace_sent(&p, 11 * MS, 11 * MS, 14720, false);
	when = tp_pace_when(&p, 11 * MS, 20000, 1472, &may);
	ck_assert_uint_eq(when, 12 * MS);                    /* 10280 left, under half: wait */

	/* On the schedule, a send waits until it fits whole: no burst split in two. */
	tp_pace_init(&p, 20000000, 24000, 0);
	ck_assert_uint_eq(tp_pace_max_send(&p, 0), 24000);
	tp_pace_sent(&p, 0, 0, 14720, false);                 /* due until 736 us */
	when = tp_pace_when(&p, 736000, 14720, 1472, &may);
	ck_assert_uint_eq(when, 1 * MS);                     /* 10280 of room at 736 us: wait */
	ck_assert_uint_eq(may, 14720);
	ck_assert_uint_eq(tp_pace_max_send(&p, 1 * MS), 24000); /* 264 us late: not behind */

	/* A send counts from when it returned: its last bytes may have left only then. */
	tp_pace_init(&p, 20000000, 100000, 0);
	tp_pace_sent(&p, 0, 300000, 23552, false);
	ck_assert_uint_eq(tp_pace_when(&p, 1200000, 23552, 1472, &may), 1300000);

	/* A debt over TP_PACE_DEBT_NS that is not shrinking (a look TP_PACE_TREND_NS after the
	 * first) gets 1.5 times the share: 30000. */
	tp_pace_init(&p, 20000000, 24000, 0);
	tp_pace_sent(&p, 0, 0, 14720, false);
	when = tp_pace_when(&p, 50 * MS, 20000, 1472, &may);  /* 49.3 ms owed: the first look */
	ck_assert(!p.repaying);
	ck_assert_uint_eq(when, 50 * MS);
	uint64_t later = 50 * MS + TP_PACE_TREND_NS;
	when = tp_pace_when(&p, later, 20000, 1472, &may);     /* nothing sent: 299.3 ms owed */
	ck_assert(p.repaying);
	ck_assert_uint_eq(tp_pace_max_send(&p, later), 30000);
	ck_assert_uint_eq(when, later);
	ck_assert_uint_eq(may, 20000);
	tp_pace_sent(&p, later, later, 20000, false);
	when = tp_pace_when(&p, later, 20000, 1472, &may);
	ck_assert_uint_eq(when, later + MS);                 /* 10000 left, under half: wait */
	/* Back under TP_PACE_SETTLED_NS, 1.25 again. */
	p.sched_ns = later + 2 * MS;
	tp_pace_when(&p, later + 3 * MS, 20000, 1472, &may);
	ck_assert(!p.repaying);
	ck_assert_uint_eq(p.trend_at_ns, 0);

	/* A debt that shrank since the last look (repaid at 1.25) stays at 1.25. */
	tp_pace_init(&p, 20000000, 24000, 0);
	tp_pace_sent(&p, 0, 0, 14720, false);
	tp_pace_when(&p, 50 * MS, 20000, 1472, &may);          /* 49.3 ms owed */
	tp_pace_sent(&p, 100 * MS, 100 * MS, 5100000, false);  /* 255 ms of the rate */
	tp_pace_when(&p, later, 20000, 1472, &may);            /* 44.3 ms owed */
	ck_assert(!p.repaying);
	ck_assert_uint_eq(tp_pace_max_send(&p, later), 25000);
}
END_TEST

/* A write that slept (a blocked output) forgives only the time it took beyond its bytes'
 * time at the rate: a consumer slower than the rate is not owed, a write larger than the
 * pipe that still kept up is no excuse, and a write that did not sleep forgives nothing. */
START_TEST(test_blocked_write_forgives_overrun)
{
	struct tp_pacer p;

	tp_pace_init(&p, 1000000, 100000, 0);                 /* 1 byte per us */
	tp_pace_sent(&p, 5 * MS, 5300 * 1000ull, 1000, true); /* 5 ms behind, 0.3 ms for 1 ms */
	ck_assert_uint_eq(p.sched_ns, 1 * MS);                /* nothing forgiven: still owed */
	tp_pace_sent(&p, 6 * MS, 9 * MS, 1000, true);         /* 3 ms for 1 ms: 2 ms forgiven */
	ck_assert_uint_eq(p.sched_ns, 4 * MS);
	tp_pace_sent(&p, 9 * MS, 12 * MS, 1000, false);       /* slow, not blocked: owed */
	ck_assert_uint_eq(p.sched_ns, 5 * MS);

	tp_pace_init(&p, 1000000, 100000, 0);
	tp_pace_sent(&p, 0, 4 * MS, 1000, true);              /* on time, 3 ms over: forgiven */
	ck_assert_uint_eq(p.sched_ns, 4 * MS);
	uint64_t may;
	ck_assert_uint_eq(tp_pace_when(&p, 4 * MS, 250, 1, &may), 4 * MS); /* 250 of room */
}
END_TEST

/* -R: a rate changed behind the schedule carries no debt across (no catch-up at the new rate
 * for what the old one owed), and the new rate holds from then on. */
START_TEST(test_set_rate_drops_debt)
{
	struct sim sim;

	sim_init(&sim, 200000, 0, 3);
	sim_run(&sim, 1 * S, 1 << 20, 1000);
	sim_pause(&sim, 300 * MS, false); /* owed: a late wake-up, repaid if nothing changes */
	uint64_t now = sim.now, may;
	tp_pace_set_rate(&sim.pacer, 20000000, tp_pace_default_burst(20000000, 4096), now);
	/* Not behind: the first send goes at once, one burst, not the window's catch-up. */
	ck_assert_uint_eq(tp_pace_when(&sim.pacer, now, sim.pacer.burst, 1, &may), now);
	ck_assert_uint_eq(tp_pace_max_send(&sim.pacer, now), sim.pacer.burst);
	uint64_t before = sim.sent;
	sim_run(&sim, 1 * S, 1 << 20, 1000);
	double got = (double)(sim.sent - before);
	ck_assert_msg(got > 0.995 * 20e6 && got < 1.005 * 20e6, "after the change: %.0f", got);
	sim_free(&sim);
}
END_TEST

/* Bytes sent ahead of the schedule stay ahead, their time at the new rate: a burst that just
 * left is not followed by another at once (no burst), nor waited out at the old rate (no
 * stall). */
START_TEST(test_set_rate_keeps_ahead)
{
	static const uint64_t to[] = { 2000000, 500000 };

	for (unsigned i = 0; i < 2; i++) {
		struct tp_pacer p;
		uint64_t may, t = 10 * S;
		tp_pace_init(&p, 1000000, 12000, t);
		ck_assert_uint_eq(tp_pace_when(&p, t, 12000, 1, &may), t);
		tp_pace_sent(&p, t, t, 12000, false); /* due until t + 12 ms at 1 MB/s */
		tp_pace_set_rate(&p, to[i], 12000, t);
		uint64_t want = t + 12000 * S / to[i]; /* 6 ms or 24 ms */
		uint64_t when = tp_pace_when(&p, t, 12000, 1, &may);
		ck_assert_msg(when + 1000 >= want && when <= want + 1000, "to %llu: %llu, want %llu",
			      (unsigned long long)to[i], (unsigned long long)when,
			      (unsigned long long)want);
	}
}
END_TEST

/* From unlimited to paced (a tpipe started without -L) and back. */
START_TEST(test_set_rate_from_and_to_unlimited)
{
	struct tp_pacer p;
	uint64_t may, t = 3 * S;

	tp_pace_init(&p, 0, 0, 0);
	tp_pace_sent(&p, t - 1000, t, 1u << 20, false);
	tp_pace_set_rate(&p, 1000000, 4096, t);
	ck_assert_uint_eq(p.window_cap, 1250);
	ck_assert_uint_eq(tp_pace_when(&p, t, 4096, 1, &may), t);
	ck_assert_uint_eq(may, 4096);
	tp_pace_sent(&p, t, t, 4096, false);
	uint64_t next = tp_pace_when(&p, t, 4096, 1, &may);
	ck_assert_uint_ge(next, t + 4096 * S / 1000000 - 1000);
	tp_pace_set_rate(&p, 0, 0, t);
	ck_assert_uint_eq(tp_pace_when(&p, t, 1u << 20, 1, &may), t);
	ck_assert_uint_eq(tp_pace_max_send(&p, t), UINT64_MAX);
}
END_TEST

/* A change down with the window full of the old rate's bytes waits for them to leave it:
 * no millisecond carries more than the old send and nothing of the new rate's. */
START_TEST(test_set_rate_down_window)
{
	struct sim sim;

	sim_init(&sim, 20000000, 0, 3);
	sim_run(&sim, 500 * MS, 1 << 20, 1000);
	tp_pace_set_rate(&sim.pacer, 200000, tp_pace_default_burst(200000, 4096), sim.now);
	uint64_t from = sim.now, before = sim.sent, largest;
	sim_run(&sim, 2 * S, 1 << 20, 1000);
	/* Past the first window, which the last old burst may share: only page bursts. */
	ck_assert_uint_le(sliding_max(&sim, from + MS, &largest), 4096);
	/* 2 s at 200 kB/s, less the old burst that was ahead (24 kB: 120 ms at the new rate):
	 * neither a burst nor a stall. */
	uint64_t got = sim.sent - before;
	ck_assert_msg(got >= 360000 && got <= 400000 + 4096, "after the change: %llu",
		      (unsigned long long)got);
	sim_free(&sim);
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
	tcase_add_test(tc, test_quiet_hiccup_within_peak);
	tcase_add_test(tc, test_busy_machine_repays_at_debt_peak);
	tcase_add_test(tc, test_every_wakeup_late);
	tcase_add_loop_test(tc, test_long_deschedule_repaid, 0, 2);
	tcase_add_test(tc, test_forgive_keeps_older_debt);
	tcase_add_test(tc, test_stopped_process_debt_capped);
	tcase_add_test(tc, test_rate_change);
	tcase_add_test(tc, test_set_rate_drops_debt);
	tcase_add_test(tc, test_set_rate_keeps_ahead);
	tcase_add_test(tc, test_set_rate_from_and_to_unlimited);
	tcase_add_test(tc, test_set_rate_down_window);
	tcase_add_test(tc, test_unlimited);
	tcase_add_test(tc, test_default_burst);
	tcase_add_test(tc, test_equal_pieces);
	tcase_add_loop_test(tc, test_window_never_over_peak, 0, 7);
	tcase_add_test(tc, test_cut_pieces_repay);
	tcase_add_test(tc, test_window_units);
	tcase_add_test(tc, test_blocked_write_forgives_overrun);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
