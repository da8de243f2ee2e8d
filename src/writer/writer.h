/* The writer thread: takes full chunks from the hand-off, paces them when asked, writes them
 * through the engine, gives them back. It records the first error and ends; it never prints
 * or exits. */
#ifndef TP_WRITER_H
#define TP_WRITER_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "engine.h"
#include "tail.h"
#include "handoff.h"
#include "pace.h"
#include "wake.h"

/* What the writer is started with. */
struct tp_writer_params {
	struct tp_handoff *handoff;
	unsigned out;                 /* which of the hand-off's outputs this writer is */
	struct tp_engine *engine;     /* set up (tp_engine_init); the writer's from the start */
	struct tp_counters *counters; /* the writer's fields of it (stats.h) */
	uint64_t rate;                /* -L in bytes/s (lines/s with pace_lines); 0 = unpaced */
	uint64_t burst;               /* the pacer's burst, when paced (lines with pace_lines) */
	bool pace_lines;              /* -l with -L: the pacer counts lines ending in line_end;
	                               * a piece is charged the terminators it carries */
	unsigned char line_end;       /* '\n', or '\0' with -0 */
	unsigned repeat;              /* --repeat: extra copies of every chunk's frames */
	struct tp_tail *tail;         /* the last bytes written, kept for the progress line;
	                               * NULL on the splice path (never in memory) */
};

struct tp_writer {
	/* Fixed by tp_writer_start, read-only after (both threads). */
	struct tp_writer_params p;
	pthread_t thread;
	/* Written by the writer thread before tp_handoff_writer_exit, read by the main thread
	 * after tp_writer_join: 0 or -errno. */
	int error;
	/* The writer thread's only. */
	struct tp_wake wake;
	uint64_t rate, burst;         /* the pace in force: p.rate and p.burst, until changed */
	bool lines;                   /* ... in lines: p.pace_lines, until changed */
	struct tp_chunk *carry;       /* taken unpaced, to be sent paced: the next to send */
	uint64_t pos;                 /* where the next bytes go in the output (with --repeat's
	                               * copies), kept across a change of loop */
	/* A new pace asked for by the main thread (tp_writer_set_rate), taken by the writer at
	 * its next send: rate_lock guards rate_req; rate_asked says one is waiting, so that the
	 * writer looks at every send without taking the lock. */
	/* Written by the writer thread, read by the main thread (the stall watchdog): what it
	 * is doing, enum tp_writer_state. */
	atomic_int state;
	/* Set by the main thread (tp_writer_abandon), read by the writer thread: give up. */
	volatile sig_atomic_t abandoned;
	pthread_mutex_t rate_lock;
	struct { uint64_t rate, burst; bool lines; } rate_req;
	atomic_bool rate_asked;
};

/* What a writer is doing, for the stall watchdog: only a write can stall. */
enum tp_writer_state {
	TP_WRITER_IDLE,     /* waiting for a chunk from the reader, or ended */
	TP_WRITER_PACING,   /* sleeping to hold the rate */
	TP_WRITER_WRITING,  /* a write is out, or about to be */
};

static inline enum tp_writer_state tp_writer_state(struct tp_writer *w)
{
	return (enum tp_writer_state)atomic_load_explicit(&w->state, memory_order_relaxed);
}

/* Starts the thread; signals are blocked in it (the caller blocks them first). 0 or -errno. */
int tp_writer_start(struct tp_writer *w, const struct tp_writer_params *p);
/* Makes the writer give up what it has not written (the drain after SIGINT or SIGTERM ran
 * out of time): it ends with -ECANCELED soon after. Call again until it has ended. */
void tp_writer_abandon(struct tp_writer *w);
/* Main thread: pace at `rate` bytes/s (lines/s with `lines`; 0: unpaced) in bursts of `burst`
 * (tp_tune_rate) from
 * the writer's next send on, with no burst or stall (tp_pace_set_rate). An unpaced writer
 * starts pacing once the chunks it has queued are out (the chunks after them are paced); a
 * paced one without --repeat goes back to the unpaced loop at its next chunk. A wait for the
 * old rate's schedule is cut to TP_WRITER_LOOK_NS, so a change comes within that even at a
 * very slow rate. */
void tp_writer_set_rate(struct tp_writer *w, uint64_t rate, uint64_t burst, bool lines);
#define TP_WRITER_LOOK_NS 100000000ull
/* Joins the thread (after tp_handoff_writer_done); returns its error. */
int tp_writer_join(struct tp_writer *w);

#endif
