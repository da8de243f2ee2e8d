/* The repair layer: a real framer with --fec makes the frames; some are dropped; fec_rx must
 * rebuild exactly the lost DATA frames when a group kept K of its K+M, and none otherwise. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <stdlib.h>
#include <string.h>
#include "crc.h"
#include "fec_rx.h"
#include "fec_tx.h"
#include "framer.h"

#define SESSION 0x5eed1234u
#define MAXF 512

struct stream {
	unsigned char *frame[MAXF];
	size_t len[MAXF];
	struct tp_frame f[MAXF];
	unsigned n;
	unsigned char *data;   /* the payload bytes sent */
	size_t data_len;
};

static void make_stream(struct stream *s, unsigned k, unsigned m, unsigned depth, size_t payload,
			size_t bytes)
{
	struct tp_framer fr;
	struct tp_fec_tx tx;
	struct tp_frame_meta meta = { .total = bytes, .frame_size = (uint32_t)payload,
				      .fec_k = (uint16_t)k, .fec_m = (uint16_t)m,
				      .fec_depth = (uint16_t)depth };
	struct tp_chunk chunk = { .cap = 4u << 20 };

	memset(s, 0, sizeof(*s));
	chunk.data = malloc(chunk.cap);
	s->data = malloc(bytes);
	s->data_len = bytes;
	for (size_t i = 0; i < bytes; i++)
		s->data[i] = (unsigned char)(i * 131 + i / 977);
	ck_assert_int_eq(tp_fec_tx_init(&tx, k, m, depth, payload), 0);
	tp_framer_init(&fr, false, payload, SESSION, 1000000, &meta);
	tp_framer_set_fec(&fr, &tx);
	size_t done = 0;
	while (done < bytes) {
		unsigned char *at;
		size_t room = tp_framer_room(&fr, &chunk, &at);
		ck_assert_uint_gt(room, 0);
		size_t n = bytes - done < room ? bytes - done : room;
		memcpy(at, s->data + done, n);
		tp_framer_add(&fr, &chunk, n);
		done += n;
	}
	ck_assert_int_eq(tp_framer_end(&fr, &chunk), 0);
	for (size_t at = 0; at < chunk.len;) {
		size_t len = tp_frame_size(tp_frame_payload_len(chunk.data + at));
		ck_assert_uint_lt(s->n, MAXF);
		s->frame[s->n] = malloc(len);
		memcpy(s->frame[s->n], chunk.data + at, len);
		s->len[s->n] = len;
		ck_assert_int_eq(tp_frame_open(s->frame[s->n], len, &s->f[s->n]), TP_FRAME_OK);
		s->n++;
		at += len;
	}
	tp_fec_tx_destroy(&tx);
	free(chunk.data);
}

static void free_stream(struct stream *s)
{
	for (unsigned i = 0; i < s->n; i++)
		free(s->frame[i]);
	free(s->data);
}

struct got {
	const struct stream *s;
	bool seq[MAXF];
	unsigned n;
};

static int record(void *ctx, const struct tp_frame *f)
{
	struct got *g = ctx;

	ck_assert_int_eq(f->type, TP_FRAME_DATA);
	ck_assert_uint_eq(f->session, SESSION);
	ck_assert_uint_lt(f->seq, MAXF);
	ck_assert(f->offset + f->len <= g->s->data_len);
	ck_assert_mem_eq(f->payload, g->s->data + f->offset, f->len);
	ck_assert(!g->seq[f->seq]);
	g->seq[f->seq] = true;
	g->n++;
	return 0;
}

/* Feeds every frame but the dropped ones (by index into the stream); returns the stats. */
static struct tp_rx_stats feed(const struct stream *s, const bool *drop, struct got *got,
			       bool parity_first)
{
	struct tp_rx_stats st = { 0 };
	struct tp_fec_rx x;

	memset(got, 0, sizeof(*got));
	got->s = s;
	tp_fec_rx_init(&x, &st, record, got);
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < s->n; i++) {
			bool parity = s->f[i].type == TP_FRAME_PARITY;
			if (drop[i] || (parity_first && parity != (pass == 0)) || (!parity_first && pass))
				continue;
			ck_assert_int_eq(tp_fec_rx_frame(&x, &s->f[i]), 0);
		}
	uint32_t frames = 0;
	for (unsigned i = 0; i < s->n; i++)
		frames += s->f[i].type == TP_FRAME_DATA;
	tp_fec_rx_finish(&x, frames);
	tp_fec_rx_destroy(&x);
	return st;
}

