/* The last bytes written, handed between threads: appending keeps the newest 256 bytes in
 * order, and a reader racing the writer never sees a torn copy. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <pthread.h>
#include <string.h>
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
static volatile int stop;

static void *writer(void *arg)
{
	unsigned char block[TP_TAIL_SIZE];

	(void)arg;
	for (unsigned i = 0; !stop; i++) {
		memset(block, 'a' + (int)(i % 26), sizeof(block));
		tp_tail_append(&shared, block, sizeof(block));
	}
	return NULL;
}

START_TEST(test_never_torn)
{
	pthread_t th;
	unsigned char out[TP_TAIL_SIZE];
	unsigned whole = 0;

	ck_assert_int_eq(pthread_create(&th, NULL, writer, NULL), 0);
	for (int i = 0; i < 200000; i++) {
		size_t n = tp_tail_read(&shared, out);
		if (n == 0)
			continue;
		ck_assert_uint_eq(n, TP_TAIL_SIZE);
		for (size_t k = 1; k < n; k++)
			ck_assert_int_eq(out[k], out[0]);
		whole++;
	}
	stop = 1;
	pthread_join(th, NULL);
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
