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

/* The decode matrix: the inverse of the generator's rows for the first k present symbols,
 * restricted to the rows of the missing data symbols. src[] gets those k symbols, out[] the
 * missing ones' buffers. Returns how many are missing (0..k), or -EINVAL. */
static int decode_setup(const struct tp_fec_code *c, const bool *have, unsigned char *const *sym,
			unsigned char *pick, unsigned char *inv, unsigned char *dec,
			unsigned char **src, unsigned char **out)
{
	unsigned k = c->k, n = 0, lost = 0;

	for (unsigned j = 0; j < k + c->m && n < k; j++) {
		if (!have[j])
			continue;
		memcpy(pick + (size_t)n * k, c->matrix + (size_t)j * k, k);
		src[n++] = sym[j];
	}
	if (n < k)
		return -EINVAL;
	/* (Cannot fail: every k x k submatrix of the Cauchy generator is invertible.) */
	if (gf_invert_matrix(pick, inv, (int)k) != 0)
		return -EINVAL;
	for (unsigned i = 0; i < k; i++) {
		if (have[i])
			continue;
		memcpy(dec + (size_t)lost * k, inv + (size_t)i * k, k);
		out[lost++] = sym[i];
	}
	return (int)lost;
}

int tp_fec_decode(const struct tp_fec_code *c, const bool *have, unsigned char *const *sym,
		  size_t len)
{
	size_t kk = (size_t)c->k * c->k;
	unsigned char *mem = malloc(3 * kk + (size_t)32 * kk);
	unsigned char **ptrs = malloc(2 * (size_t)c->k * sizeof(*ptrs));
	int rc = -ENOMEM;

	assert(len <= INT32_MAX);
	if (mem && ptrs) {
		unsigned char *pick = mem, *inv = mem + kk, *dec = mem + 2 * kk, *tables = mem + 3 * kk;
		unsigned char **src = ptrs, **out = ptrs + c->k;

		rc = decode_setup(c, have, sym, pick, inv, dec, src, out);
		if (rc > 0 && len > 0) {
			ec_init_tables((int)c->k, rc, dec, tables);
			ec_encode_data((int)len, (int)c->k, rc, tables, src, out);
		}
		if (rc > 0)
			rc = 0;
	}
	free(mem);
	free(ptrs);
	return rc;
}
