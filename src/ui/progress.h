/* The progress line: rendering a snapshot into text (pure, tested into memory), and drawing it
 * on a FILE, redrawn in place on a terminal or one plain line per interval with -n. */
#ifndef TP_PROGRESS_H
#define TP_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "format.h"
#include "stats.h"
#include "view.h"

/* One line of at most width - 1 columns (so the cursor never wraps), no newline:
 * [NAME: ]BYTES ELAPSED [RATE] [AVG avg] ring N% and, with a total, a bar filling the
 * remaining width, the percentage and the ETA. Parts drop off, least useful first, when the
 * width is small. Returns the length written (< len). */
size_t tp_progress_render(char *buf, size_t len, unsigned width, const char *name,
			  const struct tp_progress_view *v);

/* How the line is drawn. */
struct tp_progress_style {
	bool numeric;                    /* -n: a line per interval, never redrawn */
	unsigned display;                /* pv's letters (-n: -t and -b add their fields) */
	const struct tp_format *format;  /* the caller's; NULL: tpipe's own line, or pv's -n */
	struct tp_units units;           /* -l, -8, -k (and numeric fields with -n --format) */
};

struct tp_progress {
	FILE *out;
	struct tp_progress_style style;
	const char *name;      /* -N */
	/* Set by the caller before each draw: */
	unsigned cursor_up;    /* -c: lines up to our own; 0: draw in place on the cursor's */
	const unsigned char *last;  /* the last bytes written (format.h's %A and %L) */
	size_t last_len;
	unsigned char term;    /* what ends a line, for %L */
	/* The drawing's own: */
	bool drawn;            /* a line is on the screen and needs a final newline */
	uint64_t last_bytes;   /* when the current rate was last measured */
	double last_elapsed;
	double last_rate;      /* that measurement, reused over spans too short to measure */
	uint64_t shown_bytes;  /* on the line last drawn */
	unsigned ticks;        /* lines drawn */
};

void tp_progress_init(struct tp_progress *p, FILE *out, const struct tp_progress_style *style,
		      const char *name);
/* Draws the line for snap at the given terminal width, in one write: "\r" + line + erase to
 * the end of the line on a terminal (with cursor_up: saved, moved up, drawn, restored);
 * line + "\n" with -n. */
void tp_progress_draw(struct tp_progress *p, const struct tp_snapshot *snap, unsigned width);
/* Draws once more and ends the line, so the terminal is left clean. */
void tp_progress_finish(struct tp_progress *p, const struct tp_snapshot *snap, unsigned width);

#endif
