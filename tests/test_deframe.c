/* The deframer: frames found among garbage, split anywhere, nested, cut off, refused. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cobs.h"
#include "crc.h"
#include "deframe.h"
#include "frame.h"
#include "le.h"

#define SEG_MAX (tp_cobs_max_encoded(tp_frame_size(TP_FRAME_MAX_PAYLOAD)))

/* A growing byte buffer. */
struct bytes {
	unsigned char *p;
	size_t len, cap;
};

static void reserve(struct bytes *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	b->p = realloc(b->p, cap);
	ck_assert_ptr_nonnull(b->p);
	b->cap = cap;
}

static void put(struct bytes *b, const void *p, size_t len)
{
	reserve(b, len);
	if (len)
		memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void put_byte(struct bytes *b, unsigned char c)
{
	put(b, &c, 1);
}

static void put_fill(struct bytes *b, unsigned char c, size_t len)
{
	reserve(b, len);
	memset(b->p + b->len, c, len);
	b->len += len;
}

/* A sealed frame (not encoded). */
static struct bytes make_frame(enum tp_frame_type type, uint32_t session, uint32_t seq,
			       uint64_t offset, const unsigned char *payload, size_t len)
{
	struct bytes b = { 0 };
	struct tp_frame f = { .type = type, .session = session, .offset = offset, .seq = seq,
			      .len = (uint32_t)len };

	reserve(&b, tp_frame_size(len));
	if (len)
		memcpy(b.p + TP_FRAME_HDR_SIZE, payload, len);
	b.len = tp_frame_seal(b.p, &f);
	return b;
}

/* COBS-encodes frame into s, without delimiters. */
static void put_encoded(struct bytes *s, const struct bytes *frame)
{
	reserve(s, tp_cobs_max_encoded(frame->len));
	s->len += tp_cobs_encode(s->p + s->len, frame->p, frame->len);
}

/* Appends a DATA frame between delimiters (one shared with the frame before). */
static void put_data_frame(struct bytes *s, uint32_t session, uint32_t seq, uint64_t offset,
			   const unsigned char *payload, size_t len)
{
	struct bytes f = make_frame(TP_FRAME_DATA, session, seq, offset, payload, len);

	if (s->len == 0 || s->p[s->len - 1] != 0)
		put_byte(s, 0);
	put_encoded(s, &f);
	put_byte(s, 0);
	free(f.p);
}

/* Frames the whole of data as a stream, frame_size bytes of payload per frame. */
static struct bytes frame_stream(const unsigned char *data, size_t len, size_t frame_size,
				 uint32_t session)
{
	struct bytes s = { 0 };
	uint32_t seq = 0;

	for (size_t off = 0; off < len; off += frame_size, seq++)
		put_data_frame(&s, session, seq, off, data + off,
			       len - off < frame_size ? len - off : frame_size);
	return s;
}

/* What on_frame saw. */
struct seen {
	struct bytes payloads;   /* all payloads, in order */
	unsigned n;
	unsigned in_room;        /* frames whose payload lay in the destination */
	unsigned char *room;     /* the destination (see rig_new); NULL: none */
	size_t room_cap;
	unsigned room_asks;
	uint32_t seq[4096];
	uint32_t session[4096];
	enum tp_frame_type type[4096];
	unsigned stop_at;        /* return 7 on this frame (1-based); 0: never */
};

static int on_frame(void *ctx, const struct tp_frame *f)
{
	struct seen *s = ctx;

	ck_assert_uint_lt(s->n, 4096);
	s->seq[s->n] = f->seq;
	s->session[s->n] = f->session;
	s->type[s->n] = f->type;
	s->n++;
	if (s->room && f->len && f->payload == s->room)
		s->in_room++;
	put(&s->payloads, f->payload, f->len);
	/* The destination is the caller's to write once the frame is taken: scribble on it, so
	 * that a frame delivered from stale room shows. */
	if (s->room)
		memset(s->room, 0x5A, s->room_cap);
	return s->n == s->stop_at ? 7 : 0;
}

struct rig {
	struct tp_deframer d;
	struct tp_rx_stats st;
	struct seen seen;
};

/* The destination: room_cap bytes, exactly (ASan sees a write past them), for any payload
 * that fits. */
static unsigned char *give_room(void *ctx, size_t len)
{
	struct seen *s = ctx;

	s->room_asks++;
	return len <= s->room_cap ? s->room : NULL;
}

/* How big the rigs' destination is: none (SIZE_MAX), or that many bytes. The test cases of
 * byte streams run with each (see main). */
static size_t rig_room = SIZE_MAX;

static void no_room(void)
{
	rig_room = SIZE_MAX;
}

static void big_room(void)
{
	rig_room = TP_FRAME_MAX_PAYLOAD;
}

static void small_room(void)
{
	rig_room = 500;
}

static struct rig *rig_with_room(size_t room)
{
	struct rig *r = calloc(1, sizeof(*r));

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(tp_deframer_init(&r->d, &r->st, on_frame, &r->seen), 0);
	if (room != SIZE_MAX) {
		r->seen.room = malloc(room ? room : 1);
		ck_assert_ptr_nonnull(r->seen.room);
		r->seen.room_cap = room;
		tp_deframer_set_room(&r->d, give_room, &r->seen);
	}
	return r;
}

static struct rig *rig_new(void)
{
	return rig_with_room(rig_room);
}

static void rig_free(struct rig *r)
{
	tp_deframer_destroy(&r->d);
	free(r->seen.payloads.p);
	free(r->seen.room);
	free(r);
}

static uint64_t corrupt_total(const struct tp_rx_stats *st)
{
	uint64_t n = 0;

	for (int e = 0; e < TP_FRAME_NERRORS; e++)
		n += st->corrupt[e];
	return n;
}

/* Feeds s in pieces of step bytes (0: all at once). */
static void feed(struct rig *r, const struct bytes *s, size_t step)
{
	if (!step)
		step = s->len ? s->len : 1;
	int rc = 0;

	/* One assertion at the end: Check writes a checkpoint for every one. */
	for (size_t off = 0; off < s->len && !rc; off += step)
		rc = tp_deframe_stream(&r->d, s->p + off, s->len - off < step ? s->len - off : step);
	ck_assert_int_eq(rc, 0);
}

static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Random bytes with zeros, and now and then the magic, so payloads look like frames. */
static void fill(unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint32_t r = next_rand();
		p[i] = r % 8 == 0 ? 0 : (unsigned char)(r >> 8);
		if (r % 97 == 0 && i + 1 < len) {
			p[i] = 'T';
			p[++i] = 'P';
		}
	}
}

