/* The progress line. Rendering is pure (text into a caller's buffer, tested into memory); the
 * only I/O is tp_progress_draw/finish writing the rendered line to the FILE they were given.
 * tpipe's own line is rendered here; pv's formats and -n lines by format.c. */
#include "config.h"
#include "progress.h"

#include <string.h>
#include <time.h>
#include "safe.h"

/* Beyond this an ETA means nothing to a human (over a century): show it as unknown, which also
 * keeps the conversion to an integer well defined. */
#define ETA_MAX_SECONDS 3.6e9
/* The bar is worth drawing only with at least this many cells between its brackets. */
#define BAR_MIN 10
/* ... and the size it should have when the line is short of room. */
#define BAR_WANT 20
/* Shortest span over which the current rate is measured, in seconds. */
#define TP_PROGRESS_MIN_SPAN 0.05

/* For %I: the wall clock, in seconds since the epoch. */
static double tp_wall_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Rates and times come from doubles the caller computed: NaN, negatives and infinities become
 * 0 or a large finite value so that formatting stays bounded and casts stay defined. */
static double sane(double x)
{
	if (!(x > 0))
		return 0;
	return x < 1e18 ? x : 1e18;
}

/* H:MM:SS, hours unbounded (100:00:00), so the field only grows once every few hundred hours. */
static void format_hms(char *buf, size_t len, double seconds)
{
	unsigned long long s = (unsigned long long)sane(seconds);

	snprintf(buf, len, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
}

/* Whole percent, rounded down so that 100% means done; may exceed 100 if the total was short. */
static unsigned long long percent(uint64_t bytes, uint64_t total)
{
	double pct = 100.0 * (double)bytes / (double)total;

	return (unsigned long long)(pct < 1e15 ? pct : 1e15);
}

/* The parts of the line in display order. */
enum { P_NAME, P_BYTES, P_ELAPSED, P_RATE, P_AVG, P_RING, P_BAR, P_PCT, P_ETA, P_COUNT };

/* Which part goes first when the line is too wide: the least useful first, bytes last. The bar
 * is not listed: it is only added afterwards, in whatever room is left. */
static const int drop_order[] = { P_AVG, P_RING, P_ETA, P_RATE, P_ELAPSED, P_NAME, P_PCT, P_BYTES };

static void put(char *buf, size_t *pos, const char *s, size_t n)
{
	memcpy(buf + *pos, s, n);
	*pos += n;
}

size_t tp_progress_render(char *buf, size_t len, unsigned width, const char *name,
			  const struct tp_progress_view *v)
{
	char text[P_COUNT][48];
	const char *s[P_COUNT] = { 0 };  /* NULL: the part is not shown */
	size_t n[P_COUNT] = { 0 };
	char tmp[32];
	size_t limit, used = 0, pos = 0;
	unsigned shown = 0;

	if (len == 0)
		return 0;
	/* width - 1 so the cursor never reaches the last column and wraps; never past the buffer. */
	limit = width > 0 ? width - 1 : 0;
	if (limit > len - 1)
		limit = len - 1;

	/* Fixed-width fields (bytes and rates right-aligned in the widest "1023 KiB", ring and
	 * percentage in 3 digits) so the line does not jitter as the numbers change. */
	snprintf(text[P_BYTES], sizeof(text[0]), "%8s", tp_format_bytes(tmp, sizeof(tmp), (double)v->bytes));
	format_hms(text[P_ELAPSED], sizeof(text[0]), v->elapsed);
	snprintf(text[P_RATE], sizeof(text[0]), "[%8s/s]", tp_format_bytes(tmp, sizeof(tmp), sane(v->rate_now)));
	snprintf(text[P_AVG], sizeof(text[0]), "[%8s/s avg]", tp_format_bytes(tmp, sizeof(tmp), sane(v->rate_avg)));
	const char *hold = tp_format_hold(v->hold);
	snprintf(text[P_RING], sizeof(text[0]), "ring %3u%%%s%s", v->ring_pct, hold ? " " : "",
		 hold ? hold : "");
	for (int i = P_BYTES; i <= P_RING; i++)
		s[i] = text[i];
	if (v->no_ring)
		s[P_RING] = NULL;
	/* A control character in the name would break the line redrawn in place. */
	char safe[128];
	if (name && *name) {
		tp_safe_text(safe, sizeof(safe), name, strlen(name));
		name = safe;
		s[P_NAME] = name;
		n[P_NAME] = strlen(name) + 1;  /* with its colon, written below */
	}
	if (v->total) {
		snprintf(text[P_PCT], sizeof(text[0]), "%3llu%%", percent(v->bytes, v->total));
		if (v->bytes >= v->total) {
			snprintf(text[P_ETA], sizeof(text[0]), "ETA 0:00:00");
		} else {
			/* From the average rate: the current one swings too much to predict with. */
			double eta = v->rate_avg > 0 ? (double)(v->total - v->bytes) / v->rate_avg : -1;

			if (eta >= 0 && eta < ETA_MAX_SECONDS) {
				/* Rounded up, so 0:00:00 only ever shows once the total is reached. */
				double up = (double)(unsigned long long)eta;
				format_hms(tmp, sizeof(tmp), up < eta ? up + 1 : up);
				snprintf(text[P_ETA], sizeof(text[0]), "ETA %s", tmp);
			} else {
				snprintf(text[P_ETA], sizeof(text[0]), "ETA --:--:--");
			}
		}
		s[P_PCT] = text[P_PCT];
		s[P_ETA] = text[P_ETA];
	}

	/* Width of the shown parts with one space between each, then drop until it fits. */
	for (int i = 0; i < P_COUNT; i++) {
		if (s[i] && i != P_NAME)
			n[i] = strlen(s[i]);
		if (s[i]) {
			used += n[i] + (shown ? 1 : 0);
			shown++;
		}
	}
	/* With a total, a bar is worth more than the average and the ring fill (pv's default
	 * line has neither): those two make room for BAR_WANT cells before anything else goes. */
	static const int for_bar[] = { P_AVG, P_RING };
	size_t reserve = v->total ? BAR_WANT + 3 : 0;
	for (size_t d = 0; used + reserve > limit && d < 2; d++) {
		if (!s[for_bar[d]])
			continue;
		shown--;
		used -= n[for_bar[d]] + (shown ? 1 : 0);
		s[for_bar[d]] = NULL;
	}
	for (size_t d = 0; used > limit && d < sizeof(drop_order) / sizeof(drop_order[0]); d++) {
		int i = drop_order[d];

		if (!s[i])
			continue;
		shown--;
		used -= n[i] + (shown ? 1 : 0);
		s[i] = NULL;
	}

	/* The bar takes all the room that is left: " [" + cells + "]". */
	size_t bar = 0;
	if (v->total && shown && limit - used >= BAR_MIN + 3) {
		bar = limit - used - 3;
		s[P_BAR] = "";
	}

	for (int i = 0; i < P_COUNT; i++) {
		if (!s[i])
			continue;
		if (pos)
			put(buf, &pos, " ", 1);
		if (i == P_NAME) {
			put(buf, &pos, name, n[i] - 1);
			put(buf, &pos, ":", 1);
		} else if (i == P_BAR) {
			/* Clamped: more bytes than expected still shows a full bar, not an overflow. */
			double frac = (double)v->bytes / (double)v->total;
			size_t fill = frac >= 1 ? bar : (size_t)(frac * (double)bar);

			/* pv's look: "[=====>    ]", all '=' once full. */
			buf[pos++] = '[';
			for (size_t c = 0; c < bar; c++)
				buf[pos++] = c + 1 < fill || fill == bar ? '=' : c + 1 == fill ? '>' : ' ';
			buf[pos++] = ']';
		} else {
			put(buf, &pos, s[i], n[i]);
		}
	}
	buf[pos] = '\0';
	return pos;
}

void tp_progress_init(struct tp_progress *p, FILE *out, const struct tp_progress_style *style,
		      const char *name)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->style = *style;
	p->name = name;
	p->term = '\n';
}

