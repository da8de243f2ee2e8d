/* The splice engine: a chunk's bytes wait in the chunk's own pipe (pipes.h) and go on to the
 * output pipe by splice(), page references moved and nothing copied. Synchronous, like
 * write(): the next chunk cannot start before this one is out, as order must hold. */
#include "config.h"
#include "engine.h"

#include <errno.h>
#include <poll.h>
#include "pipes.h"

static int splice_init(struct tp_engine *eng, unsigned depth)
{
	eng->max_inflight = 1;
	return 0;
}

static int splice_submit(struct tp_engine *eng, struct tp_chunk *chunk)
{
	for (size_t left = chunk->len; left > 0;) {
		uint64_t t0 = tp_clock_ns();
		ssize_t n = tp_pipes_splice_out(chunk, eng->sink->fd, left);
		tp_counters_note_write(eng->counters, tp_clock_ns() - t0);
		tp_counter_add(&eng->counters->write_calls, 1);
		if (n == -EAGAIN && tp_pipes_waiting(chunk->pipe_rd) == 0)
			return -EIO; /* the chunk's pipe holds less than its length: never spin */
		if (n == -EAGAIN) {
			/* A non-blocking output handed to us: wait until it takes more. */
			struct pollfd pfd = { .fd = eng->sink->fd, .events = POLLOUT };
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO; /* cannot happen while the reader holds the write end */
		tp_counter_add(&eng->counters->bytes_out, (uint64_t)n);
		left -= (size_t)n;
	}
	return TP_ENGINE_DONE;
}

static int splice_reap(struct tp_engine *eng, struct tp_chunk **done)
{
	return -EINVAL; /* nothing is ever queued */
}

const struct tp_engine_ops tp_engine_splice_ops = {
	.name = "splice",
	.init = splice_init,
	.submit = splice_submit,
	.reap = splice_reap,
};
