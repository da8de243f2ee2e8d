/* -c: several tpipes drawing progress on one terminal each keep a line of their own.
 * They share two counters in a System V shared memory segment keyed by the terminal (mode
 * 0600, and ours: the same user only). Each takes the next number as its slot and moves the
 * cursor down a line, so its line is then (joined - slot) lines above the cursor, however
 * many joined after it. Drawing is "save cursor, up N, draw, restore" in one write. */
#ifndef TP_CURSOR_H
#define TP_CURSOR_H

#include <stdbool.h>
#include <stdint.h>

struct tp_cursor {
	uint32_t *shared;   /* [0] joined so far, [1] still drawing; NULL: not joined */
	int shm_id;
	uint32_t slot;
};

/* Joins the terminal on fd: 0, or -errno (not a terminal, no shared memory, a segment that
 * is not ours), when the caller draws in place as without -c. The caller moves the cursor
 * down one line after a successful join. */
int tp_cursor_join(struct tp_cursor *c, int fd);
/* Lines from the cursor up to our line (at least 1). */
unsigned tp_cursor_up(const struct tp_cursor *c);
/* n lines of our own were written below the others (a message, the status line): every
 * tpipe's line is n further up, and all of them count from the same total. */
void tp_cursor_moved(struct tp_cursor *c, unsigned n);
/* The last to leave removes the segment, so the next pipeline starts afresh. */
void tp_cursor_leave(struct tp_cursor *c);

#endif
