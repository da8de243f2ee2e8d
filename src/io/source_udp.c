/* udp://[ADDR]:PORT as input: a bound datagram socket with a large receive buffer, so that a
 * sender at its paced rate loses nothing while we are busy; SO_RXQ_OVFL tells us when the
 * kernel dropped datagrams anyway. Each read() returns one datagram. */
#include "config.h"
#include "source.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "parse.h"

#define RECEIVE_BUFFER (16 << 20)

/* Datagrams are fetched in batches with recvmmsg() (one system call for up to BATCH) and
 * handed out one per read(); the copy costs far less than the calls it saves. */
#define BATCH 32

struct udp_batch {
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	char ctrl[BATCH][CMSG_SPACE(sizeof(uint32_t))];
	unsigned n, next;           /* datagrams fetched, and the next to hand out */
	struct sockaddr_storage from[BATCH];
	/* --peer without a port: the one address datagrams are taken from (else unused) */
	bool filter;
	struct sockaddr_storage peer;
	unsigned char data[BATCH][TP_DATAGRAM_ROOM];
};

static int udp_bind(struct tp_source *src, int family, const struct sockaddr *addr, socklen_t len)
{
	int one = 1, zero = 0, size = RECEIVE_BUFFER;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (family == AF_INET6) /* "udp://:PORT" on :: takes IPv4 too */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (bind(fd, addr, len) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* "127.0.0.1:PORT" or "[::]:PORT" of the bound socket. */
static void describe_local(struct tp_source *src)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getsockname(src->fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	memcpy(&src->addr, &ss, len);
	src->addr_len = len;
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
		port = ntohs(a->sin6_port);
		snprintf(src->local, sizeof(src->local), "udp://[%s]:%u", addr, port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
		port = ntohs(a->sin_port);
		snprintf(src->local, sizeof(src->local), "udp://%s:%u", addr, port);
	}
}

/* The address part of a socket address, for comparing senders whatever their port. */
static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

/* --peer HOST[:PORT] on the bound socket fd: connected to it (with a port), or its address
 * kept for udp_read to filter by. 0 or -errno (src->why set for a name that does not
 * resolve or a malformed one). */
static int udp_set_peer(struct tp_source *src, struct udp_batch *b, const char *peer)
{
	char spec[300], host[256], service[16];
	unsigned port = 0;
	struct sockaddr_storage self;
	socklen_t self_len = sizeof(self);
	struct addrinfo *list = NULL;
	int rc;

	/* HOST:PORT, [V6]:PORT, or a bare host (an IPv6 one in brackets or not). */
	snprintf(spec, sizeof(spec), "udp://%s", peer);
	if (tp_parse_udp_endpoint(spec, host, sizeof(host), &port) != 1 || !host[0]) {
		snprintf(spec, sizeof(spec), strchr(peer, ':') && peer[0] != '[' ? "udp://[%s]:0"
			 : "udp://%s:0", peer);
		port = 0;
		if (tp_parse_udp_endpoint(spec, host, sizeof(host), &port) != 1 || !host[0]) {
			src->why = "--peer: not HOST[:PORT] (an IPv6 address in brackets)";
			return -EINVAL;
		}
	}
	if (getsockname(src->fd, (struct sockaddr *)&self, &self_len) < 0)
		return -errno;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_family = self.ss_family,
				  .ai_flags = AI_NUMERICSERV | (self.ss_family == AF_INET6 ? AI_V4MAPPED : 0) };
	snprintf(service, sizeof(service), "%u", port);
	int gai = getaddrinfo(host, service, &hints, &list);
	if (gai) {
		src->why = gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai);
		return -EADDRNOTAVAIL;
	}
	rc = 0;
	if (port) {
		if (connect(src->fd, list->ai_addr, list->ai_addrlen) < 0)
			rc = -errno;
	} else {
		memcpy(&b->peer, list->ai_addr, list->ai_addrlen);
		b->filter = true;
	}
	freeaddrinfo(list);
	return rc;
}

