#include "config.h"
#include "engine.h"
#include "signals.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

int tp_engine_init(struct tp_engine *eng, enum tp_engine_kind kind, struct tp_sink *sink,
		   struct tp_counters *counters, unsigned depth)
{
	memset(eng, 0, sizeof(*eng));
	eng->sink = sink;
	eng->counters = counters;
	eng->max_inflight = 1;
	if (sink->flags & TP_SINK_DGRAM) { /* datagrams have an engine of their own */
		eng->ops = &tp_engine_dgram_ops;
		return eng->ops->init(eng, depth);
	}
	if (kind == TP_ENGINE_SPLICE) {
		eng->ops = &tp_engine_splice_ops;
		return eng->ops->init(eng, depth);
	}
	/* A shared file position (sink.h): write() only, whatever was asked. */
	if (kind != TP_ENGINE_WRITE && !(sink->flags & TP_SINK_SHARED)) {
#ifdef HAVE_LIBURING
		eng->ops = &tp_engine_uring_ops;
		int err = eng->ops->init(eng, depth);
		/* auto: io_uring refused (seccomp, sysctl, old kernel) means write() does the job. */
		if (err == 0 || kind == TP_ENGINE_URING) {
			if (err)
				eng->ops = NULL;
			return err;
		}
		eng->fallback_err = err;
#else
		if (kind == TP_ENGINE_URING)
			return -ENOTSUP;
		eng->fallback_err = -ENOTSUP;
#endif
	}
	eng->ops = &tp_engine_write_ops;
	return eng->ops->init(eng, depth);
}

int tp_move_all(int fd, const struct tp_chunk *chunk, tp_move_fn *move,
		struct tp_counters *counters)
{
	for (size_t off = 0; off < chunk->len;) {
		uint64_t t0 = tp_clock_ns();
		ssize_t n = move(fd, chunk, off, chunk->len - off);
		tp_counters_note_write(counters, tp_clock_ns() - t0);
		tp_counter_add(&counters->write_calls, 1);
		if (n == -EAGAIN) {
			/* A non-blocking descriptor handed to us: wait until it takes more. */
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			n = poll(&pfd, 1, -1) < 0 ? -errno : 0;
			if (n == 0)
				continue;
		}
		if (n == -EINTR) {
			if (tp_signals_writer_abandoned())
				return -ECANCELED;
			continue;
		}
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO; /* no progress: never spin on it */
		tp_counter_add(&counters->bytes_out, (uint64_t)n);
		off += (size_t)n;
	}
	return 0;
}
