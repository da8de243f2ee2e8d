/* The framer: frames built in place in chunks, read back through the real deframer (and, for
 * random streams, the tracker); and how chunks split into datagrams (dgram.c). */
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
#include "dgram.h"
#include "frame.h"
#include "framer.h"
#include "ring.h"
#include "track.h"

/* Assertions for hot loops: Check's own record every passing check (a write each), which
 * millions of frames make slow; these only call into Check on failure. */
#define REQUIRE_MSG(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)
#define REQUIRE(cond) REQUIRE_MSG(cond, "Assertion '%s' failed", #cond)
#define REQUIRE_EQ(a, b) do { unsigned long long req_a = (a), req_b = (b); \
	REQUIRE_MSG(req_a == req_b, "Assertion '%s == %s' failed: %llu != %llu", #a, #b, req_a, req_b); \
} while (0)
#define REQUIRE_INT_EQ(a, b) do { long long req_a = (a), req_b = (b); \
	REQUIRE_MSG(req_a == req_b, "Assertion '%s == %s' failed: %lld != %lld", #a, #b, req_a, req_b); \
} while (0)
#define REQUIRE_LE(a, b) do { unsigned long long req_a = (a), req_b = (b); \
	REQUIRE_MSG(req_a <= req_b, "Assertion '%s <= %s' failed: %llu > %llu", #a, #b, req_a, req_b); \
} while (0)

#define SESSION 0x5EC70001u
#define NBUF 4          /* chunk buffers re-used in turn, like the ring's */
#define BIG_CHUNK (64u << 10)

static uint64_t rng(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t r = seed * 0x9E3779B97F4A7C15ULL + 1;

	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(rng(&r) >> 56);
}

static unsigned char *random_bytes(size_t n, uint64_t seed)
{
	unsigned char *p = malloc(n ? n : 1);

	REQUIRE(p != NULL);
	fill_random(p, n, seed);
	return p;
}

/* A growing byte buffer. */
struct bytes {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct bytes *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap *= 2;
		b->p = realloc(b->p, cap);
		REQUIRE(b->p != NULL);
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, p, len);
	b->len += len;
}

static struct tp_frame_meta make_meta(const char *name, uint64_t total, uint32_t frame_size,
				      uint16_t repeat)
{
	struct tp_frame_meta m;

	memset(&m, 0, sizeof(m));
	m.total = total;
	m.frame_size = frame_size;
	m.repeat = repeat;
	strcpy(m.name, name);
	return m;
}

static size_t meta_len(const struct tp_frame_meta *m)
{
	unsigned char p[16 + TP_FRAME_NAME_MAX];
	size_t n = tp_frame_meta_encode(p, sizeof(p), m);

	REQUIRE(n > 0);
	return n;
}

/* ---- the receiving end: every frame the deframer passed, checked as it comes ------------- */

struct got {
	enum tp_frame_type type;
	uint32_t seq, len;
	uint64_t offset;
};

struct rx {
	bool stream;
	struct tp_frame_meta want_meta;
	struct tp_rx_stats stats;
	struct tp_deframer d;
	struct got *frames;
	size_t n, cap;
	struct bytes data;        /* DATA payloads in arrival order */
	uint32_t n_data;
	uint32_t n_parity;
	struct tp_frame_end end;  /* the last END */
	/* Optional: the real tracker behind the deframer. */
	struct tp_track *track;
	int track_rc;
	struct bytes emitted;
};

static int rx_on_frame(void *ctx, const struct tp_frame *f)
{
	struct rx *rx = ctx;

	if (rx->n == rx->cap) {
		rx->cap = rx->cap ? 2 * rx->cap : 256;
		rx->frames = realloc(rx->frames, rx->cap * sizeof(*rx->frames));
		REQUIRE(rx->frames != NULL);
	}
	rx->frames[rx->n++] = (struct got){ f->type, f->seq, f->len, f->offset };
	REQUIRE_EQ(f->session, SESSION);
	REQUIRE_EQ(f->flags, 0);
	/* Frames arrive in order: every frame carries the next DATA seq and offset. */
	REQUIRE_EQ(f->seq, rx->n_data);
	REQUIRE_EQ(f->offset, rx->data.len);
	switch (f->type) {
	case TP_FRAME_DATA:
		REQUIRE(f->len > 0);
		put(&rx->data, f->payload, f->len);
		rx->n_data++;
		break;
	case TP_FRAME_META: {
		struct tp_frame_meta m;
		REQUIRE_INT_EQ(tp_frame_meta_decode(f->payload, f->len, &m), 0);
		REQUIRE_EQ(m.total, rx->want_meta.total);
		REQUIRE_EQ(m.frame_size, rx->want_meta.frame_size);
		REQUIRE_EQ(m.repeat, rx->want_meta.repeat);
		REQUIRE(strcmp(m.name, rx->want_meta.name) == 0);
		break;
	}
	case TP_FRAME_END:
		REQUIRE_INT_EQ(tp_frame_end_decode(f->payload, f->len, &rx->end), 0);
		break;
	case TP_FRAME_PARITY:
		rx->n_parity++;
		break;
	}
	if (rx->track) {
		int r = tp_track_frame(rx->track, f);
		REQUIRE(r >= 0);
		rx->track_rc = r;
	}
	return 0;
}

static ssize_t rx_emit(void *ctx, const unsigned char *data, size_t len)
{
	struct rx *rx = ctx;

	put(&rx->emitted, data, len);
	return (ssize_t)len;
}

static void rx_init(struct rx *rx, bool stream, const struct tp_frame_meta *meta)
{
	memset(rx, 0, sizeof(*rx));
	rx->stream = stream;
	rx->want_meta = *meta;
	REQUIRE_INT_EQ(tp_deframer_init(&rx->d, &rx->stats, rx_on_frame, rx), 0);
}

static void rx_free(struct rx *rx)
{
	tp_deframer_destroy(&rx->d);
	free(rx->frames);
	free(rx->data.p);
	free(rx->emitted.p);
}

/* Nothing refused, no garbage. */
static void rx_assert_clean(const struct rx *rx)
{
	for (int i = 1; i < TP_FRAME_NERRORS; i++)
		REQUIRE_MSG(rx->stats.corrupt[i] == 0, "%llu frames refused (%s)",
			      (unsigned long long)rx->stats.corrupt[i],
			      tp_frame_error_name((enum tp_frame_error)i));
	REQUIRE_EQ(rx->stats.garbage_bytes, 0);
	REQUIRE_EQ(rx->stats.frames, rx->n);
}

