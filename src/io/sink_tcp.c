/* tcp://HOST:PORT as output: a connected stream socket, written in order by the same
 * engines as a pipe (write(), io_uring, or splice from the ring of pipes).
 *
 * A refused connect (the receiver not listening yet) is tried again every
 * TCP_RETRY_MS until --connect-timeout has passed, as a sender started a moment before its
 * receiver expects. The connect waits in ppoll() with our signals let in, so SIGINT and
 * SIGTERM end the wait at once; SIGUSR1 only interrupts it. SIGPIPE is ignored (signals.h):
 * a receiver that went away is EPIPE or ECONNRESET from the engine, said in one line and
 * status 1 (run.c), never the silence of a closed pipe. */
#include "config.h"
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "parse.h"
#include "signals.h"
#include "stats.h"
#include "tcp.h"

#define TCP_RETRY_MS 100

/* The line for a connect that failed for the whole --connect-timeout: the main thread's,
 * said by run.c before anything opens another sink. */
static char failed_why[160];

/* ms left until deadline_ns for ppoll (-1: no deadline); 0 once it has passed. */
static int ms_left(uint64_t deadline_ns)
{
	uint64_t now = tp_clock_ns();

	if (!deadline_ns)
		return -1;
	if (now >= deadline_ns)
		return 0;
	uint64_t ms = (deadline_ns - now + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Waits up to ms (-1: for ever) for fd's events (none: only a signal or the time); a
 * SIGUSR1 does not end the wait early, though it ends one ppoll. 1 when fd is ready, 0
 * when the time is up, -EINTR on SIGINT or SIGTERM, or -errno. */
static int wait_for(int fd, short events, uint64_t until_ns)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int ms = ms_left(until_ns);
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
		int n = ppoll(&pfd, fd >= 0, ms < 0 ? NULL : &ts, tp_signals_wait_mask());
		if (n < 0 && errno == EINTR && !tp_signals_stop_requested())
			continue;
		return n < 0 ? -errno : n > 0;
	}
}

/* Whether fd is connected to itself. A connect to a local port that nobody listens on, tried
 * again and again, now and then gets that very port as its own source port, and TCP's
 * simultaneous open then connects the socket to itself: nobody is listening, a refusal. */
static bool connected_to_itself(int fd)
{
	struct sockaddr_storage self, peer;
	socklen_t self_len = sizeof(self), peer_len = sizeof(peer);

	return getsockname(fd, (struct sockaddr *)&self, &self_len) == 0 &&
	       getpeername(fd, (struct sockaddr *)&peer, &peer_len) == 0 &&
	       self_len == peer_len && memcmp(&self, &peer, self_len) == 0;
}

/* One connect to ai, finished by deadline_ns (0: as long as the kernel tries). The
 * descriptor (blocking, for the engines) or -errno. */
static int tcp_connect(const struct addrinfo *ai, uint64_t deadline_ns)
{
	int soerr = 0, fl;
	socklen_t len = sizeof(soerr);
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);

	if (fd < 0)
		return -errno;
	tp_tcp_set_options(fd);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		int rc = errno == EINPROGRESS ? wait_for(fd, POLLOUT, deadline_ns) : -errno;
		if (rc == 0)
			soerr = ETIMEDOUT;
		else if (rc < 0)
			soerr = -rc;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			soerr = errno;
	}
	if (!soerr && connected_to_itself(fd))
		soerr = ECONNREFUSED;
	if (!soerr && ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
		soerr = errno;
	if (soerr) {
		close(fd);
		return -soerr;
	}
	return fd;
}

/* Connects to the first address of list that takes it, trying again after a refusal until
 * timeout_ns has passed (0: one round). The descriptor or -errno. */
static int connect_any(const struct addrinfo *list, uint64_t timeout_ns)
{
	uint64_t now = tp_clock_ns();
	/* (A --connect-timeout of centuries is as good as for ever, and must not wrap.) */
	uint64_t deadline = !timeout_ns ? 0 : timeout_ns > UINT64_MAX - now ? UINT64_MAX
			    : now + timeout_ns;

	for (;;) {
		int fd = -ECONNREFUSED;
		for (const struct addrinfo *ai = list; ai; ai = ai->ai_next) {
			fd = tcp_connect(ai, deadline);
			if (fd >= 0 || fd == -EINTR)
				return fd;
		}
		if (fd != -ECONNREFUSED || ms_left(deadline) <= 0)
			return fd;
		uint64_t retry = tp_clock_ns() + TCP_RETRY_MS * 1000000ull;
		int rc = wait_for(-1, 0, retry < deadline ? retry : deadline);
		if (rc < 0)
			return rc;
	}
}

static int tcp_open(struct tp_sink *sink, const char *dest, const struct tp_sink_params *p)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *list = NULL;
	char host[256], service[16];
	unsigned port;

	sink->name = dest;
	sink->flags = TP_SINK_STREAM;
	if (tp_parse_tcp_endpoint(dest, host, sizeof(host), &port) != 1 || !host[0] || port == 0) {
		sink->why = "not tcp://HOST:PORT with a host and a port other than 0";
		return -EINVAL;
	}
	snprintf(service, sizeof(service), "%u", port);
	int gai = getaddrinfo(host, service, &hints, &list);
	if (gai) {
		sink->why = gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai);
		return -EHOSTUNREACH;
	}
	int fd = connect_any(list, p->connect_timeout_ns);
	freeaddrinfo(list);
	if (fd < 0) {
		if (p->connect_timeout_ns && fd != -EINTR) {
			snprintf(failed_why, sizeof(failed_why), "%s (for %.3g s, --connect-timeout)",
				 strerror(-fd), (double)p->connect_timeout_ns / 1e9);
			sink->why = failed_why;
		}
		return fd;
	}
	sink->fd = fd;
	sink->own_fd = true;
	return 0;
}

/* close() of a socket reports nothing about delivery; the engines saw every error. */
const struct tp_sink_ops tp_sink_tcp_ops = {
	.name = "tcp",
	.open = tcp_open,
	.close = tp_sink_close_own_fd,
};
