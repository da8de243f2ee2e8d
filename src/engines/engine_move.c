#include "config.h"
#include "engine_move.h"

#include <errno.h>
#include <poll.h>
#include "signals.h"

int tp_wait_writable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	return poll(&pfd, 1, -1) < 0 ? -errno : 0;
}

int tp_move_all(const struct tp_engine *eng, const struct tp_chunk *chunk, tp_move_fn *move)
{
	struct tp_counters *counters = eng->counters;
	int fd = eng->sink->fd;

	for (size_t off = 0; off < chunk->len;) {
		uint64_t t0 = tp_clock_ns();
		size_t left = chunk->len - off;
		if (eng->max_write && left > eng->max_write)
			left = eng->max_write;
		ssize_t n = move(fd, chunk, off, left);
		tp_counters_note_write(counters, tp_clock_ns() - t0);
		tp_counter_add(&counters->write_calls, 1);
		if (n == -EAGAIN) {
			n = tp_wait_writable(fd);
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
		tp_engine_count_out(eng, chunk->data + off, (size_t)n);
		off += (size_t)n;
	}
	return 0;
}
