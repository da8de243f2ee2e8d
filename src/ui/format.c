/* pv's --format, parsed once and rendered per draw. Pure: no I/O, no global state (localtime_r
 * for %I reads the time zone, nothing else). The look follows pv's, so that scripts and eyes
 * used to pv read it the same: "1.00MiB", "[ 941KiB/s]", "{ 50%}", "ETA 0:00:10". */
#include "config.h"
#include "format.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "enums.h"
#include "stats.h"

/* Beyond a century an ETA means nothing, and the conversion to an integer stays defined. */
#define ETA_MAX_SECONDS 3.6e9
/* A bar narrower than this is not drawn. */
#define BAR_MIN 3
/* pv shows the date with the FIN time once the end is this far ahead. */
#define FIN_DATE_AFTER (6 * 3600.0)
/* Room for any one segment but the bar: the longest text, a name, 256 bytes of %A. */
#define PIECE (TP_FORMAT_MAX_TEXT + 1)

static const struct {
	const char *name;
	enum tp_seg_kind kind;
} long_names[] = {
	{ "progress", TP_SEG_BAR },
	{ "progress-bar-only", TP_SEG_BAR_ONLY },
	{ "progress-amount-only", TP_SEG_PERCENT },
	{ "timer", TP_SEG_TIMER },
	{ "eta", TP_SEG_ETA },
	{ "fineta", TP_SEG_FINETA },
	{ "rate", TP_SEG_RATE },
	{ "average-rate", TP_SEG_AVG },
	{ "bytes", TP_SEG_BYTES },
	{ "transferred", TP_SEG_BYTES },
	{ "buffer-percent", TP_SEG_BUFFER },
	{ "last-written", TP_SEG_LAST },
	{ "previous-line", TP_SEG_PREV_LINE },
	{ "name", TP_SEG_NAME },
};

static enum tp_seg_kind letter_kind(char c, bool *ok)
{
	*ok = true;
	switch (c) {
	case 'p': return TP_SEG_BAR;
	case 't': return TP_SEG_TIMER;
	case 'e': return TP_SEG_ETA;
	case 'I': return TP_SEG_FINETA;
	case 'r': return TP_SEG_RATE;
	case 'a': return TP_SEG_AVG;
	case 'b': return TP_SEG_BYTES;
	case 'T': return TP_SEG_BUFFER;
	case 'A': return TP_SEG_LAST;
	case 'L': return TP_SEG_PREV_LINE;
	case 'N': return TP_SEG_NAME;
	default: *ok = false; return TP_SEG_TEXT;
	}
}

/* What the monitor must gather for a segment. */
static unsigned uses_of(enum tp_seg_kind k)
{
	switch (k) {
	case TP_SEG_BAR: case TP_SEG_BAR_ONLY: case TP_SEG_PERCENT: return TP_DISPLAY_BAR;
	case TP_SEG_TIMER: return TP_DISPLAY_TIMER;
	case TP_SEG_ETA: return TP_DISPLAY_ETA;
	case TP_SEG_FINETA: return TP_DISPLAY_FINETA;
	case TP_SEG_RATE: return TP_DISPLAY_RATE;
	case TP_SEG_AVG: return TP_DISPLAY_AVG;
	case TP_SEG_BYTES: return TP_DISPLAY_BYTES;
	case TP_SEG_BUFFER: return TP_DISPLAY_BUFFER;
	case TP_SEG_LAST: return TP_DISPLAY_LAST;
	default: return 0;
	}
}

static int add_seg(struct tp_format *f, enum tp_seg_kind kind, unsigned arg)
{
	if (f->n == TP_FORMAT_MAX_SEGS)
		return -E2BIG;
	f->seg[f->n++] = (struct tp_format_seg){ .kind = kind, .arg = arg };
	f->uses |= uses_of(kind);
	if (kind == TP_SEG_LAST && arg > f->last_len)
		f->last_len = arg;
	if (kind == TP_SEG_PREV_LINE)
		f->uses_line = true;
	return 0;
}

