/* Every shared byte is stored and loaded with relaxed atomics, so a torn read is a retry and
 * never a data race; the fences order them against the sequence number. */
#include "config.h"
#include "tail.h"

/* A reader gives up after this many torn copies: the line shows nothing this once. */
#define TP_TAIL_TRIES 64

static void put(struct tp_tail *t, uint32_t at, unsigned char c)
{
	__atomic_store_n(&t->bytes[at], c, __ATOMIC_RELAXED);
}

void tp_tail_append(struct tp_tail *t, const void *data, size_t n)
{
	const unsigned char *d = data;
	uint32_t len = __atomic_load_n(&t->len, __ATOMIC_RELAXED), keep;
	uint32_t seq = __atomic_load_n(&t->seq, __ATOMIC_RELAXED);

	if (n == 0)
		return;
	if (n >= TP_TAIL_SIZE) {
		d += n - TP_TAIL_SIZE;
		n = TP_TAIL_SIZE;
	}
	keep = len + n > TP_TAIL_SIZE ? TP_TAIL_SIZE - (uint32_t)n : len;
	__atomic_store_n(&t->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	/* The newest `keep` bytes held move to the front, the new ones follow. */
	for (uint32_t i = 0; i < keep; i++)
		put(t, i, __atomic_load_n(&t->bytes[len - keep + i], __ATOMIC_RELAXED));
	for (uint32_t i = 0; i < n; i++)
		put(t, keep + i, d[i]);
	__atomic_store_n(&t->len, keep + (uint32_t)n, __ATOMIC_RELAXED);
	__atomic_store_n(&t->seq, seq + 2, __ATOMIC_RELEASE);
}

size_t tp_tail_read(const struct tp_tail *t, unsigned char *out)
{
	for (int try = 0; try < TP_TAIL_TRIES; try++) {
		uint32_t seq = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
		if (seq & 1)
			continue;
		uint32_t len = __atomic_load_n(&t->len, __ATOMIC_RELAXED);
		if (len > TP_TAIL_SIZE)
			continue;
		for (uint32_t i = 0; i < len; i++)
			out[i] = __atomic_load_n(&t->bytes[i], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&t->seq, __ATOMIC_RELAXED) == seq)
			return len;
	}
	return 0;
}
