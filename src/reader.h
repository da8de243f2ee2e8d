/* The reader: the main thread's side of the ring. run.c reads inputs into chunks (raw, or
 * framed with -F); rx.c is the receive path (-D). Both wait the same way: one ppoll() that
 * also lets signals in and wakes for progress ticks. Not thread-safe: the main thread's. */
#ifndef TP_READER_H
#define TP_READER_H

#include <stdbool.h>
#include <stdint.h>
#include "cli.h"
#include "framer.h"
#include "handoff.h"
#include "monitor.h"
#include "sink.h"
#include "source.h"
#include "stats.h"
#include "track.h"

struct tp_reader {
	const struct tp_options *opts;
	const struct tp_sink *sink;
	struct tp_handoff handoff;
	struct tp_counters counters;
	struct tp_monitor monitor;
	struct tp_chunk *chunk;   /* being filled, owned by the reader; NULL when none */
	uint64_t offset;          /* stream bytes read so far (before framing) */
	uint64_t out_offset;      /* bytes handed to the writer so far (after framing) */
	struct tp_framer *framer; /* -F: frames built in the chunks; NULL for raw */
	unsigned char *stage;     /* a datagram that did not fit the chunk, and how much of it */
	size_t stage_len, stage_off;
	struct tp_rx_stats rx;    /* -D: what the receive path counted */
	uint64_t kernel_drops;    /* datagram inputs: the kernel's drop count (SO_RXQ_OVFL) */
	bool rx_incomplete;       /* -D: data lost or unverified: exit status 3 */
	struct tp_rx *rx_state;   /* -D: the deframer and tracker (rx.c) */
	uint64_t drain_deadline;  /* after SIGINT/SIGTERM: when the buffered data must be out
	                           * (--drain-timeout); 0 before */
};

enum tp_pump_end { TP_PUMP_EOF = 0, TP_PUMP_STOP = 1 };

/* After a read that brought data, a datagram input is read again at once, up to this many
 * times, before the next ppoll(): one system call per datagram less, and signals and
 * progress still get their turn. */
#define TP_READ_AGAIN 64

/* -F: the most frames one readv() fills (a 1 MiB chunk holds 16 of 64 KiB, 712 datagrams). */
#define TP_READ_FRAMES 64

/* Waits for the input (fd >= 0) or for the writer's wake-up, with signals let in, and no
 * longer than timeout_ms (0 just looks, -1 as long as needed) or the next progress tick.
 * Returns true when the input is readable. */
bool tp_reader_wait(struct tp_reader *r, int fd, int timeout_ms);

/* A ppoll() timeout in ms until deadline_ns (CLOCK_MONOTONIC): 0 when it has passed, -1
 * for UINT64_MAX (no deadline). */
int tp_reader_ms_until(uint64_t deadline_ns);

/* The one line when an input is taken to have ended for want of data: after idle_ns
 * (--idle-timeout, or by default `quiet`: a framed receive's input with no end of its
 * own). */
void tp_reader_say_idle(const struct tp_source *src, uint64_t idle_ns, bool quiet);

/* After SIGINT or SIGTERM, the ms left for what is buffered to go out (0: the time is up);
 * -1 before any such signal. The first call after the signal starts the clock. */
int tp_reader_drain_ms(struct tp_reader *r);

/* A signal, the writer's end, or --stop-at-size says stop reading. */
bool tp_reader_must_stop(struct tp_reader *r);

/* Makes sure there is a chunk to fill, waiting for a free one (the output is the
 * bottleneck). false when told to stop meanwhile. */
bool tp_reader_get_chunk(struct tp_reader *r);

/* Hands the chunk being filled to the writer. */
void tp_reader_hand_over(struct tp_reader *r);

/* Reads from src to buf (len bytes of room); a datagram source whose datagram does not fit
 * goes through r->stage. > 0, 0 at the end, -EAGAIN when nothing was there, or -errno. */
ssize_t tp_reader_read(struct tp_reader *r, struct tp_source *src, unsigned char *buf, size_t len);

/* Bytes in r->stage not yet taken. */
static inline size_t tp_reader_staged(const struct tp_reader *r)
{
	return r->stage_len - r->stage_off;
}

/* n staged bytes were taken; the stage empties with the last. */
static inline void tp_reader_unstage(struct tp_reader *r, size_t n)
{
	r->stage_off += n;
	if (r->stage_off == r->stage_len)
		r->stage_len = 0;
}

/* Copies up to len staged bytes to buf; how many. */
size_t tp_reader_take_staged(struct tp_reader *r, unsigned char *buf, size_t len);

/* The splice path (the chunk has a pipe): moves at most room bytes of input into the
 * chunk's pipe, spliced when there is plenty, else read and written (pipes.h says why).
 * Bytes read that the pipe had no slot for wait in r->stage and go first next time.
 * > 0, 0 at the end, -EAGAIN when nothing was there, -ENOSPC when the chunk's pipe is full
 * (hand it over), or -errno. */
ssize_t tp_reader_splice(struct tp_reader *r, struct tp_source *src, size_t room);

/* Bytes read but not yet in a chunk (r->stage: the splice path's, or a datagram's tail) go
 * into chunks even after a stop request, since they were taken from the input; only the
 * writer's end, the drain's time running out (--drain-timeout), or a second signal (which
 * ends the process) cuts this short. Call after the last input. */
void tp_reader_flush_stage(struct tp_reader *r);

struct tp_rx;

/* -D: sets up the deframer and tracker for the whole run. 0 or -errno. */
int tp_rx_init(struct tp_reader *r);
/* -D: reads a framed input until its END (or its end, or --idle-timeout), emitting only
 * verified data. Returns TP_PUMP_EOF, TP_PUMP_STOP (END reached, or a signal) or -errno. */
int tp_rx_pump(struct tp_reader *r, struct tp_source *src);
/* -D: the inputs are over: what is still missing is missing for good. Sets
 * r->rx_incomplete when data was lost or could not be verified. 0 or -errno. */
int tp_rx_finish(struct tp_reader *r);
void tp_rx_destroy(struct tp_reader *r);

#endif
