/* One transfer: opens the endpoints, starts the writer, runs the reader loop, and says how
 * it ended. The caller (main) turns the result into an exit status. */
#ifndef TP_RUN_H
#define TP_RUN_H

#include "cli.h"

enum tp_exit {
	TP_EXIT_OK = 0,
	TP_EXIT_FAILURE = 1,   /* an I/O or runtime error, already reported */
	TP_EXIT_USAGE = 2,
	TP_EXIT_UNVERIFIED = 3,
	TP_EXIT_SIGPIPE = 141, /* the reader of our output went away */
};

struct tp_result {
	int status;            /* exit status */
};

void tp_run(const struct tp_options *opts, struct tp_result *result);

#endif
