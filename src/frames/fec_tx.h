/* The sender's side of --fec: folds each DATA frame into the parity of its group as the
 * framer seals it, and hands out a block's parity frames once the block is closed (full, or
 * the stream's end). Pure: no I/O. The layout of blocks and groups is in frame.h (PARITY). */
#ifndef TP_FEC_TX_H
#define TP_FEC_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fec.h"
#include "frame.h"

struct tp_fec_tx {
	struct tp_fec_code code;
	unsigned k, m, depth;
	size_t symbol_max;         /* the longest DATA symbol: --frame-size + overhead */
	unsigned char *parity;     /* depth * m symbols of symbol_max bytes: group g's parity j
	                            * at (g * m + j) * symbol_max */
	unsigned char **ptrs;      /* the same, as pointers, group by group */
	size_t *group_len;         /* per group: its longest member's symbol so far */
	uint32_t block;            /* the block being filled, or whose parity is going out */
	uint32_t in_block;         /* DATA frames folded into it */
	bool closed;               /* its parity is going out: no DATA until it has */
	unsigned next;             /* the next parity to send, as index * depth + group */
	uint64_t parity_frames;    /* parity frames handed out, in all */
};

/* The bandwidth parity adds, as a fraction of the DATA frames' (full frames of payload_max):
 * m frames for every k, each TP_FRAME_PARITY_EXTRA bytes longer. */
static inline double tp_fec_cost(unsigned k, unsigned m, size_t payload_max)
{
	double data = (double)(payload_max + TP_FRAME_OVERHEAD);

	return (double)m / k * (data + TP_FRAME_PARITY_EXTRA) / data;
}

/* 0, -EINVAL (k, m, depth out of range) or -ENOMEM. payload_max: the framer's --frame-size. */
int tp_fec_tx_init(struct tp_fec_tx *tx, unsigned k, unsigned m, unsigned depth,
		   size_t payload_max);
void tp_fec_tx_destroy(struct tp_fec_tx *tx);

/* DATA frames still to come before the block closes (0 while its parity is going out). */
uint32_t tp_fec_tx_room(const struct tp_fec_tx *tx);

/* A sealed DATA frame (frame points at its first byte; payload_len bytes of payload), the
 * next of the stream: folded into its group's parity. Closes the block when it is full. */
void tp_fec_tx_add(struct tp_fec_tx *tx, const unsigned char *frame, size_t payload_len);

/* The stream ends: the last block, if it has any DATA, closes short. */
void tp_fec_tx_close(struct tp_fec_tx *tx);

/* The next parity frame to send: its header fields and symbol (in tx's memory), or false
 * when the block has none left (or is not closed). */
bool tp_fec_tx_peek(struct tp_fec_tx *tx, struct tp_frame_parity *pr);

/* The parity frame tp_fec_tx_peek gave is sent; after the block's last one, the next block
 * opens. */
void tp_fec_tx_sent(struct tp_fec_tx *tx);

#endif
