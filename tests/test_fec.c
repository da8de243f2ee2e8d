/* The erasure code: parity against a GF(2^8) reference, every pattern of up to M losses
 * rebuilt, M + 1 refused, short symbols padded virtually, and bad sizes. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/erasure_code.h>
#include "fec.h"

#define SYM_MAX 1500

struct group {
	unsigned k, m;
	size_t len;                     /* symbol size */
	size_t lens[TP_FEC_MAX_SYMBOLS]; /* each data symbol's own length (<= len) */
	unsigned char *sym[TP_FEC_MAX_SYMBOLS];
	unsigned char *orig[TP_FEC_MAX_SYMBOLS];
};

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* A group of random data symbols of random lengths, encoded one symbol at a time. */
static void make_group(struct group *g, const struct tp_fec_code *c, size_t len, unsigned seed,
		       bool varied)
{
	g->k = c->k;
	g->m = c->m;
	g->len = len;
	for (unsigned j = 0; j < c->k + c->m; j++) {
		g->sym[j] = calloc(1, len ? len : 1);
		g->orig[j] = calloc(1, len ? len : 1);
		ck_assert_ptr_nonnull(g->sym[j]);
		ck_assert_ptr_nonnull(g->orig[j]);
	}
	for (unsigned i = 0; i < c->k; i++) {
		g->lens[i] = varied && len ? rnd(&seed) % (len + 1) : len;
		for (size_t b = 0; b < g->lens[i]; b++)
			g->sym[i][b] = (unsigned char)rnd(&seed);
	}
	/* In a shuffled order: the parity must not depend on it. */
	for (unsigned n = 0; n < c->k; n++) {
		unsigned i = (n * 7 + seed % c->k) % c->k;
		if (c->k % 7 == 0)
			i = n;
		tp_fec_encode_add(c, i, g->sym[i], g->lens[i], g->sym + c->k);
	}
	for (unsigned j = 0; j < c->k + c->m; j++)
		memcpy(g->orig[j], g->sym[j], len);
}

static void free_group(struct group *g)
{
	for (unsigned j = 0; j < g->k + g->m; j++) {
		free(g->sym[j]);
		free(g->orig[j]);
	}
}

/* Erases the symbols in lost[], rebuilds, and checks the data came back. */
static int erase_and_decode(const struct tp_fec_code *c, struct group *g, const bool *lost)
{
	bool have[TP_FEC_MAX_SYMBOLS];

	for (unsigned j = 0; j < c->k + c->m; j++) {
		have[j] = !lost[j];
		if (lost[j])
			memset(g->sym[j], 0xA5, g->len); /* garbage where it is missing */
	}
	int rc = tp_fec_decode(c, have, g->sym, g->len);
	if (rc == 0)
		for (unsigned i = 0; i < c->k; i++)
			ck_assert_mem_eq(g->sym[i], g->orig[i], g->len);
	/* Restore, for the next pattern. */
	for (unsigned j = 0; j < c->k + c->m; j++)
		memcpy(g->sym[j], g->orig[j], g->len);
	return rc;
}

START_TEST(test_bad_sizes)
{
	struct tp_fec_code c;

	ck_assert_int_eq(tp_fec_code_init(&c, 0, 1), -EINVAL);
	ck_assert_int_eq(tp_fec_code_init(&c, 1, 0), -EINVAL);
	ck_assert_int_eq(tp_fec_code_init(&c, 200, 57), -EINVAL);
	ck_assert_int_eq(tp_fec_code_init(&c, 300, 300), -EINVAL);
	ck_assert_int_eq(tp_fec_code_init(&c, 255, 1), 0);
	tp_fec_code_destroy(&c);
	ck_assert_int_eq(tp_fec_code_init(&c, 128, 128), 0);
	tp_fec_code_destroy(&c);
}
END_TEST

/* The parity rows are the generator's: parity j = sum over i of a[k+j][i] * data i. */
START_TEST(test_parity_matches_reference)
{
	struct tp_fec_code c;
	struct group g;
	size_t lens[] = { 1, 15, 16, 31, 32, 33, 63, 64, 65, 100, 1444, 1472 };

	ck_assert_int_eq(tp_fec_code_init(&c, 5, 3), 0);
	for (size_t t = 0; t < sizeof(lens) / sizeof(lens[0]); t++) {
		make_group(&g, &c, lens[t], (unsigned)t + 1, true);
		for (unsigned j = 0; j < c.m; j++)
			for (size_t b = 0; b < g.len; b++) {
				unsigned char want = 0;
				for (unsigned i = 0; i < c.k; i++) {
					unsigned char d = b < g.lens[i] ? g.orig[i][b] : 0;
					want ^= gf_mul(c.matrix[(c.k + j) * c.k + i], d);
				}
				ck_assert_uint_eq(g.orig[c.k + j][b], want);
			}
		free_group(&g);
	}
	tp_fec_code_destroy(&c);
}
END_TEST

