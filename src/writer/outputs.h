/* The outputs of one transfer (-o, once or several times): each has its sink, its engine and
 * a writer thread of its own, all reading the one ring (handoff.h), so every output gets
 * every byte in order and the slowest sets the pace. This module folds their counters into
 * the transfer's, and watches them for stalls (--stall-timeout); it never prints.
 *
 * Threads: the main thread opens, starts, watches, joins and closes the outputs; between
 * tp_writer_start and tp_writer_join an output's engine, writer and counters' writer fields
 * are its writer thread's (engine.h, writer.h, stats.h), and the main thread only reads the
 * counters and sends the writer its wake-up (tp_writer_abandon). */
#ifndef TP_OUTPUTS_H
#define TP_OUTPUTS_H

#include <stdbool.h>
#include <stdint.h>
#include "engine.h"
#include "sink.h"
#include "stats.h"
#include "writer.h"

struct tp_output {
	const char *dest;             /* as given to -o */
	struct tp_sink sink;
	struct tp_engine engine;
	struct tp_writer writer;
	/* Its writer's figures; with one output the transfer's own (no folding). */
	struct tp_counters own;
	struct tp_counters *counters;
	/* The main thread's. */
	bool opened, has_engine, started;
	bool failed;                  /* dropped: could not be opened, or its writer failed */
	bool stalled;                 /* given up on by the stall watchdog */
	bool said;                    /* its writer's failure was said while the others went on */
	int error;                    /* its writer's result, after tp_writer_join */
	int finish_err;               /* tp_sink_finish's, after that */
	uint64_t stall_ns;            /* how long it had taken nothing, when given up on */
	/* The watchdog's last look: what the output had accepted then, and since when it has
	 * accepted nothing. */
	uint64_t seen_bytes;
	int64_t seen_queued;
	uint64_t quiet_since_ns;
};

struct tp_outputs {
	struct tp_output *o;
	unsigned n;
	uint64_t stall_timeout_ns;    /* --stall-timeout; 0: never */
};

/* Main thread, between every wait (several outputs only; one writes the transfer's counters
 * itself): the writer fields of `into` from the outputs': what every live output has
 * written (the least of them; the most when none is left), the write calls of all. */
void tp_outputs_fold(const struct tp_outputs *outs, struct tp_counters *into);

/* Main thread: how long until the watchdog should look again, in ms (-1: no need). */
int tp_outputs_watch_ms(const struct tp_outputs *outs);
/* Main thread: looks at every running output; one that has had a write waiting for
 * stall_timeout_ns and accepted nothing meanwhile (its bytes, and what waits in its pipe,
 * socket or terminal queue, unchanged) is marked stalled and its writer told to give up.
 * Returns the first output newly marked, or NULL; call again until NULL. */
struct tp_output *tp_outputs_watch(struct tp_outputs *outs, uint64_t now_ns);

/* Main thread, several outputs: an output whose writer has ended with an error not said
 * yet (its `error` then set, and `said`), to be said at once while the others go on; or
 * NULL. Call again until NULL. */
struct tp_output *tp_outputs_failed(struct tp_outputs *outs);

/* Outputs still writing (opened, not failed, not stalled). */
unsigned tp_outputs_live(const struct tp_outputs *outs);

#endif
