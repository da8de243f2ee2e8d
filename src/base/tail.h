/* The last bytes written out (for --format's %A and %L), handed from the writer thread to the
 * main thread under a sequence lock: the writer never waits for a reader, and a reader that
 * raced a copy tries again. */
#ifndef TP_TAIL_H
#define TP_TAIL_H

#include <stddef.h>
#include <stdint.h>

#define TP_TAIL_SIZE 256u

struct tp_tail {
	uint32_t seq;                        /* writer: odd while it copies, even when settled */
	uint32_t len;                        /* writer: bytes held, at most TP_TAIL_SIZE */
	unsigned char bytes[TP_TAIL_SIZE];   /* writer: the last bytes, oldest first */
};

/* The writer thread only: n more bytes went out. */
void tp_tail_append(struct tp_tail *t, const void *data, size_t n);

/* Any other thread: copies what is held into out (TP_TAIL_SIZE bytes of room) and returns its
 * length; 0 if the writer kept it busy through every try. */
size_t tp_tail_read(const struct tp_tail *t, unsigned char *out);

#endif
