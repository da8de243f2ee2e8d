/* udp://HOST:PORT as output: a connected datagram socket. Connected, so the kernel checks the
 * destination once and reports a closed port (ECONNREFUSED) to us; IP_RECVERR, so that a full
 * queue shows as ENOBUFS instead of a silent drop (design.md section 2). */
#include "config.h"
#include "sink.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <netdb.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "parse.h"

/* Room for a few milliseconds of datagrams at high rates. */
#define SEND_BUFFER (4 << 20)
/* After the last datagram, how long a refusal (ICMP port unreachable) may take to come back:
 * microseconds on loopback, well under this on a LAN. */
#define REFUSAL_WAIT_MS 25

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
			memcpy(&sink->addr, ai->ai_addr, ai->ai_addrlen);
			sink->addr_len = ai->ai_addrlen;
			err = 0;
			break;
		}
	}
	freeaddrinfo(list);
	return err;
}

/* Whether an error the socket queued (IP_RECVERR) is a refusal; reads the queue empty. */
static bool refused_queued(int fd)
{
	char buf[64], ctrl[512];
	bool refused = false;

	for (int i = 0; i < 64; i++) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl,
				     .msg_controllen = sizeof(ctrl) };
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			struct sock_extended_err ee;
			if (cm->cmsg_len < CMSG_LEN(sizeof(ee)))
				continue;
			memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
			refused |= ee.ee_errno == ECONNREFUSED;
		}
	}
	return refused;
}

/* UDP says nothing of what arrived, but a destination where nobody listens answers with a
 * refusal: if the last datagrams drew one, the end of the stream did not get there. */
static int udp_finish(struct tp_sink *sink, uint64_t deadline_ns, uint64_t drain_ns)
{
	struct pollfd pfd = { .fd = sink->fd, .events = 0 };
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (poll(&pfd, 1, REFUSAL_WAIT_MS) <= 0 || !(pfd.revents & POLLERR))
		return 0;
	bool refused = refused_queued(sink->fd);
	if (getsockopt(sink->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == ECONNREFUSED)
		refused = true;
	if (!refused)
		return 0;
	sink->why = "nobody is listening: the destination refused the end of the stream";
	return -ECONNREFUSED;
}

const struct tp_sink_ops tp_sink_udp_ops = {
	.name = "udp",
	.open = udp_open,
	.finish = udp_finish,
	.close = tp_sink_close_own_fd,
};
