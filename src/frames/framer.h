/* The framer (-F): builds frames in place in the ring's chunks as the reader fills them.
 * Pure: no I/O; the reader asks where to read to, reads, and says how much came.
 *
 * Datagram outputs get frames back to back, one per datagram; the payload is read straight
 * into its place between header and CRC, so it is never copied. Byte streams get each frame
 * COBS-encoded between 0x00 delimiters: the payload is read a little further on in the chunk
 * and encoded towards the front, in place; that encoding is the one pass over the bytes.
 *
 * A run starts with three META frames and repeats one every meta_every DATA frames; the
 * reader ends it with three END frames (tp_framer_end). With --fec, each block's parity
 * frames (fec_tx.h) go out as soon as the block is closed, before the next DATA frame. */
#ifndef TP_FRAMER_H
#define TP_FRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "fec_tx.h"
#include "frame.h"
#include "ring.h"

#define TP_FRAMER_START_METAS 3
#define TP_FRAMER_END_FRAMES 3

struct tp_framer {
	bool stream;            /* COBS between delimiters; else one frame per datagram */
	size_t payload_max;     /* --frame-size */
	uint32_t session;
	uint32_t seq;           /* the next DATA frame's */
	uint64_t offset;        /* payload bytes framed so far */
	uint32_t digest;        /* their CRC-32C, for END */
	struct tp_frame_meta meta;
	uint32_t meta_every;    /* DATA frames between two METAs */
	uint32_t since_meta;
	unsigned metas_due;     /* METAs owed before the next DATA frame */
	/* The open frame: its payload is being read into the chunk. */
	bool open;
	size_t open_at;         /* where the raw frame starts in chunk->data */
	size_t open_len;        /* payload bytes in it so far */
	size_t open_cap;        /* payload bytes it may take */
	/* Full-size frame slots laid out after the open one, so that one readv() can fill
	 * several frames: where the next starts, and how many are left. */
	size_t next_slot;
	unsigned slots_left;
	struct tp_fec_tx *fec;  /* --fec: the caller's, or NULL */
	struct tp_sealer *sealer; /* --key-file: the caller's, or NULL */
	size_t extra;           /* what sealing adds to each frame (0 unsealed) */
};

/* meta: name, total (TP_FRAME_TOTAL_UNKNOWN), frame_size and repeat to announce. */
void tp_framer_init(struct tp_framer *fr, bool stream, size_t payload_max, uint32_t session,
		    uint32_t meta_every, const struct tp_frame_meta *meta);

/* --fec: DATA frames are folded into fec's parity as they are sealed, and its parity frames
 * sent. fec stays the caller's; a chunk must hold a parity frame of a full group
 * (tp_framer_wire_size of the frame size + TP_FRAME_PARITY_EXTRA). */
void tp_framer_set_fec(struct tp_framer *fr, struct tp_fec_tx *fec);

/* --key-file: every frame is sealed (seal.h), TP_SEAL_OVERHEAD bytes longer than its payload
 * says; tp_framer_wire_size counts them. sealer stays the caller's; with fec, the fec's
 * payload_max must count them too. */
struct tp_sealer;
void tp_framer_set_sealer(struct tp_framer *fr, struct tp_sealer *sealer);

/* The most chunk bytes one frame with a payload of len bytes can take (delimiters and
 * stuffing included): a chunk should hold a whole number of these. */
size_t tp_framer_wire_size(const struct tp_framer *fr, size_t len);

/* Where the reader may read next into chunk (*at) and how much (returned). 0 means the
 * chunk is full: hand it over and ask again with an empty one. Puts a META first when one
 * is due. */
size_t tp_framer_room(struct tp_framer *fr, struct tp_chunk *chunk, unsigned char **at);

/* The same for one readv(): the open frame's room first, then the payload slots of as many
 * whole frames as the chunk holds (at most max iovecs). Returns how many; 0 means the chunk
 * is full. One system call then fills many frames. */
int tp_framer_iov(struct tp_framer *fr, struct tp_chunk *chunk, struct iovec *iov, int max);

/* n bytes were read to *at, or into the iovecs in order (n <= the room they gave); every
 * frame filled is sealed, and the next slot opened. */
void tp_framer_add(struct tp_framer *fr, struct tp_chunk *chunk, size_t n);

/* Seals the open frame, if it has any payload (the input paused, or ended). */
void tp_framer_flush(struct tp_framer *fr, struct tp_chunk *chunk);

/* True when the chunk holds something to send (sealed frames, or an open frame with data). */
bool tp_framer_pending(const struct tp_framer *fr, const struct tp_chunk *chunk);

/* Seals the open frame and appends one END frame (after the last block's parity, with --fec).
 * 0, or -ENOSPC: hand the chunk over and call again with an empty one. */
int tp_framer_end(struct tp_framer *fr, struct tp_chunk *chunk);

#endif
