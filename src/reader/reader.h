/* The reader: the main thread's side of the ring. It gets free chunks from the hand-off,
 * puts bytes into them (raw, or into the framer's frames with -F), applies -S, and hands
 * them to the writer. One loop (tp_reader_pump) reads an input for both paths: pump.c's raw
 * and -F path and rx.c's -D path give it their read step and their deadline. Every wait is
 * one ppoll() that also lets signals in and wakes for progress ticks.
 *
 * Threads: a struct tp_reader is the main thread's alone. The two things in it the writer
 * thread also sees are `handoff` (its own lock: handoff.h) and `counters` (each field written
 * by one thread: stats.h). A chunk is the reader's from tp_handoff_get_free until
 * tp_handoff_put, and the writer's after. */
#ifndef TP_READER_H
#define TP_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "ctl_server.h"
#include "framer.h"
#include "handoff.h"
#include "monitor.h"
#include "outputs.h"
#include "sink.h"
#include "source.h"
#include "stats.h"
#include "track.h"

/* How a transfer reads; fixed before the first read. */
struct tp_reader_params {
	uint64_t limit;            /* -S: stop after this many stream bytes; UINT64_MAX: none */
	uint64_t line_limit;       /* -S with -l: stop just after this many line_end bytes;
	                            * 0: none (-l -s 0 -S is a limit of 0 bytes), so that a
	                            * reader set up without it has none (raw path only) */
	unsigned char line_end;    /* '\n', or '\0' with -0 */
	uint64_t idle_timeout_ns;  /* --idle-timeout: 0 = none */
	uint64_t drain_timeout_ns; /* --drain-timeout */
};

struct tp_reader {
	/* Fixed by the caller before the first read, read-only after. */
	struct tp_reader_params p;
	struct tp_framer *framer;  /* -F: frames built in the chunks; NULL for raw */
	unsigned char *stage;      /* TP_DATAGRAM_ROOM bytes (see below) */
	/* Shared with the writer thread (their own rules: handoff.h, stats.h). */
	struct tp_handoff handoff;
	struct tp_counters counters;
	/* The reader's own. */
	struct tp_monitor monitor; /* progress ticks between waits */
	struct tp_ctl_server *ctl; /* -R and -Q answered in every wait; NULL: none */
	struct tp_outputs *outputs; /* several: their counters folded into `counters` in
	                            * every wait; watched for stalls (--stall-timeout) */
	struct tp_chunk *chunk;    /* being filled; NULL when none */
	uint64_t offset;           /* stream bytes put into chunks so far (before framing) */
	uint64_t out_offset;       /* bytes handed to the writer so far (after framing) */
	uint64_t lines;            /* with a line_limit: lines put into chunks so far */
	size_t stage_len, stage_off; /* bytes read but not yet in a chunk, in stage: a datagram
	                            * that did not fit, or the splice path's reads */
	uint64_t drain_deadline;   /* after SIGINT/SIGTERM: when the buffered data must be out
	                            * (--drain-timeout); 0 before */
	uint64_t kernel_drops;     /* datagram inputs: the kernel's drop count (SO_RXQ_OVFL) */
	uint64_t foreign_datagrams; /* --peer without a port: others' datagrams, dropped */
	/* -D (rx.c). */
	struct tp_rx_stats rx;     /* what the receive path counted */
	bool rx_incomplete;        /* data lost or unverified: exit status 3 */
	struct tp_rx *rx_state;    /* the deframer and tracker */
};

enum tp_pump_end { TP_PUMP_EOF = 0, TP_PUMP_STOP = 1 };

/* After a read that brought data, a datagram input is read again at once, up to this many
 * times, before the next ppoll(): one system call per datagram less, and signals and
 * progress still get their turn. */
#define TP_READ_AGAIN 64

/* Waits for the input (fd >= 0) or for the writer's wake-up, with signals let in, and no
 * longer than timeout_ms (0 just looks, -1 as long as needed) or the next progress tick.
 * The control socket is in the same ppoll and served after it (r->ctl), so -R and -Q are
 * answered while the reader waits for input or for a free chunk. Returns true when the
 * input is readable. */
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

/* -S: how many more stream bytes are wanted (UINT64_MAX without -S). The limit lives
 * here alone: tp_reader_room never offers more, tp_reader_must_stop stops at 0, and
 * append, the stage and -F's readv ask it too. -S in lines (-l) wants bytes without limit
 * until the last line is in (tp_reader_added cuts there), then none. */
static inline uint64_t tp_reader_wanted(const struct tp_reader *r)
{
	if (r->p.line_limit && r->lines >= r->p.line_limit)
		return 0;
	return r->p.limit == UINT64_MAX ? UINT64_MAX : r->p.limit - r->offset;
}

/* A signal, the writer's end, or -S reached says stop reading. */
bool tp_reader_must_stop(struct tp_reader *r);

