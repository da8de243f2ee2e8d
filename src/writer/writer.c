#include "config.h"
#include "writer.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <string.h>
#include <time.h>
#include "dgram.h"
#include "enums.h"
#include "lines.h"
#include "signals.h"

/* Takes the next chunk, counting the time spent waiting for the reader. Paced, that time
 * is the input's idleness, which the pacer forgives. */
static void set_state(struct tp_writer *w, enum tp_writer_state state)
{
	atomic_store_explicit(&w->state, (int)state, memory_order_relaxed);
}

static int take(struct tp_writer *w, bool wait, struct tp_chunk **chunk, struct tp_pacer *pacer)
{
	uint64_t t0 = wait ? tp_clock_ns() : 0;
	if (wait)
		set_state(w, TP_WRITER_IDLE);
	int err = tp_handoff_take(w->p.handoff, w->p.out, wait, chunk);
	set_state(w, TP_WRITER_WRITING);

	if (wait) {
		uint64_t t1 = tp_clock_ns();
		tp_counter_add(&w->p.counters->writer_wait_ns, t1 - t0);
		if (pacer)
			tp_pace_forgive(pacer, t0, t1);
	}
	return err;
}

/* This thread's voluntary context switches so far: one more after a write means the write
 * slept, because the output would not take more (a full pipe, a full socket queue); an
 * involuntary one (preempted) is not that. */
static long voluntary_switches(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nvcsw : 0;
}

/* The chunk is out (its first copy): progress may count its input bytes. */
static void note_sent(struct tp_writer *w, const struct tp_chunk *chunk)
{
	tp_counter_set(&w->p.counters->stream_out, chunk->stream_end);
	if (w->p.tail)
		tp_tail_append(w->p.tail, chunk->data, chunk->len);
}

/* Writer thread: takes a pace the main thread asked for into w->rate and w->burst; true if
 * there was one. */
static bool take_rate(struct tp_writer *w)
{
	if (!atomic_load_explicit(&w->rate_asked, memory_order_relaxed))
		return false;
	pthread_mutex_lock(&w->rate_lock);
	w->rate = w->rate_req.rate;
	w->burst = w->rate_req.burst;
	w->lines = w->rate_req.lines;
	atomic_store_explicit(&w->rate_asked, false, memory_order_relaxed);
	pthread_mutex_unlock(&w->rate_lock);
	return true;
}

/* write_unpaced and write_in_turn: the pace changed, run the other one. */
#define SWITCH_LOOP 1

/* Unpaced: keep the engine fed; queue chunks while it can take more, otherwise wait for the
 * oldest to be written and give it back. Ends when the reader has closed and all is out, or
 * with SWITCH_LOOP when a rate was set. */
static int write_unpaced(struct tp_writer *w)
{
	struct tp_engine *eng = w->p.engine;

	for (;;) {
		struct tp_chunk *chunk;

		if (tp_signals_writer_abandoned())
			return -ECANCELED;
		/* Paced now (-R -L): once what is queued is out. */
		take_rate(w);
		if (w->rate && eng->inflight == 0)
			return SWITCH_LOOP;
		if (eng->inflight < eng->max_inflight && !w->rate) {
			/* Sleep for work only when nothing is in flight; otherwise go reap. */
			int err = take(w, eng->inflight == 0, &chunk, NULL);
			if (err == 0 && take_rate(w) && w->rate) {
				w->carry = chunk; /* asked while we slept for it: it goes paced */
				continue;
			}
			if (err == 0) {
				int rc = tp_engine_submit(eng, chunk);
				if (rc < 0)
					return rc;
				w->pos = chunk->offset + chunk->len;
				if (rc == TP_ENGINE_DONE) {
					note_sent(w, chunk);
					tp_handoff_release(w->p.handoff, w->p.out, chunk);
				}
				continue;
			}
			if (err == -ENODATA && eng->inflight == 0)
				return 0;
		}
		int rc = tp_engine_reap(eng, &chunk);
		if (rc < 0)
			return rc;
		note_sent(w, chunk);
		tp_handoff_release(w->p.handoff, w->p.out, chunk);
	}
}

