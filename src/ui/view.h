/* What a progress line shows: one snapshot of a transfer, in the units being counted, for the
 * renderers (progress.h's own line, format.h's pv formats). */
#ifndef TP_VIEW_H
#define TP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "enums.h"

/* What one progress line shows. */
struct tp_progress_view {
	uint64_t bytes;     /* written out so far: bytes, or lines with -l */
	double elapsed;     /* seconds since the start */
	double rate_now;    /* per second, over the last interval */
	double rate_avg;    /* per second, since the start */
	unsigned ring_pct;  /* ring fill, 0..100 */
	enum tp_hold hold;  /* the fill levels hold back: said after the ring's fill */
	bool no_ring;       /* no ring of ours (-d watches another process): tpipe's line omits it */
	uint64_t total;     /* expected size; 0 = unknown (no bar, percentage or ETA) */
	/* For --format and the display letters (format.h); tp_progress_render ignores them. */
	const char *name;              /* -N; NULL: none */
	const unsigned char *last;     /* %A: the last bytes written, oldest first */
	size_t last_len;
	const unsigned char *line;     /* %L: the last whole line written, without its end */
	size_t line_len;
	unsigned ticks;     /* lines drawn so far: with no size, the bar's "<=>" moves by it */
};

#endif
