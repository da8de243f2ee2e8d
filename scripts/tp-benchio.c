/* tp-benchio - generator, sink and latency probe for scripts/bench.
 *
 *   tp-benchio src [-P] SIZE [--pause-at BYTES --pause-ms MS [--rate BPS]]
 *                                    write SIZE bytes to stdout (1 MiB writes); with
 *                                    --pause-at, sleep once for MS after BYTES, and with
 *                                    --rate, pace those first BYTES at BPS (64 KiB writes)
 *                                    so that the middle's buffer is empty when we pause
 *   tp-benchio sink [-P] [-o FILE]   read stdin to EOF (1 MiB reads), print the count
 *   tp-benchio pace-read [-P] [-o FILE] [--after-ms N | --after-gap] [--span-ms S]
 *                                    read stdin to EOF, timestamp every read, print the
 *                                    rate and the fullest 1 ms window (see do_pace_read)
 *   tp-benchio rusage -o FILE -- CMD [ARGS...]
 *                                    run CMD, write "wall user sys" seconds (us precision)
 *   tp-benchio latency N [-t MS] -- CMD [ARGS...]
 *                                    run CMD between two pipes, send N short lines
 *                                    ~20 ms apart with its input kept open, time each
 *                                    line's round trip; print median and max in us
 *
 * Pipe capacities are left alone (64 KiB) unless -P raises our end's pipe to
 * /proc/sys/fs/pipe-max-size, to show what a middle gains from pipe size alone.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ (1024 * 1024)
#define LINE "tp-benchio ping\n" /* 16 bytes */
#define LINELEN (sizeof(LINE) - 1)

static char buf[BUFSZ];

_Noreturn static void usage(void)
{
	fprintf(stderr,
		"usage: tp-benchio src [-P] SIZE [--pause-at BYTES --pause-ms MS [--rate BPS]]\n"
		"       tp-benchio sink [-P] [-o FILE]\n"
		"       tp-benchio pace-read [-P] [-o FILE] [--after-ms N | --after-gap] [--span-ms S]\n"
		"       tp-benchio rusage -o FILE -- CMD [ARGS...]\n"
		"       tp-benchio latency N [-t TIMEOUT_MS] -- CMD [ARGS...]\n"
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
static int do_pace_read(const char *outpath, int64_t after_ns, int after_gap, int64_t span_ns)
{
	size_t n = 0, cap = 1 << 16;
	struct ev *e = malloc(cap * sizeof(*e));
	int64_t t0 = 0;
	if (!e) {
		perror("tp-benchio");
		return 1;
	}
	for (;;) {
		ssize_t r = read_in();
		int64_t t = now_ns();
		if (r < 0)
			return 1;
		if (r == 0)
			break;
		if (n == 0)
			t0 = t;
		if (n == cap) {
			cap *= 2;
			e = realloc(e, cap * sizeof(*e));
			if (!e) {
				perror("tp-benchio");
				return 1;
			}
		}
		e[n].t = t - t0;
		e[n++].n = (uint64_t)r;
	}
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

int main(int argc, char **argv)
{
	uint64_t v;
	if (argc < 2)
		usage();
	if (argc > 2 && !strcmp(argv[2], "-P") && strcmp(argv[1], "latency") &&
	    strcmp(argv[1], "rusage")) {
		grow_pipe(strcmp(argv[1], "src") ? STDIN_FILENO : STDOUT_FILENO);
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
	usage();
}
