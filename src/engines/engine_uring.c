/* The io_uring engine.
 * Streams (pipes, ttys, sockets, files in append mode, and files tpipe did not open itself,
 * written at their shared position: sink_fd.c) get one write in flight: a pipe write
 * completes short (64 KiB at a time, measured) and a linked chain would lose its order after a
 * short write, so the remainder is resubmitted before anything else. Seekable files get several
 * chunks in flight at explicit offsets. Chunks are handed back strictly in submission order. */
#include "config.h"
#include "engine.h"

#include <assert.h>
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include "engine_move.h"
#include "signals.h"

#define URING_MAX_FILE_INFLIGHT 8u
/* The SQE length field is 32 bits; longer chunks go out in pieces. */
#define URING_MAX_WRITE (1u << 30)

struct uring_req {
	struct tp_chunk *chunk;
	size_t done;        /* bytes of the chunk written so far */
	uint64_t queued_ns; /* when its current write was prepared, for the latency */
	bool complete;
	bool in_kernel;     /* a write of it is prepared or submitted, its completion not seen */
};

struct uring_priv {
	struct io_uring ring;
	struct uring_req *reqs;  /* FIFO of queued chunks, max_inflight long */
	unsigned head, count;
	unsigned unsubmitted;    /* SQEs prepared but not yet submitted */
	bool stream;
	unsigned char sqe_flags;
};

static int uring_init(struct tp_engine *eng, unsigned depth)
{
	struct uring_priv *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->stream = !(eng->sink->flags & TP_SINK_SEEKABLE);
	eng->max_inflight = p->stream ? 1 : (depth < URING_MAX_FILE_INFLIGHT ? depth : URING_MAX_FILE_INFLIGHT);
	/* A tty write can block inside io_uring_submit() (measured): let a worker do it. */
	if (eng->sink->flags & TP_SINK_TTY)
		p->sqe_flags = IOSQE_ASYNC;
	p->reqs = calloc(eng->max_inflight, sizeof(*p->reqs));
	if (!p->reqs) {
		err = -ENOMEM;
		goto fail;
	}
	err = io_uring_queue_init(eng->max_inflight * 2, &p->ring, 0);
	if (err)
		goto fail;
	eng->priv = p;
	return 0;
fail:
	free(p->reqs);
	free(p);
	return err;
}

/* Prepares the write of what is left of req's chunk. */
static void queue_write(struct tp_engine *eng, struct uring_req *req)
{
	struct uring_priv *p = eng->priv;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);
	size_t left = req->chunk->len - req->done;
	size_t most = eng->max_write && eng->max_write < URING_MAX_WRITE ? eng->max_write
		      : URING_MAX_WRITE;
	unsigned len = left > most ? (unsigned)most : (unsigned)left;
	/* -1: the current file position, which is what a stream wants. */
	__u64 off = p->stream ? (__u64)-1 : req->chunk->offset + req->done;

	/* The ring has twice max_inflight entries and each request holds at most one. */
	assert(sqe);
	io_uring_prep_write(sqe, eng->sink->fd, req->chunk->data + req->done, len, off);
	sqe->flags |= p->sqe_flags;
	io_uring_sqe_set_data(sqe, req);
	req->in_kernel = true;
	p->unsubmitted++;
	req->queued_ns = tp_clock_ns();
	tp_counter_add(&eng->counters->write_calls, 1);
}

static int uring_submit(struct tp_engine *eng, struct tp_chunk *chunk)
{
	struct uring_priv *p = eng->priv;
	struct uring_req *req = &p->reqs[(p->head + p->count) % eng->max_inflight];

	*req = (struct uring_req){ .chunk = chunk };
	p->count++;
	eng->inflight++;
	if (chunk->len == 0) {
		req->complete = true;
		return TP_ENGINE_QUEUED;
	}
	/* Submitted in reap, together with the wait: one system call for both. */
	queue_write(eng, req);
	return TP_ENGINE_QUEUED;
}

