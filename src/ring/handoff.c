#include "config.h"
#include "handoff.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int tp_handoff_init(struct tp_handoff *h, size_t chunk_size, unsigned depth, size_t room)
{
	memset(h, 0, sizeof(*h));
	h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->wake_fd < 0)
		return -errno;
	int err = tp_ring_init(&h->ring, chunk_size, depth, room);
	if (err) {
		close(h->wake_fd);
		return err;
	}
	h->wake_free = depth / 4 ? depth / 4 : 1;
	tp_fill_init(&h->fill, depth, 0, 100);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->filled, NULL);
	return 0;
}

void tp_handoff_destroy(struct tp_handoff *h)
{
	pthread_cond_destroy(&h->filled);
	pthread_mutex_destroy(&h->lock);
	tp_ring_destroy(&h->ring);
	close(h->wake_fd);
}

void tp_handoff_set_fill(struct tp_handoff *h, unsigned write_above, unsigned read_below)
{
	pthread_mutex_lock(&h->lock);
	tp_fill_init(&h->fill, h->ring.depth, write_above, read_below);
	pthread_mutex_unlock(&h->lock);
}

/* Called with the lock held; one eventfd write wakes the reader's ppoll. */
static void wake_reader(struct tp_handoff *h)
{
	uint64_t one = 1;

	h->reader_waiting = false;
	if (write(h->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN only: the counter is already non-zero, so the reader will wake anyway. */
	}
}

/* Called with the lock held: wakes the writers sleeping for a full chunk or the end (all of
 * them: each output takes every chunk). */
static void wake_writers(struct tp_handoff *h)
{
	if (h->writers_waiting)
		pthread_cond_broadcast(&h->filled);
}

/* Called with the lock held: a writer still at work has taken every full chunk, so it waits
 * for the reader. */
static bool output_idle(const struct tp_handoff *h)
{
	for (unsigned i = 0; i < h->ring.n_out; i++)
		if (!(h->done & (1u << i)) && tp_ring_waiting(&h->ring, i) == 0)
			return true;
	return false;
}

/* Called with the lock held: every writer still at work has taken every full chunk. */
static bool all_idle(const struct tp_handoff *h)
{
	for (unsigned i = 0; i < h->ring.n_out; i++)
		if (!(h->done & (1u << i)) && tp_ring_waiting(&h->ring, i) != 0)
			return false;
	return true;
}

struct tp_chunk *tp_handoff_get_free(struct tp_handoff *h)
{
	pthread_mutex_lock(&h->lock);
	struct tp_chunk *chunk = tp_fill_may_get(&h->fill, tp_ring_used(&h->ring))
				 ? tp_ring_peek_free(&h->ring) : NULL;
	if (!chunk)
		h->reader_waiting = true;
	pthread_mutex_unlock(&h->lock);
	return chunk;
}

void tp_handoff_put(struct tp_handoff *h, struct tp_chunk *chunk)
{
	pthread_mutex_lock(&h->lock);
	int err = tp_ring_put(&h->ring, chunk);
	/* The reader puts the chunk get_free gave it, and only that one. */
	assert(err == 0);
	(void)err;
	if (tp_ring_used(&h->ring) > h->high_water)
		h->high_water = tp_ring_used(&h->ring);
	/* Below --write-above the writers may not take it: no use waking them for nothing. */
	if (tp_fill_put(&h->fill, tp_ring_used(&h->ring)))
		wake_writers(h);
	pthread_mutex_unlock(&h->lock);
}

bool tp_handoff_writer_has_work(struct tp_handoff *h)
{
	pthread_mutex_lock(&h->lock);
	/* Held back by --write-above, the reader's chunk could not go out sooner either: it
	 * fills on, so the level counts whole chunks. */
	bool work = !h->writer_done && (!output_idle(h) || tp_fill_filling(&h->fill));
	h->reader_holding = work;
	pthread_mutex_unlock(&h->lock);
	return work;
}

void tp_handoff_close(struct tp_handoff *h)
{
	pthread_mutex_lock(&h->lock);
	h->closed = true;
	tp_fill_end(&h->fill);
	pthread_cond_broadcast(&h->filled);
	pthread_mutex_unlock(&h->lock);
}

void tp_handoff_clear_wake(struct tp_handoff *h)
{
	uint64_t count;

	if (read(h->wake_fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: nothing pending, which is fine. */
	}
}

bool tp_handoff_writer_done(struct tp_handoff *h)
{
	pthread_mutex_lock(&h->lock);
	bool done = h->writer_done;
	pthread_mutex_unlock(&h->lock);
	return done;
}

unsigned tp_handoff_used(struct tp_handoff *h)
{
	pthread_mutex_lock(&h->lock);
	unsigned used = tp_ring_used(&h->ring);
	pthread_mutex_unlock(&h->lock);
	return used;
}

enum tp_hold tp_handoff_hold(struct tp_handoff *h)
{
	pthread_mutex_lock(&h->lock);
	enum tp_hold hold = tp_fill_hold(&h->fill);
	pthread_mutex_unlock(&h->lock);
	return hold;
}

int tp_handoff_take(struct tp_handoff *h, unsigned out, bool wait, struct tp_chunk **chunk)
{
	int err = 0;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		/* One gate for all outputs: any that runs dry closes it (fill.h). */
		unsigned waiting = tp_ring_waiting(&h->ring, out);
		*chunk = tp_fill_may_take(&h->fill, waiting) ? tp_ring_take(&h->ring, out) : NULL;
		if (*chunk)
			break;
		if (h->closed) {
			err = -ENODATA;
			break;
		}
		if (h->reader_holding) { /* out of work: the reader's held chunk can come now */
			h->reader_holding = false;
			wake_reader(h);
		}
		if (!wait) {
			err = -EAGAIN;
			break;
		}
		/* Asleep, the writer frees nothing: a reader held by --read-below must read. */
		if (tp_fill_starved(&h->fill) && h->reader_waiting)
			wake_reader(h);
		h->writers_waiting++;
		pthread_cond_wait(&h->filled, &h->lock);
		h->writers_waiting--;
	}
	pthread_mutex_unlock(&h->lock);
	return err;
}

void tp_handoff_release(struct tp_handoff *h, unsigned out, struct tp_chunk *chunk)
{
	pthread_mutex_lock(&h->lock);
	int err = tp_ring_release(&h->ring, out, chunk);
	/* The writer gives chunks back in the order it took them (engine.h: reap in order). */
	assert(err == 0);
	(void)err;
	/* A reader waiting for room is woken once a quarter of the ring is free, not for every
	 * chunk: the writer still has the other three quarters to write meanwhile, and each
	 * wake-up costs both cores a context switch. */
	unsigned free_chunks = h->ring.depth - tp_ring_used(&h->ring);
	/* --read-below: not before the ring has drained below it, then at once. */
	bool opened = tp_fill_released(&h->fill, tp_ring_used(&h->ring));
	/* Sooner when the writers have taken everything: they have nothing to do but wait for
	 * the reader then (and with --repeat one holds chunks, so a quarter may never come
	 * free). Not when only a fast one has: the slowest sets the pace, and waking the reader
	 * for each chunk it gives back would cost both cores a switch per chunk. */
	if (h->reader_waiting && free_chunks > 0 && tp_fill_read_open(&h->fill) &&
	    (opened || free_chunks >= h->wake_free || all_idle(h)))
		wake_reader(h);
	pthread_mutex_unlock(&h->lock);
}

void tp_handoff_writer_exit(struct tp_handoff *h, unsigned out, bool failed)
{
	pthread_mutex_lock(&h->lock);
	h->done |= 1u << out;
	/* A failed output's chunks are no longer waited for (it gives none back after this);
	 * the others write on. */
	if (failed)
		tp_ring_drop(&h->ring, out);
	h->writer_done = h->done == (1u << h->ring.n_out) - 1;
	wake_reader(h);
	pthread_mutex_unlock(&h->lock);
}

int tp_handoff_set_outputs(struct tp_handoff *h, unsigned n)
{
	pthread_mutex_lock(&h->lock);
	int err = tp_ring_set_outputs(&h->ring, n);
	pthread_mutex_unlock(&h->lock);
	return err;
}

bool tp_handoff_output_done(struct tp_handoff *h, unsigned out)
{
	pthread_mutex_lock(&h->lock);
	bool done = h->done & (1u << out);
	pthread_mutex_unlock(&h->lock);
	return done;
}
