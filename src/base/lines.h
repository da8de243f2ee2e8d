/* Line mode (-l, -0): the lines in a buffer are its terminators ('\n', or NUL with -0), as
 * pv and `wc -l` count them; a last line without one is passed on but never counted. Pure,
 * for the writer (lines out, pacing in lines) and the reader (-S in lines). */
#ifndef TP_LINES_H
#define TP_LINES_H

#include <stddef.h>
#include <stdint.h>

/* The terminator for -0 (null) or -l. */
static inline unsigned char tp_lines_terminator(int null_lines)
{
	return null_lines ? '\0' : '\n';
}

/* How many bytes of buf[0, len) are `term`. Vectorised: line mode must cost little next to
 * moving the bytes. */
uint64_t tp_lines_count(const unsigned char *buf, size_t len, unsigned char term);

/* The offset just after the want-th `term` in buf[0, len), with *found = want; when there are
 * fewer, len, with *found how many there are. want 0: 0. */
size_t tp_lines_cut(const unsigned char *buf, size_t len, unsigned char term, uint64_t want,
		    uint64_t *found);

#endif