/* Accounts one completion; resubmits what a short write left. 0 or -errno. */
static int complete_one(struct tp_engine *eng, struct uring_req *req, int res)
{
	req->in_kernel = false;
	tp_counters_note_write(eng->counters, tp_clock_ns() - req->queued_ns);
	if (res == -EAGAIN) {
		int err = tp_wait_writable(eng->sink->fd);
		if (err && err != -EINTR)
			return err;
		res = -EINTR; /* then as after an interruption: the rest again */
	}
	if (res == -EINTR) { /* write the rest again, unless the reader gave up on us */
		if (tp_signals_writer_abandoned())
			return -ECANCELED;
		queue_write(eng, req);
		return 0;
	}
	if (res < 0)
		return res;
	if (res == 0)
		return -EIO; /* no progress: never spin on it */
	tp_engine_count_out(eng, req->chunk->data + req->done, (size_t)res);
	req->done += (size_t)res;
	if (req->done < req->chunk->len)
		queue_write(eng, req);
	else
		req->complete = true;
	return 0;
}

static int uring_reap(struct tp_engine *eng, struct tp_chunk **done)
{
	struct uring_priv *p = eng->priv;
	struct uring_req *oldest = &p->reqs[p->head];
	int err = 0;

	while (!oldest->complete) {
		struct io_uring_cqe *cqe;

		if (p->unsubmitted) {
			/* The kernel may take fewer than prepared; the rest stay queued and go
			 * out with the next submit, before we may wait for what they complete. */
			err = io_uring_submit_and_wait(&p->ring, 1);
			if (err == -EINTR && tp_signals_writer_abandoned())
				return -ECANCELED;
			if (err < 0 && err != -EINTR)
				return err;
			if (err > 0)
				p->unsubmitted -= (unsigned)err < p->unsubmitted ? (unsigned)err : p->unsubmitted;
			if (p->unsubmitted)
				continue;
		}
		err = io_uring_wait_cqe(&p->ring, &cqe);
		if (err == -EINTR && tp_signals_writer_abandoned())
			return -ECANCELED;
		if (err == -EINTR)
			continue;
		if (err < 0)
			return err;
		struct uring_req *req = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&p->ring, cqe);
		err = complete_one(eng, req, res);
		if (err)
			return err;
	}
	*done = oldest->chunk;
	p->head = (p->head + 1) % eng->max_inflight;
	p->count--;
	eng->inflight--;
	return 1;
}

/* Cancels every request on the sink's descriptor and waits for every completion still owed
 * (a blocked pipe write in an io-wq worker is interrupted by the cancel): until then the
 * kernel may still read the chunks, which the reader refills once this output is dropped.
 * What a write got out before it was cancelled is counted. */
static void uring_cancel(struct tp_engine *eng)
{
	struct uring_priv *p = eng->priv;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);
	unsigned owed = 0;

	/* The submit below sends the prepared writes too, and the cancel after them. */
	for (unsigned i = 0; i < p->count; i++)
		owed += p->reqs[(p->head + i) % eng->max_inflight].in_kernel;
	assert(sqe); /* twice max_inflight entries, at most one each */
	io_uring_prep_cancel_fd(sqe, eng->sink->fd, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data(sqe, NULL);
	io_uring_submit(&p->ring);
	while (owed) {
		struct io_uring_cqe *cqe;
		int err = io_uring_wait_cqe(&p->ring, &cqe);
		if (err == -EINTR)
			continue; /* the main thread prodding us again */
		if (err)
			break; /* the ring itself failed: nothing more will come */
		struct uring_req *req = io_uring_cqe_get_data(cqe);
		if (req && req->in_kernel) {
			req->in_kernel = false;
			if (cqe->res > 0)
				tp_engine_count_out(eng, req->chunk->data + req->done, (size_t)cqe->res);
			owed--;
		}
		io_uring_cqe_seen(&p->ring, cqe);
	}
	p->count = 0;
	p->unsubmitted = 0;
}

static void uring_exit(struct tp_engine *eng)
{
	struct uring_priv *p = eng->priv;

	if (!p)
		return;
	io_uring_queue_exit(&p->ring);
	free(p->reqs);
	free(p);
	eng->priv = NULL;
}

const struct tp_engine_ops tp_engine_uring_ops = {
	.name = "io_uring",
	.init = uring_init,
	.submit = uring_submit,
	.reap = uring_reap,
	.cancel = uring_cancel,
	.exit = uring_exit,
};
