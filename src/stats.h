/* Counters shared between the threads, and the status line made from a snapshot of them.
 * Each counter is written by exactly one thread and read by the others with relaxed atomics. */
#ifndef TP_STATS_H
#define TP_STATS_H

#include <stddef.h>
#include <stdint.h>

struct tp_counters {
	uint64_t bytes_in;     /* reader: bytes read from the inputs */
	uint64_t bytes_out;    /* writer: bytes the sink accepted */
	uint64_t write_calls;  /* writer: write() calls or io_uring writes submitted */
};

static inline void tp_counter_add(uint64_t *counter, uint64_t n)
{
	/* Single writer: a relaxed load and store is enough, and cheaper than an atomic add. */
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t tp_counter_get(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

struct tp_snapshot {
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t write_calls;
	double elapsed;        /* seconds since the start */
	unsigned ring_used;    /* chunks full or being written */
	unsigned ring_depth;
	uint64_t total;        /* expected size, 0 if unknown */
};

/* "1.50 GiB" style: binary units, three significant digits. Returns buf. */
char *tp_format_bytes(char *buf, size_t len, double bytes);

/* One status line (no newline) into buf: name, bytes, elapsed, average rate, ring fill,
 * and percentage when the total is known. Returns the length snprintf would have written. */
int tp_format_status(char *buf, size_t len, const char *name, const struct tp_snapshot *snap);

#endif