/* Feeds a stream to the deframer in pieces of at most `piece` bytes (0: all at once). */
static void rx_stream(struct rx *rx, const unsigned char *p, size_t len, size_t piece)
{
	size_t off = 0;

	while (off < len) {
		size_t n = len - off;
		if (piece && n > piece)
			n = piece;
		REQUIRE_INT_EQ(tp_deframe_stream(&rx->d, p + off, n), 0);
		off += n;
	}
}

/* The types of the frames received, one letter each (M, D, E). */
static const char *rx_types(const struct rx *rx)
{
	static char s[256];
	size_t i;

	for (i = 0; i < rx->n && i < sizeof(s) - 1; i++)
		s[i] = rx->frames[i].type == TP_FRAME_DATA ? 'D'
		       : rx->frames[i].type == TP_FRAME_META ? 'M' : 'E';
	s[i] = '\0';
	return s;
}

/* ---- the sending end: a framer filling chunks, as the reader does ----------------------- */

struct tx {
	struct tp_framer fr;
	struct tp_chunk chunk;
	unsigned char *bufs[NBUF];
	unsigned next;
	struct rx *rx;
	struct bytes wire;       /* stream: every chunk handed over, back to back */
	size_t chunks;           /* handed over */
	size_t first_frames;     /* frames in the first chunk handed over */
	size_t meta_len;
	uint64_t scribble;       /* seed for what a re-used buffer held before */
};

/* One chunk's layout, walked independently of the deframer: stream chunks are whole
 * "00 <COBS> 00" frames, datagram chunks whole frames back to back (tp_dgram_next); no frame
 * takes more than tp_framer_wire_size. Returns the number of frames. */
static size_t check_layout(const struct tx *tx)
{
	const unsigned char *p = tx->chunk.data;
	size_t len = tx->chunk.len, off = 0, frames = 0;
	unsigned char *tmp = malloc(len ? len : 1);

	REQUIRE(tmp != NULL);
	while (off < len) {
		struct tp_frame f;
		size_t took;

		if (tx->fr.stream) {
			REQUIRE_MSG(p[off] == 0, "no delimiter at %zu of %zu", off, len);
			const unsigned char *z = memchr(p + off + 1, 0, len - off - 1);
			REQUIRE_MSG(z != NULL, "frame at %zu of %zu not closed", off, len);
			size_t enc = (size_t)(z - (p + off + 1));
			ssize_t n = tp_cobs_decode(tmp, p + off + 1, enc);
			REQUIRE(n >= 0);
			REQUIRE_INT_EQ(tp_frame_open(tmp, (size_t)n, &f), TP_FRAME_OK);
			took = enc + 2;
		} else {
			took = tp_dgram_next(p + off, len - off, 0, true);
			REQUIRE_INT_EQ(tp_frame_open(p + off, took, &f), TP_FRAME_OK);
		}
		REQUIRE_MSG(took <= tp_framer_wire_size(&tx->fr, f.len),
			      "a frame of %u payload bytes took %zu bytes, wire size %zu", f.len, took,
			      tp_framer_wire_size(&tx->fr, f.len));
		off += took;
		frames++;
	}
	free(tmp);
	return frames;
}

/* The chunk goes to the writer: checked, passed to the receiving end, and its buffer replaced
 * by the next one in turn, holding whatever it held before (here: random bytes). */
static void tx_hand_over(struct tx *tx)
{
	if (tx->chunk.len) {
		REQUIRE_LE(tx->chunk.len, tx->chunk.cap);
		size_t frames = check_layout(tx);
		if (!tx->chunks)
			tx->first_frames = frames;
		if (tx->fr.stream) {
			put(&tx->wire, tx->chunk.data, tx->chunk.len);
		} else {
			size_t off = 0;
			while (off < tx->chunk.len) {
				size_t n = tp_dgram_next(tx->chunk.data + off, tx->chunk.len - off, 0,
							 true);
				REQUIRE_INT_EQ(tp_deframe_datagram(&tx->rx->d, tx->chunk.data + off, n), 0);
				off += n;
			}
		}
		tx->chunks++;
	}
	tx->chunk.data = tx->bufs[tx->next++ % NBUF];
	fill_random(tx->chunk.data, tx->chunk.cap, ++tx->scribble);
	tx->chunk.len = 0;
	tx->chunk.index++;
}

static void tx_init(struct tx *tx, struct rx *rx, bool stream, size_t cap, size_t payload_max,
		    uint32_t meta_every, const struct tp_frame_meta *meta)
{
	memset(tx, 0, sizeof(*tx));
	tp_framer_init(&tx->fr, stream, payload_max, SESSION, meta_every, meta);
	tx->rx = rx;
	tx->meta_len = meta_len(meta);
	tx->chunk.cap = cap;
	for (int i = 0; i < NBUF; i++) {
		/* Exactly cap bytes, so a sanitizer sees any write past the chunk. */
		tx->bufs[i] = malloc(cap);
		REQUIRE(tx->bufs[i] != NULL);
	}
	tx->chunk.data = tx->bufs[tx->next++];
	fill_random(tx->chunk.data, cap, 0);
}

static void tx_free(struct tx *tx)
{
	for (int i = 0; i < NBUF; i++)
		free(tx->bufs[i]);
	free(tx->wire.p);
}

/* tp_framer_room, checked: the place is inside the chunk, past what it holds, and any META it
 * put first took no more than its wire size. */
static size_t tx_room(struct tx *tx, unsigned char **at)
{
	size_t before = tx->chunk.len;
	size_t room = tp_framer_room(&tx->fr, &tx->chunk, at);

	REQUIRE_LE(tx->chunk.len, tx->chunk.cap);
	REQUIRE_LE(tx->chunk.len - before,
			  (TP_FRAMER_START_METAS + 1) * tp_framer_wire_size(&tx->fr, tx->meta_len));
	if (room) {
		REQUIRE_LE(room, tx->fr.payload_max);
		REQUIRE(*at >= tx->chunk.data + tx->chunk.len);
		REQUIRE(*at + room <= tx->chunk.data + tx->chunk.cap);
	}
	return room;
}

/* The chunk grew by at most one frame of the payload just sealed (none if nothing was). */
static void check_growth(const struct tx *tx, size_t len_before, uint64_t offset_before)
{
	size_t grew = tx->chunk.len - len_before;
	uint64_t sealed = tx->fr.offset - offset_before;

	REQUIRE_LE(tx->chunk.len, tx->chunk.cap);
	if (sealed == 0) {
		REQUIRE_EQ(grew, 0);
		return;
	}
	REQUIRE_LE(sealed, tx->fr.payload_max);
	REQUIRE(grew > 0);
	REQUIRE_MSG(grew <= tp_framer_wire_size(&tx->fr, (size_t)sealed),
		      "a frame of %llu payload bytes grew the chunk by %zu, wire size %zu",
		      (unsigned long long)sealed, grew, tp_framer_wire_size(&tx->fr, (size_t)sealed));
}

