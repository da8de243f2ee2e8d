/* The pacer: decides when the next bytes may leave, to hold a rate smoothly.
 * Pure: the caller passes the time (CLOCK_MONOTONIC nanoseconds) and does the sleeping, so
 * the schedule is tested with a fake clock.
 *
 * Two rules, and a send waits for both:
 *  - The schedule: sending n bytes moves it n / rate later, against an absolute clock (as
 *    spead2's sender does). A send may start once the bytes before it are due.
 *  - The window: the sends in any TP_PACE_WINDOW_NS (1 ms), each counted from when its
 *    write returned, carry at most TP_PACE_PEAK times the rate's share of it, so no
 *    millisecond of the output holds more than a link of 1.25 times the rate can take
 *    (TP_PACE_DEBT_PEAK while a large debt is not shrinking). When behind, this is what
 *    limits the catch-up: more than TP_PACE_BEHIND_NS behind, a send may fill the room
 *    left and is cut to it; larger than the whole share (a big datagram, a large --burst),
 *    it goes alone in its window.
 *
 * Lateness has three causes, and only one is a debt. The input had nothing to send
 * (tp_pace_forgive), or the output was slower than the rate (a write that blocked, said to
 * tp_pace_sent): that lateness is forgiven, so idle time never turns into a burst and a
 * stall is not repaid. Anything else (a timer that woke late, the thread descheduled on a
 * busy machine) is repaid as fast as the window lets, so the average holds whatever the
 * scheduler does; only a debt older than TP_PACE_MAX_DEBT_NS (a stopped process) is
 * forgiven too. */
#ifndef TP_PACE_H
#define TP_PACE_H

#include <stdbool.h>
#include <stdint.h>

/* The window rule: in any 1 ms, at most 1.25 times the rate's share. */
#define TP_PACE_WINDOW_NS 1000000u
#define TP_PACE_PEAK 1.25
/* Behind the schedule by more than this, the pacer catches up: a send may be as large as
 * the window's room (not just the burst), and one that does not fit is cut to the room, if
 * that is at least half the cap. On the schedule it waits until the whole burst fits:
 * cutting there split every burst in two (two wake-ups for one burst's bytes, for nothing). */
#define TP_PACE_BEHIND_NS 1000000u
/* A window that frees each 1 ms is reused every 1 ms + the wake-up's lateness + the send
 * (10-30 us here, with tp_wake), so at 1.25 the pacer repays at about 1.15 times the rate:
 * enough for the hiccups of a quiet machine (10-40 ms owed in the first 100 ms, while the
 * producer and the reader fill the ring flat out), not for a busy one, where the writer
 * wakes ms late and falls further behind at any cap below 1.3. A debt of more than
 * TP_PACE_DEBT_NS that is not shrinking (looked at every TP_PACE_TREND_NS: still within
 * TP_PACE_SETTLED_NS of the most it was since the last look) gets TP_PACE_DEBT_PEAK until
 * less than TP_PACE_SETTLED_NS is owed. A debt that merely lasts is not the sign: the start
 * of a quiet run at 100 MB/s owes up to 50 ms at 130 ms and repays it by about 500 ms, and
 * a rule of 1.5 once a debt had lasted 500 ms let 1 run in 3 reach 1.5x there. (1.35 was
 * not enough at 5 MB/s, where a window's share is four datagrams and 1.35 does not make
 * room for a fifth.) */
#define TP_PACE_DEBT_PEAK 1.5
#define TP_PACE_DEBT_NS 5000000u
#define TP_PACE_SETTLED_NS 2000000u
#define TP_PACE_TREND_NS 250000000u
/* Lateness nobody explained is repaid up to this much (or one burst, if longer): a late
 * wake-up or a descheduled thread must not cost the average. A process stopped longer
 * (SIGSTOP, a suspended VM) is not made to send faster for minutes after. */
#define TP_PACE_MAX_DEBT_NS 1000000000u
/* Default burst: 1.2 ms of the rate, one send per window. Every send after a sleep costs a
 * timer wake-up, 20-27 us of CPU on the virtual machines we measure on, so the burst sets
 * what pacing costs: 700 us bursts took 4-6 % of a core at 20 MB/s, 1.2 ms 3-3.6 %. Any
 * burst shorter than the window puts two sends in some windows (1.4x the rate at 700 us) or
 * cuts them to fit; at 1.2 ms every window holds one send at the pace, with 0.2 ms to spare
 * for a late wake-up. */
