#include "config.h"
#include "track.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "crc.h"
#include "track_rules.h"

/* What --on-gap=zero writes, a piece at a time. */
static const unsigned char zeros[64 * 1024];

/* digest_ok is only ever set on the way to COMPLETE, so it tells the two end states apart
 * without another field (an emit error also ends as STOPPED). */
static int result(const struct tp_track *t)
{
	return t->stats->digest_ok ? TP_TRACK_COMPLETE : TP_TRACK_STOPPED;
}

static void drop_held(struct tp_track *t)
{
	for (size_t i = 0; i < t->n_held; i++)
		free(t->held[i].data);
	t->n_held = 0;
	t->held_bytes = 0;
}

/* Ends the tracker: held data can never be emitted now. */
static int stop(struct tp_track *t, int rc)
{
	t->stopped = true;
	drop_held(t);
	return rc;
}

static int emit(struct tp_track *t, const unsigned char *p, size_t n)
{
	if (n == 0)
		return 0;
	/* Before emit: p may lie in the output's chunk, handed on with the bytes. */
	uint32_t digest = tp_crc32c(t->digest, p, n);
	ssize_t took = t->ops->emit(t->ctx, p, n);
	if (took < 0)
		return (int)took;
	assert((size_t)took <= n);
	t->stats->bytes_out += (size_t)took;
	if ((size_t)took < n)
		return -ECANCELED; /* stopped: the digest is never compared now */
	t->digest = digest;
	return 0;
}

/* Zeros stand in for lost bytes; they are neither verified output nor part of the digest. */
static int emit_zeros(struct tp_track *t, uint64_t n)
{
	while (n > 0) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);
		ssize_t took = t->ops->emit(t->ctx, zeros, k);
		if (took < 0)
			return (int)took;
		assert((size_t)took <= k);
		t->stats->zero_bytes += (size_t)took;
		if ((size_t)took < k)
			return -ECANCELED;
		n -= k;
	}
	return 0;
}

/* Declares [offset, offset + bytes) missing for good; DATA seqs first .. end - 1 went with it
 * (end <= first: which frames is not known). bytes is UINT64_MAX when the end is unknown. */
static void declare(struct tp_track *t, uint64_t offset, uint64_t bytes, uint64_t first,
		    uint64_t end)
{
	struct tp_track_loss loss = {
		.first_seq = UINT32_MAX,
		.last_seq = 0,
		.offset = offset,
		.bytes = bytes,
	};

	if (end > first) {
		loss.first_seq = (uint32_t)first;
		loss.last_seq = (uint32_t)(end - 1);
		t->stats->lost_frames += end - first;
	}
	if (bytes != UINT64_MAX)
		t->stats->lost_bytes += bytes;
	t->stats->gaps++;
	t->gap_seen = true;
	if (t->ops->lost)
		t->ops->lost(t->ctx, &loss);
}

/* Moves past a declared gap (SKIP, or ZERO with its zeros) to offset, where seq starts. */
static int skip_to(struct tp_track *t, uint64_t offset, uint32_t seq)
{
	if (offset <= t->next_offset)
		return 0;
	if (t->policy == TP_GAP_ZERO) {
		int rc = emit_zeros(t, offset - t->next_offset);

		if (rc < 0)
			return rc;
	}
	t->next_offset = offset;
	t->next_seq = seq;
	return 0;
}

static void remember(struct tp_track *t, uint32_t seq, uint32_t crc)
{
	struct tp_track_past *p = &t->past[seq % t->n_past];

	*p = (struct tp_track_past){ .seq = seq, .crc = crc, .set = true };
}

/* Emits what a frame starting at or before next_offset adds past it: all of it (the rules
 * let no frame overlap what was emitted, nor be empty). */
static int take(struct tp_track *t, uint64_t offset, uint32_t seq, uint32_t crc,
		const unsigned char *p, uint32_t len)
{
	uint64_t end = offset + len;

	remember(t, seq, crc);
	if (end > t->next_offset) {
		int rc = emit(t, p + (t->next_offset - offset), (size_t)(end - t->next_offset));

		if (rc < 0)
			return rc;
		t->next_offset = end;
		t->next_seq = seq + 1;
	}
	return 0;
}