static void tx_add(struct tx *tx, size_t n)
{
	size_t len = tx->chunk.len;
	uint64_t off = tx->fr.offset;

	tp_framer_add(&tx->fr, &tx->chunk, n);
	check_growth(tx, len, off);
}

static void tx_flush(struct tx *tx)
{
	size_t len = tx->chunk.len;
	uint64_t off = tx->fr.offset;

	tp_framer_flush(&tx->fr, &tx->chunk);
	check_growth(tx, len, off);
}

/* Frames in[0..n), read in pieces of at most `piece` bytes (0: as much as the room allows). */
static void tx_feed(struct tx *tx, const unsigned char *in, size_t n, size_t piece)
{
	size_t done = 0;

	while (done < n) {
		unsigned char *at;
		size_t room = tx_room(tx, &at);

		if (room == 0) {
			/* Asking again with an empty chunk must make progress, or the reader spins. */
			REQUIRE_MSG(tx->chunk.len > 0,
				      "no room in an empty chunk of %zu bytes (%s, payload_max %zu)",
				      tx->chunk.cap, tx->fr.stream ? "stream" : "datagrams",
				      tx->fr.payload_max);
			tx_hand_over(tx);
			continue;
		}
		size_t k = n - done < room ? n - done : room;
		if (piece && k > piece)
			k = piece;
		memcpy(at, in + done, k);
		tx_add(tx, k);
		done += k;
	}
}

/* The open frame and the END frames, handing chunks over as the framer asks. */
static void tx_end(struct tx *tx)
{
	for (int i = 0; i < TP_FRAMER_END_FRAMES;) {
		size_t len = tx->chunk.len;
		uint64_t off = tx->fr.offset;
		int r = tp_framer_end(&tx->fr, &tx->chunk);

		REQUIRE_LE(tx->chunk.len, tx->chunk.cap);
		REQUIRE_LE(tx->chunk.len - len,
				  tp_framer_wire_size(&tx->fr, (size_t)(tx->fr.offset - off)) +
				  tp_framer_wire_size(&tx->fr, TP_FRAME_END_SIZE));
		if (r == 0) {
			i++;
			continue;
		}
		REQUIRE_INT_EQ(r, -ENOSPC);
		REQUIRE_MSG(tx->chunk.len > 0, "no room for END in an empty chunk");
		tx_hand_over(tx);
	}
	tx_hand_over(tx);
	REQUIRE(!tp_framer_pending(&tx->fr, &tx->chunk));
}

/* Stream: the concatenated chunks go to the deframer in pieces. */
static void tx_deliver(struct tx *tx, size_t piece)
{
	if (tx->fr.stream) {
		rx_stream(tx->rx, tx->wire.p, tx->wire.len, piece);
		tp_deframe_stream_end(&tx->rx->d);
	}
	rx_assert_clean(tx->rx);
}

/* The whole run as received: three METAs, DATA in order carrying exactly in[0..n) with a META
 * after every meta_every of them, three ENDs with the total, digest and count. */
static void check_run(const struct rx *rx, const unsigned char *in, size_t n, uint32_t meta_every,
		      size_t payload_max)
{
	uint32_t since = 0, data = 0;
	size_t i, ends = 0;

	if (meta_every == 0)
		meta_every = 1;
	REQUIRE(rx->n >= TP_FRAMER_START_METAS + TP_FRAMER_END_FRAMES);
	for (i = 0; i < TP_FRAMER_START_METAS; i++)
		REQUIRE_INT_EQ(rx->frames[i].type, TP_FRAME_META);
	for (; i < rx->n; i++) {
		const struct got *g = &rx->frames[i];

		if (ends) {
			REQUIRE_INT_EQ(g->type, TP_FRAME_END);
			ends++;
			continue;
		}
		switch (g->type) {
		case TP_FRAME_META:
			REQUIRE_MSG(since == meta_every, "a META after %u DATA frames, every %u",
				      since, meta_every);
			since = 0;
			break;
		case TP_FRAME_DATA:
			REQUIRE_MSG(since < meta_every, "no META after %u DATA frames", since);
			REQUIRE_LE(g->len, payload_max);
			since++;
			data++;
			break;
		case TP_FRAME_END:
			ends = 1;
			REQUIRE_EQ(g->len, TP_FRAME_END_SIZE);
			break;
		case TP_FRAME_PARITY:
			REQUIRE_MSG(false, "a PARITY frame without --fec");
			break;
		}
	}
	REQUIRE_EQ(ends, TP_FRAMER_END_FRAMES);
	REQUIRE_EQ(data, rx->n_data);
	REQUIRE_EQ(rx->data.len, n);
	REQUIRE(n == 0 || memcmp(rx->data.p, in, n) == 0);
	REQUIRE_EQ(rx->end.total, n);
	REQUIRE_EQ(rx->end.digest, tp_crc32c(0, in, n));
	REQUIRE_EQ(rx->end.frames, rx->n_data);
}

/* ---- a run's shape --------------------------------------------------------------------- */

START_TEST(test_run_layout)
{
	bool stream = _i;
	struct tp_frame_meta meta = make_meta("in.bin", 1000, 100, 2);
	unsigned char *in = random_bytes(1000, 1);
	struct rx rx;
	struct tx tx;

	rx_init(&rx, stream, &meta);
	tx_init(&tx, &rx, stream, BIG_CHUNK, 100, 4, &meta);
	tx_feed(&tx, in, 1000, 0);
	tx_end(&tx);
	tx_deliver(&tx, 0);
	ck_assert_uint_eq(tx.chunks, 1);
	ck_assert_str_eq(rx_types(&rx), "MMMDDDDMDDDDMDDEEE");
	for (size_t i = 0, d = 0; i < rx.n; i++) {
		if (rx.frames[i].type != TP_FRAME_DATA)
			continue;
		ck_assert_uint_eq(rx.frames[i].seq, d);
		ck_assert_uint_eq(rx.frames[i].offset, 100 * d);
		ck_assert_uint_eq(rx.frames[i].len, 100);
		d++;
	}
	for (size_t i = rx.n - 3; i < rx.n; i++) {
		ck_assert_uint_eq(rx.frames[i].offset, 1000);  /* END: the next offset and seq */
		ck_assert_uint_eq(rx.frames[i].seq, 10);
	}
	check_run(&rx, in, 1000, 4, 100);
	ck_assert_uint_eq(rx.end.total, 1000);
	ck_assert_uint_eq(rx.end.frames, 10);
	tx_free(&tx);
	rx_free(&rx);
	free(in);
}
END_TEST

