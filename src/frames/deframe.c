#include "config.h"
#include "deframe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cobs.h"

/* The longest segment a frame can encode to; anything longer is garbage. */
#define SEG_MAX (tp_cobs_max_encoded(tp_frame_size(TP_FRAME_MAX_PAYLOAD)))
/* A code byte and 'T' 'P' tell a frame from garbage. */
#define HEAD_LEN 3u

int tp_deframer_init(struct tp_deframer *d, struct tp_rx_stats *stats, tp_deframe_fn *on_frame,
		     void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->stats = stats;
	d->on_frame = on_frame;
	d->ctx = ctx;
	/* Sized once for the largest frame: never grows, and pages never touched (datagrams,
	 * small frames) cost no memory. */
	d->seg = malloc(SEG_MAX);
	if (!d->seg)
		return -ENOMEM;
	d->seg_cap = SEG_MAX;
	return 0;
}

void tp_deframer_destroy(struct tp_deframer *d)
{
	free(d->seg);
	d->seg = NULL;
	d->seg_len = d->seg_cap = 0;
}

void tp_deframer_set_room(struct tp_deframer *d, tp_deframe_room_fn *room, void *ctx)
{
	d->room = room;
	d->room_ctx = ctx;
}

/* A frame's encoded form starts with a code of at least 3 (two data bytes before any 0x00)
 * and the magic; a smaller code would make 'T' or 'P' a code byte, not data. */
static bool is_candidate(const unsigned char *head)
{
	return head[0] >= HEAD_LEN && head[1] == 'T' && head[2] == 'P';
}

/* Decodes the segment straight into the destination: the header and the CRC to buffers of
 * their own, the payload (its length read from the header) to the room the destination gives.
 * *e is the verdict, as tp_frame_open's. false when that cannot be done (no room, or a segment
 * that decodes longer than its header says): then deliver goes the usual way, which counts
 * such a segment exactly as before. */
static bool open_in_room(struct tp_deframer *d, const unsigned char *src, size_t len,
			 struct tp_frame *f, enum tp_frame_error *e)
{
	unsigned char hdr[TP_FRAME_HDR_SIZE], crc[TP_FRAME_CRC_SIZE];
	struct tp_cobs_span spans[3] = { { hdr, sizeof(hdr) } };

	/* The header alone first (the spans full: more follows), for the payload's length. */
	if (tp_cobs_decode_spans(spans, 1, src, len) != -ENOSPC)
		return false;
	uint32_t plen = tp_frame_payload_len(hdr);

	/* DATA only: the other payloads are never written out, and are read after the tracker
	 * has emitted what they let go (a new session's META ends the old one). */
	if ((hdr[2] & 0x0f) != TP_FRAME_DATA || plen > TP_FRAME_MAX_PAYLOAD)
		return false;
	unsigned char *at = d->room(d->room_ctx, plen);

	if (!at)
		return false;
	spans[1] = (struct tp_cobs_span){ at, plen };
	spans[2] = (struct tp_cobs_span){ crc, sizeof(crc) };
	ssize_t n = tp_cobs_decode_spans(spans, 3, src, len);

	if (n == -ENOSPC)
		return false;
	*e = n < 0 ? TP_FRAME_ERR_COBS : tp_frame_open_parts(hdr, at, crc, (size_t)n, f);
	return true;
}

/* Decodes into d->seg (src may be d->seg itself: in place) and checks. It was cut at 0x00
 * delimiters, so it holds none: no need to look. */
static enum tp_frame_error open_in_seg(struct tp_deframer *d, const unsigned char *src,
				       size_t len, struct tp_frame *f)
{
	ssize_t n = tp_cobs_decode_segment(d->seg, src, len);

	return n < 0 ? TP_FRAME_ERR_COBS : tp_frame_open(d->seg, (size_t)n, f);
}

/* A whole candidate segment src[0..len): decoded, checked, and passed on. */
static int deliver(struct tp_deframer *d, const unsigned char *src, size_t len)
{
	struct tp_frame f;
	enum tp_frame_error e;

	if (!d->room || !open_in_room(d, src, len, &f, &e))
		e = open_in_seg(d, src, len, &f);
	if (e != TP_FRAME_OK) {
		d->stats->corrupt[e]++;
		return 0;
	}
	d->stats->frames++;
	return d->on_frame(d->ctx, &f);
}

