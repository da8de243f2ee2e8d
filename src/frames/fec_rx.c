#include "config.h"
#include "fec_rx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "le.h"

enum group_state { GROUP_OPEN, GROUP_DONE, GROUP_COUNTED };

struct tp_fec_rx_block {
	bool used;
	uint32_t number;
	uint32_t count;          /* DATA frames in it, from a parity frame or END; 0 unknown */
	unsigned char *mem;      /* depth x (k + m) symbols of symbol_max bytes */
	bool *have;              /* which of them arrived (or were rebuilt) */
	uint16_t *n_data, *n_parity; /* per group */
	uint8_t *state;          /* per group: enum group_state */
};

void tp_fec_rx_init(struct tp_fec_rx *x, struct tp_rx_stats *stats, tp_fec_rx_fn *deliver,
		    void *ctx)
{
	memset(x, 0, sizeof(*x));
	x->stats = stats;
	x->deliver = deliver;
	x->ctx = ctx;
}

static unsigned per_block(const struct tp_fec_rx *x)
{
	return x->depth * (x->k + x->m);
}

static unsigned char *symbol(const struct tp_fec_rx *x, const struct tp_fec_rx_block *b,
			     unsigned g, unsigned j)
{
	return b->mem + ((size_t)g * (x->k + x->m) + j) * x->symbol_max;
}

static void forget(struct tp_fec_rx *x)
{
	for (unsigned i = 0; x->blocks && i < TP_FEC_RX_BLOCKS; i++) {
		struct tp_fec_rx_block *b = &x->blocks[i];
		free(b->mem);
		free(b->have);
		free(b->n_data);
		free(b->n_parity);
		free(b->state);
	}
	free(x->blocks);
	free(x->frame_buf);
	tp_fec_code_destroy(&x->code);
	x->blocks = NULL;
	x->frame_buf = NULL;
	x->learned = false;
	x->any_block = false;
}

void tp_fec_rx_destroy(struct tp_fec_rx *x)
{
	forget(x);
}

void tp_fec_rx_set_sealed(struct tp_fec_rx *x, uint8_t flags, size_t extra)
{
	x->data_flags = flags;
	x->seal_extra = extra;
}

static void reset_block(const struct tp_fec_rx *x, struct tp_fec_rx_block *b, uint32_t number)
{
	b->used = true;
	b->number = number;
	b->count = 0;
	memset(b->have, 0, per_block(x) * sizeof(*b->have));
	memset(b->n_data, 0, x->depth * sizeof(*b->n_data));
	memset(b->n_parity, 0, x->depth * sizeof(*b->n_parity));
	memset(b->state, GROUP_OPEN, x->depth);
}

/* The code of a session: 0, or -errno (repair stays off). */
static int learn(struct tp_fec_rx *x, uint32_t session, unsigned k, unsigned m, unsigned depth,
		 size_t symbol_max)
{
	x->session = session;
	x->k = k;
	x->m = m;
	x->depth = depth;
	x->symbol_max = symbol_max;
	x->stats->fec_k = (uint16_t)k;
	x->stats->fec_m = (uint16_t)m;
	x->stats->fec_depth = (uint16_t)depth;
	x->learned = true;
	x->off = true;
	if (!depth || (uint64_t)TP_FEC_RX_BLOCKS * depth * (k + m) * symbol_max > TP_FEC_RX_MEMORY)
		return -E2BIG;
	int rc = tp_fec_code_init(&x->code, k, m);
	if (rc < 0)
		return rc;
	x->blocks = calloc(TP_FEC_RX_BLOCKS, sizeof(*x->blocks));
	x->frame_buf = malloc(TP_FRAME_SYMBOL_AT + symbol_max);
	if (!x->blocks || !x->frame_buf)
		return -ENOMEM;
	for (unsigned i = 0; i < TP_FEC_RX_BLOCKS; i++) {
		struct tp_fec_rx_block *b = &x->blocks[i];
		b->mem = malloc((size_t)per_block(x) * symbol_max);
		b->have = malloc(per_block(x) * sizeof(*b->have));
		b->n_data = malloc(depth * sizeof(*b->n_data));
		b->n_parity = malloc(depth * sizeof(*b->n_parity));
		b->state = malloc(depth);
		if (!b->mem || !b->have || !b->n_data || !b->n_parity || !b->state)
			return -ENOMEM;
	}
	x->off = false;
	return 0;
}

