/* udp-relay: a deterministic, misbehaving UDP relay for the end-to-end tests.
 *   udp-relay [--seed N] [--drop P] [--burst N] [--dup P] [--reorder P] [--corrupt P]
 *             [--max-delay N] [--port-file FILE] [--stats FILE] [--idle-ms MS] LISTEN_PORT HOST:PORT
 * Listens on 127.0.0.1:LISTEN_PORT (0: any free port, written with a newline to FILE.tmp and
 * renamed to FILE) and forwards every datagram to HOST:PORT ([::1]:PORT for IPv6). A seeded
 * PRNG decides, per datagram and with probability P each: drop it; corrupt it (one flipped bit);
 * send it twice; hold it back until 1..max-delay (default 3) later datagrams have been passed on.
 * With --burst N, a drop starts a burst: that datagram and the N-1 after it are dropped, and a
 * burst starts with probability P/N at each datagram outside one, so that about P of them are
 * lost, N in a row (a datagram in a burst still takes its six draws).
 * The same seed and the same input give the same output. Held datagrams go out after 50 ms
 * without input and at exit. Exits after --idle-ms (default 2000) without input once something
 * came in, or on SIGTERM/SIGINT, and writes one line of counts to --stats FILE (or stderr):
 *   received=N forwarded=N dropped=N duplicated=N reordered=N corrupted=N received_bytes=N
 *   forwarded_bytes=N
 * forwarded counts sends (duplicates twice); dropped includes datagrams the target refused for
 * 2 s; reordered counts those sent after a later one (a held one overtaken by none is not).
 * Exit status 0, 1 on a system error, 2 on a usage error. */
#include "config.h"
#include "tool.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BUFSZ (4 << 20)	/* socket buffers: the relay itself must not lose datagrams */
#define FLUSH_MS 50	/* quiet time after which held datagrams are sent */

struct held {
	unsigned char *buf;
	size_t len;
	unsigned long long idx;	/* arrival number */
	unsigned left;		/* later datagrams still to pass before this one goes */
	bool dup;
};

static double p_drop, p_dup, p_reord, p_corr;
static unsigned max_delay = 3;
static unsigned burst = 1, burst_left;	/* --burst; datagrams of the burst still to drop */
static unsigned long long n_recv_bytes, n_fwd_bytes;
static uint64_t rng;
static volatile sig_atomic_t stop;
static int out_fd;
static unsigned long long n_recv, n_fwd, n_drop, n_dup, n_reord, n_corr;
static unsigned long long max_sent;	/* arrival number of the latest datagram sent */
static bool refused;		/* the target refused everything for 2 s: don't wait again */
static struct held *held;	/* in arrival order */
static unsigned nheld;

static uint64_t next(void)	/* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool chance(uint64_t r, double p) { return (double)(r >> 11) * 0x1.0p-53 < p; }

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void nap_us(long us)
{
	struct timespec ts = { 0, us * 1000 };
	nanosleep(&ts, NULL);
}

static void on_signal(int sig) { (void)sig; stop = 1; }

const char *tool_name = "udp-relay";
const char *tool_usage = "udp-relay [--seed N] [--drop P] [--dup P] "
		"[--reorder P] [--corrupt P] [--max-delay N]\n                 [--port-file FILE] "
		"[--stats FILE] [--idle-ms MS] LISTEN_PORT HOST:PORT";

/* Sends one datagram, waiting out a full buffer. The send socket is connected, so a missing
 * receiver shows as ECONNREFUSED: from send() for an earlier datagram, or in SO_ERROR right
 * after this one (loopback delivers the ICMP error during the send). Retried for up to 2 s. */
