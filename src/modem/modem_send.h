/* The XMODEM and YMODEM sender: waits for the receiver's C, G or NAK, sends block 0 for
 * each file (YMODEM), the file in blocks, each until it is acknowledged (or streamed, for
 * YMODEM-g), EOT, and for YMODEM the empty block 0 that ends the batch. Over any line
 * (modem_line.h); pure otherwise: the files come through the source's calls. */
#ifndef TP_MODEM_SEND_H
#define TP_MODEM_SEND_H

#include <sys/types.h>
#include "modem_block.h"
#include "modem_line.h"

struct tp_modem_source {
	/* The next file: 1 with *f (its name as block 0 gives it), 0 when there are no more,
	 * or -errno. XMODEM asks once and sends no name. */
	int (*next_file)(void *ctx, struct tp_modem_file *f);
	/* Up to n bytes of the current file: the count, 0 at its end, or -errno. */
	ssize_t (*read)(void *ctx, void *buf, size_t n);
};

/* Sends the source's files. 0; or -errno with *why (a static phrase) saying what
 * happened: -ETIMEDOUT (no receiver, or one that stopped answering), -ECANCELED (the
 * receiver sent CAN CAN), -EPROTO (a block refused `tries` times), -EINTR (a signal),
 * or a line's or the source's error (*why NULL: errno's text says it). The receiver is
 * sent CAN CAN on every failure but its own cancel. */
int tp_modem_send(enum tp_modem_protocol proto, const struct tp_modem_timing *t,
		  const struct tp_modem_line *line, const struct tp_modem_source *src, void *ctx,
		  struct tp_modem_stats *st, const char **why);

/* Sends the cancel: CAN five times, then five backspaces to erase them from a terminal
 * that shows them (as lrzsz does). */
void tp_modem_cancel(const struct tp_modem_line *line);

#endif
