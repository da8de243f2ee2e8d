#include "config.h"
#include "frame.h"

#include <errno.h>
#include <string.h>
#include "crc.h"
#include "le.h"

/* Byte by byte, so the wire format is little-endian whatever the host, and no field needs the
 * buffer to be aligned (a CRC after an odd-length payload is not). */
uint32_t tp_frame_payload_len(const unsigned char *buf)
{
	return tp_get_le32(buf + 20);
}

void tp_frame_put_header(unsigned char *buf, const struct tp_frame *f)
{
	tp_put_le16(buf, TP_FRAME_MAGIC);
	buf[2] = (unsigned char)(TP_FRAME_VERSION << 4 | ((unsigned)f->type & 0x0f));
	buf[3] = f->flags;
	tp_put_le32(buf + 4, f->session);
	tp_put_le64(buf + 8, f->offset);
	tp_put_le32(buf + 16, f->seq);
	tp_put_le32(buf + 20, f->len);
}

size_t tp_frame_seal(unsigned char *buf, const struct tp_frame *f)
{
	size_t end = TP_FRAME_HDR_SIZE + (size_t)f->len;

	tp_frame_put_header(buf, f);
	tp_put_le32(buf + end, tp_crc32c(0, buf, end));
	return end + TP_FRAME_CRC_SIZE;
}

/* Only once the CRC holds is the payload worth parsing: a META or END that does not is a
 * sender bug, counted as a bad type. */
bool tp_frame_payload_parses(enum tp_frame_type type, const unsigned char *p, size_t len)
{
	struct tp_frame_meta m;
	struct tp_frame_end e;
	struct tp_frame_parity pr;

	switch (type) {
	case TP_FRAME_DATA:
		return true;
	case TP_FRAME_META:
		return tp_frame_meta_decode(p, len, &m) == 0;
	case TP_FRAME_END:
		return tp_frame_end_decode(p, len, &e) == 0;
	case TP_FRAME_PARITY:
		return tp_frame_parity_decode(p, len, &pr) == 0;
	}
	return false;
}

enum tp_frame_error tp_frame_open(const unsigned char *buf, size_t len, struct tp_frame *f)
{
	if (len < TP_FRAME_OVERHEAD)
		return TP_FRAME_ERR_SHORT;

	size_t body = len - TP_FRAME_OVERHEAD;
	uint32_t plen = tp_frame_payload_len(buf);
	/* The CRC follows the payload; where the length field is wrong it is never read. */
	const unsigned char *crc = buf + TP_FRAME_HDR_SIZE + (plen <= body ? plen : 0);

	return tp_frame_open_parts(buf, buf + TP_FRAME_HDR_SIZE, crc, len, f);
}

