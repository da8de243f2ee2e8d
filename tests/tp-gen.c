/* tp-gen: the end-to-end tests' producer and checker.
 *   tp-gen gen SIZE [-p PIECE | -r MAXPIECE] [-w MS] [-s SEED]
 *       writes SIZE bytes of a position-dependent pattern to standard output, in pieces of
 *       PIECE bytes or of random sizes 1..MAXPIECE, sleeping MS milliseconds between pieces.
 *       A random piece is at most 64 KiB; a fixed PIECE may be larger (written in 64 KiB
 *       writes, the pause coming after the whole piece: a producer that sends in bursts).
 *   tp-gen check SIZE [-r MAXREAD] [-w MS] [-s SEED] [-o OFFSET]
 *       reads standard input (in random pieces up to MAXREAD, sleeping MS between reads: a slow
 *       consumer) and exits 0 only if it is exactly the pattern from OFFSET, SIZE bytes long.
 *       With -P, any correct prefix of at most SIZE bytes passes, and the number of bytes read
 *       is printed on standard output (for tests that interrupt a stream).
 *   tp-gen gen ... -o OFFSET  writes the pattern from OFFSET (to continue a stream in parts).
 *   tp-gen nonblock FD[,FD...] COMMAND [ARG...]
 *       sets O_NONBLOCK on those descriptors (shared with whoever else holds them) and runs
 *       COMMAND.
 * Every byte depends on its offset, so loss, duplication and reordering all show. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tool.h"

const char *tool_name = "tp-gen";
const char *tool_usage = "tp-gen gen SIZE [...] | tp-gen check SIZE [...] | tp-gen nonblock FDS CMD...";

#define BLOCK (1u << 16)

static void pause_ms(unsigned ms)
{
	if (ms) {
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static size_t piece_size(size_t fixed, size_t max_random, uint64_t *rng)
{
	if (fixed)
		return fixed;
	*rng = tool_splitmix(*rng);
	return 1 + (size_t)(*rng % max_random);
}

static int gen(uint64_t size, size_t fixed, size_t max_random, unsigned wait, uint64_t seed,
	       uint64_t start)
{
	static unsigned char buf[BLOCK];
	uint64_t rng = seed + 1;

	for (uint64_t off = 0; off < size;) {
		uint64_t piece = piece_size(fixed, max_random, &rng);
		if (!fixed && piece > BLOCK)
			piece = BLOCK;
		if (piece > size - off)
			piece = size - off;
		for (uint64_t end = off + piece; off < end;) {
			size_t n = end - off > BLOCK ? BLOCK : (size_t)(end - off);
			tool_pattern(buf, start + off, n, seed);
			for (size_t done = 0; done < n;) {
				ssize_t w = write(STDOUT_FILENO, buf + done, n - done);
				if (w < 0) {
					fprintf(stderr, "tp-gen: write at %" PRIu64 ": %s\n", off + done, strerror(errno));
					return 1;
				}
				done += (size_t)w;
			}
			off += n;
		}
		pause_ms(wait);
	}
	return 0;
}

static int check(uint64_t size, size_t max_random, unsigned wait, uint64_t seed, uint64_t start,
		 bool prefix)
{
	static unsigned char buf[BLOCK], want[BLOCK];
	uint64_t rng = seed + 2, off = 0;

	for (;;) {
		size_t n = max_random ? piece_size(0, max_random, &rng) : BLOCK;
		if (n > BLOCK)
			n = BLOCK;
		ssize_t r = read(STDIN_FILENO, buf, n);
		if (r < 0) {
			fprintf(stderr, "tp-gen: read at %" PRIu64 ": %s\n", off, strerror(errno));
			return 1;
		}
		if (r == 0)
			break;
		tool_pattern(want, start + off, (size_t)r, seed);
		if (memcmp(buf, want, (size_t)r) != 0) {
			size_t i = 0;
			while (buf[i] == want[i])
				i++;
			fprintf(stderr, "tp-gen: wrong byte at offset %" PRIu64 "\n", off + i);
			return 1;
		}
		if (prefix && off + (uint64_t)r > size) {
			fprintf(stderr, "tp-gen: more than the %" PRIu64 " bytes expected\n", size);
			return 1;
		}
		off += (uint64_t)r;
		pause_ms(wait);
	}
	if (prefix) {
		printf("%" PRIu64 "\n", off);
		return 0;
	}
	if (off != size) {
		fprintf(stderr, "tp-gen: got %" PRIu64 " bytes, expected %" PRIu64 "\n", off, size);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t fixed = 0, max_random = BLOCK;
	bool small_reads = false;
	unsigned wait = 0;
	uint64_t seed = 0, start = 0;
	bool prefix = false;
	int opt;

	if (argc >= 4 && strcmp(argv[1], "nonblock") == 0) {
		for (char *p = argv[2]; *p;) {
			char *end;
			int fd = (int)strtol(p, &end, 10);
			int fl = fcntl(fd, F_GETFL);
			if (end == p || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
				fprintf(stderr, "tp-gen: nonblock: bad descriptor in '%s'\n", argv[2]);
				return 2;
			}
			p = *end == ',' ? end + 1 : end;
		}
		execvp(argv[3], argv + 3);
		fprintf(stderr, "tp-gen: %s: %s\n", argv[3], strerror(errno));
		return 127;
	}
	if (argc < 3 || (strcmp(argv[1], "gen") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: tp-gen gen|check SIZE [-p PIECE] [-r MAX] [-w MS] [-s SEED] [-o OFF] [-P]\n"
				"       tp-gen nonblock FD[,FD...] COMMAND [ARG...]\n");
		return 2;
	}
	uint64_t size = strtoull(argv[2], NULL, 0);
	optind = 3;
	while ((opt = getopt(argc, argv, "p:r:w:s:o:P")) != -1) {
		switch (opt) {
		case 'p': fixed = strtoul(optarg, NULL, 0); break;
		case 'r': max_random = strtoul(optarg, NULL, 0); fixed = 0; small_reads = true; break;
		case 'w': wait = (unsigned)strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'o': start = strtoull(optarg, NULL, 0); break;
		case 'P': prefix = true; break;
		default: return 2;
		}
	}
	if (max_random == 0)
		max_random = 1;
	if (strcmp(argv[1], "gen") == 0)
		return gen(size, fixed, max_random, wait, seed, start);
	return check(size, small_reads ? max_random : 0, wait, seed, start, prefix);
}
