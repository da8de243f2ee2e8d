/* What the test helpers (udp-relay, line-emu, tp-gen, tp-frames) share: failing with a
 * message, reading their numbers, writing a file a shell test can wait for, and the test
 * pattern. Each sets tool_name and tool_usage. */
#ifndef TP_TESTS_TOOL_H
#define TP_TESTS_TOOL_H

#include <stddef.h>
#include <stdint.h>

extern const char *tool_name;   /* "udp-relay" */
extern const char *tool_usage;  /* the usage lines, after "usage: " */

/* "NAME: WHAT: strerror(errno)", exit 1. */
_Noreturn void tool_die(const char *what);
/* "NAME: MSG" and the usage, exit 2. */
_Noreturn void tool_usage_error(const char *msg);
/* A probability, 0 to 1; anything else is a usage error. */
double tool_prob(const char *s);
/* A decimal number from min to max; anything else is a usage error. */
unsigned long long tool_number(const char *s, unsigned long long min, unsigned long long max);
/* Writes text to path through path.tmp and a rename, so a reader never sees half of it. */
void tool_write_atomic(const char *path, const char *text);

/* A pseudo-terminal pair for the line emulators: the master non-blocking (returned), the
 * slave raw (CLOCAL, CREAD) at baud if the pty takes it, its path in path, held open in
 * *slave. */
int tool_open_pty(int *slave, char *path, size_t size, unsigned long long baud);

/* One step of splitmix64: a well-mixed 64-bit value from x. */
uint64_t tool_splitmix(uint64_t x);
/* The test pattern: bytes [off, off + len) of the stream for seed, each byte depending on its
 * offset, so that loss, duplication and reordering all show. */
void tool_pattern(unsigned char *buf, uint64_t off, size_t len, uint64_t seed);

#endif
