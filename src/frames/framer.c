#include "config.h"
#include "framer.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include "cobs.h"
#include "crc.h"
#include "seal.h"

/* A frame is not opened with less payload room than this (unless the frame size is
 * smaller): a chunk's last few hundred bytes are not worth a frame's overhead. */
#define MIN_OPEN 512u

void tp_framer_init(struct tp_framer *fr, bool stream, size_t payload_max, uint32_t session,
		    uint32_t meta_every, const struct tp_frame_meta *meta)
{
	memset(fr, 0, sizeof(*fr));
	fr->stream = stream;
	fr->payload_max = payload_max;
	fr->session = session;
	fr->meta = *meta;
	fr->meta_every = meta_every ? meta_every : 1;
	fr->metas_due = TP_FRAMER_START_METAS;
}

void tp_framer_set_fec(struct tp_framer *fr, struct tp_fec_tx *fec)
{
	fr->fec = fec;
}

void tp_framer_set_sealer(struct tp_framer *fr, struct tp_sealer *sealer)
{
	fr->sealer = sealer;
	fr->extra = sealer ? TP_SEAL_OVERHEAD : 0;
}

/* The bytes of a frame with len bytes of payload as sent (sealed: longer). */
static size_t frame_size(const struct tp_framer *fr, size_t len)
{
	return tp_frame_size(len) + fr->extra;
}

/* Where a raw frame of up to `len` payload bytes goes when the chunk holds `used` bytes:
 * on streams, far enough on that it can be encoded in place to just after a delimiter. */
static size_t raw_position(const struct tp_framer *fr, size_t used, size_t len)
{
	return fr->stream ? used + 1 + tp_cobs_gap(frame_size(fr, len)) : used;
}

size_t tp_framer_wire_size(const struct tp_framer *fr, size_t len)
{
	/* On a stream the in-place encoding needs the gap in front while it runs; what stays is
	 * at most 2 delimiters + the encoded frame, which fits within the same bound. */
	return raw_position(fr, 0, len) + frame_size(fr, len);
}

/* Seals the raw frame at chunk->data + at and, on a stream, encodes it in place behind a
 * delimiter. */
static void seal(struct tp_framer *fr, struct tp_chunk *chunk, size_t at, const struct tp_frame *f)
{
	size_t size = fr->sealer ? tp_seal_frame(fr->sealer, chunk->data + at, f)
				 : tp_frame_seal(chunk->data + at, f);

	/* Before the stuffing, which overwrites the raw frame as it goes; as sent (sealed). */
	if (fr->fec && f->type == TP_FRAME_DATA)
		tp_fec_tx_add(fr->fec, chunk->data + at, size - TP_FRAME_OVERHEAD);

	if (!fr->stream) {
		chunk->len = at + size;
		return;
	}
	unsigned char *out = chunk->data + chunk->len;
	out[0] = 0;
	size_t enc = tp_cobs_encode(out + 1, chunk->data + at, size);
	out[1 + enc] = 0;
	chunk->len += enc + 2;
}

/* Appends a META or END frame; -ENOSPC when the chunk has no room for it. */
static int put_control(struct tp_framer *fr, struct tp_chunk *chunk, enum tp_frame_type type)
{
	unsigned char payload[TP_FRAME_END_SIZE + 16 + TP_FRAME_NAME_MAX];
	size_t len = type == TP_FRAME_META ? tp_frame_meta_encode(payload, sizeof(payload), &fr->meta)
					   : tp_frame_end_encode(payload, sizeof(payload),
								 &(struct tp_frame_end){ fr->offset, fr->digest, fr->seq });
	size_t at = raw_position(fr, chunk->len, len);

	if (at + frame_size(fr, len) > chunk->cap)
		return -ENOSPC;
	memcpy(chunk->data + at + TP_FRAME_HDR_SIZE, payload, len);
	struct tp_frame f = { .type = type, .session = fr->session, .offset = fr->offset,
			      .seq = fr->seq, .len = (uint32_t)len };
	seal(fr, chunk, at, &f);
	return 0;
}

/* Appends the next parity frame of a closed block; -ENOSPC when the chunk has no room. */
static int put_parity(struct tp_framer *fr, struct tp_chunk *chunk, const struct tp_frame_parity *pr)
{
	size_t len = TP_FRAME_PARITY_HDR + pr->symbol_len;
	size_t at = raw_position(fr, chunk->len, len);

	if (at + frame_size(fr, len) > chunk->cap)
		return -ENOSPC;
	unsigned char *payload = chunk->data + at + TP_FRAME_HDR_SIZE;
	tp_frame_parity_encode(payload, pr);
	memcpy(payload + TP_FRAME_PARITY_HDR, pr->symbol, pr->symbol_len);
	struct tp_frame f = { .type = TP_FRAME_PARITY, .session = fr->session, .offset = fr->offset,
			      .seq = fr->seq, .len = (uint32_t)len };
	seal(fr, chunk, at, &f);
	return 0;
}

/* Sends what a closed block still owes. 0, or -ENOSPC: the chunk is full. */
static int put_parities(struct tp_framer *fr, struct tp_chunk *chunk)
{
	struct tp_frame_parity pr;

	while (fr->fec && tp_fec_tx_peek(fr->fec, &pr)) {
		if (put_parity(fr, chunk, &pr) < 0)
			return -ENOSPC;
		tp_fec_tx_sent(fr->fec);
	}
	return 0;
}

