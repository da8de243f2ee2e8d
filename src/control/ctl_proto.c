#include "config.h"
#include "ctl_proto.h"

#include <errno.h>
#include <string.h>
#include "enums.h"
#include "le.h"

static const unsigned char magic[4] = { 'T', 'P', 'c', 't' };

/* Where each field lies (header: 0-7). */
enum {
	SET_FIELDS = 8, SET_DISPLAY = 12, SET_RATE = 16, SET_TOTAL = 24, SET_INTERVAL = 32,
	SET_LAST = 40, SET_NAME = 48, SET_FORMAT = SET_NAME + TP_CTL_NAME_MAX,
	SET_END = SET_FORMAT + TP_CTL_FORMAT_MAX,
	ACK_STATUS = 8, ACK_WHY = 12, ACK_END = ACK_WHY + TP_CTL_WHY_MAX,
	QUERY_END = 8,
	ST_BYTES = 8, ST_ELAPSED = 16, ST_TOTAL = 24, ST_RATE_NOW = 32, ST_RATE_AVG = 40,
	ST_RATE_LIMIT = 48, ST_RING = 56, ST_FLAGS = 57, ST_NAME = 64,
	ST_END = ST_NAME + TP_CTL_NAME_MAX,
};
_Static_assert(SET_END <= TP_CTL_MSG_SIZE, "SET fits a message");

#define ST_LINE_MODE 1u
#define ST_NAMED 2u
#define DISPLAY_ALL ((TP_DISPLAY_LAST << 1) - 1)

/* A string into a field of `size` bytes (the rest stays zero): false if it does not fit. */
static bool put_str(unsigned char *p, const char *s, size_t size)
{
	size_t n = strlen(s);

	if (n >= size)
		return false;
	memcpy(p, s, n);
	return true;
}

/* A field of `size` bytes into s: a string, then only zeros. */
static bool get_str(const unsigned char *p, size_t size, char *s)
{
	size_t n = strnlen((const char *)p, size);

	if (n == size)
		return false;
	for (size_t i = n; i < size; i++)
		if (p[i])
			return false;
	memcpy(s, p, n + 1);
	return true;
}

static bool zeros(const unsigned char *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (p[i])
			return false;
	return true;
}

static int encode_set(const struct tp_ctl_set *s, unsigned char *out)
{
	unsigned f = s->fields;

	if (!f || (f & ~TP_CTL_SET_ALL) ||
	    ((f & TP_CTL_SET_INTERVAL) && !s->interval_ns) ||
	    ((f & TP_CTL_SET_DISPLAY) && (!s->display || (s->display & ~DISPLAY_ALL) ||
					  s->last_written > TP_MAX_LAST_WRITTEN)))
		return -EINVAL;
	tp_put_le32(out + SET_FIELDS, f);
	if (f & TP_CTL_SET_DISPLAY) {
		tp_put_le32(out + SET_DISPLAY, s->display);
		tp_put_le32(out + SET_LAST, s->last_written);
	}
	if (f & TP_CTL_SET_RATE)
		tp_put_le64(out + SET_RATE, s->rate);
	if (f & TP_CTL_SET_TOTAL)
		tp_put_le64(out + SET_TOTAL, s->total);
	if (f & TP_CTL_SET_INTERVAL)
		tp_put_le64(out + SET_INTERVAL, s->interval_ns);
	if ((f & TP_CTL_SET_NAME) && !put_str(out + SET_NAME, s->name, TP_CTL_NAME_MAX))
		return -EINVAL;
	if ((f & TP_CTL_SET_FORMAT) && !put_str(out + SET_FORMAT, s->format, TP_CTL_FORMAT_MAX))
		return -EINVAL;
	return 0;
}

static int encode_state(const struct tp_ctl_state *s, unsigned char *out)
{
	if (s->ring_pct > 100 || (!s->named && s->name[0]))
		return -EINVAL;
	tp_put_le64(out + ST_BYTES, s->bytes);
	tp_put_le64(out + ST_ELAPSED, s->elapsed_ns);
	tp_put_le64(out + ST_TOTAL, s->total);
	tp_put_le64(out + ST_RATE_NOW, s->rate_now);
	tp_put_le64(out + ST_RATE_AVG, s->rate_avg);
	tp_put_le64(out + ST_RATE_LIMIT, s->rate_limit);
	out[ST_RING] = (unsigned char)s->ring_pct;
	out[ST_FLAGS] = (unsigned char)((s->line_mode ? ST_LINE_MODE : 0) |
					(s->named ? ST_NAMED : 0));
	return put_str(out + ST_NAME, s->name, TP_CTL_NAME_MAX) ? 0 : -EINVAL;
}

int tp_ctl_encode(const struct tp_ctl_msg *m, unsigned char out[TP_CTL_MSG_SIZE])
{
	memset(out, 0, TP_CTL_MSG_SIZE);
	memcpy(out, magic, sizeof(magic));
	out[4] = TP_CTL_VERSION;
	out[5] = (unsigned char)m->type;
	switch (m->type) {
	case TP_CTL_SET:
		return encode_set(&m->u.set, out);
	case TP_CTL_ACK:
		if (m->u.ack.status < 0 || m->u.ack.status > 4095 ||
		    (m->u.ack.status == 0 && m->u.ack.why[0]))
			return -EINVAL;
		tp_put_le32(out + ACK_STATUS, (uint32_t)m->u.ack.status);
		return put_str(out + ACK_WHY, m->u.ack.why, TP_CTL_WHY_MAX) ? 0 : -EINVAL;
	case TP_CTL_QUERY:
		return 0;
	case TP_CTL_STATE:
		return encode_state(&m->u.state, out);
	}
	return -EINVAL;
}

