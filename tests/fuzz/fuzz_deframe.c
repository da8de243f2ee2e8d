/* libFuzzer harness for the receive side of -D: the deframer (deframe.h) and the tracker
 * (track.h) behind it, checked for the promise that no byte comes out that no verified frame
 * carried. The first input byte picks one of two kinds of run:
 *
 *  raw (even): the rest of the input is what arrives, anything at all: a byte stream fed in
 *    pieces, or length-prefixed datagrams. Checked: no crash or sanitizer report; every frame
 *    passed on is really in the input; every byte out (zero fill aside) is the byte at that
 *    stream offset in some verified DATA frame of the tracker's current session; zeros only
 *    under --on-gap=zero and only for reported gaps; nothing after a gap under --on-gap=stop;
 *    the byte counts agree with the stats; COMPLETE only with the whole stream out and END's
 *    digest matching it.
 *
 *  structured (odd): a stream made from a seed is framed by the real framer (framer.h), as
 *    a byte stream or as datagrams, with --fec (flags & 128) and sealed (first byte & 2: every
 *    frame sealed under the harness's key and opened before the tracker, as rx.c does; with
 *    AES-256-GCM where the CPU has it, or XChaCha20-Poly1305 when first byte & 4), then damaged as the input says (bits flipped, ranges
 *    deleted, inserted, duplicated, moved, datagrams dropped, copied, swapped...), and
 *    received. On top of the raw checks, the output must be the original with exactly the
 *    reported gaps removed (skip) or zeroed (zero), or a prefix of it (stop), each gap must
 *    name the frames that carried it, COMPLETE means the output is the original, and an
 *    undamaged stream must come through COMPLETE.
 *
 * Forged frames: libFuzzer's comparison tracing sees the CRC check in tp_frame_open, so it can
 * learn to write a frame whose CRC-32C holds (into inserted garbage, or anywhere in raw mode);
 * two damaged delimiters can also expose a frame carried inside a payload. Such a frame is as
 * good as a real one to any receiver, so rather than restrict the damage, every frame passed
 * on is resealed and looked up: among the frames the framer made (structured runs), and among
 * the valid frames really in the input, found by the harness's own COBS decoder and CRC check.
 * The framer's: fine. Only in the input: forged; a structured run stops comparing with the
 * original from then on (the raw checks go on). In neither: the deframer made it up.
 *
 * Built and run by tests/fuzz/run. TP_FUZZ_SEEDS=DIR writes a starting corpus to DIR and
 * exits. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cobs.h"
#include "crc.h"
#include "deframe.h"
#include "dgram.h"
#include "fec_rx.h"
#include "fec_tx.h"
#include "frame.h"
#include "framer.h"
#include "seal.h"
#include "track.h"

/* Output past this is refused with -EFBIG: zero fill up to a forged offset near 2^64 would
 * otherwise never end (and is what --on-gap=zero is asked to do). */
#define OUT_MAX (1u << 17)
/* Bounds that keep one run in the milliseconds. */
#define DATA_MAX 8192u
#define DATA_FRAMES_MAX 512u
#define WIRE_MAX (1u << 20)
#define DGRAMS_MAX 8192u
#define OPS_MAX 64
#define AMPLIFY_MAX (3u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void fail(int line, const char *cond, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

static void fail(int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_deframe.c:%d: check failed: %s: ", line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort(); /* libFuzzer saves the input */
}

#define CHECK(c, ...) \
	do { \
		if (!(c)) \
			fail(__LINE__, #c, __VA_ARGS__); \
	} while (0)

#define ULL(x) ((unsigned long long)(x))

/* The harness's own byte loops: their coverage says nothing about the code under test, and
 * comparison tracing in them cost most of the run time. */
#define UNTRACED __attribute__((noinline, no_sanitize("coverage")))

/* TP_FUZZ_DEBUG=1: a line per run saying how it ended (to see what the inputs reach). */
static bool debug;

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	CHECK(p, "out of memory (%zu bytes)", n);
	return p;
}

/* ---- bytes ---- */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

UNTRACED static void buf_reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;

	size_t cap = b->cap ? b->cap : 256;

	while (cap < b->len + more)
		cap *= 2;
	b->p = realloc(b->p, cap);
	CHECK(b->p, "out of memory (%zu bytes)", cap);
	b->cap = cap;
}

/* Inserts n bytes at `at` (p NULL: leaves them for the caller to fill); returns where. */
UNTRACED static unsigned char *buf_insert(struct buf *b, size_t at, const void *p, size_t n)
{
	buf_reserve(b, n ? n : 1); /* never a NULL b->p: pointer arithmetic on NULL is UB */
	memmove(b->p + at + n, b->p + at, b->len - at);
	if (p && n)
		memcpy(b->p + at, p, n);
	b->len += n;
	return b->p + at;
}

UNTRACED static void buf_put(struct buf *b, const void *p, size_t n)
{
	buf_insert(b, b->len, p, n);
}

UNTRACED static void buf_delete(struct buf *b, size_t at, size_t n)
{
	memmove(b->p + at, b->p + at + n, b->len - at - n);
	b->len -= n;
}

static void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}

/* ---- the input, and a generator for what it only seeds ---- */

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned get8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static unsigned get16(struct input *in)
{
	unsigned v = get8(in);

	return v | get8(in) << 8;
}

static uint32_t get24(struct input *in)
{
	uint32_t v = get16(in);

	return v | (uint32_t)get8(in) << 16;
}

static uint32_t get32(struct input *in)
{
	uint32_t v = get16(in);

	return v | (uint32_t)get16(in) << 16;
}

/* splitmix64: piece sizes and generated bytes come from here, so that a mutation of the data
 * does not move every split point after it. */
UNTRACED static uint64_t rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

UNTRACED static size_t rng_below(uint64_t *s, size_t n)
{
	return n ? (size_t)(rng(s) % n) : 0;
}

/* Window sizes worth trying: none at all, tiny, the real ones (rx.c), and unbounded. */
static const size_t window_bytes_choice[8] = { 0, 1, 28, 300, 1500, 4096, 16u << 20, SIZE_MAX };
static const uint32_t window_frames_choice[8] = { 0, 1, 2, 3, 8, 64, 16384, UINT32_MAX };

/* ---- what the framer sent (structured runs) ---- */

struct orig {
	uint32_t session;
	unsigned char *data;
	size_t len;
	struct tp_frame_meta meta;
	uint64_t *data_off;   /* stream offset of DATA seq k; [n_data] is len */
	uint32_t n_data, cap_data;
	bool sealed;          /* framed with --key-file (the harness's key) */
};

/* The key of sealed runs (structured runs with bit 1 of the first byte): a fixed one, so
 * that a run is the same every time; the nonces' random part is the sealer's own. One
 * sealer per cipher (bit 2 of the first byte: XChaCha20-Poly1305, else AES-256-GCM where the
 * CPU has it), one epoch. */
static struct tp_sealer *sealers[2];
static bool use_xchacha;

static struct tp_sealer *the_sealer(void)
{
	static const unsigned char key[TP_SEAL_KEY_SIZE] = "tpipe's fuzzing key, 32 bytes..";
	struct tp_sealer **s = &sealers[use_xchacha];

	if (!*s && (tp_seal_library_init() != 0 ||
		    tp_sealer_new(s, key, use_xchacha || !tp_seal_cipher_available(TP_CIPHER_AES256GCM)
				  ? TP_CIPHER_XCHACHA20 : TP_CIPHER_AES256GCM, 7) != 0))
		abort();
	return *s;
}

/* A set of raw frames, hashed by their CRC field. */
struct fset {
	struct buf *frames;
	size_t n, cap;        /* entries used, power-of-two table size */
	uint32_t *slot;       /* index + 1 into frames, 0 empty */
	size_t n_frames, cap_frames;
};

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

UNTRACED static uint32_t frame_crc(const unsigned char *raw, size_t len)
{
	return le32(raw + len - TP_FRAME_CRC_SIZE);
}

UNTRACED static bool fset_has(const struct fset *s, const unsigned char *raw, size_t len)
{
	if (!s->cap)
		return false;
	for (size_t i = frame_crc(raw, len) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		uint32_t k = s->slot[i];

		if (!k)
			return false;
		const struct buf *f = &s->frames[k - 1];

		if (f->len == len && memcmp(f->p, raw, len) == 0)
			return true;
	}
}

UNTRACED static void fset_add(struct fset *s, const unsigned char *raw, size_t len)
{
	if (fset_has(s, raw, len))
		return;
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		uint32_t *slot = calloc(cap, sizeof(*slot));

		CHECK(slot, "out of memory");
		for (size_t j = 0; j < s->cap; j++) {
			uint32_t k = s->slot[j];

			if (!k)
				continue;
			const struct buf *f = &s->frames[k - 1];
			size_t i = frame_crc(f->p, f->len) & (cap - 1);

			while (slot[i])
				i = (i + 1) & (cap - 1);
			slot[i] = k;
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	if (s->n_frames == s->cap_frames) {
		s->cap_frames = s->cap_frames ? 2 * s->cap_frames : 64;
		s->frames = realloc(s->frames, s->cap_frames * sizeof(*s->frames));
		CHECK(s->frames, "out of memory");
	}

	struct buf *f = &s->frames[s->n_frames++];

	*f = (struct buf){ 0 };
	buf_put(f, raw, len);

	size_t i = frame_crc(raw, len) & (s->cap - 1);

	while (s->slot[i])
		i = (i + 1) & (s->cap - 1);
	s->slot[i] = (uint32_t)s->n_frames;
	s->n++;
}

static void fset_free(struct fset *s)
{
	for (size_t i = 0; i < s->n_frames; i++)
		buf_free(&s->frames[i]);
	free(s->frames);
	free(s->slot);
	*s = (struct fset){ 0 };
}

/* ---- what really arrived: every valid frame in the input, found without deframe.c, cobs.c
 * or frame.c, so that a frame they pass on can be shown to be there ---- */

/* frame.h's layout, checked from scratch; META/END/PARITY payloads are not parsed (a superset). */
UNTRACED static bool ref_frame_valid(const unsigned char *raw, size_t len)
{
	if (len < TP_FRAME_OVERHEAD || raw[0] != 'T' || raw[1] != 'P' || raw[2] >> 4 != 1 ||
	    (raw[2] & 15) < 1 || (raw[2] & 15) > 4)
		return false;
	return le32(raw + 20) == len - TP_FRAME_OVERHEAD &&
	       len - TP_FRAME_OVERHEAD <= TP_FRAME_MAX_PAYLOAD &&
	       le32(raw + len - 4) == tp_crc32c(0, raw, len - 4);
}

/* COBS decoding as the textbook has it; -1 when it does not decode. */
UNTRACED static ssize_t ref_cobs_decode(unsigned char *out, const unsigned char *in, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t code = in[i++];

		if (code == 0 || code - 1 > len - i)
			return -1;
		for (size_t k = 1; k < code; k++) {
			if (in[i] == 0)
				return -1;
			out[o++] = in[i++];
		}
		if (code < 255 && i < len)
			out[o++] = 0;
	}
	return (ssize_t)o;
}