/* Emits the held frames that next_offset has reached, lowest offset first. */
static int flush(struct tp_track *t)
{
	size_t i = 0;
	int rc = 0;

	while (i < t->n_held && t->held[i].offset <= t->next_offset) {
		struct tp_track_slot *s = &t->held[i++];

		rc = take(t, s->offset, s->seq, s->crc, s->data, s->len);
		t->held_bytes -= s->len;
		free(s->data);
		if (rc < 0)
			break;
	}
	if (i > 0) {
		t->n_held -= i;
		memmove(t->held, t->held + i, t->n_held * sizeof(*t->held));
	}
	return rc;
}

/* Held frame i, as the frame it came in (for the rules). */
static struct tp_frame held_frame(const struct tp_track *t, size_t i)
{
	const struct tp_track_slot *s = &t->held[i];

	return (struct tp_frame){ .type = TP_FRAME_DATA, .session = t->session, .offset = s->offset,
				  .seq = s->seq, .len = s->len, .payload = s->data, .crc = s->crc,
				  .epoch = t->epoch };
}

/* Drops held frame i. */
static void unhold(struct tp_track *t, size_t i)
{
	free(t->held[i].data);
	t->held_bytes -= t->held[i].len;
	t->n_held--;
	memmove(t->held + i, t->held + i + 1, (t->n_held - i) * sizeof(*t->held));
}

static int hold(struct tp_track *t, const struct tp_frame *f, size_t at)
{
	if (t->n_held == t->cap_held) {
		size_t cap = t->cap_held ? 2 * t->cap_held : 16;
		struct tp_track_slot *held = realloc(t->held, cap * sizeof(*held));
		if (!held)
			return -ENOMEM;
		t->held = held;
		t->cap_held = cap;
	}
	unsigned char *copy = malloc(f->len ? f->len : 1);
	if (!copy)
		return -ENOMEM;
	if (f->len)
		memcpy(copy, f->payload, f->len);
	memmove(t->held + at + 1, t->held + at, (t->n_held - at) * sizeof(*t->held));
	t->held[at] = (struct tp_track_slot){
		.offset = f->offset, .seq = f->seq, .len = f->len, .crc = f->crc, .data = copy,
	};
	t->n_held++;
	t->held_bytes += f->len;
	return 0;
}

/* Whether f may wait among the held frames without passing either bound. */
static bool fits(const struct tp_track *t, const struct tp_frame *f)
{
	if ((uint64_t)t->held_bytes + f->len > t->window_bytes)
		return false;
	return f->seq < t->next_seq || f->seq - t->next_seq < t->window_frames;
}

/* Something else is about to be emitted while f is still to be used: its payload may lie
 * where emit writes (track.h), so it is copied to t->aside and *copy points there. Returns
 * the frame to go on with, or NULL for -ENOMEM. */
static const struct tp_frame *set_aside(struct tp_track *t, const struct tp_frame *f,
					struct tp_frame *copy)
{
	if (f->payload == t->aside || f->len == 0)
		return f;
	if (f->len > t->aside_cap) {
		unsigned char *p = realloc(t->aside, f->len);
		if (!p)
			return NULL;
		t->aside = p;
		t->aside_cap = f->len;
	}
	memcpy(t->aside, f->payload, f->len);
	*copy = *f;
	copy->payload = t->aside;
	return copy;
}

