/* The reader's operations (reader.h): waits, chunks, putting bytes into them, the stage,
 * and the one loop that reads an input for the raw, -F and -D paths. */
#include "config.h"
#include "reader.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "lines.h"
#include "pipes.h"
#include "report.h"
#include "signals.h"

/* Several outputs: the transfer's counters from theirs; an output whose writer failed is
 * said at once, and one that stalled is said and given up on (its writer ends); the others
 * write on. All that came to an end are marked before any is said, so that "the others go
 * on" is only said when some do. */
static void watch_outputs(struct tp_reader *r)
{
	struct tp_output *failed[TP_MAX_OUTPUTS], *stalled[TP_MAX_OUTPUTS], *o;
	unsigned n_failed = 0, n_stalled = 0;
	char why[192];

	if (!r->outputs)
		return;
	if (r->outputs->n > 1)
		tp_outputs_fold(r->outputs, &r->counters);
	while ((o = tp_outputs_failed(r->outputs)))
		failed[n_failed++] = o;
	while ((o = tp_outputs_watch(r->outputs, tp_clock_ns())))
		stalled[n_stalled++] = o;
	const char *others = tp_outputs_live(r->outputs) ? ": dropped, the other outputs go on" : "";
	for (unsigned i = 0; i < n_failed; i++) {
		snprintf(why, sizeof(why), "%s%s", strerror(-failed[i]->error), others);
		tp_report(failed[i]->sink.name, why);
	}
	for (unsigned i = 0; i < n_stalled; i++) {
		snprintf(why, sizeof(why), "took nothing for %.3g s while data waited for it "
			 "(--stall-timeout)%s", (double)stalled[i]->stall_ns / 1e9, others);
		tp_report(stalled[i]->sink.name, why);
	}
}