/* The valid frames between two delimiters of a byte stream. */
UNTRACED static void wire_stream(struct fset *set, const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n, *z0 = memchr(p, 0, n);
	unsigned char *raw = xmalloc(n);

	while (z0 && z0 < end) {
		const unsigned char *seg = z0 + 1, *z1 = memchr(seg, 0, (size_t)(end - seg));

		if (!z1)
			break;

		ssize_t len = ref_cobs_decode(raw, seg, (size_t)(z1 - seg));

		if (len > 0 && ref_frame_valid(raw, (size_t)len))
			fset_add(set, raw, (size_t)len);
		z0 = z1;
	}
	free(raw);
}

static void wire_dgram(struct fset *set, const unsigned char *p, size_t n)
{
	if (ref_frame_valid(p, n))
		fset_add(set, p, n);
}

/* ---- the receiver under test, and a model of where its output stands ---- */

/* A verified frame as the deframer passed it on. */
struct rec {
	enum tp_frame_type type;
	uint32_t session;
	uint64_t offset;
	uint32_t len;
	unsigned char *payload;
};

struct fuzz {
	enum tp_gap_policy policy;
	bool keep_feeding;        /* frames go on to the tracker after it is done (rx.c stops) */
	struct tp_rx_stats stats;
	struct tp_deframer dfr;
	struct tp_track track;
	struct tp_fec_rx fec;     /* behind the tracker, as in rx.c: rebuilds what --fec lets */

	/* Everything the deframer passed on and the erasure code rebuilt, in order. */
	struct rec *recs;
	size_t n_recs, cap_recs;
	size_t n_rebuilt;         /* of them, rebuilt */
	size_t rebuilt_dups;      /* rebuilt frames the tracker had had already */
	/* Sealed runs: frames are opened (into `plain`) before the tracker, as rx.c does. */
	const struct tp_sealer *sealer;
	unsigned char *plain;
	size_t n_unauth;          /* frames passed on that did not open (never recorded) */
	uint64_t data_sum;        /* payload bytes of the verified DATA frames */

	/* The tracker's position as its callbacks tell it. An epoch is one run of a session:
	 * it starts at the first frame, or at the frame that made the tracker restart. */
	bool locked;
	uint32_t session;
	size_t epoch_start;       /* its first rec */
	uint64_t pos;             /* stream offset of the next byte out */
	bool pos_unknown;         /* a gap of unknown length was declared: nothing may follow */
	uint64_t zeros_due;       /* --on-gap=zero: zeros owed for the last gap */
	uint64_t gaps_end;        /* the end of the last gap in this epoch (they come in order) */
	bool ended;               /* --on-gap=stop: data went missing: nothing may follow */

	/* Output; the last emit is settled against the stats at the next event, which tells a
	 * verified piece from zero fill (emit() and emit_zeros() count after the call). */
	struct buf out;
	size_t pending, pending_at;
	uint64_t snap_out, snap_zero;
	uint64_t out_verified, out_zero;
	size_t fail_at;           /* output past this fails with -EPIPE (a write error) */
	bool emit_failed;

	/* The tracker's first verdict. */
	bool done;
	int verdict;

	/* Structured runs: what was sent. */
	struct orig *orig;
	int n_orig;
	const struct fset *sent;
	const struct fset *wire;  /* the valid frames in what was fed (NULL: not known) */
	bool forged;              /* a frame the framer never made passed: stop comparing */
	unsigned char *scratch;   /* for resealing a delivered frame */
};

static const struct orig *orig_of(const struct fuzz *z, uint32_t session)
{
	if (z->forged)
		return NULL;
	for (int i = 0; i < z->n_orig; i++) {
		if (z->orig[i].session == session)
			return &z->orig[i];
	}
	return NULL;
}

/* Bytes p[0..n) came out at stream offset pos: each must be the byte there in some verified
 * DATA frame of this epoch. Newest frames first: they usually cover it at once. */
UNTRACED static void check_verified(const struct fuzz *z, const unsigned char *p, size_t n)
{
	unsigned char *ok = calloc(n, 1);
	size_t left = n;
	uint64_t lo = z->pos, hi = z->pos + n;

	CHECK(ok, "out of memory");
	for (size_t i = z->n_recs; i-- > z->epoch_start && left;) {
		const struct rec *r = &z->recs[i];

		if (r->type != TP_FRAME_DATA || r->session != z->session)
			continue;

		uint64_t rend = r->offset > UINT64_MAX - r->len ? UINT64_MAX : r->offset + r->len;
		uint64_t a = r->offset > lo ? r->offset : lo;
		uint64_t b = rend < hi ? rend : hi;

		for (uint64_t x = a; x < b; x++) {
			if (!ok[x - lo] && r->payload[x - r->offset] == p[x - lo]) {
				ok[x - lo] = 1;
				left--;
			}
		}
	}
	for (size_t i = 0; i < n && left; i++)
		CHECK(ok[i], "byte %zu of a piece out (stream offset %llu, 0x%02x) is in no verified "
		      "frame of session %08" PRIx32, i, ULL(lo + i), p[i], z->session);
	free(ok);
}

UNTRACED static void piece_verified(struct fuzz *z, const unsigned char *p, size_t n)
{
	CHECK(z->locked, "output before any frame");
	CHECK(!z->ended, "output after a gap under --on-gap=stop");
	CHECK(!z->pos_unknown, "output after a gap of unknown length");
	CHECK(z->zeros_due == 0, "verified output with %llu zeros of a gap still owed",
	      ULL(z->zeros_due));
	CHECK(n <= UINT64_MAX - z->pos, "output past offset 2^64");
	check_verified(z, p, n);

	const struct orig *o = orig_of(z, z->session);

	if (o) {
		CHECK(z->pos <= o->len && n <= o->len - z->pos,
		      "output past the end of the stream sent (offset %llu + %zu > %zu)",
		      ULL(z->pos), n, o->len);
		CHECK(memcmp(p, o->data + z->pos, n) == 0,
		      "output at offset %llu differs from what was sent", ULL(z->pos));
	}
	z->pos += n;
	z->out_verified += n;
}

UNTRACED static void piece_zero(struct fuzz *z, const unsigned char *p, size_t n)
{
	CHECK(z->policy == TP_GAP_ZERO, "zero fill under policy %d", (int)z->policy);
	CHECK(n <= z->zeros_due, "%zu zeros written, %llu owed", n, ULL(z->zeros_due));
	for (size_t i = 0; i < n; i++)
		CHECK(p[i] == 0, "zero fill holds 0x%02x", p[i]);
	z->zeros_due -= n;
	z->pos += n;
	z->out_zero += n;
}

/* Which counter the last emit moved says what it was. */
UNTRACED static void settle(struct fuzz *z)
{
	uint64_t d_out = z->stats.bytes_out - z->snap_out;
	uint64_t d_zero = z->stats.zero_bytes - z->snap_zero;
	size_t n = z->pending;

	z->snap_out = z->stats.bytes_out;
	z->snap_zero = z->stats.zero_bytes;
	z->pending = 0;
	if (d_out == n && d_zero == 0) {
		if (n)
			piece_verified(z, z->out.p + z->pending_at, n);
	} else if (d_zero == n && d_out == 0) {
		piece_zero(z, z->out.p + z->pending_at, n);
	} else {
		CHECK(0, "%zu bytes out, but bytes_out +%llu and zero_bytes +%llu", n, ULL(d_out),
		      ULL(d_zero));
	}
}

static void callback_enter(struct fuzz *z, const char *what)
{
	settle(z);
	CHECK(!z->done, "%s after the tracker was done", what);
	CHECK(!z->emit_failed, "%s after emit failed", what);
}

static ssize_t fz_emit(void *ctx, const unsigned char *data, size_t len)
{
	struct fuzz *z = ctx;

	callback_enter(z, "emit");
	if (z->out.len + len > z->fail_at) {
		z->emit_failed = true;
		return -EPIPE;
	}
	if (z->out.len + len > OUT_MAX) {
		z->emit_failed = true;
		return -EFBIG;
	}
	z->pending_at = z->out.len;
	z->pending = len;
	buf_put(&z->out, data, len);
	return (ssize_t)len;
}

/* Structured runs: a gap of known size starts and ends at frame boundaries of what was sent
 * and names exactly the DATA frames that carried it. */
static void check_loss_frames(const struct fuzz *z, const struct tp_track_loss *l)
{
	const struct orig *o = orig_of(z, z->session);

	if (!o || l->bytes == UINT64_MAX)
		return;
	CHECK(l->offset <= o->len && l->bytes <= o->len - l->offset,
	      "gap %llu+%llu past the end of the stream sent (%zu)", ULL(l->offset), ULL(l->bytes),
	      o->len);
	CHECK(l->first_seq <= l->last_seq, "gap %llu+%llu names no frames", ULL(l->offset),
	      ULL(l->bytes));
	CHECK(l->last_seq < o->n_data, "gap names frame %" PRIu32 " of %" PRIu32, l->last_seq,
	      o->n_data);
	CHECK(o->data_off[l->first_seq] == l->offset &&
	      o->data_off[l->last_seq + 1] == l->offset + l->bytes,
	      "gap %llu+%llu named frames %" PRIu32 "-%" PRIu32 ", which carried %llu..%llu",
	      ULL(l->offset), ULL(l->bytes), l->first_seq, l->last_seq,
	      ULL(o->data_off[l->first_seq]), ULL(o->data_off[l->last_seq + 1]));
}

