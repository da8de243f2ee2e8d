/* The ring's bookkeeping (ownership, order, wrap-around) and the threaded hand-off. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "handoff.h"
#include "ring.h"

START_TEST(test_init_aligned)
{
	struct tp_ring ring;
	long page = sysconf(_SC_PAGESIZE);

	ck_assert_int_eq(tp_ring_init(&ring, 5000, 3, 100), 0);
	ck_assert_uint_eq(ring.depth, 3);
	ck_assert_uint_eq(ring.room, (size_t)page);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq((uintptr_t)ring.chunks[i].data % (uintptr_t)page, 0);
		ck_assert_uint_eq(ring.chunks[i].cap, 2 * (size_t)page); /* 5000 rounded up */
		/* headroom and tailroom are writable and do not overlap the neighbours' payload */
		memset(ring.chunks[i].data - ring.room, 0xAA, ring.room + ring.chunks[i].cap + ring.room);
	}
	ck_assert_ptr_ne(ring.chunks[1].data, ring.chunks[0].data + ring.chunks[0].cap);
	tp_ring_destroy(&ring);
}
END_TEST

START_TEST(test_init_rejects)
{
	struct tp_ring ring;

	ck_assert_int_eq(tp_ring_init(&ring, 0, 4, 0), -EINVAL);
	ck_assert_int_eq(tp_ring_init(&ring, 4096, 0, 0), -EINVAL);
	ck_assert_int_eq(tp_ring_init(&ring, SIZE_MAX / 2, 4, 0), -ERANGE);
}
END_TEST

START_TEST(test_ownership_and_wrap)
{
	struct tp_ring ring;

	ck_assert_int_eq(tp_ring_init(&ring, 4096, 3, 0), 0);
	/* Many laps: each chunk comes round in order, the reader never gets a chunk in use. */
	for (unsigned lap = 0; lap < 10; lap++) {
		struct tp_chunk *c[3];
		for (unsigned i = 0; i < 3; i++) {
			c[i] = tp_ring_peek_free(&ring);
			ck_assert_ptr_nonnull(c[i]);
			ck_assert_ptr_eq(tp_ring_peek_free(&ring), c[i]); /* stable until put */
			ck_assert_uint_eq(c[i]->index, i);
			ck_assert_int_eq(tp_ring_put(&ring, c[i]), 0);
		}
		ck_assert_ptr_null(tp_ring_peek_free(&ring)); /* full */
		ck_assert_uint_eq(tp_ring_used(&ring), 3);
		ck_assert_ptr_eq(tp_ring_take(&ring, 0), c[0]);
		ck_assert_ptr_eq(tp_ring_take(&ring, 0), c[1]);
		ck_assert_ptr_null(tp_ring_peek_free(&ring)); /* taken is not free yet */
		ck_assert_int_eq(tp_ring_release(&ring, 0, c[0]), 0);
		ck_assert_ptr_eq(tp_ring_peek_free(&ring), c[0]); /* wrap-around */
		ck_assert_ptr_eq(tp_ring_take(&ring, 0), c[2]);
		ck_assert_ptr_null(tp_ring_take(&ring, 0)); /* nothing full */
		ck_assert_int_eq(tp_ring_release(&ring, 0, c[1]), 0);
		ck_assert_int_eq(tp_ring_release(&ring, 0, c[2]), 0);
		ck_assert_uint_eq(tp_ring_used(&ring), 0);
	}
	tp_ring_destroy(&ring);
}
END_TEST

