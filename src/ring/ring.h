/* The ring: a pool of page-aligned chunks allocated once, and the pure bookkeeping of who owns
 * which chunk. A chunk moves free -> reader -> full -> writer -> free, strictly in ring order,
 * so a few counters describe every chunk's owner. With several outputs every output takes
 * every chunk, in order, with counters of its own; a chunk is free once all have given it
 * back. Not thread-safe: handoff.c adds the locking. */
#ifndef TP_RING_H
#define TP_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "enums.h"

/* A chunk is the reader's (main thread) from tp_handoff_get_free until tp_handoff_put, then
 * the writer thread's until tp_handoff_release: the hand-off's lock orders the two, so the
 * fields need no lock of their own. data, cap, index and the pipes are fixed at init. */
struct tp_chunk {
	unsigned char *data;  /* page-aligned payload area; `room` bytes before and after it are ours */
	size_t cap;           /* payload capacity */
	size_t len;           /* payload bytes filled by the reader */
	uint64_t offset;      /* output offset of data[0] (after framing) */
	uint64_t stream_end;  /* input bytes up to the end of this chunk's data (before framing;
	                       * with -D, verified bytes): set by the reader at hand-over */
	unsigned index;       /* position in the ring, for the ordering checks */
	/* The splice path (pipes.h): the chunk's bytes wait in a pipe of its own instead of in
	 * data, so they are never copied into tpipe; -1 when the chunk holds them in data. */
	int pipe_rd, pipe_wr;
	/* A piece of a chunk (the paced writer sends a chunk in pieces): where in its chunk it
	 * starts; 0 for a whole chunk. */
	size_t piece_off;
};

/* The most outputs (-o) one ring feeds: each has a take and a release count of its own. */
#define TP_RING_MAX_OUTPUTS TP_MAX_OUTPUTS

struct tp_ring {
	struct tp_chunk *chunks;
	unsigned depth;
	unsigned char *mem;   /* one mapping for all chunks */
	size_t mem_size;
	size_t room;          /* headroom and tailroom around each payload, page-rounded */
	/* Monotonic counts; chunk i of the stream lives at chunks[i % depth]. */
	uint64_t filled;      /* handed to the outputs by tp_ring_put */
	unsigned n_out;       /* outputs reading the ring (1 unless tp_ring_set_outputs) */
	uint32_t live;        /* bit i: output i still writes (tp_ring_drop clears it) */
	uint64_t taken[TP_RING_MAX_OUTPUTS];    /* taken by output i */
	uint64_t released[TP_RING_MAX_OUTPUTS]; /* given back by output i */
	uint64_t freed;       /* given back by every live output: the reader may refill those */
};

/* Allocates depth chunks of chunk_size (rounded up to the page size) with `room` bytes of
 * headroom and tailroom each, for one output. Returns 0 or -errno. */
int tp_ring_init(struct tp_ring *ring, size_t chunk_size, unsigned depth, size_t room);
void tp_ring_destroy(struct tp_ring *ring);
/* Before the first put: n outputs (1..TP_RING_MAX_OUTPUTS) each get every chunk, and a chunk
 * is free again once all of them gave it back. -EINVAL for another n. */
int tp_ring_set_outputs(struct tp_ring *ring, unsigned n);

/* The next free chunk for the reader to fill, or NULL when all are in use.
 * It stays the same chunk until tp_ring_put hands it on. */
struct tp_chunk *tp_ring_peek_free(struct tp_ring *ring);
/* Hands the reader's chunk to the outputs. -EINVAL if it is not the chunk peek_free gave. */
int tp_ring_put(struct tp_ring *ring, struct tp_chunk *chunk);
/* The oldest full chunk output `out` has not taken yet, or NULL. */
struct tp_chunk *tp_ring_take(struct tp_ring *ring, unsigned out);
/* Output `out` gives a taken chunk back; its chunks come back in the order it took them
 * (-EINVAL if not). */
int tp_ring_release(struct tp_ring *ring, unsigned out, struct tp_chunk *chunk);
/* Output `out` failed and writes no more: the chunks it holds or has not taken are no longer
 * waited for. When no output is left, every chunk is free. */
void tp_ring_drop(struct tp_ring *ring, unsigned out);

static inline bool tp_ring_is_live(const struct tp_ring *ring, unsigned out)
{
	return ring->live & (1u << out);
}

/* Chunks not free: filled by the reader and not yet given back by every live output. */
static inline unsigned tp_ring_used(const struct tp_ring *ring)
{
	return (unsigned)(ring->filled - ring->freed);
}

/* Full chunks output `out` has not taken yet. */
static inline unsigned tp_ring_waiting(const struct tp_ring *ring, unsigned out)
{
	return (unsigned)(ring->filled - ring->taken[out]);
}

#endif
