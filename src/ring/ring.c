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

struct tp_chunk *tp_ring_peek_free(struct tp_ring *ring)
{
	if (ring->filled - ring->released >= ring->depth)
		return NULL;
	return &ring->chunks[ring->filled % ring->depth];
}

int tp_ring_put(struct tp_ring *ring, struct tp_chunk *chunk)
{
	if (chunk != tp_ring_peek_free(ring))
		return -EINVAL;
	ring->filled++;
	return 0;
}

struct tp_chunk *tp_ring_take(struct tp_ring *ring)
{
	if (ring->taken == ring->filled)
		return NULL;
	return &ring->chunks[ring->taken++ % ring->depth];
}

int tp_ring_release(struct tp_ring *ring, struct tp_chunk *chunk)
{
	if (ring->released == ring->taken || chunk != &ring->chunks[ring->released % ring->depth])
		return -EINVAL;
	ring->released++;
	return 0;
}
