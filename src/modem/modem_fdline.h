/* The real line for XMODEM and YMODEM (modem_line.h): bytes in from one descriptor, out to
 * another (the same one for a terminal device), waits in ppoll() with SIGINT and SIGTERM let
 * in, so a signal ends a wait at once. */
#ifndef TP_MODEM_FDLINE_H
#define TP_MODEM_FDLINE_H

#include <stddef.h>
#include <stdint.h>
#include "modem_line.h"

struct tp_modem_fdline {
	int in, out;               /* non-blocking or not: waits are ppoll's */
	unsigned char buf[4096];   /* read ahead */
	size_t at, len;
	size_t sent, received;     /* bytes on the line each way, for the goodput */
	uint64_t first_ns;         /* CLOCK_MONOTONIC when the first byte came: the transfer's
	                            * start (the receiver's request, or the first block) */
	/* Called between waits once tick_ns has passed since it last was (the progress
	 * line), and no wait outlasts the next call; NULL: none. */
	void (*tick)(void *arg);
	void *tick_arg;
	uint64_t tick_ns, next_tick_ns;
};

/* A line over in and out (not taken over: the caller closes them). The caller may set the
 * tick fields after. */
void tp_modem_fdline_init(struct tp_modem_fdline *l, int in, int out, struct tp_modem_line *line);

#endif
