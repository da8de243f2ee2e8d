/* CRC-32C (Castagnoli), through ISA-L's crc32_iscsi: the frames' checksum and the whole-stream
 * digest. Chained like zlib's crc32(): start with 0, pass the previous result to go on. */
#ifndef TP_CRC_H
#define TP_CRC_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of crc's data followed by buf[0..len): tp_crc32c(0, "123456789", 9) is
 * 0xE3069283, and tp_crc32c(tp_crc32c(0, a, n), b, m) equals the CRC of a then b.
 * Any len (ISA-L takes an int; longer buffers go in pieces). */
uint32_t tp_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
