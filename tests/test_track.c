/* The receiver's tracker: placement by offset, duplicates, reordering, loss under each gap
 * policy, restarts, END early/late/missing, and a randomized check that the output is always
 * the sender's bytes with exactly the declared losses missing (or zeroed). */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "crc.h"
#include "frame.h"
#include "track.h"

#define MAXF 256
#define MAXLOSS 256

/* ---- a synthetic sender --------------------------------------------------------------- */

struct stream {
	uint32_t session;
	uint64_t epoch;            /* sealed: the run's start (track.h); 0: not sealed */
	uint32_t n;                /* DATA frames */
	uint64_t off[MAXF + 1];    /* off[i]: frame i's offset; off[n]: the total */
	uint32_t len[MAXF];
	unsigned char *bytes;
	uint64_t total;
	uint32_t digest;
	unsigned char meta[64];
	size_t meta_len;
	unsigned char end[TP_FRAME_END_SIZE];
};

static uint64_t rng(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void stream_encode_end(struct stream *s, uint64_t total, uint32_t digest, uint32_t frames)
{
	struct tp_frame_end e = { .total = total, .digest = digest, .frames = frames };

	ck_assert_uint_eq(tp_frame_end_encode(s->end, sizeof(s->end), &e), TP_FRAME_END_SIZE);
}

/* n frames of 1..maxlen bytes (maxlen 0: all of fixed length 100) from a seeded byte stream. */
static void stream_make(struct stream *s, uint32_t session, uint32_t n, uint32_t maxlen,
			uint64_t seed)
{
	uint64_t r = seed * 0x9E3779B97F4A7C15ULL + 1;

	ck_assert_uint_le(n, MAXF);
	memset(s, 0, sizeof(*s));
	s->session = session;
	s->n = n;
	for (uint32_t i = 0; i < n; i++) {
		s->len[i] = maxlen ? 1 + (uint32_t)(rng(&r) % maxlen) : 100;
		s->off[i + 1] = s->off[i] + s->len[i];
	}
	s->total = s->off[n];
	s->bytes = malloc(s->total ? s->total : 1);
	ck_assert_ptr_nonnull(s->bytes);
	for (uint64_t i = 0; i < s->total; i++)
		s->bytes[i] = (unsigned char)(rng(&r) >> 56);
	s->digest = tp_crc32c(0, s->bytes, s->total);

	struct tp_frame_meta m = { .total = s->total, .frame_size = maxlen, .repeat = 0 };

	strcpy(m.name, "synthetic");
	s->meta_len = tp_frame_meta_encode(s->meta, sizeof(s->meta), &m);
	ck_assert_uint_gt(s->meta_len, 0);
	stream_encode_end(s, s->total, s->digest, n);
}

static void stream_free(struct stream *s)
{
	free(s->bytes);
	s->bytes = NULL;
}

static struct tp_frame fdata(const struct stream *s, uint32_t i)
{
	return (struct tp_frame){
		.type = TP_FRAME_DATA, .session = s->session, .offset = s->off[i], .seq = i,
		.len = s->len[i], .payload = s->bytes + s->off[i], .epoch = s->epoch,
	};
}

static struct tp_frame fmeta(const struct stream *s)
{
	return (struct tp_frame){
		.type = TP_FRAME_META, .session = s->session, .seq = 0,
		.len = (uint32_t)s->meta_len, .payload = s->meta, .epoch = s->epoch,
	};
}

static struct tp_frame fend(const struct stream *s)
{
	return (struct tp_frame){
		.type = TP_FRAME_END, .session = s->session, .offset = s->total, .seq = s->n,
		.len = TP_FRAME_END_SIZE, .payload = s->end, .epoch = s->epoch,
	};
}

/* ---- a recording receiver ------------------------------------------------------------- */

struct sink {
	unsigned char *out;
	size_t len, cap;
	size_t fail_after;         /* emit fails once the output would pass this */
	size_t take_max;           /* emit takes no more than this in all (0: no limit): -S */
	int fail_err;
	struct tp_track_loss loss[MAXLOSS];
	size_t out_at_loss[MAXLOSS];
	unsigned nloss;
	uint32_t restart_old[8], restart_new[8];
	unsigned nrestart;
	uint32_t gave_up_old, gave_up_new;
	unsigned ngave_up;
	unsigned nmeta;
	struct tp_frame_meta meta;
	unsigned nrefused;
	struct tp_track_refusal refusal; /* the last one */
	struct tp_frame refused;   /* its frame (valid during the call only, so copied) */
	const bool *delivered;     /* randomized test: frames fed so far */
	bool bad_loss;             /* a frame already fed was declared lost */
	/* In place (as -D's chunk): each frame's payload is put here, where emit writes, and
	 * any emit scribbles over it; NULL: frames point to the sender's bytes. */
	unsigned char *tail;
	size_t tail_cap;
	size_t taken_in_place;     /* bytes emitted straight from tail */
};

static ssize_t sink_emit(void *ctx, const unsigned char *p, size_t n)
{
	struct sink *k = ctx;

	ck_assert_uint_gt(n, 0);
	if (k->fail_err && k->len + n > k->fail_after)
		return -k->fail_err;
	if (k->take_max && k->len + n > k->take_max)
		n = k->take_max - k->len;
	if (k->len + n > k->cap) {
		k->cap = (k->len + n) * 2;
		k->out = realloc(k->out, k->cap);
		ck_assert_ptr_nonnull(k->out);
	}
	memcpy(k->out + k->len, p, n);
	k->len += n;
	if (k->tail && p == k->tail)
		k->taken_in_place += n;
	/* Whatever lay where the output goes next is gone now. */
	if (k->tail)
		memset(k->tail, 0xEE, k->tail_cap);
	return (ssize_t)n;
}

static void sink_lost(void *ctx, const struct tp_track_loss *loss)
{
	struct sink *k = ctx;

	ck_assert_uint_lt(k->nloss, MAXLOSS);
	if (k->delivered && loss->first_seq <= loss->last_seq) {
		for (uint64_t i = loss->first_seq; i <= loss->last_seq; i++)
			if (i < MAXF && k->delivered[i])
				k->bad_loss = true;
	}
	k->out_at_loss[k->nloss] = k->len;
	k->loss[k->nloss++] = *loss;
}

static void sink_gave_up(void *ctx, uint32_t old_session, uint32_t new_session)
{
	struct sink *k = ctx;

	k->gave_up_old = old_session;
	k->gave_up_new = new_session;
	k->ngave_up++;
}

static void sink_restart(void *ctx, uint32_t old_session, uint32_t new_session)
{
	struct sink *k = ctx;

	ck_assert_uint_lt(k->nrestart, 8);
	k->restart_old[k->nrestart] = old_session;
	k->restart_new[k->nrestart++] = new_session;
}

static void sink_meta(void *ctx, const struct tp_frame_meta *m)
{
	struct sink *k = ctx;

	k->nmeta++;
	k->meta = *m;
}

static void sink_refused(void *ctx, const struct tp_track_refusal *r)
{
	struct sink *k = ctx;

	ck_assert_uint_gt(strlen(r->why), 10);
	k->nrefused++;
	k->refusal = *r;
	k->refused = *r->frame;
	k->refusal.frame = &k->refused;
}

static const struct tp_track_ops full_ops = {
	.emit = sink_emit, .lost = sink_lost, .restart = sink_restart, .gave_up = sink_gave_up, .meta = sink_meta,
	.refused = sink_refused,
};
static const struct tp_track_ops bare_ops = { .emit = sink_emit };

struct fx {
	struct tp_track t;
	struct tp_rx_stats st;
	struct sink k;
};

/* Whether the fixtures put each frame's payload where emit writes (see struct sink); the
 * test case is run both ways (see track_suite). */
static bool in_place;

static void payloads_apart(void)
{
	in_place = false;
}

static void payloads_in_place(void)
{
	in_place = true;
}

#define TAIL_CAP 4096

static void fx_init(struct fx *x, enum tp_gap_policy policy, size_t wbytes, uint32_t wframes)
{
	memset(x, 0, sizeof(*x));
	ck_assert_int_eq(tp_track_init(&x->t, &full_ops, &x->k, &x->st, policy, wbytes, wframes), 0);
	if (in_place) {
		x->k.tail = malloc(TAIL_CAP);
		ck_assert_ptr_nonnull(x->k.tail);
		x->k.tail_cap = TAIL_CAP;
	}
}

static void fx_done(struct fx *x)
{
	tp_track_destroy(&x->t);
	free(x->k.out);
	free(x->k.tail);
}

static int feed(struct fx *x, struct tp_frame f)
{
	if (x->k.tail && f.len) {
		ck_assert_uint_le(f.len, x->k.tail_cap);
		memcpy(x->k.tail, f.payload, f.len);
		f.payload = x->k.tail;
	}
	return tp_track_frame(&x->t, &f);
}

/* Feeds DATA frames lo .. hi-1 in order; every one must answer MORE. */
static void feed_range(struct fx *x, const struct stream *s, uint32_t lo, uint32_t hi)
{
	for (uint32_t i = lo; i < hi; i++)
		ck_assert_int_eq(feed(x, fdata(s, i)), TP_TRACK_MORE);
}

static void assert_out(const struct fx *x, const unsigned char *want, size_t n)
{
	ck_assert_uint_eq(x->k.len, n);
	ck_assert(n == 0 || memcmp(x->k.out, want, n) == 0);
}

static void assert_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(p[i], 0);
}

static void assert_loss(const struct tp_track_loss *l, uint32_t first, uint32_t last,
			uint64_t offset, uint64_t bytes)
{
	ck_assert_uint_eq(l->first_seq, first);
	ck_assert_uint_eq(l->last_seq, last);
	ck_assert_uint_eq(l->offset, offset);
	ck_assert_uint_eq(l->bytes, bytes);
}

/* ---- in order, copies, reordering -------------------------------------------------------- */

