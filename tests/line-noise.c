/* The damage a line does (line-noise.h). */
#include "config.h"
#include "line-noise.h"

#include <stdbool.h>

static uint64_t next(uint64_t *s)	/* splitmix64 */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool chance(uint64_t r, double p) { return (double)(r >> 11) * 0x1.0p-53 < p; }

static double ln(double x)	/* x > 0; a series, as the helpers do not link libm */
{
	int e = 0;
	for (; x >= 2; x /= 2)
		e++;
	for (; x < 1; x *= 2)
		e--;
	double s = (x - 1) / (x + 1), s2 = s * s, term = s, sum = 0;	/* s < 1/3 */
	for (int k = 1; k < 40; k += 2, term *= s2)
		sum += term / k;
	return 2 * sum + e * 0.69314718055994530942;
}

static uint64_t gap(struct line_noise *n)	/* unflipped bits before the next flip */
{
	if (n->ber >= 1)
		return 0;
	double g = ln((double)((next(&n->rng_bit) >> 11) + 1) * 0x1.0p-53) / n->ln_q;
	return g < 1e18 ? (uint64_t)g : (uint64_t)1e18;	/* g >= 0 */
}

void line_noise_init(struct line_noise *n, double ber, double drop, uint64_t seed)
{
	*n = (struct line_noise){ .ber = ber, .drop = drop, .rng_bit = seed,
				  .rng_drop = seed ^ 0xd1b54a32d192ed03ull, .next_flip = UINT64_MAX };
	n->ln_q = ber < 1e-4 ? -ber * (1 + ber / 2 + ber * ber / 3) : ln(1 - ber);
	if (ber > 0)
		n->next_flip = gap(n);
}

size_t line_noise_transmit(struct line_noise *n, const unsigned char *in, size_t len,
			   unsigned char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++, n->nbits += 8) {
		unsigned char c = in[i];
		unsigned flips = 0;
		for (; n->next_flip < n->nbits + 8; n->next_flip += 1 + gap(n), flips++)
			c ^= (unsigned char)(1u << (n->next_flip - n->nbits));
		if (chance(next(&n->rng_drop), n->drop)) {
			n->dropped++;
			continue;
		}
		n->flipped += flips;
		out[o++] = c;
	}
	return o;
}