START_TEST(test_meta_every)
{
	static const struct {
		uint32_t every;
		const char *types;
	} cases[] = {
		{ 0, "MMMDMDMDEEE" },   /* 0 means every frame */
		{ 1, "MMMDMDMDEEE" },
		{ 3, "MMMDDDEEE" },     /* due only before a next DATA frame */
		{ 2, "MMMDDMDEEE" },
		{ 1000, "MMMDDDEEE" },
	};
	bool stream = _i & 1;
	unsigned c = (unsigned)_i / 2;
	/* Unknown total and name: announced as such. */
	struct tp_frame_meta meta = make_meta("", TP_FRAME_TOTAL_UNKNOWN, 64, 0);
	unsigned char *in = random_bytes(192, 2);
	struct rx rx;
	struct tx tx;

	rx_init(&rx, stream, &meta);
	tx_init(&tx, &rx, stream, BIG_CHUNK, 64, cases[c].every, &meta);
	tx_feed(&tx, in, 192, 0);
	tx_end(&tx);
	tx_deliver(&tx, 1);
	ck_assert_str_eq(rx_types(&rx), cases[c].types);
	check_run(&rx, in, 192, cases[c].every, 64);
	tx_free(&tx);
	rx_free(&rx);
	free(in);
}
END_TEST

/* Empty input: the reader asks for room before its first read, which finds the end. */
START_TEST(test_empty_run)
{
	bool stream = _i;
	struct tp_frame_meta meta = make_meta("empty", 0, 1444, 0);
	unsigned char *at;
	struct rx rx;
	struct tx tx;

	rx_init(&rx, stream, &meta);
	tx_init(&tx, &rx, stream, BIG_CHUNK, 1444, 10, &meta);
	ck_assert_uint_eq(tx_room(&tx, &at), 1444);
	tx_end(&tx);
	tx_deliver(&tx, 0);
	ck_assert_str_eq(rx_types(&rx), "MMMEEE");
	ck_assert_uint_eq(rx.end.total, 0);
	ck_assert_uint_eq(rx.end.digest, 0);
	ck_assert_uint_eq(rx.end.frames, 0);
	tx_free(&tx);
	rx_free(&rx);
}
END_TEST

/* ---- reading in pieces, pauses, a full chunk ------------------------------------------- */

/* Reads of 1 byte, 7 bytes or whatever the room allows frame the same bytes. */
START_TEST(test_pieces_same_frames)
{
	bool stream = _i;
	static const size_t pieces[] = { 0, 1, 7, 999, 1001 };
	struct tp_frame_meta meta = make_meta("pieces", 5000, 1000, 1);
	unsigned char *in = random_bytes(5000, 3);
	struct bytes first = { 0 };

	for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
		struct rx rx;
		struct tx tx;

		rx_init(&rx, stream, &meta);
		tx_init(&tx, &rx, stream, BIG_CHUNK, 1000, 2, &meta);
		tx_feed(&tx, in, 5000, pieces[p]);
		ck_assert_uint_eq(tx.fr.seq, 5); /* the last frame filled up: sealed without a flush */
		ck_assert(!tx.fr.open);
		if (p == 0) {
			put(&first, tx.chunk.data, tx.chunk.len);
		} else {
			ck_assert_uint_eq(tx.chunk.len, first.len);
			ck_assert(memcmp(tx.chunk.data, first.p, first.len) == 0);
		}
		tx_end(&tx);
		tx_deliver(&tx, 0);
		ck_assert_str_eq(rx_types(&rx), "MMMDDMDDMDEEE");
		check_run(&rx, in, 5000, 2, 1000);
		tx_free(&tx);
		rx_free(&rx);
	}
	free(first.p);
	free(in);
}
END_TEST

/* A pause flushes a short frame; an empty flush makes none. */
START_TEST(test_flush_short_frames)
{
	bool stream = _i;
	struct tp_frame_meta meta = make_meta("pause", TP_FRAME_TOTAL_UNKNOWN, 100, 0);
	unsigned char *in = random_bytes(400, 4);
	struct rx rx;
	struct tx tx;
	unsigned char *at;
	size_t len;

	rx_init(&rx, stream, &meta);
	tx_init(&tx, &rx, stream, BIG_CHUNK, 100, 1000, &meta);
	tx_flush(&tx);                       /* nothing open: nothing */
	ck_assert_uint_eq(tx.chunk.len, 0);
	tx_feed(&tx, in, 30, 0);
	tx_flush(&tx);                       /* 30 */
	len = tx.chunk.len;
	tx_flush(&tx);                       /* again: nothing */
	ck_assert_uint_eq(tx.chunk.len, len);
	tx_feed(&tx, in + 30, 250, 7);       /* 100, 100, and 50 open */
	ck_assert(tx.fr.open);
	tx_flush(&tx);                       /* 50 */
	ck_assert(!tx.fr.open);
	ck_assert_uint_eq(tx_room(&tx, &at), 100);
	len = tx.chunk.len;
	tx_flush(&tx);                       /* opened, nothing read: no frame */
	ck_assert_uint_eq(tx.chunk.len, len);
	ck_assert_uint_eq(tx_room(&tx, &at), 100);
	tx_add(&tx, 0);                      /* a read of 0 bytes changes nothing */
	ck_assert_uint_eq(tx.chunk.len, len);
	tx_flush(&tx);
	ck_assert_uint_eq(tx.chunk.len, len);
	tx_feed(&tx, in + 280, 120, 0);      /* 100 and 20 more, sealed by END */
	ck_assert_uint_eq(tx.fr.seq, 5);
	tx_end(&tx);
	tx_deliver(&tx, 3);
	ck_assert_str_eq(rx_types(&rx), "MMMDDDDDDEEE");
	static const uint32_t lens[] = { 30, 100, 100, 50, 100, 20 };
	for (size_t i = 0; i < 6; i++)
		ck_assert_uint_eq(rx.frames[3 + i].len, lens[i]);
	check_run(&rx, in, 400, 1000, 100);
	tx_free(&tx);
	rx_free(&rx);
	free(in);
}
END_TEST

