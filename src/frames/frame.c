#include "config.h"
#include "frame.h"

#include <errno.h>
#include <string.h>
#include "crc.h"

/* Byte by byte, so the wire format is little-endian whatever the host, and no field needs the
 * buffer to be aligned (a CRC after an odd-length payload is not). */
static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint32_t tp_frame_payload_len(const unsigned char *buf)
{
	return get32(buf + 20);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

size_t tp_frame_seal(unsigned char *buf, const struct tp_frame *f)
{
	size_t end = TP_FRAME_HDR_SIZE + (size_t)f->len;

	put16(buf, TP_FRAME_MAGIC);
	buf[2] = (unsigned char)(TP_FRAME_VERSION << 4 | ((unsigned)f->type & 0x0f));
	buf[3] = f->flags;
	put32(buf + 4, f->session);
	put64(buf + 8, f->offset);
	put32(buf + 16, f->seq);
	put32(buf + 20, f->len);
	put32(buf + end, tp_crc32c(0, buf, end));
	return end + TP_FRAME_CRC_SIZE;
}

/* Only once the CRC holds is the payload worth parsing: a META or END that does not is a
 * sender bug, counted as a bad type. */
static bool payload_parses(enum tp_frame_type type, const unsigned char *p, size_t len)
{
	struct tp_frame_meta m;
	struct tp_frame_end e;

	switch (type) {
	case TP_FRAME_DATA:
		return true;
	case TP_FRAME_META:
		return tp_frame_meta_decode(p, len, &m) == 0;
	case TP_FRAME_END:
		return tp_frame_end_decode(p, len, &e) == 0;
	}
	return false;
}

enum tp_frame_error tp_frame_open(const unsigned char *buf, size_t len, struct tp_frame *f)
{
	if (len < TP_FRAME_OVERHEAD)
		return TP_FRAME_ERR_SHORT;
	if (get16(buf) != TP_FRAME_MAGIC)
		return TP_FRAME_ERR_MAGIC;
	if (buf[2] >> 4 != TP_FRAME_VERSION)
		return TP_FRAME_ERR_VERSION;

	uint32_t plen = get32(buf + 20);

	if (plen > TP_FRAME_MAX_PAYLOAD || tp_frame_size(plen) != len)
		return TP_FRAME_ERR_LENGTH;
	uint32_t crc = get32(buf + TP_FRAME_HDR_SIZE + plen);

	if (crc != tp_crc32c(0, buf, TP_FRAME_HDR_SIZE + plen))
		return TP_FRAME_ERR_CRC;

	unsigned type = buf[2] & 0x0f;

	if (type < TP_FRAME_DATA || type > TP_FRAME_END ||
	    !payload_parses((enum tp_frame_type)type, buf + TP_FRAME_HDR_SIZE, plen))
		return TP_FRAME_ERR_TYPE;

	f->type = (enum tp_frame_type)type;
	f->flags = buf[3];
	f->session = get32(buf + 4);
	f->offset = get64(buf + 8);
	f->seq = get32(buf + 16);
	f->len = plen;
	f->payload = buf + TP_FRAME_HDR_SIZE;
	f->crc = crc;
	return TP_FRAME_OK;
}

static const char *const error_names[TP_FRAME_NERRORS] = {
	[TP_FRAME_OK] = "ok",
	[TP_FRAME_ERR_SHORT] = "short",
	[TP_FRAME_ERR_MAGIC] = "magic",
	[TP_FRAME_ERR_VERSION] = "version",
	[TP_FRAME_ERR_LENGTH] = "length",
	[TP_FRAME_ERR_CRC] = "crc",
	[TP_FRAME_ERR_TYPE] = "type",
	[TP_FRAME_ERR_COBS] = "cobs",
};

const char *tp_frame_error_name(enum tp_frame_error e)
{
	if ((unsigned)e >= TP_FRAME_NERRORS)
		return "unknown";
	return error_names[e];
}

#define META_FIXED 16u  /* total, frame_size, repeat, name_len */

size_t tp_frame_meta_encode(unsigned char *p, size_t cap, const struct tp_frame_meta *m)
{
	size_t name_len = strnlen(m->name, TP_FRAME_NAME_MAX);

	if (cap < META_FIXED + name_len)
		return 0;
	put64(p, m->total);
	put32(p + 8, m->frame_size);
	put16(p + 12, m->repeat);
	put16(p + 14, (uint16_t)name_len);
	memcpy(p + META_FIXED, m->name, name_len);
	return META_FIXED + name_len;
}

/* Bytes after the known fields are ignored, so a later sender may append fields. */
int tp_frame_meta_decode(const unsigned char *p, size_t len, struct tp_frame_meta *m)
{
	if (len < META_FIXED)
		return -EINVAL;

	size_t name_len = get16(p + 14);

	if (name_len > TP_FRAME_NAME_MAX || name_len > len - META_FIXED)
		return -EINVAL;
	/* A NUL inside would cut the name short without saying so. */
	if (memchr(p + META_FIXED, 0, name_len))
		return -EINVAL;
	m->total = get64(p);
	m->frame_size = get32(p + 8);
	m->repeat = get16(p + 12);
	memcpy(m->name, p + META_FIXED, name_len);
	m->name[name_len] = '\0';
	return 0;
}

size_t tp_frame_end_encode(unsigned char *p, size_t cap, const struct tp_frame_end *e)
{
	if (cap < TP_FRAME_END_SIZE)
		return 0;
	put64(p, e->total);
	put32(p + 8, e->digest);
	put32(p + 12, e->frames);
	return TP_FRAME_END_SIZE;
}

/* As for META, bytes past the known fields are ignored. */
int tp_frame_end_decode(const unsigned char *p, size_t len, struct tp_frame_end *e)
{
	if (len < TP_FRAME_END_SIZE)
		return -EINVAL;
	e->total = get64(p);
	e->digest = get32(p + 8);
	e->frames = get32(p + 12);
	return 0;
}
