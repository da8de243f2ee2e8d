/* tp-benchio - generator, sink and latency probe for scripts/bench.
 *
 *   tp-benchio src [-P] SIZE [--pause-at BYTES --pause-ms MS [--rate BPS]]
 *                                    write SIZE bytes to stdout (1 MiB writes); with
 *                                    --pause-at, sleep once for MS after BYTES, and with
 *                                    --rate, pace those first BYTES at BPS (64 KiB writes)
 *                                    so that the middle's buffer is empty when we pause
 *   tp-benchio frames [-P] WxH COUNT [-b BUFFERS]
 *                                    write COUNT raw rgb24 frames of W*H*3 bytes to
 *                                    stdout, one write() per frame, cycling through
 *                                    BUFFERS (default 4) pre-filled frames (a diagonal
 *                                    gradient, shifted per buffer): a renderer feeding
 *                                    ffmpeg -f rawvideo
 *   tp-benchio sink [-P] [-o FILE]   read stdin to EOF (1 MiB reads), print the count
 *   tp-benchio pace-read [-P] [-o FILE] [--after-ms N | --after-gap] [--span-ms S]
 *                                    read stdin to EOF, timestamp every read, print the
 *                                    rate and the fullest 1 ms window (see do_pace_read)
 *   tp-benchio udp-timed [-p PORT] [-o FILE] [--idle-ms N]
 *                                    the same for UDP datagrams on 127.0.0.1, each timed
 *                                    by the kernel on arrival (SO_TIMESTAMPNS)
 *   tp-benchio rusage -o FILE -- CMD [ARGS...]
 *                                    run CMD, write "wall user sys" seconds (us precision)
 *   tp-benchio latency N [-t MS] -- CMD [ARGS...]
 *                                    run CMD between two pipes, send N short lines
 *                                    ~20 ms apart with its input kept open, time each
 *                                    line's round trip; print median and max in us
 *   tp-benchio wake-cost [--uring] PERIOD_US PIECE SECS
 *                                    write PIECE bytes to stdout every PERIOD_US for SECS,
 *                                    each after a timer: clock_nanosleep to an absolute
 *                                    deadline (as tpipe's writer), or with --uring an
 *                                    io_uring timeout linked before each write, 32 queued
 *                                    at once; print this process's CPU per write
 *   tp-benchio codec [-t MS] [-r REPS]
 *                                    time tpipe's CRC-32C, COBS, framer and deframer
 *                                    (libtpipe.a) in memory, one thread, and the erasure
 *                                    code (--fec, ISA-L) and sealing (--key-file,
 *                                    libsodium); print GB/s (see do_codec)
 *
 * Pipe capacities are left alone (64 KiB) unless -P raises our end's pipe to
 * /proc/sys/fs/pipe-max-size, to show what a middle gains from pipe size alone.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

#include "cobs.h"
#include "crc.h"
#include "deframe.h"
#include "fec.h"
#include "frame.h"
#include "framer.h"
#include "ring.h"
#include "seal.h"

#define BUFSZ (1024 * 1024)
#define LINE "tp-benchio ping\n" /* 16 bytes */
#define LINELEN (sizeof(LINE) - 1)

static char buf[BUFSZ];

_Noreturn static void usage(void)
{
	fprintf(stderr,
		"usage: tp-benchio src [-P] SIZE [--pause-at BYTES --pause-ms MS [--rate BPS]]\n"
		"       tp-benchio frames [-P] WxH COUNT [-b BUFFERS]\n"
		"       tp-benchio sink [-P] [-o FILE]\n"
		"       tp-benchio pace-read [-P] [-o FILE] [--after-ms N | --after-gap] [--span-ms S]\n"
		"       tp-benchio udp-timed [-p PORT] [-o FILE] [--idle-ms N]\n"
		"       tp-benchio rusage -o FILE -- CMD [ARGS...]\n"
		"       tp-benchio wake-cost [--uring] PERIOD_US PIECE SECS\n"
		"       tp-benchio latency N [-t TIMEOUT_MS] -- CMD [ARGS...]\n"
		"       tp-benchio codec [-t MS] [-r REPS]\n"
		"latency prints: median_us=M max_us=X n=N, or 'timeout after K lines'\n"
		"(exit 3) when a line does not come back within TIMEOUT_MS (default 2000)\n"
		"-P: raise the capacity of our pipe to /proc/sys/fs/pipe-max-size\n");
	exit(1);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	*out = strtoull(s, &end, 10);
	return (errno || *end) ? -1 : 0;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void grow_pipe(int fd)
{
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	int max = 0;
	if (f) {
		if (fscanf(f, "%d", &max) != 1)
			max = 0;
		fclose(f);
	}
	if (max <= 0 || fcntl(fd, F_SETPIPE_SZ, max) < 0)
		fprintf(stderr, "tp-benchio: cannot raise pipe size: %s\n", strerror(errno));
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until_ns(int64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

struct src_opts {
	uint64_t size;
	uint64_t pause_at; /* sleep once after this many bytes, if pause_ms > 0 */
	uint64_t pause_ms;
	uint64_t rate; /* bytes/s before the pause; 0 = as fast as possible */
};

static int do_src(const struct src_opts *o)
{
	for (size_t i = 0; i < BUFSZ; i++) /* not all zero, so nothing can cheat */
		buf[i] = (char)(i * 131 + (i >> 12));
	uint64_t sent = 0;
	int before_pause = o->pause_ms > 0;
	int64_t t0 = now_ns();
	while (sent < o->size) {
		uint64_t n = o->size - sent < BUFSZ ? o->size - sent : BUFSZ;
		if (before_pause) {
			if (sent >= o->pause_at) {
				sleep_until_ns(now_ns() + (int64_t)o->pause_ms * 1000000);
				before_pause = 0;
				continue;
			}
			if (n > o->pause_at - sent)
				n = o->pause_at - sent;
			if (o->rate) {
				if (n > 65536)
					n = 65536;
				sleep_until_ns(t0 + (int64_t)((double)sent * 1e9 / (double)o->rate));
			}
		}
		ssize_t w = write(STDOUT_FILENO, buf, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			perror("tp-benchio: write");
			return 1;
		}
		sent += (uint64_t)w;
	}
	return 0;
}

#define FRAMES_MAX_BUFS 64

/* COUNT frames of w*h*3 bytes, one write() call per frame (retried for the rest when short),
 * cycling through nb buffers filled before the first write. Buffer b holds a diagonal
 * gradient, pixel (x, y) = (x + y + 40 b) * (1, 2, 3) mod 256, so consecutive frames differ.
 * Each row is a slice of one long gradient row, so filling costs a memcpy per row. */
static int do_frames(uint64_t w, uint64_t h, uint64_t count, uint64_t nb)
{
	size_t row = (size_t)(w * 3), fsz = row * (size_t)h;
	size_t span = (size_t)(w + h + 40 * nb);
	unsigned char *grad = malloc(span * 3);
	unsigned char *bufs[FRAMES_MAX_BUFS];
	if (!grad) {
		perror("tp-benchio: malloc");
		return 1;
	}
	for (size_t i = 0; i < span; i++) {
		grad[3 * i] = (unsigned char)i;
		grad[3 * i + 1] = (unsigned char)(2 * i);
		grad[3 * i + 2] = (unsigned char)(3 * i + 1);
	}
	for (uint64_t b = 0; b < nb; b++) {
		bufs[b] = malloc(fsz);
		if (!bufs[b]) {
			perror("tp-benchio: malloc");
			return 1;
		}
		for (uint64_t y = 0; y < h; y++)
			memcpy(bufs[b] + y * row, grad + 3 * (y + 40 * b), row);
	}
	free(grad);
	for (uint64_t f = 0; f < count; f++) {
		const unsigned char *p = bufs[f % nb];
		size_t left = fsz;
		while (left) {
			ssize_t r = write(STDOUT_FILENO, p, left);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				perror("tp-benchio: write");
				return 1;
			}
			p += r;
			left -= (size_t)r;
		}
	}
	for (uint64_t b = 0; b < nb; b++)
		free(bufs[b]);
	return 0;
}

/* One read of standard input into buf, retried on EINTR; -1 after reporting an error. */
static ssize_t read_in(void)
{
	ssize_t r;

	do
		r = read(STDIN_FILENO, buf, BUFSZ);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		perror("tp-benchio: read");
	return r;
}

static int do_sink(const char *outpath)
{
	uint64_t total = 0;
	for (;;) {
		ssize_t r = read_in();
		if (r < 0)
			return 1;
		if (r == 0)
			break;
		total += (uint64_t)r;
	}
	FILE *f = outpath ? fopen(outpath, "w") : stderr;
	if (!f) {
		perror(outpath);
		return 1;
	}
	fprintf(f, "%" PRIu64 "\n", total);
	return (f != stderr && fclose(f) != 0) ? 1 : 0;
}

/* One read: when it returned (ns after the first read) and how many bytes it brought. */
struct ev {
	int64_t t;
	uint64_t n;
};

/* The reads so far, times kept from the first one's. */
struct evlog {
	struct ev *e;
	size_t n, cap;
	int64_t t0;
};

/* Records `bytes` arriving at t (any one clock). 0, or 1 when out of memory (said). */
static int ev_add(struct evlog *l, int64_t t, uint64_t bytes)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1 << 16;
		struct ev *e = realloc(l->e, cap * sizeof(*e));
		if (!e) {
			perror("tp-benchio");
			return 1;
		}
		l->e = e;
		l->cap = cap;
	}
	if (l->n == 0)
		l->t0 = t;
	l->e[l->n++] = (struct ev){ .t = t - l->t0, .n = bytes };
	return 0;
}