static unsigned count_type(const struct stream *s, enum tp_frame_type t)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n; i++)
		n += s->f[i].type == t;
	return n;
}

/* 4+2, one group: every pattern of losses among its 6 frames. */
START_TEST(test_every_pattern)
{
	struct stream s;
	struct got got;

	make_stream(&s, 4, 2, 1, 100, 400);
	ck_assert_uint_eq(count_type(&s, TP_FRAME_DATA), 4);
	ck_assert_uint_eq(count_type(&s, TP_FRAME_PARITY), 2);
	unsigned idx[6], n = 0;
	for (unsigned i = 0; i < s.n; i++)
		if (s.f[i].type == TP_FRAME_DATA || s.f[i].type == TP_FRAME_PARITY)
			idx[n++] = i;
	for (unsigned mask = 0; mask < 64; mask++) {
		bool drop[MAXF] = { false };
		unsigned lost = 0, lost_data = 0;
		for (unsigned j = 0; j < 6; j++)
			if (mask >> j & 1) {
				drop[idx[j]] = true;
				lost++;
				lost_data += s.f[idx[j]].type == TP_FRAME_DATA;
			}
		struct tp_rx_stats st = feed(&s, drop, &got, mask & 1);
		ck_assert_uint_eq(st.fec_k, 4);
		if (mask == 63) {
			/* Nothing of the group came: nothing to repair it with (the tracker reports
			 * the loss). */
			ck_assert_uint_eq(got.n, 0);
			ck_assert_uint_eq(st.fec_groups, 0);
			continue;
		}
		if (lost <= 2) {
			/* Parity first: frames still to come may be rebuilt before they do (the
			 * tracker counts the late ones as copies). */
			if (mask & 1)
				ck_assert_uint_ge(got.n, lost_data);
			else
				ck_assert_uint_eq(got.n, lost_data);
			for (unsigned j = 0; j < 6; j++)
				if (drop[idx[j]] && s.f[idx[j]].type == TP_FRAME_DATA)
					ck_assert(got.seq[s.f[idx[j]].seq]);
			ck_assert_uint_eq(st.fec_unrepaired, 0);
		} else {
			ck_assert_uint_eq(got.n, 0);
			ck_assert_msg(st.fec_unrepaired == (lost_data ? 1u : 0u), "mask %u", mask);
			if (lost_data)
				ck_assert_uint_eq(st.fec_lacked_max, lost);
		}
		ck_assert_msg(st.fec_groups == 1, "mask %u", mask);
		ck_assert_uint_eq(st.fec_bad, 0);
	}
	free_stream(&s);
}
END_TEST

/* Interleaved 3 deep: a burst of 3 x M DATA frames in a row is rebuilt. */
START_TEST(test_burst_interleaved)
{
	struct stream s;
	struct got got;
	bool drop[MAXF] = { false };

	make_stream(&s, 8, 2, 3, 64, 64 * 8 * 3 * 2); /* two full blocks */
	ck_assert_uint_eq(count_type(&s, TP_FRAME_PARITY), 2 * 3 * 2);
	unsigned burst = 0;
	for (unsigned i = 0; i < s.n && burst < 6; i++)
		if (s.f[i].type == TP_FRAME_DATA && s.f[i].seq >= 30)
			drop[i] = true, burst++;
	struct tp_rx_stats st = feed(&s, drop, &got, false);
	ck_assert_uint_eq(got.n, 6);
	ck_assert_uint_eq(st.fec_repaired, 6);
	ck_assert_uint_eq(st.fec_unrepaired, 0);
	ck_assert_uint_eq(st.fec_groups, 6);
	/* One more in the same stretch: one group lacks 3 of its 10. */
	for (unsigned i = 0; i < s.n; i++)
		if (s.f[i].type == TP_FRAME_DATA && s.f[i].seq == 36)
			drop[i] = true;
	st = feed(&s, drop, &got, false);
	ck_assert_uint_eq(st.fec_unrepaired, 1);
	ck_assert_uint_eq(st.fec_lacked_max, 3);
	ck_assert_uint_eq(got.n, 4);
	free_stream(&s);
}
END_TEST