/* The line for v, into out: with -n a line and a newline; else the redraw in place. */
static size_t compose(struct tp_progress *p, struct tp_progress_view *v, unsigned width,
		      char *out, size_t len)
{
	const struct tp_progress_style *st = &p->style;
	char line[4096];

	v->name = p->name;
	v->last = p->last;
	v->last_len = p->last_len;
	v->line_len = tp_format_last_line(p->last, p->last_len, p->term, &v->line);
	v->ticks = p->ticks;
	if (st->numeric && st->format)
		tp_format_render(st->format, &st->units, v, tp_wall_clock(), line, sizeof(line),
				 sizeof(line));
	else if (st->numeric)
		tp_format_numeric(st->display, v, line, sizeof(line));
	else if (st->format)
		tp_format_render(st->format, &st->units, v, tp_wall_clock(), line, sizeof(line),
				 width);
	else
		tp_progress_render(line, sizeof(line), width, p->name, v);
	int r;
	if (st->numeric)
		r = snprintf(out, len, "%s\n", line);
	else if (p->cursor_up)
		/* Save the cursor, go up to our line, draw it, come back: one write, so several
		 * tpipes on one terminal never interleave within a line. */
		r = snprintf(out, len, "\0337\033[%uA\r%s\033[K\0338", p->cursor_up, line);
	else
		/* Back to the start of the line, redraw, erase what a longer line left. */
		r = snprintf(out, len, "\r%s\033[K", line);
	return r < 0 ? 0 : (size_t)r < len ? (size_t)r : len - 1;
}

