/* The null engines: writes kept in memory (engine_null.h). */
#include "config.h"
#include "engine_null.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NULL_ASYNC_INFLIGHT 4u

static int null_init(struct tp_engine *eng, unsigned depth)
{
	eng->priv = calloc(1, sizeof(struct tp_null_state));
	return eng->priv ? 0 : -ENOMEM;
}

static int null_async_init(struct tp_engine *eng, unsigned depth)
{
	int err = null_init(eng, depth);

	if (!err)
		eng->max_inflight = depth < NULL_ASYNC_INFLIGHT ? depth : NULL_ASYNC_INFLIGHT;
	return err;
}

/* Grows *buf (of *cap elements of size each) to hold need; 0 or -ENOMEM. */
static int grow(void **buf, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *p = realloc(*buf, n * size);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

/* Keeps one chunk's bytes and its record. 0 or -errno. */
static int keep(struct tp_engine *eng, const struct tp_chunk *chunk)
{
	struct tp_null_state *s = eng->priv;

	tp_counter_add(&eng->counters->write_calls, 1);
	if (s->fail_err && s->len + chunk->len > s->fail_at)
		return s->fail_err;
	if (grow((void **)&s->bytes, &s->cap, s->len + chunk->len, 1) ||
	    grow((void **)&s->writes, &s->cap_writes, s->n_writes + 1, sizeof(*s->writes)))
		return -ENOMEM;
	memcpy(s->bytes + s->len, chunk->data, chunk->len);
	s->len += chunk->len;
	s->writes[s->n_writes++] = (struct tp_null_write){
		.offset = chunk->offset, .len = chunk->len, .index = chunk->index, .ns = tp_clock_ns(),
	};
	tp_engine_count_out(eng, chunk->data, chunk->len);
	return 0;
}

static int null_submit(struct tp_engine *eng, struct tp_chunk *chunk)
{
	int err = keep(eng, chunk);

	return err ? err : TP_ENGINE_DONE;
}

static int null_async_submit(struct tp_engine *eng, struct tp_chunk *chunk)
{
	struct tp_null_state *s = eng->priv;

	s->queue[(s->head + s->count++) % NULL_ASYNC_INFLIGHT] = chunk;
	eng->inflight++;
	return TP_ENGINE_QUEUED;
}

static int null_async_reap(struct tp_engine *eng, struct tp_chunk **done)
{
	struct tp_null_state *s = eng->priv;
	struct tp_chunk *chunk = s->queue[s->head];

	s->head = (s->head + 1) % NULL_ASYNC_INFLIGHT;
	s->count--;
	eng->inflight--;
	int err = keep(eng, chunk);
	if (err)
		return err;
	*done = chunk;
	return 1;
}

static void null_exit(struct tp_engine *eng)
{
	struct tp_null_state *s = eng->priv;

	if (!s)
		return;
	free(s->bytes);
	free(s->writes);
	free(s);
	eng->priv = NULL;
}

struct tp_null_state *tp_engine_null_state(struct tp_engine *eng)
{
	return eng->priv;
}

/* The two differ in submit and reap only. */
const struct tp_engine_ops tp_engine_null_ops = {
	.name = "null", .flags = TP_ENGINE_SYNC,
	.init = null_init, .submit = null_submit, .exit = null_exit,
};

const struct tp_engine_ops tp_engine_null_async_ops = {
	.name = "null-async",
	.init = null_async_init, .submit = null_async_submit, .reap = null_async_reap, .exit = null_exit,
};
