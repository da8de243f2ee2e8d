/* The XMODEM and YMODEM receiver: asks for the transfer (C, G, or NAK for the 8-bit sum),
 * takes each block whose number and check are right, ACKs it, NAKs a damaged one and asks
 * again, drops a block sent twice, and hands the data of each file to the sink: nothing
 * that was not checked. YMODEM's block 0 names each file (a name that would leave the
 * directory is refused: the transfer is cancelled) and its size trims the padding. Over
 * any line (modem_line.h); pure otherwise. */
#ifndef TP_MODEM_RECV_H
#define TP_MODEM_RECV_H

#include <stdbool.h>
#include "modem_block.h"
#include "modem_line.h"

struct tp_modem_sink {
	/* A file begins: f from its block 0 (YMODEM), or NULL (XMODEM). 0 or -errno. */
	int (*begin)(void *ctx, const struct tp_modem_file *f);
	/* Checked data of the current file, in order. 0 or -errno. */
	int (*write)(void *ctx, const void *buf, size_t n);
	/* The current file is whole (ok), or the transfer failed with it begun (!ok: the sink
	 * drops what it kept). 0 or -errno. */
	int (*end)(void *ctx, bool ok);
};

/* Receives files into the sink. size: for XMODEM, the file's size (-s) when known, so that
 * the padding is cut off (0: unknown, and the last block is kept whole). 0; or -errno with
 * *why (a static phrase): -ETIMEDOUT (no sender, or one that went quiet), -ECANCELED (the
 * sender sent CAN CAN), -EPROTO (too many bad blocks in a row, a block out of order, a
 * damaged block under YMODEM-g, an unreadable block 0), -EPERM (a name that would leave
 * the directory), -EINTR (a signal), or the line's or the sink's error (*why NULL). The
 * sender is sent CAN CAN on every failure but its own cancel. */
int tp_modem_recv(enum tp_modem_protocol proto, const struct tp_modem_timing *t,
		  const struct tp_modem_line *line, const struct tp_modem_sink *sink, void *ctx,
		  uint64_t size, struct tp_modem_stats *st, const char **why);

#endif
