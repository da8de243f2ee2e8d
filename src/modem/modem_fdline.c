/* The real line for XMODEM and YMODEM (modem_fdline.h). */
#include "config.h"
#include "modem_fdline.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include "signals.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ms(void)
{
	return now_ns() / 1000000u;
}

/* The tick, when it is due; how long a wait may last before the next one (ms). */
static uint64_t tick(struct tp_modem_fdline *l, uint64_t left)
{
	if (!l->tick)
		return left;
	uint64_t now = now_ns();
	if (now >= l->next_tick_ns) {
		l->tick(l->tick_arg);
		l->next_tick_ns = now + l->tick_ns;
	}
	uint64_t until = (l->next_tick_ns - now) / 1000000u + 1;
	return until < left ? until : left;
}

/* Waits for fd to be ready for events until deadline (ms, CLOCK_MONOTONIC): 0,
 * -ETIMEDOUT, -EINTR (SIGINT or SIGTERM), or -errno. SIGUSR1 does not end the wait. */
static int wait_ready(struct tp_modem_fdline *l, int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = now_ms();
		/* At the deadline, one look that does not wait: what is there already counts. */
		uint64_t left = now < deadline ? tick(l, deadline - now) : 0;
		struct pollfd p = { .fd = fd, .events = events };
		struct timespec ts = { (time_t)(left / 1000u), (long)(left % 1000u) * 1000000L };
		int n = ppoll(&p, 1, &ts, tp_signals_wait_mask());

		if (n > 0)
			return 0;   /* readable, writable, or hung up: the call that follows says */
		if (n == 0 && now_ms() >= deadline)
			return -ETIMEDOUT;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (tp_signals_stop_requested())
			return -EINTR;
	}
}

/* Fills the read-ahead within ms: 0, or as get's errors. */
static int fill(struct tp_modem_fdline *l, unsigned ms)
{
	uint64_t deadline = now_ms() + ms;

	for (;;) {
		int err = wait_ready(l, l->in, POLLIN, deadline);
		if (err)
			return err;
		ssize_t n = read(l->in, l->buf, sizeof(l->buf));
		if (n > 0) {
			l->at = 0;
			l->len = (size_t)n;
			if (!l->received)
				l->first_ns = now_ns();
			l->received += (size_t)n;
			return 0;
		}
		if (n == 0 || errno == EIO)
			return -EPIPE;   /* the far end closed, or the terminal hung up */
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

static int line_get(void *ctx, unsigned timeout_ms)
{
	struct tp_modem_fdline *l = ctx;

	if (l->at == l->len) {
		int err = fill(l, timeout_ms);
		if (err)
			return err;
	}
	return l->buf[l->at++];
}

static int line_put(void *ctx, const void *buf, size_t n)
{
	struct tp_modem_fdline *l = ctx;
	const unsigned char *p = buf;

	while (n) {
		ssize_t w = write(l->out, p, n);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			l->sent += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EPIPE)
			return -EPIPE;
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return errno == EIO ? -EPIPE : -errno;
		/* A full line: a minute is far more than any block takes to leave it. */
		int err = wait_ready(l, l->out, POLLOUT, now_ms() + 60000u);
		if (err)
			return err;
	}
	return 0;
}

/* Discards input until the line is quiet for quiet_ms (0: what has come so far), but for
 * no more than ten times that, or a second: a line that never stops babbling does not hold
 * the transfer here. */
static void line_purge(void *ctx, unsigned quiet_ms)
{
	struct tp_modem_fdline *l = ctx;
	uint64_t until = now_ms() + (quiet_ms > 100 ? 10u * quiet_ms : 1000u);

	l->at = l->len = 0;
	while (fill(l, quiet_ms) == 0 && now_ms() < until)
		l->at = l->len = 0;
	l->at = l->len = 0;
}

static const struct tp_modem_line_ops fdline_ops = {
	.get = line_get,
	.put = line_put,
	.purge = line_purge,
};

void tp_modem_fdline_init(struct tp_modem_fdline *l, int in, int out, struct tp_modem_line *line)
{
	*l = (struct tp_modem_fdline){ .in = in, .out = out };
	line->ops = &fdline_ops;
	line->ctx = l;
}