static const size_t steps[] = { 0, 1, 2, 3, 7, 254, 255, 1000, 4096 };
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

START_TEST(test_clean_stream)
{
	unsigned char data[10000];

	fill(data, sizeof(data));
	struct bytes s = frame_stream(data, sizeof(data), 777, 0xC0FFEE);

	for (size_t k = 0; k < NSTEPS; k++) {
		struct rig *r = rig_new();

		feed(r, &s, steps[k]);
		ck_assert_uint_eq(r->st.frames, (sizeof(data) + 776) / 777);
		ck_assert_uint_eq(r->seen.n, r->st.frames);
		for (unsigned i = 0; i < r->seen.n; i++)
			ck_assert_uint_eq(r->seen.seq[i], i);
		ck_assert_uint_eq(r->seen.payloads.len, sizeof(data));
		ck_assert_mem_eq(r->seen.payloads.p, data, sizeof(data));
		ck_assert_uint_eq(corrupt_total(&r->st), 0);
		ck_assert_uint_eq(r->st.garbage_bytes, 0);
		tp_deframe_stream_end(&r->d);
		ck_assert_uint_eq(corrupt_total(&r->st), 0);
		ck_assert_uint_eq(r->st.garbage_bytes, 0);
		rig_free(r);
	}
	free(s.p);
}
END_TEST

START_TEST(test_empty_frames_and_delimiters)
{
	struct bytes s = { 0 };
	struct rig *r = rig_new();

	put_fill(&s, 0, 10);                     /* empty segments are nothing */
	put_data_frame(&s, 1, 0, 0, NULL, 0);    /* a frame with no payload */
	put_fill(&s, 0, 3);
	feed(r, &s, 0);
	ck_assert_uint_eq(r->st.frames, 1);
	ck_assert_uint_eq(r->seen.payloads.len, 0);
	ck_assert_uint_eq(r->st.garbage_bytes, 0);
	ck_assert_uint_eq(corrupt_total(&r->st), 0);
	rig_free(r);
	free(s.p);
}
END_TEST

