#include "config.h"
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

int tp_ring_init(struct tp_ring *ring, size_t chunk_size, unsigned depth, size_t room)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	memset(ring, 0, sizeof(*ring));
	if (chunk_size == 0 || depth == 0)
		return -EINVAL;
	if (chunk_size > SIZE_MAX / 4 || room > SIZE_MAX / 4)
		return -ERANGE;
	chunk_size = round_up(chunk_size, page);
	room = round_up(room, page);
	size_t stride = room + chunk_size + room;
	if (depth > SIZE_MAX / stride)
		return -ERANGE;

	ring->chunks = calloc(depth, sizeof(*ring->chunks));
	if (!ring->chunks)
		return -ENOMEM;
	/* One anonymous mapping: page-aligned, and untouched pages cost no memory until used. */
	ring->mem_size = stride * depth;
	ring->mem = mmap(NULL, ring->mem_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ring->mem == MAP_FAILED) {
		int err = -errno;
		free(ring->chunks);
		memset(ring, 0, sizeof(*ring));
		return err;
	}
	ring->depth = depth;
	ring->room = room;
	ring->n_out = 1;
	ring->live = 1;
	for (unsigned i = 0; i < depth; i++) {
		ring->chunks[i].data = ring->mem + (size_t)i * stride + room;
		ring->chunks[i].cap = chunk_size;
		ring->chunks[i].index = i;
		ring->chunks[i].pipe_rd = ring->chunks[i].pipe_wr = -1;
	}
	return 0;
}

void tp_ring_destroy(struct tp_ring *ring)
{
	for (unsigned i = 0; i < ring->depth; i++) {
		if (ring->chunks[i].pipe_rd >= 0)
			close(ring->chunks[i].pipe_rd);
		if (ring->chunks[i].pipe_wr >= 0)
			close(ring->chunks[i].pipe_wr);
	}
	if (ring->mem)
		munmap(ring->mem, ring->mem_size);
	free(ring->chunks);
	memset(ring, 0, sizeof(*ring));
}

int tp_ring_set_outputs(struct tp_ring *ring, unsigned n)
{
	if (n == 0 || n > TP_RING_MAX_OUTPUTS || ring->filled)
		return -EINVAL;
	ring->n_out = n;
	ring->live = (1u << n) - 1;
	return 0;
}

/* freed: the least any live output has given back; everything when none is left. */
static void update_freed(struct tp_ring *ring)
{
	uint64_t least = ring->filled;

	for (unsigned i = 0; i < ring->n_out; i++)
		if (tp_ring_is_live(ring, i) && ring->released[i] < least)
			least = ring->released[i];
	ring->freed = least;
}

struct tp_chunk *tp_ring_peek_free(struct tp_ring *ring)
{
	if (ring->filled - ring->freed >= ring->depth)
		return NULL;
	return &ring->chunks[ring->filled % ring->depth];
}

int tp_ring_put(struct tp_ring *ring, struct tp_chunk *chunk)
{
	if (chunk != tp_ring_peek_free(ring))
		return -EINVAL;
	ring->filled++;
	if (!ring->live)
		ring->freed = ring->filled; /* nobody left to write it */
	return 0;
}

struct tp_chunk *tp_ring_take(struct tp_ring *ring, unsigned out)
{
	if (out >= ring->n_out || ring->taken[out] == ring->filled)
		return NULL;
	return &ring->chunks[ring->taken[out]++ % ring->depth];
}

int tp_ring_release(struct tp_ring *ring, unsigned out, struct tp_chunk *chunk)
{
	if (out >= ring->n_out || ring->released[out] == ring->taken[out] ||
	    chunk != &ring->chunks[ring->released[out] % ring->depth])
		return -EINVAL;
	ring->released[out]++;
	if (tp_ring_is_live(ring, out))
		update_freed(ring);
	return 0;
}

void tp_ring_drop(struct tp_ring *ring, unsigned out)
{
	if (out >= ring->n_out)
		return;
	ring->live &= ~(1u << out);
	update_freed(ring);
}
