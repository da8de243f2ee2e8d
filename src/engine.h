/* Writer engines: how the writer thread gets a chunk's bytes into the sink.
 * Modelled on fio's ioengine_ops: a synchronous engine finishes a chunk inside submit and says
 * TP_ENGINE_DONE; an asynchronous one says TP_ENGINE_QUEUED and hands the chunk back later from
 * reap, always in submission order, so the ring gets its chunks back in order. Every engine
 * writes every byte (short writes are resumed, EAGAIN waits) or returns -errno. */
#ifndef TP_ENGINE_H
#define TP_ENGINE_H

#include <stdbool.h>
#include "enums.h"
#include "ring.h"
#include "sink.h"
#include "stats.h"

enum { TP_ENGINE_QUEUED = 0, TP_ENGINE_DONE = 1 };

struct tp_engine;

struct tp_engine_ops {
	const char *name;
	/* 0 or -errno; -errno here makes "auto" fall back to the next engine. */
	int (*init)(struct tp_engine *eng, unsigned depth);
	int (*submit)(struct tp_engine *eng, struct tp_chunk *chunk);
	/* Waits for the oldest queued chunk to be written out and stores it in *done: 1, or -errno. */
	int (*reap)(struct tp_engine *eng, struct tp_chunk **done);
	void (*exit)(struct tp_engine *eng);
};

struct tp_engine {
	const struct tp_engine_ops *ops;
	struct tp_sink *sink;
	struct tp_counters *counters; /* the writer's counters: bytes_out, write_calls */
	unsigned inflight;            /* chunks queued and not yet reaped */
	unsigned max_inflight;        /* 1 for streams: order must hold across short writes */
	int fallback_err;             /* why "auto" fell back to write(), or 0 */
	void *priv;
};

extern const struct tp_engine_ops tp_engine_write_ops;
extern const struct tp_engine_ops tp_engine_dgram_ops;
extern const struct tp_engine_ops tp_engine_splice_ops;
#ifdef HAVE_LIBURING
extern const struct tp_engine_ops tp_engine_uring_ops;
#endif

/* Sets up the engine of `kind` for the sink; for TP_ENGINE_AUTO, io_uring and then write();
 * write() for a TP_SINK_SHARED sink, even for TP_ENGINE_URING.
 * TP_ENGINE_SPLICE only when the ring's chunks have pipes (tp_pipes_attach).
 * depth is the ring depth (the most chunks that can ever be queued). 0 or -errno. */
int tp_engine_init(struct tp_engine *eng, enum tp_engine_kind kind, struct tp_sink *sink,
		   struct tp_counters *counters, unsigned depth);

static inline int tp_engine_submit(struct tp_engine *eng, struct tp_chunk *chunk)
{
	return eng->ops->submit(eng, chunk);
}

static inline int tp_engine_reap(struct tp_engine *eng, struct tp_chunk **done)
{
	return eng->ops->reap(eng, done);
}

static inline void tp_engine_exit(struct tp_engine *eng)
{
	if (eng->ops && eng->ops->exit)
		eng->ops->exit(eng);
}

/* One step of moving the chunk's bytes [off, off + left) to fd: how many moved (> 0), or
 * -errno (-EAGAIN: fd is non-blocking and full; -EINTR: try again). */
typedef ssize_t tp_move_fn(int fd, const struct tp_chunk *chunk, size_t off, size_t left);

/* The synchronous engines' loop (write(), splice()): moves all of the chunk to fd step by
 * step, resuming short moves, waiting out EAGAIN, timing and counting every call. 0 or
 * -errno. */
int tp_move_all(int fd, const struct tp_chunk *chunk, tp_move_fn *move,
		struct tp_counters *counters);

#endif