static void fz_lost(void *ctx, const struct tp_track_loss *l)
{
	struct fuzz *z = ctx;

	callback_enter(z, "a gap");
	if (!z->locked) {
		/* tp_track_finish with nothing at all received. */
		CHECK(l->offset == 0 && l->bytes == UINT64_MAX, "gap %llu+%llu with no frame seen",
		      ULL(l->offset), ULL(l->bytes));
		z->ended = true;
		return;
	}
	check_loss_frames(z, l);
	CHECK(l->offset >= z->gaps_end, "gap at %llu before the end of the one before (%llu)",
	      ULL(l->offset), ULL(z->gaps_end));
	CHECK(!z->pos_unknown, "a gap after one of unknown length");
	if (z->ended) {
		/* --on-gap=stop: the tracker declares the rest as it closes; no output follows. */
		CHECK(z->policy == TP_GAP_STOP, "ended under policy %d", (int)z->policy);
		z->gaps_end = l->bytes == UINT64_MAX ? UINT64_MAX : l->offset + l->bytes;
		z->pos_unknown = l->bytes == UINT64_MAX;
		return;
	}
	CHECK(z->zeros_due == 0, "a gap with %llu zeros of the one before still owed",
	      ULL(z->zeros_due));
	CHECK(l->offset == z->pos, "gap declared at %llu, output is at %llu", ULL(l->offset),
	      ULL(z->pos));
	if (l->bytes == UINT64_MAX) {
		z->pos_unknown = true;
		z->gaps_end = UINT64_MAX;
	} else {
		CHECK(l->bytes <= UINT64_MAX - l->offset, "gap %llu+%llu past 2^64", ULL(l->offset),
		      ULL(l->bytes));
		z->gaps_end = l->offset + l->bytes;
		if (z->policy == TP_GAP_SKIP)
			z->pos += l->bytes;
		else if (z->policy == TP_GAP_ZERO)
			z->zeros_due = l->bytes;
	}
	if (z->policy == TP_GAP_STOP)
		z->ended = true;
}

/* An epoch is over (restart, or the end): under skip and zero, it reached the end of what
 * was sent, or a gap of unknown length. */
static void epoch_close(struct fuzz *z)
{
	const struct orig *o = orig_of(z, z->session);

	CHECK(z->zeros_due == 0 || z->emit_failed, "session closed with %llu zeros owed",
	      ULL(z->zeros_due));
	if (!o || z->policy == TP_GAP_STOP || z->emit_failed || !z->locked)
		return;
	CHECK(z->pos_unknown || z->pos == o->len,
	      "session %08" PRIx32 " closed at offset %llu of %zu, no gap declared after it",
	      z->session, ULL(z->pos), o->len);
}

static void fz_restart(void *ctx, uint32_t old_session, uint32_t new_session)
{
	struct fuzz *z = ctx;

	callback_enter(z, "a restart");
	CHECK(z->locked && old_session == z->session && new_session != old_session,
	      "restart %08" PRIx32 " -> %08" PRIx32 " while in %08" PRIx32, old_session,
	      new_session, z->session);
	CHECK(z->n_recs && z->recs[z->n_recs - 1].session == new_session,
	      "restart to a session the frame at hand is not of");
	epoch_close(z);
	if (z->policy == TP_GAP_STOP)
		z->ended = true;
	z->session = new_session;
	z->epoch_start = z->n_recs - 1;
	z->pos = 0;
	z->pos_unknown = false;
	z->gaps_end = 0;
	z->zeros_due = 0;
}

/* A session that wrote nothing given up for one that began: a new epoch, nothing lost. */
static void fz_gave_up(void *ctx, uint32_t old_session, uint32_t new_session)
{
	struct fuzz *z = ctx;

	callback_enter(z, "a session given up");
	CHECK(z->locked && old_session == z->session && new_session != old_session && z->pos == 0,
	      "gave up %08" PRIx32 " (at %llu) for %08" PRIx32 " while in %08" PRIx32, old_session,
	      ULL(z->pos), new_session, z->session);
	CHECK(z->n_recs && z->recs[z->n_recs - 1].session == new_session,
	      "gave up for a session the frame at hand is not of");
	z->session = new_session;
	z->epoch_start = z->n_recs - 1;
	z->pos_unknown = false;
	z->gaps_end = 0;
}

static void fz_meta(void *ctx, const struct tp_frame_meta *m)
{
	struct fuzz *z = ctx;

	callback_enter(z, "a META");
	CHECK(memchr(m->name, 0, sizeof(m->name)), "META name not terminated");

	const struct orig *o = orig_of(z, z->session);

	if (o)
		CHECK(m->total == o->meta.total && m->frame_size == o->meta.frame_size &&
		      m->repeat == o->meta.repeat && strcmp(m->name, o->meta.name) == 0,
		      "META differs from the one sent");
}

static const struct tp_track_ops fz_ops = {
	.emit = fz_emit,
	.lost = fz_lost,
	.gave_up = fz_gave_up,
	.restart = fz_restart,
	.meta = fz_meta,
};

static void check_complete(struct fuzz *z)
{
	const struct tp_rx_stats *s = &z->stats;

	CHECK(s->end_seen && s->digest_ok, "COMPLETE without END or digest");
	CHECK(s->gaps == 0 && s->zero_bytes == 0 && s->restarts == 0 && s->lost_frames == 0,
	      "COMPLETE with %llu gaps, %llu zeros, %llu restarts", ULL(s->gaps),
	      ULL(s->zero_bytes), ULL(s->restarts));
	CHECK(!z->ended && !z->pos_unknown && !z->emit_failed, "COMPLETE after a gap");
	CHECK(z->out.len == z->pos && z->pos == s->bytes_out && z->pos == s->total,
	      "COMPLETE with %zu bytes out, at %llu, total %llu", z->out.len, ULL(z->pos),
	      ULL(s->total));

	/* The first END of the session is the one the tracker keeps. */
	for (size_t i = z->epoch_start; i < z->n_recs; i++) {
		const struct rec *r = &z->recs[i];
		struct tp_frame_end e;

		if (r->type != TP_FRAME_END || r->session != z->session)
			continue;
		CHECK(tp_frame_end_decode(r->payload, r->len, &e) == 0, "a passed END does not parse");
		CHECK(e.total == z->out.len && e.digest == tp_crc32c(0, z->out.p, z->out.len),
		      "COMPLETE, but the output is not what END describes");
		break;
	}

	const struct orig *o = orig_of(z, z->session);

	if (o)
		CHECK(z->out.len == o->len && (!o->len || memcmp(z->out.p, o->data, o->len) == 0),
		      "COMPLETE, but the output is not what was sent");
}

/* A tp_track_frame / tp_track_finish result. */
static void verdict(struct fuzz *z, int rc)
{
	if (z->done) {
		int same = z->verdict < 0 ? TP_TRACK_STOPPED : z->verdict;

		CHECK(rc == same, "the tracker said %d after %d", rc, z->verdict);
		return;
	}
	CHECK(rc == TP_TRACK_MORE || rc == TP_TRACK_COMPLETE || rc == TP_TRACK_STOPPED ||
	      ((rc == -EFBIG || rc == -EPIPE) && z->emit_failed), "unexpected tracker result %d", rc);
	if (rc == TP_TRACK_MORE) {
		CHECK(!z->emit_failed, "the tracker goes on after emit failed");
		return;
	}
	z->done = true;
	z->verdict = rc;
	if (rc == TP_TRACK_COMPLETE)
		check_complete(z);
}

/* A delivered frame resealed: the bytes it must have had on the wire (a version-1 frame with a
 * known type and a good CRC has exactly these). */
UNTRACED static size_t reseal(struct fuzz *z, const struct tp_frame *f)
{
	memcpy(z->scratch + TP_FRAME_HDR_SIZE, f->payload, f->len);
	return tp_frame_seal(z->scratch, f);
}

/* A frame as a record, for check_verified and the totals. */
static void record(struct fuzz *z, const struct tp_frame *f)
{
	if (z->n_recs == z->cap_recs) {
		z->cap_recs = z->cap_recs ? 2 * z->cap_recs : 64;
		z->recs = realloc(z->recs, z->cap_recs * sizeof(*z->recs));
		CHECK(z->recs, "out of memory");
	}

	struct rec *r = &z->recs[z->n_recs++];

	*r = (struct rec){ .type = f->type, .session = f->session, .offset = f->offset,
			   .len = f->len, .payload = xmalloc(f->len) };
	memcpy(r->payload, f->payload, f->len);
	if (f->type == TP_FRAME_DATA)
		z->data_sum += f->len;
}

/* A frame for the tracker: received (not PARITY), or rebuilt. */
static int fz_track(struct fuzz *z, const struct tp_frame *f)
{
	if (!z->locked && !z->done) {
		z->locked = true;
		z->session = f->session;
		z->epoch_start = z->n_recs - 1;
	}

	int rc = tp_track_frame(&z->track, f);

	settle(z);
	verdict(z, rc);
	if (tp_track_waiting_at_end(&z->track))
		CHECK(z->stats.end_seen && !z->done, "waiting at the end without END, or when done");
	if (rc != TP_TRACK_MORE && !z->keep_feeding)
		return rc < 0 ? rc : 1;
	return 0;
}

/* A DATA frame the erasure code rebuilt. It was never on the wire; in a structured run with
 * nothing forged it must be one the framer made (else the code invented it). */
