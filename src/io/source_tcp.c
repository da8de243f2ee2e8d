/* tcp://[ADDR]:PORT as input: listens there, takes one connection, closes the listening
 * socket and reads the byte stream to its end, as mbuffer -I and `nc -l` do.
 *
 * The connection is taken in read(), not in open(): open() only binds and listens, so the
 * reader waits for the connection in its ppoll() as for data (a listening socket is readable
 * when a connection is there). Signals, progress ticks, -R/-Q and --idle-timeout thus act
 * while nobody has connected yet, exactly as while a connected sender is quiet; a signal
 * never closes a listening socket that a sender is about to reach. */
#include "config.h"
#include "source.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "parse.h"
#include "tcp.h"

struct tcp_state {
	bool connected;       /* src->fd is the connection (before: the listening socket) */
};

/* A listening socket on addr; the descriptor or -errno. */
static int tcp_listen(int family, const struct sockaddr *addr, socklen_t len, bool dual)
{
	int one = 1, zero = 0;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	/* A port left in TIME_WAIT by the last transfer can be listened on again at once. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (dual) /* "tcp://:PORT" on :: takes IPv4 too */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	tp_tcp_set_options(fd); /* the connection inherits them */
	if (bind(fd, addr, len) < 0 || listen(fd, 1) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Listens on every local address: IPv6 and IPv4 on one socket, or IPv4 alone where the
 * system has no IPv6. */
static int listen_any(unsigned port)
{
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
				     .sin6_addr = IN6ADDR_ANY_INIT };
	int fd = tcp_listen(AF_INET6, (struct sockaddr *)&any6, sizeof(any6), true);

	if (fd == -EAFNOSUPPORT) {
		struct sockaddr_in any4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		fd = tcp_listen(AF_INET, (struct sockaddr *)&any4, sizeof(any4), false);
	}
	return fd;
}

/* Listens on the first address of host that takes it; the descriptor or -errno. */
static int listen_host(struct tp_source *src, const char *host, unsigned port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *list = NULL;
	char service[16];
	int fd = -EADDRNOTAVAIL;

	snprintf(service, sizeof(service), "%u", port);
	int gai = getaddrinfo(host, service, &hints, &list);
	if (gai) {
		src->why = gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai);
		return -EADDRNOTAVAIL;
	}
	for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		fd = tcp_listen(ai->ai_family, ai->ai_addr, ai->ai_addrlen, false);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(list);
	return fd;
}

static int tcp_open(struct tp_source *src, const char *spec)
{
	char host[256];
	unsigned port;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	src->name = spec;
	src->pollable = true;
	src->splice = true; /* a socket splices into a pipe (reader_splice.c) */
	if (tp_parse_tcp_endpoint(spec, host, sizeof(host), &port) != 1) {
		src->why = "not tcp://[ADDR]:PORT (an IPv6 address goes in brackets)";
		return -EINVAL;
	}
	src->priv = calloc(1, sizeof(struct tcp_state));
	if (!src->priv)
		return -ENOMEM;
	int fd = host[0] ? listen_host(src, host, port) : listen_any(port);
	if (fd < 0) {
		free(src->priv);
		src->priv = NULL;
		return fd;
	}
	src->fd = fd;
	src->own_fd = true;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		tp_tcp_describe((struct sockaddr *)&ss, src->local, sizeof(src->local));
		src->name = src->local; /* messages say the port, also where :0 chose it */
	}
	return 0;
}

/* The listening socket said a connection is there: takes it in its place. -EAGAIN either
 * way (nothing read yet: the reader waits for data on the connection next), or -errno. */
static ssize_t take_connection(struct tp_source *src, struct tcp_state *st)
{
	int fd = accept4(src->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) /* gone before we took it (ECONNABORTED), or a spurious wake-up: wait on */
		return errno == ECONNABORTED || errno == EINTR ? -EAGAIN : -errno;
	tp_tcp_set_options(fd); /* (Linux copies them from the listener; others may not) */
	close(src->fd); /* one connection, as mbuffer -I and nc -l take */
	src->fd = fd;
	st->connected = true;
	return -EAGAIN;
}

static ssize_t tcp_readv(struct tp_source *src, const struct iovec *iov, int cnt)
{
	struct tcp_state *st = src->priv;
	ssize_t n;

	if (!st->connected)
		return take_connection(src, st);
	do
		n = readv(src->fd, iov, cnt);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t tcp_read(struct tp_source *src, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return tcp_readv(src, &iov, 1);
}

static void tcp_close(struct tp_source *src)
{
	if (src->own_fd && src->fd >= 0)
		close(src->fd);
	src->fd = -1;
	free(src->priv);
	src->priv = NULL;
}

const struct tp_source_ops tp_source_tcp_ops = {
	.name = "tcp",
	.open = tcp_open,
	.read = tcp_read,
	.readv = tcp_readv,
	.close = tcp_close,
};
