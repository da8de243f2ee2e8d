/* The receiver's tracker (-D): takes verified frames in whatever order they arrive, places the
 * data by offset, and emits only verified bytes, in stream order. It counts duplicates,
 * reordering, loss and sender restarts, and decides when missing data is missing for good.
 * Pure: no I/O and no clock; the caller passes frames and says when the input ended. */
#ifndef TP_TRACK_H
#define TP_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "enums.h"
#include "frame.h"

/* Why the tracker refused a frame that passed its CRC: it contradicts what META, END or the
 * frames before it said. Such a frame is never written, and never ends a transfer. */
enum tp_track_conflict {
	TP_CONFLICT_TOO_LONG,    /* a payload larger than META's frame size */
	TP_CONFLICT_PAST_TOTAL,  /* data past the total END declared (or, after a gap, META) */
	TP_CONFLICT_OUT_OF_LINE, /* an offset its sequence number cannot have */
	TP_CONFLICT_OVERLAP,     /* other bytes where a frame already put data */
	TP_CONFLICT_END,         /* an END that the data, or the first END, contradicts */
	TP_CONFLICT_META,        /* a META that the data, or the first META, contradicts */
	TP_CONFLICT_N
};

/* A short name for a conflict ("out_of_line"...), used as a stats key. */
const char *tp_track_conflict_name(enum tp_track_conflict c);

/* What the receive side counts; the deframer fills the first block, the tracker the rest.
 * --stats prints every field (text and JSON). */
struct tp_rx_stats {
	/* deframe.c */
	uint64_t frames;                       /* verified frames, copies included */
	uint64_t corrupt[TP_FRAME_NERRORS];    /* refused frames by reason (index 0 unused) */
	uint64_t garbage_bytes;                /* stream bytes between frames that were no frame */
	/* track.c */
	uint64_t duplicates;      /* frames whose data we already had (repeats included) */
	uint64_t reordered;       /* new DATA frames arriving after a higher seq */
	uint64_t lost_frames;     /* DATA frames declared missing for good */
	uint64_t lost_bytes;      /* their bytes (known from offsets, or END's total) */
	uint64_t gaps;            /* how many times data was declared missing */
	uint64_t zero_bytes;      /* zeros written in place of lost bytes (--on-gap=zero) */
	uint64_t restarts;        /* new session ids after the first */
	uint64_t stale;           /* frames of a session we already left, ignored */
	uint64_t other_session;   /* frames of another session while the current one is live */
	uint64_t stray;           /* frames of a session that never began nor wrote anything,
	                           * given up for one that began */
	uint64_t conflicts[TP_CONFLICT_N]; /* frames refused as contradicting, by reason */
	uint64_t after_end;       /* frames of another session after a complete one, ignored */
	uint64_t bytes_out;       /* verified bytes emitted (zeros not included) */
	bool end_seen;            /* an END frame of the current session arrived */
	bool digest_ok;           /* END's whole-stream digest matched what was emitted */
	uint64_t total;           /* the stream's total from META or END; UINT64_MAX unknown */
	/* fec_rx.c (--fec at the sender); fec_k 0: no erasure code seen */
	uint16_t fec_k, fec_m, fec_depth;
	uint64_t fec_parity;      /* parity frames verified, copies included */
	uint64_t fec_groups;      /* groups accounted for (their block passed, or the end) */
	uint64_t fec_repaired;    /* DATA frames rebuilt, checked and passed on */
	uint64_t fec_unrepaired;  /* groups still lacking DATA when they were given up */
	uint64_t fec_lacked_max;  /* the most frames (of K + M) such a group lacked */
	uint64_t fec_bad;         /* rebuilt frames that failed their check: never written */
	uint64_t fec_foreign;     /* parity frames of another code than the session's */
	/* rx.c (--key-file, seal.h) */
	bool sealed;              /* the receiver has a key: only sealed frames are taken */
	uint64_t not_authentic;   /* frames that did not open under the key, dropped */
	uint64_t replayed;        /* sealed frames of a run that began before the current one:
	                           * a replay, ignored */
	bool opened_aes;          /* frames sealed with AES-256-GCM opened */
	bool opened_xchacha;      /* frames sealed with XChaCha20-Poly1305 opened */
	uint64_t sealed_no_key;   /* sealed frames reaching a receiver without a key */
};