START_TEST(test_in_order_complete)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 0x1234, 200, 700, 1);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	ck_assert_uint_eq(x.st.total, TP_FRAME_TOTAL_UNKNOWN);
	ck_assert_int_eq(feed(&x, fmeta(&s)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.k.nmeta, 1);
	ck_assert_str_eq(x.k.meta.name, "synthetic");
	ck_assert_uint_eq(x.st.total, s.total);
	feed_range(&x, &s, 0, 200);
	ck_assert_int_eq(feed(&x, fmeta(&s)), TP_TRACK_MORE); /* periodic META: no second call */
	ck_assert_uint_eq(x.k.nmeta, 1);
	ck_assert(!tp_track_waiting_at_end(&x.t));
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_COMPLETE);
	assert_out(&x, s.bytes, s.total);
	ck_assert(x.st.end_seen);
	ck_assert(x.st.digest_ok);
	ck_assert_uint_eq(x.st.bytes_out, s.total);
	ck_assert_uint_eq(x.st.duplicates + x.st.reordered + x.st.gaps + x.st.lost_frames +
			  x.st.lost_bytes + x.st.zero_bytes + x.st.restarts + x.st.stale, 0);
	ck_assert_uint_eq(x.k.nloss, 0);
	ck_assert_uint_eq(x.t.cap_held, 0); /* in order: nothing held, nothing allocated */
	/* Done: END repeats and anything else are ignored with the same answer; a late copy
	 * counts as a duplicate, another stream behind it as frames after the end. */
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_COMPLETE);
	ck_assert_int_eq(feed(&x, fdata(&s, 3)), TP_TRACK_COMPLETE);
	ck_assert_uint_eq(x.st.duplicates, 1);
	ck_assert_int_eq(feed(&x, fmeta(&s)), TP_TRACK_COMPLETE); /* a META copy: nothing */
	ck_assert_uint_eq(x.st.after_end + x.st.duplicates, 1);
	struct tp_frame other = fdata(&s, 0);
	other.session = 0x5678;
	ck_assert_int_eq(feed(&x, other), TP_TRACK_COMPLETE);
	ck_assert_uint_eq(x.st.after_end, 1);
	ck_assert_uint_eq(x.st.restarts, 0);
	ck_assert_uint_eq(tp_rx_conflict_total(&x.st), 0);
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_COMPLETE);
	ck_assert_uint_eq(x.k.nloss, 0);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

START_TEST(test_empty_stream)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 7, 0, 100, 2);
	fx_init(&x, TP_GAP_STOP, 4096, 8);
	ck_assert_int_eq(feed(&x, fmeta(&s)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.total, 0);
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_COMPLETE);
	ck_assert_uint_eq(x.k.len, 0);
	ck_assert(x.st.digest_ok);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* The digest is the CRC-32C of the whole stream, chained over the frames. */
START_TEST(test_digest_known_answer)
{
	static const unsigned char nine[] = "123456789";
	unsigned char endp[TP_FRAME_END_SIZE];
	struct tp_frame_end e = { .total = 9, .digest = 0xE3069283u, .frames = 3 };
	struct fx x;

	for (int good = 0; good < 2; good++) {
		fx_init(&x, TP_GAP_STOP, 4096, 8);
		e.digest = good ? 0xE3069283u : 0xE3069282u;
		tp_frame_end_encode(endp, sizeof(endp), &e);
		for (uint32_t i = 0; i < 3; i++) {
			struct tp_frame f = { .type = TP_FRAME_DATA, .session = 9, .offset = 3 * i,
					      .seq = i, .len = 3, .payload = nine + 3 * i };
			ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
		}
		struct tp_frame f = { .type = TP_FRAME_END, .session = 9, .offset = 9, .seq = 3,
				      .len = sizeof(endp), .payload = endp };
		ck_assert_int_eq(feed(&x, f), good ? TP_TRACK_COMPLETE : TP_TRACK_STOPPED);
		ck_assert(x.st.digest_ok == good);
		assert_out(&x, nine, 9);
		ck_assert_uint_eq(x.st.gaps, 0);
		ck_assert_int_eq(tp_track_finish(&x.t), good ? TP_TRACK_COMPLETE : TP_TRACK_STOPPED);
		fx_done(&x);
	}
}
END_TEST

START_TEST(test_duplicates)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 1, 200, 500, 3);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	uint64_t copies = 0;

	for (uint32_t i = 0; i < 200; i++) {
		ck_assert_int_eq(feed(&x, fdata(&s, i)), TP_TRACK_MORE);
		/* a copy right away, and one of an older frame */
		ck_assert_int_eq(feed(&x, fdata(&s, i)), TP_TRACK_MORE);
		copies++;
		if (i >= 5) {
			ck_assert_int_eq(feed(&x, fdata(&s, i - 5)), TP_TRACK_MORE);
			copies++;
		}
	}
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_COMPLETE);
	assert_out(&x, s.bytes, s.total);
	ck_assert_uint_eq(x.st.duplicates, copies);
	ck_assert_uint_eq(x.st.reordered, 0); /* copies of old frames are not reordering */
	ck_assert(x.st.digest_ok);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

START_TEST(test_reordered_pairs)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 1, 200, 700, 4);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 4);
	for (uint32_t i = 0; i < 200; i += 2) {
		ck_assert_int_eq(feed(&x, fdata(&s, i + 1)), TP_TRACK_MORE);
		ck_assert_uint_eq(x.k.len, s.off[i]); /* held, not emitted */
		ck_assert_uint_eq(x.t.n_held, 1);
		ck_assert_int_eq(feed(&x, fdata(&s, i + 1)), TP_TRACK_MORE); /* copy of a held one */
		ck_assert_int_eq(feed(&x, fdata(&s, i)), TP_TRACK_MORE);
		ck_assert_uint_eq(x.k.len, s.off[i + 2]);
		ck_assert_uint_eq(x.t.n_held, 0);
		ck_assert_uint_eq(x.t.held_bytes, 0);
	}
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_COMPLETE);
	assert_out(&x, s.bytes, s.total);
	ck_assert_uint_eq(x.st.reordered, 100);
	ck_assert_uint_eq(x.st.duplicates, 100);
	ck_assert_uint_eq(x.st.gaps, 0);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

START_TEST(test_reversed_block)
{
	struct stream s;
	struct fx x;

	/* Frames 10..49 arrive backwards: 39 held, then all flushed by frame 10. */
	stream_make(&s, 1, 60, 300, 5);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	feed_range(&x, &s, 0, 10);
	for (uint32_t i = 49; i >= 11; i--)
		ck_assert_int_eq(feed(&x, fdata(&s, i)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.t.n_held, 39);
	ck_assert_uint_eq(x.t.held_bytes, s.off[50] - s.off[11]);
	ck_assert_uint_eq(x.k.len, s.off[10]);
	ck_assert_int_eq(feed(&x, fdata(&s, 10)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.k.len, s.off[50]);
	feed_range(&x, &s, 50, 60);
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_COMPLETE);
	assert_out(&x, s.bytes, s.total);
	ck_assert_uint_eq(x.st.reordered, 39); /* 48..10 all came after 49 */
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* A frame reaching past next_offset adds only its new tail (a sender that re-cut its frames). */
/* Frames of a stream never overlap: one that starts inside what is written, or inside a held
 * frame, is refused (its bytes could be anything), and the right frame still comes through. */
START_TEST(test_partial_overlap)
{
	unsigned char b[300];
	struct fx x;

	for (int i = 0; i < 300; i++)
		b[i] = (unsigned char)(i * 7 + 1);
	fx_init(&x, TP_GAP_STOP, 4096, 8);
	struct tp_frame f = { .type = TP_FRAME_DATA, .session = 3, .offset = 0, .seq = 0,
			      .len = 100, .payload = b };
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	f = (struct tp_frame){ .type = TP_FRAME_DATA, .session = 3, .offset = 50, .seq = 1,
			       .len = 100, .payload = b + 50 };
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	assert_out(&x, b, 100);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_OUT_OF_LINE], 1);
	ck_assert_uint_eq(x.k.nrefused, 1);
	ck_assert_uint_eq(x.k.refusal.reason, TP_CONFLICT_OUT_OF_LINE);
	ck_assert_uint_eq(x.k.refusal.frame->seq, 1);
	/* a held frame, then one overlapping it from before */
	f = (struct tp_frame){ .type = TP_FRAME_DATA, .session = 3, .offset = 200, .seq = 2,
			       .len = 100, .payload = b + 200 };
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	f = (struct tp_frame){ .type = TP_FRAME_DATA, .session = 3, .offset = 100, .seq = 1,
			       .len = 150, .payload = b + 100 };
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_OVERLAP], 1);
	ck_assert_uint_eq(x.k.len, 100);
	f = (struct tp_frame){ .type = TP_FRAME_DATA, .session = 3, .offset = 100, .seq = 1,
			       .len = 100, .payload = b + 100 };
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	assert_out(&x, b, 300);
	ck_assert_uint_eq(x.st.bytes_out, 300);
	ck_assert_uint_eq(x.t.n_held, 0);
	ck_assert_uint_eq(tp_rx_conflict_total(&x.st), 2);
	ck_assert_uint_eq(x.st.gaps, 0);
	fx_done(&x);
}
END_TEST

/* A frame's offset follows from its sequence number: frame N starts at most N frame sizes
 * in. A frame that breaks it is refused, so a gap can never be larger than the missing
 * frames carried (the zeros of --on-gap=zero included). */
