/* The tracker's rules (track_rules.h): what a frame must agree with to be taken. Pure. */
#include "config.h"
#include "track_rules.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

static const char *const conflict_names[TP_CONFLICT_N] = {
	[TP_CONFLICT_TOO_LONG] = "too_long",
	[TP_CONFLICT_PAST_TOTAL] = "past_total",
	[TP_CONFLICT_OUT_OF_LINE] = "out_of_line",
	[TP_CONFLICT_OVERLAP] = "overlap",
	[TP_CONFLICT_END] = "end",
	[TP_CONFLICT_META] = "meta",
};

const char *tp_track_conflict_name(enum tp_track_conflict c)
{
	return (unsigned)c < TP_CONFLICT_N ? conflict_names[c] : "unknown";
}

size_t tp_track_held_after(const struct tp_track *t, uint64_t offset)
{
	size_t lo = 0, hi = t->n_held;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->held[mid].offset <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Refuses a frame that contradicts what came before: counted and said, nothing else. */
static void refuse(struct tp_track *t, const struct tp_frame *f, enum tp_track_conflict why,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void refuse(struct tp_track *t, const struct tp_frame *f, enum tp_track_conflict why,
		   const char *fmt, ...)
{
	struct tp_track_refusal r = { .reason = why, .frame = f };
	va_list ap;

	t->stats->conflicts[why]++;
	if (!t->ops->refused)
		return;
	va_start(ap, fmt);
	vsnprintf(r.why, sizeof(r.why), fmt, ap);
	va_end(ap);
	t->ops->refused(t->ctx, &r);
}

/* The most payload one DATA frame may carry: META's frame size, once known. */
static uint64_t frame_bound(const struct tp_track *t)
{
	return t->meta_seen && t->meta.frame_size ? t->meta.frame_size : TP_FRAME_MAX_PAYLOAD;
}

/* Whether frame to_seq may start at to_off, given that frame from_seq starts at from_off
 * (from_seq <= to_seq, from_off <= to_off): the frames between carry at most `fs` each.
 * (2^32 frames of at most 2^20 bytes: the product fits 64 bits.) */
static bool reachable(uint64_t from_off, uint32_t from_seq, uint64_t to_off, uint32_t to_seq,
		      uint64_t fs)
{
	return to_off - from_off <= (uint64_t)(to_seq - from_seq) * fs;
}

/* Where the data received so far ends: emitted, or held (held frames do not overlap, so the
 * last by offset ends last). */
static uint64_t data_end(const struct tp_track *t)
{
	const struct tp_track_slot *last = t->n_held ? &t->held[t->n_held - 1] : NULL;

	return last && last->offset + last->len > t->next_offset ? last->offset + last->len
								  : t->next_offset;
}

int tp_track_check_data(struct tp_track *t, const struct tp_frame *f)
{
	uint64_t fs = frame_bound(t), end = f->offset + f->len;
	const struct tp_rx_stats *st = t->stats;

	if (f->len > fs) {
		refuse(t, f, TP_CONFLICT_TOO_LONG, "frame %" PRIu32 " carries %" PRIu32 " bytes, more "
		       "than META's frame size of %" PRIu64, f->seq, f->len, fs);
		return TP_TRACK_DATA_REFUSED;
	}
	if (f->offset > UINT64_MAX - f->len || f->seq == UINT32_MAX) {
		refuse(t, f, TP_CONFLICT_OUT_OF_LINE, "frame %" PRIu32 " is past any stream's end",
		       f->seq);
		return TP_TRACK_DATA_REFUSED;
	}
	/* A sender never sends a DATA frame without data; one would claim sequence numbers
	 * without carrying anything. */
	if (f->len == 0) {
		refuse(t, f, TP_CONFLICT_OUT_OF_LINE, "frame %" PRIu32 " carries no data", f->seq);
		return TP_TRACK_DATA_REFUSED;
	}
	if (st->end_seen && (end > t->end.total || f->seq >= t->end.frames)) {
		refuse(t, f, TP_CONFLICT_PAST_TOTAL, "frame %" PRIu32 " (bytes %" PRIu64 "-%" PRIu64
		       ") is past END's %" PRIu64 " bytes in %" PRIu32 " frames", f->seq, f->offset,
		       end, t->end.total, t->end.frames);
		return TP_TRACK_DATA_REFUSED;
	}
	if (f->seq < t->next_seq) { /* a copy of a frame already written, or a forgery */
		const struct tp_track_past *p = &t->past[f->seq % t->n_past];
		if (end > t->next_offset) {
			refuse(t, f, TP_CONFLICT_OUT_OF_LINE, "frame %" PRIu32 " (bytes %" PRIu64 "-%"
			       PRIu64 ") reaches past the %" PRIu64 " bytes frames 0-%" PRIu32 " carried",
			       f->seq, f->offset, end, t->next_offset, t->next_seq - 1);
			return TP_TRACK_DATA_REFUSED;
		}
		if (p->set && p->seq == f->seq && p->crc != f->crc) {
			refuse(t, f, TP_CONFLICT_OVERLAP, "frame %" PRIu32 " has other bytes than the "
			       "frame %" PRIu32 " already written", f->seq, f->seq);
			return TP_TRACK_DATA_REFUSED;
		}
		return TP_TRACK_DATA_COPY;
	}
	if (f->offset < t->next_offset ||
	    !reachable(t->next_offset, t->next_seq, f->offset, f->seq, fs)) {
		refuse(t, f, TP_CONFLICT_OUT_OF_LINE, "frame %" PRIu32 " at offset %" PRIu64 " cannot "
		       "follow frame %" PRIu32 " at offset %" PRIu64, f->seq, f->offset, t->next_seq,
		       t->next_offset);
		return TP_TRACK_DATA_REFUSED;
	}

	size_t at = tp_track_held_after(t, f->offset);
	const struct tp_track_slot *prev = at ? &t->held[at - 1] : NULL;
	const struct tp_track_slot *next = at < t->n_held ? &t->held[at] : NULL;

	if (prev && prev->seq == f->seq && prev->offset == f->offset && prev->crc == f->crc)
		return TP_TRACK_DATA_COPY;
	/* Frame seq + 1 starts where frame seq ends. */
	if (prev && (prev->seq >= f->seq || prev->offset + prev->len > f->offset ||
		     !reachable(prev->offset + prev->len, prev->seq + 1, f->offset, f->seq, fs)))
		next = prev;
	else if (!next || (next->seq > f->seq && end <= next->offset &&
			   reachable(end, f->seq + 1, next->offset, next->seq, fs)))
		return TP_TRACK_DATA_NEW;
	/* next is the held frame f disagrees with. */
	if (next->offset < end && f->offset < next->offset + next->len)
		refuse(t, f, TP_CONFLICT_OVERLAP, "frame %" PRIu32 " (bytes %" PRIu64 "-%" PRIu64
		       ") overlaps frame %" PRIu32 " (bytes %" PRIu64 "-%" PRIu64 ")", f->seq,
		       f->offset, end, next->seq, next->offset, next->offset + next->len);
	else
		refuse(t, f, TP_CONFLICT_OUT_OF_LINE, "frame %" PRIu32 " at offset %" PRIu64 " does "
		       "not fit beside frame %" PRIu32 " at offset %" PRIu64, f->seq, f->offset,
		       next->seq, next->offset);
	return TP_TRACK_DATA_REFUSED;
}

bool tp_track_meta_agrees(struct tp_track *t, const struct tp_frame *f,
			  const struct tp_frame_meta *m)
{
	if (t->meta_seen) { /* its copies say the same */
		if (m->total == t->meta.total && m->frame_size == t->meta.frame_size)
			return true;
		refuse(t, f, TP_CONFLICT_META, "a META says frames of %" PRIu32 " bytes, %" PRIu64
		       " in all; the first said %" PRIu32 ", %" PRIu64, m->frame_size, m->total,
		       t->meta.frame_size, t->meta.total);
		return false;
	}
	if (m->frame_size && m->frame_size < t->max_len) {
		refuse(t, f, TP_CONFLICT_META, "META says frames of %" PRIu32 " bytes, but one of %"
		       PRIu32 " arrived", m->frame_size, t->max_len);
		return false;
	}
	return true;
}

bool tp_track_gap_allowed(struct tp_track *t, const struct tp_frame *f)
{
	if (t->stats->end_seen || !t->meta_seen || t->meta.total == TP_FRAME_TOTAL_UNKNOWN ||
	    f->offset <= t->meta.total)
		return true;
	refuse(t, f, TP_CONFLICT_PAST_TOTAL, "frame %" PRIu32 " at offset %" PRIu64 " lies past the "
	       "%" PRIu64 " bytes META declared, after data that is missing", f->seq, f->offset,
	       t->meta.total);
	return false;
}

bool tp_track_end_agrees(struct tp_track *t, const struct tp_frame *f,
			 const struct tp_frame_end *e)
{
	uint64_t fs = frame_bound(t), have = data_end(t);
	const struct tp_track_slot *last = t->n_held ? &t->held[t->n_held - 1] : NULL;

	if (t->stats->end_seen) {
		if (e->total == t->end.total && e->digest == t->end.digest && e->frames == t->end.frames)
			return true;
		refuse(t, f, TP_CONFLICT_END, "END frames disagree: %" PRIu64 " bytes in %" PRIu32
		       " frames (digest %08" PRIx32 "), the first said %" PRIu64 " in %" PRIu32
		       " (%08" PRIx32 ")", e->total, e->frames, e->digest, t->end.total,
		       t->end.frames, t->end.digest);
		return false;
	}
	if (e->total < have)
		refuse(t, f, TP_CONFLICT_END, "END declares %" PRIu64 " bytes, but data up to offset %"
		       PRIu64 " arrived", e->total, have);
	else if (t->any_data && e->frames <= t->max_seq)
		refuse(t, f, TP_CONFLICT_END, "END declares %" PRIu32 " frames, but frame %" PRIu32
		       " arrived", e->frames, t->max_seq);
	/* A stream may outgrow META's total (a file that grew), but then its data shows it
	 * before END does (END comes last, three times): an END past META's total with no data
	 * past it would make the whole difference a gap. */
	else if (t->meta_seen && t->meta.total != TP_FRAME_TOTAL_UNKNOWN && e->total > t->meta.total &&
		 have <= t->meta.total)
		refuse(t, f, TP_CONFLICT_END, "END declares %" PRIu64 " bytes, more than the %" PRIu64
		       " META declared, and no data past those has come", e->total, t->meta.total);
	else if (e->frames < t->next_seq ||
		 !reachable(t->next_offset, t->next_seq, e->total, e->frames, fs) ||
		 (last && !reachable(last->offset + last->len, last->seq + 1, e->total, e->frames, fs)))
		refuse(t, f, TP_CONFLICT_END, "END declares %" PRIu64 " bytes in %" PRIu32 " frames, "
		       "more than such frames carry", e->total, e->frames);
	else
		return true;
	return false;
}