START_TEST(test_garbage_around_frames)
{
	unsigned char a[300], b[3000];
	struct bytes s = { 0 };

	memset(a, 'a', sizeof(a));
	fill(b, sizeof(b));
	put(&s, "no delimiter yet", 16);                 /* 16 before the first 0x00 */
	put_data_frame(&s, 5, 0, 0, a, sizeof(a));
	put(&s, "between", 7);                           /* 7, then its delimiter */
	put_byte(&s, 0);
	put(&s, "x\0yy\0zzz", 8);                        /* 1 + 2 + 3 */
	put_data_frame(&s, 5, 1, sizeof(a), b, sizeof(b));
	/* Short segments and ones whose code says 'T' 'P' is not data: garbage. A code that makes
	 * "TP" data is a candidate, refused here as too short. */
	put(&s, "\x01TPxxxx\0\x02TPxx\0\x03TP", 17);     /* 7 + 5, then a candidate */
	put_data_frame(&s, 5, 2, sizeof(a) + sizeof(b), a, 10);
	put(&s, "trailing", 8);                          /* cut off at the end */
	const uint64_t garbage = 16 + 7 + 6 + 7 + 5 + 8;

	for (size_t k = 0; k < NSTEPS; k++) {
		struct rig *r = rig_new();

		feed(r, &s, steps[k]);
		tp_deframe_stream_end(&r->d);
		ck_assert_uint_eq(r->st.frames, 3);
		ck_assert_uint_eq(r->seen.payloads.len, sizeof(a) + sizeof(b) + 10);
		ck_assert_mem_eq(r->seen.payloads.p, a, sizeof(a));
		ck_assert_mem_eq(r->seen.payloads.p + sizeof(a), b, sizeof(b));
		ck_assert_mem_eq(r->seen.payloads.p + sizeof(a) + sizeof(b), a, 10);
		ck_assert_uint_eq(corrupt_total(&r->st), 1);
		ck_assert_uint_eq(r->st.corrupt[TP_FRAME_ERR_SHORT], 1);
		ck_assert_uint_eq(r->st.garbage_bytes, garbage);
		rig_free(r);
	}
	free(s.p);
}
END_TEST

/* Non-zero garbage inside a frame's encoding: that frame is refused, the next one comes. */
START_TEST(test_garbage_inside_frame)
{
	unsigned char data[2000];

	fill(data, sizeof(data));
	struct bytes s = frame_stream(data, sizeof(data), 500, 9);
	/* Into the second frame's encoding, well inside it. */
	size_t second = 0;
	for (size_t i = 1, zeros = 0; i < s.len; i++)
		if (s.p[i] == 0 && ++zeros == 1) {
			second = i + 1;
			break;
		}
	struct bytes t = { 0 };
	put(&t, s.p, second + 100);
	put(&t, "\x55\x66\x77", 3);
	put(&t, s.p + second + 100, s.len - second - 100);

	for (size_t k = 0; k < NSTEPS; k++) {
		struct rig *r = rig_new();

		feed(r, &t, steps[k]);
		ck_assert_uint_eq(r->st.frames, 3);
		ck_assert_uint_eq(r->seen.seq[0], 0);
		ck_assert_uint_eq(r->seen.seq[1], 2);
		ck_assert_uint_eq(r->seen.seq[2], 3);
		ck_assert_uint_eq(corrupt_total(&r->st), 1);
		ck_assert_uint_eq(r->st.garbage_bytes, 0);
		rig_free(r);
	}
	free(s.p);
	free(t.p);
}
END_TEST

/* A 0x00 inside a frame's encoding splits it: the front is a refused frame, the back is
 * garbage, and nothing bad is delivered. Tried at every position. */
START_TEST(test_zero_inside_frame)
{
	unsigned char a[600], b[600];

	memset(a, 'A', sizeof(a));
	memset(b, 'B', sizeof(b));
	struct bytes s = { 0 };
	put_data_frame(&s, 3, 0, 0, a, sizeof(a));
	size_t start = s.len;
	put_data_frame(&s, 3, 1, sizeof(a), b, sizeof(b));
	size_t stop = s.len - 1;   /* the second frame's encoding is s.p[start..stop) */
	put_data_frame(&s, 3, 2, sizeof(a) + sizeof(b), a, sizeof(a));

	for (size_t at = start + 3; at < stop; at += at < start + 40 ? 1 : 37) {
		struct bytes t = { 0 };

		put(&t, s.p, s.len);
		t.p[at] = 0;  /* overwritten */
		struct rig *r = rig_new();
		feed(r, &t, at % 2 ? 0 : 1);
		ck_assert_uint_eq(r->st.frames, 2);
		ck_assert_uint_eq(r->seen.seq[0], 0);
		ck_assert_uint_eq(r->seen.seq[1], 2);
		ck_assert_uint_eq(corrupt_total(&r->st), 1);
		/* The tail after the zero: garbage (it cannot start with a code and "TP": 'B's). */
		ck_assert_uint_eq(r->st.garbage_bytes, stop - at - 1);
		rig_free(r);
		free(t.p);
	}
	free(s.p);
}
END_TEST