static int on_data(struct tp_track *t, const struct tp_frame *f)
{
	int kind = tp_track_check_data(t, f);
	struct tp_frame copy;

	if (kind == TP_TRACK_DATA_REFUSED)
		return 0;
	if (kind == TP_TRACK_DATA_COPY) {
		t->stats->duplicates++;
		return 0;
	}
	/* Gaps to declare first, with zeros or held frames emitted before f is held or taken. */
	if (f->offset > t->next_offset && !fits(t, f) && !(f = set_aside(t, f, &copy)))
		return -ENOMEM;
	/* Too far ahead to wait for what is missing before it: the oldest gap is lost for good,
	 * then the next, until f fits or is next in line; but never a gap up to a frame past
	 * META's total, which is refused instead. */
	while (f->offset > t->next_offset && !fits(t, f)) {
		uint64_t to = t->n_held ? t->held[0].offset : f->offset;
		uint32_t seq = t->n_held ? t->held[0].seq : f->seq;
		int rc;

		if (t->n_held) {
			struct tp_frame h = held_frame(t, 0);
			if (!tp_track_gap_allowed(t, &h)) {
				unhold(t, 0);
				continue;
			}
		} else if (!tp_track_gap_allowed(t, f)) {
			return 0;
		}

		declare(t, t->next_offset, to - t->next_offset, t->next_seq, seq);
		if (t->policy == TP_GAP_STOP)
			return stop(t, TP_TRACK_STOPPED);
		rc = skip_to(t, to, seq);
		if (rc == 0)
			rc = flush(t);
		if (rc < 0)
			return rc;
	}

	if (f->len > t->max_len)
		t->max_len = f->len;
	if (t->any_data && f->seq < t->max_seq)
		t->stats->reordered++;
	if (!t->any_data || f->seq > t->max_seq)
		t->max_seq = f->seq;
	t->any_data = true;
	if (f->offset > t->next_offset)
		return hold(t, f, tp_track_held_after(t, f->offset));

	int rc = take(t, f->offset, f->seq, f->crc, f->payload, f->len);

	return rc < 0 ? rc : flush(t);
}

static void on_meta(struct tp_track *t, const struct tp_frame *f)
{
	struct tp_frame_meta m;

	if (tp_frame_meta_decode(f->payload, f->len, &m) != 0 || !tp_track_meta_agrees(t, f, &m) ||
	    t->meta_seen)
		return; /* (a payload that does not decode: tp_frame_open refuses such a frame) */
	t->meta_seen = true;
	t->meta = m;
	/* END's total is the one that counts once it is known. */
	if (!t->stats->end_seen && m.total != TP_FRAME_TOTAL_UNKNOWN)
		t->stats->total = m.total;
	if (t->ops->meta)
		t->ops->meta(t->ctx, &m);
}

static void on_end(struct tp_track *t, const struct tp_frame *f)
{
	struct tp_frame_end e;

	if (tp_frame_end_decode(f->payload, f->len, &e) != 0 || !tp_track_end_agrees(t, f, &e) ||
	    t->stats->end_seen)
		return; /* the first END stands; its copies say the same */
	t->stats->end_seen = true;
	t->end = e;
	t->stats->total = e.total;
}

/* Done once END's total is reached: complete only if every byte was verified. */
static int check_end(struct tp_track *t)
{
	if (!t->stats->end_seen || t->next_offset < t->end.total)
		return TP_TRACK_MORE;
	t->stats->digest_ok = !t->gap_seen && t->next_offset == t->end.total &&
			      t->digest == t->end.digest;
	return stop(t, result(t));
}

/* The session gets nothing more: declares every gap left (between held frames, and the tail
 * up to END's total, or of unknown length without END) and emits what the policy allows. */
static int close_session(struct tp_track *t)
{
	bool emitting = t->policy != TP_GAP_STOP;
	uint64_t pos = t->next_offset;
	uint64_t seq = t->next_seq;
	int rc = 0;

	for (size_t i = 0; i < t->n_held && rc == 0; i++) {
		const struct tp_track_slot *s = &t->held[i];

		if (s->offset > pos) {
			struct tp_frame h = held_frame(t, i);
			if (!tp_track_gap_allowed(t, &h))
				continue; /* dropped with the rest below */
			declare(t, pos, s->offset - pos, seq, s->seq);
			if (emitting)
				rc = skip_to(t, s->offset, s->seq);
			pos = s->offset;
			seq = s->seq;
		}
		if (rc == 0 && s->offset + s->len > pos) {
			if (emitting)
				rc = take(t, s->offset, s->seq, s->crc, s->data, s->len);
			pos = s->offset + s->len;
			seq = (uint64_t)s->seq + 1;
		}
	}
	drop_held(t);
	if (rc < 0)
		return rc;

	if (!t->stats->end_seen) {
		declare(t, pos, UINT64_MAX, seq, 0);
	} else if (t->end.total == TP_FRAME_TOTAL_UNKNOWN) {
		declare(t, pos, UINT64_MAX, seq, t->end.frames);
	} else if (pos < t->end.total) {
		declare(t, pos, t->end.total - pos, seq, t->end.frames);
		if (emitting)
			rc = skip_to(t, t->end.total, t->end.frames);
	}
	return rc;
}