START_TEST(test_misuse_refused)
{
	struct tp_ring ring;

	ck_assert_int_eq(tp_ring_init(&ring, 4096, 2, 0), 0);
	struct tp_chunk *a = tp_ring_peek_free(&ring);
	ck_assert_int_eq(tp_ring_put(&ring, &ring.chunks[1]), -EINVAL); /* not the free one */
	ck_assert_int_eq(tp_ring_release(&ring, 0, a), -EINVAL);           /* not taken */
	ck_assert_int_eq(tp_ring_put(&ring, a), 0);
	ck_assert_int_eq(tp_ring_put(&ring, a), -EINVAL);               /* twice */
	struct tp_chunk *b = tp_ring_peek_free(&ring);
	ck_assert_int_eq(tp_ring_put(&ring, b), 0);
	ck_assert_ptr_eq(tp_ring_take(&ring, 0), a);
	ck_assert_ptr_eq(tp_ring_take(&ring, 0), b);
	ck_assert_int_eq(tp_ring_release(&ring, 0, b), -EINVAL);           /* out of order */
	ck_assert_int_eq(tp_ring_release(&ring, 0, a), 0);
	ck_assert_int_eq(tp_ring_release(&ring, 0, b), 0);
	tp_ring_destroy(&ring);
}
END_TEST


/* Several outputs: each takes every chunk in order; a chunk is free once every live output
 * gave it back; a dropped output is no longer waited for. */
START_TEST(test_outputs_each_take_every_chunk)
{
	struct tp_ring ring;

	ck_assert_int_eq(tp_ring_init(&ring, 4096, 2, 0), 0);
	ck_assert_int_eq(tp_ring_set_outputs(&ring, 0), -EINVAL);
	ck_assert_int_eq(tp_ring_set_outputs(&ring, TP_RING_MAX_OUTPUTS + 1), -EINVAL);
	ck_assert_int_eq(tp_ring_set_outputs(&ring, 3), 0);
	struct tp_chunk *a = tp_ring_peek_free(&ring);
	ck_assert_int_eq(tp_ring_put(&ring, a), 0);
	ck_assert_int_eq(tp_ring_set_outputs(&ring, 2), -EINVAL); /* after the first put */
	struct tp_chunk *b = tp_ring_peek_free(&ring);
	ck_assert_int_eq(tp_ring_put(&ring, b), 0);
	for (unsigned out = 0; out < 3; out++) {
		ck_assert_uint_eq(tp_ring_waiting(&ring, out), 2);
		ck_assert_ptr_eq(tp_ring_take(&ring, out), a);
	}
	ck_assert_ptr_null(tp_ring_take(&ring, 3)); /* no such output */
	ck_assert_int_eq(tp_ring_release(&ring, 0, a), 0);
	ck_assert_int_eq(tp_ring_release(&ring, 1, a), 0);
	ck_assert_ptr_null(tp_ring_peek_free(&ring)); /* output 2 still has it */
	ck_assert_uint_eq(tp_ring_used(&ring), 2);
	ck_assert_int_eq(tp_ring_release(&ring, 2, a), 0);
	ck_assert_ptr_eq(tp_ring_peek_free(&ring), a);
	ck_assert_uint_eq(tp_ring_used(&ring), 1);
	/* Output 1 takes b and fails holding it: b is free once 0 and 2 gave it back. */
	ck_assert_ptr_eq(tp_ring_take(&ring, 1), b);
	ck_assert_ptr_eq(tp_ring_take(&ring, 0), b);
	ck_assert_int_eq(tp_ring_release(&ring, 0, b), 0);
	tp_ring_drop(&ring, 1);
	ck_assert_uint_eq(tp_ring_used(&ring), 1); /* output 2 has not taken it */
	ck_assert_ptr_eq(tp_ring_take(&ring, 2), b);
	ck_assert_int_eq(tp_ring_release(&ring, 2, b), 0);
	ck_assert_uint_eq(tp_ring_used(&ring), 0);
	ck_assert(!tp_ring_is_live(&ring, 1));
	ck_assert(tp_ring_is_live(&ring, 0) && tp_ring_is_live(&ring, 2));
	/* Everybody gone: whatever is put is free at once. */
	tp_ring_drop(&ring, 0);
	tp_ring_drop(&ring, 2);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_int_eq(tp_ring_put(&ring, tp_ring_peek_free(&ring)), 0);
	ck_assert_uint_eq(tp_ring_used(&ring), 0);
	tp_ring_destroy(&ring);
}
END_TEST

/* ---- the threaded hand-off ---- */

#define ROUNDS 20000u

