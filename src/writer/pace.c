#include "config.h"
#include "pace.h"

#define NS_PER_S 1000000000ull

/* ns that `bytes` take at `rate` bytes/s (rate > 0), without overflow for any chunk size. */
static uint64_t duration_ns(uint64_t bytes, uint64_t rate, double factor)
{
	return (uint64_t)((double)bytes * (double)NS_PER_S / ((double)rate * factor));
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
	p->sched_ns = now_ns;
	p->fast_ns = now_ns;
}

uint64_t tp_pace_max_send(const struct tp_pacer *p)
{
	return p->rate ? p->burst : UINT64_MAX;
}

uint64_t tp_pace_piece(const struct tp_pacer *p, uint64_t len)
{
	uint64_t max = tp_pace_max_send(p);

	if (len <= max)
		return len;
	uint64_t pieces = (len + max - 1) / max;
	return (len + pieces - 1) / pieces;
}

/* Forget a debt older than TP_PACE_MAX_DEBT_NS (a stopped process); the catch-up limit
 * starts from now. */
static void backdate(struct tp_pacer *p, uint64_t now_ns)
{
	uint64_t slack = duration_ns(p->burst, p->rate, 1.0);

	if (slack < TP_PACE_MAX_DEBT_NS)
		slack = TP_PACE_MAX_DEBT_NS;
	if (now_ns > slack && p->sched_ns < now_ns - slack)
		p->sched_ns = now_ns - slack;
	if (p->fast_ns < now_ns)
		p->fast_ns = now_ns;
}

uint64_t tp_pace_when(struct tp_pacer *p, uint64_t now_ns)
{
	if (!p->rate)
		return now_ns;
	backdate(p, now_ns);
	/* On schedule: up to one burst early. Behind: no faster than the catch-up rate. */
	uint64_t early = duration_ns(p->burst, p->rate, 1.0);
	uint64_t by_rate = p->sched_ns > early ? p->sched_ns - early : 0;
	return by_rate > p->fast_ns ? by_rate : p->fast_ns;
}

void tp_pace_sent(struct tp_pacer *p, uint64_t now_ns, uint64_t bytes)
{
	if (!p->rate)
		return;
	backdate(p, now_ns);
	p->sched_ns += duration_ns(bytes, p->rate, 1.0);
	p->fast_ns += duration_ns(bytes, p->rate, TP_PACE_CATCHUP);
}

void tp_pace_forgive(struct tp_pacer *p, uint64_t from_ns, uint64_t to_ns)
{
	/* The schedule fell behind from max(sched, from) on: that part moves up. */
	uint64_t late_from = p->sched_ns > from_ns ? p->sched_ns : from_ns;

	if (p->rate && to_ns > late_from)
		p->sched_ns += to_ns - late_from;
}
