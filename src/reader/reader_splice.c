/* The reader's half of the splice path: input into the chunk's own pipe. Uses nothing of
 * reader.c (which calls it) but the inline stage helpers. */
#include "config.h"
#include "reader.h"

#include <errno.h>
#include "pipes.h"

ssize_t tp_reader_put_stage(struct tp_reader *r, size_t room)
{
	size_t left = tp_reader_staged(r);
	ssize_t n = tp_pipes_put(r->chunk, r->stage + r->stage_off, left < room ? left : room);

	if (n == -EAGAIN)
		return -ENOSPC;
	if (n > 0)
		tp_reader_unstage(r, (size_t)n);
	return n;
}

ssize_t tp_reader_splice(struct tp_reader *r, struct tp_source *src, size_t room)
{
	if (r->stage_len)
		return tp_reader_put_stage(r, room);
	/* A pipe or socket with little waiting is read instead: see TP_SPLICE_MIN. */
	if (src->splice && (!src->pollable || tp_pipes_waiting(src->fd) >= TP_SPLICE_MIN)) {
		ssize_t n = tp_pipes_splice_in(src->fd, r->chunk, room);
		if (n != -EAGAIN && n != -EINVAL)
			return n;
		if (n == -EAGAIN && r->chunk->len)
			return -ENOSPC; /* the input had data: our pipe is out of slots */
		if (n == -EAGAIN && src->pollable)
			return -EAGAIN; /* someone else took the input's data first */
		/* EINVAL: this input cannot be spliced; EAGAIN from a file into an empty pipe
		 * would repeat for ever. Read it instead from now on. */
		src->splice = false;
	}
	size_t want = room < TP_DATAGRAM_ROOM ? room : TP_DATAGRAM_ROOM;
	ssize_t n = tp_source_read(src, r->stage, want);
	if (n <= 0)
		return n;
	r->stage_len = (size_t)n;
	r->stage_off = 0;
	return tp_reader_put_stage(r, room);
}