static void reset_session(struct tp_track *t, const struct tp_frame *f);

/* A new session (f's): the one before is over, and whatever it lacks is lost. */
static int restart(struct tp_track *t, const struct tp_frame *f)
{
	int rc = close_session(t);

	if (rc < 0)
		return rc;
	t->stats->restarts++;
	if (t->ops->restart)
		t->ops->restart(t->ctx, t->session, f->session);
	if (t->policy == TP_GAP_STOP)
		return stop(t, TP_TRACK_STOPPED);
	reset_session(t, f);
	return TP_TRACK_MORE;
}

/* Forgets the current session for f's: what it had is dropped, its late frames are stale. */
static void reset_session(struct tp_track *t, const struct tp_frame *f)
{
	drop_held(t);
	t->have_retired = true;
	t->retired = t->session;
	t->retired_epoch = t->epoch;
	t->session = f->session;
	t->epoch = f->epoch;
	t->session_frames = 0;
	t->begun = false;
	t->quiet = false;
	t->next_offset = 0;
	t->next_seq = 0;
	t->max_seq = 0;
	t->any_data = false;
	t->meta_seen = false;
	t->max_len = 0;
	memset(t->past, 0, t->n_past * sizeof(*t->past));
	memset(&t->end, 0, sizeof(t->end));
	t->digest = 0;
	t->stats->end_seen = false;
	t->stats->digest_ok = false;
	t->stats->total = TP_FRAME_TOTAL_UNKNOWN;
}

/* Whether f shows its session's beginning: its META, or its first data. */
static bool shows_start(const struct tp_frame *f)
{
	return f->type == TP_FRAME_META || (f->type == TP_FRAME_DATA && f->offset == 0);
}

/* A frame of another session than the current one, which is not over. Once the current
 * session has written data, another may take over only when it has ended (its END) or gone
 * quiet (tp_track_quiet): a stray or forged frame must not cut a live transfer short. Before
 * that, a session gives way to one that shows its beginning (the current one may be a frame
 * left over from an earlier run, say), or to any once it is quiet, and nothing is lost: it
 * wrote nothing.
 * Returns 1 to go on with f in the new session, 0 when f was ignored, or what restart says. */
static int other_session(struct tp_track *t, const struct tp_frame *f)
{
	if (t->next_offset == 0) {
		if (!shows_start(f) && !t->quiet) {
			t->stats->other_session++;
			return 0;
		}
		t->stats->stray += t->session_frames;
		if (t->ops->gave_up)
			t->ops->gave_up(t->ctx, t->session, f->session);
		reset_session(t, f);
		return 1;
	}
	if (!t->stats->end_seen && !t->quiet) {
		t->stats->other_session++;
		return 0;
	}
	int rc = restart(t, f);

	return rc == TP_TRACK_MORE ? 1 : rc;
}

void tp_track_quiet(struct tp_track *t)
{
	t->quiet = true;
}

int tp_track_init(struct tp_track *t, const struct tp_track_ops *ops, void *ctx,
		  struct tp_rx_stats *stats, enum tp_gap_policy policy, size_t window_bytes,
		  uint32_t window_frames)
{
	if (!t || !ops || !ops->emit || !stats || (unsigned)policy > TP_GAP_ZERO)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->ctx = ctx;
	t->stats = stats;
	t->policy = policy;
	t->window_bytes = window_bytes;
	t->window_frames = window_frames;
	/* The copies that come late come within the window; more history than that, or than
	 * 16384 frames, tells nothing more. */
	t->n_past = window_frames < 64 ? 64 : window_frames > 16384 ? 16384 : window_frames;
	t->past = calloc(t->n_past, sizeof(*t->past));
	if (!t->past)
		return -ENOMEM;

	/* Only the tracker's half: the deframer may have counted already. */
	stats->duplicates = 0;
	stats->reordered = 0;
	stats->lost_frames = 0;
	stats->lost_bytes = 0;
	stats->gaps = 0;
	stats->zero_bytes = 0;
	stats->restarts = 0;
	stats->stale = 0;
	stats->other_session = 0;
	stats->stray = 0;
	stats->replayed = 0;
	memset(stats->conflicts, 0, sizeof(stats->conflicts));
	stats->after_end = 0;
	stats->bytes_out = 0;
	stats->end_seen = false;
	stats->digest_ok = false;
	stats->total = TP_FRAME_TOTAL_UNKNOWN;
	return 0;
}