START_TEST(test_random_splits)
{
	unsigned char data[50000];

	fill(data, sizeof(data));
	struct bytes s = frame_stream(data, sizeof(data), 1444, 77);
	struct rig *r = rig_new();

	int rc = 0;
	for (size_t off = 0; off < s.len && !rc;) {
		size_t n = next_rand() % 3000;
		if (n > s.len - off)
			n = s.len - off;
		rc = tp_deframe_stream(&r->d, s.p + off, n);
		off += n;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(r->seen.payloads.len, sizeof(data));
	ck_assert_mem_eq(r->seen.payloads.p, data, sizeof(data));
	ck_assert_uint_eq(r->st.garbage_bytes, 0);
	ck_assert_uint_eq(corrupt_total(&r->st), 0);
	rig_free(r);
	free(s.p);
}
END_TEST

/* tpipe -F | tpipe -F: the outer deframer gives back the inner stream byte for byte and sees
 * no inner frame; the inner stream then gives back the data. */
START_TEST(test_nested)
{
	unsigned char data[20000];

	fill(data, sizeof(data));
	struct bytes inner = frame_stream(data, sizeof(data), 1000, 0x1111);
	struct bytes outer = frame_stream(inner.p, inner.len, 3000, 0x2222);
	/* and once more, for good measure */
	struct bytes outer2 = frame_stream(outer.p, outer.len, 65536, 0x3333);

	for (size_t k = 0; k < NSTEPS; k++) {
		struct rig *r = rig_new();

		feed(r, &outer, steps[k]);
		tp_deframe_stream_end(&r->d);
		ck_assert_uint_eq(r->st.frames, (inner.len + 2999) / 3000);
		for (unsigned i = 0; i < r->seen.n; i++)
			ck_assert_uint_eq(r->seen.session[i], 0x2222);
		ck_assert_uint_eq(corrupt_total(&r->st), 0);
		ck_assert_uint_eq(r->st.garbage_bytes, 0);
		ck_assert_uint_eq(r->seen.payloads.len, inner.len);
		ck_assert_mem_eq(r->seen.payloads.p, inner.p, inner.len);

		struct rig *r2 = rig_new();
		feed(r2, &r->seen.payloads, steps[k]);
		tp_deframe_stream_end(&r2->d);
		ck_assert_uint_eq(r2->st.frames, 20);
		for (unsigned i = 0; i < r2->seen.n; i++)
			ck_assert_uint_eq(r2->seen.session[i], 0x1111);
		ck_assert_uint_eq(corrupt_total(&r2->st), 0);
		ck_assert_uint_eq(r2->st.garbage_bytes, 0);
		ck_assert_uint_eq(r2->seen.payloads.len, sizeof(data));
		ck_assert_mem_eq(r2->seen.payloads.p, data, sizeof(data));
		rig_free(r2);
		rig_free(r);
	}

	struct rig *r = rig_new();
	feed(r, &outer2, 4093);
	ck_assert_uint_eq(r->seen.payloads.len, outer.len);
	ck_assert_mem_eq(r->seen.payloads.p, outer.p, outer.len);
	for (unsigned i = 0; i < r->seen.n; i++)
		ck_assert_uint_eq(r->seen.session[i], 0x3333);
	rig_free(r);
	free(inner.p);
	free(outer.p);
	free(outer2.p);
}
END_TEST

/* Largest frames pass, whole and byte by byte. */
START_TEST(test_largest_frame)
{
	unsigned char *data = malloc(TP_FRAME_MAX_PAYLOAD);

	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < TP_FRAME_MAX_PAYLOAD; i++)
		data[i] = (unsigned char)(i % 255 + 1);  /* no zeros: longest encoding */
	struct bytes s = frame_stream(data, TP_FRAME_MAX_PAYLOAD, TP_FRAME_MAX_PAYLOAD, 1);
	ck_assert_uint_le(s.len - 2, SEG_MAX);
	for (size_t step = 0; step <= 1; step++) {
		struct rig *r = rig_new();
		feed(r, &s, step);
		ck_assert_uint_eq(r->st.frames, 1);
		ck_assert_uint_eq(r->seen.payloads.len, TP_FRAME_MAX_PAYLOAD);
		ck_assert_mem_eq(r->seen.payloads.p, data, TP_FRAME_MAX_PAYLOAD);
		rig_free(r);
	}
	free(data);
	free(s.p);
}
END_TEST

/* Segments too long to be a frame are garbage, skipped without being held; one exactly as
 * long as the largest frame's encoding is still looked at. */