/* 4+3: every one of the 2^7 patterns; up to 3 lost come back, 4 or more are refused. */
START_TEST(test_every_pattern)
{
	struct tp_fec_code c;
	struct group g;

	ck_assert_int_eq(tp_fec_code_init(&c, 4, 3), 0);
	make_group(&g, &c, 97, 42, true);
	for (unsigned mask = 0; mask < 1u << 7; mask++) {
		bool lost[7];
		unsigned n = 0;
		for (unsigned j = 0; j < 7; j++)
			n += lost[j] = mask >> j & 1;
		int rc = erase_and_decode(&c, &g, lost);
		ck_assert_int_eq(rc, n <= 3 ? 0 : -EINVAL);
	}
	free_group(&g);
	tp_fec_code_destroy(&c);
}
END_TEST

/* The sizes tpipe uses: random patterns of exactly M losses, and M + 1. */
START_TEST(test_large_codes)
{
	static const unsigned codes[][2] = { { 16, 4 }, { 32, 8 }, { 64, 16 }, { 200, 56 },
					     { 1, 1 }, { 1, 255 }, { 255, 1 } };
	unsigned seed = 7;

	for (size_t t = 0; t < sizeof(codes) / sizeof(codes[0]); t++) {
		struct tp_fec_code c;
		struct group g;
		unsigned k = codes[t][0], m = codes[t][1];

		ck_assert_int_eq(tp_fec_code_init(&c, k, m), 0);
		make_group(&g, &c, 1464, (unsigned)t + 3, true);
		for (int rep = 0; rep < 20; rep++) {
			bool lost[TP_FEC_MAX_SYMBOLS] = { false };
			unsigned want = rep % 2 ? m : m + 1, n = 0;
			while (n < want && n < k + m) {
				unsigned j = rnd(&seed) % (k + m);
				if (!lost[j]) {
					lost[j] = true;
					n++;
				}
			}
			ck_assert_int_eq(erase_and_decode(&c, &g, lost), want <= m ? 0 : -EINVAL);
		}
		free_group(&g);
		tp_fec_code_destroy(&c);
	}
}
END_TEST

/* A group shorter than K: the members never sent are present as zeros. */
START_TEST(test_short_group)
{
	struct tp_fec_code c;
	struct group g;

	ck_assert_int_eq(tp_fec_code_init(&c, 8, 2), 0);
	make_group(&g, &c, 200, 5, false);
	/* Only 3 members were real: rebuild the group as if members 3..7 were zeros. */
	for (unsigned j = 0; j < c.k + c.m; j++)
		memset(g.sym[j], 0, g.len);
	for (unsigned i = 0; i < 3; i++)
		memset(g.sym[i], (int)(i + 1) * 17, g.len);
	for (unsigned i = 0; i < 3; i++)
		tp_fec_encode_add(&c, i, g.sym[i], g.len, g.sym + c.k);
	for (unsigned j = 0; j < c.k + c.m; j++)
		memcpy(g.orig[j], g.sym[j], g.len);
	bool lost[10] = { [0] = true, [2] = true };
	ck_assert_int_eq(erase_and_decode(&c, &g, lost), 0);
	free_group(&g);
	tp_fec_code_destroy(&c);
}
END_TEST

START_TEST(test_nothing_lost)
{
	struct tp_fec_code c;
	struct group g;
	bool lost[6] = { false };

	ck_assert_int_eq(tp_fec_code_init(&c, 3, 3), 0);
	make_group(&g, &c, 10, 9, true);
	ck_assert_int_eq(erase_and_decode(&c, &g, lost), 0);
	/* Only parity lost: nothing to rebuild. */
	lost[3] = lost[4] = lost[5] = true;
	ck_assert_int_eq(erase_and_decode(&c, &g, lost), 0);
	free_group(&g);
	tp_fec_code_destroy(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fec");
	TCase *tc = tcase_create("fec");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bad_sizes);
	tcase_add_test(tc, test_parity_matches_reference);
	tcase_add_test(tc, test_every_pattern);
	tcase_add_test(tc, test_large_codes);
	tcase_add_test(tc, test_short_group);
	tcase_add_test(tc, test_nothing_lost);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