bool tp_reader_wait(struct tp_reader *r, int fd, int timeout_ms)
{
	/* A negative fd is ignored by ppoll (no input to wait for). */
	struct pollfd pfd[2 + TP_CTL_POLL_FDS] = {
		{ .fd = r->handoff.wake_fd, .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
	};
	unsigned n_ctl = r->ctl ? tp_ctl_server_fds(r->ctl, pfd + 2) : 0;
	int ms = tp_monitor_timeout(&r->monitor, timeout_ms);
	if (r->ctl)
		ms = tp_ctl_server_timeout(r->ctl, ms);
	int watch_ms = tp_outputs_watch_ms(r->outputs);
	if (watch_ms >= 0 && (ms < 0 || watch_ms < ms))
		ms = watch_ms;
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	int n = ppoll(pfd, 2 + n_ctl, ms < 0 ? NULL : &ts, tp_signals_wait_mask());
	if (n > 0 && pfd[0].revents)
		tp_handoff_clear_wake(&r->handoff);
	watch_outputs(r);
	if (r->ctl)
		tp_ctl_server_serve(r->ctl, pfd + 2, n > 0 ? n_ctl : 0);
	tp_monitor_poll(&r->monitor);
	return n > 0 && fd >= 0 && pfd[1].revents;
}

int tp_reader_ms_until(uint64_t deadline_ns)
{
	uint64_t now = tp_clock_ns();

	if (deadline_ns == UINT64_MAX)
		return -1;
	if (now >= deadline_ns)
		return 0;
	uint64_t ms = (deadline_ns - now + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

void tp_reader_say_idle(const struct tp_source *src, uint64_t idle_ns, bool quiet)
{
	char why[128];

	snprintf(why, sizeof(why), "no data for %.3g s: taken as its end%s", (double)idle_ns / 1e9,
		 quiet ? " (the default wait for a framed input with no end of its own; "
			 "--idle-timeout sets it)" : " (--idle-timeout)");
	tp_report(src->name, why);
}

int tp_reader_drain_ms(struct tp_reader *r)
{
	if (!tp_signals_stop_requested())
		return -1;
	if (!r->drain_deadline)
		r->drain_deadline = tp_clock_ns() + r->p.drain_timeout_ns;
	return tp_reader_ms_until(r->drain_deadline);
}

bool tp_reader_must_stop(struct tp_reader *r)
{
	return tp_signals_stop_requested() || tp_handoff_writer_done(&r->handoff) ||
	       tp_reader_wanted(r) == 0;
}

/* Takes a free chunk, if there is one now. */
static bool take_free_chunk(struct tp_reader *r)
{
	r->chunk = tp_handoff_get_free(&r->handoff);
	if (!r->chunk)
		return false;
	/* Several outputs tee the chunk's pipe and leave its bytes (engine_tee.c); splicing to
	 * /dev/null, opened with the pipes, cannot fail. */
	if (r->chunk->pipe_rd >= 0 && r->handoff.ring.n_out > 1) {
		int err = tp_pipes_discard(r->chunk);
		assert(err == 0);
		(void)err;
	}
	r->chunk->len = 0;
	r->chunk->offset = r->out_offset;
	return true;
}

/* Waits for a free chunk if there is none. `draining`: the stage's last bytes after the
 * inputs, which a stop request does not end, the drain's deadline does. */
static bool get_chunk(struct tp_reader *r, bool draining)
{
	while (!r->chunk) {
		if ((!draining && tp_signals_stop_requested()) || tp_handoff_writer_done(&r->handoff))
			return false;
		if (take_free_chunk(r))
			break;
		int ms = draining ? tp_reader_drain_ms(r) : -1;
		if (ms == 0)
			return false; /* the drain's time is up: said as not written */
		/* The ring is full: the output is the bottleneck (counted while reading). */
		uint64_t t0 = tp_clock_ns();
		tp_reader_wait(r, -1, ms);
		if (!draining)
			tp_counter_add(&r->counters.reader_wait_ns, tp_clock_ns() - t0);
	}
	return true;
}

bool tp_reader_get_chunk(struct tp_reader *r)
{
	return get_chunk(r, false);
}

void tp_reader_hand_over(struct tp_reader *r)
{
	assert(r->chunk);
	r->out_offset += r->chunk->len;
	r->chunk->stream_end = r->offset;
	tp_handoff_put(&r->handoff, r->chunk);
	r->chunk = NULL;
}

bool tp_reader_next_chunk(struct tp_reader *r)
{
	tp_reader_hand_over(r);
	return tp_reader_get_chunk(r);
}

size_t tp_reader_room(struct tp_reader *r, unsigned char **at)
{
	size_t room;

	if (r->framer) {
		room = tp_framer_room(r->framer, r->chunk, at);
	} else {
		*at = r->chunk->data + r->chunk->len;
		room = r->chunk->cap - r->chunk->len;
	}
	uint64_t wanted = tp_reader_wanted(r);
	return wanted < room ? (size_t)wanted : room;
}

/* -S in lines: of the n bytes just put at the chunk's end, those up to and with the last
 * wanted line's terminator; counts the lines among them. */
static size_t take_lines(struct tp_reader *r, size_t n)
{
	/* Only the raw path in memory: -l refuses -F and -D, and the splice path (run.c). */
	assert(!r->framer && r->chunk->pipe_wr < 0);
	uint64_t want = r->p.line_limit - r->lines, found;
	size_t cut = tp_lines_cut(r->chunk->data + r->chunk->len, n, r->p.line_end, want, &found);

	r->lines += found;
	return cut;
}

size_t tp_reader_added(struct tp_reader *r, size_t n)
{
	assert(n <= tp_reader_wanted(r));
	if (r->p.line_limit)
		n = take_lines(r, n);
	if (r->framer)
		tp_framer_add(r->framer, r->chunk, n);
	else
		r->chunk->len += n;
	r->offset += n;
	if (!r->framer && r->chunk->len == r->chunk->cap)
		tp_reader_hand_over(r);
	return n;
}

unsigned char *tp_reader_tail(struct tp_reader *r, size_t len)
{
	if (r->framer || tp_reader_must_stop(r))
		return NULL;
	/* A chunk too full for len bytes that a chunk could hold goes now, a little short,
	 * rather than have them copied across its end. */
	if (r->chunk && r->chunk->len > 0 && r->chunk->cap - r->chunk->len < len &&
	    len <= r->chunk->cap)
		tp_reader_hand_over(r);
	if (!r->chunk && !take_free_chunk(r))
		return NULL;
	struct tp_chunk *c = r->chunk;
	if (c->pipe_wr >= 0 || c->cap - c->len < len)
		return NULL;
	return c->data + c->len;
}

/* data[0..len) lies where the chunk's next bytes go (tp_reader_tail): taken as they are, as
 * many as -S wants. */
static bool at_tail(const struct tp_reader *r, const unsigned char *data, size_t len)
{
	const struct tp_chunk *c = r->chunk;

	return c && !r->framer && c->pipe_wr < 0 && data == c->data + c->len &&
	       len <= c->cap - c->len;
}

/* Copies into chunks as tp_reader_append does, counting in *took what went in; `draining`
 * as for get_chunk. 0, or -EINTR when no chunk could be had. */
static int append(struct tp_reader *r, const unsigned char *data, size_t len, bool draining,
		  size_t *took)
{
	*took = 0;
	while (*took < len && tp_reader_wanted(r) > 0) {
		if (!get_chunk(r, draining))
			return -EINTR;
		unsigned char *at;
		size_t n = tp_reader_room(r, &at);
		if (n == 0) { /* a full frame chunk (-F); a raw one went at tp_reader_added */
			tp_reader_hand_over(r);
			continue;
		}
		if (n > len - *took)
			n = len - *took;
		/* memmove: data may lie just past the tail (a payload decoded there, emitted
		 * from a later byte on); the tracker never does that today. */
		memmove(at, data + *took, n);
		*took += tp_reader_added(r, n);
	}
	return 0;
}

ssize_t tp_reader_append(struct tp_reader *r, const unsigned char *data, size_t len)
{
	if (len && at_tail(r, data, len)) {
		uint64_t wanted = tp_reader_wanted(r);
		return (ssize_t)tp_reader_added(r, wanted < len ? (size_t)wanted : len);
	}
	size_t took;
	int err = append(r, data, len, false, &took);

	return err ? err : (ssize_t)took;
}

bool tp_reader_pending(const struct tp_reader *r)
{
	return r->chunk && (r->framer ? tp_framer_pending(r->framer, r->chunk) : r->chunk->len > 0);
}

void tp_reader_flush(struct tp_reader *r)
{
	if (r->framer)
		tp_framer_flush(r->framer, r->chunk);
	tp_reader_hand_over(r);
}

/* Copies up to len staged bytes to buf; how many. */
static size_t take_staged(struct tp_reader *r, unsigned char *buf, size_t len)
{
	size_t n = tp_reader_staged(r) < len ? tp_reader_staged(r) : len;

	memcpy(buf, r->stage + r->stage_off, n);
	tp_reader_unstage(r, n);
	return n;
}

ssize_t tp_reader_read(struct tp_reader *r, struct tp_source *src, unsigned char *buf, size_t len)
{
	if (!src->datagram)
		return tp_source_read(src, buf, len);
	if (!r->stage_len) {
		/* A datagram read must have room for the largest, or its tail would be lost. */
		if (len >= TP_DATAGRAM_ROOM)
			return tp_source_read(src, buf, len);
		ssize_t n = tp_source_read(src, r->stage, TP_DATAGRAM_ROOM);
		if (n <= 0)
			return n;
		r->stage_len = (size_t)n;
		r->stage_off = 0;
	}
	return (ssize_t)take_staged(r, buf, len);
}

void tp_reader_flush_stage(struct tp_reader *r)
{
	while (r->stage_len) {
		if (tp_reader_wanted(r) == 0) {
			r->stage_len = 0; /* a datagram's tail past -S: not wanted */
			return;
		}
		if (!get_chunk(r, true))
			return;
		if (r->chunk->pipe_wr < 0) {
			size_t took;
			int err = append(r, r->stage + r->stage_off, tp_reader_staged(r), true, &took);
			if (took)
				tp_reader_unstage(r, took);
			if (err)
				return;
			continue;
		}
		unsigned char *at;
		size_t room = tp_reader_room(r, &at);
		ssize_t n = room ? tp_reader_put_stage(r, room) : -ENOSPC;
		if (n > 0)
			tp_reader_added(r, (size_t)n);
		else if (n == -ENOSPC)
			tp_reader_hand_over(r);
		else
			return;
	}
}

int tp_reader_pump(struct tp_reader *r, struct tp_source *src, const struct tp_pump_ops *ops,
		   void *ctx)
{
	uint64_t last_ns = tp_clock_ns();
	unsigned again = 0;

	for (;;) {
		if (tp_reader_must_stop(r) || (ops->done && ops->done(ctx)))
			return TP_PUMP_STOP;
		uint64_t idle = r->p.idle_timeout_ns;
		uint64_t until = ops->deadline ? ops->deadline(ctx, src, last_ns)
				 : idle ? last_ns + idle : UINT64_MAX;
		if (until != UINT64_MAX && tp_clock_ns() >= until) {
			if (ops->expired)
				ops->expired(ctx, src);
			else
				tp_reader_say_idle(src, idle, false);
			return TP_PUMP_EOF; /* as good as the end */
		}
		if (!tp_reader_get_chunk(r))
			return TP_PUMP_STOP;
		if (again) {
			again--; /* the last datagram may not have been the last one there */
		} else if (src->pollable && !r->stage_len) {
			/* Holding data: only look. Data that trickles in goes out at once and never
			 * waits for a chunk to fill, unless the writer is busy with older chunks:
			 * then the chunk fills on until it wakes us (tp_handoff_writer_has_work). */
			bool holding = tp_reader_pending(r) && !tp_handoff_writer_has_work(&r->handoff);
			if (!tp_reader_wait(r, src->fd, holding ? 0 : tp_reader_ms_until(until))) {
				if (holding)
					tp_reader_flush(r);
				continue;
			}
		} else {
			/* A file never makes us wait, so signals are let in here, between reads. */
			tp_reader_wait(r, -1, 0);
		}
		bool alive = false;
		ssize_t n = ops->read(ctx, src, &alive);
		if (n == -EAGAIN) {
			again = 0;
			continue;
		}
		if (src->datagram && n > 0 && !again)
			again = TP_READ_AGAIN;
		if (n == -ECANCELED)
			return TP_PUMP_STOP;
		if (n <= 0)
			return (int)n;
		if (alive)
			last_ns = tp_clock_ns();
	}
}