/* Appends literal text, joined to the previous TEXT segment when they are adjacent. */
static int add_text(struct tp_format *f, const char *s, size_t n, size_t *used)
{
	if (*used + n > sizeof(f->text))
		return -E2BIG;
	memcpy(f->text + *used, s, n);
	if (f->n && f->seg[f->n - 1].kind == TP_SEG_TEXT &&
	    f->seg[f->n - 1].off + f->seg[f->n - 1].len == *used) {
		f->seg[f->n - 1].len += (unsigned)n;
	} else {
		int err = add_seg(f, TP_SEG_TEXT, 0);
		if (err)
			return err;
		f->seg[f->n - 1].off = (unsigned)*used;
		f->seg[f->n - 1].len = (unsigned)n;
	}
	*used += n;
	return 0;
}

int tp_format_parse(struct tp_format *f, const char *spec, char *why, size_t why_len)
{
	size_t used = 0;
	int err = 0;

	memset(f, 0, sizeof(*f));
	for (const char *p = spec; *p && !err;) {
		if (*p != '%') {
			size_t n = strcspn(p, "%");
			err = add_text(f, p, n, &used);
			p += n;
			continue;
		}
		const char *start = p++;
		unsigned num = 0;
		bool has_num = false;
		while (*p >= '0' && *p <= '9') {
			num = num > 100000 ? num : num * 10 + (unsigned)(*p++ - '0');
			has_num = true;
		}
		if (*p == '%' && !has_num) {
			err = add_text(f, "%", 1, &used);
			p++;
			continue;
		}
		enum tp_seg_kind kind = TP_SEG_TEXT;
		bool ok = false;
		if (*p == '{') {
			const char *end = strchr(p, '}');
			size_t n = end ? (size_t)(end - p - 1) : 0;
			for (size_t i = 0; end && i < sizeof(long_names) / sizeof(long_names[0]); i++)
				if (strlen(long_names[i].name) == n && !strncmp(p + 1, long_names[i].name, n)) {
					kind = long_names[i].kind;
					ok = true;
				}
			if (!ok) {
				snprintf(why, why_len, "'%.*s' is not a sequence tpipe knows (see the man "
					 "page, FORMAT)", end ? (int)(end - start + 1) : (int)strlen(start),
					 start);
				return -EINVAL;
			}
			p = end + 1;
		} else {
			kind = letter_kind(*p, &ok);
			if (!ok) {
				snprintf(why, why_len, "'%.*s' is not a sequence tpipe knows (%%p %%t %%e "
					 "%%I %%r %%a %%b %%T %%A %%L %%N %%%% and %%{name})",
					 *p ? (int)(p - start + 1) : (int)(p - start), start);
				return -EINVAL;
			}
			p++;
		}
		if (has_num && kind != TP_SEG_LAST) {
			snprintf(why, why_len, "'%.*s': only %%A takes a number", (int)(p - start), start);
			return -EINVAL;
		}
		if (kind == TP_SEG_LAST && (num < 1 || num > TP_MAX_LAST_WRITTEN)) {
			if (has_num) {
				snprintf(why, why_len, "'%.*s': %%A shows from 1 to %u bytes",
					 (int)(p - start), start, TP_MAX_LAST_WRITTEN);
				return -EINVAL;
			}
			num = 16;
		}
		err = add_seg(f, kind, num);
	}
	if (err)
		snprintf(why, why_len, "too long (at most %d sequences and %d characters)",
			 TP_FORMAT_MAX_SEGS, TP_FORMAT_MAX_TEXT);
	return err ? -EINVAL : 0;
}

void tp_format_from_letters(struct tp_format *f, unsigned display, unsigned last_written,
			    bool named)
{
	static const struct {
		unsigned bit;
		enum tp_seg_kind kind;
	} order[] = {
		{ TP_DISPLAY_BYTES, TP_SEG_BYTES }, { TP_DISPLAY_BUFFER, TP_SEG_BUFFER },
		{ TP_DISPLAY_TIMER, TP_SEG_TIMER }, { TP_DISPLAY_RATE, TP_SEG_RATE },
		{ TP_DISPLAY_AVG, TP_SEG_AVG }, { TP_DISPLAY_BAR, TP_SEG_BAR },
		{ TP_DISPLAY_ETA, TP_SEG_ETA }, { TP_DISPLAY_FINETA, TP_SEG_FINETA },
		{ TP_DISPLAY_LAST, TP_SEG_LAST },
	};
	size_t used = 0;
	int err = 0;

	assert(display);
	memset(f, 0, sizeof(*f));
	if (named)
		err |= add_seg(f, TP_SEG_NAME, 0);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(display & order[i].bit))
			continue;
		if (f->n)
			err |= add_text(f, " ", 1, &used);
		err |= add_seg(f, order[i].kind, last_written ? last_written : 16);
	}
	assert(err == 0); /* at most 19 segments and 9 characters */
}

