/* Erasure codes (--fec K+M): a systematic Reed-Solomon code over GF(2^8) from ISA-L, with a
 * Cauchy generator matrix, so that any K of a group's K+M symbols give back the K data
 * symbols. Pure: no I/O, no threads; the framer and the receiver's repair layer use it.
 *
 * A symbol is a byte string of at most the code's symbol size; shorter ones are padded with
 * zeros (virtually: the zeros add nothing to the parity, so they are never sent). */
#ifndef TP_FEC_H
#define TP_FEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A Cauchy matrix over GF(2^8) has at most 256 rows: K + M <= 256. */
#define TP_FEC_MAX_SYMBOLS 256u

struct tp_fec_code {
	unsigned k, m;
	unsigned char *matrix;    /* (k + m) x k generator: identity, then the m parity rows */
	unsigned char *enc_tables; /* ISA-L's expanded tables for the parity rows: 32 * k * m */
};

/* 0, -EINVAL (k or m is 0, or k + m > TP_FEC_MAX_SYMBOLS) or -ENOMEM. */
int tp_fec_code_init(struct tp_fec_code *c, unsigned k, unsigned m);
void tp_fec_code_destroy(struct tp_fec_code *c);

/* Folds data symbol i (< k), len bytes, into the m parity symbols parity[0..m), which start
 * zeroed and are at least len bytes long. Symbols may come in any order, each once. */
void tp_fec_encode_add(const struct tp_fec_code *c, unsigned i, const unsigned char *sym,
		       size_t len, unsigned char *const *parity);

/* Rebuilds the missing data symbols of a group. sym[0..k+m) point to buffers of len bytes:
 * data symbols 0..k-1, then parity symbols; have[j] says which hold what arrived (a data
 * symbol the sender never sent, past a short group's end, is present as zeros). Writes each
 * missing data symbol into its buffer. 0, -EINVAL when fewer than k symbols are present, or
 * -ENOMEM. Parity symbols that are missing are not rebuilt. */
int tp_fec_decode(const struct tp_fec_code *c, const bool *have, unsigned char *const *sym,
		  size_t len);

#endif