START_TEST(test_pending)
{
	bool stream = _i;
	struct tp_frame_meta meta = make_meta("p", 10, 100, 0);
	unsigned char *in = random_bytes(10, 5);
	struct rx rx;
	struct tx tx;
	unsigned char *at;

	rx_init(&rx, stream, &meta);
	tx_init(&tx, &rx, stream, BIG_CHUNK, 100, 1000, &meta);
	ck_assert(!tp_framer_pending(&tx.fr, &tx.chunk));
	ck_assert_uint_eq(tx_room(&tx, &at), 100);     /* the METAs went in first */
	ck_assert(tp_framer_pending(&tx.fr, &tx.chunk));
	tx_flush(&tx);
	tx_hand_over(&tx);
	ck_assert(!tp_framer_pending(&tx.fr, &tx.chunk));
	ck_assert_uint_eq(tx_room(&tx, &at), 100);     /* no META due: the frame is open, empty */
	ck_assert_uint_eq(tx.chunk.len, 0);
	ck_assert(!tp_framer_pending(&tx.fr, &tx.chunk));
	memcpy(at, in, 5);
	tx_add(&tx, 5);
	ck_assert(tp_framer_pending(&tx.fr, &tx.chunk)); /* data in the open frame */
	ck_assert_uint_eq(tx.chunk.len, 0);
	tx_flush(&tx);
	ck_assert(tp_framer_pending(&tx.fr, &tx.chunk));
	tx_hand_over(&tx);
	ck_assert(!tp_framer_pending(&tx.fr, &tx.chunk));
	tx_feed(&tx, in + 5, 5, 0);
	ck_assert(tp_framer_pending(&tx.fr, &tx.chunk));
	tx_end(&tx);
	tx_deliver(&tx, 0);
	ck_assert_str_eq(rx_types(&rx), "MMMDDEEE");
	check_run(&rx, in, 10, 1000, 100);
	tx_free(&tx);
	rx_free(&rx);
	free(in);
}
END_TEST

/* Room 0 when the chunk is full, without touching it; an empty chunk has room again. */
START_TEST(test_room_zero_when_full)
{
	bool stream = _i;
	struct tp_frame_meta meta = make_meta("full", TP_FRAME_TOTAL_UNKNOWN, 1000, 0);
	unsigned char *in = random_bytes(1u << 20, 6);
	struct rx rx;
	struct tx tx;
	unsigned char *at;
	size_t done = 0, room;

	rx_init(&rx, stream, &meta);
	tx_init(&tx, &rx, stream, 4096, 1000, 1000, &meta);
	while ((room = tx_room(&tx, &at)) > 0) {
		memcpy(at, in + done, room);
		tx_add(&tx, room);
		done += room;
	}
	ck_assert_uint_gt(done, 0);
	ck_assert(!tx.fr.open);
	size_t len = tx.chunk.len;
	/* Not even a whole frame's worth left (or it would have been opened). */
	ck_assert_uint_lt(tx.chunk.cap - len, tp_framer_wire_size(&tx.fr, 1000));
	ck_assert_uint_eq(tx_room(&tx, &at), 0);
	ck_assert_uint_eq(tx_room(&tx, &at), 0);
	ck_assert_uint_eq(tx.chunk.len, len);
	ck_assert(tp_framer_pending(&tx.fr, &tx.chunk));
	tx_hand_over(&tx);
	ck_assert_uint_eq(tx_room(&tx, &at), 1000);
	ck_assert_uint_eq(tx.chunk.len, 0);
	tx_feed(&tx, in + done, 500, 0);
	tx_end(&tx);
	tx_deliver(&tx, 0);
	check_run(&rx, in, done + 500, 1000, 1000);
	tx_free(&tx);
	rx_free(&rx);
	free(in);
}
END_TEST

/* A chunk sized for k frames of tp_framer_wire_size holds k full frames, even of the bytes
 * that stuff worst; on datagrams it is then exactly full. */
START_TEST(test_chunk_of_whole_frames)
{
	bool stream = _i & 1;
	unsigned fill = (unsigned)_i / 2;   /* 0xFF: most stuffing; 0x00; random */
	const size_t pm = 1000, k = 4;
	struct tp_frame_meta meta = make_meta("whole", TP_FRAME_TOTAL_UNKNOWN, (uint32_t)pm, 0);
	unsigned char *in = random_bytes(6 * pm, 7);
	struct rx rx;
	struct tx tx;

	if (fill < 2)
		memset(in, fill ? 0x00 : 0xFF, 6 * pm);
	struct tp_framer sizes;

	tp_framer_init(&sizes, stream, pm, SESSION, 1000, &meta);
	size_t cap = TP_FRAMER_START_METAS * tp_framer_wire_size(&sizes, meta_len(&meta)) +
		     k * tp_framer_wire_size(&sizes, pm);
	rx_init(&rx, stream, &meta);
	tx_init(&tx, &rx, stream, cap, pm, 1000, &meta);
	tx_feed(&tx, in, 6 * pm, 0);
	ck_assert_uint_eq(tx.chunks, 1);
	ck_assert_uint_eq(tx.first_frames, TP_FRAMER_START_METAS + k);
	tx_end(&tx);
	tx_deliver(&tx, 0);
	ck_assert_uint_ge(rx.n, TP_FRAMER_START_METAS + k + 1);
	for (size_t i = 0; i < k; i++) {
		ck_assert_int_eq(rx.frames[TP_FRAMER_START_METAS + i].type, TP_FRAME_DATA);
		ck_assert_uint_eq(rx.frames[TP_FRAMER_START_METAS + i].len, pm);
	}
	ck_assert_uint_eq(rx.n_data, 6);
	check_run(&rx, in, 6 * pm, 1000, pm);
	tx_free(&tx);
	rx_free(&rx);
	free(in);
}
END_TEST

/* Datagrams: a chunk of exactly three METAs and four full frames comes back exactly full. */
START_TEST(test_dgram_chunk_exactly_full)
{
	const size_t pm = 1444;
	struct tp_frame_meta meta = make_meta("exact", 4 * pm, (uint32_t)pm, 0);
	unsigned char *in = random_bytes(4 * pm, 8);
	unsigned char *at;
	struct rx rx;
	struct tx tx;
	size_t cap = TP_FRAMER_START_METAS * tp_frame_size(meta_len(&meta)) + 4 * tp_frame_size(pm);

	rx_init(&rx, false, &meta);
	tx_init(&tx, &rx, false, cap, pm, 1000, &meta);
	tx_feed(&tx, in, 4 * pm, 0);
	ck_assert_uint_eq(tx.chunk.len, cap);
	ck_assert_uint_eq(tx_room(&tx, &at), 0);
	ck_assert_int_eq(tp_framer_end(&tx.fr, &tx.chunk), -ENOSPC);
	ck_assert_uint_eq(tx.chunk.len, cap);
	tx_end(&tx);
	tx_deliver(&tx, 0);
	ck_assert_uint_eq(tx.chunks, 2);
	check_run(&rx, in, 4 * pm, 1000, pm);
	tx_free(&tx);
	rx_free(&rx);
	free(in);
}
END_TEST