/* Frames refused as contradicting, all reasons together. */
static inline uint64_t tp_rx_conflict_total(const struct tp_rx_stats *st)
{
	uint64_t n = 0;

	for (int i = 0; i < TP_CONFLICT_N; i++)
		n += st->conflicts[i];
	return n;
}

/* Refused frames, all reasons together. */
static inline uint64_t tp_rx_corrupt_total(const struct tp_rx_stats *st)
{
	uint64_t n = 0;

	for (int i = 1; i < TP_FRAME_NERRORS; i++)
		n += st->corrupt[i];
	return n;
}

/* tp_track_frame / tp_track_finish results (or -errno from ops->emit). */
enum {
	TP_TRACK_MORE = 0,      /* carry on */
	TP_TRACK_COMPLETE = 1,  /* END seen, every byte up to its total emitted, digest matched */
	TP_TRACK_STOPPED = 2,   /* done, but data is missing or unverified: exit status 3 */
};

/* One stretch of data missing for good. */
struct tp_track_loss {
	uint32_t first_seq, last_seq;  /* DATA frames missing (first_seq > last_seq: none known) */
	uint64_t offset;               /* stream offset of the first missing byte */
	uint64_t bytes;                /* missing bytes; UINT64_MAX when the end is unknown */
};

/* A refused frame: its reason, the frame, and one sentence saying what it contradicts. */
struct tp_track_refusal {
	enum tp_track_conflict reason;
	const struct tp_frame *frame;
	char why[160];
};

struct tp_track_ops {
	/* Verified bytes in stream order (zeros for a gap under TP_GAP_ZERO). Returns how many
	 * it took: all of them, or fewer to stop the tracker after those (-S: --size reached;
	 * the tracker then returns -ECANCELED), or -errno, which stops it too and is returned
	 * to its caller. What it took is counted (bytes_out, zero_bytes; the digest, which
	 * is only compared when all was taken, is taken over the bytes before they go).
	 * The payload of the frame being tracked may lie where emit writes (-D decodes it
	 * straight into the output's chunk, where an in-order frame is then written without a
	 * copy): the tracker emits that payload before anything else, or sets it aside first. */
	ssize_t (*emit)(void *ctx, const unsigned char *data, size_t len);
	/* Called as each gap is declared, before anything after it is emitted. May be NULL. */
	void (*lost)(void *ctx, const struct tp_track_loss *loss);
	/* A frame with a new session id arrived: the sender restarted. May be NULL. */
	void (*restart)(void *ctx, uint32_t old_session, uint32_t new_session);
	/* A session that had written nothing was given up for new_session, which showed its
	 * beginning (stats->stray counts its frames); no data is lost by it. May be NULL. */
	void (*gave_up)(void *ctx, uint32_t old_session, uint32_t new_session);
	/* The first META of a session (its total, name, frame size). May be NULL. */
	void (*meta)(void *ctx, const struct tp_frame_meta *meta);
	/* A frame was refused as contradicting (already counted in stats->conflicts). May be
	 * NULL. */
	void (*refused)(void *ctx, const struct tp_track_refusal *r);
};

struct tp_track_slot;
struct tp_track_past;