/* The most bytes in any window [e[i].t, e[i].t + w) whose start e[i].t lies in [lo, hi);
 * *at gets that start. A window holding the most bytes can always be slid right until
 * it starts at a read, so trying the reads' times as starts covers every window. */
static uint64_t max_window(const struct ev *e, size_t n, int64_t w, int64_t lo, int64_t hi,
			   int64_t *at)
{
	uint64_t best = 0, sum = 0;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		while (j < n && e[j].t < e[i].t + w)
			sum += e[j++].n;
		if (e[i].t >= lo && e[i].t < hi && sum > best) {
			best = sum;
			*at = e[i].t;
		}
		sum -= e[i].n;
	}
	return best;
}

static uint64_t bytes_between(const struct ev *e, size_t n, int64_t lo, int64_t hi)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		if (e[i].t >= lo && e[i].t < hi)
			sum += e[i].n;
	return sum;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Read stdin to EOF and print, on one line of key=value pairs:
 *   bytes, reads, dur_s (first read to last), avg_Bps = bytes / dur_s,
 *   fit_Bps   least-squares slope of the bytes received so far, sampled every 1 ms:
 *             the long-run rate, not biased by a sender's burst granularity the way
 *             bytes / dur_s is (a sender of 100 ms bursts over 3 s reads 3 % fast there),
 *   max1ms    the most bytes in any 1 ms window (sliding), and max1ms_at (ms) where,
 *   bin_max1ms, bin_p99_1ms   the same over 1 ms bins aligned to the first read;
 * and with a phase (--after-ms N: N ms after the first read; --after-gap: the first read
 * after the longest silence between two reads, gap_ms): after_ms, after_max1ms (windows
 * starting in the first S ms of the phase, --span-ms, default 1000), and the bytes
 * received in its first 100 ms, 500 ms and S ms. */
static int pace_report(const char *outpath, struct ev *e, size_t n, int64_t after_ns,
		       int after_gap, int64_t span_ns);

static int do_pace_read(const char *outpath, int64_t after_ns, int after_gap, int64_t span_ns)
{
	struct evlog l = { 0 };

	for (;;) {
		ssize_t r = read_in();
		int64_t t = now_ns();
		if (r < 0)
			return 1;
		if (r == 0)
			break;
		if (ev_add(&l, t, (uint64_t)r))
			return 1;
	}
	return pace_report(outpath, l.e, l.n, after_ns, after_gap, span_ns);
}

/* do_pace_read's and do_udp_timed's report on n events (times from the first), which it
 * frees. */
