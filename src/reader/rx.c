/* The receive path (-D): input -> deframer (finds and checks frames) -> tracker (orders them,
 * drops copies, decides what is lost) -> only verified bytes into the ring's chunks. Reports
 * each loss as it is declared, at most a few lines a second, and sets the exit status. */
#include "config.h"
#include "pump.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "deframe.h"
#include "fec_rx.h"
#include "report.h"
#include "seal.h"
#include "signals.h"
#include "track.h"

/* How much may be held out of order, waiting for a missing frame's late copy. */
#define RX_WINDOW_BYTES (16u << 20)
#define RX_WINDOW_FRAMES 16384u
/* After END, late copies of missing frames may still come (--repeat): wait this long. */
#define RX_END_GRACE_NS 500000000ull
/* After a complete stream, input that keeps coming is read (and counted) this long at most;
 * after END with data still missing, late copies are waited for this long at most. */
#define RX_LINGER_MAX_NS 5000000000ull
/* An input with no end of its own (udp://, a serial line) ends this long after its last
 * data, unless --idle-timeout says otherwise: a sender whose END frames were all lost must
 * not leave the receiver waiting for ever. Only once data has come: a receiver may wait as
 * long as it likes for a sender to start. */
#define RX_QUIET_NS 10000000000ull
/* A session that has sent nothing for this long may be taken over by another (a sender
 * restarted); before that, another session's frames are ignored (track.h). */
#define RX_SESSION_QUIET_NS 3000000000ull
/* Loss lines on stderr: at most one per this interval; the rest are counted. */
#define RX_REPORT_GAP_NS 200000000ull
/* Bytes read from a stream at a time. */
#define RX_READ_SIZE (1u << 20)

/* When the wait for input ends, and why. */
enum rx_deadline { RX_NONE, RX_IDLE, RX_QUIET, RX_GRACE };

struct tp_rx {
	struct tp_reader *r;
	struct tp_deframer deframer;
	struct tp_track track;
	struct tp_fec_rx fec;    /* --fec at the sender: rebuilds lost DATA frames */
	unsigned char *buf;
	int result;              /* the tracker's last verdict: TP_TRACK_* */
	struct tp_rx_params p;
	bool opened;             /* an input was opened: there is something to account for */
	const char *input;       /* its name, for messages */
	enum rx_deadline why;    /* what the pending deadline is (rx_deadline) */
	uint64_t complete_ns;    /* when the stream was complete (0: not yet) */
	uint64_t end_ns;         /* when END came (0: not yet) */
	bool said;               /* a line said why data is missing (a loss, a restart) */
	uint64_t last_refusal_ns; /* refusal lines, rate-limited too */
	uint64_t unsaid_refusals;
	uint64_t last_loss_ns;   /* loss lines and damage lines, each rate-limited */
	uint64_t last_damage_ns;
	uint64_t unreported;     /* loss lines held back by the rate limit */
	uint64_t said_corrupt;   /* refused frames and garbage bytes already reported */
	uint64_t said_garbage;
	uint64_t read_ns;        /* when the last read returned (one clock read per read) */
	uint64_t own_ns;         /* ... the last one with a frame of the tracker's session */
	bool said_other;         /* the line about frames of another session went out */
	bool said_replayed;      /* ... about frames of an earlier run (sealed) */
	bool halted;             /* stopped before any session: sealed frames and no key, or
	                          * a cipher this CPU lacks; nothing more is looked at */
	unsigned char *plain;    /* --key-file: a frame opened out of place (rx_open) */
	uint64_t said_unauth;    /* not-authentic frames already reported */
};

/* Verified bytes into chunks, handed to the writer as they fill (an in-order frame's
 * payload is already in place: rx_room). Fewer than asked: -S reached, the tracker stops;
 * -EINTR: told to stop. */
static ssize_t rx_emit(void *ctx, const unsigned char *data, size_t len)
{
	struct tp_rx *rx = ctx;

	return tp_reader_append(rx->r, data, len);
}

/* Where the deframer decodes a DATA frame's payload: the chunk's tail, so that an in-order
 * frame is emitted where it lies (tp_reader_append takes it without a copy). None while an
 * erasure code is being repaired: the code keeps each frame after the tracker has emitted
 * it, and by then the bytes that follow (held frames, zeros, rebuilt frames) may have been
 * written over it. */