/* Writes one piece and waits until it is out: paced bytes must really have left. */
static int write_piece(struct tp_engine *eng, struct tp_chunk *piece)
{
	int rc = tp_engine_submit(eng, piece);

	if (rc == TP_ENGINE_QUEUED) {
		struct tp_chunk *done;
		rc = tp_engine_reap(eng, &done);
	}
	return rc < 0 ? rc : 0;
}

/* The next piece of a chunk, of at most `max` bytes: on a byte stream equal pieces of at
 * most one burst, or `max` whole when it is more (catching up); whole datagrams (at least
 * one) for a datagram sink. A catch-up piece may take the engine two or three sends back to
 * back (the window's room at 100 MB/s is 84-101 datagrams, a send 41): held to one send, a
 * window got two, and beside two busy loops 100 MB/s fell 9 % short. */
static size_t next_piece(const struct tp_engine *eng, const struct tp_pacer *pacer,
			 const struct tp_chunk *chunk, size_t off, uint64_t max)
{
	if (eng->sink->flags & TP_SINK_DGRAM)
		return tp_dgram_span(chunk->data + off, chunk->len - off, eng->dgram_size,
				     eng->dgram_framed, max);
	size_t piece = (size_t)tp_pace_piece(pacer, chunk->len);
	if (piece > max || max > pacer->burst) /* cut, or catching up: as much as may go */
		piece = max > SIZE_MAX ? SIZE_MAX : (size_t)max;
	return chunk->len - off < piece ? chunk->len - off : piece;
}

/* -L in lines: how many lines the next piece carries, of the `left` the chunk still holds
 * (of chunk_lines in all), at most max: as next_piece does for bytes, equal pieces of at
 * most one burst, or max whole when it is more. */
static uint64_t next_lines(const struct tp_pacer *pacer, uint64_t chunk_lines, uint64_t left,
			   uint64_t max)
{
	uint64_t lines = tp_pace_piece(pacer, chunk_lines);

	if (lines > max || max > pacer->burst)
		lines = max;
	return left < lines ? left : lines;
}

/* The bytes from off that carry `lines` of the `left` lines the chunk still holds: up to and
 * with the last one's terminator, or when they are the chunk's last lines all of the rest. A
 * line begun there ends in a later chunk, and is charged there: a line with no terminator
 * in a whole chunk still goes out, charged nothing. */
static size_t line_piece(const struct tp_writer *w, const struct tp_chunk *chunk, size_t off,
			 uint64_t lines, uint64_t left)
{
	uint64_t found;

	if (lines == left)
		return chunk->len - off;
	size_t n = tp_lines_cut(chunk->data + off, chunk->len - off, w->p.line_end, lines, &found);
	assert(found == lines);
	return n;
}

/* Sleeps until when_ns: asks to be woken a little earlier (by as much as wake-ups have been
 * late) and waits out the rest on the clock, so that the pacer's window, which frees to the
 * us, is used to the us. */
static int sleep_until(struct tp_writer *w, uint64_t now_ns, uint64_t when_ns)
{
	uint64_t target = tp_wake_target(&w->wake, now_ns, when_ns);

	set_state(w, TP_WRITER_PACING);
	if (target > now_ns) {
		struct timespec ts = { (time_t)(target / 1000000000u), (long)(target % 1000000000u) };
		int rc;
		while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
			if (tp_signals_writer_abandoned())
				return -ECANCELED;
		if (rc)
			return -rc; /* never spin out a whole wait */
		tp_wake_woke(&w->wake, target, tp_clock_ns());
	}
	uint64_t t;
	while ((t = tp_clock_ns()) < when_ns)
		; /* at most the lead, TP_WAKE_MAX_LEAD_NS */
	tp_counter_add(&w->p.counters->pace_wait_ns, t - now_ns);
	set_state(w, TP_WRITER_WRITING);
	return 0;
}

/* Sends one chunk's bytes, each piece when the pacer says (unpaced: all at once), cut
 * shorter when the pacer's window has room for part of it only. *pos is where they go in
 * the output (a file written at offsets): copies (--repeat) go after what was sent before
 * them, not over it. With pace_lines the pacer counts lines: each piece ends at a line's
 * end and is charged its lines. */
