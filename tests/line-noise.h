/* The damage a line does, for the line emulators (line-emu, duplex-emu): each data bit
 * flipped with probability ber (the gaps between flips drawn geometrically), each byte
 * dropped with probability drop (a dropped byte still took its time on the line), each from
 * its own seeded stream, so that the same seed and input give the same damage. */
#ifndef TP_TESTS_LINE_NOISE_H
#define TP_TESTS_LINE_NOISE_H

#include <stddef.h>
#include <stdint.h>

struct line_noise {
	double ber, drop, ln_q;          /* ln_q: ln(1 - ber) */
	uint64_t rng_bit, rng_drop;      /* two streams: flips do not depend on drop */
	uint64_t nbits;                  /* data bits put on the line so far */
	uint64_t next_flip;              /* number of the next data bit to flip */
	unsigned long long flipped, dropped;
};

void line_noise_init(struct line_noise *n, double ber, double drop, uint64_t seed);

/* Puts len bytes on the line, bit 0 first; writes what arrives to out and returns its
 * length. */
size_t line_noise_transmit(struct line_noise *n, const unsigned char *in, size_t len,
			   unsigned char *out);

#endif