static int fz_rebuilt(void *ctx, const struct tp_frame *f)
{
	struct fuzz *z = ctx;

	struct tp_frame opened;

	settle(z);
	CHECK(f->type == TP_FRAME_DATA && f->len <= TP_FRAME_MAX_PAYLOAD,
	      "rebuilt a frame of type %d, %" PRIu32 " bytes", (int)f->type, f->len);
	if (z->sent && !z->forged) {
		size_t n = reseal(z, f);

		CHECK(fset_has(z->sent, z->scratch, n),
		      "rebuilt a frame (session %08" PRIx32 ", seq %" PRIu32 ", offset %llu, %" PRIu32
		      " bytes) that was never sent", f->session, f->seq, ULL(f->offset), f->len);
	}
	if (z->sealer) {
		/* (A rebuilt frame is the sender's own, or CRC-checked from forged parity: one
		 * that does not open is dropped, as rx.c drops it.) */
		if (tp_seal_open(z->sealer, f, z->plain, &opened) != 0)
			return 0;
		f = &opened;
	}
	record(z, f);
	z->n_rebuilt++;
	uint64_t dups = z->stats.duplicates;
	int rc = fz_track(z, f);

	/* (One the tracker had already, a late copy, is not counted as repaired.) */
	z->rebuilt_dups += z->stats.duplicates != dups;
	return rc;
}

static int fz_frame(void *ctx, const struct tp_frame *f)
{
	struct fuzz *z = ctx;

	settle(z);
	CHECK(f->type >= TP_FRAME_DATA && f->type <= TP_FRAME_PARITY && f->len <= TP_FRAME_MAX_PAYLOAD,
	      "passed a frame of type %d, %" PRIu32 " bytes", (int)f->type, f->len);
	CHECK(z->stats.frames == z->n_recs - z->n_rebuilt + z->n_unauth + 1,
	      "stats count %llu frames, %zu passed on", ULL(z->stats.frames),
	      z->n_recs - z->n_rebuilt + z->n_unauth + 1);
	if (z->wire || (z->sent && !z->forged)) {
		size_t n = reseal(z, f);

		/* The framer made it; or damage made it, and it is really there: then the
		 * comparisons with the original stop. A frame that is neither was never sent. */
		if (z->sent && !z->forged && !fset_has(z->sent, z->scratch, n))
			z->forged = true;
		if (z->wire && (!z->sent || z->forged))
			CHECK(fset_has(z->wire, z->scratch, n),
			      "passed a frame (type %d, session %08" PRIx32 ", seq %" PRIu32
			      ", offset %llu, %" PRIu32 " bytes) that is not in the input",
			      (int)f->type, f->session, f->seq, ULL(f->offset), f->len);
	}

	/* As rx.c: opened (sealed runs), the tracker first, then the repair layer (DATA as
	 * sent), for the tracker's session only. */
	const struct tp_frame *wire = f;
	struct tp_frame opened;

	if (z->sealer) {
		if (tp_seal_open(z->sealer, f, z->plain, &opened) != 0) {
			CHECK(!z->sent || z->forged || !fset_has(z->sent, z->scratch, reseal(z, f)),
			      "a frame the framer sealed does not open");
			z->n_unauth++;
			return 0;
		}
		f = &opened;
	}
	record(z, f);
	if (f->type != TP_FRAME_PARITY) {
		int rc = fz_track(z, f);

		if (rc)
			return rc;
	}
	if (z->track.locked && f->session != z->track.session)
		return 0;
	return z->done ? 0 : tp_fec_rx_frame(&z->fec, f->type == TP_FRAME_DATA ? wire : f);
}

static void fuzz_init(struct fuzz *z, enum tp_gap_policy policy, bool keep_feeding,
		      unsigned windows, size_t fail_at)
{
	/* Allocated once: a fresh megabyte per run costs page faults, not coverage. */
	static unsigned char *scratch;

	if (!scratch)
		scratch = xmalloc(tp_frame_size(TP_FRAME_MAX_PAYLOAD));
	memset(z, 0, sizeof(*z));
	z->scratch = scratch;
	z->policy = policy;
	z->keep_feeding = keep_feeding;
	z->fail_at = (windows >> 6) == 3 ? fail_at : SIZE_MAX;
	z->stats.total = UINT64_MAX;
	CHECK(tp_deframer_init(&z->dfr, &z->stats, fz_frame, z) == 0, "deframer init");
	CHECK(tp_track_init(&z->track, &fz_ops, z, &z->stats, policy,
			    window_bytes_choice[windows & 7], window_frames_choice[(windows >> 3) & 7]) == 0,
	      "tracker init");
	tp_fec_rx_init(&z->fec, &z->stats, fz_rebuilt, z);
}

/* A sealed run: frames open under the harness's key before anything else sees them. */
static void fuzz_seal(struct fuzz *z)
{
	static unsigned char *plain;

	if (!plain)
		plain = xmalloc(TP_FRAME_MAX_PAYLOAD);
	z->sealer = the_sealer();
	z->plain = plain;
	tp_fec_rx_set_sealed(&z->fec, TP_FRAME_FLAG_SEALED |
			     (tp_sealer_cipher(z->sealer) == TP_CIPHER_AES256GCM
			      ? TP_FRAME_FLAG_AES256GCM : 0), TP_SEAL_OVERHEAD);
}

/* Feeding stopped (all in, or the tracker was done): finish and check the totals. */
static void fuzz_finish(struct fuzz *z)
{
	tp_fec_rx_finish(&z->fec, z->stats.end_seen ? z->track.end.frames : UINT32_MAX);

	int rc = tp_track_finish(&z->track);

	settle(z);
	verdict(z, rc);
	CHECK(z->done, "tp_track_finish said MORE");
	epoch_close(z);

	const struct tp_rx_stats *s = &z->stats;

	CHECK(z->out.len == s->bytes_out + s->zero_bytes,
	      "%zu bytes out, stats say %llu verified + %llu zeros", z->out.len, ULL(s->bytes_out),
	      ULL(s->zero_bytes));
	CHECK(z->out_verified == s->bytes_out && z->out_zero == s->zero_bytes,
	      "verified/zero split %llu/%llu, stats %llu/%llu", ULL(z->out_verified),
	      ULL(z->out_zero), ULL(s->bytes_out), ULL(s->zero_bytes));
	CHECK(s->bytes_out <= z->data_sum, "%llu bytes out of %llu verified payload bytes",
	      ULL(s->bytes_out), ULL(z->data_sum));
	CHECK(s->frames == z->n_recs - z->n_rebuilt + z->n_unauth,
	      "stats count %llu frames, %zu passed on", ULL(s->frames),
	      z->n_recs - z->n_rebuilt + z->n_unauth);
	CHECK(s->fec_repaired == z->n_rebuilt - z->rebuilt_dups,
	      "stats count %llu repaired, %zu rebuilt (%zu of them duplicates)",
	      ULL(s->fec_repaired), z->n_rebuilt, z->rebuilt_dups);
	if (z->policy != TP_GAP_ZERO)
		CHECK(s->zero_bytes == 0, "zeros under policy %d", (int)z->policy);
	if (z->verdict == TP_TRACK_COMPLETE)
		CHECK(s->digest_ok, "COMPLETE without the digest");
	if (debug)
		fprintf(stderr, "policy %d verdict %d%s%s: %zu frames, %llu out + %llu zeros, %llu gaps "
			"(%llu bytes), %llu restarts, %llu dups, %llu garbage, %zu rebuilt, %llu groups "
			"not repaired\n", (int)z->policy,
			z->verdict, z->forged ? " forged" : "", z->emit_failed ? " emit-failed" : "",
			z->n_recs, ULL(s->bytes_out), ULL(s->zero_bytes), ULL(s->gaps),
			ULL(s->lost_bytes), ULL(s->restarts), ULL(s->duplicates), ULL(s->garbage_bytes),
			z->n_rebuilt, ULL(s->fec_unrepaired));
}

static void fuzz_free(struct fuzz *z)
{
	tp_fec_rx_destroy(&z->fec);
	tp_track_destroy(&z->track);
	tp_deframer_destroy(&z->dfr);
	for (size_t i = 0; i < z->n_recs; i++)
		free(z->recs[i].payload);
	free(z->recs);
	buf_free(&z->out);
}

/* Feeds a byte stream in pieces of 1 .. 2^(shape & 15) bytes, each `times` times over (so
 * that a fuzzer's few kilobytes can make a segment longer than any frame); (shape >> 4) in 64
 * of them end the input there (tpipe -D a b: the next one starts unsynchronised). Returns
 * whether any did. */
static bool feed_stream(struct fuzz *z, const unsigned char *p, size_t n, unsigned shape,
			uint64_t seed, size_t times)
{
	size_t max = (size_t)1 << (shape & 15);
	unsigned end_chance = shape >> 4;
	bool split = false;

	while (n) {
		size_t k = 1 + rng_below(&seed, max);

		if (k > n)
			k = n;
		for (size_t t = 0; t < times; t++) {
			int rc = tp_deframe_stream(&z->dfr, p, k);

			settle(z);
			if (rc) {
				CHECK(rc == 1 || rc == -EFBIG || rc == -EPIPE,
				      "tp_deframe_stream returned %d", rc);
				CHECK(z->done && !z->keep_feeding, "feeding stopped, the tracker not done");
				return split;
			}
		}
		p += k;
		n -= k;
		if (n && end_chance && rng_below(&seed, 64) < end_chance) {
			tp_deframe_stream_end(&z->dfr);
			split = true;
		}
	}
	tp_deframe_stream_end(&z->dfr);
	settle(z);
	return split;
}

static bool feed_datagram(struct fuzz *z, const unsigned char *p, size_t n)
{
	int rc = tp_deframe_datagram(&z->dfr, p, n);

	settle(z);
	if (rc) {
		CHECK(rc == 1 || rc == -EFBIG || rc == -EPIPE, "tp_deframe_datagram returned %d", rc);
		CHECK(z->done && !z->keep_feeding, "feeding stopped, the tracker not done");
		return false;
	}
	return true;
}

