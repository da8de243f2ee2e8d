/* Counters shared between the threads, and the status line made from a snapshot of them.
 * Each counter is written by exactly one thread and read by the others with relaxed atomics. */
#ifndef TP_STATS_H
#define TP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "enums.h"

struct tp_counters {
	uint64_t reader_wait_ns; /* reader: time spent waiting for a free chunk */
	uint64_t bytes_out;    /* writer: bytes the sink accepted */
	uint64_t lines_out;    /* writer: line terminators in those bytes (-l, -0; else 0) */
	uint64_t write_calls;  /* writer: write() calls or io_uring writes submitted */
	uint64_t write_ns_sum; /* writer: latency of those calls, summed, */
	uint64_t write_ns_min; /*   smallest (UINT64_MAX before the first) */
	uint64_t write_ns_max; /*   and largest */
	uint64_t writer_wait_ns; /* writer: time spent waiting for a full chunk */
	uint64_t pace_wait_ns;   /* writer: time slept to hold the rate */
	uint64_t datagrams;      /* writer: datagrams sent (udp://) */
	uint64_t send_retries;   /* writer: sends retried after ENOBUFS (a full queue) */
	uint64_t refused;        /* writer: ECONNREFUSED reports (nobody listening) */
	uint64_t copies;         /* writer: frames' extra copies sent (--repeat), in chunks */
	uint64_t stream_out;     /* writer: input bytes whose chunk is written out (the last
	                          * chunk's stream_end; with -F the payload, not the frames) */
};

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t tp_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void tp_counter_add(uint64_t *counter, uint64_t n)
{
	/* Single writer: a relaxed load and store is enough, and cheaper than an atomic add. */
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline void tp_counter_set(uint64_t *counter, uint64_t v)
{
	__atomic_store_n(counter, v, __ATOMIC_RELAXED);
}

static inline uint64_t tp_counter_get(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* Writer only: one write call took ns. */
static inline void tp_counters_note_write(struct tp_counters *c, uint64_t ns)
{
	tp_counter_add(&c->write_ns_sum, ns);
	if (ns < tp_counter_get(&c->write_ns_min))
		__atomic_store_n(&c->write_ns_min, ns, __ATOMIC_RELAXED);
	if (ns > tp_counter_get(&c->write_ns_max))
		__atomic_store_n(&c->write_ns_max, ns, __ATOMIC_RELAXED);
}

struct tp_snapshot {
	uint64_t bytes_out;    /* of the stream: with -F the payload sent, not its frames */
	double elapsed;        /* seconds since the start */
	unsigned ring_used;    /* chunks full or being written */
	unsigned ring_depth;
	enum tp_hold hold;     /* what the fill levels hold back (--write-above, --read-below) */
	uint64_t total;        /* expected size, 0 if unknown */
	bool lines;            /* -l: bytes_out and total are lines */
	bool no_ring;          /* no ring to show (--protocol moves blocks, not chunks) */
};

/* "1.50 GiB" style: binary units, three significant digits. Returns buf. */
char *tp_format_bytes(char *buf, size_t len, double bytes);
/* "20.0 MB" style: decimal units (as rates are given), three significant digits. */
char *tp_format_decimal(char *buf, size_t len, double bytes);

/* The word the progress and status lines add to the ring's fill while the fill levels hold
 * back: "filling" (the writer waits for --write-above), "draining" (the reader waits for
 * --read-below); NULL for TP_HOLD_NONE. */
const char *tp_format_hold(enum tp_hold hold);

/* One status line (no newline) into buf: name, bytes, elapsed, average rate, ring fill (and
 * the hold word), and percentage when the total is known. Returns the length snprintf would
 * have written. */
int tp_format_status(char *buf, size_t len, const char *name, const struct tp_snapshot *snap);

#endif
