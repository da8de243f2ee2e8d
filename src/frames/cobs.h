/* COBS (consistent overhead byte stuffing): framed byte streams carry each frame COBS-encoded
 * between 0x00 delimiters, so a receiver finds the next frame after any garbage, and frames
 * nested in frames can never be taken for real ones. Pure: no I/O, no allocation. */
#ifndef TP_COBS_H
#define TP_COBS_H

#include <stddef.h>
#include <sys/types.h>

/* The most bytes len bytes encode to (no delimiters): one code byte per started 254-byte run. */
static inline size_t tp_cobs_max_encoded(size_t len)
{
	return len + len / 254 + 1;
}

/* How far before src the output may start when encoding in place (see tp_cobs_encode). */
static inline size_t tp_cobs_gap(size_t len)
{
	return len / 254 + 2;
}

/* Encodes src[0..len) to dst, which then holds no 0x00 byte; returns the encoded length
 * (at most tp_cobs_max_encoded(len)). dst and src may overlap when dst <= src - tp_cobs_gap(len)
 * (encoding in place, towards the front of one buffer); otherwise they must not overlap. */
size_t tp_cobs_encode(unsigned char *dst, const unsigned char *src, size_t len);

/* Decodes src[0..len) (no delimiters) to dst; dst may equal src. Returns the decoded length,
 * or -EINVAL when the input holds a 0x00 byte or a code points past its end. */
ssize_t tp_cobs_decode(unsigned char *dst, const unsigned char *src, size_t len);
/* tp_cobs_decode for src already known to hold no 0x00 (a segment cut at its delimiters):
 * the same result without the scan that checks it. */
ssize_t tp_cobs_decode_segment(unsigned char *dst, const unsigned char *src, size_t len);

/* A piece of output: len bytes at p. */
struct tp_cobs_span {
	unsigned char *p;
	size_t len;
};

/* tp_cobs_decode_segment with its output laid across n spans in turn (a frame's header to a
 * small buffer, its payload straight to where it will be written, its CRC to another): the
 * same decoded bytes, the first spans[0].len of them at spans[0].p, the next at spans[1].p...
 * Returns the decoded length, -EINVAL as tp_cobs_decode_segment does, or -ENOSPC when the
 * output is longer than the spans together (they are then full, and nothing is written past
 * them). No span may overlap src or another span. */
ssize_t tp_cobs_decode_spans(const struct tp_cobs_span *spans, unsigned n,
			     const unsigned char *src, size_t len);

#endif
