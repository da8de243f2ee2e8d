/* The main thread's watch over a transfer: a tick every --interval that redraws the progress
 * line and records the interval's rate, the SIGUSR1 status line, and the final statistics.
 * It reads the counters both threads write; it never touches the data. */
#ifndef TP_MONITOR_H
#define TP_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include "cli.h"
#include "handoff.h"
#include "progress.h"
#include "stats.h"
#include "summary.h"
#include "tune.h"

struct tp_monitor {
	const struct tp_options *opts;
	struct tp_counters *counters;
	struct tp_handoff *handoff;
	uint64_t total;           /* expected size, 0 if unknown */
	uint64_t start_ns;
	uint64_t next_tick_ns;    /* 0: no ticks needed (no progress, no statistics) */
	uint64_t tick_bytes;      /* bytes_out at the last tick */
	bool show;                /* a progress line (or -n lines) is drawn */
	bool on_tty;              /* stderr is a terminal: redraw in place */
	struct tp_progress progress;
	struct tp_rate_track rates;
	/* Links, for the statistics (set by the caller after init; NULL when unused). */
	const struct tp_rx_stats *rx;     /* -D */
	const uint64_t *kernel_drops;     /* a udp:// input */
	bool udp_out;
	const char *sink_name;            /* for the "nobody listening" line */
	uint64_t refused_reported;        /* ECONNREFUSED count at the last such line */
	bool refused_at_end;              /* the caller says so itself (status 1) */
	uint64_t refused_report_ns;
};

void tp_monitor_init(struct tp_monitor *m, const struct tp_options *opts,
		     struct tp_counters *counters, struct tp_handoff *handoff, uint64_t total);
/* A ppoll() timeout in ms no later than the next tick; `want` is the caller's (-1: none). */
int tp_monitor_timeout(const struct tp_monitor *m, int want);
/* After every wait: does the tick if it is due. */
void tp_monitor_poll(struct tp_monitor *m);
/* The SIGUSR1 line. */
void tp_monitor_status(struct tp_monitor *m);
/* Ends a progress line that is on the screen, so a message can start on a clean line. */
void tp_monitor_end_line(struct tp_monitor *m);
/* --explain: the choices made before the transfer. */
void tp_monitor_explain(struct tp_monitor *m, const struct tp_tuning *t, const char *engine,
			const char *engine_why);
/* The last progress line and, with --stats, the final statistics. */
void tp_monitor_finish(struct tp_monitor *m, const struct tp_tuning *t, const char *engine);
void tp_monitor_destroy(struct tp_monitor *m);

#endif
