/* The main thread's watch over a transfer: a tick every --interval that redraws the progress
 * line and records the interval's rate, the SIGUSR1 status line, and the final statistics.
 * It reads the counters both threads write; it never touches the data. */
#ifndef TP_MONITOR_H
#define TP_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include "cli.h"
#include "cursor.h"
#include "fec_tx.h"
#include "format.h"
#include "handoff.h"
#include "outputs.h"
#include "progress.h"
#include "stats.h"
#include "summary.h"
#include "tail.h"
#include "tune.h"

/* What the monitor watches. */
struct tp_monitor_params {
	const struct tp_options *opts;
	struct tp_counters *counters;     /* both threads' (stats.h): read only here */
	struct tp_handoff *handoff;       /* for the ring's fill */
	uint64_t total;                   /* expected size, 0 if unknown */
	/* Links, for the statistics (NULL / false when unused). */
	const struct tp_rx_stats *rx;     /* -D: the reader's, read between its reads */
	const uint64_t *kernel_drops;     /* a udp:// input */
	const uint64_t *foreign_datagrams; /* its datagrams from others than --peer */
	bool udp_out;
	const char *sink_name;            /* for the "nobody listening" line */
	const struct tp_tail *tail;       /* the writer's last bytes, for %A and %L; NULL: none */
	const struct tp_outputs *outputs; /* for the statistics: each output's, its engine */
	const struct tp_fec_tx *fec;      /* --fec: the parity frames sent (the reader's, read
	                                   * once it is done) */
	enum tp_cipher sealer_cipher;     /* --key-file: what the sender seals with */
};

/* Settings changed while running (-R from another tpipe); 0 / NULL: unchanged. */
struct tp_monitor_change {
	bool set_total;
	uint64_t total;
	const char *name;
	uint64_t interval_ns;
	unsigned display;         /* new display letters (replace the line) */
	unsigned last_written;    /* with TP_DISPLAY_LAST */
	const char *format;       /* a new --format, already checked by the sender */
};

/* The main thread's alone. */
struct tp_monitor {
	const struct tp_options *opts;
	struct tp_counters *counters;
	struct tp_handoff *handoff;
	uint64_t total;           /* expected size, 0 if unknown (tp_monitor_offer_total) */
	uint64_t start_ns;
	uint64_t next_tick_ns;    /* 0: no ticks needed (no progress, no statistics) */
	uint64_t tick_bytes;      /* bytes_out at the last tick */
	bool show;                /* a progress line (or -n lines) is drawn */
	bool on_tty;              /* stderr is a terminal: redraw in place */
	struct tp_progress progress;
	struct tp_rate_track rates;
	const struct tp_rx_stats *rx;     /* as in tp_monitor_params */
	const uint64_t *kernel_drops;
	const uint64_t *foreign_datagrams;
	bool udp_out;
	const char *sink_name;
	uint64_t refused_reported;        /* ECONNREFUSED count at the last such line */
	uint64_t refused_report_ns;
	uint64_t interval_ns;             /* -i, or as changed since */
	char name[256];                   /* -N, or as changed since */
	struct tp_format format;          /* the line (pv's letters or --format), if any */
	bool use_format;                  /* ... is in use (an empty --format is a line too) */
	bool from_letters;                /* ... was built from the letters (-N rebuilds it) */
	unsigned display;
	unsigned last_written;
	const struct tp_tail *tail;
	const struct tp_outputs *outputs;
	const struct tp_fec_tx *fec;
	enum tp_cipher sealer_cipher;
	unsigned char tail_copy[TP_TAIL_SIZE];
	struct tp_cursor cursor;          /* -c */
	bool cursor_tried;
};

void tp_monitor_init(struct tp_monitor *m, const struct tp_monitor_params *p);
/* The total learnt during the transfer (-D: META's), used when none was known. */
void tp_monitor_offer_total(struct tp_monitor *m, uint64_t total);
/* Takes settings changed while running: they show from the next line on. -EINVAL if the
 * format does not parse (nothing changed then). */
int tp_monitor_apply(struct tp_monitor *m, const struct tp_monitor_change *c);
/* A ppoll() timeout in ms no later than the next tick; `want` is the caller's (-1: none). */
int tp_monitor_timeout(const struct tp_monitor *m, int want);
/* After every wait: does the tick if it is due. */
void tp_monitor_poll(struct tp_monitor *m);
/* The SIGUSR1 line. */
void tp_monitor_status(struct tp_monitor *m);
/* Ends a progress line that is on the screen, so a message can start on a clean line. */
void tp_monitor_end_line(struct tp_monitor *m);
/* --explain: the engine of an output and why (output: its name when there are several, else
 * NULL), once for each; then the other choices made before the transfer. */
void tp_monitor_explain_engine(struct tp_monitor *m, const char *output, const char *engine,
			       const char *why);
void tp_monitor_explain(struct tp_monitor *m, const struct tp_tuning *t);
/* The last progress line and, with --stats, the final statistics (after every writer was
 * joined). refused_at_end: the caller says itself that a udp:// destination refused the end
 * (status 1). */
void tp_monitor_finish(struct tp_monitor *m, const struct tp_tuning *t, bool refused_at_end);
void tp_monitor_destroy(struct tp_monitor *m);

#endif
