/* How -d shows its files: each line's name, and the lines of all files redrawn together in
 * place on a terminal, or written out as plain lines elsewhere. Pure: text in, text out. */
#ifndef TP_SCREEN_H
#define TP_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

/* A watched file's line name: "FD:PATH" (as pv's), or "PID:FD:PATH" with with_pid (when
 * several processes are watched). A path longer than max_path columns keeps its start and end
 * around "..." (pv's "/tmp/bas...s/file"); control characters become '?'. NUL-terminated;
 * returns the length (< len). */
size_t tp_watch_label(char *buf, size_t len, int pid, int fd, const char *path, bool with_pid,
		      unsigned max_path);

/* The lines on the terminal. The watch loop's alone. */
struct tp_screen {
	bool in_place;       /* a terminal: redraw the lines where they are */
	unsigned height;     /* lines of ours on it now, the cursor on the last of them */
};

/* One redraw: first the last lines of files that ended (finals: left on the screen for good,
 * above the others), then the lines of the files still open (live: redrawn in their place
 * next time). In place: back up to our first line ("\r", ESC[nA), each line as "\r" LINE
 * ESC[K, one "\n" between them, lines left over from before erased; once no file is live the
 * cursor moves on to a fresh line. Otherwise each line ends in "\n". Never writes past len
 * (the redraw is cut short then); returns the length. */
size_t tp_screen_compose(struct tp_screen *s, const char *const *finals, unsigned n_finals,
			 const char *const *live, unsigned n_live, char *out, size_t len);

#endif
