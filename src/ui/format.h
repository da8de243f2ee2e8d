/* pv's --format: a progress line described by text and % sequences. Parsing and rendering are
 * pure (text in, text out), so every sequence is tested into memory; the display letters
 * (-p -t -e ...) are a format too, built in pv's order. */
#ifndef TP_FORMAT_H
#define TP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "view.h"

enum tp_seg_kind {
	TP_SEG_TEXT,       /* literal text (%% is one '%') */
	TP_SEG_BAR,        /* %p %{progress}: "[===>   ] 45%", or a moving "<=>" with no size */
	TP_SEG_BAR_ONLY,   /* %{progress-bar-only}: the bar without the percentage */
	TP_SEG_PERCENT,    /* %{progress-amount-only}: "45%" */
	TP_SEG_TIMER,      /* %t %{timer}: "0:01:02" */
	TP_SEG_ETA,        /* %e %{eta}: "ETA 0:00:10" */
	TP_SEG_FINETA,     /* %I %{fineta}: "FIN 14:05:10" (local time) */
	TP_SEG_RATE,       /* %r %{rate}: "[1.00MiB/s]" */
	TP_SEG_AVG,        /* %a %{average-rate}: "[1.00MiB/s]" */
	TP_SEG_BYTES,      /* %b %{bytes} %{transferred}: "1.00MiB" */
	TP_SEG_BUFFER,     /* %T %{buffer-percent}: "{ 50%}" */
	TP_SEG_LAST,       /* %A %NA %{last-written}: the last N bytes written, unprintables as '.' */
	TP_SEG_PREV_LINE,  /* %L %{previous-line}: the last whole line written */
	TP_SEG_NAME,       /* %N %{name}: "NAME:", padded to 9 columns */
};

#define TP_FORMAT_MAX_SEGS 64
#define TP_FORMAT_MAX_TEXT 512

struct tp_format_seg {
	enum tp_seg_kind kind;
	unsigned arg;           /* TP_SEG_LAST: how many bytes */
	unsigned off, len;      /* TP_SEG_TEXT: the text, in tp_format.text */
};

struct tp_format {
	struct tp_format_seg seg[TP_FORMAT_MAX_SEGS];
	unsigned n;
	char text[TP_FORMAT_MAX_TEXT];  /* the literal text the TEXT segments point into */
	unsigned uses;                  /* the TP_DISPLAY_* bits its segments need */
	unsigned last_len;              /* the most bytes a %A asks for (0: none) */
	bool uses_line;                 /* a %L: the last line written is needed */
};

/* How amounts are shown. */
struct tp_units {
	bool lines;    /* -l: amounts are lines (no unit; powers of 1000) */
	bool bits;     /* -8: bytes shown as bits */
	bool si;       /* -k: powers of 1000 */
	bool numeric;  /* -n with --format: plain machine-readable numbers */
};

/* Parses a --format string. 0, or -EINVAL with why ("%q: no such sequence ..."). */
int tp_format_parse(struct tp_format *f, const char *spec, char *why, size_t why_len);

/* The format pv builds from its display letters (enum tp_display bits, never 0), in pv's order:
 * name, bytes, buffer, timer, rate, average, bar, ETA, FIN, last written. */
void tp_format_from_letters(struct tp_format *f, unsigned display, unsigned last_written,
			    bool named);

/* Renders one line of at most width - 1 columns (the cursor never wraps) into buf, no newline.
 * The bar takes what room the other segments leave; a segment whose value is unknown (the ETA
 * with no size) renders as nothing, and the spaces either side of it collapse into one.
 * now is the wall clock (seconds since the epoch), for %I. Returns the length (< len). */
size_t tp_format_render(const struct tp_format *f, const struct tp_units *u,
			const struct tp_progress_view *v, double now, char *buf, size_t len,
			unsigned width);

/* -n without --format, as pv: "[SECONDS ]PERCENT", SECONDS (4 decimals) if TP_DISPLAY_TIMER
 * is in display; the amount in place of the percentage if TP_DISPLAY_BYTES is, or if no
 * total is known. Returns the length (< len). */
size_t tp_format_numeric(unsigned display, const struct tp_progress_view *v, char *buf,
			 size_t len);

/* %L: the last whole line in the last bytes written (data, n), ending in term, without it;
 * *line points into data. Returns its length (0: none yet). */
size_t tp_format_last_line(const unsigned char *data, size_t n, unsigned char term,
			   const unsigned char **line);

#endif
