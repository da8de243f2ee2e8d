/* udp://HOST:PORT as output: a connected datagram socket. Connected, so the kernel checks the
 * destination once and reports a closed port (ECONNREFUSED) to us; IP_RECVERR, so that a full
 * queue shows as ENOBUFS instead of a silent drop (design.md section 2). */
#include "config.h"
#include "sink.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "parse.h"

/* Room for a few milliseconds of datagrams at high rates. */
#define SEND_BUFFER (4 << 20)

static int udp_connect(const struct addrinfo *ai)
{
	int one = 1, size = SEND_BUFFER;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

	if (fd < 0)
		return -errno;
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	else
		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	/* Beyond wmem_max only with CAP_NET_ADMIN; the plain call then gets what it can. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int udp_open(struct tp_sink *sink, const char *dest, const struct tp_sink_params *p)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *list = NULL;
	char host[256], service[16];
	unsigned port;
	int err = -EINVAL;

	sink->name = dest;
	sink->flags = TP_SINK_DGRAM;
	if (tp_parse_udp_endpoint(dest, host, sizeof(host), &port) != 1) {
		sink->why = "not udp://HOST:PORT (an IPv6 address goes in brackets)";
		return -EINVAL;
	}
	if (!host[0] || port == 0) {
		sink->why = "a destination needs a host and a port other than 0";
		return -EINVAL;
	}
	snprintf(service, sizeof(service), "%u", port);
	int gai = getaddrinfo(host, service, &hints, &list);
	if (gai) {
		sink->why = gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai);
		return -EHOSTUNREACH;
	}
	/* A name may have several addresses (localhost: ::1 and 127.0.0.1): the first that
	 * connects wins. */
	for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		err = udp_connect(ai);
		if (err >= 0) {
			sink->fd = err;
			sink->own_fd = true;
			err = 0;
			break;
		}
	}
	freeaddrinfo(list);
	return err;
}

static int udp_close(struct tp_sink *sink)
{
	int err = 0;

	if (sink->own_fd && sink->fd >= 0 && close(sink->fd) < 0)
		err = -errno;
	sink->fd = -1;
	return err;
}

const struct tp_sink_ops tp_sink_udp_ops = {
	.name = "udp",
	.open = udp_open,
	.close = udp_close,
};