START_TEST(test_oversize_garbage)
{
	static const size_t pieces[] = { 0, 1, 4096, 65536 };
	unsigned char ok[100];

	memset(ok, 'k', sizeof(ok));
	for (int candidate = 0; candidate <= 1; candidate++) {
		for (size_t extra = 0; extra <= 1; extra++) {
			size_t run = SEG_MAX + extra;
			struct bytes s = { 0 };

			put_byte(&s, 0);
			put_fill(&s, 0x42, run);
			if (candidate)
				memcpy(s.p + 1, "\x03TP", 3);
			put_data_frame(&s, 4, 0, 0, ok, sizeof(ok));
			for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
				struct rig *r = rig_new();

				feed(r, &s, pieces[k]);
				ck_assert_uint_eq(r->d.seg_cap, SEG_MAX);
				ck_assert_uint_eq(r->st.frames, 1);
				ck_assert_mem_eq(r->seen.payloads.p, ok, sizeof(ok));
				if (extra || !candidate) {
					ck_assert_uint_eq(r->st.garbage_bytes, run);
					ck_assert_uint_eq(corrupt_total(&r->st), 0);
				} else {
					/* looked at: it does not decode */
					ck_assert_uint_eq(r->st.garbage_bytes, 0);
					ck_assert_uint_eq(r->st.corrupt[TP_FRAME_ERR_COBS], 1);
				}
				rig_free(r);
			}
			free(s.p);
		}
	}

	/* Half a huge run: nothing held while it lasts. */
	struct rig *r = rig_new();
	unsigned char chunk[65536];
	memset(chunk, 0x42, sizeof(chunk));
	memcpy(chunk, "\0\x03TP", 4);
	ck_assert_int_eq(tp_deframe_stream(&r->d, chunk, sizeof(chunk)), 0);
	ck_assert_uint_eq(r->d.seg_len, sizeof(chunk) - 1);
	memset(chunk, 0x42, 4);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(tp_deframe_stream(&r->d, chunk, sizeof(chunk)), 0);
	ck_assert(r->d.skipping);
	ck_assert_uint_eq(r->d.seg_len, 0);
	ck_assert_uint_eq(r->st.garbage_bytes, 41 * sizeof(chunk) - 1);
	tp_deframe_stream_end(&r->d);
	ck_assert_uint_eq(r->st.garbage_bytes, 41 * sizeof(chunk) - 1);
	ck_assert_uint_eq(corrupt_total(&r->st), 0);
	rig_free(r);
}
END_TEST

START_TEST(test_stream_end)
{
	unsigned char data[1000];

	fill(data, sizeof(data));
	struct bytes s = frame_stream(data, sizeof(data), 400, 8);

	/* Cut anywhere inside the last frame: the first two come, the last is refused. */
	size_t last = s.len - 2;
	while (s.p[last] != 0)
		last--;
	for (size_t cut = last + 1; cut < s.len; cut++) {
		struct bytes t = { s.p, cut, cut };
		struct rig *r = rig_new();

		feed(r, &t, cut % 2 ? 0 : 1);
		tp_deframe_stream_end(&r->d);
		ck_assert_uint_eq(r->st.frames, 2);
		if (cut - last - 1 < 3) {
			ck_assert_uint_eq(r->st.garbage_bytes, cut - last - 1);
			ck_assert_uint_eq(corrupt_total(&r->st), 0);
		} else {
			ck_assert_uint_eq(r->st.garbage_bytes, 0);
			ck_assert_uint_eq(corrupt_total(&r->st), 1);
			/* cut before its end: short; only the closing delimiter missing: still
			 * dropped, counted short */
			ck_assert_uint_eq(r->st.corrupt[TP_FRAME_ERR_SHORT] +
					  r->st.corrupt[TP_FRAME_ERR_LENGTH] +
					  r->st.corrupt[TP_FRAME_ERR_CRC], 1);
		}
		if (cut == s.len - 1)
			ck_assert_uint_eq(r->st.corrupt[TP_FRAME_ERR_SHORT], 1);
		rig_free(r);
	}

	/* Garbage cut off; then the deframer starts over, unsynchronised. */
	struct rig *r = rig_new();
	ck_assert_int_eq(tp_deframe_stream(&r->d, (const unsigned char *)"\0abcde", 6), 0);
	tp_deframe_stream_end(&r->d);
	ck_assert_uint_eq(r->st.garbage_bytes, 5);
	feed(r, &s, 0);   /* starts with a delimiter: all three frames */
	ck_assert_uint_eq(r->st.frames, 3);
	tp_deframe_stream_end(&r->d);
	ck_assert_int_eq(tp_deframe_stream(&r->d, s.p + 1, s.len - 1), 0);
	ck_assert_uint_eq(r->st.frames, 5);   /* the first one's delimiter was missing */
	ck_assert_uint_gt(r->st.garbage_bytes, 5);
	ck_assert_uint_eq(corrupt_total(&r->st), 0);
	rig_free(r);
	free(s.p);
}
END_TEST