/* ---- raw: the input is what arrives ----
 *   byte 1: policy (bits 0-1, mod 3), datagrams (bit 2), keep feeding (bit 3), each stream
 *           piece fed again and again when bits 4-6 hold 5 (8 times), 6 (64), 7 (to 3 MiB)
 *   byte 2: windows (bits 0-2 bytes, 3-5 frames); bits 6-7 both set: output past 37 * byte 4
 *           bytes fails (-EPIPE, as a write error would)
 *   byte 3: stream pieces (bits 0-3: max size 2^n; 4-7: end-of-input chance)
 *   byte 4: piece seed
 *   then a byte stream, or datagrams each as u16 length (LE, mod what is left + 1) + bytes */
static void run_raw(struct input in)
{
	struct fuzz z;
	struct fset wire = { 0 };
	unsigned flags = get8(&in), windows = get8(&in), shape = get8(&in), seed = get8(&in);

	fuzz_init(&z, (enum tp_gap_policy)((flags & 3) % 3), flags & 8, windows, 37 * seed);
	z.wire = &wire;
	if (flags & 4) {
		for (struct input d = in; d.n;) {
			size_t len = get16(&d) % (d.n + 1);

			wire_dgram(&wire, d.p, len);
			d.p += len;
			d.n -= len;
		}
		while (in.n) {
			size_t len = get16(&in) % (in.n + 1);

			if (!feed_datagram(&z, in.p, len))
				break;
			in.p += len;
			in.n -= len;
		}
	} else {
		/* 8 or 64 times, or up to a few megabytes: past SEG_MAX in deframe.c. Repeated
		 * pieces make segments the input does not have: no check against the input then. */
		unsigned rep = (flags >> 4) & 7;
		size_t times = rep == 5 ? 8 : rep == 6 ? 64 : 1;

		if (rep == 7 && in.n)
			times = AMPLIFY_MAX / in.n;
		if (times > 1)
			z.wire = NULL;
		else
			wire_stream(&wire, in.p, in.n);
		feed_stream(&z, in.p, in.n, shape, seed, times);
	}
	fuzz_finish(&z);
	fuzz_free(&z);
	fset_free(&wire);
}

/* ---- structured: a known stream, framed, damaged ----
 *   byte 1: policy (bits 0-1, mod 3), datagrams (2), keep feeding (3), a second session after
 *           the first (4), total known in META (5), input pauses often (6)
 *   byte 2: windows, as raw; bits 6-7 both set: output past (seed >> 8) % (length + 1)
 *           bytes fails
 *   bytes 3-4: stream length (mod DATA_MAX + 1)
 *   byte 5: content pattern (bits 0-2), name length / 8 (bits 3-7)
 *   bytes 6-7: frame size: byte 6 < 128 picks from a list, else 1 + (u16 & 0x7fff) % 4096
 *   byte 8: META every 1 + (bits 0-4) DATA frames; chunk slack 1000 * (bits 5-7)
 *   bytes 9-12: seed
 *   byte 13: stream pieces, as raw byte 3
 *   then damage, one op after another (see damage_stream, damage_dgrams) */

static const size_t frame_size_choice[] = {
	1, 2, 3, 4, 16, 100, 225, 226, 227, 228, 252, 253, 254, 255, 256, 480, 481, 482, 507, 508,
	509, 510, 512, 513, 1024, 1444, 2000, 4096,
};

/* Content where COBS has edge cases: zero runs, 254-byte runs without zeros, and so on. */
UNTRACED static void gen_data(unsigned char *p, size_t len, unsigned pattern, uint64_t seed)
{
	size_t i = 0;

	switch (pattern & 7) {
	case 0:
		for (; i < len; i++)
			p[i] = (unsigned char)rng(&seed);
		break;
	case 1:
		memset(p, 0, len);
		break;
	case 2:
		for (; i < len; i++)
			p[i] = (unsigned char)(1 + rng_below(&seed, 255));
		break;
	case 3:
		while (i < len) {
			static const size_t runs[] = { 0, 1, 2, 253, 254, 255, 508, 509 };
			size_t run = runs[rng_below(&seed, 8)];
			unsigned char fill = rng_below(&seed, 3) ? (unsigned char)(1 + rng_below(&seed, 255)) : 0;

			for (; run && i < len; run--)
				p[i++] = fill;
			if (i < len)
				p[i++] = 0;
		}
		break;
	case 4:
		for (; i < len; i++)
			p[i] = (unsigned char)(' ' + rng_below(&seed, 95));
		break;
	case 5:
		for (; i < len; i++)
			p[i] = (unsigned char)i;
		break;
	case 6:
		for (; i < len; i++)
			p[i] = i % 254 ? 0xff : 0;
		break;
	default:
		for (; i < len; i++)
			p[i] = rng_below(&seed, 16) ? (unsigned char)(1 + rng_below(&seed, 255)) : 0;
		break;
	}
}

struct sent {
	bool dgram;
	struct buf stream;        /* byte stream */
	struct buf *dgrams;       /* or datagrams */
	size_t n_dgrams, cap_dgrams;
};

UNTRACED static void add_dgram(struct sent *w, size_t at, const unsigned char *p, size_t n)
{
	if (w->n_dgrams == w->cap_dgrams) {
		w->cap_dgrams = w->cap_dgrams ? 2 * w->cap_dgrams : 64;
		w->dgrams = realloc(w->dgrams, w->cap_dgrams * sizeof(*w->dgrams));
		CHECK(w->dgrams, "out of memory");
	}
	memmove(w->dgrams + at + 1, w->dgrams + at, (w->n_dgrams - at) * sizeof(*w->dgrams));
	w->dgrams[at] = (struct buf){ 0 };
	buf_put(&w->dgrams[at], p, n);
	w->n_dgrams++;
}

UNTRACED static void drop_dgram(struct sent *w, size_t at)
{
	buf_free(&w->dgrams[at]);
	memmove(w->dgrams + at, w->dgrams + at + 1, (w->n_dgrams - at - 1) * sizeof(*w->dgrams));
	w->n_dgrams--;
}

static void sent_free(struct sent *w)
{
	buf_free(&w->stream);
	while (w->n_dgrams)
		drop_dgram(w, w->n_dgrams - 1);
	free(w->dgrams);
}

/* What the writer sends of a chunk: its bytes, or one datagram per frame (dgram.c). */
UNTRACED static void hand_over(struct sent *w, struct tp_chunk *c, size_t frame_size)
{
	if (!w->dgram) {
		buf_put(&w->stream, c->data, c->len);
	} else {
		for (size_t at = 0; at < c->len;) {
			size_t n = tp_dgram_next(c->data + at, c->len - at, frame_size, true);

			CHECK(n > 0, "an empty datagram");
			add_dgram(w, w->n_dgrams, c->data + at, n);
			at += n;
		}
	}
	c->len = 0;
}

/* Frames o's data as run.c does (reads of input-chosen sizes, pauses that flush, three ENDs)
 * and appends what goes out to w. */
static void frame_orig(struct sent *w, const struct orig *o, size_t frame_size,
		       uint32_t meta_every, size_t slack, bool pauses, uint64_t seed)
{
	struct tp_framer fr;
	struct tp_fec_tx fec;

	size_t sealed = o->sealed ? TP_SEAL_OVERHEAD : 0;

	tp_framer_init(&fr, !w->dgram, frame_size, o->session, meta_every, &o->meta);
	if (o->sealed)
		tp_framer_set_sealer(&fr, the_sealer());
	if (o->meta.fec_k) {
		CHECK(tp_fec_tx_init(&fec, o->meta.fec_k, o->meta.fec_m, o->meta.fec_depth,
				     frame_size + sealed) == 0, "fec_tx init");
		tp_framer_set_fec(&fr, &fec);
	}

	size_t meta_len = 32 + strlen(o->meta.name);
	size_t need = tp_framer_wire_size(&fr, frame_size + (o->meta.fec_k ? TP_FRAME_PARITY_EXTRA +
								      sealed : 0));
	size_t need_meta = tp_framer_wire_size(&fr, meta_len);
	size_t cap = (need > need_meta ? need : need_meta) + slack;
	struct tp_chunk chunk = { .data = xmalloc(cap), .cap = cap };
	size_t done = 0;

	for (;;) {
		unsigned char *at;
		size_t room = tp_framer_room(&fr, &chunk, &at);

		if (room == 0) {
			CHECK(chunk.len > 0, "framer: no room in an empty chunk of %zu", cap);
			hand_over(w, &chunk, frame_size);
			continue;
		}
		if (done == o->len)
			break; /* as run.c: room is asked for before the read that finds the end */

		size_t n = 1 + rng_below(&seed, rng_below(&seed, 2) ? room : 64);

		if (n > room)
			n = room;
		if (n > o->len - done)
			n = o->len - done;
		memcpy(at, o->data + done, n);
		tp_framer_add(&fr, &chunk, n);
		done += n;
		if (rng_below(&seed, pauses ? 4 : 64) == 0 && tp_framer_pending(&fr, &chunk)) {
			/* The input paused: what is held goes out now (run.c fill_flush). */
			tp_framer_flush(&fr, &chunk);
			hand_over(w, &chunk, frame_size);
		}
	}
	if (tp_framer_pending(&fr, &chunk))
		tp_framer_flush(&fr, &chunk);
	for (int i = 0; i < TP_FRAMER_END_FRAMES;) {
		if (tp_framer_end(&fr, &chunk) == 0) {
			i++;
		} else {
			CHECK(chunk.len > 0, "framer: no room for END in an empty chunk");
			hand_over(w, &chunk, frame_size);
		}
	}
	if (chunk.len)
		hand_over(w, &chunk, frame_size);
	free(chunk.data);
	if (o->meta.fec_k)
		tp_fec_tx_destroy(&fec);
}

/* One raw frame the framer made, in order: it must open, and together they must say exactly
 * what o holds. Fills o->data_off and adds the frame to the set. */
struct walk {
	struct orig *o;
	size_t frames, metas_first;
	uint64_t off;
	uint32_t digest;
	int ends;
	size_t parity;
};

