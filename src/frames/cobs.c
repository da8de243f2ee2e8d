#include "config.h"
#include "cobs.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* A code byte c (1..255) is followed by c - 1 data bytes; c < 255 means a 0x00 came next in
 * the input (unless the input ends there). */
#define COBS_RUN_MAX 254u

/*
 * Encoding in place: why dst <= src - tp_cobs_gap(len) is safe.
 *
 * Each block reads its run (memchr), moves it to out + 1 (memmove, which copes with overlap),
 * then writes its code byte at out: it writes [out, out + k] for a run of k bytes. Let
 * D = out - src at the start of a block, -g to begin with when dst = src - g.
 *  - A block ended by a 0x00 reads k + 1 bytes and writes k + 1: D stays. Unread input starts
 *    at src + k + 1, so its writes are safe when D + k < k + 1, i.e. D <= 0.
 *  - A full run of 254 that is not the last block reads 254 and writes 255: D grows by one.
 *    Unread input starts at src + 254: safe when D + 254 < 254, i.e. D <= -1.
 *  - The last block has nothing unread after it: any D is safe.
 * So with F full runs that are not last, D <= -g + F - 1 before each of them and D <= -g + F
 * before any other block: g >= F suffices, and F <= (len - 1) / 254 since each such run has a
 * byte after it. tp_cobs_gap() is len / 254 + 2, more than that: with it the output
 * (at most len + len / 254 + 1 bytes) also ends a byte or more before src + len, so in-place
 * encoding never spills past the input and leaves room for the closing delimiter.
 */
size_t tp_cobs_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
	unsigned char *out = dst;
	const unsigned char *end = src + len;

	for (;;) {
		size_t avail = (size_t)(end - src);
		size_t run = avail < COBS_RUN_MAX ? avail : COBS_RUN_MAX;
		const unsigned char *z = run ? memchr(src, 0, run) : NULL;

		if (z)
			run = (size_t)(z - src);
		if (run)
			memmove(out + 1, src, run);
		out[0] = (unsigned char)(run + 1);
		out += run + 1;
		src += run;
		if (z) {
			src++;  /* the 0x00 is implied by the code; a block always follows it */
			continue;
		}
		/* No zero: either the input ended (a run of 254 at the very end needs no empty block
		 * after it, the decoder adds no zero at the end anyway), or a full run goes on. */
		if (src == end)
			return (size_t)(out - dst);
	}
}

/* In place is safe: at each block the output has grown no more than the input consumed, so
 * moves go towards the front and a restored 0x00 lands on input already read. On
 * -EINVAL, dst may hold part of the output. */
ssize_t tp_cobs_decode(unsigned char *dst, const unsigned char *src, size_t len)
{
	/* One vectorised scan up front, rather than a test per byte below. */
	if (len && memchr(src, 0, len))
		return -EINVAL;
	return tp_cobs_decode_segment(dst, src, len);
}

ssize_t tp_cobs_decode_segment(unsigned char *dst, const unsigned char *src, size_t len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		size_t c = src[i];

		if (c > len - i)
			return -EINVAL;
		memmove(dst + o, src + i + 1, c - 1);
		o += c - 1;
		i += c;
		if (c <= COBS_RUN_MAX && i < len)
			dst[o++] = 0;
	}
	return (ssize_t)o;
}

ssize_t tp_cobs_decode_spans(const struct tp_cobs_span *spans, unsigned n,
			     const unsigned char *src, size_t len)
{
	/* The span being written: its index, where in it, and how much room is left. Plain
	 * locals, so that they stay in registers across the copies. */
	unsigned k = 0;
	unsigned char *out = n ? spans[0].p : NULL;
	size_t room = n ? spans[0].len : 0;
	size_t i = 0, o = 0;

	while (i < len) {
		size_t c = src[i];

		if (c > len - i)
			return -EINVAL;
		const unsigned char *p = src + i + 1;
		size_t run = c - 1;
		bool zero_next = c <= COBS_RUN_MAX && i + c < len;

		i += c;
		o += run + zero_next;
		if (run + zero_next < room) {
			/* Most blocks, and the 0x00 after, fit the span they start in, with room
			 * to spare. memmove: for a copy it sees is at most 254 bytes, GCC inlines
			 * memcpy as a slow `rep movsq`; the library's memmove is the fast copy. */
			memmove(out, p, run);
			out += run;
			if (zero_next)
				*out++ = 0;
			room -= run + zero_next;
			continue;
		}
		/* Across the end of a span (or into an empty one): piece by piece. */
		while (run > 0 || zero_next) {
			while (room == 0) {
				if (++k >= n)
					return -ENOSPC;
				out = spans[k].p;
				room = spans[k].len;
			}
			if (run > 0) {
				size_t m = run < room ? run : room;

				memcpy(out, p, m);
				out += m;
				p += m;
				room -= m;
				run -= m;
			} else {
				*out++ = 0;
				room--;
				zero_next = false;
			}
		}
	}
	return (ssize_t)o;
}