START_TEST(test_on_frame_stops)
{
	unsigned char data[1000];

	fill(data, sizeof(data));
	struct bytes s = frame_stream(data, sizeof(data), 100, 8);
	struct rig *r = rig_new();

	r->seen.stop_at = 3;
	ck_assert_int_eq(tp_deframe_stream(&r->d, s.p, s.len), 7);
	ck_assert_uint_eq(r->seen.n, 3);
	ck_assert_uint_eq(r->st.frames, 3);
	rig_free(r);
	free(s.p);
}
END_TEST

START_TEST(test_datagrams)
{
	unsigned char data[500];

	fill(data, sizeof(data));
	struct bytes f = make_frame(TP_FRAME_DATA, 6, 4, 1000, data, sizeof(data));
	struct rig *r = rig_new();

	ck_assert_int_eq(tp_deframe_datagram(&r->d, f.p, f.len), 0);
	ck_assert_uint_eq(r->st.frames, 1);
	ck_assert_uint_eq(r->seen.seq[0], 4);
	ck_assert_mem_eq(r->seen.payloads.p, data, sizeof(data));
	r->seen.stop_at = 2;
	ck_assert_int_eq(tp_deframe_datagram(&r->d, f.p, f.len), 7);
	ck_assert_uint_eq(r->st.frames, 2);

	/* Refusals: counted by reason, 0 returned, nothing delivered. */
	ck_assert_int_eq(tp_deframe_datagram(&r->d, f.p, 10), 0);
	ck_assert_int_eq(tp_deframe_datagram(&r->d, f.p, 0), 0);
	ck_assert_uint_eq(r->st.corrupt[TP_FRAME_ERR_SHORT], 2);
	ck_assert_int_eq(tp_deframe_datagram(&r->d, f.p, f.len - 1), 0);
	ck_assert_uint_eq(r->st.corrupt[TP_FRAME_ERR_LENGTH], 1);
	f.p[100] ^= 1;
	ck_assert_int_eq(tp_deframe_datagram(&r->d, f.p, f.len), 0);
	ck_assert_uint_eq(r->st.corrupt[TP_FRAME_ERR_CRC], 1);
	f.p[0] ^= 1;
	ck_assert_int_eq(tp_deframe_datagram(&r->d, f.p, f.len), 0);
	ck_assert_uint_eq(r->st.corrupt[TP_FRAME_ERR_MAGIC], 1);
	f.p[0] ^= 1;
	f.p[2] = 0x21;
	ck_assert_int_eq(tp_deframe_datagram(&r->d, f.p, f.len), 0);
	ck_assert_uint_eq(r->st.corrupt[TP_FRAME_ERR_VERSION], 1);
	/* A COBS-encoded frame is no datagram. */
	struct bytes enc = { 0 };
	f.p[2] = 0x11;
	f.p[100] ^= 1;
	put_encoded(&enc, &f);
	ck_assert_int_eq(tp_deframe_datagram(&r->d, enc.p, enc.len), 0);
	ck_assert_uint_eq(corrupt_total(&r->st), 7);
	ck_assert_uint_eq(r->st.frames, 2);
	ck_assert_uint_eq(r->seen.n, 2);
	ck_assert_uint_eq(r->st.garbage_bytes, 0);
	rig_free(r);
	free(f.p);
	free(enc.p);
}
END_TEST

/* Frames with payloads around the room's size, the stream cut in two at every byte: each
 * payload that fits is decoded into the room, the others into the deframer's buffer, and all
 * come out whole. */
START_TEST(test_room_every_cut)
{
	static const size_t lens[] = { 0, 1, 299, 300, 301, 5, 1000 };
	unsigned char data[2000];
	struct bytes s = { 0 };
	size_t total = 0, fit = 0;

	fill(data, sizeof(data));
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		put_data_frame(&s, 2, (uint32_t)k, total, data + total, lens[k]);
		total += lens[k];
		fit += lens[k] && lens[k] <= 300;
	}
	for (size_t cut = 0; cut <= s.len; cut++) {
		struct rig *r = rig_with_room(300);

		ck_assert_int_eq(tp_deframe_stream(&r->d, s.p, cut), 0);
		ck_assert_int_eq(tp_deframe_stream(&r->d, s.p + cut, s.len - cut), 0);
		ck_assert_uint_eq(r->st.frames, sizeof(lens) / sizeof(lens[0]));
		ck_assert_uint_eq(r->seen.in_room, fit);
		ck_assert_uint_eq(r->seen.payloads.len, total);
		ck_assert_mem_eq(r->seen.payloads.p, data, total);
		ck_assert_uint_eq(corrupt_total(&r->st), 0);
		ck_assert_uint_eq(r->st.garbage_bytes, 0);
		rig_free(r);
	}
	free(s.p);
}
END_TEST

