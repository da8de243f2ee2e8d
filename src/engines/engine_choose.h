/* Which engine a transfer gets, and why (--explain): the choice made before the ring
 * exists, beside the registry (engine.c) that sets the engine up. Main thread, before the
 * writer starts. */
#ifndef TP_ENGINE_CHOOSE_H
#define TP_ENGINE_CHOOSE_H

#include <stdbool.h>
#include <stddef.h>
#include "engine.h"

/* What the choice depends on. */
struct tp_engine_choice {
	enum tp_engine_kind asked;  /* --engine */
	bool bytes_touched;         /* -F or -D: the bytes are worked on in memory */
	bool lines_counted;         /* -l, -0: the bytes are read in memory, for their lines */
	bool datagram_input;        /* a udp:// input */
	bool several_outputs;       /* -o more than once */
	unsigned all_sink_flags;    /* with several: every output's flags, or'ed */
	unsigned sink_flags;        /* enum tp_sink_flags (of the output being set up) */
};

/* Why the splice path cannot be taken, or NULL when it can: the bytes must go from the
 * input to an output pipe untouched, on a kernel without CVE-2022-0847. */
const char *tp_engine_splice_refusal(const struct tp_engine_choice *c);

/* The kind to set up: TP_ENGINE_SPLICE when the ring got its pipes (no_splice NULL and
 * splice_err 0), otherwise what was asked. */
enum tp_engine_kind tp_engine_kind_for(const struct tp_engine_choice *c, const char *no_splice,
				       int splice_err);

/* Why the engine in use was chosen, for --explain: depth is the ring's, no_splice and
 * splice_err why the splice path was not taken. */
void tp_engine_explain(const struct tp_engine_choice *c, const struct tp_engine *eng,
		       unsigned depth, const char *no_splice, int splice_err, char *buf, size_t len);

#endif
