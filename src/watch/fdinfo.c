/* Parsing /proc's text about another process, and which of its descriptors -d watches. */
#include "config.h"
#include "fdinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

/* A whole number in base (10 or 8) from s[0..n), nothing else but trailing blanks. */
static int parse_number(const char *s, size_t n, unsigned base, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (n == 0)
		return -EINVAL;
	for (; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d >= base || v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

int tp_fdinfo_parse(const char *text, size_t len, struct tp_fdinfo *fi)
{
	struct tp_fdinfo r = { 0 };
	bool has_pos = false;
	int err = 0;
	const char *end = text + len;

	for (const char *line = text; line < end && !err;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl ? nl : end;
		const char *colon = memchr(line, ':', (size_t)(stop - line));

		if (colon) {
			size_t klen = (size_t)(colon - line);
			const char *v = colon + 1;
			uint64_t x = 0;

			while (v < stop && (*v == ' ' || *v == '\t'))
				v++;
			if (klen == 3 && memcmp(line, "pos", 3) == 0) {
				err = parse_number(v, (size_t)(stop - v), 10, &r.pos);
				has_pos = true;
			} else if (klen == 5 && memcmp(line, "flags", 5) == 0) {
				/* The kernel prints them in octal ("flags:\t0100000"). */
				err = parse_number(v, (size_t)(stop - v), 8, &x);
				if (!err && x > 0xffffffffu)
					err = -EINVAL;
				r.flags = (unsigned)x;
				r.has_flags = true;
			}
		}
		line = stop + 1;
	}
	if (err || !has_pos)
		return -EINVAL;
	*fi = r;
	return 0;
}

bool tp_fdinfo_size_is_total(const struct tp_fdinfo *fi)
{
	return !fi->has_flags || (fi->flags & O_ACCMODE) != O_WRONLY;
}

int tp_proc_stat_parse(const char *text, size_t len, char *state, uint64_t *start)
{
	/* The command name, in parentheses, may hold anything, ")" and spaces included: the
	 * fields start after the last ")". The state is the first of them (field 3), the start
	 * time the 20th (field 22). */
	const char *p = NULL;

	for (size_t i = len; i > 0; i--) {
		if (text[i - 1] == ')') {
			p = text + i;
			break;
		}
	}
	if (!p)
		return -EINVAL;
	const char *end = text + len;
	char st = 0;
	for (unsigned field = 3; field <= 22; field++) {
		while (p < end && *p == ' ')
			p++;
		const char *w = p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (p == w)
			return -EINVAL;
		if (field == 3) {
			if (p - w != 1)
				return -EINVAL;
			st = *w;
		} else if (field == 22) {
			uint64_t t;

			if (parse_number(w, (size_t)(p - w), 10, &t) != 0)
				return -EINVAL;
			*state = st;
			*start = t;
		}
	}
	return 0;
}

bool tp_proc_state_ended(char state)
{
	return state == 'Z' || state == 'X' || state == 'x';
}

enum tp_fd_kind tp_fd_classify(unsigned mode, const char *target)
{
	if (target[0] != '/')
		return TP_FD_OTHER;
	if (S_ISREG(mode))
		return TP_FD_FILE;
	if (S_ISBLK(mode))
		return TP_FD_BLOCK;
	return TP_FD_OTHER;
}
