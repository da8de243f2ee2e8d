#include "config.h"
#include "fec_tx.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int tp_fec_tx_init(struct tp_fec_tx *tx, unsigned k, unsigned m, unsigned depth,
		   size_t payload_max)
{
	int rc;

	memset(tx, 0, sizeof(*tx));
	if (depth == 0 || depth > UINT16_MAX)
		return -EINVAL;
	rc = tp_fec_code_init(&tx->code, k, m);
	if (rc < 0)
		return rc;
	tx->k = k;
	tx->m = m;
	tx->depth = depth;
	tx->symbol_max = payload_max + TP_FRAME_SYMBOL_OVERHEAD;
	tx->parity = calloc((size_t)depth * m, tx->symbol_max);
	tx->ptrs = malloc((size_t)depth * m * sizeof(*tx->ptrs));
	tx->group_len = calloc(depth, sizeof(*tx->group_len));
	if (!tx->parity || !tx->ptrs || !tx->group_len) {
		tp_fec_tx_destroy(tx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < (size_t)depth * m; i++)
		tx->ptrs[i] = tx->parity + i * tx->symbol_max;
	return 0;
}

void tp_fec_tx_destroy(struct tp_fec_tx *tx)
{
	tp_fec_code_destroy(&tx->code);
	free(tx->parity);
	free(tx->ptrs);
	free(tx->group_len);
	tx->parity = NULL;
	tx->ptrs = NULL;
	tx->group_len = NULL;
}

uint32_t tp_fec_tx_room(const struct tp_fec_tx *tx)
{
	return tx->closed ? 0 : tx->k * tx->depth - tx->in_block;
}

void tp_fec_tx_add(struct tp_fec_tx *tx, const unsigned char *frame, size_t payload_len)
{
	unsigned g = tx->in_block % tx->depth, i = tx->in_block / tx->depth;
	size_t len = payload_len + TP_FRAME_SYMBOL_OVERHEAD;

	assert(!tx->closed && len <= tx->symbol_max);
	tp_fec_encode_add(&tx->code, i, frame + TP_FRAME_SYMBOL_AT, len, tx->ptrs + (size_t)g * tx->m);
	if (len > tx->group_len[g])
		tx->group_len[g] = len;
	if (++tx->in_block == tx->k * tx->depth)
		tx->closed = true;
}

void tp_fec_tx_close(struct tp_fec_tx *tx)
{
	if (tx->in_block > 0)
		tx->closed = true;
}

/* Skips the parity of groups with no members (a short last block). */
static void skip_empty(struct tp_fec_tx *tx)
{
	while (tx->next < tx->m * tx->depth &&
	       !tp_frame_group_members(tx->in_block, tx->depth, tx->next % tx->depth))
		tx->next++;
}

bool tp_fec_tx_peek(struct tp_fec_tx *tx, struct tp_frame_parity *pr)
{
	if (!tx->closed)
		return false;
	skip_empty(tx); /* (only moves past what can never be sent) */
	if (tx->next >= tx->m * tx->depth)
		return false;
	unsigned g = tx->next % tx->depth, j = tx->next / tx->depth;

	*pr = (struct tp_frame_parity){
		.block = tx->block, .count = tx->in_block, .k = (uint16_t)tx->k,
		.m = (uint16_t)tx->m, .depth = (uint16_t)tx->depth, .group = (uint16_t)g,
		.index = (uint16_t)j, .symbol = tx->ptrs[(size_t)g * tx->m + j],
		.symbol_len = (uint32_t)tx->group_len[g],
	};
	return true;
}

void tp_fec_tx_sent(struct tp_fec_tx *tx)
{
	assert(tx->closed && tx->next < tx->m * tx->depth);
	tx->next++;
	tx->parity_frames++;
	skip_empty(tx);
	if (tx->next < tx->m * tx->depth)
		return;
	/* The block is out: zero what it used, and open the next. */
	for (unsigned g = 0; g < tx->depth; g++) {
		for (unsigned j = 0; j < tx->m; j++)
			memset(tx->ptrs[(size_t)g * tx->m + j], 0, tx->group_len[g]);
		tx->group_len[g] = 0;
	}
	tx->block++;
	tx->in_block = 0;
	tx->next = 0;
	tx->closed = false;
}
