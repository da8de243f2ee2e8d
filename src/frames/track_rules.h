/* The tracker's rules, private to track.c: what a frame must agree with before it is taken.
 * Frames of one stream follow each other without overlap, each at most the frame size META
 * declares, frame seq + 1 starting where frame seq ended; so a frame's offset is bounded by
 * its sequence number, a gap (and the zeros of --on-gap=zero) by the frames that are
 * missing and by META's total, and everything by END's total. A frame that breaks a rule is refused: counted in
 * stats->conflicts, said through ops->refused, and nothing else changes. Pure. */
#ifndef TP_TRACK_RULES_H
#define TP_TRACK_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "frame.h"
#include "track.h"

/* A DATA frame that arrived ahead of next_offset: a private copy of its payload. */
struct tp_track_slot {
	uint64_t offset;
	uint32_t seq;
	uint32_t len;
	uint32_t crc;
	unsigned char *data;
};

/* A frame emitted lately: enough to tell a true copy (the same CRC) from other bytes. */
struct tp_track_past {
	uint32_t seq;
	uint32_t crc;
	bool set;
};

/* Index of the first held frame with an offset past offset. */
size_t tp_track_held_after(const struct tp_track *t, uint64_t offset);

enum { TP_TRACK_DATA_NEW, TP_TRACK_DATA_COPY, TP_TRACK_DATA_REFUSED };

/* A DATA frame of the current session, against META, END and every frame emitted or held:
 * TP_TRACK_DATA_NEW (take it), TP_TRACK_DATA_COPY (a true copy of one taken), or
 * TP_TRACK_DATA_REFUSED (refused and said). */
int tp_track_check_data(struct tp_track *t, const struct tp_frame *f);

/* Whether a META agrees with the first META and with the frames taken (a copy of the first
 * agrees); false when it was refused. */
bool tp_track_meta_agrees(struct tp_track *t, const struct tp_frame *f,
			  const struct tp_frame_meta *m);

/* Whether data that is missing for good may be passed over to frame f, which follows it:
 * not when f starts past the total META declared (without END, whose frames are checked as
 * they come). Such a gap is no loss the sender's own count allows, so f is refused instead
 * (and no zeros are written for it). A frame past META's total in order is taken: a file may
 * grow while the sender reads it. */
bool tp_track_gap_allowed(struct tp_track *t, const struct tp_frame *f);

/* Whether an END agrees with the first END and the data received; false when refused. */
bool tp_track_end_agrees(struct tp_track *t, const struct tp_frame *f,
			 const struct tp_frame_end *e);

#endif
