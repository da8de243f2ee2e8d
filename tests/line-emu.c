/* line-emu: a one-way serial line between two pseudo-terminals, for the end-to-end tests.
 *   line-emu [--baud N] [--bits-per-byte N] [--ber P] [--drop P] [--seed N] [--paths FILE]
 *            [--stats FILE] [--idle-ms MS] [--hangup | --no-hangup]
 * Creates two pty pairs and writes their slave paths as "A_PATH\nB_PATH\n" to FILE.tmp, renamed
 * to FILE (default: standard output). A sender writes to A, a receiver reads B. Bytes go from A
 * to B only, never faster than the line: baud / bits-per-byte (default 115200 / 10, 8N1) bytes
 * a second on an absolute clock, handed over every millisecond (at slow rates, each byte when
 * its last bit is due); an idle line restarts its clock, so idle time never becomes a burst.
 * A is read only as the line drains (a FIFO of ~20 ms), so a faster sender blocks on the pty's
 * own buffer (~21 KiB), as on a UART. A seeded PRNG flips each data bit with probability --ber
 * (gaps drawn geometrically) and drops each byte with probability --drop (a dropped byte still
 * takes its time on the line), each from its own stream: the same seed and input length give
 * the same damage. Both slaves start raw (cfmakeraw, CLOCAL|CREAD) at --baud if it is a standard
 * rate (else the pty's 38400), so a sender that keeps the device's rate paces to the line. The
 * emulator holds both slaves open, so the masters don't read EIO before the ends open them; it
 * lets go of A at the first byte, so that the sender's close shows. What B's reader writes is
 * discarded.
 *
 * End: input ends when the sender closes A (master A reads EIO) or after --idle-ms (default 2000)
 * without input once some came. The FIFO is then sent at line rate and, once the receiver has
 * read everything (slave B's input queue empty for 20 ms; given up with a message after
 * --idle-ms without progress, as a hang-up discards unread input), the stats are written and the
 * emulator exits. Closing master B hangs up slave B: the receiver's poll() gives POLLHUP and
 * read() fails with EIO or returns 0, depending on timing; write() fails with EIO. That is the
 * default (--hangup); with --no-hangup both lines stay open until SIGTERM/SIGINT instead.
 * SIGTERM/SIGINT stop at once (queued bytes are not sent), write the stats and exit.
 * Stats, one line to --stats FILE (atomically) or stderr; flips are counted in delivered bytes,
 * seconds from the first byte read from A until the last one left the line:
 *   bytes_in=N bytes_out=N flipped_bits=N dropped=N seconds=F
 * Exit status 0, 1 on a system error, 2 on a usage error. */
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
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS 1000000LL	/* hand-over period while the line is busy */
#define SETTLE_NS 20000000LL	/* receiver's input must stay empty this long before hang-up */

static struct line_noise noise;
static unsigned long long n_in, n_out;
static volatile sig_atomic_t stop;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_signal(int sig) { (void)sig; stop = 1; }

