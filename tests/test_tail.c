/* The last bytes written, handed between threads: appending keeps the newest 256 bytes in
 * order, and a reader racing the writer (shifting or replacing what is held) never accepts a
 * torn copy. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include "tail.h"

START_TEST(test_keeps_the_newest)
{
	static struct tp_tail t;
	unsigned char out[TP_TAIL_SIZE], big[1000];

	ck_assert_uint_eq(tp_tail_read(&t, out), 0);
	tp_tail_append(&t, "abc", 3);
	tp_tail_append(&t, "", 0);
	tp_tail_append(&t, "de", 2);
	ck_assert_uint_eq(tp_tail_read(&t, out), 5);
	ck_assert_int_eq(memcmp(out, "abcde", 5), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)i;
	tp_tail_append(&t, big, sizeof(big));
	ck_assert_uint_eq(tp_tail_read(&t, out), TP_TAIL_SIZE);
	ck_assert_int_eq(memcmp(out, big + sizeof(big) - TP_TAIL_SIZE, TP_TAIL_SIZE), 0);
	/* A short append onto a full tail: the oldest bytes go. */
	tp_tail_append(&t, "xyz", 3);
	ck_assert_uint_eq(tp_tail_read(&t, out), TP_TAIL_SIZE);
	ck_assert_int_eq(memcmp(out, big + sizeof(big) - TP_TAIL_SIZE + 3, TP_TAIL_SIZE - 3), 0);
	ck_assert_int_eq(memcmp(out + TP_TAIL_SIZE - 3, "xyz", 3), 0);
}
END_TEST

static struct tp_tail shared;
static int stop; /* relaxed atomics */

/* Appends a count that goes up by one a byte, in pieces of every size (shifting what is held
 * and replacing it whole): any copy a reader accepts is a run of consecutive values. */
static void *writer(void *arg)
{
	static const size_t sizes[] = { 1, 37, 100, 255, 256, 300 };
	unsigned char block[300];
	unsigned char next = 0;

	(void)arg;
	for (unsigned i = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++) {
		size_t n = sizes[i % 6];
		for (size_t k = 0; k < n; k++)
			block[k] = next++;
		tp_tail_append(&shared, block, n);
		/* Appending flat out, a reader could never finish a copy (64 tries): the writer
		 * appends once a chunk, so it rests between appends here too, briefly. */
		if (i % 4 == 0)
			nanosleep(&(struct timespec){ .tv_nsec = 1000 }, NULL);
	}
	return NULL;
}

START_TEST(test_never_torn)
{
	pthread_t th;
	unsigned char out[TP_TAIL_SIZE];
	unsigned whole = 0;

	ck_assert_int_eq(pthread_create(&th, NULL, writer, NULL), 0);
	/* Reads of an empty tail are so quick that all of them could be over before the writer
	 * starts: they begin once it has appended. */
	while (__atomic_load_n(&shared.seq, __ATOMIC_ACQUIRE) < 2)
		sched_yield();
	/* Plain comparisons in the loop: each ck_assert marks a point in a file, far too slow
	 * for millions of them. */
	unsigned torn = 0;
	for (int i = 0; i < 200000; i++) {
		size_t n = tp_tail_read(&shared, out);
		if (n == 0)
			continue;
		for (size_t k = 1; k < n; k++)
			torn += out[k] != (unsigned char)(out[k - 1] + 1);
		whole++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	ck_assert_uint_eq(torn, 0);
	ck_assert_uint_gt(whole, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tail");
	TCase *tc = tcase_create("tail");
	tcase_add_test(tc, test_keeps_the_newest);
	tcase_add_test(tc, test_never_torn);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