static int send_chunk(struct tp_writer *w, struct tp_pacer *pacer, struct tp_chunk *chunk,
		      uint64_t *pos)
{
	struct tp_engine *eng = w->p.engine;
	bool lines = w->lines;
	uint64_t unit = eng->sink->flags & TP_SINK_DGRAM && !lines ? eng->dgram_size : 1;
	uint64_t chunk_lines = lines ? tp_lines_count(chunk->data, chunk->len, w->p.line_end) : 0;
	uint64_t left = chunk_lines; /* lines not yet sent */

	for (size_t off = 0; off < chunk->len;) {
		if (tp_signals_writer_abandoned())
			return -ECANCELED;
		uint64_t now = tp_clock_ns(), may;
		if (take_rate(w)) {
			tp_pace_set_rate(pacer, w->rate, w->burst, now);
			if (w->lines != lines) { /* -R -L on a serial line's baud, with -l */
				lines = w->lines;
				unit = eng->sink->flags & TP_SINK_DGRAM && !lines ? eng->dgram_size : 1;
				chunk_lines = left = lines ? tp_lines_count(chunk->data + off,
						chunk->len - off, w->p.line_end) : 0;
			}
		}
		uint64_t max = tp_pace_max_send(pacer, now);
		uint64_t charge = lines ? next_lines(pacer, chunk_lines, left, max) : 0;
		size_t n = lines ? line_piece(w, chunk, off, charge, left)
			   : next_piece(eng, pacer, chunk, off, max);
		if (!lines)
			charge = n;
		uint64_t when = tp_pace_when(pacer, now, charge, unit, &may);
		if (when > now + TP_WRITER_LOOK_NS) {
			/* A long wait at a slow rate: look for a new one now and then. */
			int err = sleep_until(w, now, now + TP_WRITER_LOOK_NS);
			if (err)
				return err;
			continue;
		}
		if (when > now) {
			int err = sleep_until(w, now, when);
			if (err)
				return err;
		}
		if (may < charge && lines) {
			charge = may;
			n = line_piece(w, chunk, off, charge, left);
		} else if (may < charge) {
			n = next_piece(eng, pacer, chunk, off, may);
			charge = n;
		}
		struct tp_chunk piece = {
			.data = chunk->data + off, .cap = n, .len = n,
			.offset = *pos, .index = chunk->index,
			.pipe_rd = chunk->pipe_rd, .pipe_wr = chunk->pipe_wr, /* the splice path */
			.piece_off = off,
		};
		long slept = voluntary_switches();
		uint64_t start = tp_clock_ns();
		int err = write_piece(eng, &piece);
		if (err)
			return err;
		uint64_t end = tp_clock_ns();
		*pos += n;
		/* A write that slept waited for the output; one that was only slow, or
		 * preempted, did not. */
		tp_pace_sent(pacer, start, end, charge, voluntary_switches() != slept);
		if (lines)
			left -= charge;
		off += n;
	}
	return 0;
}

/* Chunks sent and waiting for their extra copies (--repeat), oldest first. */
struct held {
	struct tp_chunk *chunk[TP_MAX_REPEAT];
	unsigned copies[TP_MAX_REPEAT];  /* copies sent so far */
	unsigned n;
};

/* One copy of every held chunk that is due one, oldest first; the oldest is given back once
 * its last copy is out. Copy k of a chunk thus goes out after k newer chunks: never back to
 * back, so a burst of noise or loss cannot take every copy. */
static int send_copies(struct tp_writer *w, struct tp_pacer *pacer, struct held *h,
		       uint64_t *pos)
{
	for (unsigned i = 0; i < h->n; i++) {
		int err = send_chunk(w, pacer, h->chunk[i], pos);
		if (err)
			return err;
		h->copies[i]++;
		tp_counter_add(&w->p.counters->copies, 1);
	}
	if (h->n && h->copies[0] == w->p.repeat) {
		tp_handoff_release(w->p.handoff, w->p.out, h->chunk[0]);
		h->n--;
		memmove(h->chunk, h->chunk + 1, h->n * sizeof(h->chunk[0]));
		memmove(h->copies, h->copies + 1, h->n * sizeof(h->copies[0]));
	}
	return 0;
}