/* Group g's DATA frames, or -1 while the block's size is not known. */
static int members(const struct tp_fec_rx *x, const struct tp_fec_rx_block *b, unsigned g)
{
	if (b->count)
		return (int)tp_frame_group_members(b->count, x->depth, g);
	if (b->number < x->newest)
		return (int)x->k; /* a later block exists: this one is full */
	return -1;
}

/* The block is leaving: each group that still lacks DATA is counted as not repaired. */
static void account(struct tp_fec_rx *x, struct tp_fec_rx_block *b)
{
	for (unsigned g = 0; b->used && g < x->depth; g++) {
		int n = members(x, b, g);
		if (n <= 0 || b->state[g] == GROUP_COUNTED)
			continue;
		x->stats->fec_groups++;
		if (b->state[g] == GROUP_OPEN && b->n_data[g] < n) {
			unsigned lacked = (unsigned)n + x->m - b->n_data[g] - b->n_parity[g];
			x->stats->fec_unrepaired++;
			if (lacked > x->stats->fec_lacked_max)
				x->stats->fec_lacked_max = lacked;
		}
		b->state[g] = GROUP_COUNTED;
	}
	b->used = false;
}

/* Block `number`, claimed if it is new; NULL when it is older than the blocks kept. */
static struct tp_fec_rx_block *block_for(struct tp_fec_rx *x, uint32_t number)
{
	if (!x->any_block || number > x->newest) {
		uint32_t from = x->any_block ? x->newest + 1 : number;
		if (number - from >= TP_FEC_RX_BLOCKS)
			from = number - (TP_FEC_RX_BLOCKS - 1);
		/* newest moves first, so that the blocks leaving count as full ones */
		x->newest = number;
		x->any_block = true;
		for (uint32_t n = from; ; n++) {
			struct tp_fec_rx_block *b = &x->blocks[n % TP_FEC_RX_BLOCKS];
			account(x, b);
			reset_block(x, b, n);
			if (n == number)
				break;
		}
	}
	struct tp_fec_rx_block *b = &x->blocks[number % TP_FEC_RX_BLOCKS];
	return b->used && b->number == number ? b : NULL;
}

/* Rebuilds group g's missing DATA frames, checks each and passes it on. */
static int rebuild(struct tp_fec_rx *x, struct tp_fec_rx_block *b, unsigned g, unsigned n)
{
	bool have[TP_FEC_MAX_SYMBOLS];
	unsigned char *sym[TP_FEC_MAX_SYMBOLS];
	unsigned km = x->k + x->m;

	for (unsigned j = 0; j < km; j++) {
		sym[j] = symbol(x, b, g, j);
		have[j] = b->have[g * km + j];
		if (j >= n && j < x->k) {
			memset(sym[j], 0, x->symbol_max); /* past a short group's end: zeros */
			have[j] = true;
		}
	}
	int rc = tp_fec_decode(&x->code, have, sym, x->symbol_max);
	if (rc < 0)
		return 0; /* (cannot happen: enough symbols were counted) */
	b->state[g] = GROUP_DONE;
	for (unsigned i = 0; i < n; i++) {
		if (have[i])
			continue;
		b->have[g * km + i] = true;
		unsigned char *fb = x->frame_buf;
		tp_put_le16(fb, TP_FRAME_MAGIC);
		fb[2] = (unsigned char)(TP_FRAME_VERSION << 4 | TP_FRAME_DATA);
		fb[3] = x->data_flags;
		tp_put_le32(fb + 4, x->session);
		memcpy(fb + TP_FRAME_SYMBOL_AT, sym[i], x->symbol_max);
		uint32_t len = tp_get_le32(fb + 20);
		uint32_t seq = (b->number * x->k + i) * x->depth + g;
		struct tp_frame f;
		/* A wrong rebuild (a parity frame that lied, CRC and all) never gets out. */
		if (len > x->symbol_max - TP_FRAME_SYMBOL_OVERHEAD ||
		    tp_frame_open(fb, tp_frame_size(len), &f) != TP_FRAME_OK ||
		    f.type != TP_FRAME_DATA || f.seq != seq) {
			x->stats->fec_bad++;
			continue;
		}
		uint64_t dups = x->stats->duplicates;
		rc = x->deliver(x->ctx, &f);
		if (x->stats->duplicates == dups)
			x->stats->fec_repaired++;
		if (rc)
			return rc;
	}
	return 0;
}