static int udp_open(struct tp_source *src, const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *list = NULL;
	char host[256], service[16];
	unsigned port;
	int err = -EINVAL;

	src->name = spec;
	src->pollable = true;
	src->endless = true;
	src->datagram = true;

	if (tp_parse_udp_endpoint(spec, host, sizeof(host), &port) != 1) {
		src->why = "not udp://[ADDR]:PORT (an IPv6 address goes in brackets)";
		return -EINVAL;
	}
	if (!host[0]) { /* every local address, IPv6 and IPv4 alike where the system allows */
		struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
					     .sin6_addr = IN6ADDR_ANY_INIT };
		err = udp_bind(src, AF_INET6, (struct sockaddr *)&any6, sizeof(any6));
		if (err == -EAFNOSUPPORT) {
			struct sockaddr_in any4 = { .sin_family = AF_INET,
						    .sin_port = htons((uint16_t)port) };
			err = udp_bind(src, AF_INET, (struct sockaddr *)&any4, sizeof(any4));
		}
	} else {
		snprintf(service, sizeof(service), "%u", port);
		int gai = getaddrinfo(host, service, &hints, &list);
		if (gai) {
			src->why = gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai);
			return -EADDRNOTAVAIL;
		}
		for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
			err = udp_bind(src, ai->ai_family, ai->ai_addr, ai->ai_addrlen);
			if (err >= 0)
				break;
		}
		freeaddrinfo(list);
	}
	if (err < 0)
		return err;
	src->fd = err;
	src->own_fd = true;
	describe_local(src);
	src->priv = calloc(1, sizeof(struct udp_batch));
	err = src->priv ? 0 : -ENOMEM;
	if (err == 0 && src->params.peer)
		err = udp_set_peer(src, src->priv, src->params.peer);
	if (err) {
		free(src->priv);
		src->priv = NULL;
		close(src->fd);
		src->fd = -1;
	}
	return err;
}

static int fetch(struct tp_source *src, struct udp_batch *b)
{
	for (unsigned i = 0; i < BATCH; i++) {
		b->iov[i] = (struct iovec){ b->data[i], TP_DATAGRAM_ROOM };
		b->msgs[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = &b->from[i], .msg_namelen = sizeof(b->from[i]),
			.msg_iov = &b->iov[i], .msg_iovlen = 1,
			.msg_control = b->ctrl[i], .msg_controllen = sizeof(b->ctrl[i]) } };
	}
	int n;
	do
		n = recvmmsg(src->fd, b->msgs, BATCH, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	b->n = (unsigned)n;
	b->next = 0;
	return 0;
}

/* One datagram. len must be TP_DATAGRAM_ROOM or more: a datagram cut short would lose data. */
static ssize_t udp_read(struct tp_source *src, void *buf, size_t len)
{
	struct udp_batch *b = src->priv;

	for (;;) {
		if (b->next == b->n) {
			int err = fetch(src, b);
			if (err)
				return err; /* -EAGAIN: nothing there now */
		}
		struct msghdr *mh = &b->msgs[b->next].msg_hdr;
		size_t n = b->msgs[b->next].msg_len;
		const struct sockaddr_storage *from = &b->from[b->next];
		const unsigned char *data = b->data[b->next++];
		if (mh->msg_flags & MSG_TRUNC || n > len)
			return -EMSGSIZE;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
				uint32_t drops;
				memcpy(&drops, CMSG_DATA(cm), sizeof(drops));
				src->kernel_drops = drops; /* the socket's running count */
			}
		}
		if (b->filter && !same_host(from, &b->peer)) {
			src->foreign_datagrams++;
			continue;
		}
		if (n == 0)
			continue; /* an empty datagram carries nothing, and 0 would read as the end */
		memcpy(buf, data, n);
		return (ssize_t)n;
	}
}

/* The socket's drop count as it stands now: SO_RXQ_OVFL only reports it with the next
 * datagram read, so drops after the last one (a lost END, say) would go uncounted. */
static void count_last_drops(struct tp_source *src)
{
	uint32_t info[SK_MEMINFO_VARS];
	socklen_t len = sizeof(info);

	if (getsockopt(src->fd, SOL_SOCKET, SO_MEMINFO, info, &len) == 0 &&
	    len > SK_MEMINFO_DROPS * sizeof(info[0]) && info[SK_MEMINFO_DROPS] > src->kernel_drops)
		src->kernel_drops = info[SK_MEMINFO_DROPS];
}

static void udp_close(struct tp_source *src)
{
	if (src->fd >= 0)
		count_last_drops(src);
	if (src->own_fd && src->fd >= 0)
		close(src->fd);
	src->fd = -1;
	free(src->priv);
	src->priv = NULL;
}

const struct tp_source_ops tp_source_udp_ops = {
	.name = "udp",
	.open = udp_open,
	.read = udp_read,
	.close = udp_close,
};