void tp_track_destroy(struct tp_track *t)
{
	drop_held(t);
	free(t->held);
	t->held = NULL;
	t->cap_held = 0;
	free(t->past);
	t->past = NULL;
	free(t->aside);
	t->aside = NULL;
	t->aside_cap = 0;
}

/* Whether f is of the current session: its id, and (sealed) its sender's run. */
static bool of_session(const struct tp_track *t, const struct tp_frame *f)
{
	return f->session == t->session && f->epoch == t->epoch;
}

/* Whether f is a late frame of the session before. */
static bool of_retired(const struct tp_track *t, const struct tp_frame *f)
{
	return t->have_retired && f->session == t->retired && f->epoch == t->retired_epoch;
}

/* A frame after a complete stream: the sender's last copies (checked as ever, counted as
 * copies), or another stream behind it (`cat a.tpf b.tpf | tpipe -D`), counted and ignored. */
static void after_complete(struct tp_track *t, const struct tp_frame *f)
{
	if (!of_session(t, f)) {
		if (of_retired(t, f))
			t->stats->stale++;
		else
			t->stats->after_end++;
	} else if (f->type == TP_FRAME_END) {
		on_end(t, f); /* a copy, or an END that disagrees (refused and said) */
	} else if (f->type == TP_FRAME_DATA &&
		   tp_track_check_data(t, f) == TP_TRACK_DATA_COPY) {
		t->stats->duplicates++;
	}
}

int tp_track_frame(struct tp_track *t, const struct tp_frame *f)
{
	if (t->stopped) {
		if (t->stats->digest_ok)
			after_complete(t, f);
		return result(t);
	}

	int rc = 0;
	struct tp_frame copy;

	if (!t->locked) {
		t->locked = true;
		t->session = f->session;
		t->epoch = f->epoch;
	} else if (!of_session(t, f)) {
		if (of_retired(t, f)) {
			t->stats->stale++;
			return TP_TRACK_MORE;
		}
		/* Sealed: a run of the sender's that began before the current one (by its clock),
		 * or with it, is a replay of one recorded earlier: it never takes over. */
		if (t->epoch && f->epoch <= t->epoch) {
			t->stats->replayed++;
			return TP_TRACK_MORE;
		}
		/* The old session's held frames and zeros go out before f is looked at. */
		f = set_aside(t, f, &copy);
		rc = f ? other_session(t, f) : -ENOMEM;
		if (rc == 0)
			return TP_TRACK_MORE;
		if (rc == 1)
			rc = 0;
	}
	t->session_frames++;
	t->quiet = false;
	if (shows_start(f))
		t->begun = true;

	if (rc == 0) {
		switch (f->type) {
		case TP_FRAME_DATA:
			rc = on_data(t, f);
			break;
		case TP_FRAME_META:
			on_meta(t, f);
			break;
		case TP_FRAME_END:
			on_end(t, f);
			break;
		case TP_FRAME_PARITY:
			break; /* the repair layer's (fec_rx.h); it passes on what it rebuilds */
		}
	}
	if (rc < 0)
		return stop(t, rc);
	if (rc > 0)
		return rc;
	return check_end(t);
}

int tp_track_finish(struct tp_track *t)
{
	if (t->stopped)
		return result(t);
	if (!t->locked) {
		declare(t, 0, UINT64_MAX, 0, 0); /* nothing at all arrived */
		return stop(t, TP_TRACK_STOPPED);
	}

	int rc = close_session(t);

	if (rc < 0)
		return stop(t, rc);
	rc = check_end(t);
	return rc == TP_TRACK_MORE ? stop(t, TP_TRACK_STOPPED) : rc;
}

bool tp_track_waiting_at_end(const struct tp_track *t)
{
	return !t->stopped && t->stats->end_seen && t->next_offset < t->end.total;
}