/* Keeps doubles that came from a division finite, non-negative and castable. */
static double sane(double x)
{
	if (!(x > 0))
		return 0;
	return x < 1e18 ? x : 1e18;
}

/* pv's amounts: three significant digits ("1.00", "13.0", " 512"), a prefix, and the unit. */
static void amount(char *buf, size_t len, double v, const struct tp_units *u, const char *per)
{
	static const char prefixes[] = " KMGTPEZY";
	bool binary = !u->si && !u->lines;
	double base = binary ? 1024 : 1000;
	const char *unit = u->lines ? "" : u->bits ? "b" : "B";
	size_t i = 0;

	v = sane(u->bits && !u->lines ? v * 8 : v);
	/* As pv shows them: "1000 B", not "0.98KiB". */
	while (v >= base && i + 1 < sizeof(prefixes) - 1) {
		v /= base;
		i++;
	}
	char prefix[3] = { prefixes[i], 0, 0 };
	if (i && !binary)
		prefix[0] = i == 1 ? 'k' : prefixes[i];
	if (i && binary)
		prefix[1] = 'i';
	if (!i)
		prefix[0] = u->lines ? 0 : ' ';
	if (v > 99.9)
		snprintf(buf, len, "%4llu%s%s%s", (unsigned long long)v, prefix, unit, per);
	else
		snprintf(buf, len, "%#4.3g%s%s%s", v, prefix, unit, per);
}

