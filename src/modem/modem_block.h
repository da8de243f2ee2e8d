/* XMODEM and YMODEM blocks, as Chuck Forsberg's "XMODEM/YMODEM Protocol Reference" (1988)
 * defines them: SOH (128 data bytes) or STX (1024), the block number and its complement,
 * the data, then an 8-bit sum or a CRC-16 (polynomial 0x1021, initial 0, sent high byte
 * first); and YMODEM's block 0, which names the file. Pure: no I/O. */
#ifndef TP_MODEM_BLOCK_H
#define TP_MODEM_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	TP_MODEM_SOH = 0x01,   /* a 128-byte block follows */
	TP_MODEM_STX = 0x02,   /* a 1024-byte block follows */
	TP_MODEM_EOT = 0x04,   /* the file is over */
	TP_MODEM_ACK = 0x06,
	TP_MODEM_NAK = 0x15,   /* "again", and at the start "send, with 8-bit sums" */
	TP_MODEM_CAN = 0x18,   /* two in a row: the transfer is cancelled */
	TP_MODEM_SUB = 0x1a,   /* XMODEM's padding */
	TP_MODEM_WANT_CRC = 'C',  /* at the start: "send, with CRC-16" */
	TP_MODEM_WANT_G = 'G',    /* at the start: "stream, with CRC-16, no ACKs" (YMODEM-g) */
};

#define TP_MODEM_SMALL 128u
#define TP_MODEM_LARGE 1024u
/* The largest block on the line: header, number, complement, data, CRC. */
#define TP_MODEM_BLOCK_MAX (3u + TP_MODEM_LARGE + 2u)

/* CRC-16 as XMODEM uses it (CRC-16/XMODEM: check value of "123456789" is 0x31C3). */
uint16_t tp_modem_crc16(uint16_t crc, const void *buf, size_t len);

/* The block `number` (mod 256) of `len` data bytes (TP_MODEM_SMALL or TP_MODEM_LARGE) into
 * out (TP_MODEM_BLOCK_MAX bytes), with a CRC or a sum. Returns the block's size. */
size_t tp_modem_block_encode(unsigned char *out, unsigned number, const unsigned char *data,
			     size_t len, bool crc);

/* The size on the line of a block that starts with header byte h (SOH or STX), 0 for any
 * other byte. */
size_t tp_modem_block_size(unsigned char h, bool crc);

/* Checks a whole block as read (tp_modem_block_size bytes from its header on): 0 with
 * *number and its data at buf + 3, or -EBADMSG (a complement or a check that does not
 * match). */
int tp_modem_block_check(const unsigned char *buf, bool crc, unsigned *number);

/* YMODEM's block 0: what it says of a file. */
struct tp_modem_file {
	char name[256];      /* as sent: no directory may be in it (tp_modem_name_ok) */
	uint64_t size;       /* bytes; size_known false when the sender did not say */
	bool size_known;
	int64_t mtime;       /* seconds since 1970, -1 when not said */
	unsigned mode;       /* st_mode as sent (type bits too); parsed: the permission bits, 0
	                      * when not said */
};

/* Block 0's data for f, into out (len bytes: TP_MODEM_SMALL, or TP_MODEM_LARGE when the name
 * needs it): the name, NUL, then "SIZE MTIME MODE" (decimal, octal, octal), NULs after.
 * -ENAMETOOLONG when that does not fit 1024 bytes, else the data length to send. */
int tp_modem_header_encode(unsigned char *out, const struct tp_modem_file *f);

/* Reads block 0's data (len bytes). 0 with *f; 1 for the empty block 0 that ends a batch;
 * -EBADMSG for a block that says nothing readable (no NUL after the name, a size that is no
 * number); -EPERM for a name that would leave the directory (tp_modem_name_ok). */
int tp_modem_header_parse(const unsigned char *data, size_t len, struct tp_modem_file *f);

/* Whether a name from the far side may be written in the directory: not empty, no '/',
 * not starting with '.' (so neither ".." nor a hidden file such as .bashrc or .ssh), no
 * control characters, C1's included (so no terminal escape gets into a message). */
bool tp_modem_name_ok(const char *name);

#endif
