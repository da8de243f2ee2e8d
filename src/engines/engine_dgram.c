/* The datagram engine, for udp:// outputs: each chunk goes out as datagrams (dgram.h), in
 * batches. Runs of equal-sized datagrams leave in one sendmsg() with UDP_SEGMENT (GSO: the
 * kernel cuts them), others through sendmmsg(); if the kernel refuses GSO once, sendmmsg()
 * does everything. Nothing is ever dropped here: ENOBUFS (a full queue, seen thanks to
 * IP_RECVERR) waits and sends again; ECONNREFUSED (an earlier datagram found nobody
 * listening), or a host or network unreachable, is counted and the same datagrams are sent
 * again. */
#include "config.h"
#include "engine.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "dgram.h"
#include "signals.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define MAX_BATCH 64             /* datagrams per call (UDP_MAX_SEGMENTS on older kernels) */
#define BACKOFF_MIN_NS 20000
#define BACKOFF_MAX_NS 2000000

struct dgram_priv {
	bool gso;                    /* UDP_SEGMENT works on this socket, as far as we know */
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
};

static int dgram_init(struct tp_engine *eng, unsigned depth)
{
	struct dgram_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->gso = true;
	eng->priv = p;
	return 0;
}

/* The socket's pending errors (ICMP port unreachable...) are queued with IP_RECVERR; read
 * them off so the queue never fills. */
static void drain_errors(int fd)
{
	char buf[256], ctrl[512];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	for (int i = 0; i < 64; i++) {
		mh.msg_control = ctrl;
		mh.msg_controllen = sizeof(ctrl);
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
	}
}

static void back_off(uint64_t *ns)
{
	struct timespec ts = { 0, (long)*ns };

	nanosleep(&ts, NULL);
	*ns = *ns * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : *ns * 2;
}

/* One sendmsg() of `count` datagrams of seg bytes (the last may be shorter) from buf, total
 * bytes, cut by the kernel. Returns count, or -errno. */
static int send_gso(int fd, const unsigned char *buf, size_t total, size_t seg, int count)
{
	char ctrl[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
	struct iovec iov = { (void *)buf, total };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (count > 1) {
		mh.msg_control = ctrl;
		mh.msg_controllen = sizeof(ctrl);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		uint16_t s = (uint16_t)seg;
		memcpy(CMSG_DATA(cm), &s, sizeof(s));
	}
	return sendmsg(fd, &mh, 0) < 0 ? -errno : count;
}

/* Sends up to MAX_BATCH datagrams from buf (avail bytes); returns the bytes sent (whole
 * datagrams), or -errno for the first datagram. */
static ssize_t send_batch(struct tp_engine *eng, const unsigned char *buf, size_t avail,
			  unsigned *sent_count)
{
	struct dgram_priv *p = eng->priv;
	const struct tp_sink *sink = eng->sink;
	size_t lens[MAX_BATCH], total = 0;
	int n = 0;

	/* With GSO: a run of equal datagrams, the last one possibly shorter. */
	size_t seg = tp_dgram_next(buf, avail, eng->dgram_size, eng->dgram_framed);
	while (n < MAX_BATCH && total < avail) {
		size_t len = tp_dgram_next(buf + total, avail - total, eng->dgram_size,
					   eng->dgram_framed);
		if (n && p->gso && (len > seg || total + len > TP_DGRAM_SEND_MAX))
			break; /* (the first one always goes, however big) */
		lens[n++] = len;
		total += len;
		if (p->gso && len < seg)
			break;
	}
	if (p->gso) {
		int rc = send_gso(sink->fd, buf, total, seg, n);
		if (rc == -EINVAL || rc == -EIO || rc == -ENOPROTOOPT || rc == -EMSGSIZE) {
			if (n > 1) { /* no GSO here after all: sendmmsg from now on */
				p->gso = false;
				return 0;
			}
		}
		if (rc < 0)
			return rc;
		*sent_count = (unsigned)n;
		return (ssize_t)total;
	}
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		p->iov[i] = (struct iovec){ (void *)(buf + off), lens[i] };
		p->msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &p->iov[i], .msg_iovlen = 1 } };
		off += lens[i];
	}
	assert(n > 0); /* a chunk's rest is at least one datagram */
	int rc = sendmmsg(sink->fd, p->msgs, (unsigned)n, 0);
	if (rc <= 0)
		return rc < 0 ? -errno : -EIO;
	off = 0;
	for (int i = 0; i < rc; i++)
		off += lens[i];
	*sent_count = (unsigned)rc;
	return (ssize_t)off;
}

static int dgram_submit(struct tp_engine *eng, struct tp_chunk *chunk)
{
	struct tp_counters *c = eng->counters;
	uint64_t backoff = BACKOFF_MIN_NS;
	size_t off = 0;

	while (off < chunk->len) {
		unsigned count = 0;
		if (tp_signals_writer_abandoned())
			return -ECANCELED; /* a full queue or a refusing host can hold us for ever */
		uint64_t t0 = tp_clock_ns();
		ssize_t n = send_batch(eng, chunk->data + off, chunk->len - off, &count);
		tp_counters_note_write(c, tp_clock_ns() - t0);
		tp_counter_add(&c->write_calls, 1);
		if (n == -ENOBUFS || n == -EAGAIN) {
			tp_counter_add(&c->send_retries, 1);
			back_off(&backoff);
			continue;
		}
		/* An earlier datagram's ICMP error, reported on this send (IP_RECVERR), which
		 * therefore did not go: count it and send again. Nobody listening, or a host or
		 * network unreachable for now (a receiver rebooting). */
		if (n == -ECONNREFUSED || n == -EHOSTUNREACH || n == -ENETUNREACH || n == -EHOSTDOWN) {
			tp_counter_add(&c->refused, 1);
			drain_errors(eng->sink->fd);
			continue;
		}
		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		backoff = BACKOFF_MIN_NS;
		tp_engine_count_out(eng, chunk->data + off, (size_t)n);
		off += (size_t)n;
		tp_counter_add(&c->datagrams, count);
	}
	return TP_ENGINE_DONE;
}

static void dgram_exit(struct tp_engine *eng)
{
	free(eng->priv);
	eng->priv = NULL;
}

const struct tp_engine_ops tp_engine_dgram_ops = {
	.name = "sendmsg",
	.flags = TP_ENGINE_SYNC | TP_ENGINE_DGRAM,
	.init = dgram_init,
	.submit = dgram_submit,
	.exit = dgram_exit,
};
