/* The inputs in order, like cat: each opened, read to its end by the raw/-F path or the -D
 * path (pump.h), and closed; a missing or unreadable one is reported and skipped. Main
 * thread only. */
#ifndef TP_INPUTS_H
#define TP_INPUTS_H

#include <stdbool.h>
#include <stdint.h>
#include "reader.h"
#include "outputs.h"
#include "source.h"

struct tp_inputs {
	char *const *names;           /* the INPUT operands ("-": standard input) */
	int n;
	struct tp_source_params source; /* (its skip_errors and skipped are set from below) */
	unsigned skip_errors;         /* -E given this many times: 0 not at all; 1 each skip
	                               * said; 2 or more the first of an input's and a count */
	bool deframe;                 /* -D: rx.c reads them (tp_rx_init done) */
	bool explain;                 /* --explain: say where a udp:// input listens */
	const struct tp_outputs *outputs; /* an input that is an output is refused */
};

/* Reads every input into the reader's chunks, then what is left (the stage, -F's END frames,
 * -D's verdict) and the last chunk. 0 (TP_EXIT_OK) or 1 when an input failed or had a part
 * skipped (-E; as pv, whose status says a read error either way), said. */
int tp_inputs_read(struct tp_reader *r, const struct tp_inputs *in);

/* The expected total: `size` (-s) when not 0, or the sum of the inputs' sizes when all are
 * regular files; 0 when unknown. */
uint64_t tp_inputs_total(char *const *names, int n, uint64_t size);

#endif
