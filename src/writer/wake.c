#include "config.h"
#include "wake.h"

void tp_wake_init(struct tp_wake *w)
{
	w->lead_ns = 0;
}

uint64_t tp_wake_target(const struct tp_wake *w, uint64_t now_ns, uint64_t want_ns)
{
	return want_ns - now_ns > w->lead_ns ? want_ns - w->lead_ns : now_ns;
}

void tp_wake_woke(struct tp_wake *w, uint64_t target_ns, uint64_t woke_ns)
{
	uint64_t late = woke_ns > target_ns ? woke_ns - target_ns : 0;

	/* A stochastic quantile: down 4 steps when the sleep ended within the lead (the
	 * caller waited), up 1 otherwise; it settles where one sleep in five ends early. */
	if (late < w->lead_ns)
		w->lead_ns = w->lead_ns > 4 * TP_WAKE_STEP_NS ? w->lead_ns - 4 * TP_WAKE_STEP_NS : 0;
	else if (w->lead_ns + TP_WAKE_STEP_NS <= TP_WAKE_MAX_LEAD_NS)
		w->lead_ns += TP_WAKE_STEP_NS;
}