/* A frame whose header says another length than it has, one cut short inside its payload's
 * stuffing, and one with bad stuffing past its header: refused for the same reasons with the
 * room as without it, and the room is never handed on. */
START_TEST(test_room_refusals)
{
	unsigned char data[600];
	struct bytes s = { 0 };

	fill(data, sizeof(data));
	for (int kind = 0; kind < 6; kind++) {
		struct bytes f = make_frame(TP_FRAME_DATA, 3, (uint32_t)kind, 0, data, 400);

		if (kind == 0 || kind == 1) {
			/* The length field 10 too few, or too many; sealed again. */
			tp_put_le32(f.p + 20, kind == 0 ? 390 : 410);
			tp_put_le32(f.p + f.len - 4, tp_crc32c(0, f.p, f.len - 4));
		}
		if (kind == 2)
			f.p[100] ^= 0x40;   /* the CRC fails */
		if (kind == 5)
			f.len -= 9;         /* shorter than it says */
		size_t start = s.len + 1;  /* after the delimiter put next */
		put_byte(&s, 0);
		put_encoded(&s, &f);
		if (kind == 3) {
			/* The last code now points past the end. */
			size_t i = start;
			while (i + s.p[i] < s.len)
				i += s.p[i];
			ck_assert_uint_lt(s.len - i, 0xFE);
			s.p[i] = 0xFE;
		}
		if (kind == 4)
			s.len = start + 100;         /* cut inside its payload */
		put_byte(&s, 0);
		free(f.p);
	}
	put_data_frame(&s, 3, 6, 0, data, 400);   /* and a good one */

	struct rig *plain = rig_with_room(SIZE_MAX), *room = rig_with_room(TP_FRAME_MAX_PAYLOAD);
	feed(plain, &s, 0);
	feed(room, &s, 0);
	ck_assert_uint_eq(plain->st.frames, 1);
	ck_assert_uint_eq(room->st.frames, 1);
	ck_assert_uint_eq(room->seen.in_room, 1);
	ck_assert_mem_eq(room->seen.payloads.p, data, 400);
	ck_assert_uint_eq(room->seen.payloads.len, 400);
	for (int e = 0; e < TP_FRAME_NERRORS; e++)
		ck_assert_uint_eq(room->st.corrupt[e], plain->st.corrupt[e]);
	/* (The cut one may be either: a code that points past the cut, or too short.) */
	ck_assert_uint_ge(room->st.corrupt[TP_FRAME_ERR_LENGTH], 3);
	ck_assert_uint_ge(room->st.corrupt[TP_FRAME_ERR_COBS], 1);
	ck_assert_uint_eq(room->st.corrupt[TP_FRAME_ERR_CRC], 1);
	ck_assert_uint_eq(corrupt_total(&room->st), 6);
	ck_assert_uint_eq(room->st.garbage_bytes, plain->st.garbage_bytes);
	rig_free(plain);
	rig_free(room);
	free(s.p);
}
END_TEST

/* Random damage to a framed stream: with the room, exactly what comes without it (the same
 * payloads, counts and garbage), whatever the feeds' sizes. */
START_TEST(test_room_same_as_without)
{
	unsigned char data[30000];

	fill(data, sizeof(data));
	for (int round = 0; round < 40; round++) {
		size_t frame_size = 100 + next_rand() % 1500, room_size = round % 2 ? 100000 : 700;
		struct bytes s = frame_stream(data, sizeof(data), frame_size, 5);
		for (int k = 0; k < 20; k++) {
			size_t at = next_rand() % s.len;
			s.p[at] = (unsigned char)(round % 3 == 0 ? 0 : next_rand());
		}
		struct rig *plain = rig_with_room(SIZE_MAX);
		struct rig *room = rig_with_room(room_size);
		size_t step = 1 + next_rand() % 5000;
		feed(plain, &s, step);
		feed(room, &s, step);
		tp_deframe_stream_end(&plain->d);
		tp_deframe_stream_end(&room->d);
		ck_assert_uint_eq(room->st.frames, plain->st.frames);
		ck_assert_uint_eq(room->seen.payloads.len, plain->seen.payloads.len);
		ck_assert_mem_eq(room->seen.payloads.p, plain->seen.payloads.p,
				 plain->seen.payloads.len);
		for (int e = 0; e < TP_FRAME_NERRORS; e++)
			ck_assert_uint_eq(room->st.corrupt[e], plain->st.corrupt[e]);
		ck_assert_uint_eq(room->st.garbage_bytes, plain->st.garbage_bytes);
		if (frame_size <= room_size)
			ck_assert_uint_gt(room->seen.in_room, 0);
		rig_free(plain);
		rig_free(room);
		free(s.p);
	}
}
END_TEST

