/* The null engines (fio's engines/null.c is the model): nothing leaves the process. Each
 * write is kept in memory with its offset, length and time, so the writer thread's logic
 * (pacing, --repeat interleaving, datagram spans, errors) is tested without a real fd.
 * "null" is synchronous; "null-async" queues up to four chunks and completes them in order
 * at reap, as io_uring does. */
#ifndef TP_ENGINE_NULL_H
#define TP_ENGINE_NULL_H

#include <stddef.h>
#include <stdint.h>
#include "engine.h"

struct tp_null_write {
	uint64_t offset;      /* the piece's output offset (chunk->offset) */
	size_t len;
	unsigned index;       /* its chunk's ring index */
	uint64_t ns;          /* when it was written (CLOCK_MONOTONIC) */
};

/* What the null engine kept. Written by the writer thread; read it after tp_writer_join. */
struct tp_null_state {
	unsigned char *bytes; /* every byte written, in order */
	size_t len, cap;
	struct tp_null_write *writes;
	size_t n_writes, cap_writes;
	/* Set before writing: fail the write that would pass fail_at bytes in all with
	 * fail_err (0: never fail). */
	uint64_t fail_at;
	int fail_err;
	/* The async engine's queue of chunks submitted and not yet reaped. */
	struct tp_chunk *queue[4];
	unsigned head, count;
};

/* The state of an engine set up with tp_engine_null_ops or tp_engine_null_async_ops. */
struct tp_null_state *tp_engine_null_state(struct tp_engine *eng);

#endif