enum tp_frame_error tp_frame_open_parts(const unsigned char *hdr, const unsigned char *payload,
					const unsigned char *crc_at, size_t len, struct tp_frame *f)
{
	if (len < TP_FRAME_OVERHEAD)
		return TP_FRAME_ERR_SHORT;
	if (tp_get_le16(hdr) != TP_FRAME_MAGIC)
		return TP_FRAME_ERR_MAGIC;
	if (hdr[2] >> 4 != TP_FRAME_VERSION)
		return TP_FRAME_ERR_VERSION;

	uint32_t plen = tp_frame_payload_len(hdr);

	if (plen > TP_FRAME_MAX_PAYLOAD || tp_frame_size(plen) != len)
		return TP_FRAME_ERR_LENGTH;
	uint32_t crc = tp_get_le32(crc_at);

	/* Chained: the same CRC as over the header and payload in one piece. */
	if (crc != tp_crc32c(tp_crc32c(0, hdr, TP_FRAME_HDR_SIZE), payload, plen))
		return TP_FRAME_ERR_CRC;

	unsigned type = hdr[2] & 0x0f;

	/* A sealed payload is read once it is opened (seal.h). */
	if (type < TP_FRAME_DATA || type > TP_FRAME_PARITY ||
	    (!(hdr[3] & TP_FRAME_FLAG_SEALED) &&
	     !tp_frame_payload_parses((enum tp_frame_type)type, payload, plen)))
		return TP_FRAME_ERR_TYPE;

	f->type = (enum tp_frame_type)type;
	f->flags = hdr[3];
	f->session = tp_get_le32(hdr + 4);
	f->offset = tp_get_le64(hdr + 8);
	f->seq = tp_get_le32(hdr + 16);
	f->len = plen;
	f->payload = payload;
	f->crc = crc;
	f->epoch = 0;
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

#define META_FEC 6u    /* fec_k, fec_m, fec_depth, after the name */

size_t tp_frame_meta_encode(unsigned char *p, size_t cap, const struct tp_frame_meta *m)
{
	size_t name_len = strnlen(m->name, TP_FRAME_NAME_MAX);
	size_t len = META_FIXED + name_len + (m->fec_k ? META_FEC : 0);

	if (cap < len)
		return 0;
	tp_put_le64(p, m->total);
	tp_put_le32(p + 8, m->frame_size);
	tp_put_le16(p + 12, m->repeat);
	tp_put_le16(p + 14, (uint16_t)name_len);
	memcpy(p + META_FIXED, m->name, name_len);
	if (m->fec_k) {
		unsigned char *f = p + META_FIXED + name_len;
		tp_put_le16(f, m->fec_k);
		tp_put_le16(f + 2, m->fec_m);
		tp_put_le16(f + 4, m->fec_depth);
	}
	return len;
}

/* Bytes after the known fields are ignored, so a later sender may append fields. */
int tp_frame_meta_decode(const unsigned char *p, size_t len, struct tp_frame_meta *m)
{
	if (len < META_FIXED)
		return -EINVAL;

	size_t name_len = tp_get_le16(p + 14);

	if (name_len > TP_FRAME_NAME_MAX || name_len > len - META_FIXED)
		return -EINVAL;
	/* A NUL inside would cut the name short without saying so. */
	if (memchr(p + META_FIXED, 0, name_len))
		return -EINVAL;
	m->total = tp_get_le64(p);
	m->frame_size = tp_get_le32(p + 8);
	m->repeat = tp_get_le16(p + 12);
	memcpy(m->name, p + META_FIXED, name_len);
	m->name[name_len] = '\0';
	m->fec_k = m->fec_m = m->fec_depth = 0;
	if (len - META_FIXED - name_len >= META_FEC) {
		const unsigned char *f = p + META_FIXED + name_len;
		m->fec_k = tp_get_le16(f);
		m->fec_m = tp_get_le16(f + 2);
		m->fec_depth = tp_get_le16(f + 4);
	}
	return 0;
}

size_t tp_frame_end_encode(unsigned char *p, size_t cap, const struct tp_frame_end *e)
{
	if (cap < TP_FRAME_END_SIZE)
		return 0;
	tp_put_le64(p, e->total);
	tp_put_le32(p + 8, e->digest);
	tp_put_le32(p + 12, e->frames);
	return TP_FRAME_END_SIZE;
}

/* As for META, bytes past the known fields are ignored. */
int tp_frame_end_decode(const unsigned char *p, size_t len, struct tp_frame_end *e)
{
	if (len < TP_FRAME_END_SIZE)
		return -EINVAL;
	e->total = tp_get_le64(p);
	e->digest = tp_get_le32(p + 8);
	e->frames = tp_get_le32(p + 12);
	return 0;
}

void tp_frame_parity_encode(unsigned char *p, const struct tp_frame_parity *pr)
{
	tp_put_le32(p, pr->block);
	tp_put_le32(p + 4, pr->count);
	tp_put_le16(p + 8, pr->k);
	tp_put_le16(p + 10, pr->m);
	tp_put_le16(p + 12, pr->depth);
	tp_put_le16(p + 14, pr->group);
	tp_put_le16(p + 16, pr->index);
	tp_put_le16(p + 18, 0);
}

int tp_frame_parity_decode(const unsigned char *p, size_t len, struct tp_frame_parity *pr)
{
	if (len < TP_FRAME_PARITY_HDR + TP_FRAME_SYMBOL_OVERHEAD)
		return -EINVAL;
	pr->block = tp_get_le32(p);
	pr->count = tp_get_le32(p + 4);
	pr->k = tp_get_le16(p + 8);
	pr->m = tp_get_le16(p + 10);
	pr->depth = tp_get_le16(p + 12);
	pr->group = tp_get_le16(p + 14);
	pr->index = tp_get_le16(p + 16);
	pr->symbol = p + TP_FRAME_PARITY_HDR;
	pr->symbol_len = (uint32_t)(len - TP_FRAME_PARITY_HDR);
	if (!pr->k || !pr->m || pr->k + pr->m > 256 || !pr->depth || pr->index >= pr->m ||
	    pr->group >= pr->depth || !pr->count || pr->count > (uint32_t)pr->k * pr->depth ||
	    !tp_frame_group_members(pr->count, pr->depth, pr->group))
		return -EINVAL;
	/* The block's frames must have seq numbers: blocks past 2^32 frames cannot exist. */
	if ((uint64_t)pr->block * pr->k * pr->depth + pr->count > (uint64_t)UINT32_MAX + 1)
		return -EINVAL;
	return 0;
}
