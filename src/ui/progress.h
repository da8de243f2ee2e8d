/* The progress line: rendering a snapshot into text (pure, tested into memory), and drawing it
 * on a FILE, redrawn in place on a terminal or one plain line per interval with -n. */
#ifndef TP_PROGRESS_H
#define TP_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "stats.h"

/* What one progress line shows. */
struct tp_progress_view {
	uint64_t bytes;     /* bytes written out so far */
	double elapsed;     /* seconds since the start */
	double rate_now;    /* bytes/s over the last interval */
	double rate_avg;    /* bytes/s since the start */
	unsigned ring_pct;  /* ring fill, 0..100 */
	uint64_t total;     /* expected size; 0 = unknown (no bar, percentage or ETA) */
	/* For --format and the display letters (format.h); tp_progress_render ignores them. */
	const char *name;              /* -N; NULL: none */
	const unsigned char *last;     /* %A: the last bytes written, oldest first */
	size_t last_len;
	const unsigned char *line;     /* %L: the last whole line written, without its end */
	size_t line_len;
	unsigned ticks;     /* lines drawn so far: with no size, the bar's "<=>" moves by it */
};

/* One line of at most width - 1 columns (so the cursor never wraps), no newline:
 * [NAME: ]BYTES ELAPSED [RATE] [AVG avg] ring N% and, with a total, a bar filling the
 * remaining width, the percentage and the ETA. Parts drop off, least useful first, when the
 * width is small. Returns the length written (< len). */
size_t tp_progress_render(char *buf, size_t len, unsigned width, const char *name,
			  const struct tp_progress_view *v);

/* -n: "ELAPSED BYTES RATE[ PERCENT]" as plain numbers (seconds with 3 decimals, bytes,
 * bytes/s over the last interval as an integer, percentage with 1 decimal), nothing else. */
size_t tp_progress_render_numeric(char *buf, size_t len, const struct tp_progress_view *v);

struct tp_progress {
	FILE *out;
	bool numeric;          /* -n */
	const char *name;      /* -N */
	bool drawn;            /* a line is on the screen and needs a final newline */
	uint64_t last_bytes;   /* when the current rate was last measured */
	double last_elapsed;
	double last_rate;      /* that measurement, reused over spans too short to measure */
	uint64_t shown_bytes;  /* on the line last drawn */
};

void tp_progress_init(struct tp_progress *p, FILE *out, bool numeric, const char *name);
/* Draws the line for snap at the given terminal width: "\r" + line + erase to the end of the
 * line on a terminal; line + "\n" with -n. */
void tp_progress_draw(struct tp_progress *p, const struct tp_snapshot *snap, unsigned width);
/* Draws once more and ends the line, so the terminal is left clean. */
void tp_progress_finish(struct tp_progress *p, const struct tp_snapshot *snap, unsigned width);

#endif