struct consumer {
	struct tp_handoff *h;
	unsigned out;
	uint64_t fail_after;  /* ends as failed after this many chunks (0: never) */
	uint64_t sum, count;
	unsigned bad_order;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	struct tp_chunk *chunk;
	uint64_t expect = 0;

	while (tp_handoff_take(c->h, c->out, true, &chunk) == 0) {
		uint64_t v;
		memcpy(&v, chunk->data, sizeof(v));
		if (v != expect++ || chunk->offset != v)
			c->bad_order++;
		c->sum += v;
		c->count++;
		if (c->fail_after && c->count == c->fail_after) {
			tp_handoff_writer_exit(c->h, c->out, true); /* holding this chunk */
			return NULL;
		}
		if (c->out == 0 && c->count % 64 == 0)
			usleep(100); /* a slower output: the others wait for it */
		tp_handoff_release(c->h, c->out, chunk);
	}
	tp_handoff_writer_exit(c->h, c->out, false);
	return NULL;
}

/* The reader's side: ROUNDS chunks, each holding its number (also its offset), then the
 * end; waits until every writer has ended. Returns the sum of the numbers. */
static uint64_t produce(struct tp_handoff *h)
{
	uint64_t sum = 0;

	for (uint64_t v = 0; v < ROUNDS; v++) {
		struct tp_chunk *chunk;
		while (!(chunk = tp_handoff_get_free(h))) {
			/* The ring is full: the wake fd must turn readable once a writer frees one. */
			struct pollfd pfd = { .fd = h->wake_fd, .events = POLLIN };
			ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
			tp_handoff_clear_wake(h);
		}
		memcpy(chunk->data, &v, sizeof(v));
		chunk->len = sizeof(v);
		chunk->offset = v;
		tp_handoff_put(h, chunk);
		sum += v;
	}
	tp_handoff_close(h);
	struct pollfd pfd = { .fd = h->wake_fd, .events = POLLIN };
	while (!tp_handoff_writer_done(h))
		ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	return sum;
}

START_TEST(test_handoff_threads)
{
	struct tp_handoff h;
	struct consumer c = { .h = &h };
	pthread_t t;

	ck_assert_int_eq(tp_handoff_init(&h, 4096, 4, 0), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, consume, &c), 0);
	uint64_t sum = produce(&h);
	pthread_join(t, NULL);
	ck_assert_uint_eq(c.count, ROUNDS);
	ck_assert_uint_eq(c.sum, sum);
	ck_assert_uint_eq(c.bad_order, 0);
	ck_assert_uint_le(h.high_water, 4);
	ck_assert_uint_ge(h.high_water, 1);
	tp_handoff_destroy(&h);
}
END_TEST


/* Three outputs on one ring: each gets every chunk in order while one of them is slower; a
 * fourth fails holding a chunk part way, and the others go on to the end. */
START_TEST(test_handoff_several_outputs)
{
	struct tp_handoff h;
	struct consumer c[4];
	pthread_t t[4];

	ck_assert_int_eq(tp_handoff_init(&h, 4096, 4, 0), 0);
	ck_assert_int_eq(tp_handoff_set_outputs(&h, 4), 0);
	for (unsigned i = 0; i < 4; i++) {
		c[i] = (struct consumer){ .h = &h, .out = i, .fail_after = i == 3 ? ROUNDS / 3 : 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, consume, &c[i]), 0);
	}
	uint64_t sum = produce(&h);
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_uint_eq(c[i].bad_order, 0);
		ck_assert(tp_handoff_output_done(&h, i));
	}
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(c[i].count, ROUNDS);
		ck_assert_uint_eq(c[i].sum, sum);
	}
	ck_assert_uint_eq(c[3].count, ROUNDS / 3);
	ck_assert_uint_le(h.high_water, 4);
	tp_handoff_destroy(&h);
}
END_TEST

