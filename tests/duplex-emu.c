/* duplex-emu: a two-way serial line between two pseudo-terminals, for the XMODEM and YMODEM
 * tests and benchmarks.
 *   duplex-emu [--baud N] [--bits-per-byte N] [--ber P] [--drop P] [--seed N] [--paths FILE]
 *              [--stats FILE]
 * Creates two pty pairs and writes their slave paths as "A_PATH\nB_PATH\n" to FILE.tmp, renamed
 * to FILE (default: standard output). What is written to A comes out of B and what is written
 * to B comes out of A, each way never faster than the line: baud / bits-per-byte (default
 * 115200 / 10, 8N1) bytes a second on an absolute clock of its own, handed over every
 * millisecond; an idle direction restarts its clock, so idle time never becomes a burst. Each
 * direction reads its side only as the line drains (a FIFO of ~20 ms), so a faster writer
 * waits on the pty's own buffer, as on a UART. Damage as line-noise.h says, by --ber and
 * --drop, in each direction from seeds of its own (--seed for A to B, --seed + 1 for B to A).
 * Both slaves start raw at --baud (a standard rate, else the pty's 38400) and are held open
 * for the emulator's life, so either end may close and open its side again.
 * Runs until SIGTERM or SIGINT, then writes one line to --stats FILE (atomically) or stderr:
 *   ab_in=N ab_out=N ab_flipped=N ab_dropped=N ba_in=N ba_out=N ba_flipped=N ba_dropped=N
 * (in: bytes taken from the sending side, out: bytes delivered). Exit status 0, 1 on a system
 * error, 2 on a usage error. */
#include "config.h"
#include "tool.h"
#include "line-noise.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS 1000000LL	/* hand-over period while a direction is busy */