static unsigned char *rx_room(void *ctx, size_t len)
{
	struct tp_rx *rx = ctx;

	if (rx->fec.learned && !rx->fec.off)
		return NULL;
	return tp_reader_tail(rx->r, len);
}

/* -S: --size verified bytes written, a stop as asked. */
static bool size_reached(const struct tp_rx *rx)
{
	return tp_reader_wanted(rx->r) == 0;
}

/* One stderr line of a kind may go out now (or `force`, at the end); otherwise it waits. */
static bool may_report(uint64_t *last_ns, bool force)
{
	uint64_t now = tp_clock_ns();

	if (!force && *last_ns && now - *last_ns < RX_REPORT_GAP_NS)
		return false;
	*last_ns = now;
	return true;
}

/* Refused frames and garbage, as they happen: one line for what came since the last. */
static void report_damage(struct tp_rx *rx, bool force)
{
	const struct tp_rx_stats *st = &rx->r->rx;
	uint64_t corrupt = tp_rx_corrupt_total(st);
	char why[160];
	size_t n = 0;

	/* Frames that did not authenticate are news once a transfer is on: before, they are
	 * most likely all of them (a wrong key), said once at the end. */
	uint64_t unauth = rx->track.locked ? st->not_authentic : rx->said_unauth;

	if ((corrupt == rx->said_corrupt && st->garbage_bytes == rx->said_garbage &&
	     unauth == rx->said_unauth) || !may_report(&rx->last_damage_ns, force))
		return;
	if (corrupt != rx->said_corrupt)
		n += (size_t)snprintf(why, sizeof(why), "%" PRIu64 " frame%s refused (%" PRIu64 " in all)",
				      corrupt - rx->said_corrupt, corrupt - rx->said_corrupt == 1 ? "" : "s",
				      corrupt);
	if (st->garbage_bytes != rx->said_garbage && n < sizeof(why))
		n += (size_t)snprintf(why + n, sizeof(why) - n, "%s%" PRIu64 " bytes of garbage "
				      "between frames", n ? ", " : "", st->garbage_bytes - rx->said_garbage);
	if (unauth != rx->said_unauth && n < sizeof(why))
		snprintf(why + n, sizeof(why) - n, "%s%" PRIu64 " frame%s not authentic, dropped "
			 "(%" PRIu64 " in all)", n ? ", " : "", unauth - rx->said_unauth,
			 unauth - rx->said_unauth == 1 ? "" : "s", unauth);
	rx->said_unauth = unauth;
	rx->said_corrupt = corrupt;
	rx->said_garbage = st->garbage_bytes;
	tp_report("damaged input", why);
}

static void rx_lost(void *ctx, const struct tp_track_loss *loss)
{
	struct tp_rx *rx = ctx;
	char what[48], why[160];

	rx->said = true;
	if (!may_report(&rx->last_loss_ns, loss->bytes == UINT64_MAX)) {
		rx->unreported++;
		return;
	}
	if (loss->first_seq > loss->last_seq)
		snprintf(what, sizeof(what), "lost data");
	else if (loss->first_seq == loss->last_seq)
		snprintf(what, sizeof(what), "lost frame %" PRIu32, loss->first_seq);
	else
		snprintf(what, sizeof(what), "lost frames %" PRIu32 "-%" PRIu32, loss->first_seq,
			 loss->last_seq);
	if (loss->bytes == UINT64_MAX)
		snprintf(why, sizeof(why), "the stream's end is missing, from offset %" PRIu64,
			 loss->offset);
	else
		snprintf(why, sizeof(why), "%" PRIu64 " bytes at offset %" PRIu64 "%s", loss->bytes,
			 loss->offset, rx->unreported ? " (and earlier losses, see --stats)" : "");
	rx->unreported = 0;
	tp_report(what, why);
}

static void rx_restart(void *ctx, uint32_t old_session, uint32_t new_session)
{
	struct tp_rx *rx = ctx;
	char why[96];

	rx->said = true;
	rx->end_ns = 0; /* the new session's END is still to come */
	snprintf(why, sizeof(why), "new session %08" PRIx32 " after %08" PRIx32, new_session,
		 old_session);
	tp_report("sender restarted", why);
}