static void send_one(const unsigned char *buf, size_t len)
{
	long long give_up = now_ms() + 2000;
	for (;;) {
		int err = 0;
		socklen_t sl = sizeof err;
		if (send(out_fd, buf, len, 0) < 0)
			err = errno;
		else if (getsockopt(out_fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
			err = 0;
		if (!err) {
			n_fwd++;
			n_fwd_bytes += len;
			refused = false;
			return;
		}
		if (err == ENOBUFS || err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
			nap_us(100);
		} else if (err == ECONNREFUSED && !refused && now_ms() < give_up) {
			nap_us(10000);
		} else if (err == ECONNREFUSED) {
			if (!refused)
				fprintf(stderr, "udp-relay: warning: target refuses datagrams, "
					"dropping them\n");
			refused = true;
			n_drop++;
			return;
		} else {
			errno = err;
			tool_die("send");
		}
	}
}

static void send_copies(const unsigned char *buf, size_t len, bool dup, unsigned long long idx)
{
	n_reord += idx < max_sent;	/* overtaken: a receiver sees it out of order */
	if (idx > max_sent)
		max_sent = idx;
	send_one(buf, len);
	if (dup)
		send_one(buf, len);
}

/* Sends the held datagrams that are due (all of them with all set), in arrival order. */
static void release(bool all)
{
	unsigned keep = 0;
	for (unsigned i = 0; i < nheld; i++) {
		if (all || held[i].left == 0) {
			send_copies(held[i].buf, held[i].len, held[i].dup, held[i].idx);
			free(held[i].buf);
		} else {
			held[keep++] = held[i];
		}
	}
	nheld = keep;
}

/* Decides the fate of one datagram (in buf, which it may change) and carries it out. */
static void relay(unsigned char *buf, size_t len)
{
	/* Six draws per datagram whatever the settings: a seed replays exactly, and each effect
	 * has its own draws (the same datagrams are dropped with or without --dup). */
	uint64_t r[6];
	for (int i = 0; i < 6; i++)
		r[i] = next();
	n_recv++;
	n_recv_bytes += len;
	if (burst_left || chance(r[0], p_drop / burst)) {
		burst_left = burst_left ? burst_left - 1 : burst - 1;
		n_drop++;
		return;
	}
	if (chance(r[1], p_corr) && len) {
		buf[(r[2] >> 3) % len] ^= (unsigned char)(1u << (r[2] & 7));
		n_corr++;
	}
	bool dup = chance(r[3], p_dup);
	n_dup += dup;
	for (unsigned i = 0; i < nheld; i++)	/* this one passes those held before it */
		held[i].left--;
	if (chance(r[4], p_reord)) {
		/* After release() every held one has left >= 1, so came within the last
		 * max_delay arrivals: the max_delay + 1 slots always suffice. */
		struct held *x = &held[nheld++];
		*x = (struct held){ malloc(len ? len : 1), len, n_recv,
				    1 + (unsigned)(r[5] % max_delay), dup };
		if (!x->buf)
			tool_die("malloc");
		memcpy(x->buf, buf, len);
	} else {
		send_copies(buf, len, dup, n_recv);
	}
	release(false);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", 1, NULL, 's' }, { "drop", 1, NULL, 'd' }, { "burst", 1, NULL, 'b' }, { "dup", 1, NULL, 'u' },
		{ "reorder", 1, NULL, 'r' }, { "corrupt", 1, NULL, 'c' },
		{ "max-delay", 1, NULL, 'm' }, { "port-file", 1, NULL, 'p' },
		{ "stats", 1, NULL, 'S' }, { "idle-ms", 1, NULL, 'i' }, { NULL, 0, NULL, 0 } };
	long long idle_ms = 2000;
	const char *port_file = NULL, *stats_file = NULL;
	for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		switch (c) {
		case 's': rng = tool_number(optarg, 0, UINT64_MAX); break;
		case 'd': p_drop = tool_prob(optarg); break;
		case 'b': burst = (unsigned)tool_number(optarg, 1, 100000); break;
		case 'u': p_dup = tool_prob(optarg); break;
		case 'r': p_reord = tool_prob(optarg); break;
		case 'c': p_corr = tool_prob(optarg); break;
		case 'm': max_delay = (unsigned)tool_number(optarg, 1, 10000); break;
		case 'p': port_file = optarg; break;
		case 'S': stats_file = optarg; break;
		case 'i': idle_ms = (long long)tool_number(optarg, 1, 86400000); break;
		default: tool_usage_error("unknown option");
		}
	}
	if (argc - optind != 2)
		tool_usage_error("expected LISTEN_PORT and HOST:PORT");
	unsigned port = (unsigned)tool_number(argv[optind], 0, 65535);

	/* The target: HOST:PORT or [ADDR]:PORT, split at the last colon. */
	char host[256], *colon = strrchr(argv[optind + 1], ':'), *h = host;
	size_t hl = colon ? (size_t)(colon - argv[optind + 1]) : 0;
	if (!hl || hl >= sizeof host || !colon[1])
		tool_usage_error("target must be HOST:PORT or [ADDR]:PORT");
	memcpy(host, argv[optind + 1], hl);
	host[hl] = 0;
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			tool_usage_error("target must be HOST:PORT or [ADDR]:PORT");
		host[hl - 1] = 0;
		h++;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV }, *ai;
	int gai = getaddrinfo(h, colon + 1, &hints, &ai);
	if (gai) {
		fprintf(stderr, "udp-relay: %s: %s\n", argv[optind + 1], gai_strerror(gai));
		return 2;
	}

	/* Two sockets: one listening on 127.0.0.1, one connected to the target (of its family,
	 * and connected so that ECONNREFUSED is reported; what the target sends back to it is
	 * never read). */
	int in_fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, big = BUFSZ;
	out_fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sin;
	if (in_fd < 0 || out_fd < 0 || bind(in_fd, (struct sockaddr *)&sin, sizeof sin) ||
	    getsockname(in_fd, (struct sockaddr *)&sin, &sl) ||
	    connect(out_fd, ai->ai_addr, ai->ai_addrlen))
		tool_die("socket");
	/* FORCE goes past net.core.[rw]mem_max when we may; else the kernel caps the size. */
	if (setsockopt(in_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big))
		setsockopt(in_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	if (setsockopt(out_fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big))
		setsockopt(out_fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	setsockopt(in_fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);	/* count kernel drops */
	if (port_file) {
		char text[16];
		snprintf(text, sizeof text, "%u\n", ntohs(sin.sin_port));
		tool_write_atomic(port_file, text);
	}
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: poll sees EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!(held = calloc(max_delay + 1, sizeof *held)))
		tool_die("calloc");

	static unsigned char buf[65536];
	char cbuf[CMSG_SPACE(sizeof(uint32_t))];
	uint32_t kernel_drops = 0;
	long long last = now_ms();
	while (!stop) {
		struct sockaddr_storage from;
		struct iovec iov = { buf, sizeof buf };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
				      .msg_iovlen = 1, .msg_control = cbuf,
				      .msg_controllen = sizeof cbuf };
		ssize_t n = recvmsg(in_fd, &msg, MSG_DONTWAIT);
		if (n < 0) {	/* nothing waiting: see to the clock, then wait a little */
			long long quiet = now_ms() - last;
			if (quiet >= FLUSH_MS)	/* input paused: let the held ones go */
				release(true);
			if (n_recv && quiet >= idle_ms)
				break;
			struct pollfd pfd = { .fd = in_fd, .events = POLLIN };
			poll(&pfd, 1, 20);	/* short, so that signals and the clock are seen */
			continue;
		}
		if (from.ss_family == ai->ai_family && !memcmp(&from, ai->ai_addr, ai->ai_addrlen))
			continue;	/* the target talking back */
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL)
				memcpy(&kernel_drops, CMSG_DATA(cm), sizeof kernel_drops);
		last = now_ms();
		relay(buf, (size_t)n);
	}
	release(true);
	if (kernel_drops)
		fprintf(stderr, "udp-relay: warning: the kernel dropped %lu datagrams before the "
			"relay read them\n", (unsigned long)kernel_drops);
	char line[320];
	snprintf(line, sizeof line, "received=%llu forwarded=%llu dropped=%llu duplicated=%llu "
		 "reordered=%llu corrupted=%llu received_bytes=%llu forwarded_bytes=%llu\n", n_recv,
		 n_fwd, n_drop, n_dup, n_reord, n_corr, n_recv_bytes, n_fwd_bytes);
	if (stats_file)
		tool_write_atomic(stats_file, line);
	else
		fputs(line, stderr);
	free(held);
	freeaddrinfo(ai);
	return 0;
}