static int pace_report(const char *outpath, struct ev *e, size_t n, int64_t after_ns,
		       int after_gap, int64_t span_ns)
{
	FILE *f = outpath ? fopen(outpath, "w") : stdout;
	if (!f) {
		perror(outpath);
		return 1;
	}
	if (n == 0) {
		fprintf(f, "bytes=0 reads=0\n");
		return (f != stdout && fclose(f) != 0) ? 1 : 0;
	}

	const int64_t ms = 1000000;
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += e[i].n;
	int64_t dur = e[n - 1].t;

	/* Rate by least squares over the cumulative count at 0, 1, ..., K ms. */
	int64_t K = dur / ms;
	double fit = 0;
	if (K >= 2) {
		double xm = K / 2.0, sxy = 0, sxx = 0, cum = 0;
		size_t i = 0;
		for (int64_t k = 0; k <= K; k++) {
			while (i < n && e[i].t <= k * ms)
				cum += (double)e[i++].n;
			sxy += (k - xm) * cum;
			sxx += (k - xm) * (k - xm);
		}
		fit = sxy / sxx * 1000;
	}

	/* 1 ms bins from the first read. */
	size_t nb = (size_t)(dur / ms) + 1;
	uint64_t *bins = calloc(nb, sizeof(*bins));
	if (!bins) {
		perror("tp-benchio");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		bins[e[i].t / ms] += e[i].n;
	qsort(bins, nb, sizeof(*bins), cmp_u64);

	int64_t at = 0;
	uint64_t mx = max_window(e, n, ms, 0, INT64_MAX, &at);
	fprintf(f,
		"bytes=%" PRIu64 " reads=%zu dur_s=%.6f avg_Bps=%.0f fit_Bps=%.0f max1ms=%" PRIu64
		" max1ms_at=%.1f bin_max1ms=%" PRIu64 " bin_p99_1ms=%" PRIu64,
		total, n, dur / 1e9, dur > 0 ? total / (dur / 1e9) : 0.0, fit, mx, at / 1e6,
		bins[nb - 1], bins[(size_t)((nb - 1) * 0.99)]);
	free(bins);

	if (after_gap || after_ns >= 0) {
		int64_t start = after_ns, gap = 0;
		if (after_gap) {
			start = 0;
			for (size_t i = 1; i < n; i++)
				if (e[i].t - e[i - 1].t > gap) {
					gap = e[i].t - e[i - 1].t;
					start = e[i].t;
				}
			fprintf(f, " gap_ms=%.3f", gap / 1e6);
		}
		at = start;
		mx = max_window(e, n, ms, start, start + span_ns, &at);
		fprintf(f,
			" after_ms=%.3f after_max1ms=%" PRIu64 " after_max1ms_at=%.1f"
			" after_100ms=%" PRIu64 " after_500ms=%" PRIu64 " after_span=%" PRIu64,
			start / 1e6, mx, at / 1e6, bytes_between(e, n, start, start + 100 * ms),
			bytes_between(e, n, start, start + 500 * ms),
			bytes_between(e, n, start, start + span_ns));
	}
	fprintf(f, "\n");
	free(e);
	return (f != stdout && fclose(f) != 0) ? 1 : 0;
}

/* Receive UDP datagrams on 127.0.0.1:port (0: any free port, said on stderr as "listening
 * on udp://127.0.0.1:PORT") and report as pace-read does, each datagram timed by the kernel
 * when it arrived (SO_TIMESTAMPNS), so that a late wake-up of this reader cannot merge
 * datagrams that were sent apart: pacing as the network sees it. Ends idle_ms after the
 * last datagram (once one came). */
static int do_udp_timed(const char *outpath, unsigned port, int64_t idle_ms)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1, rcvbuf = 64 << 20;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("tp-benchio udp-timed");
		return 1;
	}
	/* As much queue as the kernel grants, so the measurement is not lossy itself. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	fprintf(stderr, "tp-benchio: listening on udp://127.0.0.1:%u\n", ntohs(sa.sin_port));
	struct evlog l = { 0 };
	static unsigned char data[65536];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int rc = poll(&pfd, 1, l.n ? (int)idle_ms : -1);
		if (rc == 0)
			break;
		if (rc < 0) {
			perror("tp-benchio udp-timed: poll");
			return 1;
		}
		char ctrl[CMSG_SPACE(sizeof(struct timespec))];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl,
				     .msg_controllen = sizeof(ctrl) };
		ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (r < 0)
			continue;
		/* The kernel's stamp is CLOCK_REALTIME: so is the stand-in for a datagram without. */
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		int64_t t = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
			}
		if (ev_add(&l, t, (uint64_t)r))
			return 1;
	}
	close(fd);
	return pace_report(outpath, l.e, l.n, -1, 0, 0);
}

/* Run cmd; write its wall time and the user and system CPU of it and every descendant
 * it waited for, in seconds. Exits with cmd's status (128 + signal if killed). */