static int try_repair(struct tp_fec_rx *x, struct tp_fec_rx_block *b, unsigned g)
{
	int n = members(x, b, g);

	if (n <= 0 || b->state[g] != GROUP_OPEN)
		return 0;
	if (b->n_data[g] >= n) {
		b->state[g] = GROUP_DONE; /* nothing lost */
		return 0;
	}
	if (b->n_data[g] + b->n_parity[g] < n)
		return 0;
	return rebuild(x, b, g, (unsigned)n);
}

static int on_data(struct tp_fec_rx *x, const struct tp_frame *f)
{
	uint32_t per = x->k * x->depth, r = f->seq % per;
	unsigned g = r % x->depth, i = r / x->depth, km = x->k + x->m;
	struct tp_fec_rx_block *b = block_for(x, f->seq / per);

	if (!b || b->state[g] != GROUP_OPEN || b->have[g * km + i] ||
	    f->len + TP_FRAME_SYMBOL_OVERHEAD > x->symbol_max)
		return 0;
	unsigned char *s = symbol(x, b, g, i);
	tp_put_le64(s, f->offset);
	tp_put_le32(s + 8, f->seq);
	tp_put_le32(s + 12, f->len);
	memcpy(s + 16, f->payload, f->len);
	tp_put_le32(s + 16 + f->len, f->crc);
	memset(s + f->len + TP_FRAME_SYMBOL_OVERHEAD, 0,
	       x->symbol_max - f->len - TP_FRAME_SYMBOL_OVERHEAD);
	b->have[g * km + i] = true;
	b->n_data[g]++;
	return try_repair(x, b, g);
}

static int on_parity(struct tp_fec_rx *x, const struct tp_frame *f)
{
	struct tp_frame_parity pr;

	if (tp_frame_parity_decode(f->payload, f->len, &pr) != 0)
		return 0; /* (tp_frame_open refuses such a frame) */
	x->stats->fec_parity++;
	if (!x->learned)
		learn(x, f->session, pr.k, pr.m, pr.depth, pr.symbol_len);
	if (x->off)
		return 0;
	if (pr.k != x->k || pr.m != x->m || pr.depth != x->depth || pr.symbol_len > x->symbol_max) {
		x->stats->fec_foreign++; /* another code than the session's */
		return 0;
	}
	struct tp_fec_rx_block *b = block_for(x, pr.block);
	unsigned km = x->k + x->m, j = x->k + pr.index;

	if (!b)
		return 0;
	if (b->count && b->count != pr.count) {
		x->stats->fec_foreign++;
		return 0;
	}
	b->count = pr.count;
	if (b->state[pr.group] != GROUP_OPEN || b->have[pr.group * km + j])
		return 0;
	unsigned char *s = symbol(x, b, pr.group, j);
	memcpy(s, pr.symbol, pr.symbol_len);
	memset(s + pr.symbol_len, 0, x->symbol_max - pr.symbol_len);
	b->have[pr.group * km + j] = true;
	b->n_parity[pr.group]++;
	return try_repair(x, b, pr.group);
}

int tp_fec_rx_frame(struct tp_fec_rx *x, const struct tp_frame *f)
{
	if (x->learned && f->session != x->session) {
		tp_fec_rx_finish(x, UINT32_MAX);
		forget(x);
	}
	switch (f->type) {
	case TP_FRAME_META: {
		struct tp_frame_meta meta;
		if (!x->learned && tp_frame_meta_decode(f->payload, f->len, &meta) == 0 && meta.fec_k)
			learn(x, f->session, meta.fec_k, meta.fec_m, meta.fec_depth,
			      (size_t)meta.frame_size + x->seal_extra + TP_FRAME_SYMBOL_OVERHEAD);
		return 0;
	}
	case TP_FRAME_PARITY:
		return on_parity(x, f);
	case TP_FRAME_DATA:
		return x->learned && !x->off ? on_data(x, f) : 0;
	case TP_FRAME_END:
		return 0;
	}
	return 0;
}

void tp_fec_rx_finish(struct tp_fec_rx *x, uint32_t frames)
{
	if (!x->learned || x->off || !x->any_block)
		return;
	struct tp_fec_rx_block *last = &x->blocks[x->newest % TP_FEC_RX_BLOCKS];
	uint64_t per = (uint64_t)x->k * x->depth, first = (uint64_t)x->newest * per;
	if (last->used && !last->count && frames != UINT32_MAX && frames > first &&
	    frames - first <= per)
		last->count = (uint32_t)(frames - first);
	for (unsigned i = 0; i < TP_FEC_RX_BLOCKS; i++)
		account(x, &x->blocks[i]);
	x->any_block = false;
}
