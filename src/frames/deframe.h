/* The deframer (-D): finds frames in what arrives, checks them, counts the refused ones and
 * the garbage between them, and passes each good frame on (to the tracker). Pure: no I/O.
 *
 * Byte streams: frames are COBS-encoded between 0x00 delimiters. A segment between two
 * delimiters whose first encoded bytes are a COBS code and the magic ("TP") is a frame: it is
 * decoded and checked, and a refusal is counted by reason. Any other non-empty segment is
 * garbage, counted in bytes. A segment longer than the largest frame can encode to is garbage
 * too, skipped up to the next delimiter without being held. Datagrams: each is one frame. */
#ifndef TP_DEFRAME_H
#define TP_DEFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include "frame.h"
#include "track.h"

/* Called with each good frame; the frame (and its payload) is valid during the call only.
 * A non-zero return stops the feed and is returned by it. With a destination (below) the
 * payload may lie in it: whatever the callee writes there overwrites the payload, so it must
 * be done with it (or have copied it) first. */
typedef int tp_deframe_fn(void *ctx, const struct tp_frame *f);

/* The destination: where a stream DATA frame's payload of len bytes may be decoded, so that it
 * lies where it will be written (the receiver's chunk) and is not copied there after. Returns
 * room for len bytes that nothing else uses until on_frame has returned, or NULL for none
 * (then the frame is decoded in the deframer's own buffer, as without a destination). The
 * frame's header and CRC go elsewhere. A frame refused leaves the room dirty. */
typedef unsigned char *tp_deframe_room_fn(void *ctx, size_t len);

struct tp_deframer {
	struct tp_rx_stats *stats;
	tp_deframe_fn *on_frame;
	void *ctx;
	tp_deframe_room_fn *room;  /* NULL: no destination */
	void *room_ctx;
	unsigned char *seg;   /* the segment being collected (a stream frame split across feeds) */
	size_t seg_len, seg_cap;
	bool in_frame;        /* a delimiter has been seen: bytes belong to a segment */
	bool skipping;        /* the segment grew too long: drop up to the next delimiter */
};

/* 0 or -ENOMEM. */
int tp_deframer_init(struct tp_deframer *d, struct tp_rx_stats *stats, tp_deframe_fn *on_frame,
		     void *ctx);
void tp_deframer_destroy(struct tp_deframer *d);

/* Gives the deframer a destination for stream frames' payloads (room NULL: none). */
void tp_deframer_set_room(struct tp_deframer *d, tp_deframe_room_fn *room, void *ctx);

/* Feeds len bytes of a byte stream; calls on_frame for each good frame, in order. Returns 0,
 * or the first non-zero on_frame result (the rest of data is then not looked at). */
int tp_deframe_stream(struct tp_deframer *d, const unsigned char *data, size_t len);

/* The stream ended: a segment cut off without its closing delimiter is counted (a refused
 * frame, or garbage) and dropped. */
void tp_deframe_stream_end(struct tp_deframer *d);

/* One datagram, one frame: on_frame's result, or 0 when it was refused (and counted). */
int tp_deframe_datagram(struct tp_deframer *d, const unsigned char *data, size_t len);

#endif
