/* Writer engines: how the writer thread gets a chunk's bytes into the sink.
 *
 * The contract, modelled on fio's ioengine_ops (fio's ioengines.h): an engine is an ops struct
 * whose optional operations are NULL, and whose flags say what it is.
 * - A synchronous engine (TP_ENGINE_SYNC) finishes a chunk inside submit and returns
 *   TP_ENGINE_DONE; it has no reap, and nothing is ever in flight.
 * - An asynchronous one returns TP_ENGINE_QUEUED and hands the chunk back later from reap,
 *   always in submission order, so the ring gets its chunks back in order; at most
 *   max_inflight at once.
 * tp_engine_init_ops checks the combination once (assert: a wrong one is a programming
 * error).
 * Every engine writes every byte (short writes are resumed, EAGAIN waits) or returns -errno;
 * -ECANCELED when the reader gave up on the writer (tp_signals_writer_abandoned).
 *
 * Threads: tp_engine_init and tp_engine_exit run in the main thread before tp_writer_start and
 * after tp_writer_join; everything in between (submit, reap, inflight, priv, the counters'
 * writer fields) is the writer thread's alone. */
#ifndef TP_ENGINE_H
#define TP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "enums.h"
#include "lines.h"
#include "ring.h"
#include "sink.h"
#include "stats.h"

enum { TP_ENGINE_QUEUED = 0, TP_ENGINE_DONE = 1 };

enum tp_engine_flags {
	TP_ENGINE_SYNC  = 1 << 0, /* submit writes the whole chunk; no reap */
	TP_ENGINE_PIPES = 1 << 1, /* the chunks' bytes are in their pipes (pipes.h), not in data */
	TP_ENGINE_DGRAM = 1 << 2, /* for a TP_SINK_DGRAM sink: chunks go out as datagrams */
};

struct tp_engine;

struct tp_engine_ops {
	const char *name;
	unsigned flags;       /* enum tp_engine_flags */
	/* May be NULL. 0 or -errno; -errno here makes "auto" fall back to the next engine. An
	 * engine that can have several chunks in flight raises eng->max_inflight (1 before). */
	int (*init)(struct tp_engine *eng, unsigned depth);
	/* TP_ENGINE_DONE (synchronous), TP_ENGINE_QUEUED (asynchronous), or -errno. */
	int (*submit)(struct tp_engine *eng, struct tp_chunk *chunk);
	/* Asynchronous engines only (NULL for TP_ENGINE_SYNC): waits for the oldest queued
	 * chunk to be written out and stores it in *done: 1, or -errno. */
	int (*reap)(struct tp_engine *eng, struct tp_chunk **done);
	/* Asynchronous engines: the writer failed or was given up on with chunks in flight;
	 * cancels them and returns once the kernel is done with every one of them (their
	 * memory is the reader's again after this). NULL for synchronous ones. */
	void (*cancel)(struct tp_engine *eng);
	void (*exit)(struct tp_engine *eng); /* may be NULL */
};

/* What an engine is set up for. */
struct tp_engine_params {
	enum tp_engine_kind kind;     /* --engine, or TP_ENGINE_SPLICE when the ring has pipes */
	struct tp_sink *sink;
	struct tp_counters *counters; /* the writer's fields: bytes_out, write_calls, ... */
	unsigned depth;               /* ring depth: the most chunks that can ever be queued */
	/* A datagram sink: how a chunk splits into datagrams (dgram.h). */
	size_t dgram_size;            /* raw datagram size */
	bool dgram_framed;            /* one frame per datagram (-F) */
	bool count_lines;             /* -l, -0: count line_end bytes into lines_out (never
	                               * for TP_ENGINE_PIPES: its bytes are not in memory) */
	unsigned char line_end;       /* '\n', or '\0' with -0 */
	bool shared_pipes;            /* TP_ENGINE_SPLICE for one of several outputs: the tee
	                               * engine, which leaves the chunks' pipes to the others */
	size_t pipe_size;             /* the tee engine: its own pipe's size, at least the largest
	                               * chunk pipe's (tee cannot resume a short copy) */
	size_t max_write;             /* most bytes one write call may carry (0: no limit):
	                               * --stall-timeout sees a blocked write's progress only
	                               * as each call returns */
};

struct tp_engine {
	/* Fixed by tp_engine_init, read-only after. */
	const struct tp_engine_ops *ops;
	struct tp_sink *sink;
	struct tp_counters *counters;
	unsigned max_inflight;        /* 1 for streams: order must hold across short writes */
	size_t dgram_size;            /* as in tp_engine_params */
	bool dgram_framed;
	bool count_lines;             /* as in tp_engine_params */
	unsigned char line_end;
	size_t max_write;             /* as in tp_engine_params */
	size_t pipe_size;
	int fallback_err;             /* why "auto" fell back to write(), or 0 */
	/* The writer thread's. */
	unsigned inflight;            /* chunks queued and not yet reaped */
	void *priv;
};

extern const struct tp_engine_ops tp_engine_write_ops;
extern const struct tp_engine_ops tp_engine_dgram_ops;
extern const struct tp_engine_ops tp_engine_splice_ops;
extern const struct tp_engine_ops tp_engine_tee_ops;
extern const struct tp_engine_ops tp_engine_null_ops;
extern const struct tp_engine_ops tp_engine_null_async_ops;
#ifdef HAVE_LIBURING
extern const struct tp_engine_ops tp_engine_uring_ops;
#endif

/* Sets up the engine of p->kind for the sink: the datagram engine for a datagram sink;
 * for TP_ENGINE_AUTO io_uring and then write(); write() for a TP_SINK_SHARED sink, even for
 * TP_ENGINE_URING. TP_ENGINE_SPLICE only when the ring's chunks have pipes (tp_pipes_attach):
 * the splice engine, or with shared_pipes the tee engine.
 * 0 or -errno (-ENOTSUP: io_uring asked for and not built in). */
int tp_engine_init(struct tp_engine *eng, const struct tp_engine_params *p);

/* Sets up exactly the engine `ops` (the null engines: tests). 0 or -errno. */
int tp_engine_init_ops(struct tp_engine *eng, const struct tp_engine_ops *ops,
		       const struct tp_engine_params *p);

static inline bool tp_engine_is_sync(const struct tp_engine *eng)
{
	return eng->ops->flags & TP_ENGINE_SYNC;
}

static inline int tp_engine_submit(struct tp_engine *eng, struct tp_chunk *chunk)
{
	return eng->ops->submit(eng, chunk);
}

/* The sink accepted n bytes at data: bytes_out, and with -l the lines in them (lines_out).
 * Every engine counts what it wrote through this. */
static inline void tp_engine_count_out(const struct tp_engine *eng, const unsigned char *data,
				       size_t n)
{
	tp_counter_add(&eng->counters->bytes_out, n);
	if (eng->count_lines)
		tp_counter_add(&eng->counters->lines_out, tp_lines_count(data, n, eng->line_end));
}

/* Only for an asynchronous engine with a chunk in flight. */
int tp_engine_reap(struct tp_engine *eng, struct tp_chunk **done);

/* Writer thread, after a failure: see tp_engine_ops.cancel. */
static inline void tp_engine_cancel(struct tp_engine *eng)
{
	if (eng->ops->cancel)
		eng->ops->cancel(eng);
	eng->inflight = 0;
}

static inline void tp_engine_exit(struct tp_engine *eng)
{
	if (eng->ops && eng->ops->exit)
		eng->ops->exit(eng);
}

#endif
