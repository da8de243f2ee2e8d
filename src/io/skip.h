/* -E: how far to skip past a read error, and the zeros owed for what was skipped; pure (the
 * file descriptor side is source_fd.c's).
 *
 * After a read fails at offset POS the input skips to the next multiple of a block: 512 bytes
 * at first, so one bad sector costs at most 512 bytes; when the read at the skip's landing
 * place fails again (the bad part goes on), the block doubles, up to TP_SKIP_MAX, so a large
 * bad area costs few failing reads (each may take a disk seconds of retries) while the good
 * bytes lost after its end stay fewer than the last skip. A read that brings data makes the
 * next skip small again. The skipped bytes are read as zeros, so offsets in the output hold
 * and it is as long as the input. */
#ifndef TP_SKIP_H
#define TP_SKIP_H

#include <stddef.h>
#include <stdint.h>

#define TP_SKIP_MIN 512u          /* the first skip's block: a sector */
#define TP_SKIP_MAX (1u << 20)    /* the largest block */

/* One input's skips. Zeroed: nothing skipped yet. */
struct tp_skip {
	uint64_t block;   /* the last skip's block; 0 when data came since (or none yet) */
	uint64_t landed;  /* where the last skip ended */
	uint64_t owed;    /* zeros of the last skip not yet given out */
	uint64_t bytes;   /* bytes skipped in all */
	uint64_t ranges;  /* skips in all */
};

/* How many bytes to skip from pos, where a read failed, in an input of `end` bytes: up to the
 * next multiple of the block, no further than end. 0 when pos is at or past the end (nothing
 * to skip to). */
uint64_t tp_skip_plan(const struct tp_skip *s, uint64_t pos, uint64_t end);

/* The skip of len bytes planned at pos was made (the input is now at pos + len): counts it
 * and owes its zeros. */
void tp_skip_made(struct tp_skip *s, uint64_t pos, uint64_t len);

/* How many of the owed zeros go into room bytes (they are then no longer owed). */
size_t tp_skip_take(struct tp_skip *s, size_t room);

/* A read brought data: the next skip starts at TP_SKIP_MIN again. */
void tp_skip_good(struct tp_skip *s);

#endif