/* Datagrams are not decoded: the room is never asked for. */
START_TEST(test_room_not_for_datagrams)
{
	unsigned char data[100];

	fill(data, sizeof(data));
	struct bytes f = make_frame(TP_FRAME_DATA, 6, 0, 0, data, sizeof(data));
	struct rig *r = rig_with_room(TP_FRAME_MAX_PAYLOAD);

	ck_assert_int_eq(tp_deframe_datagram(&r->d, f.p, f.len), 0);
	ck_assert_uint_eq(r->st.frames, 1);
	ck_assert_uint_eq(r->seen.room_asks, 0);
	ck_assert_mem_eq(r->seen.payloads.p, data, sizeof(data));
	rig_free(r);
	free(f.p);
}
END_TEST

/* META and END frames are decoded in the deframer's buffer, never in the room: the reader
 * reads them after the tracker has emitted what they let go, into the room. */
START_TEST(test_room_data_only)
{
	unsigned char data[100], end[TP_FRAME_END_SIZE];
	struct tp_frame_meta m = { .total = 100, .name = "a.bin" };
	unsigned char meta[256];
	struct tp_frame_end e = { .total = 100, .digest = 7, .frames = 1 };
	size_t mlen = tp_frame_meta_encode(meta, sizeof(meta), &m);
	struct bytes s = { 0 };

	ck_assert_uint_gt(mlen, 0);
	ck_assert_uint_eq(tp_frame_end_encode(end, sizeof(end), &e), sizeof(end));
	fill(data, sizeof(data));
	struct bytes fm = make_frame(TP_FRAME_META, 6, 0, 0, meta, mlen);
	struct bytes fe = make_frame(TP_FRAME_END, 6, 2, 100, end, sizeof(end));
	put_byte(&s, 0);
	put_encoded(&s, &fm);
	put_data_frame(&s, 6, 1, 0, data, sizeof(data));
	put_encoded(&s, &fe);
	put_byte(&s, 0);

	struct rig *r = rig_with_room(TP_FRAME_MAX_PAYLOAD);
	feed(r, &s, 0);
	ck_assert_uint_eq(r->st.frames, 3);
	ck_assert_uint_eq(r->seen.room_asks, 1);
	ck_assert_uint_eq(r->seen.in_room, 1);
	ck_assert_int_eq(r->seen.type[0], TP_FRAME_META);
	ck_assert_int_eq(r->seen.type[2], TP_FRAME_END);
	ck_assert_uint_eq(r->seen.payloads.len, mlen + sizeof(data) + sizeof(end));
	ck_assert_mem_eq(r->seen.payloads.p, meta, mlen);
	ck_assert_mem_eq(r->seen.payloads.p + mlen + sizeof(data), end, sizeof(end));
	rig_free(r);
	free(fm.p);
	free(fe.p);
	free(s.p);
}
END_TEST

/* The byte-stream tests, run without a destination, with one for any frame, and with one
 * too small for most. */
static void add_stream_tests(Suite *s, const char *name, void (*room)(void))
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, room, NULL);
	tcase_add_test(tc, test_clean_stream);
	tcase_add_test(tc, test_empty_frames_and_delimiters);
	tcase_add_test(tc, test_garbage_around_frames);
	tcase_add_test(tc, test_garbage_inside_frame);
	tcase_add_test(tc, test_zero_inside_frame);
	tcase_add_test(tc, test_random_splits);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_largest_frame);
	tcase_add_test(tc, test_oversize_garbage);
	tcase_add_test(tc, test_stream_end);
	tcase_add_test(tc, test_on_frame_stops);
	suite_add_tcase(s, tc);
}

int main(void)
{
	Suite *s = suite_create("deframe");
	add_stream_tests(s, "stream", no_room);
	add_stream_tests(s, "stream, room for all", big_room);
	add_stream_tests(s, "stream, little room", small_room);
	TCase *tc = tcase_create("room");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_room_every_cut);
	tcase_add_test(tc, test_room_refusals);
	tcase_add_test(tc, test_room_same_as_without);
	tcase_add_test(tc, test_room_not_for_datagrams);
	tcase_add_test(tc, test_room_data_only);
	suite_add_tcase(s, tc);
	tc = tcase_create("datagram");
	tcase_add_test(tc, test_datagrams);
	suite_add_tcase(s, tc);

	return tp_unit_run(s);
}
