/* The writer thread: takes full chunks from the hand-off, paces them when asked, writes them
 * through the engine, gives them back. It records the first error and ends; it never prints
 * or exits. */
#ifndef TP_WRITER_H
#define TP_WRITER_H

#include <pthread.h>
#include "engine.h"
#include "handoff.h"
#include "pace.h"
#include "wake.h"

/* What the writer is started with. */
struct tp_writer_params {
	struct tp_handoff *handoff;
	struct tp_engine *engine;     /* set up (tp_engine_init); the writer's from the start */
	struct tp_counters *counters; /* the writer's fields of it (stats.h) */
	uint64_t rate;                /* -L in bytes/s (lines/s with pace_lines); 0 = unpaced */
	uint64_t burst;               /* the pacer's burst, when paced (lines with pace_lines) */
	bool pace_lines;              /* -l with -L: the pacer counts lines ending in line_end;
	                               * a piece is charged the terminators it carries */
	unsigned char line_end;       /* '\n', or '\0' with -0 */
	unsigned repeat;              /* --repeat: extra copies of every chunk's frames */
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
};

/* Starts the thread; signals are blocked in it (the caller blocks them first). 0 or -errno. */
int tp_writer_start(struct tp_writer *w, const struct tp_writer_params *p);
/* Makes the writer give up what it has not written (the drain after SIGINT or SIGTERM ran
 * out of time): it ends with -ECANCELED soon after. Call again until it has ended. */
void tp_writer_abandon(struct tp_writer *w);
/* Joins the thread (after tp_handoff_writer_done); returns its error. */
int tp_writer_join(struct tp_writer *w);

#endif
