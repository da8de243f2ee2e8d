/* The pacer: decides when the next bytes may leave, to hold a rate smoothly.
 * Pure: the caller passes the time (CLOCK_MONOTONIC nanoseconds) and does the sleeping, so
 * the schedule is tested with a fake clock.
 *
 * It schedules by bytes sent against an absolute clock (as spead2's sender does): sending n
 * bytes moves the schedule n / rate later. A send may start up to one burst ahead of the
 * schedule; when behind, it catches up at most TP_PACE_CATCHUP times the rate.
 *
 * Lateness has three causes, and only one is a debt. The input had nothing to send, or the
 * output would not take more: the caller says so (tp_pace_forgive) and that lateness is
 * forgiven, so idle time never turns into a burst and a stall is not repaid. Anything else (a
 * timer that woke late, the thread descheduled on a busy machine) is repaid at the catch-up
 * rate, so the average holds whatever the scheduler does; only a debt older than
 * TP_PACE_MAX_DEBT_NS (a stopped process) is forgiven too. */
#ifndef TP_PACE_H
#define TP_PACE_H

#include <stdint.h>

/* Catch-up limit, measured from when a piece really left (the writer passes the time it woke,
 * not its deadline). 1.25 keeps 700 us pieces at least 560 us apart, never three in a 1 ms
 * window, and still catches up when every wake-up is late by tens of us (a VM's timers);
 * 1.05 could not, and the average fell 1-3 % short there. */
#define TP_PACE_CATCHUP 1.25
/* Lateness nobody explained is repaid up to this much (or one burst, if longer), at the
 * catch-up rate: a late wake-up or a descheduled thread must not cost the average. A process
 * stopped longer (SIGSTOP, a suspended VM) is not made to send faster for minutes after. */
#define TP_PACE_MAX_DEBT_NS 1000000000u
/* Default burst: 700 us of the rate. Every send after a sleep costs a timer wake-up, about
 * 23-35 us of CPU on the machines we measure on, so 200 us bursts cost 12 % of a core at
 * 20 MB/s. Sends at least 700 us / 1.25 = 560 us apart never put more than two bursts in a
 * 1 ms window: at most 1.4x the rate's share, with about 1500 wake-ups a second. */
#define TP_PACE_BURST_NS 700000u

struct tp_pacer {
	uint64_t rate;        /* bytes per second; 0 = unlimited */
	uint64_t burst;       /* bytes a send may run ahead of the schedule */
	uint64_t sched_ns;    /* when the bytes sent so far were due, at exactly `rate` */
	uint64_t fast_ns;     /* the same at TP_PACE_CATCHUP x rate: the catch-up limit */
};

/* The default burst for a rate: about TP_PACE_BURST_NS worth, at least min_burst (a page,
 * or one datagram). */
uint64_t tp_pace_default_burst(uint64_t rate, uint64_t min_burst);

/* Starts a schedule at now_ns; calling it again changes the rate from then on, with nothing
 * owed or banked. */
void tp_pace_init(struct tp_pacer *p, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* The most bytes to send in one go (the burst; UINT64_MAX when unlimited). */
uint64_t tp_pace_max_send(const struct tp_pacer *p);

/* How to cut `len` bytes into sends: equal pieces of at most the burst, so that a chunk's
 * end never leaves a small piece that brings the next burst closer. Returns the piece size
 * (the last piece may be smaller by less than the number of pieces). */
uint64_t tp_pace_piece(const struct tp_pacer *p, uint64_t len);

/* When the next send (of at most tp_pace_max_send bytes) may start: a time <= now_ns means
 * at once. */
uint64_t tp_pace_when(struct tp_pacer *p, uint64_t now_ns);

/* Records that `bytes` were sent at now_ns. */
void tp_pace_sent(struct tp_pacer *p, uint64_t now_ns, uint64_t bytes);

/* Nothing could be sent from from_ns to to_ns for want of input (the writer waited for a
 * chunk) or because the output would not take more (a write that blocked): the lateness that
 * grew in that time is forgiven. Lateness from before from_ns stays owed. */
void tp_pace_forgive(struct tp_pacer *p, uint64_t from_ns, uint64_t to_ns);

#endif
