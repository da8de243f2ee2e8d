/* The receiver's side of --fec: keeps what a group of DATA frames needs (their symbols, its
 * parity) for the last few blocks, rebuilds missing DATA frames as soon as any K of a group's
 * K+M frames are there, checks each rebuilt frame again (its CRC, its seq) and passes it on
 * like a received one. Learns K, M and the depth from META or from a parity frame: the
 * receiver needs no option. Pure: no I/O. Layout of blocks and groups: frame.h (PARITY). */
#ifndef TP_FEC_RX_H
#define TP_FEC_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fec.h"
#include "frame.h"
#include "track.h"

/* Blocks kept: the one filling, the one before whose parity may still come, one more for
 * reordering and --repeat's late copies. */
#define TP_FEC_RX_BLOCKS 3u
/* The most memory the kept blocks may take; a code that needs more is not repaired. */
#define TP_FEC_RX_MEMORY (64u << 20)

/* Passes a rebuilt, verified DATA frame on (to the tracker); its result is returned. */
typedef int tp_fec_rx_fn(void *ctx, const struct tp_frame *f);

struct tp_fec_rx_block;

struct tp_fec_rx {
	struct tp_rx_stats *stats;
	tp_fec_rx_fn *deliver;
	void *ctx;
	bool learned;              /* k, m, depth known for this session */
	uint32_t session;
	struct tp_fec_code code;
	unsigned k, m, depth;
	size_t symbol_max;         /* a symbol's room: META's frame size + overhead, or the
	                            * first parity's length */
	struct tp_fec_rx_block *blocks; /* TP_FEC_RX_BLOCKS, by block number modulo */
	uint32_t newest;           /* the highest block number seen */
	bool any_block;
	unsigned char *frame_buf;  /* a rebuilt frame */
	bool off;                  /* the code asks for too much memory: no repair */
	uint8_t data_flags;        /* a rebuilt DATA frame's flags (sealed frames: seal.h) */
	size_t seal_extra;         /* what sealing adds to each DATA payload (0: not sealed) */
};

void tp_fec_rx_init(struct tp_fec_rx *x, struct tp_rx_stats *stats, tp_fec_rx_fn *deliver,
		    void *ctx);
void tp_fec_rx_destroy(struct tp_fec_rx *x);

/* The frames are sealed (--key-file): DATA frames reach the code as sent (sealed; the
 * receiver opens what it rebuilds) with these flags, each payload `extra` bytes longer than
 * META's frame size says. */
void tp_fec_rx_set_sealed(struct tp_fec_rx *x, uint8_t flags, size_t extra);

/* A verified frame of `session` (the tracker has taken it already, if not PARITY). A new
 * session forgets the old one's groups (counted as they stand). Returns 0, or what deliver
 * returned for a rebuilt frame (non-zero stops). */
int tp_fec_rx_frame(struct tp_fec_rx *x, const struct tp_frame *f);

/* The input is over: groups still missing frames are counted as not repaired. frames: the
 * DATA frames END said the stream has (UINT32_MAX: no END). */
void tp_fec_rx_finish(struct tp_fec_rx *x, uint32_t frames);

#endif
