/* Timed wake-ups that land on time: a sleep to an absolute time ends some tens of us late
 * (60-80 us on the virtual machines we measure on, with timer slack at 1 ns), and every us
 * late is an us the pacer's window cannot use. tp_wake learns how late sleeps end and asks
 * for a sleep that much earlier; the caller waits out the rest on the clock.
 * Pure: the caller passes the times and does the sleeping and the waiting. */
#ifndef TP_WAKE_H
#define TP_WAKE_H

#include <stdint.h>

/* The lead is kept near the fifth of the oversleeps: four sleeps in five end after the time
 * wanted, and the fifth waits out a few us. Steps of TP_WAKE_STEP_NS up and 4 steps down
 * reach that in a few hundred wake-ups. A wait shorter than the lead is spun out whole (at
 * most TP_WAKE_MAX_LEAD_NS). */
#define TP_WAKE_STEP_NS 1000u
#define TP_WAKE_MAX_LEAD_NS 200000u

struct tp_wake {
	uint64_t lead_ns;  /* how much earlier than wanted to ask to be woken */
};

void tp_wake_init(struct tp_wake *w);

/* The time to sleep until, for a wake-up wanted at want_ns, at now_ns (< want_ns): never
 * before now_ns. */
uint64_t tp_wake_target(const struct tp_wake *w, uint64_t now_ns, uint64_t want_ns);

/* A sleep until target_ns ended at woke_ns: learn from how late. */
void tp_wake_woke(struct tp_wake *w, uint64_t target_ns, uint64_t woke_ns);

#endif