/* Chunk sizes that are no multiple of the frame size, chunks smaller than a frame, payloads
 * of 1 byte and of the most a receiver takes. */
static const struct {
	size_t cap, payload_max, input;
} shapes[] = {
	{ 4096, 64u << 10, 100000 },               /* one page, a frame bigger than the chunk */
	{ 4096 + 100, 1444, 50000 },
	{ 10000, 3000, 50000 },
	{ 3 * 1472 - 1, 1444, 30000 },
	{ 4096, 1, 3000 },                          /* payload_max 1 */
	{ 300, 1, 2000 },                           /* hardly bigger than the METAs */
	{ 5000, 511, 20000 },
	{ 8192, TP_FRAME_MAX_PAYLOAD, 100000 },
	{ (2u << 20) + 12345, TP_FRAME_MAX_PAYLOAD, 3u << 20 },
	{ 3u << 20, TP_FRAME_MAX_PAYLOAD, 5u << 20 },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

static void run_shape(bool stream, size_t cap, size_t payload_max, size_t n, uint64_t seed)
{
	struct tp_frame_meta meta = make_meta("shape", n, (uint32_t)payload_max, 0);
	unsigned char *in = random_bytes(n, seed);
	struct rx rx;
	struct tx tx;

	rx_init(&rx, stream, &meta);
	tx_init(&tx, &rx, stream, cap, payload_max, 50, &meta);
	tx_feed(&tx, in, n, 0);
	tx_end(&tx);
	tx_deliver(&tx, 65536);
	check_run(&rx, in, n, 50, payload_max);
	tx_free(&tx);
	rx_free(&rx);
	free(in);
}

START_TEST(test_chunk_shapes)
{
	bool stream = _i & 1;
	size_t s = (size_t)_i / 2;

	run_shape(stream, shapes[s].cap, shapes[s].payload_max, shapes[s].input, 100 + (uint64_t)_i);
}
END_TEST

/* The largest frames (--frame-size 1M) in one-page chunks (a paced run picks those): the
 * reader must still make progress. */
START_TEST(test_max_frames_in_one_page)
{
	bool stream = _i;

	run_shape(stream, 4096, TP_FRAME_MAX_PAYLOAD, 20000, 9);
}
END_TEST

/* ---- random streams, end to end ---------------------------------------------------------- */

static const struct tp_track_ops track_ops = { .emit = rx_emit };

START_TEST(test_random_roundtrip)
{
	uint64_t r = 0x1234567ull + (uint64_t)_i * 7919;
	bool stream = _i & 1;
	static const size_t pms[] = { 1, 100, 1444, 4000, 65536, TP_FRAME_MAX_PAYLOAD };
	size_t pm = _i % 4 == 3 ? 1 + rng(&r) % 70000 : pms[rng(&r) % 6];
	size_t cap = 4096 + rng(&r) % (pm > 100000 ? (4u << 20) : 300000);
	size_t n = rng(&r) % (pm == 1 ? 20000 : 3u << 20);
	uint32_t every = 1 + (uint32_t)(rng(&r) % 50);
	struct tp_frame_meta meta = make_meta("random", n, (uint32_t)pm, 3);
	unsigned char *in = random_bytes(n, r);
	struct tp_track track;
	struct rx rx;
	struct tx tx;
	size_t done = 0;

	if (_i % 5 == 4) /* long zero runs and 0xFF runs: stuffing at its extremes */
		for (size_t i = 0; i + 1000 < n; i += 3000)
			memset(in + i, (i / 3000) & 1 ? 0xFF : 0x00, 1000 + rng(&r) % 1000);
	rx_init(&rx, stream, &meta);
	ck_assert_int_eq(tp_track_init(&track, &track_ops, &rx, &rx.stats, TP_GAP_STOP, 1u << 20, 64), 0);
	rx.track = &track;
	tx_init(&tx, &rx, stream, cap, pm, every, &meta);
	while (done < n) {
		/* Stretches of input read in pieces of every size; now and then the input pauses
		 * and the open frame is flushed. */
		size_t piece, k = 1 + rng(&r) % (4 * pm + 4096);
		switch (rng(&r) % 4) {
		case 0:
			piece = 1;
			if (k > 5000)
				k = 5000; /* keep the run short */
			break;
		case 1: piece = 1 + rng(&r) % 64; break;
		case 2: piece = 1 + rng(&r) % (2 * pm + 1); break;
		default: piece = 0; break;
		}
		if (k > n - done)
			k = n - done;
		tx_feed(&tx, in + done, k, piece);
		done += k;
		if (rng(&r) % 16 == 0)
			tx_flush(&tx);
		if (rng(&r) % 64 == 0 && tp_framer_pending(&tx.fr, &tx.chunk)) {
			tx_flush(&tx);  /* a pause hands the chunk over before it is full */
			tx_hand_over(&tx);
		}
	}
	tx_end(&tx);
	tx_deliver(&tx, 1 + rng(&r) % 70000);
	check_run(&rx, in, n, every, pm);
	/* The tracker agrees: complete, every byte verified. */
	ck_assert_int_eq(rx.track_rc, TP_TRACK_COMPLETE);
	ck_assert_int_eq(tp_track_finish(&track), TP_TRACK_COMPLETE);
	ck_assert(rx.stats.end_seen && rx.stats.digest_ok);
	ck_assert_uint_eq(rx.stats.lost_frames, 0);
	ck_assert_uint_eq(rx.emitted.len, n);
	ck_assert(n == 0 || memcmp(rx.emitted.p, in, n) == 0);
	tp_track_destroy(&track);
	tx_free(&tx);
	rx_free(&rx);
	free(in);
}
END_TEST

/* ---- wire size ----------------------------------------------------------------------------- */

START_TEST(test_wire_size)
{
	struct tp_frame_meta meta = make_meta("", 0, 0, 0);
	struct tp_framer dg, st;
	static const size_t lens[] = { 0, 1, 225, 226, 227, 253, 254, 255, 480, 481, 508, 1000,
				       1444, 65536, TP_FRAME_MAX_PAYLOAD };

	tp_framer_init(&dg, false, 1444, 1, 10, &meta);
	tp_framer_init(&st, true, 1444, 1, 10, &meta);
	ck_assert_uint_eq(tp_framer_wire_size(&dg, 1444), 1472); /* a 1500-byte MTU's datagram */
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];
		ck_assert_uint_eq(tp_framer_wire_size(&dg, len), tp_frame_size(len));
		/* Two delimiters and the worst stuffing. */
		ck_assert_uint_ge(tp_framer_wire_size(&st, len),
				  2 + tp_cobs_max_encoded(tp_frame_size(len)));
	}
}
END_TEST