UNTRACED static void walk_frame(struct walk *k, struct fset *set, const unsigned char *raw, size_t len,
		       size_t frame_size)
{
	struct orig *o = k->o;
	struct tp_frame f;
	enum tp_frame_error e = tp_frame_open(raw, len, &f);

	CHECK(e == TP_FRAME_OK, "framer made a frame that does not open: %s", tp_frame_error_name(e));
	CHECK(!(f.flags & TP_FRAME_FLAG_SEALED) == !o->sealed, "framer: sealed flag %d", f.flags);
	if (o->sealed) {
		static unsigned char *plain;
		struct tp_frame sealed = f;

		if (!plain)
			plain = xmalloc(TP_FRAME_MAX_PAYLOAD);
		CHECK(tp_seal_open(the_sealer(), &sealed, plain, &f) == 0, "framer: a sealed frame "
		      "does not open");
	}
	CHECK(f.session == o->session, "framer: wrong session");
	CHECK(k->ends == 0 || f.type == TP_FRAME_END, "framer: a frame after END");
	if (f.type == TP_FRAME_META && k->frames == k->metas_first)
		k->metas_first++;
	k->frames++;
	CHECK(f.seq == o->n_data && f.offset == k->off,
	      "framer: frame %zu at seq %" PRIu32 " offset %llu, expected %" PRIu32 " %llu",
	      k->frames, f.seq, ULL(f.offset), o->n_data, ULL(k->off));
	if (f.type == TP_FRAME_DATA) {
		CHECK(f.len > 0 && f.len <= frame_size && f.len <= o->len - k->off &&
		      memcmp(f.payload, o->data + k->off, f.len) == 0,
		      "framer: DATA %" PRIu32 " does not carry the data", f.seq);
		if (o->n_data + 1 >= o->cap_data) {
			o->cap_data = o->cap_data ? 2 * o->cap_data : 64;
			o->data_off = realloc(o->data_off, o->cap_data * sizeof(*o->data_off));
			CHECK(o->data_off, "out of memory");
		}
		o->data_off[o->n_data++] = k->off;
		k->off += f.len;
		k->digest = tp_crc32c(k->digest, f.payload, f.len);
	} else if (f.type == TP_FRAME_META) {
		struct tp_frame_meta m;

		CHECK(tp_frame_meta_decode(f.payload, f.len, &m) == 0 && m.total == o->meta.total &&
		      strcmp(m.name, o->meta.name) == 0 && m.fec_k == o->meta.fec_k &&
		      m.fec_m == o->meta.fec_m && m.fec_depth == o->meta.fec_depth,
		      "framer: META wrong");
	} else if (f.type == TP_FRAME_PARITY) {
		struct tp_frame_parity pr;

		CHECK(o->meta.fec_k && tp_frame_parity_decode(f.payload, f.len, &pr) == 0 &&
		      pr.k == o->meta.fec_k && pr.m == o->meta.fec_m && pr.depth == o->meta.fec_depth,
		      "framer: PARITY wrong");
		k->parity++;
	} else {
		struct tp_frame_end end;

		CHECK(tp_frame_end_decode(f.payload, f.len, &end) == 0 && end.total == o->len &&
		      end.frames == o->n_data && end.digest == tp_crc32c(0, o->data, o->len),
		      "framer: END wrong");
		CHECK(k->off == o->len, "framer: END before all data");
		k->ends++;
	}
	fset_add(set, raw, len);
}

/* Frames o, checks the framer's output, and notes every frame in set. */
static void send_orig(struct sent *w, struct orig *o, struct fset *set, size_t frame_size,
		      uint32_t meta_every, size_t slack, bool pauses, uint64_t seed)
{
	size_t from = w->dgram ? w->n_dgrams : w->stream.len;
	struct walk k = { .o = o };

	frame_orig(w, o, frame_size, meta_every, slack, pauses, seed);
	o->n_data = 0;
	o->cap_data = 64;
	o->data_off = xmalloc(o->cap_data * sizeof(*o->data_off));
	if (w->dgram) {
		for (size_t i = from; i < w->n_dgrams; i++)
			walk_frame(&k, set, w->dgrams[i].p, w->dgrams[i].len, frame_size);
	} else {
		/* Each frame between delimiters, as cobs.h says. */
		const unsigned char *p = w->stream.p + from, *end = w->stream.p + w->stream.len;
		unsigned char *raw = xmalloc(end - p);

		CHECK(p < end && *p == 0, "framer: stream does not start with a delimiter");
		while (p < end) {
			const unsigned char *z0 = memchr(p, 0, (size_t)(end - p));

			CHECK(z0, "framer: stream does not end with a delimiter");
			if (z0 > p) {
				ssize_t n = tp_cobs_decode(raw, p, (size_t)(z0 - p));

				CHECK(n >= 0, "framer: segment does not decode");
				walk_frame(&k, set, raw, (size_t)n, frame_size);
			}
			p = z0 + 1;
		}
		free(raw);
	}
	CHECK(k.metas_first >= TP_FRAMER_START_METAS && k.ends == TP_FRAMER_END_FRAMES &&
	      k.off == o->len && (o->meta.fec_k || !k.parity) && (!o->meta.fec_k || !o->len || k.parity), "framer: %zu METAs first, %d ENDs, %llu of %zu bytes",
	      k.metas_first, k.ends, ULL(k.off), o->len);
	o->data_off[o->n_data] = o->len;
}

/* Byte-stream damage. Ops: 0 flip bits, 1 delete, 2 insert input bytes, 3 insert generated
 * garbage, 4 duplicate a range elsewhere, 5 move a range, 6 cut the end off, 7 a 0x00 (a
 * delimiter) in or over a byte. Positions are modulo the length. */
static void damage_stream(struct buf *s, struct input *in)
{
	for (int n = 0; n < OPS_MAX && in->n; n++) {
		unsigned op = get8(in) & 7;
		size_t at = get24(in) % (s->len + 1);

		switch (op) {
		case 0: {
			unsigned mask = get8(in);

			if (at < s->len)
				s->p[at] ^= (unsigned char)(mask ? mask : 1);
			break;
		}
		case 1: {
			size_t len = get16(in) % (s->len - at + 1);

			buf_delete(s, at, len);
			break;
		}
		case 2: {
			size_t len = get8(in) % (in->n + 1);

			if (s->len + len <= WIRE_MAX)
				buf_insert(s, at, in->p, len);
			in->p += len;
			in->n -= len;
			break;
		}
		case 3: {
			size_t len = get16(in) % 4096;
			uint64_t seed = get8(in);
			unsigned zeros = get8(in);

			if (s->len + len > WIRE_MAX)
				break;
			unsigned char *p = buf_insert(s, at, NULL, len);

			for (size_t i = 0; i < len; i++)
				p[i] = rng_below(&seed, 256) < zeros ? 0 : (unsigned char)rng(&seed);
			break;
		}
		case 4: {
			size_t len = get16(in) % (s->len - at + 1);
			size_t to = get24(in) % (s->len + 1);

			if (s->len + len > WIRE_MAX)
				break;
			/* Through a copy: `to` may fall inside the range. */
			unsigned char *tmp = xmalloc(len);

			memcpy(tmp, s->p + at, len);
			buf_insert(s, to, tmp, len);
			free(tmp);
			break;
		}
		case 5: {
			size_t len = get16(in) % (s->len - at + 1);
			unsigned char *tmp = xmalloc(len);

			memcpy(tmp, s->p + at, len);
			buf_delete(s, at, len);
			buf_insert(s, get24(in) % (s->len + 1), tmp, len);
			free(tmp);
			break;
		}
		case 6:
			s->len = at;
			break;
		default:
			if ((get8(in) & 1) && at < s->len)
				s->p[at] = 0;
			else if (s->len < WIRE_MAX)
				buf_insert(s, at, "", 1);
			break;
		}
	}
}

/* Datagram damage. Ops: 0 drop, 1 copy elsewhere, 2 swap two, 3 flip bits in one, 4 cut one
 * short, 5 an input-made datagram, 6 a generated garbage one, 7 reverse a run (reordering). */
static void damage_dgrams(struct sent *w, struct input *in)
{
	for (int n = 0; n < OPS_MAX && in->n; n++) {
		unsigned op = get8(in) & 7;
		size_t i = get16(in) % (w->n_dgrams + 1);
		size_t j = get16(in) % (w->n_dgrams + 1);
		bool have = i < w->n_dgrams;

		switch (op) {
		case 0:
			if (have)
				drop_dgram(w, i);
			break;
		case 1:
			if (have && w->n_dgrams < DGRAMS_MAX) {
				struct buf copy = { 0 };

				buf_put(&copy, w->dgrams[i].p, w->dgrams[i].len);
				add_dgram(w, j, copy.p, copy.len);
				buf_free(&copy);
			}
			break;
		case 2:
			if (have && j < w->n_dgrams) {
				struct buf t = w->dgrams[i];

				w->dgrams[i] = w->dgrams[j];
				w->dgrams[j] = t;
			}
			break;
		case 3: {
			size_t at = get16(in);
			unsigned mask = get8(in);

			if (have && w->dgrams[i].len)
				w->dgrams[i].p[at % w->dgrams[i].len] ^= (unsigned char)(mask ? mask : 1);
			break;
		}
		case 4: {
			size_t len = get16(in);

			if (have)
				w->dgrams[i].len = len % (w->dgrams[i].len + 1);
			break;
		}
		case 5: {
			size_t len = get16(in) % (in->n + 1);

			if (w->n_dgrams < DGRAMS_MAX)
				add_dgram(w, i, in->p, len);
			in->p += len;
			in->n -= len;
			break;
		}
		case 6: {
			size_t len = get16(in) % 2048;
			uint64_t seed = get8(in);
			unsigned char *p = xmalloc(len);

			for (size_t k = 0; k < len; k++)
				p[k] = (unsigned char)rng(&seed);
			if (w->n_dgrams < DGRAMS_MAX)
				add_dgram(w, i, p, len);
			free(p);
			break;
		}
		default:
			for (size_t a = i < j ? i : j, b = i < j ? j : i; a + 1 < b; a++, b--) {
				struct buf t = w->dgrams[a];

				w->dgrams[a] = w->dgrams[b - 1];
				w->dgrams[b - 1] = t;
			}
			break;
		}
	}
}