void tp_progress_draw(struct tp_progress *p, const struct tp_snapshot *snap, unsigned width)
{
	struct tp_progress_view v = {
		.bytes = snap->bytes_out,
		.elapsed = snap->elapsed,
		.rate_avg = snap->elapsed > 0 ? (double)snap->bytes_out / snap->elapsed : 0,
		.ring_pct = snap->ring_depth ? (unsigned)((uint64_t)snap->ring_used * 100 / snap->ring_depth) : 0,
		.hold = snap->hold,
		.no_ring = snap->no_ring,
		.total = snap->total,
	};
	/* The current rate is over the time since it was last measured. The final draw can come
	 * moments after a tick: over so short a span the last measurement stands (a rate of 0
	 * there would be noise). With nothing measured yet, the average is the best estimate. */
	double dt = snap->elapsed - p->last_elapsed;
	if (p->drawn && dt >= TP_PROGRESS_MIN_SPAN && snap->bytes_out >= p->last_bytes) {
		v.rate_now = (double)(snap->bytes_out - p->last_bytes) / dt;
		p->last_rate = v.rate_now;
		p->last_bytes = snap->bytes_out;
		p->last_elapsed = snap->elapsed;
	} else if (p->drawn) {
		v.rate_now = p->last_rate;
	} else {
		v.rate_now = v.rate_avg;
		p->last_rate = v.rate_now;
		p->last_bytes = snap->bytes_out;
		p->last_elapsed = snap->elapsed;
	}

	char out[4200];
	size_t n = compose(p, &v, width, out, sizeof(out));
	/* stderr is unbuffered: one fwrite is one write(). */
	fwrite(out, 1, n, p->out);
	fflush(p->out);
	p->shown_bytes = snap->bytes_out;
	p->drawn = true;
	p->ticks++;
}

void tp_progress_finish(struct tp_progress *p, const struct tp_snapshot *snap, unsigned width)
{
	if (p->style.numeric) {
		/* A line per interval: a last one only if it says something new. */
		if (!p->drawn || snap->bytes_out != p->shown_bytes)
			tp_progress_draw(p, snap, width);
		return;
	}
	/* Show the final numbers, then leave the cursor on a fresh line for the shell (with -c
	 * it is on one already, below every tpipe's line). */
	tp_progress_draw(p, snap, width);
	if (!p->cursor_up) {
		fputs("\n", p->out);
		fflush(p->out);
	}
	p->drawn = false;
}