/* The segment is no frame: count what is held plus n more bytes, and drop the rest of it if
 * its delimiter has not come yet. */
static void drop(struct tp_deframer *d, size_t n, bool closed)
{
	d->stats->garbage_bytes += d->seg_len + n;
	d->seg_len = 0;
	d->skipping = !closed;
}

/* p[0..n) continues the current segment; closed when its delimiter follows. */
static int take(struct tp_deframer *d, const unsigned char *p, size_t n, bool closed)
{
	if (d->skipping) {
		drop(d, n, closed);
		return 0;
	}
	if (d->seg_len + n > SEG_MAX) {
		drop(d, n, closed);
		return 0;
	}
	if (d->seg_len < HEAD_LEN && d->seg_len + n >= HEAD_LEN) {
		/* Decide before copying, so garbage is never buffered. */
		unsigned char head[HEAD_LEN];

		memcpy(head, d->seg, d->seg_len);
		memcpy(head + d->seg_len, p, HEAD_LEN - d->seg_len);
		if (!is_candidate(head)) {
			drop(d, n, closed);
			return 0;
		}
	}
	if (d->seg_len == 0 && closed) {
		/* The whole segment is in the caller's buffer: decode straight from it, one pass. */
		if (n == 0)
			return 0;  /* two delimiters in a row */
		if (n < HEAD_LEN) {
			drop(d, n, closed);
			return 0;
		}
		return deliver(d, p, n);
	}
	memcpy(d->seg + d->seg_len, p, n);
	d->seg_len += n;
	if (!closed)
		return 0;

	size_t len = d->seg_len;

	d->seg_len = 0;
	if (len < HEAD_LEN) {
		d->stats->garbage_bytes += len;
		return 0;
	}
	return deliver(d, d->seg, len);  /* decoded in place */
}

int tp_deframe_stream(struct tp_deframer *d, const unsigned char *data, size_t len)
{
	const unsigned char *p = data, *end = data + len;

	while (p < end) {
		const unsigned char *z = memchr(p, 0, (size_t)(end - p));
		size_t n = (size_t)((z ? z : end) - p);

		if (!d->in_frame) {
			/* Before the first delimiter nothing can be told apart. */
			d->stats->garbage_bytes += n;
			d->in_frame = z != NULL;
		} else {
			int r = take(d, p, n, z != NULL);

			if (r)
				return r;
		}
		if (!z)
			break;
		p = z + 1;
	}
	return 0;
}

void tp_deframe_stream_end(struct tp_deframer *d)
{
	if (d->in_frame && !d->skipping && d->seg_len > 0) {
		if (d->seg_len < HEAD_LEN) {
			d->stats->garbage_bytes += d->seg_len;
		} else {
			/* A candidate cut off: most likely its last code now points past the end. Even
			 * one that checks out is dropped: its delimiter never came, and this call has
			 * no way to pass on on_frame's result. */
			ssize_t n = tp_cobs_decode(d->seg, d->seg, d->seg_len);
			struct tp_frame f;
			enum tp_frame_error e = TP_FRAME_ERR_SHORT;

			if (n >= 0)
				e = tp_frame_open(d->seg, (size_t)n, &f);
			if (e == TP_FRAME_OK)
				e = TP_FRAME_ERR_SHORT;
			d->stats->corrupt[e]++;
		}
	}
	d->seg_len = 0;
	d->skipping = false;
	d->in_frame = false;  /* a new stream starts unsynchronised */
}

int tp_deframe_datagram(struct tp_deframer *d, const unsigned char *data, size_t len)
{
	struct tp_frame f;
	enum tp_frame_error e = tp_frame_open(data, len, &f);

	if (e != TP_FRAME_OK) {
		d->stats->corrupt[e]++;
		return 0;
	}
	d->stats->frames++;
	return d->on_frame(d->ctx, &f);
}
