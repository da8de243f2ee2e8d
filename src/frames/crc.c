#include "config.h"
#include "crc.h"

#include <isa-l/crc.h>

/* crc32_iscsi takes an int length; 1 GiB pieces stay well inside it. */
#define CRC_PIECE ((size_t)1 << 30)

uint32_t tp_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	/* ISA-L works on the raw register (no pre/post inversion), zlib's convention hands out the
	 * inverted one: undo it on the way in, redo it on the way out, so results chain. */
	uint32_t c = ~crc;

	while (len > 0) {
		size_t n = len < CRC_PIECE ? len : CRC_PIECE;

		/* ISA-L only reads the buffer; its prototype just lacks the const. */
		c = crc32_iscsi((unsigned char *)p, (int)n, c);
		p += n;
		len -= n;
	}
	return ~c;
}