START_TEST(test_out_of_line)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 9, 20, 0, 31); /* 100-byte frames; META says frame size 0 (unknown) */
	fx_init(&x, TP_GAP_ZERO, 1 << 20, 64);
	unsigned char mp[64];
	struct tp_frame_meta m = { .total = TP_FRAME_TOTAL_UNKNOWN, .frame_size = 100 };
	struct tp_frame f = { .type = TP_FRAME_META, .session = 9, .payload = mp,
			      .len = (uint32_t)tp_frame_meta_encode(mp, sizeof(mp), &m) };
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	feed_range(&x, &s, 0, 2);
	/* frame 3 may start at most at 300; one that says 1444 * 70000 is refused */
	f = fdata(&s, 3);
	f.offset = 1444ull * 70000;
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_OUT_OF_LINE], 1);
	/* and so is a frame before what is written, with a higher seq */
	f = fdata(&s, 1);
	f.seq = 5;
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_OUT_OF_LINE], 2);
	/* a copy with other bytes (another CRC) than the frame written */
	f = fdata(&s, 1);
	f.crc = 0xbad;
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_OVERLAP], 1);
	/* a payload longer than META's frame size */
	f = fdata(&s, 2);
	f.len = 101;
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_TOO_LONG], 1);
	/* a held frame, and another whose seq and offset do not agree with it */
	f = fdata(&s, 10);
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	f = fdata(&s, 12);
	f.seq = 11;
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE); /* 200 bytes past frame 10 in one frame */
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_OUT_OF_LINE], 3);
	f = fdata(&s, 8);
	f.seq = 11;
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE); /* seq after frame 10, offset before */
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_OUT_OF_LINE], 4);
	ck_assert_uint_eq(x.k.len, 200);
	ck_assert_uint_eq(x.t.n_held, 1);
	/* the stream itself still completes, every byte its own */
	feed_range(&x, &s, 2, 10);
	feed_range(&x, &s, 11, 20);
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_COMPLETE);
	assert_out(&x, s.bytes, s.total);
	ck_assert_uint_eq(x.st.zero_bytes, 0);
	ck_assert_uint_eq(x.st.duplicates, 0);
	ck_assert_uint_eq(x.k.nrefused, 6);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* Totals: no gap reaches past META's total (data in order may, and a frame past it may wait
 * for the frames before it: a file that grew while it was read), and nothing past END's,
 * which is exact. */
START_TEST(test_past_total)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 4, 10, 0, 5); /* 1000 bytes in 100-byte frames */
	fx_init(&x, TP_GAP_ZERO, 1 << 20, 4);
	unsigned char mp[64];
	struct tp_frame_meta m = { .total = 500, .frame_size = 100 };
	struct tp_frame f = { .type = TP_FRAME_META, .session = 4, .payload = mp,
			      .len = (uint32_t)tp_frame_meta_encode(mp, sizeof(mp), &m) };
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	feed_range(&x, &s, 0, 3);
	ck_assert_int_eq(feed(&x, fdata(&s, 6)), TP_TRACK_MORE); /* past 500, early: it waits */
	ck_assert_uint_eq(x.t.n_held, 1);
	feed_range(&x, &s, 3, 6);
	ck_assert_uint_eq(x.t.n_held, 0);
	fx_done(&x);
	/* frame 8 arrives with 3-5 and 7 missing, beyond the window of 4 frames: the gap due
	 * would reach past 500 */
	fx_init(&x, TP_GAP_ZERO, 1 << 20, 4);
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	feed_range(&x, &s, 0, 3);
	ck_assert_int_eq(feed(&x, fdata(&s, 6)), TP_TRACK_MORE); /* held, past the total */
	ck_assert_int_eq(feed(&x, fdata(&s, 8)), TP_TRACK_MORE); /* 8 - 3 >= 4: a gap is due */
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_PAST_TOTAL], 2); /* 6, then 8 */
	ck_assert_uint_eq(x.st.zero_bytes, 0);
	ck_assert_uint_eq(x.st.gaps, 0);
	ck_assert_uint_eq(x.t.n_held, 0);
	feed_range(&x, &s, 3, 10); /* in order past 500: the file grew */
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_COMPLETE);
	assert_out(&x, s.bytes, s.total);
	fx_done(&x);

	/* at the end of the input, a gap up to a held frame past META's total: refused too */
	fx_init(&x, TP_GAP_ZERO, 1 << 20, 64);
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	feed_range(&x, &s, 0, 3);
	ck_assert_int_eq(feed(&x, fdata(&s, 7)), TP_TRACK_MORE);
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_PAST_TOTAL], 1);
	ck_assert_uint_eq(x.st.zero_bytes, 0);
	ck_assert_uint_eq(x.k.len, 300);
	fx_done(&x);

	/* END first: data past its total, or past its frame count, is refused */
	fx_init(&x, TP_GAP_SKIP, 1 << 20, 64);
	stream_encode_end(&s, 500, tp_crc32c(0, s.bytes, 500), 5);
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_MORE);
	f = fdata(&s, 5);
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	f.seq = 4; /* within the frame count, past the total */
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_PAST_TOTAL], 2);
	feed_range(&x, &s, 0, 4);
	ck_assert_int_eq(feed(&x, fdata(&s, 4)), TP_TRACK_COMPLETE);
	assert_out(&x, s.bytes, 500);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* Frame seq + 1 starts exactly where frame seq ends: with frames shorter than META's size,
 * the bound between two frames is counted from where the first one ends. */
START_TEST(test_adjacent_frames)
{
	unsigned char b[3000], mp[64];
	struct fx x;
	struct tp_frame_meta m = { .total = TP_FRAME_TOTAL_UNKNOWN, .frame_size = 1000 };
	struct tp_frame f = { .type = TP_FRAME_META, .session = 6, .payload = mp,
			      .len = (uint32_t)tp_frame_meta_encode(mp, sizeof(mp), &m) };

	memset(b, 5, sizeof(b));
	fx_init(&x, TP_GAP_ZERO, 1 << 20, 64);
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	f = (struct tp_frame){ .type = TP_FRAME_DATA, .session = 6, .offset = 0, .seq = 0,
			       .len = 100, .payload = b };
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	f.seq = 5, f.offset = 1000; /* frames 1-4 may carry 900 bytes: fine, it waits */
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.t.n_held, 1);
	f.seq = 6, f.offset = 2000; /* frame 6 must start where 5 ends, at 1100 */
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_OUT_OF_LINE], 1);
	f.seq = 4, f.offset = 800, f.len = 300; /* frame 4 must end where 5 starts */
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_OVERLAP], 1);
	f.seq = 6, f.offset = 1100, f.len = 100;
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.t.n_held, 2);
	ck_assert_uint_eq(tp_rx_conflict_total(&x.st), 2);
	fx_done(&x);
}
END_TEST

/* An END the data contradicts is refused and said; the first good END stands, and one that
 * disagrees with it is refused too. */
START_TEST(test_end_refused)
{
	struct stream s;
	struct fx x;
	unsigned char ep[TP_FRAME_END_SIZE];
	struct tp_frame f;

	stream_make(&s, 2, 10, 0, 6);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	feed_range(&x, &s, 0, 4);
	/* "END in the middle": fewer bytes than have arrived */
	struct tp_frame_end e = { .total = 200, .digest = tp_crc32c(0, s.bytes, 200), .frames = 2 };
	tp_frame_end_encode(ep, sizeof(ep), &e);
	f = (struct tp_frame){ .type = TP_FRAME_END, .session = 2, .len = sizeof(ep), .payload = ep };
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert(!x.st.end_seen);
	ck_assert_uint_eq(x.k.refusal.reason, TP_CONFLICT_END);
	/* as many bytes, but fewer frames than arrived */
	e = (struct tp_frame_end){ .total = 400, .digest = 0, .frames = 3 };
	tp_frame_end_encode(ep, sizeof(ep), &e);
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	/* more bytes than its frames could carry (frame size unknown: 1 MiB each) */
	e = (struct tp_frame_end){ .total = 400 + 7ull * (1 << 20), .digest = 0, .frames = 10 };
	tp_frame_end_encode(ep, sizeof(ep), &e);
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_END], 3);
	ck_assert(!x.st.end_seen);
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_MORE);
	ck_assert(x.st.end_seen);
	/* a second END that disagrees */
	e = (struct tp_frame_end){ .total = s.total, .digest = s.digest + 1, .frames = s.n };
	tp_frame_end_encode(ep, sizeof(ep), &e);
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_END], 4);
	ck_assert(strstr(x.k.refusal.why, "disagree"));
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_MORE); /* a copy: fine */
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_END], 4);
	feed_range(&x, &s, 4, 9);
	ck_assert_int_eq(feed(&x, fdata(&s, 9)), TP_TRACK_COMPLETE);
	assert_out(&x, s.bytes, s.total);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* A META the data contradicts (frames longer than it says), or one that disagrees with the
 * first. */
START_TEST(test_meta_refused)
{
	struct stream s;
	struct fx x;
	unsigned char mp[64];
	struct tp_frame_meta m = { .total = 1000, .frame_size = 50 };
	struct tp_frame f = { .type = TP_FRAME_META, .session = 8, .payload = mp };

	stream_make(&s, 8, 10, 0, 7);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	feed_range(&x, &s, 0, 2);
	f.len = (uint32_t)tp_frame_meta_encode(mp, sizeof(mp), &m);
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_META], 1);
	ck_assert_uint_eq(x.k.nmeta, 0);
	m.frame_size = 100;
	f.len = (uint32_t)tp_frame_meta_encode(mp, sizeof(mp), &m);
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.k.nmeta, 1);
	m.total = 2000;
	f.len = (uint32_t)tp_frame_meta_encode(mp, sizeof(mp), &m);
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.conflicts[TP_CONFLICT_META], 2);
	ck_assert_uint_eq(x.st.total, 1000);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* ---- loss under each policy -------------------------------------------------------------- */

/* Frame 10 never comes; the window of 8 frames runs out when seq 18 arrives. */
START_TEST(test_loss_stop)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 1, 200, 700, 6);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 8);
	feed_range(&x, &s, 0, 10);
	feed_range(&x, &s, 11, 18);
	ck_assert_uint_eq(x.k.nloss, 0);
	ck_assert_int_eq(feed(&x, fdata(&s, 18)), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.k.nloss, 1);
	assert_loss(&x.k.loss[0], 10, 10, s.off[10], s.len[10]);
	assert_out(&x, s.bytes, s.off[10]);
	ck_assert_uint_eq(x.st.gaps, 1);
	ck_assert_uint_eq(x.st.lost_frames, 1);
	ck_assert_uint_eq(x.st.lost_bytes, s.len[10]);
	ck_assert_uint_eq(x.t.n_held, 0);
	/* stopped: the late frame changes nothing */
	ck_assert_int_eq(feed(&x, fdata(&s, 10)), TP_TRACK_STOPPED);
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_STOPPED);
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.k.nloss, 1);
	assert_out(&x, s.bytes, s.off[10]);
	ck_assert(!x.st.digest_ok);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* Frames 10-11 and 50 lost; the late copy of 11 after the gap counts as a duplicate. */
