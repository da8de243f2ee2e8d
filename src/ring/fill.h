/* The fill levels, as mbuffer's -P and -p: two gates on the ring, pure bookkeeping (no
 * threads, no I/O; handoff.c calls it under its lock and does the waking).
 *
 * The write gate (--write-above=PCT): the writer may take full chunks only once PCT of the
 * ring's chunks are in use (filled by the reader and not yet given back by the writer), and
 * again each time it ran out of chunks before the input ended, so that a tape drive or an
 * encoder gets long runs. Once the input has ended whatever is buffered goes out.
 *
 * The read gate (--read-below=PCT): once the reader finds the ring full, it may have a free
 * chunk again only when fewer than PCT of the chunks are in use, so it reads in long runs
 * too. Also when the writer sleeps for want of chunks: it frees nothing more then (with
 * --repeat it keeps its last chunks for their copies), and waiting on would never end.
 *
 * The defaults (write-above 0, read-below 100) are no gates at all: every call below then
 * says yes exactly when the ring alone would. */
#ifndef TP_FILL_H
#define TP_FILL_H

#include <stdbool.h>
#include <stddef.h>
#include "enums.h"

/* Every field is the hand-off's, under its lock: the writer thread calls may_take, released
 * and starved; the reader (main thread) put, end and may_get; either the queries. */
struct tp_fill {
	unsigned depth;        /* chunks in the ring */
	unsigned write_above;  /* --write-above, 0..100 */
	unsigned read_below;   /* --read-below, 0..100 */
	unsigned write_at;     /* chunks in use that open the write gate; 0: no write gate */
	unsigned read_at;      /* fewer in use than this (or none) open the read gate */
	bool write_open;       /* the writer may take */
	bool read_open;        /* the reader may have a free chunk */
	bool ended;            /* the reader has put its last chunk: no gate holds any more */
};

/* Percentages over 100 are taken as 100 (the command line refuses them). */
void tp_fill_init(struct tp_fill *f, unsigned depth, unsigned write_above, unsigned read_below);

/* Reader side. */
/* The reader has put a chunk; `used` chunks are in use now. Whether the writer may take
 * now (then a sleeping writer is worth waking). */
bool tp_fill_put(struct tp_fill *f, unsigned used);
/* The reader has put its last chunk: everything buffered goes out. */
void tp_fill_end(struct tp_fill *f);
/* Whether the reader may have a free chunk with `used` in use (the ring itself says whether
 * there is one). Finding the ring full closes the read gate. */
bool tp_fill_may_get(struct tp_fill *f, unsigned used);

/* Writer side. */
/* Whether the writer may take one of the `waiting` full chunks it has not taken. Finding
 * none before the input's end closes the write gate: it waits for the level again. */
bool tp_fill_may_take(struct tp_fill *f, unsigned waiting);
/* The writer has given a chunk back; `used` in use now. True when that opened the read
 * gate (a waiting reader must be woken). */
bool tp_fill_released(struct tp_fill *f, unsigned used);
/* The writer is about to sleep for a chunk. True when that opened the read gate. */
bool tp_fill_starved(struct tp_fill *f);

/* Queries. */
/* Whether the reader may have a free chunk now. */
bool tp_fill_read_open(const struct tp_fill *f);
/* The writer is held back by the level: the reader's chunk could not go out sooner. */
bool tp_fill_filling(const struct tp_fill *f);
/* What is held back now, for the progress line. */
enum tp_hold tp_fill_hold(const struct tp_fill *f);
/* One line for --explain (no newline): what the levels mean for this ring; "" when both
 * are the defaults. Returns what snprintf returns. */
int tp_fill_explain(const struct tp_fill *f, char *buf, size_t len);

#endif