static void rx_meta(void *ctx, const struct tp_frame_meta *meta)
{
	struct tp_rx *rx = ctx;

	/* The sender knows the size: progress gets a percentage and an ETA. */
	if (meta->total != TP_FRAME_TOTAL_UNKNOWN)
		tp_monitor_offer_total(&rx->r->monitor, meta->total);
}

/* A frame that contradicts META, END or the frames before it: said as it happens, at most a
 * few lines a second. */
static void rx_refused(void *ctx, const struct tp_track_refusal *ref)
{
	struct tp_rx *rx = ctx;
	const char *what = ref->frame->type == TP_FRAME_END ? "refused an END frame"
			   : ref->frame->type == TP_FRAME_META ? "refused a META frame"
			   : "refused a DATA frame";

	if (!may_report(&rx->last_refusal_ns, false)) {
		rx->unsaid_refusals++;
		return;
	}
	tp_report(what, ref->why);
}

/* The session given up wrote nothing, and its END (if any) is not the new session's. */
static void rx_gave_up(void *ctx, uint32_t old_session, uint32_t new_session)
{
	struct tp_rx *rx = ctx;

	(void)old_session;
	(void)new_session;
	rx->end_ns = 0;
}

static const struct tp_track_ops rx_ops = {
	.emit = rx_emit,
	.lost = rx_lost,
	.restart = rx_restart,
	.gave_up = rx_gave_up,
	.meta = rx_meta,
	.refused = rx_refused,
};

/* Whether f is of the tracker's session (track.h: its id and, sealed, its run). */
static bool of_current(const struct tp_rx *rx, const struct tp_frame *f)
{
	return rx->track.locked && f->session == rx->track.session &&
	       f->epoch == rx->track.epoch;
}

/* A frame for the tracker: received, or rebuilt by the erasure code. A frame of another
 * session may take over once the current one has been quiet for RX_SESSION_QUIET_NS: since
 * the read that brought its last frame, by the clock read once per read. */
static int rx_track(void *ctx, const struct tp_frame *f)
{
	struct tp_rx *rx = ctx;
	const struct tp_rx_stats *st = &rx->r->rx;

	if (rx->track.locked && !of_current(rx, f) && rx->read_ns - rx->own_ns >= RX_SESSION_QUIET_NS)
		tp_track_quiet(&rx->track);

	uint64_t others = st->other_session, replayed = st->replayed;
	int rc = tp_track_frame(&rx->track, f);

	if (of_current(rx, f))
		rx->own_ns = rx->read_ns;
	if (st->other_session != others && !rx->said_other) {
		char why[128];

		rx->said_other = true;
		snprintf(why, sizeof(why), "session %08" PRIx32 " while %08" PRIx32 " is live: "
			 "ignored (see --stats)", f->session, rx->track.session);
		tp_report("frames of another session", why);
	}
	if (st->replayed != replayed && !rx->said_replayed) {
		char why[160];

		rx->said_replayed = true;
		snprintf(why, sizeof(why), "session %08" PRIx32 " began before %08" PRIx32 " by its "
			 "sender's clock: a replay, ignored (see --stats)", f->session,
			 rx->track.session);
		tp_report("frames of an earlier run", why);
	}

	if (rc < 0)
		return rx->result = rc;
	if (rx->result == TP_TRACK_MORE && rc == TP_TRACK_COMPLETE)
		rx->complete_ns = tp_clock_ns();
	if (!rx->end_ns && rx->r->rx.end_seen)
		rx->end_ns = tp_clock_ns();
	rx->result = rc;
	return 0;
}

/* Before any session: sealed frames this receiver cannot open at all. Said once; the
 * receive stops (status 3) and looks at nothing more. */
static void rx_halt(struct tp_rx *rx, const char *why)
{
	if (rx->result != TP_TRACK_MORE || rx->track.locked)
		return;
	tp_report(rx->input, why);
	rx->said = true;
	rx->halted = true;
	rx->result = TP_TRACK_STOPPED;
}

/* --key-file: a frame that passed its CRC, opened (seal.h), or NULL when it is not to be
 * taken: not authentic (or not sealed at all) under the key, sealed and no key given, or
 * sealed with a cipher this CPU lacks (rx_halt). Decrypted where it lies, unless the
 * erasure code will keep the DATA frame as it was sent. */