static void run_loss(enum tp_gap_policy policy)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 1, 200, 700, 7);
	fx_init(&x, policy, 1 << 20, 8);
	ck_assert_int_eq(feed(&x, fmeta(&s)), TP_TRACK_MORE);
	feed_range(&x, &s, 0, 10);
	feed_range(&x, &s, 12, 18);
	ck_assert_uint_eq(x.k.nloss, 0);
	ck_assert_int_eq(feed(&x, fdata(&s, 18)), TP_TRACK_MORE); /* 18 >= 10 + 8 */
	ck_assert_uint_eq(x.k.nloss, 1);
	assert_loss(&x.k.loss[0], 10, 11, s.off[10], s.off[12] - s.off[10]);
	ck_assert_uint_eq(x.k.out_at_loss[0], s.off[10]); /* declared before anything after it */
	ck_assert_int_eq(feed(&x, fdata(&s, 11)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.duplicates, 1);
	feed_range(&x, &s, 19, 50);
	feed_range(&x, &s, 51, 200);
	ck_assert_uint_eq(x.k.nloss, 2);
	assert_loss(&x.k.loss[1], 50, 50, s.off[50], s.len[50]);
	ck_assert(!tp_track_waiting_at_end(&x.t));
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_STOPPED); /* all there is, but with gaps */
	ck_assert(!x.st.digest_ok);
	ck_assert(x.st.end_seen);
	ck_assert_uint_eq(x.st.gaps, 2);
	ck_assert_uint_eq(x.st.lost_frames, 3);

	uint64_t lost = s.off[12] - s.off[10] + s.len[50];

	ck_assert_uint_eq(x.st.lost_bytes, lost);
	ck_assert_uint_eq(x.st.bytes_out, s.total - lost);
	if (policy == TP_GAP_SKIP) {
		ck_assert_uint_eq(x.k.len, s.total - lost);
		ck_assert_uint_eq(x.st.zero_bytes, 0);
		ck_assert(memcmp(x.k.out, s.bytes, s.off[10]) == 0);
		ck_assert(memcmp(x.k.out + s.off[10], s.bytes + s.off[12],
				 s.off[50] - s.off[12]) == 0);
		ck_assert(memcmp(x.k.out + s.off[50] - (s.off[12] - s.off[10]), s.bytes + s.off[51],
				 s.total - s.off[51]) == 0);
	} else {
		ck_assert_uint_eq(x.k.len, s.total);
		ck_assert_uint_eq(x.st.zero_bytes, lost);
		ck_assert(memcmp(x.k.out, s.bytes, s.off[10]) == 0);
		assert_zero(x.k.out + s.off[10], s.off[12] - s.off[10]);
		ck_assert(memcmp(x.k.out + s.off[12], s.bytes + s.off[12],
				 s.off[50] - s.off[12]) == 0);
		assert_zero(x.k.out + s.off[50], s.len[50]);
		ck_assert(memcmp(x.k.out + s.off[51], s.bytes + s.off[51],
				 s.total - s.off[51]) == 0);
	}
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.k.nloss, 2);
	fx_done(&x);
	stream_free(&s);
}

START_TEST(test_loss_skip)
{
	run_loss(TP_GAP_SKIP);
}
END_TEST

START_TEST(test_loss_zero)
{
	run_loss(TP_GAP_ZERO);
}
END_TEST

/* The byte bound: frames of 100 bytes, 450 may wait; frame 5 lost. */
START_TEST(test_window_bytes)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 1, 40, 0, 8);
	fx_init(&x, TP_GAP_SKIP, 450, 1000);
	feed_range(&x, &s, 0, 5);
	feed_range(&x, &s, 6, 10); /* 400 bytes held */
	ck_assert_uint_eq(x.t.held_bytes, 400);
	ck_assert_uint_eq(x.k.nloss, 0);
	ck_assert_int_eq(feed(&x, fdata(&s, 10)), TP_TRACK_MORE); /* 500 > 450 */
	ck_assert_uint_eq(x.k.nloss, 1);
	assert_loss(&x.k.loss[0], 5, 5, 500, 100);
	ck_assert_uint_eq(x.k.len, 1000); /* 0-4 and 6-10 */
	ck_assert_uint_eq(x.t.n_held, 0);
	feed_range(&x, &s, 11, 40);
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.k.len, 3900);
	ck_assert(memcmp(x.k.out, s.bytes, 500) == 0);
	ck_assert(memcmp(x.k.out + 500, s.bytes + 600, 3400) == 0);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* A frame far ahead ends the wait for several gaps at once, oldest first. */
START_TEST(test_window_several_gaps)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 1, 100, 0, 9);
	fx_init(&x, TP_GAP_ZERO, 1 << 20, 10);
	feed_range(&x, &s, 0, 2);
	ck_assert_int_eq(feed(&x, fdata(&s, 3)), TP_TRACK_MORE);  /* 2 missing */
	ck_assert_int_eq(feed(&x, fdata(&s, 6)), TP_TRACK_MORE);  /* 4-5 missing */
	ck_assert_int_eq(feed(&x, fdata(&s, 9)), TP_TRACK_MORE);  /* 7-8 missing */
	ck_assert_uint_eq(x.k.nloss, 0);
	/* seq 16 is 14 past 2 and 12 past 4, but only 9 past 7: gaps 2 and 4-5 go, 7-8 may
	 * still come */
	ck_assert_int_eq(feed(&x, fdata(&s, 16)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.k.nloss, 2);
	assert_loss(&x.k.loss[0], 2, 2, 200, 100);
	assert_loss(&x.k.loss[1], 4, 5, 400, 200);
	ck_assert_uint_eq(x.k.out_at_loss[0], 200);
	ck_assert_uint_eq(x.k.out_at_loss[1], 400);
	ck_assert_uint_eq(x.k.len, 700);
	ck_assert_uint_eq(x.t.next_seq, 7);
	ck_assert_uint_eq(x.t.n_held, 2); /* 9 and 16 */
	ck_assert_int_eq(feed(&x, fdata(&s, 7)), TP_TRACK_MORE);
	ck_assert_int_eq(feed(&x, fdata(&s, 8)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.k.len, 1000);
	/* An out-of-order frame bigger than the whole byte window cannot wait at all. */
	fx_done(&x);
	fx_init(&x, TP_GAP_ZERO, 50, 10);
	feed_range(&x, &s, 0, 2);
	ck_assert_int_eq(feed(&x, fdata(&s, 3)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.k.nloss, 1);
	ck_assert_uint_eq(x.k.len, 400);
	ck_assert_int_eq(feed(&x, fdata(&s, 5)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.k.nloss, 2);
	assert_loss(&x.k.loss[0], 2, 2, 200, 100);
	assert_loss(&x.k.loss[1], 4, 4, 400, 100);
	ck_assert_uint_eq(x.k.len, 600);
	ck_assert_uint_eq(x.st.zero_bytes, 200);
	ck_assert_uint_eq(x.st.bytes_out, 400);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* ---- END early, late, missing -------------------------------------------------------------- */

START_TEST(test_end_early)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 1, 50, 700, 10);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_MORE);
	ck_assert(x.st.end_seen);
	ck_assert_uint_eq(x.st.total, s.total);
	ck_assert(tp_track_waiting_at_end(&x.t));
	ck_assert_int_eq(feed(&x, fmeta(&s)), TP_TRACK_MORE); /* META's total does not override */
	feed_range(&x, &s, 0, 49);
	ck_assert(tp_track_waiting_at_end(&x.t));
	ck_assert_int_eq(feed(&x, fdata(&s, 49)), TP_TRACK_COMPLETE);
	ck_assert(!tp_track_waiting_at_end(&x.t));
	assert_out(&x, s.bytes, s.total);
	ck_assert(x.st.digest_ok);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* END's total stands against a META that says otherwise, and its first copy against later
 * ones that disagree (a sender bug: the receiver keeps the first word). */
START_TEST(test_end_conflicts)
{
	struct stream s;
	struct fx x;
	struct tp_frame_meta m = { .total = 5 };
	unsigned char mp[64];
	unsigned char ep[TP_FRAME_END_SIZE];
	struct tp_frame_end e = { .total = 1, .digest = 0, .frames = 1 };

	stream_make(&s, 1, 20, 300, 23);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_MORE);
	size_t ml = tp_frame_meta_encode(mp, sizeof(mp), &m);
	struct tp_frame f = { .type = TP_FRAME_META, .session = 1, .len = (uint32_t)ml,
			      .payload = mp };
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.k.nmeta, 1);
	ck_assert_uint_eq(x.st.total, s.total);
	tp_frame_end_encode(ep, sizeof(ep), &e);
	f = (struct tp_frame){ .type = TP_FRAME_END, .session = 1, .len = sizeof(ep),
			       .payload = ep };
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE); /* would be "done" if it counted */
	ck_assert_uint_eq(x.st.total, s.total);
	feed_range(&x, &s, 0, 19);
	ck_assert_int_eq(feed(&x, fdata(&s, 19)), TP_TRACK_COMPLETE);
	/* a payload that does not decode is ignored, not trusted */
	fx_done(&x);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	f.len = 3;
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert(!x.st.end_seen);
	f.type = TP_FRAME_META;
	ck_assert_int_eq(feed(&x, f), TP_TRACK_MORE);
	ck_assert_uint_eq(x.k.nmeta, 0);
	ck_assert_uint_eq(x.st.total, TP_FRAME_TOTAL_UNKNOWN);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* END arrives with the last three frames and one in the middle missing; the grace runs out. */
