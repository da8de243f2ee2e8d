#include "config.h"
#include "fill.h"

#include <stdio.h>

void tp_fill_init(struct tp_fill *f, unsigned depth, unsigned write_above, unsigned read_below)
{
	if (write_above > 100)
		write_above = 100;
	if (read_below > 100)
		read_below = 100;
	/* Rounded up: "50 % full" is at least half of the chunks, never one short of it; and
	 * "below 50 %" is fewer than that many (used < depth * pct / 100 for whole chunks). */
	unsigned write_at = (unsigned)(((unsigned long long)depth * write_above + 99) / 100);
	unsigned read_at = (unsigned)(((unsigned long long)depth * read_below + 99) / 100);
	*f = (struct tp_fill){
		.depth = depth, .write_above = write_above, .read_below = read_below,
		.write_at = write_at, .read_at = read_at, .write_open = write_at == 0,
		.read_open = true,
	};
}

bool tp_fill_put(struct tp_fill *f, unsigned used)
{
	if (!f->write_open && used >= f->write_at)
		f->write_open = true;
	return f->write_open || f->ended;
}

void tp_fill_end(struct tp_fill *f)
{
	f->ended = true;
}

bool tp_fill_may_get(struct tp_fill *f, unsigned used)
{
	/* At 100 there is no gate: the ring's own "none free" is the whole rule. */
	if (f->read_below >= 100)
		return true;
	if (f->read_open && used >= f->depth)
		f->read_open = false;
	return f->read_open;
}

bool tp_fill_may_take(struct tp_fill *f, unsigned waiting)
{
	if (f->ended || f->write_at == 0)
		return waiting > 0;
	if (f->write_open && waiting == 0)
		f->write_open = false; /* ran dry before the end: fill to the level again */
	return f->write_open;
}

bool tp_fill_released(struct tp_fill *f, unsigned used)
{
	/* used == 0 as well: --read-below=0 means "once the ring is empty". */
	if (f->read_open || (used >= f->read_at && used > 0))
		return false;
	f->read_open = true;
	return true;
}

bool tp_fill_starved(struct tp_fill *f)
{
	if (f->read_open)
		return false;
	f->read_open = true;
	return true;
}

bool tp_fill_read_open(const struct tp_fill *f)
{
	return f->read_open;
}

bool tp_fill_filling(const struct tp_fill *f)
{
	return !f->write_open && !f->ended;
}

enum tp_hold tp_fill_hold(const struct tp_fill *f)
{
	if (f->ended)
		return TP_HOLD_NONE;
	if (!f->read_open)
		return TP_HOLD_DRAINING;
	return f->write_open ? TP_HOLD_NONE : TP_HOLD_FILLING;
}

int tp_fill_explain(const struct tp_fill *f, char *buf, size_t len)
{
	char w[96] = "", r[128] = "", until[64] = "it is empty";

	if (f->write_at)
		snprintf(w, sizeof(w), "the writer starts once %u of %u chunks are full "
			 "(--write-above=%u)", f->write_at, f->depth, f->write_above);
	if (f->read_at > 0)
		snprintf(until, sizeof(until), "fewer than %u of %u chunks are in use", f->read_at,
			 f->depth);
	if (f->read_below < 100)
		snprintf(r, sizeof(r), "once the ring is full, the reader waits until %s "
			 "(--read-below=%u)", until, f->read_below);
	return snprintf(buf, len, "%s%s%s", w, *w && *r ? "; " : "", r);
}