static const struct tp_frame *rx_open(struct tp_rx *rx, const struct tp_frame *f,
				      struct tp_frame *opened, bool keep)
{
	struct tp_rx_stats *st = &rx->r->rx;

	if (!rx->p.sealer) {
		st->sealed_no_key++;
		rx_halt(rx, "frames are encrypted: give --key-file");
		return NULL;
	}
	/* (The payload is the receiver's own memory, the deframer's or the chunk's.) */
	unsigned char *out = keep ? rx->plain : (unsigned char *)f->payload;
	int rc = tp_seal_open(rx->p.sealer, f, out, opened);

	if (rc == -ENOTSUP) {
		st->sealed_no_key++;
		rx_halt(rx, "frames are sealed with AES-256-GCM, which tpipe opens only on a CPU "
			"with AES-NI: give the sender --cipher=xchacha20-poly1305");
		return NULL;
	}
	if (rc != 0) {
		st->not_authentic++;
		return NULL;
	}
	if (f->flags & TP_FRAME_FLAG_AES256GCM)
		st->opened_aes = true;
	else
		st->opened_xchacha = true;
	/* What the erasure code's rebuilt frames carry, to be opened in turn. */
	tp_fec_rx_set_sealed(&rx->fec, f->flags & (TP_FRAME_FLAG_SEALED | TP_FRAME_FLAG_AES256GCM),
			     TP_SEAL_OVERHEAD);
	return opened;
}

/* A DATA frame the erasure code rebuilt (as sent: sealed, with a key), for the tracker. */
static int rx_rebuilt(void *ctx, const struct tp_frame *f)
{
	struct tp_rx *rx = ctx;
	struct tp_frame opened;

	if (rx->p.sealer && !(f = rx_open(rx, f, &opened, true)))
		return 0;
	return rx_track(rx, f);
}

/* Every frame goes to the tracker, even after the stream is complete: what comes then is
 * counted (the sender's last copies, or another stream after this one). The repair layer
 * sees the frames of the tracker's session only, after the tracker: parity frames of
 * another session are stale. With a key, a frame is opened first (rx_open). */
static int rx_frame(void *ctx, const struct tp_frame *f)
{
	struct tp_rx *rx = ctx;
	const struct tp_frame *wire = f;  /* as sent: what the erasure code keeps */
	struct tp_frame opened;
	int rc = 0;

	if (rx->halted)
		return 0;
	if (rx->p.sealer || (f->flags & TP_FRAME_FLAG_SEALED)) {
		bool keep = f->type == TP_FRAME_DATA && rx->fec.learned && !rx->fec.off;

		if (!(f = rx_open(rx, f, &opened, keep)))
			return 0;
	}
	if (f->type != TP_FRAME_PARITY) {
		rc = rx_track(rx, f);
		if (rc)
			return rc;
	}
	if (rx->track.locked && !of_current(rx, f)) {
		if (f->type == TP_FRAME_PARITY)
			rx->r->rx.stale++;
		return 0;
	}
	return rx->result == TP_TRACK_MORE
	       ? tp_fec_rx_frame(&rx->fec, f->type == TP_FRAME_DATA ? wire : f) : 0;
}

int tp_rx_init(struct tp_reader *r, const struct tp_rx_params *p)
{
	struct tp_rx *rx = calloc(1, sizeof(*rx));
	int err = -ENOMEM;

	if (!rx)
		return -ENOMEM;
	rx->r = r;
	rx->p = *p;
	rx->result = TP_TRACK_MORE;
	r->rx.total = UINT64_MAX;
	rx->buf = malloc(RX_READ_SIZE);
	r->rx.sealed = p->sealer != NULL;
	if (p->sealer && !(rx->plain = malloc(TP_FRAME_MAX_PAYLOAD)))
		err = -ENOMEM;
	else if (rx->buf && (err = tp_deframer_init(&rx->deframer, &r->rx, rx_frame, rx)) == 0) {
		tp_deframer_set_room(&rx->deframer, rx_room, rx);
		err = tp_track_init(&rx->track, &rx_ops, rx, &r->rx, p->on_gap,
				    RX_WINDOW_BYTES, RX_WINDOW_FRAMES);
		if (err == 0) {
			tp_fec_rx_init(&rx->fec, &r->rx, rx_rebuilt, rx);
			if (p->sealer)
				tp_fec_rx_set_sealed(&rx->fec, TP_FRAME_FLAG_SEALED, TP_SEAL_OVERHEAD);
			r->rx_state = rx;
			return 0;
		}
		tp_deframer_destroy(&rx->deframer);
	}
	free(rx->plain);
	free(rx->buf);
	free(rx);
	return err;
}

