#include "config.h"
#include "fec.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/erasure_code.h>

int tp_fec_code_init(struct tp_fec_code *c, unsigned k, unsigned m)
{
	memset(c, 0, sizeof(*c));
	if (k == 0 || m == 0 || k + m > TP_FEC_MAX_SYMBOLS)
		return -EINVAL;
	c->k = k;
	c->m = m;
	c->matrix = malloc((size_t)(k + m) * k);
	c->enc_tables = malloc((size_t)32 * k * m);
	if (!c->matrix || !c->enc_tables) {
		tp_fec_code_destroy(c);
		return -ENOMEM;
	}
	/* Cauchy, not Vandermonde: every k x k submatrix of a Cauchy matrix is invertible, so
	 * any k symbols of a group rebuild it, for every k and m (ISA-L's Vandermonde matrix
	 * has singular cases at larger sizes). */
	gf_gen_cauchy1_matrix(c->matrix, (int)(k + m), (int)k);
	ec_init_tables((int)k, (int)m, c->matrix + (size_t)k * k, c->enc_tables);
	return 0;
}

void tp_fec_code_destroy(struct tp_fec_code *c)
{
	free(c->matrix);
	free(c->enc_tables);
	c->matrix = c->enc_tables = NULL;
}

void tp_fec_encode_add(const struct tp_fec_code *c, unsigned i, const unsigned char *sym,
		       size_t len, unsigned char *const *parity)
{
	assert(i < c->k && len <= INT32_MAX);
	if (len == 0)
		return;
	ec_encode_data_update((int)len, (int)c->k, (int)c->m, (int)i, c->enc_tables,
			      (unsigned char *)sym, (unsigned char **)parity);
}

/* The decode matrix, from the smallest system that gives it: with E the e missing data
 * symbols and P the first e parity symbols present, p_P = C[P][E] d_E + C[P][rest] d_rest
 * (C the parity rows), so d_E = C[P][E]^-1 (p_P + C[P][rest] d_rest) over GF(2^8). That
 * inverts an e x e matrix instead of a k x k one (at 64+16, 16^3 steps instead of 64^3), which
 * is what a rebuild of short symbols costs. src[] gets the k present symbols used (the data
 * ones, then those parity ones), out[] the missing ones' buffers, dec the e x k matrix that
 * maps the first to the second. Returns e (0..m), or -EINVAL when fewer than k are present. */
static int decode_setup(const struct tp_fec_code *c, const bool *have, unsigned char *const *sym,
			unsigned char *sub, unsigned char *inv, unsigned char *dec,
			unsigned char **src, unsigned char **out)
{
	unsigned k = c->k, m = c->m, e = 0, n = 0, np = 0;
	unsigned lost[TP_FEC_MAX_SYMBOLS], par[TP_FEC_MAX_SYMBOLS];

	for (unsigned i = 0; i < k; i++) {
		if (have[i])
			src[n++] = sym[i];
		else
			lost[e++] = i;
	}
	for (unsigned j = k; j < k + m && np < e; j++)
		if (have[j])
			par[np++] = j;
	if (np < e)
		return -EINVAL;
	if (e == 0)
		return 0;
	for (unsigned r = 0; r < e; r++)
		for (unsigned q = 0; q < e; q++)
			sub[r * e + q] = c->matrix[(size_t)par[r] * k + lost[q]];
	/* (Cannot fail: every square submatrix of a Cauchy matrix is invertible.) */
	if (gf_invert_matrix(sub, inv, (int)e) != 0)
		return -EINVAL;
	for (unsigned r = 0; r < e; r++) {
		unsigned char *row = dec + (size_t)r * k;
		unsigned s = 0;

		for (unsigned i = 0; i < k; i++) {
			if (!have[i])
				continue;
			unsigned char v = 0;
			for (unsigned q = 0; q < e; q++)
				v ^= gf_mul(inv[r * e + q], c->matrix[(size_t)par[q] * k + i]);
			row[s++] = v;
		}
		for (unsigned q = 0; q < e; q++)
			row[s++] = inv[r * e + q];
		assert(s == k);
		out[r] = sym[lost[r]];
	}
	for (unsigned q = 0; q < e; q++)
		src[n++] = sym[par[q]];
	assert(n == k);
	return (int)e;
}

int tp_fec_decode(const struct tp_fec_code *c, const bool *have, unsigned char *const *sym,
		  size_t len)
{
	size_t k = c->k, m = c->m;
	unsigned char *mem = malloc(2 * m * m + m * k + 32 * m * k);
	unsigned char **ptrs = malloc(2 * k * sizeof(*ptrs));
	int rc = -ENOMEM;

	assert(len <= INT32_MAX);
	if (mem && ptrs) {
		unsigned char *sub = mem, *inv = mem + m * m, *dec = mem + 2 * m * m;
		unsigned char *tables = dec + m * k;
		unsigned char **src = ptrs, **out = ptrs + k;

		rc = decode_setup(c, have, sym, sub, inv, dec, src, out);
		if (rc > 0 && len > 0) {
			ec_init_tables((int)k, rc, dec, tables);
			ec_encode_data((int)len, (int)k, rc, tables, src, out);
		}
		if (rc > 0)
			rc = 0;
	}
	free(mem);
	free(ptrs);
	return rc;
}