static void run_structured(struct input in, bool sealed)
{
	unsigned flags = get8(&in), windows = get8(&in);
	size_t len = get16(&in) % (DATA_MAX + 1);
	unsigned pattern = get8(&in);
	unsigned fs_hi = get8(&in), fs_lo = get8(&in);
	unsigned every = get8(&in);
	uint32_t seed = get32(&in);
	unsigned shape = get8(&in);
	size_t frame_size = fs_hi < 128
		? frame_size_choice[fs_hi % (sizeof(frame_size_choice) / sizeof(*frame_size_choice))]
		: 1 + ((fs_hi << 8 | fs_lo) & 0x7fff) % 4096;
	struct orig orig[2];
	struct fset set = { 0 };
	struct sent w = { .dgram = flags & 4 };
	int n_orig = flags & 16 ? 2 : 1;

	if (len > (size_t)DATA_FRAMES_MAX * frame_size)
		len = (size_t)DATA_FRAMES_MAX * frame_size;
	for (int i = 0; i < n_orig; i++) {
		struct orig *o = &orig[i];
		size_t name_len = (pattern >> 3) * 8;

		*o = (struct orig){ .session = seed + (uint32_t)i * 0x9e3779b9u,
				    .len = i ? len / 2 + 1 : len, .sealed = sealed };
		o->data = xmalloc(o->len);
		gen_data(o->data, o->len, pattern + (unsigned)i, seed + (uint64_t)i);
		o->meta.total = flags & 32 ? o->len : TP_FRAME_TOTAL_UNKNOWN;
		o->meta.frame_size = (uint32_t)frame_size;
		o->meta.repeat = (uint16_t)i;
		if (flags & 128) {
			/* --fec: small codes, so that a few kilobytes make several blocks. */
			o->meta.fec_k = (uint16_t)(1 + fs_lo % 8);
			o->meta.fec_m = (uint16_t)(1 + (fs_lo >> 3) % 4);
			o->meta.fec_depth = (uint16_t)(1 + (fs_lo >> 5) % 3);
		}
		for (size_t k = 0; k < name_len; k++)
			o->meta.name[k] = (char)('a' + (k + i) % 26);
		send_orig(&w, o, &set, frame_size, 1 + (every & 31), 1000 * (every >> 5),
			  flags & 64, seed ^ 0x5a5a5a5au ^ (uint64_t)i << 32);
	}

	/* What it was before the damage: untouched, it must come through COMPLETE. */
	struct sent clean = { .dgram = w.dgram };

	if (w.dgram) {
		for (size_t i = 0; i < w.n_dgrams; i++)
			add_dgram(&clean, i, w.dgrams[i].p, w.dgrams[i].len);
		damage_dgrams(&w, &in);
	} else {
		buf_put(&clean.stream, w.stream.p, w.stream.len);
		damage_stream(&w.stream, &in);
	}

	bool intact = w.dgram ? w.n_dgrams == clean.n_dgrams : w.stream.len == clean.stream.len;

	if (intact && w.dgram) {
		for (size_t i = 0; i < w.n_dgrams && intact; i++)
			intact = w.dgrams[i].len == clean.dgrams[i].len &&
				 memcmp(w.dgrams[i].p, clean.dgrams[i].p, w.dgrams[i].len) == 0;
	} else if (intact) {
		intact = memcmp(w.stream.p, clean.stream.p, w.stream.len) == 0;
	}
	sent_free(&clean);

	struct fuzz z;

	fuzz_init(&z, (enum tp_gap_policy)((flags & 3) % 3), flags & 8, windows,
		  (seed >> 8) % (len + 1));
	if (sealed)
		fuzz_seal(&z);
	z.orig = orig;
	z.n_orig = n_orig;
	z.sent = &set;
	struct fset wire = { 0 };

	if (w.dgram) {
		for (size_t i = 0; i < w.n_dgrams; i++)
			wire_dgram(&wire, w.dgrams[i].p, w.dgrams[i].len);
	} else {
		wire_stream(&wire, w.stream.p, w.stream.len);
	}
	z.wire = &wire;
	if (w.dgram) {
		for (size_t i = 0; i < w.n_dgrams; i++) {
			if (!feed_datagram(&z, w.dgrams[i].p, w.dgrams[i].len))
				break;
		}
	} else if (feed_stream(&z, w.stream.p, w.stream.len, shape, seed, 1)) {
		intact = false; /* an input ended inside a frame, maybe */
	}
	fuzz_finish(&z);
	if (intact && !z.emit_failed) {
		CHECK(!z.forged, "a frame the framer did not make, from an undamaged stream");
		CHECK(z.verdict == TP_TRACK_COMPLETE, "an undamaged stream did not come through "
		      "COMPLETE (%d)", z.verdict);
	}
	fuzz_free(&z);
	fset_free(&wire);
	for (int i = 0; i < n_orig; i++) {
		free(orig[i].data);
		free(orig[i].data_off);
	}
	fset_free(&set);
	sent_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	if (size == 0)
		return 0;
	unsigned mode = get8(&in);

	use_xchacha = mode & 4;
	if (mode & 1)
		run_structured(in, mode & 2);
	else
		run_raw(in);
	return 0;
}

/* ---- a starting corpus (TP_FUZZ_SEEDS=DIR) ---- */

static void write_seed(const char *dir, const char *name, const struct buf *b)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);

	FILE *f = fopen(path, "wb");

	if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* The first byte of structured seeds: 1, or 3 for sealed runs. */
static unsigned seed_mode = 1;

static void structured_seed(const char *dir, const char *name, unsigned flags,
			    unsigned windows, unsigned len, unsigned pattern, unsigned fs_index,
			    unsigned every, uint32_t seed, unsigned shape, const void *ops,
			    size_t ops_len)
{
	unsigned char h[14] = {
		(unsigned char)seed_mode, (unsigned char)flags, (unsigned char)windows, (unsigned char)len,
		(unsigned char)(len >> 8), (unsigned char)pattern, (unsigned char)fs_index,
		(unsigned char)(seed >> 3), /* (the --fec code, when flags & 128) */
		(unsigned char)every, (unsigned char)seed, (unsigned char)(seed >> 8),
		(unsigned char)(seed >> 16), (unsigned char)(seed >> 24), (unsigned char)shape,
	};
	struct buf b = { 0 };

	buf_put(&b, h, sizeof(h));
	buf_put(&b, ops, ops_len);
	write_seed(dir, name, &b);
	buf_free(&b);
}

/* Raw seeds from the framer: a stream, and the same frames as length-prefixed datagrams. */
static void raw_seeds(const char *dir, int n, unsigned flags, size_t len, size_t frame_size,
		      unsigned pattern)
{
	struct orig o = { .session = 0x1234567u + (uint32_t)n, .len = len };
	struct fset set = { 0 };

	o.data = xmalloc(len);
	gen_data(o.data, len, pattern, (uint64_t)n);
	o.meta.total = len;
	o.meta.frame_size = (uint32_t)frame_size;
	snprintf(o.meta.name, sizeof(o.meta.name), "seed%d", n);
	for (int dgram = 0; dgram < 2; dgram++) {
		struct sent w = { .dgram = dgram };
		unsigned char h[5] = { 0, (unsigned char)(flags | (dgram ? 4 : 0)), 0x3f, 0x0c, 7 };
		struct buf b = { 0 };
		char name[64];

		send_orig(&w, &o, &set, frame_size, 4, 0, false, (uint64_t)n);
		free(o.data_off);
		buf_put(&b, h, sizeof(h));
		if (dgram) {
			for (size_t i = 0; i < w.n_dgrams; i++) {
				unsigned char l[2] = { (unsigned char)w.dgrams[i].len,
						       (unsigned char)(w.dgrams[i].len >> 8) };

				buf_put(&b, l, 2);
				buf_put(&b, w.dgrams[i].p, w.dgrams[i].len);
			}
		} else {
			buf_put(&b, w.stream.p, w.stream.len);
		}
		snprintf(name, sizeof(name), "raw-%s-%d", dgram ? "dgram" : "stream", n);
		write_seed(dir, name, &b);
		buf_free(&b);
		sent_free(&w);
	}
	free(o.data);
	fset_free(&set);
}

/* Hand-made frames for raw seeds, as a stream and as datagrams: the odd cases a fuzzer would
 * take long to reach through the CRC (empty, overlapping, far-off and overflowing DATA, END
 * with an unknown or zero total, payloads that do not parse, new and old sessions). */
struct craft {
	struct buf stream, dgrams;
};

static void craft_raw(struct craft *c, const unsigned char *raw, size_t len)
{
	unsigned char l[2] = { (unsigned char)len, (unsigned char)(len >> 8) };
	unsigned char *enc = xmalloc(tp_cobs_max_encoded(len) + 2);
	size_t n = tp_cobs_encode(enc + 1, raw, len);

	enc[0] = enc[n + 1] = 0;
	buf_put(&c->stream, enc, n + 2);
	free(enc);
	buf_put(&c->dgrams, l, 2);
	buf_put(&c->dgrams, raw, len);
}

static void craft(struct craft *c, unsigned type, uint8_t flags, uint32_t session, uint64_t offset,
		  uint32_t seq, const void *payload, size_t len)
{
	unsigned char *raw = xmalloc(tp_frame_size(len));
	struct tp_frame f = { .type = (enum tp_frame_type)type, .flags = flags, .session = session,
			      .offset = offset, .seq = seq, .len = (uint32_t)len };

	memcpy(raw + TP_FRAME_HDR_SIZE, payload, len);
	craft_raw(c, raw, tp_frame_seal(raw, &f));
	free(raw);
}

static void craft_end(struct craft *c, uint32_t session, uint64_t total, const void *data,
		      uint32_t frames)
{
	unsigned char p[TP_FRAME_END_SIZE];
	struct tp_frame_end e = { total, data ? tp_crc32c(0, data, (size_t)total) : 0, frames };

	tp_frame_end_encode(p, sizeof(p), &e);
	craft(c, TP_FRAME_END, 0, session, total == UINT64_MAX ? 0 : total, frames, p, sizeof(p));
}

