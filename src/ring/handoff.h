/* The hand-off between the reader (main thread) and the writer threads (one per output)
 * around one ring. Each output takes every chunk; a chunk is the reader's again once every
 * output still writing has given it back. A writer sleeps on a condition variable; the reader never blocks here: when it has no free
 * chunk it waits in ppoll() on wake_fd together with its input and its signals, so a signal or
 * a progress tick is handled at once even while the output is stalled. */
#ifndef TP_HANDOFF_H
#define TP_HANDOFF_H

#include <pthread.h>
#include <stdbool.h>
#include "fill.h"
#include "ring.h"

/* Threads: the reader is the main thread, the writers the writer threads. Only the functions
 * below touch the fields; the struct is shown for its size and for tests. */
struct tp_handoff {
	/* Fixed by tp_handoff_init, read-only until tp_handoff_destroy (both threads). */
	pthread_mutex_t lock;
	pthread_cond_t filled;    /* the writers wait here for a full chunk or the end */
	int wake_fd;              /* eventfd: readable when the reader should look again; the
	                           * writers write it, the reader polls and reads it */
	unsigned wake_free;       /* free chunks that make it worth waking a waiting reader */
	/* Under lock, both threads. The chunks themselves are not: a chunk is the reader's
	 * from get_free to put, and the writer's from take to release (ring.h). */
	struct tp_ring ring;
	bool closed;              /* the reader has put its last chunk */
	unsigned writers_waiting; /* writers sleeping on `filled` */
	bool reader_waiting;      /* the reader sleeps on wake_fd for a free chunk */
	bool reader_holding;      /* the reader keeps filling a chunk while the writers have work:
	                           * wake it when one runs out */
	uint32_t done;            /* bit i: output i's writer has returned */
	bool writer_done;         /* every writer has returned; no chunk will be freed again */
	struct tp_fill fill;      /* --write-above, --read-below: when each side may go on */
	unsigned high_water;      /* most chunks in use at once (read without the lock only
	                           * after tp_writer_join) */
};

/* For one output; tp_handoff_set_outputs before the first put for more. */
int tp_handoff_init(struct tp_handoff *h, size_t chunk_size, unsigned depth, size_t room);
/* n outputs (tp_ring_set_outputs), before any chunk is put: 0 or -EINVAL. */
int tp_handoff_set_outputs(struct tp_handoff *h, unsigned n);
void tp_handoff_destroy(struct tp_handoff *h);
/* The fill levels (fill.h), in percent; before the writer starts. Default: 0 and 100. */
void tp_handoff_set_fill(struct tp_handoff *h, unsigned write_above, unsigned read_below);

/* Reader side. */
/* A free chunk, or NULL (then wake_fd turns readable when one is freed or the writer ends,
 * or with --read-below once the ring has drained below it). */
struct tp_chunk *tp_handoff_get_free(struct tp_handoff *h);
void tp_handoff_put(struct tp_handoff *h, struct tp_chunk *chunk);
/* Whether every writer still has full chunks it has not taken. Then a chunk that holds some
 * data need not be handed over yet (it could not go out sooner), so the reader fills it on
 * and the ring keeps --buffer-size of data, not --buffer-size worth of chunks however little
 * each held; a writer wakes the reader (wake_fd) when it runs out. */
bool tp_handoff_writer_has_work(struct tp_handoff *h);
/* No more chunks will come: the writers drain the ring and end. */
void tp_handoff_close(struct tp_handoff *h);
/* Consume a wake-up from wake_fd (call after ppoll says it is readable). */
void tp_handoff_clear_wake(struct tp_handoff *h);
/* Every writer has ended. */
bool tp_handoff_writer_done(struct tp_handoff *h);
/* The writer of output `out` has ended. */
bool tp_handoff_output_done(struct tp_handoff *h, unsigned out);
/* Chunks currently full or being written (for status lines). */
unsigned tp_handoff_used(struct tp_handoff *h);
/* What the fill levels hold back now (for status lines). */
enum tp_hold tp_handoff_hold(struct tp_handoff *h);

/* Writer side: the writer of output `out`. */
/* Takes the oldest full chunk it has not taken: 0 and *chunk set; -EAGAIN if none (or --write-above holds
 * it back) and !wait;
 * -ENODATA when the reader has closed and every chunk has been taken. */
int tp_handoff_take(struct tp_handoff *h, unsigned out, bool wait, struct tp_chunk **chunk);
void tp_handoff_release(struct tp_handoff *h, unsigned out, struct tp_chunk *chunk);
/* The writer of `out` is finished, done or `failed` (then the ring no longer waits for the
 * chunks it holds: it must not touch them again): wakes the reader. */
void tp_handoff_writer_exit(struct tp_handoff *h, unsigned out, bool failed);

#endif