static void run_end_missing_data(enum tp_gap_policy policy)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 1, 50, 700, 11);
	fx_init(&x, policy, 1 << 20, 64);
	feed_range(&x, &s, 0, 20);
	feed_range(&x, &s, 21, 47);
	ck_assert_int_eq(feed(&x, fend(&s)), TP_TRACK_MORE);
	ck_assert(tp_track_waiting_at_end(&x.t));
	ck_assert_uint_eq(x.k.len, s.off[20]);
	ck_assert_uint_eq(x.k.nloss, 0);
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	ck_assert(!tp_track_waiting_at_end(&x.t));
	ck_assert_uint_eq(x.k.nloss, 2);
	assert_loss(&x.k.loss[0], 20, 20, s.off[20], s.len[20]);
	assert_loss(&x.k.loss[1], 47, 49, s.off[47], s.total - s.off[47]);
	ck_assert_uint_eq(x.st.gaps, 2);
	ck_assert_uint_eq(x.st.lost_frames, 4);
	ck_assert_uint_eq(x.st.lost_bytes, s.len[20] + s.total - s.off[47]);
	switch (policy) {
	case TP_GAP_STOP:
		assert_out(&x, s.bytes, s.off[20]);
		ck_assert_uint_eq(x.k.out_at_loss[1], s.off[20]);
		break;
	case TP_GAP_SKIP:
		ck_assert_uint_eq(x.k.len, s.off[47] - s.len[20]);
		ck_assert(memcmp(x.k.out, s.bytes, s.off[20]) == 0);
		ck_assert(memcmp(x.k.out + s.off[20], s.bytes + s.off[21],
				 s.off[47] - s.off[21]) == 0);
		ck_assert_uint_eq(x.k.out_at_loss[1], x.k.len);
		break;
	case TP_GAP_ZERO:
		ck_assert_uint_eq(x.k.len, s.total);
		ck_assert(memcmp(x.k.out, s.bytes, s.off[20]) == 0);
		assert_zero(x.k.out + s.off[20], s.len[20]);
		ck_assert(memcmp(x.k.out + s.off[21], s.bytes + s.off[21],
				 s.off[47] - s.off[21]) == 0);
		assert_zero(x.k.out + s.off[47], s.total - s.off[47]);
		ck_assert_uint_eq(x.st.zero_bytes, s.len[20] + s.total - s.off[47]);
		ck_assert_uint_eq(x.st.bytes_out, s.total - x.st.zero_bytes);
		break;
	}
	ck_assert(!x.st.digest_ok);
	ck_assert_uint_eq(x.t.n_held, 0);
	/* finished: nothing more happens */
	ck_assert_int_eq(feed(&x, fdata(&s, 47)), TP_TRACK_STOPPED);
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.k.nloss, 2);
	fx_done(&x);
	stream_free(&s);
}

START_TEST(test_end_missing_data)
{
	run_end_missing_data((enum tp_gap_policy)_i);
}
END_TEST

/* Everything but END: the stream may be whole, but nothing says so. */
START_TEST(test_no_end)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 1, 30, 700, 12);
	fx_init(&x, (enum tp_gap_policy)_i, 1 << 20, 64);
	feed_range(&x, &s, 0, 30);
	ck_assert(!tp_track_waiting_at_end(&x.t));
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	assert_out(&x, s.bytes, s.total);
	ck_assert_uint_eq(x.k.nloss, 1);
	ck_assert_uint_gt(x.k.loss[0].first_seq, x.k.loss[0].last_seq); /* which frames: unknown */
	ck_assert_uint_eq(x.k.loss[0].offset, s.total);
	ck_assert_uint_eq(x.k.loss[0].bytes, UINT64_MAX);
	ck_assert_uint_eq(x.st.gaps, 1);
	ck_assert_uint_eq(x.st.lost_frames, 0);
	ck_assert_uint_eq(x.st.lost_bytes, 0);
	ck_assert_uint_eq(x.st.zero_bytes, 0);
	ck_assert(!x.st.end_seen);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* Held frames and no END: the gap before them is known, the tail after them is not. */
START_TEST(test_no_end_held)
{
	struct stream s;
	struct fx x;
	enum tp_gap_policy policy = (enum tp_gap_policy)_i;

	stream_make(&s, 1, 30, 700, 13);
	fx_init(&x, policy, 1 << 20, 64);
	feed_range(&x, &s, 0, 10);
	feed_range(&x, &s, 12, 20);
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.k.nloss, 2);
	assert_loss(&x.k.loss[0], 10, 11, s.off[10], s.off[12] - s.off[10]);
	ck_assert_uint_gt(x.k.loss[1].first_seq, x.k.loss[1].last_seq);
	ck_assert_uint_eq(x.k.loss[1].offset, s.off[20]);
	ck_assert_uint_eq(x.k.loss[1].bytes, UINT64_MAX);
	ck_assert_uint_eq(x.st.lost_frames, 2);
	ck_assert_uint_eq(x.st.lost_bytes, s.off[12] - s.off[10]);
	if (policy == TP_GAP_STOP) {
		assert_out(&x, s.bytes, s.off[10]);
	} else if (policy == TP_GAP_SKIP) {
		ck_assert_uint_eq(x.k.len, s.off[20] - (s.off[12] - s.off[10]));
		ck_assert(memcmp(x.k.out + s.off[10], s.bytes + s.off[12],
				 s.off[20] - s.off[12]) == 0);
	} else {
		ck_assert_uint_eq(x.k.len, s.off[20]);
		assert_zero(x.k.out + s.off[10], s.off[12] - s.off[10]);
		ck_assert(memcmp(x.k.out + s.off[12], s.bytes + s.off[12],
				 s.off[20] - s.off[12]) == 0);
	}
	fx_done(&x);
	stream_free(&s);
}
END_TEST

START_TEST(test_nothing_arrived)
{
	struct fx x;

	fx_init(&x, TP_GAP_ZERO, 4096, 8);
	ck_assert(!tp_track_waiting_at_end(&x.t));
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.k.nloss, 1);
	ck_assert_uint_eq(x.k.loss[0].offset, 0);
	ck_assert_uint_eq(x.k.loss[0].bytes, UINT64_MAX);
	ck_assert_uint_eq(x.k.len, 0);
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.k.nloss, 1);
	fx_done(&x);
}
END_TEST

/* ---- restarts -------------------------------------------------------------------------- */

