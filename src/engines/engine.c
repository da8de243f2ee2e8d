/* The engine registry: which engine a sink gets, and the contract checked once. */
#include "config.h"
#include "engine.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

int tp_engine_init_ops(struct tp_engine *eng, const struct tp_engine_ops *ops,
		       const struct tp_engine_params *p)
{
	/* The contract (engine.h): a wrong combination is a programming error. */
	assert(ops->name && ops->submit);
	assert(!(ops->flags & TP_ENGINE_SYNC) == !!ops->reap);
	assert(!(ops->flags & TP_ENGINE_DGRAM) || (p->sink->flags & TP_SINK_DGRAM));
	/* Lines are counted in memory; the splice engine never has the bytes there (run.c). */
	assert(!(ops->flags & TP_ENGINE_PIPES) || !p->count_lines);
	memset(eng, 0, sizeof(*eng));
	eng->ops = ops;
	eng->sink = p->sink;
	eng->counters = p->counters;
	eng->max_inflight = 1;
	eng->dgram_size = p->dgram_size;
	eng->dgram_framed = p->dgram_framed;
	eng->count_lines = p->count_lines;
	eng->line_end = p->line_end;
	eng->max_write = p->max_write;
	eng->pipe_size = p->pipe_size;
	int err = ops->init ? ops->init(eng, p->depth) : 0;
	/* A synchronous engine never has more than the chunk it is writing. */
	assert(err || !(ops->flags & TP_ENGINE_SYNC) || eng->max_inflight == 1);
	if (err)
		eng->ops = NULL;
	return err;
}

int tp_engine_init(struct tp_engine *eng, const struct tp_engine_params *p)
{
	if (p->sink->flags & TP_SINK_DGRAM) /* datagrams have an engine of their own */
		return tp_engine_init_ops(eng, &tp_engine_dgram_ops, p);
	if (p->kind == TP_ENGINE_SPLICE)
		return tp_engine_init_ops(eng, p->shared_pipes ? &tp_engine_tee_ops
					  : &tp_engine_splice_ops, p);
	int fallback_err = 0;
	/* A shared file position (sink.h): write() only, whatever was asked. */
	if (p->kind != TP_ENGINE_WRITE && !(p->sink->flags & TP_SINK_SHARED)) {
#ifdef HAVE_LIBURING
		int err = tp_engine_init_ops(eng, &tp_engine_uring_ops, p);
		/* auto: io_uring refused (seccomp, sysctl, old kernel) means write() does the job. */
		if (err == 0 || p->kind == TP_ENGINE_URING)
			return err;
		fallback_err = err;
#else
		if (p->kind == TP_ENGINE_URING)
			return -ENOTSUP;
		fallback_err = -ENOTSUP;
#endif
	}
	int err = tp_engine_init_ops(eng, &tp_engine_write_ops, p);
	eng->fallback_err = fallback_err;
	return err;
}

int tp_engine_reap(struct tp_engine *eng, struct tp_chunk **done)
{
	/* The writer reaps only what it queued, and only an asynchronous engine queues. */
	assert(eng->ops->reap && eng->inflight > 0);
	return eng->ops->reap(eng, done);
}