struct tp_track {
	const struct tp_track_ops *ops;
	void *ctx;
	struct tp_rx_stats *stats;
	enum tp_gap_policy policy;
	size_t window_bytes;     /* most payload bytes held out of order */
	uint32_t window_frames;  /* a frame this many seqs past the first missing one ends the wait */
	/* Everything below is the tracker's own. */
	bool locked;             /* a session has been seen */
	uint32_t session;
	uint64_t epoch;          /* sealed: its sender's start (seal.h); 0: not sealed */
	uint64_t session_frames; /* its frames taken so far */
	bool begun;              /* its META or its first data has come */
	bool quiet;              /* tp_track_quiet: another session may take over */
	bool have_retired;
	uint32_t retired;        /* the session before, whose late frames are stale */
	uint64_t retired_epoch;
	uint64_t next_offset;    /* bytes emitted (or skipped/zeroed) so far */
	uint32_t next_seq;       /* seq of the DATA frame that starts at next_offset */
	uint32_t max_seq;        /* highest DATA seq seen */
	bool any_data;
	bool meta_seen;
	struct tp_frame_meta meta; /* the session's first META, valid when meta_seen */
	uint32_t max_len;        /* the longest DATA payload taken */
	bool gap_seen;           /* some data was declared missing */
	struct tp_frame_end end; /* valid when stats->end_seen */
	uint32_t digest;         /* CRC-32C of the verified bytes emitted */
	struct tp_track_slot *held;  /* frames held out of order, sorted by offset */
	size_t n_held, cap_held;
	size_t held_bytes;
	/* The frames emitted lately, by seq modulo n_past: a late copy with other bytes is told
	 * from a true copy by its CRC. */
	struct tp_track_past *past;
	size_t n_past;
	unsigned char *aside;    /* a payload kept from emit's writes (see emit above) */
	size_t aside_cap;
	bool stopped;
};

/* 0 or -errno. window_bytes and window_frames bound how long and how much the tracker waits
 * for a missing frame (reordering, repeats) before declaring it lost. */
int tp_track_init(struct tp_track *t, const struct tp_track_ops *ops, void *ctx,
		  struct tp_rx_stats *stats, enum tp_gap_policy policy, size_t window_bytes,
		  uint32_t window_frames);
void tp_track_destroy(struct tp_track *t);

/* Takes one verified frame (DATA, META or END; tp_frame_open said TP_FRAME_OK). A frame
 * that contradicts META, END or the frames before it is refused (counted, ops->refused) and
 * changes nothing else. A session is its id and, for a sealed frame, its sender's run
 * (f->epoch): a sealed frame of a run that began no later than the current one is a replay,
 * ignored (stats->replayed). A frame of another session is ignored (stats->other_session)
 * while the current one has written data and has neither ended (END) nor gone quiet
 * (tp_track_quiet); then it is a restart (ops->restart; --on-gap=stop stops there). Before
 * the current session has written anything, a frame that shows its session's beginning
 * (META, or DATA at offset 0) takes over without loss, as does any frame once the current
 * session is quiet (the frames before: stats->stray, ops->gave_up). Returns TP_TRACK_MORE,
 * TP_TRACK_COMPLETE, TP_TRACK_STOPPED, or -errno from ops->emit. After COMPLETE or STOPPED, further frames are ignored and return the same;
 * after COMPLETE they are counted (copies as duplicates, other sessions' in after_end). */
int tp_track_frame(struct tp_track *t, const struct tp_frame *f);

/* The current session has sent nothing for a while (the caller's clock): the next frame of
 * another session may take over. Any frame of the current session takes this back. */
void tp_track_quiet(struct tp_track *t);

/* The input ended (end of stream, --idle-timeout, or END's grace for late repeats is over):
 * whatever is still missing is missing for good. Emits what the policy allows and returns
 * TP_TRACK_COMPLETE, TP_TRACK_STOPPED (data missing, no END seen, or the digest did not
 * match), or -errno from ops->emit. */
int tp_track_finish(struct tp_track *t);

/* True when END has been seen but data before it is still missing (the caller waits a short
 * grace for late repeats, then calls tp_track_finish). */
bool tp_track_waiting_at_end(const struct tp_track *t);

#endif
