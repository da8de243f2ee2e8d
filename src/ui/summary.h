/* The final statistics (--stats, --stats=json): what happened, and which side was the
 * bottleneck. Pure: the caller collects the figures; this module computes and prints. */
#ifndef TP_SUMMARY_H
#define TP_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "track.h"

/* The per-interval rates seen during the run, kept to describe their spread. */
struct tp_rate_track {
	double *rates;      /* bytes/s of each interval */
	size_t n, cap;
};

int tp_rate_track_add(struct tp_rate_track *t, double rate); /* 0 or -ENOMEM */
void tp_rate_track_free(struct tp_rate_track *t);

/* One of several outputs (-o given more than once). */
struct tp_summary_output {
	const char *name;           /* the sink's name */
	const char *engine;         /* NULL: it never got one */
	uint64_t bytes;             /* written to it */
	uint64_t write_calls;
	double writer_wait;         /* s its writer waited for data */
	const char *dropped;        /* why it was dropped, or NULL when it got everything */
};

struct tp_summary {
	const char *name;           /* -N, or NULL */
	const char *engine;         /* "io_uring" or "write" */
	uint64_t bytes;             /* written out */
	bool line_mode;             /* -l: the lines written out are counted, */
	bool null_lines;            /*   ending in NUL (-0) or newline */
	uint64_t lines;
	double seconds;             /* wall time of the transfer */
	uint64_t rate_limit;        /* -L in bytes/s (lines/s when rate_lines), 0 = none */
	bool rate_lines;            /* -l -L: the pace is in lines */
	/* Spread of the per-interval rate (bytes/s); all 0 when there was no full interval. */
	uint64_t intervals;
	double rate_min, rate_max, rate_mean_dev; /* mean absolute deviation from the mean */
	double reader_wait;         /* s the reader waited for a free chunk: output-bound */
	double writer_wait;         /* s the writer waited for data: input-bound */
	double pace_wait;           /* s the writer slept to hold the rate */
	uint64_t write_calls;
	double write_min, write_avg, write_max; /* s per write call (0 when none) */
	unsigned ring_high_water;   /* most chunks in use at once */
	unsigned ring_depth;
	size_t chunk_size;
	/* Links (summary_link.c): zero / NULL when not in use. */
	bool udp_out;               /* datagrams sent, retries after ENOBUFS, ECONNREFUSED seen */
	uint64_t datagrams, send_retries, refused;
	unsigned repeat;            /* --repeat, and chunks whose copies went out */
	uint64_t copies;
	unsigned fec_k, fec_m, fec_depth; /* --fec, and the parity frames sent */
	uint64_t parity_frames;
	size_t frame_size;
	bool udp_in;                /* datagrams the kernel dropped before we read them */
	uint64_t kernel_drops;
	uint64_t foreign_datagrams; /* --peer: datagrams from other senders, dropped */
	const struct tp_rx_stats *rx; /* -D: what the receiver verified, refused and lost */
	/* Several outputs: each one's figures (the ones above are the slowest live output's
	 * amounts and every output's write calls); n_outputs 0 with one output. */
	const struct tp_summary_output *outputs;
	unsigned n_outputs;
};

/* Fills intervals, rate_min, rate_max and rate_mean_dev from the track. */
void tp_summary_set_rates(struct tp_summary *s, const struct tp_rate_track *t);

/* One plain sentence naming the bottleneck, e.g.
 * "output-bound: waited for the consumer 93 % of the time", "input-bound: waited for the
 * producer 88 % of the time", "rate-limited: held to 20.0 MB/s 97 % of the time", or
 * "balanced: neither side waited more than 10 % of the time". Returns its length. */
size_t tp_summary_bottleneck(char *buf, size_t len, const struct tp_summary *s);

/* Human-readable lines, each starting "tpipe: " (and the name). */
void tp_summary_print_text(FILE *out, const struct tp_summary *s);
/* One JSON object on one line; keys documented in the man page (STATISTICS). */
void tp_summary_print_json(FILE *out, const struct tp_summary *s);

/* The link lines and keys, part of the two above. */
void tp_summary_print_link_text(FILE *out, const struct tp_summary *s);
void tp_summary_print_link_json(FILE *out, const struct tp_summary *s);
/* "tpipe: " and the name, control characters shown as '?' so each line stays one line; inline, as both summary.c and
 * summary_link.c start their lines with it and neither may call the other. */
static inline void tp_summary_prefix(FILE *out, const struct tp_summary *s)
{
	fputs("tpipe: ", out);
	if (!s->name || !*s->name)
		return;
	for (const unsigned char *p = (const unsigned char *)s->name; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
	fputs(": ", out);
}

#endif