static int do_rusage(const char *outpath, char **cmd)
{
	int64_t t0 = now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		perror("tp-benchio: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "tp-benchio: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("tp-benchio: wait4");
			return 1;
		}
	double wall = (now_ns() - t0) / 1e9;
	FILE *f = fopen(outpath, "w");
	if (!f) {
		perror(outpath);
		return 1;
	}
	fprintf(f, "%.6f %.6f %.6f\n", wall, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	if (fclose(f) != 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Read exactly len bytes from fd before deadline (us): 0 ok, -1 timeout, -2 EOF/error. */
static int read_until(int fd, char *p, size_t len, double deadline)
{
	while (len > 0) {
		double left = deadline - now_us();
		if (left <= 0)
			return -1;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int pr = poll(&pfd, 1, (int)(left / 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		ssize_t r = read(fd, p, len);
		if (r <= 0)
			return -2;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int do_latency(unsigned n, int timeout_ms, char **cmd)
{
	int in[2], out[2]; /* in: us -> child stdin; out: child stdout -> us */
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		perror("tp-benchio: pipe");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	pid_t pid = fork();
	if (pid < 0) {
		perror("tp-benchio: fork");
		return 1;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(cmd[0], cmd);
		fprintf(stderr, "tp-benchio: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);

	double *lat = calloc(n, sizeof(*lat));
	unsigned done = 0;
	int rc = 0;
	char back[LINELEN];
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	if (!lat)
		return 1;
	for (; done < n; done++) {
		nanosleep(&pause, NULL);
		double t0 = now_us();
		if (write(in[1], LINE, LINELEN) != (ssize_t)LINELEN) {
			perror("tp-benchio: write to command");
			rc = 1;
			break;
		}
		int r = read_until(out[0], back, LINELEN, t0 + timeout_ms * 1000.0);
		if (r == -1) {
			printf("timeout after %u lines (>%d ms)\n", done, timeout_ms);
			rc = 3;
			break;
		}
		if (r < 0) {
			fprintf(stderr, "tp-benchio: command closed its output\n");
			rc = 1;
			break;
		}
		lat[done] = now_us() - t0;
		if (memcmp(back, LINE, LINELEN)) {
			fprintf(stderr, "tp-benchio: line came back altered\n");
			rc = 1;
			break;
		}
	}
	close(in[1]);
	/* Drain to EOF for a bounded time, then make sure the child is gone. */
	double deadline = now_us() + timeout_ms * 1000.0;
	while (read_until(out[0], back, 1, deadline) == 0)
		;
	int status;
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (rc == 0) {
		qsort(lat, n, sizeof(*lat), cmp_double);
		double med = n % 2 ? lat[n / 2] : (lat[n / 2 - 1] + lat[n / 2]) / 2;
		printf("median_us=%.0f max_us=%.0f n=%u\n", med, lat[n - 1], n);
	}
	free(lat);
	return rc;
}

/* ---- codec: in-memory throughput of the frame machinery (libtpipe.a) ----
 *
 * Every test processes data that is already in the cache (1-4 MiB; this machine's L2 is
 * 1 MiB a core, its L3 32 MiB), on one thread, with no I/O: the ceiling each stage puts on a
 * pipe. Each test runs once to warm up, then REPS times for at least MS ms each; printed per
 * test, tab-separated: name, median, min and max GB/s (10^9 bytes/s of input for CRC and
 * COBS, of payload for the framer and deframer), and what it did. */

#define KIB ((size_t)1024)
#define MIB (1024 * KIB)
#define CODEC_BUF MIB           /* the CRC and COBS buffer */
#define CODEC_FRAME (64 * KIB)  /* tpipe's stream frame size (-F on a pipe) */
#define CODEC_DGRAM 1444u       /* tpipe's framed UDP payload (1472-byte datagrams) */
#define CODEC_STREAM (4 * MIB)  /* payload framed for the deframer test */
#define CODEC_MAX_REPS 64

static struct {
	unsigned char *rnd;      /* CODEC_BUF random bytes */
	unsigned char *out;      /* scratch output */
	unsigned char *enc;      /* the CODEC_BUF / CODEC_FRAME frames of rnd, COBS-encoded */
	size_t enc_len[CODEC_BUF / CODEC_FRAME];
	size_t enc_at[CODEC_BUF / CODEC_FRAME];
	struct tp_chunk chunk;   /* one ring chunk, for the framer tests */
	struct tp_framer fr;
	size_t src_pos;          /* where in rnd the framer reads next */
	unsigned char *stream;   /* CODEC_STREAM of payload, framed for a byte stream */
	size_t stream_len;
	unsigned char *dgrams;   /* a chunk of UDP frames, back to back */
	size_t dgram_at[MIB / CODEC_DGRAM + 16], dgram_len[MIB / CODEC_DGRAM + 16];
	size_t ndgrams;
	uint64_t dgram_payload;
	struct tp_rx_stats stats;
	struct tp_deframer df;
	struct tp_deframer df_room; /* the same with a destination: the chunk below */
	unsigned char *rx;       /* a 1 MiB chunk the receiver's payloads go into, as -D's */
	size_t rx_len;
	uint64_t got;            /* DATA payload bytes the deframer passed on */
	uint32_t crc;            /* results land here, so no test can be optimised away */
} cx;

static volatile uint32_t codec_sink;

static uint32_t crc_tab[8][256];

static void crc_tab_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1; /* CRC-32C, reflected */
		crc_tab[0][i] = c;
	}
	for (unsigned i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

/* A plain table CRC-32C, one byte a step (Sarwate), chained like tp_crc32c. */
static uint32_t crc_bytewise(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n--)
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* Slice-by-8: eight table lookups per 8 bytes (little-endian hosts). */
static uint32_t crc_slice8(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		w ^= crc;
		crc = crc_tab[7][w & 0xff] ^ crc_tab[6][(w >> 8) & 0xff] ^
		      crc_tab[5][(w >> 16) & 0xff] ^ crc_tab[4][(w >> 24) & 0xff] ^
		      crc_tab[3][(w >> 32) & 0xff] ^ crc_tab[2][(w >> 40) & 0xff] ^
		      crc_tab[1][(w >> 48) & 0xff] ^ crc_tab[0][w >> 56];
	}
	while (n--)
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint64_t t_crc_1m(void)
{
	cx.crc ^= tp_crc32c(0, cx.rnd, CODEC_BUF);
	return CODEC_BUF;
}

static uint64_t t_crc_64k(void)
{
	uint32_t c = 0;
	for (size_t at = 0; at < CODEC_BUF; at += 64 * KIB)
		c = tp_crc32c(c, cx.rnd + at, 64 * KIB);
	cx.crc ^= c;
	return CODEC_BUF;
}

static uint64_t t_crc_64k_hot(void)
{
	cx.crc ^= tp_crc32c(0, cx.rnd, 64 * KIB);
	return 64 * KIB;
}

static uint64_t t_crc_dgram(void)
{
	size_t at = 0;
	for (; at + CODEC_DGRAM + TP_FRAME_HDR_SIZE <= CODEC_BUF; at += CODEC_DGRAM + TP_FRAME_HDR_SIZE)
		cx.crc ^= tp_crc32c(0, cx.rnd + at, CODEC_DGRAM + TP_FRAME_HDR_SIZE);
	return at;
}

static uint64_t t_crc_slice8(void)
{
	cx.crc ^= crc_slice8(0, cx.rnd, CODEC_BUF);
	return CODEC_BUF;
}

static uint64_t t_crc_bytewise(void)
{
	cx.crc ^= crc_bytewise(0, cx.rnd, CODEC_BUF);
	return CODEC_BUF;
}

static uint64_t t_memcpy(void)
{
	memcpy(cx.out, cx.rnd, CODEC_BUF);
	cx.crc ^= cx.out[cx.crc & (CODEC_BUF - 1)];
	return CODEC_BUF;
}

static uint64_t t_cobs_encode(void)
{
	size_t o = 0;
	for (size_t at = 0; at < CODEC_BUF; at += CODEC_FRAME)
		o += tp_cobs_encode(cx.out + o, cx.rnd + at, CODEC_FRAME);
	cx.crc ^= (uint32_t)o;
	return CODEC_BUF;
}

static uint64_t t_cobs_decode(void)
{
	size_t o = 0;
	for (size_t i = 0; i < CODEC_BUF / CODEC_FRAME; i++) {
		ssize_t n = tp_cobs_decode(cx.out + o, cx.enc + cx.enc_at[i], cx.enc_len[i]);
		o += (size_t)n;
	}
	cx.crc ^= (uint32_t)o;
	return CODEC_BUF;
}

/* What tpipe -F's reader does per chunk: read (here memcpy) into the place the framer gives,
 * tell it how much came; it seals each full frame (CRC) and, on a stream, COBS-encodes it in
 * place. Fills one chunk; returns the payload bytes framed. */
static uint64_t fill_chunk(void)
{
	unsigned char *at;
	size_t room;
	uint64_t total = 0;

	cx.chunk.len = 0;
	while ((room = tp_framer_room(&cx.fr, &cx.chunk, &at)) > 0) {
		size_t n = CODEC_BUF - cx.src_pos;
		if (n > room)
			n = room;
		memcpy(at, cx.rnd + cx.src_pos, n);
		tp_framer_add(&cx.fr, &cx.chunk, n);
		cx.src_pos = (cx.src_pos + n) % CODEC_BUF;
		total += n;
	}
	return total;
}

static uint64_t t_framer(void)
{
	return fill_chunk();
}

static int count_data(void *ctx, const struct tp_frame *f)
{
	(void)ctx;
	if (f->type == TP_FRAME_DATA)
		cx.got += f->len;
	return 0;
}

/* tpipe -D's emit: DATA payloads appended to the chunk, a new one begun when it is full
 * (payloads already at its tail, decoded there, are only counted in). */
static int append_data(void *ctx, const struct tp_frame *f)
{
	(void)ctx;
	if (f->type != TP_FRAME_DATA)
		return 0;
	if (MIB - cx.rx_len < f->len)
		cx.rx_len = 0;
	if (f->payload != cx.rx + cx.rx_len)
		memcpy(cx.rx + cx.rx_len, f->payload, f->len);
	cx.rx_len += f->len;
	cx.got += f->len;
	return 0;
}

/* tpipe -D's destination: the chunk's tail, a new chunk when it has too little room. */
static unsigned char *rx_tail(void *ctx, size_t len)
{
	(void)ctx;
	if (MIB - cx.rx_len < len)
		cx.rx_len = 0;
	return cx.rx + cx.rx_len;
}

static uint64_t feed_stream(struct tp_deframer *df)
{
	uint64_t before = cx.got;
	for (size_t at = 0; at < cx.stream_len; at += MIB) {
		size_t n = cx.stream_len - at < MIB ? cx.stream_len - at : MIB;
		tp_deframe_stream(df, cx.stream + at, n);
	}
	return cx.got - before;
}

/* -D's deframer and emit as before: decoded in the deframer's buffer, copied to the chunk. */
static uint64_t t_deframe_copy(void)
{
	return feed_stream(&cx.df);
}

/* -D's deframer and emit now: decoded straight into the chunk. */
static uint64_t t_deframe_room(void)
{
	return feed_stream(&cx.df_room);
}

/* tpipe -D on a pipe: the deframer over the framed stream in 1 MiB reads (the chunk size). */
static uint64_t t_deframe_stream(void)
{
	uint64_t before = cx.got;
	for (size_t at = 0; at < cx.stream_len; at += MIB) {
		size_t n = cx.stream_len - at < MIB ? cx.stream_len - at : MIB;
		tp_deframe_stream(&cx.df, cx.stream + at, n);
	}
	return cx.got - before;
}

static uint64_t t_deframe_dgram(void)
{
	uint64_t before = cx.got;
	for (size_t i = 0; i < cx.ndgrams; i++)
		tp_deframe_datagram(&cx.df, cx.dgrams + cx.dgram_at[i], cx.dgram_len[i]);
	return cx.got - before;
}

static void framer_setup(bool stream, size_t payload)
{
	struct tp_frame_meta meta = { .total = TP_FRAME_TOTAL_UNKNOWN,
				      .frame_size = (uint32_t)payload };
	/* META every 16 MiB of payload, as tpipe tunes it */
	uint32_t every = (uint32_t)(16 * MIB / payload);
	tp_framer_init(&cx.fr, stream, payload, 0x12345678u, every, &meta);
	cx.src_pos = 0;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void time_test(const char *name, uint64_t (*fn)(void), int64_t ms, unsigned reps,
		      const char *what)
{
	double g[CODEC_MAX_REPS];

	fn(); /* warm up: caches, page faults, the branch predictor */
	for (unsigned r = 0; r < reps; r++) {
		uint64_t bytes = 0;
		int64_t t0 = now_ns(), t;
		do {
			bytes += fn();
			t = now_ns();
		} while (t - t0 < ms * 1000000);
		g[r] = (double)bytes / (double)(t - t0); /* bytes per ns = GB/s */
	}
	qsort(g, reps, sizeof(g[0]), cmp_dbl);
	double med = reps % 2 ? g[reps / 2] : (g[reps / 2 - 1] + g[reps / 2]) / 2;
	printf("%s\t%.3f\t%.3f\t%.3f\t%s\n", name, med, g[0], g[reps - 1], what);
	fflush(stdout);
}

static void *codec_alloc(size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, 4096, n)) {
		perror("tp-benchio");
		exit(1);
	}
	memset(p, 0, n); /* fault the pages in now */
	return p;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

#define WAKE_DEPTH 32

/* With io_uring, a timeout (absolute, ETIME counted as success) linked before each write,
 * WAKE_DEPTH pairs queued, reaped half a queue at a time: the kernel times the writes and
 * the thread returns to user space once per 16 of them. */
static int wake_uring(uint64_t t0, uint64_t period, size_t piece, uint64_t n)
{
#ifdef HAVE_LIBURING
	struct io_uring ring;
	static struct __kernel_timespec ts[WAKE_DEPTH];
	uint64_t queued = 0, done = 0;

	if (io_uring_queue_init(2 * WAKE_DEPTH, &ring, 0) < 0)
		return -1;
	while (done < n) {
		while (queued < n && queued - done < WAKE_DEPTH) {
			uint64_t at = t0 + queued * period;
			struct __kernel_timespec *t = &ts[queued % WAKE_DEPTH];
			t->tv_sec = (long long)(at / 1000000000u);
			t->tv_nsec = (long long)(at % 1000000000u);
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			io_uring_prep_timeout(sqe, t, 0, IORING_TIMEOUT_ABS | IORING_TIMEOUT_ETIME_SUCCESS);
			sqe->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
			sqe->user_data = 0;
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_write(sqe, STDOUT_FILENO, buf, (unsigned)piece, (uint64_t)-1);
			sqe->user_data = 1;
			queued++;
		}
		uint64_t want = queued - done < WAKE_DEPTH / 2 ? queued - done : WAKE_DEPTH / 2;
		if (io_uring_submit_and_wait(&ring, (unsigned)want) < 0)
			return -1;
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			if (cqe->user_data == 1 && cqe->res != (int)piece)
				return -1;
			done += cqe->user_data == 1;
			seen++;
		}
		io_uring_cq_advance(&ring, seen);
	}
	io_uring_queue_exit(&ring);
	return 0;
#else
	(void)t0, (void)period, (void)piece, (void)n;
	errno = ENOSYS;
	return -1;
#endif
}

static int do_wake_cost(bool uring, uint64_t period_us, size_t piece, uint64_t secs)
{
	uint64_t period = period_us * 1000u, n = secs * 1000000u / period_us;
	double c0 = cpu_s();
	uint64_t t0 = (uint64_t)now_ns();
	int rc = 0;

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* as tpipe's writer */
	if (uring) {
		rc = wake_uring(t0, period, piece, n);
	} else {
		for (uint64_t i = 0; i < n && rc == 0; i++) {
			sleep_until_ns((int64_t)(t0 + i * period));
			if (write(STDOUT_FILENO, buf, piece) != (ssize_t)piece)
				rc = -1;
		}
	}
	if (rc) {
		fprintf(stderr, "tp-benchio: wake-cost: %s\n", strerror(errno));
		return 1;
	}
	double wall = (double)((uint64_t)now_ns() - t0) / 1e9, cpu = cpu_s() - c0;
	fprintf(stderr, "writes=%" PRIu64 " wall_s=%.3f cpu_s=%.4f cpu_pct=%.2f us_per_write=%.2f\n",
		n, wall, cpu, 100 * cpu / wall, 1e6 * cpu / (double)n);
	return 0;
}

/* Sealed frames (--key-file): one frame of sx.len payload bytes sealed, or opened, again and
 * again (in place, as tpipe does). */
static struct {
	struct tp_sealer *sealer;
	unsigned char *buf;
	size_t len;
	struct tp_frame sealed;   /* the frame as sealed, for t_open */
} sx;

static uint64_t t_seal(void)
{
	struct tp_frame f = { .type = TP_FRAME_DATA, .session = 1, .len = (uint32_t)sx.len };

	tp_seal_frame(sx.sealer, sx.buf, &f);
	return sx.len;
}

/* A frame sealed, then checked and opened, as the two ends of a link do: an open on its
 * own cannot be repeated in place (the payload is plaintext after it). The open's share is
 * this pair's time less t_seal's. */
static uint64_t t_seal_open(void)
{
	struct tp_frame f = { .type = TP_FRAME_DATA, .session = 1, .len = (uint32_t)sx.len }, g;
	size_t n = tp_seal_frame(sx.sealer, sx.buf, &f);

	if (tp_frame_open(sx.buf, n, &sx.sealed) != TP_FRAME_OK ||
	    tp_seal_open(sx.sealer, &sx.sealed, sx.buf + TP_FRAME_HDR_SIZE, &g) != 0) {
		fprintf(stderr, "tp-benchio: a sealed frame does not open\n");
		exit(1);
	}
	return sx.len;
}

/* Each cipher this CPU has: seal_C_LEN and seal_open_C_LEN (C: xchacha or aes). */
static int time_seal(size_t len, int64_t ms, unsigned reps)
{
	static const struct { enum tp_cipher cipher; const char *tag; } ciphers[] = {
		{ TP_CIPHER_XCHACHA20, "xchacha" }, { TP_CIPHER_AES256GCM, "aes" } };
	unsigned char key[TP_SEAL_KEY_SIZE] = { 1 };
	char name[40], what[160];

	if (tp_seal_library_init()) {
		fprintf(stderr, "tp-benchio: libsodium did not start\n");
		return 1;
	}
	sx.len = len;
	sx.buf = codec_alloc(tp_frame_size(len) + TP_SEAL_OVERHEAD);
	memcpy(sx.buf + TP_FRAME_HDR_SIZE, cx.rnd, len < CODEC_BUF ? len : CODEC_BUF);
	for (unsigned i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		const char *cname = tp_seal_cipher_name(ciphers[i].cipher);

		if (!tp_seal_cipher_available(ciphers[i].cipher))
			continue;
		if (tp_sealer_new(&sx.sealer, key, ciphers[i].cipher, 1)) {
			fprintf(stderr, "tp-benchio: no sealer\n");
			free(sx.buf);
			return 1;
		}
		snprintf(name, sizeof(name), "seal_%s_%zu", ciphers[i].tag, len);
		snprintf(what, sizeof(what), "tp_seal_frame: %s in place + CRC, %zu-byte payloads "
			 "(payload GB/s)", cname, len);
		time_test(name, t_seal, ms, reps, what);
		snprintf(name, sizeof(name), "seal_open_%s_%zu", ciphers[i].tag, len);
		snprintf(what, sizeof(what), "%s: tp_seal_frame then tp_frame_open + tp_seal_open "
			 "in place, %zu-byte payloads (payload GB/s of the pair)", cname, len);
		time_test(name, t_seal_open, ms, reps, what);
		tp_sealer_free(sx.sealer);
		sx.sealer = NULL;
	}
	free(sx.buf);
	return 0;
}

/* The erasure code's test: one group of k data symbols and m parity symbols. */
static struct {
	struct tp_fec_code code;
	size_t sym_len;
	unsigned char *sym[TP_FEC_MAX_SYMBOLS]; /* k data, then m parity */
	unsigned char *saved;                   /* the data symbols, to check a rebuild */
	bool have[TP_FEC_MAX_SYMBOLS];
} fx;

/* Encodes the group's k data symbols into m parity symbols, as the framer does: each data
 * symbol folded in as it is framed. Returns the data bytes. */
static uint64_t t_fec_encode(void)
{
	unsigned k = fx.code.k, m = fx.code.m;

	for (unsigned j = 0; j < m; j++)
		memset(fx.sym[k + j], 0, fx.sym_len);
	for (unsigned i = 0; i < k; i++)
		tp_fec_encode_add(&fx.code, i, fx.sym[i], fx.sym_len, fx.sym + k);
	return (uint64_t)k * fx.sym_len;
}

/* Rebuilds the first m data symbols from the other k - m and the m parity symbols: the worst
 * a group can lose and still be repaired. Returns the group's data bytes. */
static uint64_t t_fec_decode(void)
{
	if (tp_fec_decode(&fx.code, fx.have, fx.sym, fx.sym_len) < 0) {
		fprintf(stderr, "tp-benchio: tp_fec_decode failed\n");
		exit(1);
	}
	return (uint64_t)fx.code.k * fx.sym_len;
}

/* Times --fec K+M on symbols of sym_len bytes: encoding, then the rebuild of m lost data
 * symbols (checked first against the originals). */
static int time_fec(unsigned k, unsigned m, size_t sym_len, int64_t ms, unsigned reps)
{
	char name[40], what[160];

	if (tp_fec_code_init(&fx.code, k, m) < 0) {
		fprintf(stderr, "tp-benchio: tp_fec_code_init(%u, %u) failed\n", k, m);
		return 1;
	}
	fx.sym_len = sym_len;
	fx.saved = codec_alloc((size_t)k * sym_len);
	for (unsigned i = 0; i < k + m; i++) {
		fx.sym[i] = codec_alloc(sym_len);
		if (i < k)
			for (size_t b = 0; b < sym_len; b++)
				fx.sym[i][b] = cx.rnd[((size_t)i * sym_len + b) % CODEC_BUF];
		fx.have[i] = i >= m;
	}
	for (unsigned i = 0; i < k; i++)
		memcpy(fx.saved + (size_t)i * sym_len, fx.sym[i], sym_len);
	snprintf(name, sizeof(name), "fec_encode_%u+%u_%zu", k, m, sym_len);
	snprintf(what, sizeof(what),
		 "tp_fec_encode_add: --fec %u+%u, %zu-byte symbols, %u parity from %u data (data GB/s)",
		 k, m, sym_len, m, k);
	time_test(name, t_fec_encode, ms, reps, what);

	for (unsigned i = 0; i < m; i++)
		memset(fx.sym[i], 0xA5, sym_len);
	t_fec_decode();
	if (memcmp(fx.saved, fx.sym[0], sym_len) ||
	    memcmp(fx.saved + (size_t)(m - 1) * sym_len, fx.sym[m - 1], sym_len)) {
		fprintf(stderr, "tp-benchio: --fec %u+%u does not rebuild its data\n", k, m);
		return 1;
	}
	snprintf(name, sizeof(name), "fec_decode_%u+%u_%zu", k, m, sym_len);
	snprintf(what, sizeof(what),
		 "tp_fec_decode: --fec %u+%u, %zu-byte symbols, %u data symbols lost, rebuilt (group data GB/s)",
		 k, m, sym_len, m);
	time_test(name, t_fec_decode, ms, reps, what);

	for (unsigned i = 0; i < k + m; i++)
		free(fx.sym[i]);
	free(fx.saved);
	tp_fec_code_destroy(&fx.code);
	return 0;
}
static int do_codec(int64_t ms, unsigned reps)
{
	uint64_t x = 0x9E3779B97F4A7C15u;

	crc_tab_init();
	cx.rnd = codec_alloc(CODEC_BUF);
	cx.out = codec_alloc(2 * CODEC_BUF);
	cx.enc = codec_alloc(2 * CODEC_BUF);
	for (size_t i = 0; i < CODEC_BUF; i += 8) { /* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(cx.rnd + i, &x, 8);
	}

	/* Known answers before any timing: the three CRCs agree, COBS round-trips. */
	static const unsigned char check[] = "123456789";
	if (tp_crc32c(0, check, 9) != 0xE3069283u || crc_bytewise(0, check, 9) != 0xE3069283u ||
	    crc_slice8(0, check, 9) != 0xE3069283u ||
	    crc_slice8(0, cx.rnd, CODEC_BUF) != tp_crc32c(0, cx.rnd, CODEC_BUF) ||
	    crc_bytewise(0, cx.rnd, CODEC_BUF) != tp_crc32c(0, cx.rnd, CODEC_BUF)) {
		fprintf(stderr, "tp-benchio: CRC-32C implementations disagree\n");
		return 1;
	}
	size_t o = 0;
	for (size_t i = 0; i < CODEC_BUF / CODEC_FRAME; i++) {
		cx.enc_at[i] = o;
		cx.enc_len[i] = tp_cobs_encode(cx.enc + o, cx.rnd + i * CODEC_FRAME, CODEC_FRAME);
		o += cx.enc_len[i];
	}
	t_cobs_decode();
	if (memcmp(cx.out, cx.rnd, CODEC_BUF)) {
		fprintf(stderr, "tp-benchio: COBS does not round-trip\n");
		return 1;
	}

	time_test("crc32c_1m", t_crc_1m, ms, reps, "tp_crc32c (ISA-L crc32_iscsi), one call per 1 MiB");
	time_test("crc32c_64k", t_crc_64k, ms, reps, "tp_crc32c over the same 1 MiB in 64 KiB calls, chained");
	time_test("crc32c_64k_hot", t_crc_64k_hot, ms, reps, "tp_crc32c, one call over the same 64 KiB again and again (L1/L2-resident)");
	time_test("crc32c_1468", t_crc_dgram, ms, reps, "tp_crc32c, one call per 1468 bytes (a UDP frame's header + payload)");
	time_test("crc32c_slice8", t_crc_slice8, ms, reps, "own slice-by-8 table CRC-32C, 1 MiB (for comparison)");
	time_test("crc32c_bytewise", t_crc_bytewise, ms, reps, "own bytewise table CRC-32C (Sarwate), 1 MiB (for comparison)");
	time_test("memcpy_1m", t_memcpy, ms, reps, "memcpy of 1 MiB (for comparison: one copy of the data)");
	time_test("cobs_encode", t_cobs_encode, ms, reps, "tp_cobs_encode, random data in 64 KiB frames");
	time_test("cobs_decode", t_cobs_decode, ms, reps, "tp_cobs_decode of those frames");

	/* The framer on a byte stream: 1 MiB chunks, 64 KiB frames (tpipe -F's defaults). */
	cx.chunk.data = codec_alloc(MIB);
	cx.chunk.cap = MIB;
	framer_setup(true, CODEC_FRAME);
	time_test("framer_stream", t_framer, ms, reps,
		  "tp_framer: memcpy into a 1 MiB chunk + CRC + COBS in place, 64 KiB frames (payload GB/s)");

	/* A framed stream for the deframer, built by the framer itself, with END at the end. */
	cx.stream = codec_alloc(CODEC_STREAM + CODEC_STREAM / 8 + MIB);
	framer_setup(true, CODEC_FRAME);
	cx.stream_len = 0;
	uint64_t framed = 0;
	while (framed < CODEC_STREAM) {
		framed += fill_chunk();
		memcpy(cx.stream + cx.stream_len, cx.chunk.data, cx.chunk.len);
		cx.stream_len += cx.chunk.len;
	}
	cx.chunk.len = 0;
	if (tp_framer_end(&cx.fr, &cx.chunk) < 0) {
		fprintf(stderr, "tp-benchio: no room for END\n");
		return 1;
	}
	memcpy(cx.stream + cx.stream_len, cx.chunk.data, cx.chunk.len);
	cx.stream_len += cx.chunk.len;
	if (tp_deframer_init(&cx.df, &cx.stats, count_data, NULL) < 0) {
		perror("tp-benchio");
		return 1;
	}
	cx.got = 0;
	t_deframe_stream();
	if (cx.got != framed || cx.stats.garbage_bytes || cx.stats.frames == 0) {
		fprintf(stderr, "tp-benchio: deframer passed %" PRIu64 " of %" PRIu64 " bytes\n",
			cx.got, framed);
		return 1;
	}
	char what[160];
	snprintf(what, sizeof(what),
		 "tp_deframe_stream: find, COBS-decode and check 64 KiB frames, %.1f MiB stream in 1 MiB feeds (payload GB/s)",
		 (double)cx.stream_len / MIB);
	time_test("deframe_stream", t_deframe_stream, ms, reps, what);

	/* The same, and the payloads into a 1 MiB chunk as -D's: copied, or decoded there. */
	cx.rx = codec_alloc(MIB);
	if (tp_deframer_init(&cx.df_room, &cx.stats, append_data, NULL) < 0) {
		perror("tp-benchio");
		return 1;
	}
	tp_deframer_set_room(&cx.df_room, rx_tail, NULL);
	struct tp_deframer plain = cx.df;
	cx.df.on_frame = append_data;
	for (int k = 0; k < 2; k++) {
		cx.got = 0;
		if ((k ? t_deframe_room() : t_deframe_copy()) != framed) {
			fprintf(stderr, "tp-benchio: deframer into a chunk passed %" PRIu64 " of %" PRIu64
				" bytes\n", cx.got, framed);
			return 1;
		}
	}
	time_test("deframe_copy", t_deframe_copy, ms, reps,
		  "tp_deframe_stream as -D's: decoded in the deframer, copied into a 1 MiB chunk (payload GB/s)");
	time_test("deframe_room", t_deframe_room, ms, reps,
		  "tp_deframe_stream as -D's: decoded straight into a 1 MiB chunk (payload GB/s)");
	cx.df = plain;
	tp_deframer_destroy(&cx.df_room);
	free(cx.rx);

	/* UDP: frames back to back in a chunk, one per datagram; no COBS. */
	framer_setup(false, CODEC_DGRAM);
	time_test("framer_dgram", t_framer, ms, reps,
		  "tp_framer for udp://: memcpy + header + CRC, 1444-byte payloads, 1 MiB chunk (payload GB/s)");
	cx.src_pos = 0;
	fill_chunk();
	cx.dgrams = cx.chunk.data;
	cx.ndgrams = 0;
	for (size_t at = 0; at + TP_FRAME_OVERHEAD <= cx.chunk.len;) {
		const unsigned char *p = cx.dgrams + at + 20;
		size_t len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
		cx.dgram_at[cx.ndgrams] = at;
		cx.dgram_len[cx.ndgrams++] = tp_frame_size(len);
		at += tp_frame_size(len);
	}
	cx.got = 0;
	memset(&cx.stats, 0, sizeof(cx.stats));
	t_deframe_dgram();
	if (cx.got == 0 || cx.stats.frames != cx.ndgrams) {
		fprintf(stderr, "tp-benchio: datagram deframer refused frames\n");
		return 1;
	}
	time_test("deframe_dgram", t_deframe_dgram, ms, reps,
		  "tp_deframe_datagram: check one 1472-byte frame per call (payload GB/s)");
	tp_deframer_destroy(&cx.df);

	/* Erasure codes: UDP-sized symbols (--fec over udp://), and 64 KiB ones (-F on a pipe). */
	if (time_fec(16, 4, CODEC_DGRAM - 40, ms, reps) || time_fec(32, 8, CODEC_DGRAM - 40, ms, reps) ||
	    time_fec(64, 16, CODEC_DGRAM - 40, ms, reps) || time_fec(32, 8, CODEC_FRAME, ms, reps))
		return 1;
	if (time_seal(CODEC_DGRAM - 40, ms, reps) || time_seal(CODEC_FRAME, ms, reps))
		return 1;
	codec_sink = cx.crc; /* so that no test's result is dead */
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t v;
	if (argc < 2)
		usage();
	if (argc > 2 && !strcmp(argv[2], "-P") && strcmp(argv[1], "latency") &&
	    strcmp(argv[1], "rusage")) {
		grow_pipe(strcmp(argv[1], "src") && strcmp(argv[1], "frames") ? STDIN_FILENO
								 : STDOUT_FILENO);
		argv[2] = argv[1]; /* drop -P */
		argv++;
		argc--;
	}
	if (!strcmp(argv[1], "src")) {
		struct src_opts o = { 0 };
		if (argc < 3 || parse_u64(argv[2], &o.size))
			usage();
		for (int i = 3; i < argc; i += 2) {
			uint64_t *dst = NULL;
			if (!strcmp(argv[i], "--pause-at"))
				dst = &o.pause_at;
			else if (!strcmp(argv[i], "--pause-ms"))
				dst = &o.pause_ms;
			else if (!strcmp(argv[i], "--rate"))
				dst = &o.rate;
			if (!dst || i + 1 >= argc || parse_u64(argv[i + 1], dst))
				usage();
		}
		if (o.pause_ms > 3600000 || (o.rate && !o.pause_ms))
			usage();
		return do_src(&o);
	}
	if (!strcmp(argv[1], "frames")) {
		uint64_t w, h, count, nb = 4;
		char *x, *end;
		if (argc != 4 && !(argc == 6 && !strcmp(argv[4], "-b")))
			usage();
		x = strchr(argv[2], 'x');
		if (!x || x == argv[2] || x[1] < '0' || x[1] > '9')
			usage();
		errno = 0;
		w = strtoull(argv[2], &end, 10);
		if (errno || end != x)
			usage();
		if (parse_u64(x + 1, &h) || parse_u64(argv[3], &count))
			usage();
		if (argc == 6 && parse_u64(argv[5], &nb))
			usage();
		if (w == 0 || h == 0 || w > 16384 || h > 16384 || nb == 0 || nb > FRAMES_MAX_BUFS)
			usage();
		return do_frames(w, h, count, nb);
	}
	if (!strcmp(argv[1], "sink")) {
		if (argc == 2)
			return do_sink(NULL);
		if (argc == 4 && !strcmp(argv[2], "-o"))
			return do_sink(argv[3]);
		usage();
	}
	if (!strcmp(argv[1], "pace-read")) {
		const char *out = NULL;
		int64_t after = -1, span = 1000;
		int gap = 0;
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--after-gap")) {
				gap = 1;
				continue;
			}
			if (i + 1 >= argc)
				usage();
			if (!strcmp(argv[i], "-o"))
				out = argv[i + 1];
			else if (!strcmp(argv[i], "--after-ms") && !parse_u64(argv[i + 1], &v) &&
				 v < 86400000)
				after = (int64_t)v;
			else if (!strcmp(argv[i], "--span-ms") && !parse_u64(argv[i + 1], &v) &&
				 v > 0 && v < 86400000)
				span = (int64_t)v;
			else
				usage();
			i++;
		}
		if (gap && after >= 0)
			usage();
		return do_pace_read(out, after >= 0 ? after * 1000000 : -1, gap, span * 1000000);
	}
	if (!strcmp(argv[1], "udp-timed")) {
		const char *out = NULL;
		uint64_t port = 0, idle = 1000;
		for (int i = 2; i + 1 < argc; i += 2) {
			if (!strcmp(argv[i], "-o"))
				out = argv[i + 1];
			else if (!strcmp(argv[i], "-p") && !parse_u64(argv[i + 1], &port) && port < 65536)
				continue;
			else if (!strcmp(argv[i], "--idle-ms") && !parse_u64(argv[i + 1], &idle) &&
				 idle > 0 && idle < 86400000)
				continue;
			else
				usage();
		}
		if (argc % 2)
			usage();
		return do_udp_timed(out, (unsigned)port, (int64_t)idle);
	}
	if (!strcmp(argv[1], "rusage")) {
		if (argc < 6 || strcmp(argv[2], "-o") || strcmp(argv[4], "--"))
			usage();
		return do_rusage(argv[3], argv + 5);
	}
	if (!strcmp(argv[1], "latency")) {
		uint64_t t = 2000;
		int i = 3;
		if (argc < 5 || parse_u64(argv[2], &v) || v == 0 || v > 100000)
			usage();
		if (!strcmp(argv[i], "-t")) {
			if (i + 1 >= argc || parse_u64(argv[i + 1], &t) || t == 0 || t > 600000)
				usage();
			i += 2;
		}
		if (i + 1 >= argc || strcmp(argv[i], "--"))
			usage();
		return do_latency((unsigned)v, (int)t, argv + i + 1);
	}
	if (!strcmp(argv[1], "wake-cost")) {
		int i = 2;
		bool uring = argc > 2 && !strcmp(argv[2], "--uring");
		uint64_t period, piece, secs;
		i += uring;
		if (argc != i + 3 || parse_u64(argv[i], &period) || period == 0 || period > 1000000 ||
		    parse_u64(argv[i + 1], &piece) || piece == 0 || piece > BUFSZ ||
		    parse_u64(argv[i + 2], &secs) || secs == 0 || secs > 600)
			usage();
		return do_wake_cost(uring, period, (size_t)piece, secs);
	}
	if (!strcmp(argv[1], "codec")) {
		uint64_t ms = 200, reps = 5;
		for (int i = 2; i < argc; i += 2) {
			if (i + 1 >= argc || parse_u64(argv[i + 1], &v))
				usage();
			if (!strcmp(argv[i], "-t") && v > 0 && v <= 60000)
				ms = v;
			else if (!strcmp(argv[i], "-r") && v > 0 && v <= CODEC_MAX_REPS)
				reps = v;
			else
				usage();
		}
		return do_codec((int64_t)ms, (unsigned)reps);
	}
	usage();
}