const char *tool_name = "line-emu";
const char *tool_usage = "line-emu [--baud N] [--bits-per-byte N] [--ber P] "
		"[--drop P] [--seed N] [--paths FILE]\n                [--stats FILE] [--idle-ms MS] "
		"[--hangup | --no-hangup]";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "baud", 1, NULL, 'b' }, { "bits-per-byte", 1, NULL, 'w' }, { "ber", 1, NULL, 'e' },
		{ "drop", 1, NULL, 'd' }, { "seed", 1, NULL, 's' }, { "paths", 1, NULL, 'p' },
		{ "stats", 1, NULL, 'S' }, { "idle-ms", 1, NULL, 'i' }, { "hangup", 0, NULL, 'h' },
		{ "no-hangup", 0, NULL, 'H' }, { NULL, 0, NULL, 0 } };
	unsigned long long baud = 115200, bpb = 10, seed = 0;
	double p_ber = 0, p_drop = 0;
	int64_t idle_ns = 2000 * 1000000LL;
	const char *paths_file = NULL, *stats_file = NULL;
	bool hangup = true;
	for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		switch (c) {
		case 'b': baud = tool_number(optarg, 1, 1000000000); break;
		case 'w': bpb = tool_number(optarg, 8, 64); break;
		case 'e': p_ber = tool_prob(optarg); break;
		case 'd': p_drop = tool_prob(optarg); break;
		case 's': seed = tool_number(optarg, 0, UINT64_MAX); break;
		case 'p': paths_file = optarg; break;
		case 'S': stats_file = optarg; break;
		case 'i': idle_ns = (int64_t)tool_number(optarg, 1, 86400000) * 1000000LL; break;
		case 'h': hangup = true; break;
		case 'H': hangup = false; break;
		default: tool_usage_error("unknown option");
		}
	}
	if (optind != argc)
		tool_usage_error("no operands expected");
	double rate = (double)baud / (double)bpb;	/* bytes per second */
	line_noise_init(&noise, p_ber, p_drop, seed);

	int ma, sa, mb, sb;
	char pa[256], pb[256], text[600];
	ma = tool_open_pty(&sa, pa, sizeof pa, baud);
	mb = tool_open_pty(&sb, pb, sizeof pb, baud);
	snprintf(text, sizeof text, "%s\n%s\n", pa, pb);
	if (paths_file)
		tool_write_atomic(paths_file, text);
	else if (fputs(text, stdout) < 0 || fflush(stdout))
		tool_die("stdout");
	struct sigaction act = { .sa_handler = on_signal };	/* no SA_RESTART: sleeps see EINTR */
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	prctl(PR_SET_TIMERSLACK, 1UL);	/* sleep to the microsecond, not the default 50 us */

	/* The FIFO holds ~20 ms of line: q waits for the line, out for the receiver's side. */
	size_t qcap = rate / 50 < 256 ? 256 : rate / 50 > (1 << 20) ? 1 << 20 : (size_t)(rate / 50);
	unsigned char *q = malloc(qcap), *out = malloc(qcap), junk[4096];
	size_t qlen = 0, olen = 0, ooff = 0;
	if (!q || !out)
		tool_die("malloc");
	int64_t base = 0, next_tick = 0, t_first = -1, t_last = 0, last_in = 0, since = 0;
	uint64_t slots = 0;	/* byte times used on the line since base */
	bool in_done = false, stalled = false;
	int last_unread = -1;
	while (!stop) {
		int64_t now = now_ns();
		if (!in_done && qlen < qcap) {	/* take in what the FIFO has room for */
			ssize_t r = read(ma, q + qlen, qcap - qlen);
			if (r > 0) {
				if (!qlen) {	/* the line was idle: restart its clock */
					base = now;
					slots = 0;
				}
				if (t_first < 0) {	/* the sender is in: its close will be EIO */
					t_first = now;
					close(sa);
				}
				qlen += (size_t)r;
				n_in += (unsigned long long)r;
				last_in = now;
			} else if (r == 0 || errno == EIO) {
				in_done = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				tool_die("read A");
			}
		}
		if (!in_done && t_first >= 0 && !qlen && !olen && now - last_in >= idle_ns)
			in_done = true;
		if (!olen && qlen) {	/* the bytes whose last bit is due go on the line */
			uint64_t due = (uint64_t)((double)(now - base) * rate / 1e9);
			size_t k = due <= slots ? 0 : due - slots < qlen ? (size_t)(due - slots) : qlen;
			olen = line_noise_transmit(&noise, q, k, out);
			ooff = 0;
			if (k)
				t_last = now;
			slots += k;
			qlen -= k;
			memmove(q, q + k, qlen);
		}
		if (olen) {	/* the receiver's side may be full: then the line waits */
			ssize_t w = write(mb, out + ooff, olen);
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				tool_die("write B");
			if (w > 0) {
				ooff += (size_t)w;
				olen -= (size_t)w;
				n_out += (unsigned long long)w;
				t_last = now;
			}
			if (olen) {
				if (!stalled)
					since = now;
				stalled = true;
				if (now - since >= idle_ns) { /* nobody reads B any more */
					fprintf(stderr, "line-emu: hanging up: the receiver took nothing "
						"for %lld ms\n", (long long)(idle_ns / 1000000));
					break;
				}
			} else if (stalled) {	/* restart the clock: no catching up */
				stalled = false;
				base = now;
				slots = 0;
			}
		}
		while (read(mb, junk, sizeof junk) > 0)	/* what the receiver writes goes nowhere */
			;
		if (in_done && !qlen && !olen) {
			int unread = 0;	/* wait until the receiver has read everything */
			if (ioctl(sb, FIONREAD, &unread))
				tool_die("FIONREAD");
			if (unread != last_unread) {
				last_unread = unread;
				since = now;
			}
			if (hangup && now - since >= (unread ? idle_ns : SETTLE_NS)) {
				if (unread)
					fprintf(stderr, "line-emu: hanging up with %d bytes unread "
						"on B (receiver gone or stalled)\n", unread);
				break;
			}
			struct timespec ts = { 0, hangup ? 2000000 : 20000000 };
			nanosleep(&ts, NULL);	/* --no-hangup: until a signal */
		} else if (olen) {
			struct pollfd pfd = { .fd = mb, .events = POLLOUT };
			poll(&pfd, 1, 1);
		} else if (qlen) {	/* sleep to the next tick, or to the next byte if later */
			int64_t due = base + (int64_t)((double)(slots + 1) * 1e9 / rate) + 1;
			next_tick += TICK_NS;	/* absolute ticks, unless far behind */
			if (next_tick < now)
				next_tick = now + TICK_NS;
			int64_t wake = due > next_tick ? due : next_tick;
			struct timespec ts = { wake / 1000000000LL, wake % 1000000000LL };
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		} else {	/* idle: wait for the sender, waking now and then for the clock */
			struct pollfd pfd = { .fd = ma, .events = POLLIN };
			poll(&pfd, 1, 20);
		}
	}
	char line[256];
	snprintf(line, sizeof line, "bytes_in=%llu bytes_out=%llu flipped_bits=%llu dropped=%llu "
		 "seconds=%.3f\n", n_in, n_out, noise.flipped, noise.dropped,
		 t_first < 0 ? 0.0 : (double)(t_last - t_first) / 1e9);
	if (stats_file)
		tool_write_atomic(stats_file, line);
	else
		fputs(line, stderr);
	close(mb);	/* the hang-up; exit would do it too, but the stats are written first */
	free(q);
	free(out);
	return 0;
}
