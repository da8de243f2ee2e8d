#include "config.h"
#include "outputs.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <termios.h>

static bool running(const struct tp_output *o)
{
	return o->started && !o->failed && !o->stalled;
}

unsigned tp_outputs_live(const struct tp_outputs *outs)
{
	unsigned n = 0;

	for (unsigned i = 0; i < outs->n; i++) {
		const struct tp_output *o = &outs->o[i];
		/* A writer that has ended with an error is no longer live, said or not. */
		bool ended_badly = o->started && tp_handoff_output_done(o->writer.p.handoff, i) &&
				   o->writer.error < 0;
		n += o->opened && !o->failed && !o->stalled && !o->said && !ended_badly;
	}
	return n;
}

struct tp_output *tp_outputs_failed(struct tp_outputs *outs)
{
	for (unsigned i = 0; outs->n > 1 && i < outs->n; i++) {
		struct tp_output *o = &outs->o[i];
		/* The writer sets its error before it ends, under the hand-off's lock. */
		if (!running(o) || o->said || !tp_handoff_output_done(o->writer.p.handoff, i) ||
		    o->writer.error >= 0 || o->writer.error == -ECANCELED)
			continue;
		o->said = true;
		o->error = o->writer.error;
		return o;
	}
	return NULL;
}

/* The least of a field over the live outputs (the most when none is left, so that what was
 * written before the last one failed still shows). */
static uint64_t least(const struct tp_outputs *outs, size_t field)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	for (unsigned i = 0; i < outs->n; i++) {
		const struct tp_output *o = &outs->o[i];
		if (!o->opened)
			continue;
		uint64_t v = tp_counter_get((const uint64_t *)((const char *)o->counters + field));
		if (v > hi)
			hi = v;
		if (!o->failed && !o->stalled && !o->said && v < lo)
			lo = v;
	}
	return lo == UINT64_MAX ? hi : lo;
}

static uint64_t sum(const struct tp_outputs *outs, size_t field)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < outs->n; i++)
		if (outs->o[i].opened)
			total += tp_counter_get((const uint64_t *)((const char *)outs->o[i].counters +
								    field));
	return total;
}

#define LEAST(f) tp_counter_set(&into->f, least(outs, offsetof(struct tp_counters, f)))
#define SUM(f) tp_counter_set(&into->f, sum(outs, offsetof(struct tp_counters, f)))

void tp_outputs_fold(const struct tp_outputs *outs, struct tp_counters *into)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	/* Progress is what every output has: the slowest live one's. */
	LEAST(bytes_out);
	LEAST(lines_out);
	LEAST(stream_out);
	LEAST(copies);
	/* Waits: the slowest output's tell whether the input or the output was the bottleneck
	 * (the faster ones wait for the reader, which waits for the slowest). */
	LEAST(writer_wait_ns);
	LEAST(pace_wait_ns);
	SUM(write_calls);
	SUM(write_ns_sum);
	SUM(datagrams);
	SUM(send_retries);
	SUM(refused);
	for (unsigned i = 0; i < outs->n; i++) {
		const struct tp_counters *c = outs->o[i].counters;
		if (!outs->o[i].opened)
			continue;
		if (tp_counter_get(&c->write_ns_min) < lo)
			lo = tp_counter_get(&c->write_ns_min);
		if (tp_counter_get(&c->write_ns_max) > hi)
			hi = tp_counter_get(&c->write_ns_max);
	}
	tp_counter_set(&into->write_ns_min, lo);
	tp_counter_set(&into->write_ns_max, hi);
}

/* What waits in the output's queue on the far side of the write: a pipe's unread bytes, a
 * socket's or terminal's unsent ones; -1 where nothing tells (a file). A change means the
 * output is taking bytes even while one long write blocks. */
static int64_t queued(const struct tp_sink *sink)
{
	int n = 0;

	if (ioctl(sink->fd, sink->flags & TP_SINK_PIPE ? FIONREAD : TIOCOUTQ, &n) != 0)
		return -1;
	return n;
}

int tp_outputs_watch_ms(const struct tp_outputs *outs)
{
	if (!outs || !outs->stall_timeout_ns)
		return -1;
	/* A tenth of the timeout (at least 10 ms, at most 1 s): said within 10 % of it. */
	uint64_t ms = outs->stall_timeout_ns / 10000000u;
	return ms < 10 ? 10 : ms > 1000 ? 1000 : (int)ms;
}

struct tp_output *tp_outputs_watch(struct tp_outputs *outs, uint64_t now_ns)
{
	if (!outs || !outs->stall_timeout_ns)
		return NULL;
	for (unsigned i = 0; i < outs->n; i++) {
		struct tp_output *o = &outs->o[i];
		/* A wake-up that came just before a blocking call did not stop it: again. */
		if (o->stalled && o->started &&
		    !tp_handoff_output_done(o->writer.p.handoff, o->writer.p.out))
			tp_writer_abandon(&o->writer);
		if (!running(o))
			continue;
		uint64_t bytes = tp_counter_get(&o->counters->bytes_out);
		int64_t q = queued(&o->sink);
		if (tp_writer_state(&o->writer) != TP_WRITER_WRITING || bytes != o->seen_bytes ||
		    q != o->seen_queued || !o->quiet_since_ns) {
			o->seen_bytes = bytes;
			o->seen_queued = q;
			o->quiet_since_ns = now_ns;
			continue;
		}
		if (now_ns - o->quiet_since_ns < outs->stall_timeout_ns)
			continue;
		o->stalled = true;
		o->stall_ns = now_ns - o->quiet_since_ns;
		tp_writer_abandon(&o->writer);
		return o;
	}
	return NULL;
}