void tp_rx_destroy(struct tp_reader *r)
{
	struct tp_rx *rx = r->rx_state;

	if (!rx)
		return;
	tp_fec_rx_destroy(&rx->fec);
	tp_track_destroy(&rx->track);
	tp_deframer_destroy(&rx->deframer);
	free(rx->plain);
	free(rx->buf);
	free(rx);
	r->rx_state = NULL;
}

/* After END, on a complete stream: the sender may still be sending the last chunks'
 * copies. Read them and let them go, until the end of the input, a quiet grace, or
 * RX_LINGER_MAX_NS, so that a sender in a pipe is not cut off (SIGPIPE) for its repeats. */
static bool lingering(const struct tp_rx *rx)
{
	return rx->result == TP_TRACK_COMPLETE && !size_reached(rx);
}

/* When the wait for input ends (rx->why says why). */
static uint64_t rx_deadline(void *ctx, const struct tp_source *src, uint64_t last_ns)
{
	struct tp_rx *rx = ctx;
	uint64_t idle = rx->r->p.idle_timeout_ns, until = UINT64_MAX;
	enum rx_deadline why = RX_NONE;

	if (idle) {
		until = last_ns + idle;
		why = RX_IDLE;
	} else if (src->endless && rx->r->rx.frames && rx->p.quiet_default) {
		until = last_ns + RX_QUIET_NS;
		why = RX_QUIET;
	}
	bool at_end = lingering(rx) || tp_track_waiting_at_end(&rx->track);
	if (at_end && last_ns + RX_END_GRACE_NS < until) {
		until = last_ns + RX_END_GRACE_NS;
		why = RX_GRACE;
	}
	/* Input that never pauses must not keep us either. */
	uint64_t since = lingering(rx) ? rx->complete_ns : at_end ? rx->end_ns : 0;
	if (since && since + RX_LINGER_MAX_NS < until) {
		until = since + RX_LINGER_MAX_NS;
		why = RX_GRACE;
	}
	rx->why = why;
	return until;
}

/* Idle, or quiet after END: only the first two are said. */
static void rx_expired(void *ctx, const struct tp_source *src)
{
	struct tp_rx *rx = ctx;

	if (rx->why == RX_IDLE || rx->why == RX_QUIET)
		tp_reader_say_idle(src, rx->why == RX_IDLE ? rx->r->p.idle_timeout_ns : RX_QUIET_NS,
				   rx->why == RX_QUIET);
}

/* Data missing for good, or END reached and no copies expected: read no further. */
static bool rx_done(void *ctx)
{
	struct tp_rx *rx = ctx;

	return rx->result != TP_TRACK_MORE && !lingering(rx);
}

/* One read, through the deframer and the tracker. */
static ssize_t rx_read(void *ctx, struct tp_source *src, bool *alive)
{
	struct tp_rx *rx = ctx;
	struct tp_reader *r = rx->r;
	ssize_t n = tp_source_read(src, rx->buf, src->datagram ? TP_DATAGRAM_ROOM : RX_READ_SIZE);

	if (n == 0)
		tp_deframe_stream_end(&rx->deframer);
	if (n <= 0)
		return n;
	rx->read_ns = tp_clock_ns();
	uint64_t frames = r->rx.frames, garbage = r->rx.garbage_bytes;
	uint64_t unauth = r->rx.not_authentic + r->rx.sealed_no_key;
	int rc = src->datagram ? tp_deframe_datagram(&rx->deframer, rx->buf, (size_t)n)
			       : tp_deframe_stream(&rx->deframer, rx->buf, (size_t)n);
	/* Only frames are data: junk must not keep a quiet input alive. A byte stream's bytes
	 * that may be part of a frame count too (at a low baud rate one frame takes many
	 * reads). */
	*alive = r->rx.frames - r->rx.not_authentic - r->rx.sealed_no_key != frames - unauth ||
		 (!src->datagram && r->rx.garbage_bytes - garbage < (uint64_t)n);
	report_damage(rx, false);
	if (rc == -EINTR)
		return -ECANCELED; /* told to stop */
	if (rc < 0 && rc != -ECANCELED) /* (-ECANCELED: the tracker stopped; rx_done says so) */
		return rc;
	return n;
}