/* A field that is not given must be zero, as encode leaves it. */
static int decode_set(const unsigned char *in, struct tp_ctl_set *s)
{
	unsigned f = tp_get_le32(in + SET_FIELDS);

	memset(s, 0, sizeof(*s));
	s->fields = f;
	if (!f || (f & ~TP_CTL_SET_ALL) || !zeros(in, SET_LAST + 4, SET_NAME) ||
	    !zeros(in, SET_END, TP_CTL_MSG_SIZE))
		return -EPROTO;
	s->display = tp_get_le32(in + SET_DISPLAY);
	s->last_written = tp_get_le32(in + SET_LAST);
	s->rate = tp_get_le64(in + SET_RATE);
	s->total = tp_get_le64(in + SET_TOTAL);
	s->interval_ns = tp_get_le64(in + SET_INTERVAL);
	if ((f & TP_CTL_SET_DISPLAY) ? !s->display || (s->display & ~DISPLAY_ALL) ||
				       s->last_written > TP_MAX_LAST_WRITTEN
				     : s->display || s->last_written)
		return -EPROTO;
	if ((f & TP_CTL_SET_RATE) ? false : s->rate != 0)
		return -EPROTO;
	if ((f & TP_CTL_SET_TOTAL) ? false : s->total != 0)
		return -EPROTO;
	if ((f & TP_CTL_SET_INTERVAL) ? !s->interval_ns : s->interval_ns != 0)
		return -EPROTO;
	if (!get_str(in + SET_NAME, TP_CTL_NAME_MAX, s->name) ||
	    !get_str(in + SET_FORMAT, TP_CTL_FORMAT_MAX, s->format) ||
	    (!(f & TP_CTL_SET_NAME) && s->name[0]) || (!(f & TP_CTL_SET_FORMAT) && s->format[0]))
		return -EPROTO;
	return 0;
}

static int decode_state(const unsigned char *in, struct tp_ctl_state *s)
{
	unsigned flags = in[ST_FLAGS];

	memset(s, 0, sizeof(*s));
	s->bytes = tp_get_le64(in + ST_BYTES);
	s->elapsed_ns = tp_get_le64(in + ST_ELAPSED);
	s->total = tp_get_le64(in + ST_TOTAL);
	s->rate_now = tp_get_le64(in + ST_RATE_NOW);
	s->rate_avg = tp_get_le64(in + ST_RATE_AVG);
	s->rate_limit = tp_get_le64(in + ST_RATE_LIMIT);
	s->ring_pct = in[ST_RING];
	s->line_mode = flags & ST_LINE_MODE;
	s->named = flags & ST_NAMED;
	if (s->ring_pct > 100 || (flags & ~(ST_LINE_MODE | ST_NAMED)) ||
	    !zeros(in, ST_FLAGS + 1, ST_NAME) || !zeros(in, ST_END, TP_CTL_MSG_SIZE) ||
	    !get_str(in + ST_NAME, TP_CTL_NAME_MAX, s->name) || (!s->named && s->name[0]))
		return -EPROTO;
	return 0;
}

int tp_ctl_decode(const unsigned char *buf, size_t len, struct tp_ctl_msg *m)
{
	/* What has come of the header is looked at at once: garbage is dropped without
	 * waiting for a whole message of it. */
	size_t head = len < sizeof(magic) ? len : sizeof(magic);

	if (memcmp(buf, magic, head) != 0)
		return -EPROTO;
	if (len > 4 && buf[4] != TP_CTL_VERSION)
		return -EPROTONOSUPPORT;
	if (len > 5 && (buf[5] < TP_CTL_SET || buf[5] > TP_CTL_STATE))
		return -EPROTO;
	if (len > 6 && buf[6])
		return -EPROTO;
	if (len > 7 && buf[7])
		return -EPROTO;
	if (len < TP_CTL_MSG_SIZE)
		return -EAGAIN;
	if (len > TP_CTL_MSG_SIZE)
		return -EMSGSIZE;
	memset(m, 0, sizeof(*m));
	m->type = (enum tp_ctl_type)buf[5];
	switch (m->type) {
	case TP_CTL_SET:
		return decode_set(buf, &m->u.set);
	case TP_CTL_ACK:
		m->u.ack.status = (int)tp_get_le32(buf + ACK_STATUS);
		if (tp_get_le32(buf + ACK_STATUS) > 4095 || !zeros(buf, ACK_END, TP_CTL_MSG_SIZE) ||
		    !get_str(buf + ACK_WHY, TP_CTL_WHY_MAX, m->u.ack.why) ||
		    (m->u.ack.status == 0 && m->u.ack.why[0]))
			return -EPROTO;
		return 0;
	case TP_CTL_QUERY:
		return zeros(buf, QUERY_END, TP_CTL_MSG_SIZE) ? 0 : -EPROTO;
	case TP_CTL_STATE:
		return decode_state(buf, &m->u.state);
	}
	return -EPROTO;
}
