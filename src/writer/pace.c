#include "config.h"
#include "pace.h"

#include <assert.h>
#include <stdbool.h>

#define NS_PER_S 1000000000ull

/* ns that `bytes` take at `rate` bytes/s (rate > 0), without overflow for any chunk size. */
static uint64_t duration_ns(uint64_t bytes, uint64_t rate)
{
	return (uint64_t)((double)bytes * (double)NS_PER_S / (double)rate);
}

uint64_t tp_pace_default_burst(uint64_t rate, uint64_t min_burst)
{
	uint64_t burst = (uint64_t)((double)rate * TP_PACE_BURST_NS / NS_PER_S);

	return burst < min_burst ? min_burst : burst;
}

void tp_pace_init(struct tp_pacer *p, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
	p->rate = rate;
	p->burst = burst ? burst : 1;
	p->window_cap = (uint64_t)((double)rate * TP_PACE_PEAK * TP_PACE_WINDOW_NS / NS_PER_S);
	p->debt_cap = (uint64_t)((double)rate * TP_PACE_DEBT_PEAK * TP_PACE_WINDOW_NS / NS_PER_S);
	p->sched_ns = now_ns;
	p->first = 0;
	p->n_recent = 0;
	p->repaying = false;
	p->trend_at_ns = 0;
}

void tp_pace_set_rate(struct tp_pacer *p, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
	/* How long the bytes sent ahead of the schedule would take at the new rate. */
	uint64_t ahead = p->rate && p->sched_ns > now_ns ? p->sched_ns - now_ns : 0;
	uint64_t ahead_bytes = (uint64_t)((double)ahead * (double)p->rate / NS_PER_S);
	uint64_t ahead_ns = rate && ahead_bytes ? duration_ns(ahead_bytes, rate) : 0;

	if (!p->rate)
		p->n_recent = 0; /* unlimited, sends were not recorded */
	p->rate = rate;
	p->burst = burst ? burst : 1;
	p->window_cap = (uint64_t)((double)rate * TP_PACE_PEAK * TP_PACE_WINDOW_NS / NS_PER_S);
	p->debt_cap = (uint64_t)((double)rate * TP_PACE_DEBT_PEAK * TP_PACE_WINDOW_NS / NS_PER_S);
	p->sched_ns = now_ns + ahead_ns;
	p->repaying = false;
	p->trend_at_ns = 0;
}

static bool behind(const struct tp_pacer *p, uint64_t at_ns)
{
	return at_ns > p->sched_ns + TP_PACE_BEHIND_NS;
}

/* The cap a send at at_ns gets: the debt cap while repaying, until little is owed. */
static uint64_t cap_in_force(const struct tp_pacer *p, uint64_t at_ns)
{
	bool debt = p->repaying && at_ns > p->sched_ns + TP_PACE_SETTLED_NS;

	return debt ? p->debt_cap : p->window_cap;
}

/* The window's cap for a send at at_ns. Every TP_PACE_TREND_NS of lateness the debt is
 * looked at: near the most it was in that time (within TP_PACE_SETTLED_NS) and more than
 * TP_PACE_DEBT_NS, 1.25 times the share is not repaying it (a busy machine), and the debt
 * cap holds until little is owed again. The hiccups of a quiet machine, however large,
 * shrink from their peak at once, and stay within the window cap. */
static uint64_t cap_at(struct tp_pacer *p, uint64_t at_ns)
{
	uint64_t owed = at_ns > p->sched_ns ? at_ns - p->sched_ns : 0;

	if (owed <= TP_PACE_SETTLED_NS) {
		p->repaying = false;
		p->trend_at_ns = 0;
	} else if (!p->trend_at_ns) {
		p->trend_at_ns = at_ns;
		p->trend_max_ns = owed;
	} else {
		if (owed > p->trend_max_ns)
			p->trend_max_ns = owed;
		if (at_ns - p->trend_at_ns >= TP_PACE_TREND_NS) {
			if (owed > TP_PACE_DEBT_NS && owed + TP_PACE_SETTLED_NS >= p->trend_max_ns)
				p->repaying = true;
			p->trend_at_ns = at_ns;
			p->trend_max_ns = owed;
		}
	}
	return cap_in_force(p, at_ns);
}

uint64_t tp_pace_max_send(const struct tp_pacer *p, uint64_t now_ns)
{
	if (!p->rate)
		return UINT64_MAX;
	if (!behind(p, now_ns))
		return p->burst;
	uint64_t cap = cap_in_force(p, now_ns);
	return cap > p->burst ? cap : p->burst;
}

uint64_t tp_pace_piece(const struct tp_pacer *p, uint64_t len)
{
	uint64_t max = p->rate ? p->burst : UINT64_MAX;

	if (len <= max)
		return len;
	uint64_t pieces = (len + max - 1) / max;
	return (len + pieces - 1) / pieces;
}