/* One direction of the line. */
struct way {
	int from, to;             /* masters: read the sender's bytes, write the receiver's */
	struct line_noise noise;
	unsigned char *q, *out;   /* waiting for the line; delivered, waiting for the reader */
	size_t qcap, qlen, olen, ooff;
	int64_t base;             /* the clock: slots byte times used since base */
	uint64_t slots;
	bool stalled;
	unsigned long long in, delivered;
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

const char *tool_name = "duplex-emu";
const char *tool_usage = "duplex-emu [--baud N] [--bits-per-byte N] [--ber P] [--drop P] "
		"[--seed N] [--paths FILE] [--stats FILE]";

/* Moves what is due: in from the sender's side while the FIFO has room, onto the line as
 * its bytes' last bits are due, out to the reader's side as it takes them. True while the
 * direction has bytes in flight. */
static bool step(struct way *w, int64_t now, double rate)
{
	if (w->qlen < w->qcap) {
		ssize_t r = read(w->from, w->q + w->qlen, w->qcap - w->qlen);
		if (r > 0) {
			if (!w->qlen) {	/* the line was idle: its clock starts again */
				w->base = now;
				w->slots = 0;
			}
			w->qlen += (size_t)r;
			w->in += (unsigned long long)r;
		} else if (r < 0 && errno != EAGAIN && errno != EINTR && errno != EIO) {
			tool_die("read");
		}
	}
	if (!w->olen && w->qlen) {
		uint64_t due = (uint64_t)((double)(now - w->base) * rate / 1e9);
		size_t k = due <= w->slots ? 0 : due - w->slots < w->qlen ? (size_t)(due - w->slots)
									    : w->qlen;
		w->olen = line_noise_transmit(&w->noise, w->q, k, w->out);
		w->ooff = 0;
		w->slots += k;
		w->qlen -= k;
		memmove(w->q, w->q + k, w->qlen);
	}
	if (w->olen) {
		ssize_t n = write(w->to, w->out + w->ooff, w->olen);
		if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO)
			tool_die("write");
		if (n > 0) {
			w->ooff += (size_t)n;
			w->olen -= (size_t)n;
			w->delivered += (unsigned long long)n;
		}
		if (w->olen) {
			w->stalled = true;
		} else if (w->stalled) {	/* the reader caught up: no catching up on the line */
			w->stalled = false;
			w->base = now;
			w->slots = 0;
		}
	}
	return w->qlen || w->olen;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "baud", 1, NULL, 'b' }, { "bits-per-byte", 1, NULL, 'w' }, { "ber", 1, NULL, 'e' },
		{ "drop", 1, NULL, 'd' }, { "seed", 1, NULL, 's' }, { "paths", 1, NULL, 'p' },
		{ "stats", 1, NULL, 'S' }, { NULL, 0, NULL, 0 } };
	unsigned long long baud = 115200, bpb = 10, seed = 0;
	double ber = 0, drop = 0;
	const char *paths_file = NULL, *stats_file = NULL;

	for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		switch (c) {
		case 'b': baud = tool_number(optarg, 1, 1000000000); break;
		case 'w': bpb = tool_number(optarg, 8, 64); break;
		case 'e': ber = tool_prob(optarg); break;
		case 'd': drop = tool_prob(optarg); break;
		case 's': seed = tool_number(optarg, 0, UINT64_MAX - 1); break;
		case 'p': paths_file = optarg; break;
		case 'S': stats_file = optarg; break;
		default: tool_usage_error("unknown option");
		}
	}
	if (optind != argc)
		tool_usage_error("no operands expected");
	double rate = (double)baud / (double)bpb;	/* bytes per second */
	int sa, sb;
	char pa[256], pb[256], text[600];
	int ma = tool_open_pty(&sa, pa, sizeof pa, baud), mb = tool_open_pty(&sb, pb, sizeof pb, baud);
	struct way way[2] = { { .from = ma, .to = mb }, { .from = mb, .to = ma } };
	size_t qcap = rate / 50 < 256 ? 256 : rate / 50 > (1 << 20) ? 1 << 20 : (size_t)(rate / 50);
	for (int i = 0; i < 2; i++) {
		line_noise_init(&way[i].noise, ber, drop, seed + (uint64_t)i);
		way[i].qcap = qcap;
		way[i].q = malloc(qcap);
		way[i].out = malloc(qcap);
		if (!way[i].q || !way[i].out)
			tool_die("malloc");
	}
	snprintf(text, sizeof text, "%s\n%s\n", pa, pb);
	if (paths_file)
		tool_write_atomic(paths_file, text);
	else if (fputs(text, stdout) < 0 || fflush(stdout))
		tool_die("stdout");
	struct sigaction act = { .sa_handler = on_signal };	/* no SA_RESTART */
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	prctl(PR_SET_TIMERSLACK, 1UL);

	int64_t next_tick = now_ns();
	while (!stop) {
		int64_t now = now_ns();
		bool busy = step(&way[0], now, rate);
		busy = step(&way[1], now, rate) || busy;
		if (busy) {
			next_tick += TICK_NS;	/* absolute ticks, unless far behind */
			if (next_tick < now)
				next_tick = now + TICK_NS;
			struct timespec ts = { next_tick / 1000000000LL, next_tick % 1000000000LL };
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		} else {
			struct pollfd p[2] = { { .fd = ma, .events = POLLIN }, { .fd = mb, .events = POLLIN } };
			poll(p, 2, 20);
			next_tick = now_ns();
		}
	}
	char line[400];
	snprintf(line, sizeof line, "ab_in=%llu ab_out=%llu ab_flipped=%llu ab_dropped=%llu "
		 "ba_in=%llu ba_out=%llu ba_flipped=%llu ba_dropped=%llu\n", way[0].in,
		 way[0].delivered, way[0].noise.flipped, way[0].noise.dropped, way[1].in,
		 way[1].delivered, way[1].noise.flipped, way[1].noise.dropped);
	if (stats_file)
		tool_write_atomic(stats_file, line);
	else
		fputs(line, stderr);
	close(sa);
	close(sb);
	return 0;
}