START_TEST(test_restart_skip)
{
	struct stream a, b;
	struct fx x;

	stream_make(&a, 0xAAAA, 100, 700, 14);
	stream_make(&b, 0xBBBB, 60, 700, 15);
	fx_init(&x, TP_GAP_SKIP, 1 << 20, 64);
	ck_assert_int_eq(feed(&x, fmeta(&a)), TP_TRACK_MORE);
	feed_range(&x, &a, 0, 40);
	feed_range(&x, &a, 41, 50); /* 40 missing, 41-49 held */
	ck_assert_int_eq(feed(&x, fmeta(&b)), TP_TRACK_MORE); /* a is live: ignored */
	ck_assert_uint_eq(x.st.other_session, 1);
	ck_assert_uint_eq(x.st.restarts, 0);
	tp_track_quiet(&x.t);
	ck_assert_int_eq(feed(&x, fmeta(&b)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.restarts, 1);
	ck_assert_uint_eq(x.k.nrestart, 1);
	ck_assert_uint_eq(x.k.restart_old[0], 0xAAAA);
	ck_assert_uint_eq(x.k.restart_new[0], 0xBBBB);
	ck_assert_uint_eq(x.k.nmeta, 2); /* the new session's META is its first */
	ck_assert_uint_eq(x.st.total, b.total);
	ck_assert_uint_eq(x.k.nloss, 2);
	assert_loss(&x.k.loss[0], 40, 40, a.off[40], a.len[40]);
	ck_assert_uint_eq(x.k.loss[1].offset, a.off[50]);
	ck_assert_uint_eq(x.k.loss[1].bytes, UINT64_MAX);

	size_t a_out = a.off[50] - a.len[40];

	ck_assert_uint_eq(x.k.len, a_out);
	/* late frames of the old session are stale */
	ck_assert_int_eq(feed(&x, fdata(&a, 40)), TP_TRACK_MORE);
	ck_assert_int_eq(feed(&x, fend(&a)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.stale, 2);
	ck_assert(!x.st.end_seen);
	feed_range(&x, &b, 0, 30);
	ck_assert_int_eq(feed(&x, fdata(&a, 60)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.stale, 3);
	feed_range(&x, &b, 30, 60);
	ck_assert_uint_eq(x.t.digest, b.digest); /* the digest restarted with the session */
	/* the new session is whole, but the output as a whole is not */
	ck_assert_int_eq(feed(&x, fend(&b)), TP_TRACK_STOPPED);
	ck_assert(x.st.end_seen);
	ck_assert(!x.st.digest_ok);
	ck_assert_uint_eq(x.k.len, a_out + b.total);
	ck_assert(memcmp(x.k.out, a.bytes, a.off[40]) == 0);
	ck_assert(memcmp(x.k.out + a.off[40], a.bytes + a.off[41], a.off[50] - a.off[41]) == 0);
	ck_assert(memcmp(x.k.out + a_out, b.bytes, b.total) == 0);
	ck_assert_uint_eq(x.st.bytes_out, a_out + b.total);
	ck_assert_uint_eq(x.st.restarts, 1);
	fx_done(&x);
	stream_free(&a);
	stream_free(&b);
}
END_TEST

START_TEST(test_restart_stop)
{
	struct stream a, b;
	struct fx x;

	stream_make(&a, 1, 100, 700, 16);
	stream_make(&b, 2, 60, 700, 17);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	feed_range(&x, &a, 0, 40);
	feed_range(&x, &a, 41, 50);
	tp_track_quiet(&x.t);
	ck_assert_int_eq(feed(&x, fdata(&b, 0)), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.st.restarts, 1);
	ck_assert_uint_eq(x.k.nrestart, 1);
	ck_assert_uint_eq(x.k.nloss, 2);
	assert_loss(&x.k.loss[0], 40, 40, a.off[40], a.len[40]);
	ck_assert_uint_eq(x.k.loss[1].offset, a.off[50]);
	ck_assert_uint_eq(x.k.loss[1].bytes, UINT64_MAX);
	assert_out(&x, a.bytes, a.off[40]);
	ck_assert_int_eq(feed(&x, fdata(&b, 1)), TP_TRACK_STOPPED);
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	assert_out(&x, a.bytes, a.off[40]);
	ck_assert_uint_eq(x.t.n_held, 0);
	fx_done(&x);
	stream_free(&a);
	stream_free(&b);
}
END_TEST

/* The old session's END was seen: its missing tail has a known length, zeroed. */
START_TEST(test_restart_zero_after_end)
{
	struct stream a, b;
	struct fx x;

	stream_make(&a, 1, 30, 700, 18);
	stream_make(&b, 2, 20, 700, 19);
	fx_init(&x, TP_GAP_ZERO, 1 << 20, 64);
	feed_range(&x, &a, 0, 25);
	ck_assert_int_eq(feed(&x, fend(&a)), TP_TRACK_MORE);
	ck_assert(tp_track_waiting_at_end(&x.t));
	ck_assert_int_eq(feed(&x, fdata(&b, 0)), TP_TRACK_MORE);
	ck_assert(!x.st.end_seen);
	ck_assert(!tp_track_waiting_at_end(&x.t));
	ck_assert_uint_eq(x.k.nloss, 1);
	assert_loss(&x.k.loss[0], 25, 29, a.off[25], a.total - a.off[25]);
	feed_range(&x, &b, 1, 20);
	ck_assert_int_eq(feed(&x, fend(&b)), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.k.len, a.total + b.total);
	ck_assert(memcmp(x.k.out, a.bytes, a.off[25]) == 0);
	assert_zero(x.k.out + a.off[25], a.total - a.off[25]);
	ck_assert(memcmp(x.k.out + a.total, b.bytes, b.total) == 0);
	ck_assert_uint_eq(x.st.zero_bytes, a.total - a.off[25]);
	ck_assert_uint_eq(x.st.lost_frames, 5);
	fx_done(&x);
	stream_free(&a);
	stream_free(&b);
}
END_TEST

/* ---- other sessions: a live transfer is not cut short, a stray frame gives way -------- */

/* Frames of another session while the current one is live, under each policy: ignored and
 * counted, whatever their kind; the current one completes, its bytes alone out. */
START_TEST(test_other_session_ignored)
{
	struct stream a, b;
	struct fx x;

	stream_make(&a, 0xA, 40, 500, 30);
	stream_make(&b, 0xB, 10, 500, 31);
	fx_init(&x, (enum tp_gap_policy)_i, 1 << 20, 64);
	ck_assert_int_eq(feed(&x, fmeta(&a)), TP_TRACK_MORE);
	feed_range(&x, &a, 0, 20);
	ck_assert_int_eq(feed(&x, fmeta(&b)), TP_TRACK_MORE);
	feed_range(&x, &b, 0, 10);
	ck_assert_int_eq(feed(&x, fend(&b)), TP_TRACK_MORE);
	feed_range(&x, &a, 20, 40);
	ck_assert_int_eq(feed(&x, fend(&a)), TP_TRACK_COMPLETE);
	ck_assert_uint_eq(x.st.other_session, 12);
	ck_assert_uint_eq(x.st.restarts, 0);
	ck_assert_uint_eq(x.k.nrestart, 0);
	ck_assert_uint_eq(x.st.gaps, 0);
	ck_assert(x.st.digest_ok);
	assert_out(&x, a.bytes, a.total);
	fx_done(&x);
	stream_free(&a);
	stream_free(&b);
}
END_TEST

/* The current session's END came (data still missing): another may take over, a restart. */
START_TEST(test_restart_after_end)
{
	struct stream a, b;
	struct fx x;

	stream_make(&a, 0xA, 30, 500, 32);
	stream_make(&b, 0xB, 10, 500, 33);
	fx_init(&x, TP_GAP_SKIP, 1 << 20, 64);
	feed_range(&x, &a, 0, 20);
	ck_assert_int_eq(feed(&x, fend(&a)), TP_TRACK_MORE);
	ck_assert_int_eq(feed(&x, fmeta(&b)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.restarts, 1);
	ck_assert_uint_eq(x.st.other_session, 0);
	feed_range(&x, &b, 0, 10);
	ck_assert_int_eq(feed(&x, fend(&b)), TP_TRACK_STOPPED); /* a's tail is lost */
	ck_assert_uint_eq(x.k.len, a.off[20] + b.total);
	fx_done(&x);
	stream_free(&a);
	stream_free(&b);
}
END_TEST

/* Quiet, then a frame of the current session again: the quiet is taken back. */
START_TEST(test_quiet_taken_back)
{
	struct stream a, b;
	struct fx x;

	stream_make(&a, 0xA, 30, 500, 34);
	stream_make(&b, 0xB, 10, 500, 35);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	feed_range(&x, &a, 0, 10);
	tp_track_quiet(&x.t);
	feed_range(&x, &a, 10, 11);
	ck_assert_int_eq(feed(&x, fdata(&b, 0)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.other_session, 1);
	feed_range(&x, &a, 11, 30);
	ck_assert_int_eq(feed(&x, fend(&a)), TP_TRACK_COMPLETE);
	assert_out(&x, a.bytes, a.total);
	fx_done(&x);
	stream_free(&a);
	stream_free(&b);
}
END_TEST

/* One frame left over from an earlier run (DATA in the middle, a META, or an END), then a
 * whole session from its beginning, under each policy: that session comes out whole, COMPLETE,
 * and nothing is lost or restarted; the leftover is counted as stray. */
START_TEST(test_stray_frame_gives_way)
{
	struct stream a, b;
	struct fx x;

	for (int kind = 0; kind < 3; kind++) {
		stream_make(&a, 0xA, 30, 500, 36);
		stream_make(&b, 0xB, 20, 500, 37);
		fx_init(&x, (enum tp_gap_policy)_i, 1 << 20, 64);
		struct tp_frame leftover = kind == 0 ? fdata(&a, 17) : kind == 1 ? fmeta(&a) : fend(&a);
		ck_assert_int_eq(feed(&x, leftover), TP_TRACK_MORE);
		ck_assert_int_eq(feed(&x, fmeta(&b)), TP_TRACK_MORE);
		feed_range(&x, &b, 0, 20);
		ck_assert_int_eq(feed(&x, fend(&b)), TP_TRACK_COMPLETE);
		ck_assert_uint_eq(x.st.stray, 1);
		ck_assert_uint_eq(x.k.ngave_up, 1);
		ck_assert_uint_eq(x.k.gave_up_old, 0xA);
		ck_assert_uint_eq(x.k.gave_up_new, 0xB);
		ck_assert_uint_eq(x.st.restarts, 0);
		ck_assert_uint_eq(x.st.gaps, 0);
		ck_assert_uint_eq(x.k.nloss, 0);
		assert_out(&x, b.bytes, b.total);
		fx_done(&x);
		stream_free(&a);
		stream_free(&b);
	}
}
END_TEST

/* Two sessions, neither seen to begin: the first stays until the second shows its start. */
START_TEST(test_stray_needs_a_start)
{
	struct stream a, b;
	struct fx x;

	stream_make(&a, 0xA, 30, 500, 38);
	stream_make(&b, 0xB, 20, 500, 39);
	fx_init(&x, TP_GAP_SKIP, 1 << 20, 64);
	ck_assert_int_eq(feed(&x, fdata(&a, 17)), TP_TRACK_MORE);
	ck_assert_int_eq(feed(&x, fdata(&b, 5)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.other_session, 1);
	feed_range(&x, &b, 0, 20);   /* b's frame 0 shows its start: b takes over */
	ck_assert_uint_eq(x.st.stray, 1);
	ck_assert_int_eq(feed(&x, fdata(&b, 5)), TP_TRACK_MORE);
	ck_assert_int_eq(feed(&x, fend(&b)), TP_TRACK_COMPLETE);
	assert_out(&x, b.bytes, b.total);
	ck_assert_int_eq(feed(&x, fdata(&a, 18)), TP_TRACK_COMPLETE); /* late: after the end */
	fx_done(&x);
	stream_free(&a);
	stream_free(&b);
}
END_TEST

/* A session that began (its META) but wrote nothing and went quiet gives way to any frame of
 * another, even one that does not show its start. */
START_TEST(test_begun_quiet_gives_way)
{
	struct stream a, b;
	struct fx x;

	stream_make(&a, 0xA, 30, 500, 40);
	stream_make(&b, 0xB, 20, 500, 41);
	fx_init(&x, TP_GAP_SKIP, 1 << 20, 64);
	ck_assert_int_eq(feed(&x, fmeta(&a)), TP_TRACK_MORE);
	ck_assert_int_eq(feed(&x, fdata(&b, 5)), TP_TRACK_MORE);
	ck_assert_uint_eq(x.st.other_session, 1); /* not quiet: a stays */
	tp_track_quiet(&x.t);
	feed_range(&x, &b, 5, 20);
	ck_assert_uint_eq(x.k.ngave_up, 1);
	ck_assert_uint_eq(x.st.stray, 1);
	feed_range(&x, &b, 0, 5);
	ck_assert_int_eq(feed(&x, fend(&b)), TP_TRACK_COMPLETE);
	assert_out(&x, b.bytes, b.total);
	fx_done(&x);
	stream_free(&a);
	stream_free(&b);
}
END_TEST

/* Sealed: a whole earlier run replayed (its epoch before the current one's) never takes
 * over, under each policy: not while the current session has begun and written nothing,
 * not once it is quiet, not after its END with data still missing. */
START_TEST(test_replay_never_takes_over)
{
	struct stream a, b;
	struct fx x;

	stream_make(&a, 0xA, 30, 500, 42);
	stream_make(&b, 0xB, 20, 500, 43);
	a.epoch = 100;  /* recorded earlier */
	b.epoch = 200;
	fx_init(&x, (enum tp_gap_policy)_i, 1 << 20, 64);
	ck_assert_int_eq(feed(&x, fmeta(&b)), TP_TRACK_MORE);
	ck_assert_int_eq(feed(&x, fmeta(&a)), TP_TRACK_MORE);   /* shows its start: still not */
	feed_range(&x, &a, 0, 10);
	ck_assert_uint_eq(x.st.replayed, 11);
	feed_range(&x, &b, 0, 10);
	tp_track_quiet(&x.t);
	feed_range(&x, &a, 0, 30);
	ck_assert_int_eq(feed(&x, fend(&a)), TP_TRACK_MORE);
	feed_range(&x, &b, 10, 15);
	ck_assert_int_eq(feed(&x, fend(&b)), TP_TRACK_MORE);    /* 15..19 still missing */
	ck_assert(tp_track_waiting_at_end(&x.t));
	ck_assert_int_eq(feed(&x, fmeta(&a)), TP_TRACK_MORE);
	ck_assert_int_eq(feed(&x, fdata(&a, 0)), TP_TRACK_MORE);
	feed_range(&x, &b, 15, 19);
	ck_assert_int_eq(feed(&x, fdata(&b, 19)), TP_TRACK_COMPLETE);
	ck_assert_uint_eq(x.st.replayed, 11 + 31 + 2);
	ck_assert_uint_eq(x.st.restarts, 0);
	ck_assert_uint_eq(x.st.other_session, 0);
	ck_assert_uint_eq(x.k.ngave_up, 0);
	ck_assert(x.st.digest_ok);
	assert_out(&x, b.bytes, b.total);
	fx_done(&x);
	stream_free(&a);
	stream_free(&b);
}
END_TEST

/* Sealed: a run is its session id and its epoch. An earlier run that drew the same id is a
 * replay, not the current session's frames; a later run takes over as any new session does
 * (here: once the current one is quiet, a restart). */
START_TEST(test_runs_by_epoch)
{
	struct stream a, old, later;
	struct fx x;

	stream_make(&a, 0xA, 20, 500, 44);
	stream_make(&old, 0xA, 20, 500, 45);  /* the same id, other bytes */
	stream_make(&later, 0xC, 10, 500, 46);
	a.epoch = 500;
	old.epoch = 400;
	later.epoch = 600;
	fx_init(&x, TP_GAP_SKIP, 1 << 20, 64);
	feed_range(&x, &a, 0, 5);
	feed_range(&x, &old, 0, 20);
	ck_assert_uint_eq(x.st.replayed, 20);
	ck_assert_uint_eq(tp_rx_conflict_total(&x.st), 0);
	feed_range(&x, &later, 0, 1);
	ck_assert_uint_eq(x.st.other_session, 1);    /* a is live */
	tp_track_quiet(&x.t);
	feed_range(&x, &later, 1, 10);
	ck_assert_uint_eq(x.st.restarts, 1);
	ck_assert_int_eq(feed(&x, fdata(&a, 6)), TP_TRACK_MORE); /* a is retired now */
	ck_assert_uint_eq(x.st.stale, 1);
	feed_range(&x, &later, 0, 1);
	ck_assert_int_eq(feed(&x, fend(&later)), TP_TRACK_STOPPED); /* a's tail is lost */
	ck_assert_uint_eq(x.k.len, a.off[5] + later.total);
	ck_assert_mem_eq(x.k.out + a.off[5], later.bytes, later.total);
	fx_done(&x);
	stream_free(&a);
	stream_free(&old);
	stream_free(&later);
}
END_TEST

/* ---- callbacks, errors, set-up --------------------------------------------------------------- */

START_TEST(test_optional_callbacks)
{
	struct stream a, b;
	struct fx x;

	stream_make(&a, 1, 20, 300, 20);
	stream_make(&b, 2, 20, 300, 21);
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(tp_track_init(&x.t, &bare_ops, &x.k, &x.st, TP_GAP_SKIP, 1000, 4), 0);
	ck_assert_int_eq(feed(&x, fmeta(&a)), TP_TRACK_MORE);
	feed_range(&x, &a, 0, 5);
	feed_range(&x, &a, 6, 20);
	tp_track_quiet(&x.t);
	ck_assert_int_eq(feed(&x, fdata(&b, 0)), TP_TRACK_MORE);
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.st.gaps, 3); /* a: frame 5, a's tail, b's tail */
	ck_assert_uint_eq(x.st.restarts, 1);
	fx_done(&x);
	stream_free(&a);
	stream_free(&b);
}
END_TEST

START_TEST(test_init_rejects)
{
	static const struct tp_track_ops no_emit = { .lost = sink_lost };
	struct tp_track t;
	struct tp_rx_stats st;

	ck_assert_int_eq(tp_track_init(&t, &no_emit, NULL, &st, TP_GAP_STOP, 1, 1), -EINVAL);
	ck_assert_int_eq(tp_track_init(&t, &bare_ops, NULL, NULL, TP_GAP_STOP, 1, 1), -EINVAL);
	ck_assert_int_eq(tp_track_init(&t, NULL, NULL, &st, TP_GAP_STOP, 1, 1), -EINVAL);
	/* the deframer's counters survive */
	memset(&st, 0, sizeof(st));
	st.frames = 5;
	st.garbage_bytes = 7;
	st.duplicates = 9;
	ck_assert_int_eq(tp_track_init(&t, &bare_ops, NULL, &st, TP_GAP_STOP, 1, 1), 0);
	ck_assert_uint_eq(st.frames, 5);
	ck_assert_uint_eq(st.garbage_bytes, 7);
	ck_assert_uint_eq(st.duplicates, 0);
	tp_track_destroy(&t);
}
END_TEST

/* An emit error comes back at once, from whichever path emits, and ends the tracker. */
START_TEST(test_emit_error)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 1, 40, 0, 22);
	/* in order */
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	x.k.fail_err = EPIPE;
	x.k.fail_after = 550;
	feed_range(&x, &s, 0, 5);
	ck_assert_int_eq(feed(&x, fdata(&s, 5)), -EPIPE);
	ck_assert_int_eq(feed(&x, fdata(&s, 6)), TP_TRACK_STOPPED);
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.st.bytes_out, 500);
	fx_done(&x);
	/* flushing held frames */
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	x.k.fail_err = EIO;
	x.k.fail_after = 550;
	feed_range(&x, &s, 1, 10);
	ck_assert_int_eq(feed(&x, fdata(&s, 0)), -EIO);
	ck_assert_uint_eq(x.t.n_held, 0);
	ck_assert_uint_eq(x.k.len, 500);
	fx_done(&x);
	/* zeros for a gap */
	fx_init(&x, TP_GAP_ZERO, 1 << 20, 4);
	x.k.fail_err = ENOSPC;
	x.k.fail_after = 250;
	feed_range(&x, &s, 0, 2);
	feed_range(&x, &s, 3, 6);
	ck_assert_int_eq(feed(&x, fdata(&s, 6)), -ENOSPC);
	ck_assert_uint_eq(x.k.len, 200);
	fx_done(&x);
	/* in finish */
	fx_init(&x, TP_GAP_SKIP, 1 << 20, 64);
	x.k.fail_err = EIO;
	x.k.fail_after = 250;
	feed_range(&x, &s, 0, 2);
	feed_range(&x, &s, 3, 6);
	ck_assert_int_eq(tp_track_finish(&x.t), -EIO);
	ck_assert_int_eq(tp_track_finish(&x.t), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.t.n_held, 0);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* ---- randomized: drop, copy, reorder within the window --------------------------------------- */

struct delivery {
	uint64_t key;
	int what; /* frame index, or -1 for END */
};

static int by_key(const void *a, const void *b)
{
	const struct delivery *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return 0;
}

/* What the output must be given the declared losses: the stream with them cut out (SKIP) or
 * zeroed (ZERO); a loss of unknown length ends it. */
static size_t expected(const struct stream *s, const struct sink *k, enum tp_gap_policy policy,
		       unsigned char *want)
{
	uint64_t pos = 0;
	size_t n = 0;

	for (unsigned i = 0; i < k->nloss; i++) {
		const struct tp_track_loss *l = &k->loss[i];

		ck_assert_uint_ge(l->offset, pos);
		memcpy(want + n, s->bytes + pos, l->offset - pos);
		n += l->offset - pos;
		if (l->bytes == UINT64_MAX) {
			ck_assert_uint_eq(i, k->nloss - 1u);
			return n;
		}
		ck_assert_uint_le(l->offset + l->bytes, s->total);
		if (policy == TP_GAP_ZERO) {
			memset(want + n, 0, l->bytes);
			n += l->bytes;
		}
		pos = l->offset + l->bytes;
	}
	memcpy(want + n, s->bytes + pos, s->total - pos);
	return n + (s->total - pos);
}

static void random_run(enum tp_gap_policy policy, uint64_t seed)
{
	uint64_t r = seed * 0xD1B54A32D192ED03ULL + (uint64_t)policy + 1;
	struct stream s;
	struct fx x;
	static struct delivery order[8 * MAXF];
	bool delivered[MAXF] = { false };
	size_t n = 0;

	for (int i = 0; i < 8; i++)
		rng(&r);
	stream_make(&s, (uint32_t)seed, 20 + (uint32_t)(rng(&r) % (MAXF - 20)),
		    1 + (uint32_t)(rng(&r) % 900), seed);

	/* How bad the link is; a quarter of the runs lose nothing and never overflow. */
	bool clean = rng(&r) % 4 == 0;
	unsigned drop = clean ? 0 : (unsigned)(rng(&r) % 25);    /* percent */
	unsigned dup = (unsigned)(rng(&r) % 40);                  /* percent */
	unsigned dist = (unsigned)(rng(&r) % 12);                 /* reorder distance */
	uint32_t wframes = clean ? MAXF : 2 + (uint32_t)(rng(&r) % 30);
	size_t wbytes = clean ? (size_t)s.total : 500 + (size_t)(rng(&r) % 20000);
	bool with_end = clean || rng(&r) % 5 != 0;

	fx_init(&x, policy, wbytes, wframes);
	x.k.delivered = delivered;
	for (uint32_t i = 0; i < s.n; i++) {
		if (rng(&r) % 100 < drop)
			continue;
		order[n++] = (struct delivery){ .key = 16 * (i + rng(&r) % (dist + 1)), .what = (int)i };
		while (rng(&r) % 100 < dup && n < 4 * MAXF)
			order[n++] = (struct delivery){ .key = 16 * (i + rng(&r) % (2 * dist + 4)) + 1,
							.what = (int)i };
	}
	if (with_end) {
		/* mostly after the data, sometimes anywhere in it */
		uint64_t at = rng(&r) % 10 == 0 ? rng(&r) % (s.n + 1) : s.n + dist + 4;

		order[n++] = (struct delivery){ .key = 16 * at + 2, .what = -1 };
		order[n++] = (struct delivery){ .key = 16 * (at + 3) + 2, .what = -1 };
	}
	qsort(order, n, sizeof(order[0]), by_key);

	int rc = TP_TRACK_MORE;
	uint64_t copies = 0;

	for (size_t i = 0; i < n && rc == TP_TRACK_MORE; i++) {
		if (order[i].what < 0) {
			rc = feed(&x, fend(&s));
			continue;
		}
		uint32_t f = (uint32_t)order[i].what;

		copies += delivered[f];
		rc = feed(&x, fdata(&s, f));
		delivered[f] = true;
	}
	if (rc == TP_TRACK_MORE)
		rc = tp_track_finish(&x.t);
	ck_assert_msg(rc == TP_TRACK_COMPLETE || rc == TP_TRACK_STOPPED, "seed %llu: rc %d",
		      (unsigned long long)seed, rc);
	ck_assert_msg(!x.k.bad_loss, "seed %llu: a delivered frame was declared lost",
		      (unsigned long long)seed);

	/* The declared losses: in order, on frame boundaries, counted. */
	uint64_t lost_frames = 0, lost_bytes = 0, pos = 0;

	for (unsigned i = 0; i < x.k.nloss; i++) {
		const struct tp_track_loss *l = &x.k.loss[i];

		ck_assert_uint_ge(l->offset, pos);
		ck_assert_uint_gt(l->bytes, 0);
		if (l->bytes == UINT64_MAX) {
			ck_assert(!with_end || x.st.end_seen == false);
			ck_assert_uint_gt(l->first_seq, l->last_seq);
			continue;
		}
		ck_assert_uint_le(l->first_seq, l->last_seq);
		ck_assert_uint_lt(l->last_seq, s.n);
		ck_assert_uint_eq(l->offset, s.off[l->first_seq]);
		ck_assert_uint_eq(l->offset + l->bytes, s.off[l->last_seq + 1]);
		lost_frames += l->last_seq - l->first_seq + 1u;
		lost_bytes += l->bytes;
		pos = l->offset + l->bytes;
	}
	ck_assert_uint_eq(x.st.gaps, x.k.nloss);
	ck_assert_uint_eq(x.st.lost_frames, lost_frames);
	ck_assert_uint_eq(x.st.lost_bytes, lost_bytes);

	/* The output: only the sender's bytes, in order, with exactly the losses missing. */
	if (policy == TP_GAP_STOP) {
		size_t want = x.k.nloss ? x.k.loss[0].offset : s.total;

		assert_out(&x, s.bytes, want);
		for (unsigned i = 0; i < x.k.nloss; i++)
			ck_assert_uint_eq(x.k.out_at_loss[i], want);
		ck_assert_uint_eq(x.st.zero_bytes, 0);
	} else {
		unsigned char *want = malloc(s.total + 1);
		size_t wn = expected(&s, &x.k, policy, want);

		ck_assert_msg(x.k.len == wn, "seed %llu: %zu bytes out, %zu expected",
			      (unsigned long long)seed, x.k.len, wn);
		ck_assert(wn == 0 || memcmp(x.k.out, want, wn) == 0);
		free(want);
		ck_assert_uint_eq(x.st.zero_bytes, policy == TP_GAP_ZERO ? lost_bytes : 0);
	}
	ck_assert_uint_eq(x.st.bytes_out + x.st.zero_bytes, x.k.len);

	/* Complete exactly when nothing was lost and END came. */
	if (rc == TP_TRACK_COMPLETE) {
		ck_assert_uint_eq(x.k.nloss, 0);
		assert_out(&x, s.bytes, s.total);
		ck_assert(x.st.digest_ok);
	} else {
		ck_assert(x.k.nloss > 0);
		ck_assert(!x.st.digest_ok);
	}
	if (clean) {
		ck_assert_msg(rc == TP_TRACK_COMPLETE, "seed %llu: clean run not complete",
			      (unsigned long long)seed);
		ck_assert_uint_eq(x.st.duplicates, copies);
	}
	ck_assert_uint_eq(x.t.n_held, 0);
	fx_done(&x);
	stream_free(&s);
}

START_TEST(test_random)
{
	for (uint64_t seed = 1; seed <= 400; seed++)
		random_run((enum tp_gap_policy)_i, seed);
}
END_TEST

/* An emit that takes fewer bytes than offered (-S: --size reached) stops the tracker after
 * them, and they are counted. */
START_TEST(test_emit_takes_fewer)
{
	struct stream s;
	struct fx x;

	stream_make(&s, 3, 10, 0, 9);
	fx_init(&x, TP_GAP_STOP, 1 << 20, 64);
	x.k.take_max = 150;
	ck_assert_int_eq(feed(&x, fdata(&s, 0)), TP_TRACK_MORE);
	ck_assert_int_eq(feed(&x, fdata(&s, 1)), -ECANCELED);
	assert_out(&x, s.bytes, 150);
	ck_assert_uint_eq(x.st.bytes_out, 150);
	ck_assert_int_eq(feed(&x, fdata(&s, 2)), TP_TRACK_STOPPED);
	ck_assert_uint_eq(x.k.len, 150);
	fx_done(&x);
	stream_free(&s);
}
END_TEST

/* In place, an in-order frame's payload is emitted from where it lies (-D then writes it
 * without a copy); one that waits, or one that ends a wait (zeros and held frames emitted
 * before it is held), or one that starts a new session, still comes out right. */
START_TEST(test_in_place_taken_first)
{
	struct stream s, s2;
	struct fx x;

	stream_make(&s, 0x51, 8, 0, 3);   /* frames of 100 bytes */
	stream_make(&s2, 0x52, 3, 0, 4);
	fx_init(&x, TP_GAP_ZERO, 100000, 2);
	feed_range(&x, &s, 0, 2);
	feed_range(&x, &s, 3, 4);               /* held: 2 is missing */
	feed_range(&x, &s, 5, 6);               /* two past it: 2 lost, 3 out, 5 held */
	feed_range(&x, &s, 7, 8);               /* 4 lost, 5 out, 7 held */
	tp_track_quiet(&x.t);                   /* (else s2 is ignored: s is live) */
	ck_assert_int_eq(feed(&x, fmeta(&s2)), TP_TRACK_MORE);  /* restart: 6 lost, 7 out */
	feed_range(&x, &s2, 0, 3);
	/* The new session is whole, but the transfer lost data: not complete. */
	ck_assert_int_eq(feed(&x, fend(&s2)), TP_TRACK_STOPPED);

	unsigned char want[1100];
	memcpy(want, s.bytes, 800);
	memset(want + 200, 0, 100);
	memset(want + 400, 0, 100);
	memset(want + 600, 0, 100);
	memcpy(want + 800, s2.bytes, 300);
	assert_out(&x, want, sizeof(want));
	ck_assert_uint_eq(x.st.gaps, 4);     /* 2, 4, 6, and the first session's unknown end */
	ck_assert_uint_eq(x.st.zero_bytes, 300);
	ck_assert_uint_eq(x.k.nrestart, 1);
	ck_assert_uint_eq(x.k.nmeta, 1);
	ck_assert_uint_eq(x.k.meta.total, s2.total);
	if (in_place)
		ck_assert_uint_eq(x.k.taken_in_place, 200 + 300);
	fx_done(&x);
	stream_free(&s);
	stream_free(&s2);
}
END_TEST

static void add_tests(Suite *s, const char *name, void (*fixture)(void))
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, fixture, NULL);
	tcase_add_test(tc, test_in_order_complete);
	tcase_add_test(tc, test_empty_stream);
	tcase_add_test(tc, test_digest_known_answer);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_reordered_pairs);
	tcase_add_test(tc, test_reversed_block);
	tcase_add_test(tc, test_partial_overlap);
	tcase_add_test(tc, test_out_of_line);
	tcase_add_test(tc, test_past_total);
	tcase_add_test(tc, test_adjacent_frames);
	tcase_add_test(tc, test_end_refused);
	tcase_add_test(tc, test_meta_refused);
	tcase_add_test(tc, test_loss_stop);
	tcase_add_test(tc, test_loss_skip);
	tcase_add_test(tc, test_loss_zero);
	tcase_add_test(tc, test_window_bytes);
	tcase_add_test(tc, test_window_several_gaps);
	tcase_add_test(tc, test_end_early);
	tcase_add_test(tc, test_end_conflicts);
	tcase_add_loop_test(tc, test_end_missing_data, TP_GAP_STOP, TP_GAP_ZERO + 1);
	tcase_add_loop_test(tc, test_no_end, TP_GAP_STOP, TP_GAP_ZERO + 1);
	tcase_add_loop_test(tc, test_no_end_held, TP_GAP_STOP, TP_GAP_ZERO + 1);
	tcase_add_test(tc, test_nothing_arrived);
	tcase_add_test(tc, test_restart_skip);
	tcase_add_test(tc, test_restart_stop);
	tcase_add_test(tc, test_restart_zero_after_end);
	tcase_add_loop_test(tc, test_other_session_ignored, 0, 3);
	tcase_add_test(tc, test_restart_after_end);
	tcase_add_test(tc, test_quiet_taken_back);
	tcase_add_loop_test(tc, test_stray_frame_gives_way, 0, 3);
	tcase_add_test(tc, test_stray_needs_a_start);
	tcase_add_test(tc, test_begun_quiet_gives_way);
	tcase_add_loop_test(tc, test_replay_never_takes_over, 0, 3);
	tcase_add_test(tc, test_runs_by_epoch);
	tcase_add_test(tc, test_optional_callbacks);
	tcase_add_test(tc, test_init_rejects);
	tcase_add_test(tc, test_emit_error);
	tcase_add_test(tc, test_emit_takes_fewer);
	tcase_add_loop_test(tc, test_random, TP_GAP_STOP, TP_GAP_ZERO + 1);
	tcase_add_test(tc, test_in_place_taken_first);
	suite_add_tcase(s, tc);
}


static Suite *track_suite(void)
{
	Suite *s = suite_create("track");

	add_tests(s, "track", payloads_apart);
	add_tests(s, "track, payloads where emit writes", payloads_in_place);
	return s;
}

int main(void)
{
	return tp_unit_run(track_suite());
}