/* Lays out the next frames in an empty part of the chunk: k full-size slots back to back.
 * On a stream the first starts far enough on that each frame, encoded in its turn towards
 * the front, lands before the raw bytes of the next: every encoded frame may be longer than
 * its raw one by F/254 + 3 bytes (stuffing and two delimiters), so the start moves on by that
 * much for each frame after the first. Returns k (0: not even one full frame fits). */
static unsigned lay_out(struct tp_framer *fr, const struct tp_chunk *chunk)
{
	size_t frame = frame_size(fr, fr->payload_max);
	size_t first = raw_position(fr, chunk->len, fr->payload_max);
	size_t per = fr->stream ? frame / 254 + 3 : 0;

	if (first + frame > chunk->cap)
		return 0;
	size_t k = (chunk->cap - first + per) / (frame + per);
	/* No frame of the next block before this block's parity. */
	if (fr->fec && k > tp_fec_tx_room(fr->fec))
		k = tp_fec_tx_room(fr->fec);
	assert(k > 0);
	fr->open_at = first + (k - 1) * per;
	fr->next_slot = fr->open_at + frame;
	fr->slots_left = (unsigned)(k - 1);
	return (unsigned)k;
}

size_t tp_framer_room(struct tp_framer *fr, struct tp_chunk *chunk, unsigned char **at)
{
	if (!fr->open) {
		if (fr->since_meta >= fr->meta_every) {
			fr->since_meta = 0;
			fr->metas_due++;
		}
		while (fr->metas_due) {
			if (put_control(fr, chunk, TP_FRAME_META) < 0)
				return 0;
			fr->metas_due--;
		}
		if (put_parities(fr, chunk) < 0)
			return 0;
		fr->open_len = 0;
		if (lay_out(fr, chunk)) {
			fr->open_cap = fr->payload_max;
		} else {
			/* The chunk's end: one smaller frame. Its gap is sized for what fits, not for
			 * the largest frame: a 1 MiB frame size must not make a page-sized chunk
			 * look full. */
			size_t want = fr->payload_max, left = chunk->cap - chunk->len;
			if (want > left)
				want = left;
			size_t at0 = raw_position(fr, chunk->len, want);
			if (at0 + frame_size(fr, 0) >= chunk->cap)
				return 0;
			size_t room = chunk->cap - at0 - frame_size(fr, 0);
			if (room > fr->payload_max)
				room = fr->payload_max;
			if (room < fr->payload_max && room < MIN_OPEN)
				return 0;
			fr->open_at = at0;
			fr->open_cap = room;
			fr->slots_left = 0;
		}
		fr->open = true;
	}
	*at = chunk->data + fr->open_at + TP_FRAME_HDR_SIZE + fr->open_len;
	return fr->open_cap - fr->open_len;
}

int tp_framer_iov(struct tp_framer *fr, struct tp_chunk *chunk, struct iovec *iov, int max)
{
	unsigned char *at;
	size_t room = tp_framer_room(fr, chunk, &at);
	size_t frame = frame_size(fr, fr->payload_max);
	int n = 0;

	if (!room || max < 1)
		return 0;
	iov[n++] = (struct iovec){ at, room };
	for (unsigned i = 0; i < fr->slots_left && n < max; i++)
		iov[n++] = (struct iovec){ chunk->data + fr->next_slot + i * frame + TP_FRAME_HDR_SIZE,
					   fr->payload_max };
	return n;
}

void tp_framer_flush(struct tp_framer *fr, struct tp_chunk *chunk)
{
	if (!fr->open)
		return;
	fr->open = false;
	fr->slots_left = 0; /* the next frame gets a fresh layout */
	if (fr->open_len == 0)
		return;
	const unsigned char *payload = chunk->data + fr->open_at + TP_FRAME_HDR_SIZE;
	struct tp_frame f = { .type = TP_FRAME_DATA, .session = fr->session, .offset = fr->offset,
			      .seq = fr->seq, .len = (uint32_t)fr->open_len };
	fr->digest = tp_crc32c(fr->digest, payload, fr->open_len);
	seal(fr, chunk, fr->open_at, &f);
	fr->seq++;
	fr->offset += fr->open_len;
	fr->since_meta++;
}

void tp_framer_add(struct tp_framer *fr, struct tp_chunk *chunk, size_t n)
{
	while (n) {
		size_t take = fr->open_cap - fr->open_len < n ? fr->open_cap - fr->open_len : n;
		fr->open_len += take;
		n -= take;
		if (fr->open_len < fr->open_cap)
			break;
		size_t next = fr->next_slot;
		unsigned left = fr->slots_left;
		tp_framer_flush(fr, chunk);
		if (!n || !left)
			break; /* (n is 0 unless the caller read past the room it was given) */
		/* The bytes went on into the next slot of the layout. */
		fr->open = true;
		fr->open_at = next;
		fr->open_len = 0;
		fr->open_cap = fr->payload_max;
		fr->next_slot = next + frame_size(fr, fr->payload_max);
		fr->slots_left = left - 1;
	}
}

bool tp_framer_pending(const struct tp_framer *fr, const struct tp_chunk *chunk)
{
	return chunk->len > 0 || (fr->open && fr->open_len > 0);
}

int tp_framer_end(struct tp_framer *fr, struct tp_chunk *chunk)
{
	tp_framer_flush(fr, chunk);
	if (fr->fec) {
		tp_fec_tx_close(fr->fec);
		if (put_parities(fr, chunk) < 0)
			return -ENOSPC;
	}
	return put_control(fr, chunk, TP_FRAME_END);
}
