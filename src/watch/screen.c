/* The names and layout of -d's lines. */
#include "config.h"
#include "screen.h"

#include <stdio.h>
#include <string.h>
#include "safe.h"

size_t tp_watch_label(char *buf, size_t len, int pid, int fd, const char *path, bool with_pid,
		      unsigned max_path)
{
	size_t plen = strlen(path), pos;
	int r;

	if (len == 0)
		return 0;
	if (with_pid)
		r = snprintf(buf, len, "%d:%d:", pid, fd);
	else
		r = snprintf(buf, len, "%d:", fd);
	pos = r < 0 ? 0 : (size_t)r < len ? (size_t)r : len - 1;
	if (max_path < 5)
		max_path = 5;  /* room for "a...z" */
	for (size_t i = 0; i < plen && pos + 1 < len; i++) {
		char c = path[i];

		if (plen > max_path) {
			/* Keep the first third and the rest from the end: the file's own name
			 * is the part worth seeing. */
			size_t head = (max_path - 3) / 3, tail = max_path - 3 - head;

			if (i == head) {
				for (int k = 0; k < 3 && pos + 1 < len; k++)
					buf[pos++] = '.';
				i = plen - tail - 1;
				continue;
			}
		}
		buf[pos++] = c;
	}
	buf[pos] = '\0';
	/* The path is another process's: never a control sequence on our terminal (C1 and
	 * stray bytes too, which some terminals act on). */
	char raw[pos + 1];
	memcpy(raw, buf, pos + 1);
	return tp_safe_text(buf, len, raw, pos);
}

/* Appends what fits of s: out is never overrun, and the redraw is cut short instead. */
static void append(char *out, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos >= len)
		return;
	if (n > len - *pos)
		n = len - *pos;
	memcpy(out + *pos, s, n);
	*pos += n;
}

size_t tp_screen_compose(struct tp_screen *s, const char *const *finals, unsigned n_finals,
			 const char *const *live, unsigned n_live, char *out, size_t len)
{
	unsigned total = n_finals + n_live;
	size_t pos = 0;
	char esc[32];

	if (!s->in_place) {
		for (unsigned i = 0; i < total; i++) {
			append(out, len, &pos, i < n_finals ? finals[i] : live[i - n_finals]);
			append(out, len, &pos, "\n");
		}
		return pos;
	}
	if (s->height > 1) {
		snprintf(esc, sizeof(esc), "\033[%uA", s->height - 1);
		append(out, len, &pos, esc);
	}
	for (unsigned i = 0; i < total; i++) {
		if (i)
			append(out, len, &pos, "\n");
		append(out, len, &pos, "\r");
		append(out, len, &pos, i < n_finals ? finals[i] : live[i - n_finals]);
		append(out, len, &pos, "\033[K");
	}
	/* Fewer lines than were there (the terminal shrank, or nothing to draw): erase the rest,
	 * then come back up to the last line drawn. */
	unsigned extra = s->height > total ? s->height - total : 0;
	if (extra) {
		for (unsigned i = 0; i < extra; i++)
			append(out, len, &pos, total || i ? "\n\r\033[K" : "\r\033[K");
		unsigned up = total ? extra : extra - 1;
		if (up) {
			snprintf(esc, sizeof(esc), "\033[%uA", up);
			append(out, len, &pos, esc);
		}
	}
	if (n_live == 0 && total > 0)
		append(out, len, &pos, "\n");
	s->height = n_live;
	return pos;
}
