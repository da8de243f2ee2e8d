/* The tee engine: the splice path for one of several outputs. The chunk's bytes wait in the
 * chunk's own pipe (pipes.h) for every output, so none may take them out: each output's
 * engine tee()s them into a pipe of its own (page references, nothing copied) and splices
 * that on to its sink, and the reader throws the chunk's pipe's bytes away before it fills it
 * again. A paced chunk comes in pieces: the first tees the whole chunk, and every piece goes
 * on from our pipe. An output that splice cannot write (/dev/full, some devices: EINVAL) gets
 * our pipe's bytes read and written instead. Synchronous, like the splice engine. */
#include "config.h"
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "engine_move.h"
#include "pipes.h"
#include "signals.h"

struct tee_priv {
	int rd, wr;          /* this output's own pipe, as large as a chunk's */
	unsigned char *copy; /* NULL, or a buffer once the sink refused splice */
};

#define TEE_COPY_SIZE (64u << 10)

/* Our pipe, as large as the chunks' (pipe_size), had at once: the per-user pipe pages may
 * refuse it, and then the transfer is better set up in memory than failing at its first
 * chunk. */
static int tee_init(struct tp_engine *eng, unsigned depth)
{
	size_t pipe_size = eng->pipe_size;
	struct tee_priv *p = malloc(sizeof(*p));
	int fd[2], err = 0;

	(void)depth;
	if (!p)
		return -ENOMEM;
	if (pipe2(fd, O_CLOEXEC) < 0) {
		err = -errno;
		free(p);
		return err;
	}
	if (pipe_size && fcntl(fd[1], F_SETPIPE_SZ, (int)pipe_size) < 0) {
		err = -errno;
		close(fd[0]);
		close(fd[1]);
		free(p);
		return err;
	}
	p->rd = fd[0];
	p->wr = fd[1];
	p->copy = NULL;
	eng->priv = p;
	return 0;
}

/* tp_move_all's step: on from our pipe to the sink; step_priv is the calling writer
 * thread's engine's. */
static __thread struct tee_priv *step_priv;

static ssize_t tee_step(int fd, const struct tp_chunk *chunk, size_t off, size_t left)
{
	struct tee_priv *p = step_priv;
	ssize_t n;

	(void)chunk;
	(void)off;
	if (!p->copy) {
		n = splice(p->rd, NULL, fd, NULL, left, SPLICE_F_MOVE);
		if (n >= 0 || errno != EINVAL)
			return n < 0 ? -errno : n;
		if (!(p->copy = malloc(TEE_COPY_SIZE)))
			return -ENOMEM;
	}
	/* Nothing is kept across calls: what is read is written before we return. */
	size_t want = left < TEE_COPY_SIZE ? left : TEE_COPY_SIZE;
	n = read(p->rd, p->copy, want);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	for (size_t done = 0; done < (size_t)n;) {
		ssize_t w = write(fd, p->copy + done, (size_t)n - done);
		if (w < 0 && errno == EINTR && tp_signals_writer_abandoned())
			return -ECANCELED;
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	return n;
}

static int tee_submit(struct tp_engine *eng, struct tp_chunk *chunk)
{
	struct tee_priv *p = eng->priv;
	int err = 0;

	/* The first piece of a chunk brings all of it into our pipe; the pieces go on from
	 * there. */
	if (!err && chunk->piece_off == 0) {
		size_t all = tp_pipes_waiting(chunk->pipe_rd);
		ssize_t n = all ? tp_pipes_tee_out(chunk, p->wr, all) : 0;
		err = n < 0 ? (int)n : 0;
	}
	if (!err) {
		step_priv = p;
		err = tp_move_all(eng, chunk, tee_step);
	}
	return err ? err : TP_ENGINE_DONE;
}

static void tee_exit(struct tp_engine *eng)
{
	struct tee_priv *p = eng->priv;

	if (!p)
		return;
	close(p->rd);
	close(p->wr);
	free(p->copy);
	free(p);
	eng->priv = NULL;
}

const struct tp_engine_ops tp_engine_tee_ops = {
	.name = "tee",
	.flags = TP_ENGINE_SYNC | TP_ENGINE_PIPES,
	.init = tee_init,
	.submit = tee_submit,
	.exit = tee_exit,
};
