/* The files -d watches: found by scans, closed when a scan misses them, viewed as progress. */
#include "config.h"
#include "watchlist.h"

#include <stdio.h>
#include <string.h>

/* Shorter spans make the current rate noise (a sample's own jitter). */
#define TP_WATCH_MIN_RATE_SPAN_NS 50000000ull

void tp_watch_list_init(struct tp_watch_list *l)
{
	l->n = 0;
}

void tp_watch_list_begin_scan(struct tp_watch_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		l->f[i].seen = false;
}

static struct tp_watch_file *add(struct tp_watch_list *l, const struct tp_watch_sample *s,
				 uint64_t now_ns)
{
	if (l->n == TP_WATCH_MAX_FILES)
		return NULL;
	struct tp_watch_file *f = &l->f[l->n++];
	*f = (struct tp_watch_file){
		.pid = s->pid, .fd = s->fd, .dev = s->dev, .ino = s->ino, .size = s->size,
		.pos = s->pos, .first_pos = s->pos, .first_ns = now_ns, .last_ns = now_ns,
		.rate_pos = s->pos, .rate_ns = now_ns, .seen = true,
	};
	snprintf(f->label, sizeof(f->label), "%s", s->label ? s->label : "");
	return f;
}

struct tp_watch_file *tp_watch_list_see(struct tp_watch_list *l, const struct tp_watch_sample *s,
					uint64_t now_ns)
{
	for (unsigned i = 0; i < l->n; i++) {
		struct tp_watch_file *f = &l->f[i];

		if (f->closed || f->pid != s->pid || f->fd != s->fd)
			continue;
		if (f->dev != s->dev || f->ino != s->ino) {
			/* Closed and opened again on another file since the last scan. */
			f->closed = true;
			f->seen = false;
			break;
		}
		f->seen = true;
		f->pos = s->pos;
		f->size = s->size;
		f->last_ns = now_ns;
		return f;
	}
	return add(l, s, now_ns);
}

unsigned tp_watch_list_end_scan(struct tp_watch_list *l)
{
	unsigned closed = 0;

	for (unsigned i = 0; i < l->n; i++) {
		if (!l->f[i].closed && !l->f[i].seen) {
			l->f[i].closed = true;
			closed++;
		}
	}
	return closed;
}

unsigned tp_watch_list_open(const struct tp_watch_list *l)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->n; i++)
		n += !l->f[i].closed;
	return n;
}

void tp_watch_list_sweep(struct tp_watch_list *l)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < l->n; i++) {
		if (l->f[i].closed)
			continue;
		if (kept != i)
			l->f[kept] = l->f[i];
		kept++;
	}
	l->n = kept;
}

void tp_watch_file_view(struct tp_watch_file *f, struct tp_progress_view *v)
{
	double elapsed = (double)(f->last_ns - f->first_ns) / 1e9;
	uint64_t span = f->last_ns - f->rate_ns;

	if (span >= TP_WATCH_MIN_RATE_SPAN_NS) {
		uint64_t moved = f->pos >= f->rate_pos ? f->pos - f->rate_pos : 0;

		f->rate = (double)moved * 1e9 / (double)span;
		f->rate_pos = f->pos;
		f->rate_ns = f->last_ns;
	}
	*v = (struct tp_progress_view){
		.bytes = f->pos,
		.elapsed = elapsed,
		.rate_now = f->rate,
		.rate_avg = elapsed > 0 && f->pos > f->first_pos ?
			    (double)(f->pos - f->first_pos) / elapsed : 0,
		.total = f->size,
	};
}