START_TEST(test_handoff_take_states)
{
	struct tp_handoff h;
	struct tp_chunk *chunk;

	ck_assert_int_eq(tp_handoff_init(&h, 4096, 2, 0), 0);
	ck_assert_int_eq(tp_handoff_take(&h, 0, false, &chunk), -EAGAIN);
	tp_handoff_put(&h, tp_handoff_get_free(&h));
	tp_handoff_close(&h);
	/* Closed but not drained: the last chunk still comes out, then the end. */
	ck_assert_int_eq(tp_handoff_take(&h, 0, true, &chunk), 0);
	tp_handoff_release(&h, 0, chunk);
	ck_assert_int_eq(tp_handoff_take(&h, 0, true, &chunk), -ENODATA);
	ck_assert_int_eq(tp_handoff_take(&h, 0, false, &chunk), -ENODATA);
	tp_handoff_destroy(&h);
}
END_TEST

START_TEST(test_handoff_wakes_reader_at_a_quarter_free)
{
	struct tp_handoff h;
	struct tp_chunk *chunk;
	struct pollfd pfd;

	ck_assert_int_eq(tp_handoff_init(&h, 4096, 8, 0), 0);
	pfd = (struct pollfd){ .fd = h.wake_fd, .events = POLLIN };
	while ((chunk = tp_handoff_get_free(&h)))
		tp_handoff_put(&h, chunk);         /* fill the ring; the last call finds none */
	ck_assert(h.reader_waiting);
	ck_assert_int_eq(tp_handoff_take(&h, 0, false, &chunk), 0);
	tp_handoff_release(&h, 0, chunk);             /* 1 of 8 free: not worth a wake-up */
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	ck_assert_int_eq(tp_handoff_take(&h, 0, false, &chunk), 0);
	tp_handoff_release(&h, 0, chunk);             /* 2 of 8 free: a quarter, wake */
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	tp_handoff_clear_wake(&h);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	/* The writer ending always wakes the reader, whatever is free. */
	tp_handoff_writer_exit(&h, 0, false);
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	tp_handoff_destroy(&h);
}
END_TEST

/* --repeat: the writer holds each chunk until its copies are out (15 with --repeat 15, in the
 * 17 chunks tune.c gives the default buffer). Once it has taken every full chunk it can only
 * wait for the reader, so the reader must be woken however few chunks are free, or both wait
 * for ever (tpipe -F --repeat 15 | slow-consumer hung). */
START_TEST(test_handoff_wakes_reader_when_writer_runs_dry)
{
	struct tp_handoff h;
	struct tp_chunk *chunk, *taken[17];
	struct pollfd pfd;
	unsigned n = 0;

	ck_assert_int_eq(tp_handoff_init(&h, 4096, 17, 0), 0);
	pfd = (struct pollfd){ .fd = h.wake_fd, .events = POLLIN };
	while ((chunk = tp_handoff_get_free(&h)))
		tp_handoff_put(&h, chunk);
	ck_assert(h.reader_waiting);
	while (tp_handoff_take(&h, 0, false, &chunk) == 0)
		taken[n++] = chunk;                 /* the writer has taken all 17 */
	ck_assert_uint_eq(n, 17);
	tp_handoff_release(&h, 0, taken[0]);           /* its oldest two are done: 15 held, */
	tp_handoff_release(&h, 0, taken[1]);           /* 2 free, less than a quarter */
	ck_assert_int_eq(tp_handoff_take(&h, 0, false, &chunk), -EAGAIN); /* it would sleep now */
	ck_assert_msg(poll(&pfd, 1, 0) == 1,
		      "reader not woken: 2 chunks free, writer out of data, both would wait");
	tp_handoff_destroy(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("bookkeeping");
	tcase_add_test(tc, test_init_aligned);
	tcase_add_test(tc, test_init_rejects);
	tcase_add_test(tc, test_ownership_and_wrap);
	tcase_add_test(tc, test_misuse_refused);
	tcase_add_test(tc, test_outputs_each_take_every_chunk);
	suite_add_tcase(s, tc);
	tc = tcase_create("handoff");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_handoff_threads);
	tcase_add_test(tc, test_handoff_several_outputs);
	tcase_add_test(tc, test_handoff_take_states);
	tcase_add_test(tc, test_handoff_wakes_reader_at_a_quarter_free);
	tcase_add_test(tc, test_handoff_wakes_reader_when_writer_runs_dry);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
