/* tp-benchio - generator, sink and latency probe for scripts/bench.
 *
 *   tp-benchio src [-P] SIZE         write SIZE bytes to stdout (1 MiB writes)
 *   tp-benchio sink [-P] [-o FILE]   read stdin to EOF (1 MiB reads), print the count
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ (1024 * 1024)
#define LINE "tp-benchio ping\n" /* 16 bytes */
#define LINELEN (sizeof(LINE) - 1)

static char buf[BUFSZ];

static void usage(void)
{
	fprintf(stderr,
		"usage: tp-benchio src [-P] SIZE\n"
		"       tp-benchio sink [-P] [-o FILE]\n"
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

static int do_src(uint64_t size)
{
	for (size_t i = 0; i < BUFSZ; i++) /* not all zero, so nothing can cheat */
		buf[i] = (char)(i * 131 + (i >> 12));
	while (size > 0) {
		size_t n = size < BUFSZ ? (size_t)size : BUFSZ;
		ssize_t w = write(STDOUT_FILENO, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			perror("tp-benchio: write");
			return 1;
		}
		size -= (uint64_t)w;
	}
	return 0;
}

static int do_sink(const char *outpath)
{
	uint64_t total = 0;
	for (;;) {
		ssize_t r = read(STDIN_FILENO, buf, BUFSZ);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("tp-benchio: read");
			return 1;
		}
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
	if (argc > 2 && !strcmp(argv[2], "-P") && strcmp(argv[1], "latency")) {
		grow_pipe(strcmp(argv[1], "src") ? STDIN_FILENO : STDOUT_FILENO);
		argv[2] = argv[1]; /* drop -P */
		argv++;
		argc--;
	}
	if (!strcmp(argv[1], "src")) {
		if (argc != 3 || parse_u64(argv[2], &v))
			usage();
		return do_src(v);
	}
	if (!strcmp(argv[1], "sink")) {
		if (argc == 2)
			return do_sink(NULL);
		if (argc == 4 && !strcmp(argv[2], "-o"))
			return do_sink(argv[3]);
		usage();
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