/* Makes sure there is a chunk to fill, waiting for a free one (the output is the
 * bottleneck). false when told to stop meanwhile. */
bool tp_reader_get_chunk(struct tp_reader *r);

/* Hands the chunk being filled to the writer (as it is: with -F, call tp_reader_flush). */
void tp_reader_hand_over(struct tp_reader *r);

/* Hands the full chunk over and gets the next one; false when told to stop. */
bool tp_reader_next_chunk(struct tp_reader *r);

/* Where the next stream bytes go in the chunk (with -F: in the open frame), and how many may
 * go there: the chunk's room, at most tp_reader_wanted. 0 when the chunk is full. */
size_t tp_reader_room(struct tp_reader *r, unsigned char **at);

/* n bytes were put where tp_reader_room said: counts them, and hands a raw chunk over when
 * it is full. Returns how many it took: n, or with -S in lines fewer, up to and with the
 * last line's terminator (the bytes after it are not wanted). */
size_t tp_reader_added(struct tp_reader *r, size_t n);

/* Copies len bytes into chunks, as many as it takes (waiting for free ones). Returns how
 * many were taken, fewer than len when -S is reached, or -EINTR when told to stop (what
 * was copied before that stays in the chunks). Bytes already put where tp_reader_tail
 * said, and not overwritten since, are taken where they lie, without a copy. */
ssize_t tp_reader_append(struct tp_reader *r, const unsigned char *data, size_t len);

/* Where len bytes may be put in the chunk being filled, so that tp_reader_append then
 * takes them there: -D decodes a frame's payload there. A chunk with too little room left
 * is handed over first (when len fits a chunk at all); without a chunk, a free one is taken
 * if there is one now, never waiting. NULL when there is no room for len bytes (or with -F,
 * or when reading must stop). What is put there and not appended is overwritten by the next
 * bytes. */
unsigned char *tp_reader_tail(struct tp_reader *r, size_t len);

/* The chunk being filled holds data not yet handed over. */
bool tp_reader_pending(const struct tp_reader *r);

/* Hands over what the chunk holds now (with -F the open frame is sealed first), so data
 * that trickles in goes out at once. */
void tp_reader_flush(struct tp_reader *r);

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

/* Bytes read but not yet in a chunk (r->stage: the splice path's, or a datagram's tail) go
 * into chunks even after a stop request, since they were taken from the input; only the
 * writer's end, the drain's time running out (--drain-timeout), -S, or a second signal
 * (which ends the process) cuts this short. Call after the last input. */
void tp_reader_flush_stage(struct tp_reader *r);

/* reader_splice.c, the splice path (the chunk has a pipe): moves at most room bytes of input
 * into the chunk's pipe, spliced when there is plenty, else read and written (pipes.h says
 * why). Bytes read that the pipe had no slot for wait in r->stage and go first next time.
 * > 0, 0 at the end, -EAGAIN when nothing was there, -ENOSPC when the chunk's pipe is full
 * (hand it over), or -errno. */
ssize_t tp_reader_splice(struct tp_reader *r, struct tp_source *src, size_t room);
/* What r->stage holds into the chunk's pipe, at most room bytes: how many, or -ENOSPC when
 * the pipe has no slot left. */
ssize_t tp_reader_put_stage(struct tp_reader *r, size_t room);

/* What a path does in tp_reader_pump. */
struct tp_pump_ops {
	/* Reads once from src and takes what came. *alive: it was data that keeps the input
	 * from being idle (the raw path: any byte; -D: frames, not junk). > 0 after a read
	 * that brought bytes, 0 at the end of the input, -EAGAIN when nothing was there,
	 * -ECANCELED to stop reading (told to stop while it waited for a chunk), or -errno.
	 * That nothing more is wanted is for `done` to say. */
	ssize_t (*read)(void *ctx, struct tp_source *src, bool *alive);
	/* When waiting for the input ends it (CLOCK_MONOTONIC; UINT64_MAX: never), given when
	 * the last live data came; NULL: --idle-timeout. */
	uint64_t (*deadline)(void *ctx, const struct tp_source *src, uint64_t last_ns);
	/* The deadline has passed: say why the input is taken to have ended. NULL: the
	 * --idle-timeout line. */
	void (*expired)(void *ctx, const struct tp_source *src);
	/* Nothing more is wanted from this input (NULL: read to its end). */
	bool (*done)(void *ctx);
};

/* Reads one input until its end, the deadline, ops->done, or a stop. Between reads: a
 * datagram input is read again at once after data (TP_READ_AGAIN); a part-filled chunk goes
 * out when the input pauses, unless the writer is still busy with older chunks (then it
 * fills on until the writer runs out: tp_handoff_writer_has_work). Returns TP_PUMP_EOF,
 * TP_PUMP_STOP or -errno. */
int tp_reader_pump(struct tp_reader *r, struct tp_source *src, const struct tp_pump_ops *ops,
		   void *ctx);

#endif