/* The last block is short, and so are its groups: padded with zeros never sent. */
START_TEST(test_short_last_group)
{
	struct stream s;
	struct got got;
	bool drop[MAXF] = { false };

	make_stream(&s, 4, 1, 2, 50, 50 * 8 + 50 * 3 + 7); /* a full block, then 4 frames */
	ck_assert_uint_eq(count_type(&s, TP_FRAME_DATA), 12);
	ck_assert_uint_eq(count_type(&s, TP_FRAME_PARITY), 2 + 2);
	for (unsigned i = 0; i < s.n; i++)
		if (s.f[i].type == TP_FRAME_DATA && (s.f[i].seq == 10 || s.f[i].seq == 11))
			drop[i] = true; /* the last one is 7 bytes long */
	struct tp_rx_stats st = feed(&s, drop, &got, false);
	ck_assert_uint_eq(got.n, 2);
	ck_assert(got.seq[10] && got.seq[11]);
	ck_assert_uint_eq(st.fec_unrepaired, 0);
	free_stream(&s);
}
END_TEST

/* A parity frame of another code is counted and changes nothing; one that lies (a forged
 * symbol with a good CRC) rebuilds a frame that fails its check and is never passed on. */
START_TEST(test_foreign_and_forged)
{
	struct stream s;
	struct got got;
	struct tp_rx_stats st = { 0 };
	struct tp_fec_rx x;

	make_stream(&s, 4, 2, 1, 100, 400);
	memset(&got, 0, sizeof(got));
	got.s = &s;
	tp_fec_rx_init(&x, &st, record, &got);
	unsigned data = 0;
	for (unsigned i = 0; i < s.n; i++) {
		struct tp_frame f = s.f[i];
		if (f.type == TP_FRAME_DATA && data++ == 0)
			continue; /* the first DATA frame is lost */
		if (f.type == TP_FRAME_PARITY) {
			/* a forged copy first: another K, then a lying symbol */
			unsigned char *copy = malloc(s.len[i]);
			memcpy(copy, s.frame[i], s.len[i]);
			copy[TP_FRAME_HDR_SIZE + 8] ^= 1; /* k 4 -> 5 */
			struct tp_frame g;
			f.len = tp_frame_payload_len(copy);
			tp_frame_seal(copy, &f);
			ck_assert_int_eq(tp_frame_open(copy, s.len[i], &g), TP_FRAME_OK);
			ck_assert_int_eq(tp_fec_rx_frame(&x, &g), 0);
			copy[TP_FRAME_HDR_SIZE + 8] ^= 1;
			copy[TP_FRAME_HDR_SIZE + 40] ^= 0x55; /* the symbol lies */
			tp_frame_seal(copy, &f);
			ck_assert_int_eq(tp_frame_open(copy, s.len[i], &g), TP_FRAME_OK);
			ck_assert_int_eq(tp_fec_rx_frame(&x, &g), 0);
			free(copy);
			break;
		}
		ck_assert_int_eq(tp_fec_rx_frame(&x, &f), 0);
	}
	ck_assert_uint_eq(st.fec_foreign, 1);
	ck_assert_uint_eq(st.fec_bad, 1);
	ck_assert_uint_eq(got.n, 0);
	tp_fec_rx_destroy(&x);
	free_stream(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fec_rx");
	TCase *tc = tcase_create("fec_rx");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_every_pattern);
	tcase_add_test(tc, test_burst_interleaved);
	tcase_add_test(tc, test_short_last_group);
	tcase_add_test(tc, test_foreign_and_forged);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
