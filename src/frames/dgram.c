#include "config.h"
#include "dgram.h"

#include "frame.h"

size_t tp_dgram_next(const unsigned char *buf, size_t avail, size_t size, bool framed)
{
	size_t len = size;

	if (framed && avail >= TP_FRAME_HDR_SIZE) {
		/* The framer wrote this header. */
		len = tp_frame_size(tp_frame_payload_len(buf));
	}
	if (len == 0 || len > avail)
		len = avail; /* never 0: the caller's walk must move on */
	return len;
}

size_t tp_dgram_span(const unsigned char *buf, size_t avail, size_t size, bool framed, size_t max)
{
	size_t span = tp_dgram_next(buf, avail, size, framed);

	while (span < avail) {
		size_t n = tp_dgram_next(buf + span, avail - span, size, framed);
		if (span + n > max)
			break;
		span += n;
	}
	return span;
}
