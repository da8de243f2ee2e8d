/* The raw and -F path: an input's bytes into the ring's chunks as they are (or into the
 * framer's frames), by the reader's loop; after the last input, the stage and END frames. */
#include "config.h"
#include "pump.h"

#include <errno.h>
#include <sys/uio.h>

/* -F: the most frames one readv() fills (a 1 MiB chunk holds 16 of 64 KiB, 712 datagrams). */
#define TP_READ_FRAMES 64

/* One read into the chunk: readv() into the open frames (-F, a stream input, no -S), the
 * splice path (the chunk has a pipe), or read() (through the stage for a datagram that
 * does not fit). A full chunk is handed over first. */
static ssize_t raw_read(void *ctx, struct tp_source *src, bool *alive)
{
	struct tp_reader *r = ctx;
	ssize_t n;

	for (;;) {
		if (r->framer && src->ops->readv && tp_reader_wanted(r) == UINT64_MAX) {
			/* -F: one readv() fills as many frames as the chunk holds. */
			struct iovec iov[TP_READ_FRAMES];
			int cnt = tp_framer_iov(r->framer, r->chunk, iov, TP_READ_FRAMES);
			if (cnt == 0) {
				if (!tp_reader_next_chunk(r))
					return -ECANCELED;
				continue;
			}
			n = src->ops->readv(src, iov, cnt);
		} else {
			unsigned char *at;
			size_t room = tp_reader_room(r, &at);
			if (room == 0) { /* (tp_reader_pump stops before -S leaves no room) */
				if (!tp_reader_next_chunk(r))
					return -ECANCELED;
				continue;
			}
			n = r->chunk->pipe_wr >= 0 ? tp_reader_splice(r, src, room)
						   : tp_reader_read(r, src, at, room);
			if (n == -ENOSPC && r->chunk->pipe_wr >= 0) { /* the chunk's pipe is full */
				if (!tp_reader_next_chunk(r))
					return -ECANCELED;
				continue;
			}
		}
		break;
	}
	if (n > 0) {
		*alive = true;
		tp_reader_added(r, (size_t)n);
	}
	return n;
}

static const struct tp_pump_ops raw_ops = {
	.read = raw_read, /* deadline, expired: --idle-timeout */
};

int tp_pump_raw(struct tp_reader *r, struct tp_source *src)
{
	return tp_reader_pump(r, src, &raw_ops, r);
}

/* -F: after the last input, the open frame and three END frames. */
static void end_frames(struct tp_reader *r)
{
	if (tp_reader_pending(r))
		tp_framer_flush(r->framer, r->chunk);
	for (int i = 0; i < TP_FRAMER_END_FRAMES;) {
		if (!tp_reader_get_chunk(r))
			return; /* told to stop: the receiver will say the stream ended early */
		if (tp_framer_end(r->framer, r->chunk) == 0)
			i++;
		else
			tp_reader_hand_over(r);
	}
}

void tp_pump_finish(struct tp_reader *r)
{
	tp_reader_flush_stage(r);
	if (r->framer)
		end_frames(r);
}
