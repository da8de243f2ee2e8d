/* Frames: the unit of a framed stream (-F / -D). Pure: layout, sealing and checking only.
 *
 * Wire layout, little-endian, naturally aligned (documented in tpipe(1), FRAME FORMAT):
 *   0  u16 magic      0x5054 ("TP" read as a little-endian u16: bytes 'T' 'P')
 *   2  u8  vtype      version (high 4 bits, 1) | type (low 4 bits)
 *   3  u8  flags      bit 0: sealed (seal.h: --key-file); bit 1: sealed with AES-256-GCM
 *                     (else XChaCha20-Poly1305); a receiver ignores bits it does not know
 *   4  u32 session    random per run: a new value means the sender restarted
 *   8  u64 offset     stream offset of the payload's first byte
 *  16  u32 seq        DATA frames count 0, 1, 2...; META and END carry the next DATA seq
 *  20  u32 len        payload bytes
 *  24  payload
 *  24+len u32 crc     CRC-32C of bytes 0 .. 24+len
 * A datagram carries exactly one frame. A byte stream carries each frame COBS-encoded between
 * 0x00 delimiters (cobs.h). */
#ifndef TP_FRAME_H
#define TP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_FRAME_MAGIC 0x5054u
#define TP_FRAME_VERSION 1u
#define TP_FRAME_HDR_SIZE 24u
#define TP_FRAME_CRC_SIZE 4u
#define TP_FRAME_OVERHEAD (TP_FRAME_HDR_SIZE + TP_FRAME_CRC_SIZE)
/* The largest payload a receiver accepts (and --frame-size allows). */
#define TP_FRAME_MAX_PAYLOAD (1u << 20)

/* flags: the payload is sealed (seal.h); its META/END/PARITY fields are read once opened. */
#define TP_FRAME_FLAG_SEALED 0x01u
/* flags, with SEALED: the cipher is AES-256-GCM rather than XChaCha20-Poly1305. */
#define TP_FRAME_FLAG_AES256GCM 0x02u

enum tp_frame_type { TP_FRAME_DATA = 1, TP_FRAME_META = 2, TP_FRAME_END = 3, TP_FRAME_PARITY = 4 };

/* Why a frame was refused, in the order they are checked. */
enum tp_frame_error {
	TP_FRAME_OK = 0,
	TP_FRAME_ERR_SHORT,    /* fewer bytes than a header and a CRC */
	TP_FRAME_ERR_MAGIC,    /* not our magic */
	TP_FRAME_ERR_VERSION,  /* a version we do not know */
	TP_FRAME_ERR_LENGTH,   /* the length field disagrees with the frame's size, or is too big */
	TP_FRAME_ERR_CRC,      /* the CRC does not match */
	TP_FRAME_ERR_TYPE,     /* an unknown type, or a META/END payload that does not parse */
	TP_FRAME_ERR_COBS,     /* (byte streams) the stuffing does not decode */
	TP_FRAME_NERRORS
};

/* A frame's header fields, and where its payload is. */
struct tp_frame {
	enum tp_frame_type type;
	uint8_t flags;
	uint32_t session;
	uint64_t offset;
	uint32_t seq;
	uint32_t len;
	const unsigned char *payload;
	uint32_t crc;        /* the frame's CRC field (set by tp_frame_open; seal ignores it):
	                      * two copies of a frame have the same, other bytes another */
	uint64_t epoch;      /* a sealed frame, once opened: its sender's start (seal.h); 0 for
	                      * a frame that was not sealed (tp_frame_open sets 0) */
};

/* The total bytes of a frame with a payload of len bytes. */
static inline size_t tp_frame_size(size_t len)
{
	return len + TP_FRAME_OVERHEAD;
}

/* Seals a frame in place: the payload (f->len bytes) is already at buf + TP_FRAME_HDR_SIZE;
 * writes the header from f before it and the CRC after it (f->payload is ignored). Returns
 * the frame's size. No copy of the payload. */
size_t tp_frame_seal(unsigned char *buf, const struct tp_frame *f);

/* Writes f's header as sent (TP_FRAME_HDR_SIZE bytes at buf). */
void tp_frame_put_header(unsigned char *buf, const struct tp_frame *f);

/* Whether a payload parses as its type says (META, END and PARITY have fields; DATA any). */
bool tp_frame_payload_parses(enum tp_frame_type type, const unsigned char *p, size_t len);

/* The payload length in the header at buf (TP_FRAME_HDR_SIZE bytes), unchecked: for walking
 * frames we made ourselves (dgram.c). */
uint32_t tp_frame_payload_len(const unsigned char *buf);

/* Checks a whole frame of exactly len bytes; fills *f (payload pointing into buf) and returns
 * TP_FRAME_OK, or the first enum tp_frame_error that applies. */
enum tp_frame_error tp_frame_open(const unsigned char *buf, size_t len, struct tp_frame *f);

