#include "config.h"
#include "lines.h"

#include <string.h>

/* GCC's and clang's generic vectors: SSE2 or NEON where there is one, plain code elsewhere. */
typedef unsigned char tp_bytes16 __attribute__((vector_size(16)));

/* Blocks of this many bytes are counted whole while the cut needs more lines than a block
 * can hold; memchr finds the last few. */
#define CUT_BLOCK 4096u

uint64_t tp_lines_count(const unsigned char *buf, size_t len, unsigned char term)
{
	const tp_bytes16 match = (tp_bytes16){ 0 } + term;
	uint64_t n = 0;
	size_t i = 0;

	while (len - i >= 16) {
		/* Each lane counts its matches; 255 rounds at most, so no lane overflows. */
		tp_bytes16 lanes = { 0 };
		for (unsigned round = 0; round < 255 && len - i >= 16; round++, i += 16) {
			tp_bytes16 v;
			memcpy(&v, buf + i, sizeof(v));
			lanes -= (tp_bytes16)(v == match); /* a match is -1 in its lane */
		}
		for (unsigned k = 0; k < sizeof(lanes); k++)
			n += lanes[k];
	}
	for (; i < len; i++)
		n += buf[i] == term;
	return n;
}

size_t tp_lines_cut(const unsigned char *buf, size_t len, unsigned char term, uint64_t want,
		    uint64_t *found)
{
	uint64_t got = 0;
	size_t off = 0;

	while (got < want && off < len) {
		size_t left = len - off, block = left < CUT_BLOCK ? left : CUT_BLOCK;
		if (want - got > block) { /* the want-th cannot be in this block */
			got += tp_lines_count(buf + off, block, term);
			off += block;
			continue;
		}
		const unsigned char *at = memchr(buf + off, term, left);
		if (!at) {
			off = len;
			break;
		}
		off = (size_t)(at - buf) + 1;
		got++;
	}
	*found = got;
	return got < want ? len : off;
}