static void hms(char *buf, size_t len, double seconds)
{
	unsigned long long s = (unsigned long long)sane(seconds);

	snprintf(buf, len, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
}

/* Seconds to go, or -1 when they cannot be told (no total, nothing moving). */
static double eta_of(const struct tp_progress_view *v)
{
	if (!v->total)
		return -1;
	if (v->bytes >= v->total)
		return 0;
	if (!(v->rate_avg > 0))
		return -1;
	double eta = (double)(v->total - v->bytes) / v->rate_avg;
	if (eta >= ETA_MAX_SECONDS)
		return -1;
	double up = (double)(unsigned long long)eta;
	return up < eta ? up + 1 : up; /* rounded up: 0:00:00 only at the end */
}

static unsigned long long pct_of(const struct tp_progress_view *v)
{
	double pct = v->total ? 100.0 * (double)v->bytes / (double)v->total : 0;

	return (unsigned long long)(pct < 1e15 ? pct : 1e15);
}

/* Bytes of the output as text: printable ASCII kept, anything else a '.', so a control
 * character can never move the cursor. */
static void printable(char *buf, size_t len, const unsigned char *s, size_t n)
{
	size_t k = 0;

	for (; k < n && k + 1 < len; k++)
		buf[k] = s[k] >= 0x20 && s[k] < 0x7f ? (char)s[k] : '.';
	buf[k] = 0;
}

/* One segment's text, except the bars (drawn once their room is known). */
static void piece(const struct tp_format *f, const struct tp_format_seg *s,
		  const struct tp_units *u, const struct tp_progress_view *v, double now,
		  char *out, size_t len)
{
	char tmp[64];
	double eta;

	out[0] = 0;
	switch (s->kind) {
	case TP_SEG_TEXT:
		snprintf(out, len, "%.*s", (int)s->len, f->text + s->off);
		break;
	case TP_SEG_PERCENT:
		if (v->total)
			snprintf(out, len, u->numeric ? "%llu" : "%3llu%%", pct_of(v));
		break;
	case TP_SEG_TIMER:
		if (u->numeric)
			snprintf(out, len, "%.4f", sane(v->elapsed));
		else
			hms(out, len, v->elapsed);
		break;
	case TP_SEG_ETA:
		eta = eta_of(v);
		if (eta >= 0 && u->numeric)
			snprintf(out, len, "%llu", (unsigned long long)eta);
		else if (eta >= 0)
			hms(tmp, sizeof(tmp), eta), snprintf(out, len, "ETA %s", tmp);
		break;
	case TP_SEG_FINETA: {
		eta = eta_of(v);
		if (eta < 0)
			break;
		if (u->numeric) {
			snprintf(out, len, "%llu", (unsigned long long)(sane(now) + eta));
			break;
		}
		time_t at = (time_t)(sane(now) + eta);
		struct tm tm;
		if (localtime_r(&at, &tm) && strftime(tmp, sizeof(tmp), eta > FIN_DATE_AFTER ?
						      "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm))
			snprintf(out, len, "FIN %s", tmp);
		break;
	}
	case TP_SEG_RATE:
	case TP_SEG_AVG: {
		double r = s->kind == TP_SEG_RATE ? v->rate_now : v->rate_avg;
		if (u->numeric) {
			snprintf(out, len, "%llu", (unsigned long long)(sane(r) + 0.5));
		} else {
			amount(tmp, sizeof(tmp), r, u, "/s");
			snprintf(out, len, "[%s]", tmp);
		}
		break;
	}
	case TP_SEG_BYTES:
		if (u->numeric)
			snprintf(out, len, "%llu", (unsigned long long)v->bytes);
		else
			amount(out, len, (double)v->bytes, u, "");
		break;
	case TP_SEG_BUFFER: {
		/* pv's "{ 50%}", with the fill levels' word inside while they hold back. */
		const char *hold = u->numeric ? NULL : tp_format_hold(v->hold);
		if (hold)
			snprintf(out, len, "{%3u%% %s}", v->ring_pct, hold);
		else
			snprintf(out, len, u->numeric ? "%u" : "{%3u%%}", v->ring_pct);
		break;
	}
	case TP_SEG_LAST: {
		size_t n = v->last_len < s->arg ? v->last_len : s->arg;
		printable(out, len, v->last ? v->last + v->last_len - n : NULL, n);
		break;
	}
	case TP_SEG_PREV_LINE:
		printable(out, len, v->line, v->line_len);
		break;
	case TP_SEG_NAME:
		if (v->name && *v->name) {
			char name[256]; /* -N's, whole (the monitor holds 255 bytes of it) */
			printable(name, sizeof(name), (const unsigned char *)v->name, strlen(v->name));
			snprintf(out, len, u->numeric ? "%s" : "%9s:", name);
		}
		break;
	case TP_SEG_BAR:
	case TP_SEG_BAR_ONLY:
		assert(!"bars are drawn by bar()");
	}
}

/* The percentage after a bar ("] 81%", "] 100%", as pv), or "" without one. */
static size_t bar_pct(char *buf, size_t len, bool with_pct, const struct tp_progress_view *v)
{
	buf[0] = 0;
	if (with_pct && v->total)
		snprintf(buf, len, " %2llu%%", pct_of(v));
	return strlen(buf);
}

/* A bar of `cells` columns, brackets and pct included (the caller leaves room for at least
 * BAR_MIN cells): filled to the fraction done, or with no total a "<=>" moving to and fro by
 * v->ticks. */
static size_t bar(char *out, size_t cells, const char *pct, const struct tp_progress_view *v)
{
	size_t pos = 0, n = strlen(pct);

	assert(cells >= BAR_MIN + 2 + n);
	size_t inner = cells - 2 - n;
	out[pos++] = '[';
	if (v->total) {
		double frac = (double)v->bytes / (double)v->total;
		size_t fill = frac >= 1 ? inner : (size_t)(frac * (double)inner);
		for (size_t c = 0; c < inner; c++)
			out[pos++] = c + 1 < fill || fill == inner ? '=' : c + 1 == fill ? '>' : ' ';
	} else {
		/* "<=>" sweeping right then left: 2 % of the room a draw, as pv does. */
		size_t span = inner - 3;
		size_t step = span ? (size_t)v->ticks * 2 * span / 100 % (2 * span) : 0;
		size_t at = step <= span ? step : 2 * span - step;
		for (size_t c = 0; c < inner; c++)
			out[pos++] = c >= at && c < at + 3 ? "<=>"[c - at] : ' ';
	}
	out[pos++] = ']';
	memcpy(out + pos, pct, n);
	return pos + n;
}

size_t tp_format_render(const struct tp_format *f, const struct tp_units *u,
			const struct tp_progress_view *v, double now, char *buf, size_t len,
			unsigned width)
{
	char pieces[TP_FORMAT_MAX_SEGS][PIECE];
	size_t plen[TP_FORMAT_MAX_SEGS];
	size_t used = 0, pos = 0, bars = 0;

	if (len == 0)
		return 0;
	size_t limit = width > 0 ? width - 1 : 0;
	if (limit > len - 1)
		limit = len - 1;

	/* Everything but the bars, and which segments show nothing: the space after an empty
	 * one is dropped (a line "%b %e %r" with no ETA reads "1.00MiB [1.00MiB/s]"). */
	bool skip_space = false;
	for (unsigned i = 0; i < f->n; i++) {
		const struct tp_format_seg *s = &f->seg[i];
		bool is_bar = s->kind == TP_SEG_BAR || s->kind == TP_SEG_BAR_ONLY;

		if (is_bar && u->numeric) {
			pieces[i][0] = 0;
			if (v->total)
				snprintf(pieces[i], PIECE, "%llu", pct_of(v));
		} else if (is_bar) {
			pieces[i][0] = 0;
			bars++;
			plen[i] = 0;
			skip_space = false;
			continue;
		} else {
			piece(f, s, u, v, now, pieces[i], PIECE);
		}
		char *p = pieces[i];
		if (s->kind == TP_SEG_TEXT && skip_space && p[0] == ' ')
			memmove(p, p + 1, strlen(p));
		plen[i] = strlen(p);
		skip_space = s->kind != TP_SEG_TEXT && plen[i] == 0;
		used += plen[i];
	}

	/* The bars share the room that is left. */
	size_t room = limit > used ? limit - used : 0;
	size_t each = bars ? room / bars : 0;
	for (unsigned i = 0; i < f->n; i++) {
		const struct tp_format_seg *s = &f->seg[i];
		const char *text = pieces[i];
		size_t n = plen[i];
		char cells[4096];

		if ((s->kind == TP_SEG_BAR || s->kind == TP_SEG_BAR_ONLY) && !u->numeric) {
			char pct[32];
			/* The percentage has no upper bound (a --size far too small): room for it
			 * and BAR_MIN cells, or no bar. */
			size_t want_min = BAR_MIN + 2 + bar_pct(pct, sizeof(pct),
								 s->kind == TP_SEG_BAR, v);
			if (each < want_min || each > sizeof(cells))
				continue;
			n = bar(cells, each, pct, v);
			text = cells;
		}
		if (pos + n > limit)
			n = limit - pos;
		memcpy(buf + pos, text, n);
		pos += n;
	}
	while (pos && buf[pos - 1] == ' ')
		pos--;
	buf[pos] = 0;
	return pos;
}

size_t tp_format_numeric(unsigned display, const struct tp_progress_view *v, char *buf,
			 size_t len)
{
	int r = 0;

	if (len == 0)
		return 0;
	if (display & TP_DISPLAY_TIMER)
		r = snprintf(buf, len, "%.4f ", sane(v->elapsed));
	/* As pv: -b (or no size to take a percentage of) puts the amount in its place. */
	if (r >= 0 && (size_t)r < len && ((display & TP_DISPLAY_BYTES) || !v->total))
		r += snprintf(buf + r, len - (size_t)r, "%llu", (unsigned long long)v->bytes);
	else if (r >= 0 && (size_t)r < len)
		r += snprintf(buf + r, len - (size_t)r, "%llu", pct_of(v));
	if (r < 0)
		r = 0;
	size_t n = (size_t)r < len ? (size_t)r : len - 1;
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = 0;
	return n;
}

size_t tp_format_last_line(const unsigned char *data, size_t n, unsigned char term,
			   const unsigned char **line)
{
	size_t end = n;

	*line = data;
	while (end && data[end - 1] != term) /* a line still being written is not whole */
		end--;
	if (end == 0)
		return 0;
	size_t start = end - 1;
	while (start && data[start - 1] != term)
		start--;
	*line = data + start;
	return end - 1 - start;
}