/* tp_frame_open for a frame in three places (decoded straight to where its payload is
 * wanted): its header (TP_FRAME_HDR_SIZE bytes at hdr), its payload at payload and its CRC
 * field (TP_FRAME_CRC_SIZE bytes at crc), len bytes in all. The same checks in the same order,
 * the CRC over header then payload; f->payload points to payload. payload and crc are only
 * read when the length field agrees with len. */
enum tp_frame_error tp_frame_open_parts(const unsigned char *hdr, const unsigned char *payload,
					const unsigned char *crc, size_t len, struct tp_frame *f);

/* A short name for a refusal reason ("crc", "length"...), used as a stats key. */
const char *tp_frame_error_name(enum tp_frame_error e);

/* META payload: what a receiver that starts late needs to know.
 *   u64 total (UINT64_MAX when unknown), u32 frame_size, u16 repeat, u16 name_len, name bytes,
 *   then (--fec) u16 fec_k, u16 fec_m, u16 fec_depth; a META without them says no --fec. */
#define TP_FRAME_TOTAL_UNKNOWN UINT64_MAX
#define TP_FRAME_NAME_MAX 255u
struct tp_frame_meta {
	uint64_t total;
	uint32_t frame_size;
	uint16_t repeat;
	char name[TP_FRAME_NAME_MAX + 1]; /* NUL-terminated; "" when unknown */
	uint16_t fec_k, fec_m, fec_depth; /* --fec K+M and its depth; 0 when none */
};

/* Writes a META payload to p (room for cap bytes); returns its length, or 0 if cap is too
 * small. A longer name is cut to TP_FRAME_NAME_MAX bytes. */
size_t tp_frame_meta_encode(unsigned char *p, size_t cap, const struct tp_frame_meta *m);
/* 0, or -EINVAL when the payload does not parse (its name_len past its end, say). */
int tp_frame_meta_decode(const unsigned char *p, size_t len, struct tp_frame_meta *m);

/* END payload: u64 total bytes, u32 digest (CRC-32C of the whole stream), u32 frames (DATA
 * frames sent, so the last seq is frames - 1). */
#define TP_FRAME_END_SIZE 16u
struct tp_frame_end {
	uint64_t total;
	uint32_t digest;
	uint32_t frames;
};

size_t tp_frame_end_encode(unsigned char *p, size_t cap, const struct tp_frame_end *e);
int tp_frame_end_decode(const unsigned char *p, size_t len, struct tp_frame_end *e);

/* PARITY (--fec): one parity symbol of a group of DATA frames.
 * A DATA frame's symbol is its bytes from the offset field to the end of its CRC (offset,
 * seq, len, payload, crc: its len + TP_FRAME_SYMBOL_OVERHEAD bytes); the fields in front
 * (magic, version and type, flags 0, session) are the same for every DATA frame of a session.
 * DATA frames are numbered in blocks of k * depth from seq 0: frame seq is member
 * (seq % (k * depth)) / depth of group (seq % (k * depth)) % depth of block seq / (k * depth),
 * so frames next to each other fall into different groups. After a block's last DATA frame
 * (or, for the last block, before END) come its m * depth parity frames, parity index 0 of
 * every group, then index 1, and so on. Payload:
 *   u32 block, u32 count (DATA frames in the block: k * depth, fewer in the last one),
 *   u16 k, u16 m, u16 depth, u16 group, u16 index (0 .. m-1), u16 0,
 *   then the parity symbol: the Reed-Solomon parity (fec.h) of the group's members' symbols,
 *   each padded with zeros to the longest of them, which is the parity's length. */
#define TP_FRAME_SYMBOL_AT 8u
#define TP_FRAME_SYMBOL_OVERHEAD (TP_FRAME_OVERHEAD - TP_FRAME_SYMBOL_AT)
#define TP_FRAME_PARITY_HDR 20u
/* Parity costs this much more than the longest DATA frame of its group. */
#define TP_FRAME_PARITY_EXTRA (TP_FRAME_PARITY_HDR + TP_FRAME_SYMBOL_OVERHEAD)
struct tp_frame_parity {
	uint32_t block, count;
	uint16_t k, m, depth, group, index;
	const unsigned char *symbol;  /* in the frame's payload */
	uint32_t symbol_len;
};

/* The DATA frames of group g in a block of `count`: those at positions g, g + depth, ... */
static inline unsigned tp_frame_group_members(unsigned count, unsigned depth, unsigned g)
{
	return count > g ? (count - g + depth - 1) / depth : 0;
}

/* Writes the parity header to p (TP_FRAME_PARITY_HDR bytes); the symbol follows it. */
void tp_frame_parity_encode(unsigned char *p, const struct tp_frame_parity *pr);
/* 0, or -EINVAL when the fields are impossible (k + m over 256, a group past the depth or
 * with no members, an index past m, a symbol shorter than an empty frame's...). */
int tp_frame_parity_decode(const unsigned char *p, size_t len, struct tp_frame_parity *pr);

#endif