/* Each frame's growth of the chunk within its wire size, for payloads that stuff worst and
 * best at lengths around COBS's 254-byte runs (the checks are in tx_add/tx_flush and
 * check_layout). */
START_TEST(test_wire_size_bounds_growth)
{
	bool stream = _i & 1;
	static const size_t lens[] = { 1, 225, 226, 227, 253, 254, 255, 481, 482, 508, 509, 1000 };
	static const unsigned char fills[] = { 0xFF, 0x00, 0x01 };
	struct tp_frame_meta meta = make_meta("growth", TP_FRAME_TOTAL_UNKNOWN, 2000, 0);
	unsigned char in[1000];
	struct rx rx;
	struct tx tx;
	uint64_t total = 0;
	struct bytes all = { 0 };

	rx_init(&rx, stream, &meta);
	tx_init(&tx, &rx, stream, 16384, 1000, 5, &meta);
	for (size_t f = 0; f < 4; f++) {
		if (f < 3)
			memset(in, fills[f], sizeof(in));
		else
			for (size_t i = 0; i < sizeof(in); i++) /* a zero after every 254 */
				in[i] = i % 255 == 254 ? 0 : 0xA5;
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			tx_feed(&tx, in, lens[i], 0);
			tx_flush(&tx);
			put(&all, in, lens[i]);
			total += lens[i];
		}
	}
	tx_end(&tx);
	tx_deliver(&tx, 0);
	check_run(&rx, all.p, all.len, 5, 1000);
	ck_assert_uint_eq(rx.end.total, total);
	free(all.p);
	tx_free(&tx);
	rx_free(&rx);
}
END_TEST

/* ---- dgram.c: how chunks split into datagrams ------------------------------------------- */

START_TEST(test_dgram_raw)
{
	unsigned char buf[10000];
	const size_t size = 1472;

	memset(buf, 0, sizeof(buf));  /* raw bytes are never read as a header */
	ck_assert_uint_eq(tp_dgram_next(buf, 10000, size, false), 1472);
	ck_assert_uint_eq(tp_dgram_next(buf, 1472, size, false), 1472);
	ck_assert_uint_eq(tp_dgram_next(buf, 1473, size, false), 1472);
	ck_assert_uint_eq(tp_dgram_next(buf, 1168, size, false), 1168); /* the last, short */
	ck_assert_uint_eq(tp_dgram_next(buf, 1, size, false), 1);

	/* At least one datagram, however small max is. */
	ck_assert_uint_eq(tp_dgram_span(buf, 10000, size, false, 0), 1472);
	ck_assert_uint_eq(tp_dgram_span(buf, 10000, size, false, 1), 1472);
	ck_assert_uint_eq(tp_dgram_span(buf, 10000, size, false, 1471), 1472);
	/* Whole datagrams only. */
	ck_assert_uint_eq(tp_dgram_span(buf, 10000, size, false, 1472), 1472);
	ck_assert_uint_eq(tp_dgram_span(buf, 10000, size, false, 2943), 1472);
	ck_assert_uint_eq(tp_dgram_span(buf, 10000, size, false, 2944), 2944);
	ck_assert_uint_eq(tp_dgram_span(buf, 10000, size, false, 3 * 1472 + 1471), 3 * 1472);
	/* The short one at the end counts as a whole one. */
	ck_assert_uint_eq(tp_dgram_span(buf, 10000, size, false, 6 * 1472), 6 * 1472);
	ck_assert_uint_eq(tp_dgram_span(buf, 10000, size, false, 9999), 6 * 1472);
	ck_assert_uint_eq(tp_dgram_span(buf, 10000, size, false, 10000), 10000);
	ck_assert_uint_eq(tp_dgram_span(buf, 10000, size, false, SIZE_MAX), 10000);
	ck_assert_uint_eq(tp_dgram_span(buf, 1000, size, false, 10), 1000);
	ck_assert_uint_eq(tp_dgram_span(buf, 1000, size, false, SIZE_MAX), 1000);
	/* Exhaustively against a model: the most whole datagrams within max, at least one. */
	for (size_t avail = 1; avail <= 3 * 100 + 1; avail += 50)
		for (size_t max = 0; max <= avail + 1; max++) {
			size_t want = 0;
			while (want < avail) {
				size_t n = avail - want < 100 ? avail - want : 100;
				if (want && want + n > max)
					break;
				want += n;
			}
			REQUIRE_EQ(tp_dgram_span(buf, avail, 100, false, max), want);
		}
}
END_TEST

START_TEST(test_dgram_framed)
{
	struct tp_frame_meta meta = make_meta("dg", TP_FRAME_TOTAL_UNKNOWN, 100, 0);
	unsigned char *in = random_bytes(1000, 10);
	struct rx rx;
	struct tx tx;
	size_t ends[64], nd = 0, off = 0;

	/* A chunk of every kind of frame: METAs, full and short DATA, END. */
	rx_init(&rx, false, &meta);
	tx_init(&tx, &rx, false, 4096, 100, 4, &meta);
	tx_feed(&tx, in, 250, 0);
	tx_flush(&tx);
	tx_feed(&tx, in + 250, 1, 0);
	tx_flush(&tx);
	tx_feed(&tx, in + 251, 300, 0);
	ck_assert_int_eq(tp_framer_end(&tx.fr, &tx.chunk), 0);
	ck_assert_uint_eq(tx.chunks, 0);

	const unsigned char *p = tx.chunk.data;
	size_t len = tx.chunk.len;

	/* One frame per datagram, each as long as its header says; no size needed. */
	while (off < len) {
		struct tp_frame f;
		size_t n = tp_dgram_next(p + off, len - off, 0, true);
		ck_assert_uint_eq(n, tp_dgram_next(p + off, len - off, 1472, true));
		ck_assert_int_eq(tp_frame_open(p + off, n, &f), TP_FRAME_OK);
		off += n;
		ck_assert(nd < 64);
		ends[nd++] = off;
	}
	ck_assert_uint_eq(off, len);
	ck_assert_uint_eq(nd, 12); /* M M M D D D(50) D(1) M D D D E */
	ck_assert_uint_eq(ends[0], tp_frame_size(meta_len(&meta)));
	ck_assert_uint_eq(ends[5] - ends[4], tp_frame_size(50));
	ck_assert_uint_eq(ends[6] - ends[5], tp_frame_size(1));
	ck_assert_uint_eq(ends[11] - ends[10], tp_frame_size(TP_FRAME_END_SIZE));

	/* From every datagram boundary, against every max: whole datagrams only, at least one. */
	for (size_t s = 0; s < nd; s++) {
		size_t start = s ? ends[s - 1] : 0;
		for (size_t max = 0; max <= len - start + 1; max++) {
			size_t want = ends[s] - start;
			for (size_t e = s + 1; e < nd && ends[e] - start <= max; e++)
				want = ends[e] - start;
			REQUIRE_EQ(tp_dgram_span(p + start, len - start, 0, true, max), want);
		}
	}
	/* A cut-off chunk never yields more than it holds. */
	ck_assert_uint_eq(tp_dgram_next(p, 10, 1444, true), 10);
	ck_assert_uint_eq(tp_dgram_next(p, TP_FRAME_HDR_SIZE, 1444, true), TP_FRAME_HDR_SIZE);
	ck_assert_uint_eq(tp_dgram_next(p, ends[0] - 1, 1444, true), ends[0] - 1);
	ck_assert_uint_eq(tp_dgram_span(p, ends[0] - 1, 1444, true, SIZE_MAX), ends[0] - 1);
	ck_assert_uint_eq(tp_dgram_span(p, ends[1] + 5, 1444, true, SIZE_MAX), ends[1] + 5);
	ck_assert_uint_eq(tp_dgram_span(p, ends[1] + 5, 1444, true, ends[1]), ends[1]);
	tx_free(&tx);
	rx_free(&rx);
	free(in);
}
END_TEST

