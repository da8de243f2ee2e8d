/* The option values several modules share, and the limits the command line enforces for
 * them. It includes nothing, so a module that needs one of these needs neither cli.h nor the
 * module that acts on it. */
#ifndef TP_ENUMS_H
#define TP_ENUMS_H

/* --engine. AUTO: splice when the ring can have pipes (pipes.h), else io_uring, else
 * write() (always write() for a file position shared with others: sink.h, TP_SINK_SHARED). */
enum tp_engine_kind { TP_ENGINE_AUTO, TP_ENGINE_URING, TP_ENGINE_WRITE, TP_ENGINE_SPLICE };

/* --on-gap: what -D does about bytes lost for good. */
enum tp_gap_policy {
	TP_GAP_STOP,   /* stop at the first byte missing for good (default) */
	TP_GAP_SKIP,   /* carry on without the missing bytes */
	TP_GAP_ZERO,   /* write zeros in their place, so offsets hold */
};

/* --flow: a serial line's flow control. */
enum tp_flow { TP_FLOW_NONE, TP_FLOW_RTSCTS, TP_FLOW_XONXOFF };

/* -f / -q: whether a progress line is drawn. */
enum tp_show { TP_SHOW_AUTO, TP_SHOW_ALWAYS, TP_SHOW_NEVER };

/* pv's display letters, as bits of one set; none given means tpipe's own line. */
enum tp_display {
	TP_DISPLAY_BAR = 1u << 0,     /* -p */
	TP_DISPLAY_TIMER = 1u << 1,   /* -t */
	TP_DISPLAY_ETA = 1u << 2,     /* -e */
	TP_DISPLAY_FINETA = 1u << 3,  /* -I */
	TP_DISPLAY_RATE = 1u << 4,    /* -r */
	TP_DISPLAY_AVG = 1u << 5,     /* -a */
	TP_DISPLAY_BYTES = 1u << 6,   /* -b */
	TP_DISPLAY_BUFFER = 1u << 7,  /* -T */
	TP_DISPLAY_LAST = 1u << 8,    /* -A N */
};

/* -A: the most bytes of the output a progress line shows. */
#define TP_MAX_LAST_WRITTEN 256u

/* -d: the most processes and file descriptors watched at once. */
#define TP_MAX_WATCH 32
/* Most -o outputs of one transfer (each has a writer thread). */
#define TP_MAX_OUTPUTS 16u

/* --stats. */
enum tp_stats_format { TP_STATS_NONE, TP_STATS_TEXT, TP_STATS_JSON };

/* --repeat: the most extra copies of every chunk's frames (the writer holds that many). */
#define TP_MAX_REPEAT 15u
/* --fec-depth: the most groups interleaved (each holds its parity in the sender's memory). */
#define TP_FEC_MAX_DEPTH 64u

/* What the fill levels (--write-above, --read-below; ring/fill.h) hold back right now, for
 * the progress and status lines. */
enum tp_hold {
	TP_HOLD_NONE,      /* nothing: data flows as it comes */
	TP_HOLD_FILLING,   /* the writer waits for the ring to fill to --write-above */
	TP_HOLD_DRAINING,  /* the reader waits for the ring to drain below --read-below */
};

#endif
