/* The raw and -F path (pump.c) and the -D path (rx.c): what each does with an input, on top
 * of the reader (reader.h). Main thread only. */
#ifndef TP_PUMP_H
#define TP_PUMP_H

#include <stdbool.h>
#include "enums.h"
#include "reader.h"

/* Raw or -F (r->framer): reads one input to its end into chunks. TP_PUMP_EOF, TP_PUMP_STOP
 * (a signal, the writer's end, -S) or -errno. */
int tp_pump_raw(struct tp_reader *r, struct tp_source *src);
/* Raw or -F, after the last input: the stage's bytes, then (-F) the open frame and the END
 * frames. */
void tp_pump_finish(struct tp_reader *r);

struct tp_rx;

/* What the receive path is told. */
struct tp_rx_params {
	enum tp_gap_policy on_gap; /* --on-gap */
	bool quiet_default;        /* no --idle-timeout: an input with no end of its own ends
	                            * after a quiet time (RX_QUIET_NS) */
	struct tp_sealer *sealer;  /* --key-file: only frames sealed under it are taken (the
	                            * caller's); NULL: sealed frames are refused */
};

/* -D: sets up the deframer and tracker for the whole run. 0 or -errno. */
int tp_rx_init(struct tp_reader *r, const struct tp_rx_params *p);
/* -D: reads a framed input until its END (or its end, or --idle-timeout), emitting only
 * verified data. Returns TP_PUMP_EOF, TP_PUMP_STOP (END reached, or a signal) or -errno. */
int tp_rx_pump(struct tp_reader *r, struct tp_source *src);
/* -D: the inputs are over: what is still missing is missing for good. Sets
 * r->rx_incomplete when data was lost or could not be verified. 0 or -errno. */
int tp_rx_finish(struct tp_reader *r);
void tp_rx_destroy(struct tp_reader *r);

#endif
