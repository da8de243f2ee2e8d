/* What XMODEM and YMODEM need of a line: a byte within a time, bytes out, and the input
 * discarded. modem_send.c and modem_recv.c run over it; modem_fdline.c is the real one
 * (a terminal device, or a pair of descriptors); the unit tests give a scripted one. */
#ifndef TP_MODEM_LINE_H
#define TP_MODEM_LINE_H

#include <stddef.h>
#include <stdint.h>

struct tp_modem_line_ops {
	/* The next byte (0 to 255) within timeout_ms; -ETIMEDOUT, -EINTR (SIGINT or SIGTERM:
	 * the transfer is to stop), -EPIPE (the line hung up), or -errno. */
	int (*get)(void *ctx, unsigned timeout_ms);
	/* All n bytes out: 0, or as get's errors. */
	int (*put)(void *ctx, const void *buf, size_t n);
	/* Discards what has come in: everything that arrives until the line is quiet for
	 * quiet_ms, so that a block's remains are not taken for the next one. */
	void (*purge)(void *ctx, unsigned quiet_ms);
};

struct tp_modem_line {
	const struct tp_modem_line_ops *ops;
	void *ctx;
};

/* The protocols, as --protocol names them. */
enum tp_modem_protocol {
	TP_MODEM_XMODEM,      /* 128-byte blocks, CRC-16 or the 8-bit sum, as the receiver asks */
	TP_MODEM_XMODEM_1K,   /* 1024-byte blocks with CRC-16 (128 with a sum) */
	TP_MODEM_YMODEM,      /* batches: block 0 names each file; 1024-byte blocks */
	TP_MODEM_YMODEM_G,    /* YMODEM streamed: no ACK per block; the first error ends it */
};

/* Times and tries, as the reference gives them (the unit tests shorten them). */
struct tp_modem_timing {
	unsigned start_ms;     /* how long to wait for the other end to begin (default 60 s) */
	unsigned block_ms;     /* for an answer to a block, or for the next block (10 s) */
	unsigned char_ms;      /* between the bytes of a block (1 s) */
	unsigned nudge_ms;     /* receiver: how often it asks for the first block (3 s) */
	unsigned tries;        /* of one block, or errors in a row (10) */
	unsigned quiet_ms;     /* the longest the far end may be silent mid-transfer (0: until
	                        * `tries` waits of block_ms ran out, as the reference has it) */
	unsigned purge_ms;     /* receiver: how long the line must be quiet before a NAK, so
	                        * that a damaged block's rest is gone (the reference says 1 s;
	                        * two block times are enough, and cost a noisy line far less) */
};

/* What a transfer did, for the progress line and --stats: written by the thread that runs
 * the protocol, read by the progress thread (a torn read shows one update late). */
struct tp_modem_stats {
	uint64_t bytes;        /* file data sent and acknowledged, or received and written */
	uint64_t blocks;       /* data blocks taken (sent and acknowledged, or received) */
	uint64_t retries;      /* blocks sent again (sender) or asked for again (receiver) */
	uint64_t naks;         /* NAKs received (sender) or sent (receiver) */
	uint64_t timeouts;     /* waits that ran out */
	uint64_t duplicates;   /* receiver: blocks received twice, dropped */
	uint64_t bad_blocks;   /* receiver: blocks whose check did not match */
	unsigned files;        /* files done */
	uint64_t small_blocks; /* of those, 128-byte ones (the others have 1024 bytes) */
	int crc;               /* 1 CRC-16, 0 the 8-bit sum, -1 not yet agreed */
};

#endif
