#include "config.h"
#include "skip.h"

#include <assert.h>

/* The block for a skip from pos: doubled when pos is where the last one landed. */
static uint64_t block_at(const struct tp_skip *s, uint64_t pos)
{
	if (!s->block || pos != s->landed)
		return TP_SKIP_MIN;
	return s->block * 2 > TP_SKIP_MAX ? TP_SKIP_MAX : s->block * 2;
}

uint64_t tp_skip_plan(const struct tp_skip *s, uint64_t pos, uint64_t end)
{
	if (pos >= end)
		return 0;
	uint64_t block = block_at(s, pos);
	uint64_t to = (pos / block + 1) * block;
	return (to < end ? to : end) - pos;
}

void tp_skip_made(struct tp_skip *s, uint64_t pos, uint64_t len)
{
	assert(len > 0 && s->owed == 0);
	s->block = block_at(s, pos);
	s->landed = pos + len;
	s->owed = len;
	s->bytes += len;
	s->ranges++;
}

size_t tp_skip_take(struct tp_skip *s, size_t room)
{
	size_t n = s->owed < room ? (size_t)s->owed : room;

	s->owed -= n;
	return n;
}

void tp_skip_good(struct tp_skip *s)
{
	s->block = 0;
}