/* The next chunk to send: the one carried over from the unpaced loop, or the next taken. */
static int next_chunk(struct tp_writer *w, struct tp_chunk **chunk, struct tp_pacer *pacer)
{
	if (w->carry) {
		*chunk = w->carry;
		w->carry = NULL;
		return 0;
	}
	return take(w, true, chunk, pacer);
}

/* Paced, or repeating: one chunk at a time, in pieces when paced, copies interleaved. */
static int write_in_turn(struct tp_writer *w)
{
	struct tp_pacer pacer;
	struct held h = { .n = 0 };
	struct tp_chunk *chunk;
	int err;

	/* Sleep to the deadline, not up to 50 us past it (the default timer slack). */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	tp_pace_init(&pacer, w->rate, w->burst, tp_clock_ns());
	tp_wake_init(&w->wake);
	while ((err = next_chunk(w, &chunk, &pacer)) == 0) {
		err = send_chunk(w, &pacer, chunk, &w->pos);
		/* On an error the writer ends holding its chunks: none is given back again
		 * (writer_done), and giving this one back before the held ones would break the
		 * ring's order. */
		if (err)
			return err;
		note_sent(w, chunk);
		if (w->p.repeat) {
			err = send_copies(w, &pacer, &h, &w->pos);
			if (err)
				return err;
			h.chunk[h.n] = chunk;
			h.copies[h.n++] = 0;
		} else {
			tp_handoff_release(w->p.handoff, w->p.out, chunk);
			if (!pacer.rate)
				return SWITCH_LOOP; /* unpaced now (-R -L 0): queue chunks again */
		}
	}
	/* The input is over: the last chunks' remaining copies, still interleaved. */
	while (err == -ENODATA && h.n) {
		int rc = send_copies(w, &pacer, &h, &w->pos);
		if (rc)
			return rc;
	}
	return err == -ENODATA ? 0 : err;
}

static void *writer_main(void *arg)
{
	struct tp_writer *w = arg;

	tp_signals_writer_init(&w->abandoned);
	int rc;
	do
		rc = w->rate || w->p.repeat ? write_in_turn(w) : write_unpaced(w);
	while (rc == SWITCH_LOOP);
	/* A failed output gives its chunks up: none may still be in the kernel's hands when
	 * the reader refills them. */
	if (rc < 0 && w->p.engine->inflight)
		tp_engine_cancel(w->p.engine);
	w->error = rc;
	set_state(w, TP_WRITER_IDLE);
	tp_handoff_writer_exit(w->p.handoff, w->p.out, rc < 0);
	return NULL;
}

int tp_writer_start(struct tp_writer *w, const struct tp_writer_params *p)
{
	w->p = *p;
	w->error = 0;
	w->rate = p->rate;
	w->burst = p->burst;
	w->lines = p->pace_lines;
	w->carry = NULL;
	w->pos = 0;
	atomic_init(&w->rate_asked, false);
	atomic_init(&w->state, TP_WRITER_IDLE);
	w->abandoned = 0;
	pthread_mutex_init(&w->rate_lock, NULL);
	/* The thread inherits the caller's signal mask, in which our signals are blocked. */
	return -pthread_create(&w->thread, NULL, writer_main, w);
}

void tp_writer_set_rate(struct tp_writer *w, uint64_t rate, uint64_t burst, bool lines)
{
	pthread_mutex_lock(&w->rate_lock);
	w->rate_req.rate = rate;
	w->rate_req.burst = burst;
	w->rate_req.lines = lines;
	atomic_store_explicit(&w->rate_asked, true, memory_order_relaxed);
	pthread_mutex_unlock(&w->rate_lock);
}

void tp_writer_abandon(struct tp_writer *w)
{
	tp_signals_abandon_writer(w->thread, &w->abandoned);
}

int tp_writer_join(struct tp_writer *w)
{
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->rate_lock);
	return w->error;
}
