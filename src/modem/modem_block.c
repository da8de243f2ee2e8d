/* XMODEM and YMODEM blocks (modem_block.h). */
#include "config.h"
#include "modem_block.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bit by bit: at most 1 KiB a block, 11 blocks a second at 115200 baud, so a table would
 * buy nothing that shows. */
uint16_t tp_modem_crc16(uint16_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
	}
	return crc;
}

static unsigned char sum8(const unsigned char *p, size_t len)
{
	unsigned s = 0;

	for (size_t i = 0; i < len; i++)
		s += p[i];
	return (unsigned char)s;
}

size_t tp_modem_block_encode(unsigned char *out, unsigned number, const unsigned char *data,
			     size_t len, bool crc)
{
	out[0] = len == TP_MODEM_LARGE ? TP_MODEM_STX : TP_MODEM_SOH;
	out[1] = (unsigned char)number;
	out[2] = (unsigned char)~number;
	memcpy(out + 3, data, len);
	if (!crc) {
		out[3 + len] = sum8(data, len);
		return 4 + len;
	}
	uint16_t c = tp_modem_crc16(0, data, len);
	out[3 + len] = (unsigned char)(c >> 8);
	out[4 + len] = (unsigned char)c;
	return 5 + len;
}

size_t tp_modem_block_size(unsigned char h, bool crc)
{
	size_t len = h == TP_MODEM_SOH ? TP_MODEM_SMALL : h == TP_MODEM_STX ? TP_MODEM_LARGE : 0;

	return len ? 3 + len + (crc ? 2 : 1) : 0;
}

int tp_modem_block_check(const unsigned char *buf, bool crc, unsigned *number)
{
	size_t len = buf[0] == TP_MODEM_STX ? TP_MODEM_LARGE : TP_MODEM_SMALL;
	const unsigned char *data = buf + 3;
	bool ok = (unsigned char)(buf[1] ^ buf[2]) == 0xff;

	if (crc)
		ok = ok && tp_modem_crc16(0, data, len) == (uint16_t)(data[len] << 8 | data[len + 1]);
	else
		ok = ok && sum8(data, len) == data[len];
	*number = buf[1];
	return ok ? 0 : -EBADMSG;
}

int tp_modem_header_encode(unsigned char *out, const struct tp_modem_file *f)
{
	char info[80];
	size_t name = strlen(f->name);
	/* The mode with its file type bits, as sb sends it: rb applies a mode only with them. */
	int n = snprintf(info, sizeof(info), "%" PRIu64 " %" PRIo64 " %o", f->size,
			 (uint64_t)(f->mtime > 0 ? f->mtime : 0), f->mode & 0177777u);
	size_t need = name + 1 + (size_t)n + 1;

	if (need > TP_MODEM_LARGE)
		return -ENAMETOOLONG;
	size_t len = need <= TP_MODEM_SMALL ? TP_MODEM_SMALL : TP_MODEM_LARGE;
	memset(out, 0, len);
	memcpy(out, f->name, name);
	memcpy(out + name + 1, info, (size_t)n);
	return (int)len;
}

bool tp_modem_name_ok(const char *name)
{
	if (name[0] == '.' || !name[0])   /* ".", "..", and hidden files such as .bashrc */
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || (*p >= 0x7f && *p <= 0x9f))
			return false;
	return true;
}

/* A number in base at *p, up to a space or the end: true with *v, *p past it. */
static bool number_at(const char **p, const char *end, int base, uint64_t *v)
{
	char buf[32];
	size_t n = 0;

	while (*p < end && **p == ' ')
		(*p)++;
	while (*p < end && **p && **p != ' ' && n < sizeof(buf) - 1)
		buf[n++] = *(*p)++;
	buf[n] = 0;
	if (!n || (*p < end && **p && **p != ' '))   /* none, or too long to be a number */
		return false;
	char *stop;
	errno = 0;
	*v = strtoull(buf, &stop, base);
	return !*stop && !errno && buf[0] != '-';
}

int tp_modem_header_parse(const unsigned char *data, size_t len, struct tp_modem_file *f)
{
	const char *p = (const char *)data, *end = p + len;
	const char *nul = memchr(p, 0, len);
	uint64_t v;

	memset(f, 0, sizeof(*f));
	f->mtime = -1;
	if (!nul || (size_t)(nul - p) >= sizeof(f->name))
		return -EBADMSG;
	if (nul == p)
		return 1;   /* the empty name: the batch is over */
	memcpy(f->name, p, (size_t)(nul - p));
	if (!tp_modem_name_ok(f->name))
		return -EPERM;
	p = nul + 1;
	if (p < end && *p) {   /* the size, then optional mtime and mode */
		if (!number_at(&p, end, 10, &f->size))
			return -EBADMSG;
		f->size_known = true;
		if (number_at(&p, end, 8, &v) && v <= INT64_MAX) {
			f->mtime = (int64_t)v;
			if (number_at(&p, end, 8, &v))
				f->mode = (unsigned)(v & 07777u);
		}
	}
	return 0;
}