/* ---- one readv() into several frames' slots ------------------------------------------------- */

/* Fills chunks through tp_framer_iov as the reader does with readv(): each "read" brings a
 * pseudo-random amount (sometimes less than a frame, sometimes many frames and a part), is
 * spread over the iovecs in order, and the stream must come back whole through the real
 * deframer. Worst cases for the in-place layout: all-0xFF data (a code byte every 254). */
START_TEST(test_iov_reads)
{
	bool stream = _i % 2 == 0;
	size_t pm = (size_t[]){ 254, 1000, 65536, 1444 }[(_i / 2) % 4];
	size_t n = 3u << 20, cap = 1u << 20, done = 0;
	unsigned char *in = malloc(n), *buf = malloc(cap);
	struct tp_frame_meta meta = { .total = TP_FRAME_TOTAL_UNKNOWN, .frame_size = (uint32_t)pm };
	struct tp_framer fr;
	struct tp_chunk chunk = { .data = buf, .cap = cap };
	struct rx rx;
	uint64_t seed = 12345 + (uint64_t)_i;
	struct bytes wire = { 0 };

	REQUIRE(in && buf);
	memset(in, _i >= 4 ? 0xFF : 0, n);
	if (_i < 4)
		for (size_t k = 0; k < n; k++)
			in[k] = (unsigned char)(k * 7 + k / 255);
	rx_init(&rx, stream, &meta);
	tp_framer_init(&fr, stream, pm, SESSION, 100000, &meta);
	while (done < n) {
		struct iovec iov[64];
		int cnt = tp_framer_iov(&fr, &chunk, iov, 64);
		if (cnt == 0) { /* full: out it goes */
			put(&wire, chunk.data, chunk.len);
			chunk.len = 0;
			continue;
		}
		size_t room = 0;
		for (int k = 0; k < cnt; k++)
			room += iov[k].iov_len;
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		size_t want = (size_t)(seed >> 33) % (room + room / 4 + 1) + 1;
		size_t got = want < room ? want : room;
		if (got > n - done)
			got = n - done;
		size_t left = got, from = done;
		for (int k = 0; k < cnt && left; k++) {
			size_t m = iov[k].iov_len < left ? iov[k].iov_len : left;
			memcpy(iov[k].iov_base, in + from, m);
			from += m;
			left -= m;
		}
		tp_framer_add(&fr, &chunk, got);
		done += got;
		if ((seed >> 20) % 7 == 0) /* the input pauses now and then */
			tp_framer_flush(&fr, &chunk);
	}
	while (tp_framer_end(&fr, &chunk) < 0) {
		put(&wire, chunk.data, chunk.len);
		chunk.len = 0;
	}
	put(&wire, chunk.data, chunk.len);
	if (stream) {
		rx_stream(&rx, wire.p, wire.len, 0);
	} else {
		for (size_t off = 0; off < wire.len;) {
			size_t d = tp_dgram_next(wire.p + off, wire.len - off, 0, true);
			REQUIRE_INT_EQ(tp_deframe_datagram(&rx.d, wire.p + off, d), 0);
			off += d;
		}
	}
	rx_assert_clean(&rx);
	ck_assert_uint_eq(rx.data.len, n);
	ck_assert(memcmp(rx.data.p, in, n) == 0);
	rx_free(&rx);
	free(wire.p);
	free(in);
	free(buf);
}
END_TEST

static Suite *framer_suite(void)
{
	Suite *s = suite_create("framer");
	TCase *tc = tcase_create("framer");
	TCase *big = tcase_create("big");
	TCase *dg = tcase_create("dgram");

	/* Loop index bit 0: 1 = byte stream (COBS), 0 = datagrams. */
	tcase_add_loop_test(tc, test_run_layout, 0, 2);
	tcase_add_loop_test(tc, test_meta_every, 0, 10);
	tcase_add_loop_test(tc, test_empty_run, 0, 2);
	tcase_add_loop_test(tc, test_pieces_same_frames, 0, 2);
	tcase_add_loop_test(tc, test_flush_short_frames, 0, 2);
	tcase_add_loop_test(tc, test_pending, 0, 2);
	tcase_add_loop_test(tc, test_room_zero_when_full, 0, 2);
	tcase_add_loop_test(tc, test_chunk_of_whole_frames, 0, 6);
	tcase_add_test(tc, test_dgram_chunk_exactly_full);
	tcase_add_loop_test(tc, test_chunk_shapes, 0, 2 * (int)NSHAPES);
	tcase_add_loop_test(tc, test_max_frames_in_one_page, 0, 2);
	tcase_add_test(tc, test_wire_size);
	tcase_add_loop_test(tc, test_iov_reads, 0, 8);
	tcase_add_loop_test(tc, test_wire_size_bounds_growth, 0, 2);
	tcase_add_loop_test(big, test_random_roundtrip, 0, 16);
	tcase_set_timeout(big, 120);
	tcase_set_timeout(tc, 60);
	tcase_add_test(dg, test_dgram_raw);
	tcase_add_test(dg, test_dgram_framed);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, big);
	suite_add_tcase(s, dg);
	return s;
}

int main(void)
{
	return tp_unit_run(framer_suite());
}