static const struct tp_pump_ops rx_pump_ops = {
	.read = rx_read,
	.deadline = rx_deadline,
	.expired = rx_expired,
	.done = rx_done,
};

int tp_rx_pump(struct tp_reader *r, struct tp_source *src)
{
	struct tp_rx *rx = r->rx_state;

	rx->opened = true;
	rx->input = src->name;
	return tp_reader_pump(r, src, &rx_pump_ops, rx);
}

int tp_rx_finish(struct tp_reader *r)
{
	struct tp_rx *rx = r->rx_state;
	int rc = rx->result;
	char why[160];

	report_damage(rx, true); /* what the rate limit held back */
	if (size_reached(rx))
		return 0; /* -S: stopped where asked; what is beyond was not wanted */
	if (!rx->opened) {
		r->rx_incomplete = true; /* nothing to account for: the open failure was said */
		return 0;
	}
	/* The output failed (its reader went away, a full disk): that is the news, said by the
	 * caller. What was not written is not lost by the link. */
	if (tp_handoff_writer_done(&r->handoff))
		return 0;
	tp_fec_rx_finish(&rx->fec, r->rx.end_seen ? rx->track.end.frames : UINT32_MAX);
	if (rx->p.sealer && !rx->track.locked && r->rx.not_authentic) {
		/* Not one frame opened: a key other than the sender's, most likely. */
		snprintf(why, sizeof(why), "none of the %" PRIu64 " frames authenticated under "
			 "--key-file (the sender's key is another, or it sends unsealed frames); "
			 "nothing written", r->rx.not_authentic);
		tp_report(rx->input, why);
		rx->said = true;
		rc = TP_TRACK_STOPPED;
	}
	if (rc == TP_TRACK_MORE && !tp_signals_stop_requested())
		rc = tp_track_finish(&rx->track);
	if (r->rx.fec_unrepaired) {
		snprintf(why, sizeof(why), "%" PRIu64 " group%s could not be repaired; one lost up "
			 "to %" PRIu64 " of its %u frames: try --fec %u+%" PRIu64 " or a larger "
			 "--fec-depth", r->rx.fec_unrepaired, r->rx.fec_unrepaired == 1 ? "" : "s",
			 r->rx.fec_lacked_max, r->rx.fec_k + r->rx.fec_m, r->rx.fec_k,
			 r->rx.fec_lacked_max);
		tp_report("erasure code", why);
	}
	if (rc == -EINTR)
		rc = TP_TRACK_STOPPED;
	if (rc != TP_TRACK_COMPLETE)
		r->rx_incomplete = true;
	if (rx->unreported) {
		snprintf(why, sizeof(why), "%" PRIu64 " more not shown; %" PRIu64 " frames, %" PRIu64
			 " bytes lost in all", rx->unreported, r->rx.lost_frames, r->rx.lost_bytes);
		tp_report("lost frames", why);
	}
	if (rx->unsaid_refusals) {
		snprintf(why, sizeof(why), "%" PRIu64 " more not shown; %" PRIu64 " frames refused as "
			 "contradicting in all (see --stats)", rx->unsaid_refusals,
			 tp_rx_conflict_total(&r->rx));
		tp_report("refused frames", why);
	}
	if (r->rx.after_end) {
		snprintf(why, sizeof(why), "%" PRIu64 " frame%s after the end, ignored", r->rx.after_end,
			 r->rx.after_end == 1 ? "" : "s");
		tp_report(rx->input, why);
	}
	/* Status 3 always says why: a loss or a restart was said as it happened; otherwise it is
	 * the digest. */
	if (rc != TP_TRACK_COMPLETE && !rx->said && !tp_signals_stop_requested())
		tp_report("stream digest", r->rx.end_seen ? "does not match the data written"
							: "no END frame arrived: the stream is not verified");
	return rc < 0 ? rc : 0;
}
