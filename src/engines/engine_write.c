/* The plain write() engine: each chunk is written out, all of it, before submit returns. */
#include "config.h"
#include "engine.h"

#include <errno.h>
#include <unistd.h>
#include "engine_move.h"

static ssize_t write_step(int fd, const struct tp_chunk *chunk, size_t off, size_t left)
{
	ssize_t n = write(fd, chunk->data + off, left);
	return n < 0 ? -errno : n;
}

static int write_submit(struct tp_engine *eng, struct tp_chunk *chunk)
{
	int err = tp_move_all(eng, chunk, write_step);
	return err ? err : TP_ENGINE_DONE;
}

const struct tp_engine_ops tp_engine_write_ops = {
	.name = "write",
	.flags = TP_ENGINE_SYNC,
	.submit = write_submit,
};