static struct tp_pace_send *recent(struct tp_pacer *p, unsigned i)
{
	assert(i < p->n_recent);
	return &p->recent[(p->first + i) % TP_PACE_RECENT];
}

/* Forget a debt older than TP_PACE_MAX_DEBT_NS (a stopped process), and the sends that can
 * no longer share a window with one starting at now_ns. */
static void age(struct tp_pacer *p, uint64_t now_ns)
{
	uint64_t slack = duration_ns(p->burst, p->rate);

	if (slack < TP_PACE_MAX_DEBT_NS)
		slack = TP_PACE_MAX_DEBT_NS;
	if (now_ns > slack && p->sched_ns < now_ns - slack)
		p->sched_ns = now_ns - slack;
	while (p->n_recent && recent(p, 0)->end_ns + TP_PACE_WINDOW_NS <= now_ns) {
		p->first = (p->first + 1) % TP_PACE_RECENT;
		p->n_recent--;
	}
}

/* Whether a send of up to `bytes` fits a window of `cap` bytes now, with the sends that left
 * in it carrying in_window: *may gets how much of it may go (a multiple of unit when cut).
 * Alone in its window any send fits, and one larger than the cap only alone (a serial
 * line's 10 ms burst is not cut into 1 ms slivers). Otherwise, when `cut` (catching up), it
 * is cut to the room left if that room is worth a wake-up (half the cap, and at least a
 * unit): with sends as large as the room, one or two a window carry the whole cap. */
static bool fits(const struct tp_pacer *p, uint64_t cap, uint64_t in_window, uint64_t bytes,
		 uint64_t unit, bool cut, uint64_t *may)
{
	uint64_t room = cap > in_window ? cap - in_window : 0;
	uint64_t least = cap / 2 > unit ? cap / 2 : unit;

	if (in_window == 0 || bytes <= room) {
		*may = bytes;
		return true;
	}
	if (!cut || bytes > cap || room < least || room < unit)
		return false;
	*may = room / unit * unit;
	return true;
}

uint64_t tp_pace_when(struct tp_pacer *p, uint64_t now_ns, uint64_t bytes, uint64_t unit,
		      uint64_t *may)
{
	*may = bytes;
	if (!p->rate)
		return now_ns;
	age(p, now_ns);
	if (unit == 0)
		unit = 1;
	/* Not before the bytes sent so far are due; then as soon as the window has room, which
	 * it gains each time the oldest send in it leaves. */
	uint64_t at = p->sched_ns > now_ns ? p->sched_ns : now_ns;
	uint64_t cap = cap_at(p, at);
	uint64_t in_window = 0;
	for (unsigned i = 0; i < p->n_recent; i++)
		in_window += recent(p, i)->bytes;
	for (unsigned i = 0;;) {
		while (i < p->n_recent && recent(p, i)->end_ns + TP_PACE_WINDOW_NS <= at)
			in_window -= recent(p, i++)->bytes;
		if (fits(p, cap, in_window, bytes, unit, behind(p, at), may))
			return at;
		assert(i < p->n_recent); /* an empty window fits anything */
		at = recent(p, i)->end_ns + TP_PACE_WINDOW_NS;
	}
}

void tp_pace_sent(struct tp_pacer *p, uint64_t start_ns, uint64_t end_ns, uint64_t bytes,
		  bool blocked)
{
	if (!p->rate)
		return;
	age(p, start_ns);
	uint64_t late_before = start_ns > p->sched_ns ? start_ns - p->sched_ns : 0;
	p->sched_ns += duration_ns(bytes, p->rate);
	uint64_t late_after = end_ns > p->sched_ns ? end_ns - p->sched_ns : 0;
	if (blocked && late_after > late_before)
		p->sched_ns += late_after - late_before;
	if (p->n_recent == TP_PACE_RECENT) {
		/* Full: the oldest two count as one that left as late as the second, which
		 * only ever holds the next sends back longer. */
		struct tp_pace_send *oldest = recent(p, 0);
		uint64_t bytes0 = oldest->bytes;
		p->first = (p->first + 1) % TP_PACE_RECENT;
		p->n_recent--;
		recent(p, 0)->bytes += bytes0;
	}
	p->recent[(p->first + p->n_recent) % TP_PACE_RECENT] =
		(struct tp_pace_send){ .end_ns = end_ns, .bytes = bytes };
	p->n_recent++;
}

void tp_pace_forgive(struct tp_pacer *p, uint64_t from_ns, uint64_t to_ns)
{
	/* The schedule fell behind from max(sched, from) on: that part moves up. */
	uint64_t late_from = p->sched_ns > from_ns ? p->sched_ns : from_ns;

	if (p->rate && to_ns > late_from)
		p->sched_ns += to_ns - late_from;
}
