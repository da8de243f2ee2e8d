/* The reader's half of the splice path: input into the chunk's own pipe. */
#include "config.h"
#include "reader.h"

#include <errno.h>
#include "pipes.h"

/* What r->stage still holds goes into the chunk's pipe, as much as has a slot. */
static ssize_t put_stage(struct tp_reader *r, size_t room)
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
		return put_stage(r, room);
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
	return put_stage(r, room);
}

void tp_reader_flush_stage(struct tp_reader *r)
{
	while (r->stage_len) {
		if (!r->chunk) {
			/* Not tp_reader_get_chunk: a stop request must not end this. */
			if (tp_handoff_writer_done(&r->handoff))
				return;
			r->chunk = tp_handoff_get_free(&r->handoff);
			if (!r->chunk) {
				int ms = tp_reader_drain_ms(r);
				if (ms == 0)
					return; /* the drain's time is up: said as not written */
				tp_reader_wait(r, -1, ms);
				continue;
			}
			r->chunk->len = 0;
			r->chunk->offset = r->out_offset;
		}
		size_t room = r->chunk->cap - r->chunk->len;
		if (r->opts->stop_at_size) {
			uint64_t left = r->opts->size > r->offset ? r->opts->size - r->offset : 0;
			if (left == 0) {
				r->stage_len = 0; /* a datagram's tail past --size: not wanted */
				return;
			}
			if (left < room)
				room = (size_t)left;
		}
		ssize_t n = r->chunk->pipe_wr >= 0 ? put_stage(r, room)
			    : (ssize_t)tp_reader_take_staged(r, r->chunk->data + r->chunk->len, room);
		if (n > 0) {
			r->chunk->len += (size_t)n;
			r->offset += (uint64_t)n;
		}
		if (n == -ENOSPC || r->chunk->len == r->chunk->cap)
			tp_reader_hand_over(r);
		else if (n < 0)
			return;
	}
}