#define TP_PACE_BURST_NS 1200000u
/* Sends remembered for the window rule; more in one window merge into the oldest. */
#define TP_PACE_RECENT 16

struct tp_pace_send {
	uint64_t end_ns;      /* when the write returned: all its bytes had left */
	uint64_t bytes;
};

struct tp_pacer {
	uint64_t rate;        /* bytes per second; 0 = unlimited */
	uint64_t burst;       /* the most bytes in one send */
	uint64_t window_cap;  /* the most bytes sends may carry in one window */
	uint64_t debt_cap;    /* the same while `repaying` */
	uint64_t sched_ns;    /* when the bytes sent so far were due, at exactly `rate` */
	/* The last sends, oldest first from recent[first], as a ring of n_recent. */
	struct tp_pace_send recent[TP_PACE_RECENT];
	unsigned first, n_recent;
	bool repaying;        /* a debt was not shrinking: the debt cap holds */
	/* While more than TP_PACE_SETTLED_NS is owed: when this look at the debt began (0:
	 * not late), and the most owed since. */
	uint64_t trend_at_ns, trend_max_ns;
};

/* The default burst for a rate: about TP_PACE_BURST_NS worth, at least min_burst (a page,
 * or one datagram). */
uint64_t tp_pace_default_burst(uint64_t rate, uint64_t min_burst);

/* Starts a schedule at now_ns; calling it again changes the rate from then on, with nothing
 * owed or banked. */
void tp_pace_init(struct tp_pacer *p, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* Changes the rate (0: unlimited) and burst of a running schedule at now_ns (-R), without a
 * burst or a stall. The schedule is re-anchored to now: a debt is dropped (time spent behind
 * at the old rate is not caught up at the new one), and bytes sent ahead of it stay ahead,
 * their time converted to the new rate (a burst that just left at 200 kB/s is not followed by
 * another at once when the rate drops). The sends in the window stay counted, against the
 * new rate's cap: a change down waits until they have left it. From unlimited, the schedule
 * starts at now_ns. */
void tp_pace_set_rate(struct tp_pacer *p, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* The most bytes to send in one go at now_ns: the burst, or the window's cap while catching
 * up (UINT64_MAX when unlimited). */
uint64_t tp_pace_max_send(const struct tp_pacer *p, uint64_t now_ns);

/* How to cut `len` bytes into sends: equal pieces of at most the burst, so that a chunk's
 * end never leaves a small piece that brings the next burst closer. Returns the piece size
 * (the last piece may be smaller by less than the number of pieces). */
uint64_t tp_pace_piece(const struct tp_pacer *p, uint64_t len);

/* When a send of `bytes` (at most tp_pace_max_send) may start (a time <= now_ns means at
 * once), and how much of it may go then: *may is `bytes`, or less when the window has room
 * for part of it only (a multiple of `unit`: a datagram, or 1 for a byte stream). */
uint64_t tp_pace_when(struct tp_pacer *p, uint64_t now_ns, uint64_t bytes, uint64_t unit,
		      uint64_t *may);

/* Records a send of `bytes` that started at start_ns and returned at end_ns; the window
 * counts it from end_ns (a send slowed or preempted may leave its bytes only then).
 * `blocked`: the write slept because the output would not take more. Then the lateness that
 * grew during it is forgiven: the time it took beyond what its bytes last at the rate, an
 * output slower than the rate. A write that blocked only because it was larger than the
 * pipe, and still took less than its bytes' time, forgives nothing. */
void tp_pace_sent(struct tp_pacer *p, uint64_t start_ns, uint64_t end_ns, uint64_t bytes,
		  bool blocked);

/* Nothing could be sent from from_ns to to_ns for want of input (the writer waited for a
 * chunk): the lateness that grew in that time is forgiven. Lateness from before from_ns
 * stays owed. */
void tp_pace_forgive(struct tp_pacer *p, uint64_t from_ns, uint64_t to_ns);

#endif
