/* The splice engine: a chunk's bytes wait in the chunk's own pipe (pipes.h) and go on to the
 * output pipe by splice(), page references moved and nothing copied. Synchronous, like
 * write(): the next chunk cannot start before this one is out, as order must hold. */
#include "config.h"
#include "engine.h"

#include <errno.h>
#include "engine_move.h"
#include "pipes.h"

static ssize_t splice_step(int fd, const struct tp_chunk *chunk, size_t off, size_t left)
{
	ssize_t n = tp_pipes_splice_out(chunk, fd, left);

	if (n == -EAGAIN && tp_pipes_waiting(chunk->pipe_rd) == 0)
		return -EIO; /* the chunk's pipe holds less than its length: never spin */
	return n;
}

static int splice_submit(struct tp_engine *eng, struct tp_chunk *chunk)
{
	int err = tp_move_all(eng, chunk, splice_step);
	return err ? err : TP_ENGINE_DONE;
}

const struct tp_engine_ops tp_engine_splice_ops = {
	.name = "splice",
	.flags = TP_ENGINE_SYNC | TP_ENGINE_PIPES,
	.submit = splice_submit,
};
