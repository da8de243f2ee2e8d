/* The ring: a pool of page-aligned chunks allocated once, and the pure bookkeeping of who owns
 * which chunk. A chunk moves free -> reader -> full -> writer -> free, strictly in ring order,
 * so three counters describe every chunk's owner. Not thread-safe: handoff.c adds the locking. */
#ifndef TP_RING_H
#define TP_RING_H

#include <stddef.h>
#include <stdint.h>

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
};

struct tp_ring {
	struct tp_chunk *chunks;
	unsigned depth;
	unsigned char *mem;   /* one mapping for all chunks */
	size_t mem_size;
	size_t room;          /* headroom and tailroom around each payload, page-rounded */
	/* Monotonic counts; chunk i of the stream lives at chunks[i % depth]. */
	uint64_t filled;      /* handed to the writer by tp_ring_put */
	uint64_t taken;       /* taken by the writer */
	uint64_t released;    /* given back by the writer */
};

/* Allocates depth chunks of chunk_size (rounded up to the page size) with `room` bytes of
 * headroom and tailroom each. Returns 0 or -errno. */
int tp_ring_init(struct tp_ring *ring, size_t chunk_size, unsigned depth, size_t room);
void tp_ring_destroy(struct tp_ring *ring);

/* The next free chunk for the reader to fill, or NULL when all are in use.
 * It stays the same chunk until tp_ring_put hands it on. */
struct tp_chunk *tp_ring_peek_free(struct tp_ring *ring);
/* Hands the reader's chunk to the writer. -EINVAL if it is not the chunk peek_free gave. */
int tp_ring_put(struct tp_ring *ring, struct tp_chunk *chunk);
/* The oldest full chunk not yet taken, or NULL. */
struct tp_chunk *tp_ring_take(struct tp_ring *ring);
/* Gives a taken chunk back; chunks come back in the order they were taken (-EINVAL if not). */
int tp_ring_release(struct tp_ring *ring, struct tp_chunk *chunk);

/* Chunks not free: filled by the reader and not yet released by the writer. */
static inline unsigned tp_ring_used(const struct tp_ring *ring)
{
	return (unsigned)(ring->filled - ring->released);
}

#endif