static void crafted_seeds(const char *dir)
{
	struct craft c = { 0 };
	unsigned char meta[16 + 8];
	struct tp_frame_meta m = { .total = 10, .frame_size = 5, .repeat = 1 };

	snprintf(m.name, sizeof(m.name), "crafted");
	size_t meta_len = tp_frame_meta_encode(meta, sizeof(meta), &m);

	/* Session 1: an empty DATA frame between two, then overlapping copies. */
	craft(&c, TP_FRAME_META, 0, 1, 0, 0, meta, meta_len);
	craft(&c, TP_FRAME_DATA, 0, 1, 0, 0, "hello", 5);
	craft(&c, TP_FRAME_DATA, 0, 1, 5, 1, "", 0);
	craft(&c, TP_FRAME_DATA, 0, 1, 7, 3, "rld", 3);
	craft(&c, TP_FRAME_DATA, 0x80, 1, 5, 2, "wo", 2);
	craft(&c, TP_FRAME_DATA, 0, 1, 3, 1, "lowor", 5);
	craft_end(&c, 1, 12, "helloworld!?", 5); /* two bytes never come: on to the rest */
	/* Payloads that do not parse, a type and a version we do not know, a broken COBS code. */
	craft(&c, TP_FRAME_META, 0, 2, 0, 0, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xff\xff", 16);
	craft(&c, TP_FRAME_END, 0, 2, 0, 0, "short", 5);
	craft(&c, 4, 0, 2, 0, 0, "x", 1);
	craft_raw(&c, (const unsigned char *)"TP\x21\0\2\0\0\0", 8);
	buf_put(&c.stream, "\0\x05TP\x11\x7f\0", 7);
	/* Session 2: far off, then past 2^64, END of unknown total; session 1 again (stale);
	 * session 3; END with a zero total. */
	craft(&c, TP_FRAME_DATA, 0, 2, 0, 0, "abc", 3);
	craft(&c, TP_FRAME_DATA, 0, 2, (uint64_t)1 << 40, 9, "far", 3);
	craft(&c, TP_FRAME_DATA, 0, 2, UINT64_MAX - 1, 10, "over", 4);
	craft_end(&c, 2, UINT64_MAX, NULL, 11);
	craft(&c, TP_FRAME_DATA, 0, 1, 0, 0, "hello", 5);
	craft(&c, TP_FRAME_DATA, 0, 3, 4, 1, "late", 4);
	craft_end(&c, 3, 0, NULL, 0);
	craft(&c, TP_FRAME_DATA, 0, 3, 0, 0, "zero", 4);

	static const unsigned char flags[] = { 0x00, 0x01, 0x02, 0x09, 0x0a };

	for (size_t i = 0; i < sizeof(flags); i++) {
		for (int dgram = 0; dgram < 2; dgram++) {
			unsigned char h[5] = { 0, (unsigned char)(flags[i] | (dgram ? 4 : 0)),
					       (unsigned char)(i * 9), 0x04, (unsigned char)i };
			struct buf b = { 0 };
			char name[64];

			buf_put(&b, h, sizeof(h));
			if (dgram)
				buf_put(&b, c.dgrams.p, c.dgrams.len);
			else
				buf_put(&b, c.stream.p, c.stream.len);
			snprintf(name, sizeof(name), "raw-crafted-%s-%zu", dgram ? "dgram" : "stream", i);
			write_seed(dir, name, &b);
			buf_free(&b);
		}
	}
	buf_free(&c.stream);
	buf_free(&c.dgrams);

	/* All there, but END's digest is not that of the data: never COMPLETE. */
	struct craft d = { 0 };
	unsigned char end[TP_FRAME_END_SIZE];

	tp_frame_end_encode(end, sizeof(end), &(struct tp_frame_end){ 3, 0x12345678, 1 });
	craft(&d, TP_FRAME_DATA, 0, 5, 0, 0, "abc", 3);
	craft(&d, TP_FRAME_END, 0, 5, 3, 1, end, sizeof(end));
	for (int dgram = 0; dgram < 2; dgram++) {
		unsigned char h[5] = { 0, (unsigned char)(dgram ? 5 : 1), 0x3f, 0x04, 0 };
		struct buf b = { 0 };

		buf_put(&b, h, sizeof(h));
		if (dgram)
			buf_put(&b, d.dgrams.p, d.dgrams.len);
		else
			buf_put(&b, d.stream.p, d.stream.len);
		write_seed(dir, dgram ? "raw-digest-dgram" : "raw-digest-stream", &b);
		buf_free(&b);
	}
	buf_free(&d.stream);
	buf_free(&d.dgrams);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("TP_FUZZ_SEEDS");

	(void)argc;
	(void)argv;
	debug = getenv("TP_FUZZ_DEBUG") != NULL;
	if (!dir || !*dir)
		return 0;

	/* Undamaged streams under each policy and mode; then a few of each kind of damage. */
	static const unsigned char flip[] = { 0, 0x40, 0, 0, 0x10 };
	static const unsigned char del[] = { 1, 0x20, 0x01, 0, 0x80, 0 };
	static const unsigned char ins[] = { 2, 0x00, 0x02, 0, 5, 'T', 'P', 0, 1, 2 };
	static const unsigned char garbage[] = { 3, 0x10, 0, 0, 0x00, 0x01, 9, 20 };
	static const unsigned char dup[] = { 4, 0x00, 0x01, 0, 0x00, 0x02, 0x00, 0x03, 0 };
	static const unsigned char move[] = { 5, 0x00, 0x01, 0, 0x00, 0x02, 0x00, 0x04, 0 };
	static const unsigned char cut[] = { 6, 0x00, 0x05, 0 };
	static const unsigned char zero[] = { 7, 0x80, 0x01, 0, 1, 7, 0x90, 0x01, 0, 0 };
	static const unsigned char d_drop[] = { 0, 5, 0, 0, 0 };
	static const unsigned char d_copy[] = { 1, 6, 0, 40, 0 };
	static const unsigned char d_swap[] = { 2, 5, 0, 9, 0, 2, 12, 0, 4, 0 };
	static const unsigned char d_flip[] = { 3, 6, 0, 0, 0, 30, 0, 0x08 };
	static const unsigned char d_mix[] = { 0, 4, 0, 0, 0, 1, 8, 0, 3, 0, 7, 2, 0, 20, 0,
					       6, 3, 0, 0, 0, 100, 0, 1 };
	struct {
		const char *name;
		unsigned flags;
		const unsigned char *ops;
		size_t len;
	} s[] = {
		{ "s-stop", 0x20, NULL, 0 },       { "s-skip", 0x01, NULL, 0 },
		{ "s-zero", 0x22, NULL, 0 },       { "s-two", 0x31, NULL, 0 },
		{ "d-stop", 0x24, NULL, 0 },       { "d-zero", 0x06, NULL, 0 },
		{ "d-two", 0x3d, NULL, 0 },        { "s-flip", 0x01, flip, sizeof(flip) },
		{ "s-del", 0x02, del, sizeof(del) }, { "s-ins", 0x21, ins, sizeof(ins) },
		{ "s-garbage", 0x02, garbage, sizeof(garbage) },
		{ "s-dup", 0x01, dup, sizeof(dup) }, { "s-move", 0x22, move, sizeof(move) },
		{ "s-cut", 0x02, cut, sizeof(cut) }, { "s-zero-byte", 0x11, zero, sizeof(zero) },
		{ "d-drop", 0x05, d_drop, sizeof(d_drop) },
		{ "d-copy", 0x26, d_copy, sizeof(d_copy) },
		{ "d-swap", 0x05, d_swap, sizeof(d_swap) },
		{ "d-flip", 0x06, d_flip, sizeof(d_flip) },
		{ "d-mix", 0x15, d_mix, sizeof(d_mix) },
		/* --fec: lost datagrams rebuilt, a stream cut and spliced. */
		{ "f-s-stop", 0xa0, NULL, 0 },     { "f-d-drop", 0x85, d_drop, sizeof(d_drop) },
		{ "f-d-mix", 0x95, d_mix, sizeof(d_mix) }, { "f-s-del", 0x82, del, sizeof(del) },
		{ "f-d-swap", 0xa5, d_swap, sizeof(d_swap) },
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(*s); i++) {
		/* Frame sizes and patterns vary with i; windows small for some. */
		structured_seed(dir, s[i].name, s[i].flags, i % 3 ? 0x3f : 0x09,
				(unsigned)(300 + 397 * i), (unsigned)i, (unsigned)(i * 5),
				(unsigned)(3 + i), 0xc0ffee00u + (uint32_t)i,
				(unsigned)(0x08 + (i & 7)), s[i].ops, s[i].len);
	}
	/* Sealed: the same runs under the harness's key (some of them). */
	seed_mode = 3;
	for (size_t i = 0; i < sizeof(s) / sizeof(*s); i += 3) {
		char name[64];

		snprintf(name, sizeof(name), "k-%s", s[i].name);
		structured_seed(dir, name, s[i].flags, 0x3f, (unsigned)(300 + 397 * i), (unsigned)i,
				(unsigned)(i * 5), (unsigned)(3 + i), 0xc0ffee00u + (uint32_t)i,
				(unsigned)(0x08 + (i & 7)), s[i].ops, s[i].len);
	}
	seed_mode = 1;
	/* A candidate segment longer than any frame, then frames: each piece fed to 3 MiB. */
	struct buf b = { 0 };
	unsigned char h[5] = { 0, 0x71, 0x3f, 0x0a, 3 };

	buf_put(&b, h, sizeof(h));
	buf_put(&b, "\0\xffTP", 4);
	for (int i = 0; i < 3000; i++)
		buf_put(&b, "x", 1);
	buf_put(&b, "\0", 1);
	write_seed(dir, "raw-long", &b);
	buf_free(&b);
	crafted_seeds(dir);
	raw_seeds(dir, 0, 0x01, 1000, 100, 0);
	raw_seeds(dir, 1, 0x02, 600, 254, 3);
	raw_seeds(dir, 2, 0x00, 40, 3, 1);
	exit(0);
}
