/* The control channel's messages (-R, -Q): a small versioned binary protocol. Pure: bytes in,
 * a struct out and back, so garbage, short and oversized messages are unit-tested.
 *
 * Every message is exactly TP_CTL_MSG_SIZE bytes: an 8-byte header ("TPct", the version, the
 * type, two zero bytes), then the type's fields at fixed places, integers little-endian,
 * strings NUL-padded in fixed fields (always NUL-terminated), every byte not used zero. One
 * size for all keeps the running tpipe's side trivial and bounded: it reads one message into
 * a fixed buffer and answers it; anything else (a bad header, a field out of range, a byte
 * more) drops the connection. A connection carries one request and its reply:
 *   SET   (client -> tpipe): the fields given (TP_CTL_SET_* bits) and their values.
 *   ACK   (tpipe -> client): the SET's result: 0 or a positive errno, and why in words.
 *   QUERY (client -> tpipe): nothing more.
 *   STATE (tpipe -> client): QUERY's reply, the transfer as it is now.
 * A new version changes the version byte; a tpipe drops a connection in a version it does
 * not speak, as it drops garbage, and the client finds no tpipe it can talk to there. */
#ifndef TP_CTL_PROTO_H
#define TP_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_CTL_MSG_SIZE 512u
#define TP_CTL_VERSION 1u
#define TP_CTL_NAME_MAX 64u     /* name field, with its NUL: names of at most 63 bytes */
#define TP_CTL_FORMAT_MAX 400u  /* --format field, with its NUL */
#define TP_CTL_WHY_MAX 128u     /* ACK's reason, with its NUL */

enum tp_ctl_type { TP_CTL_SET = 1, TP_CTL_ACK = 2, TP_CTL_QUERY = 3, TP_CTL_STATE = 4 };

/* SET: which fields it carries. */
enum tp_ctl_set_fields {
	TP_CTL_SET_RATE = 1u << 0,      /* -L: bytes/s, 0 = unlimited */
	TP_CTL_SET_TOTAL = 1u << 1,     /* -s: the expected size */
	TP_CTL_SET_NAME = 1u << 2,      /* -N */
	TP_CTL_SET_INTERVAL = 1u << 3,  /* -i */
	TP_CTL_SET_DISPLAY = 1u << 4,   /* display letters and -A's length */
	TP_CTL_SET_FORMAT = 1u << 5,    /* --format */
	TP_CTL_SET_ALL = (1u << 6) - 1,
};

struct tp_ctl_set {
	unsigned fields;               /* TP_CTL_SET_* bits, at least one */
	uint64_t rate;
	uint64_t total;
	uint64_t interval_ns;          /* not 0 */
	unsigned display;              /* enum tp_display bits */
	unsigned last_written;         /* -A N, at most TP_MAX_LAST_WRITTEN */
	char name[TP_CTL_NAME_MAX];
	char format[TP_CTL_FORMAT_MAX];
};

struct tp_ctl_ack {
	int status;                    /* 0 or a positive errno */
	char why[TP_CTL_WHY_MAX];      /* "" when status is 0 */
};

struct tp_ctl_state {
	uint64_t bytes;                /* out so far (of the stream, as progress counts) */
	uint64_t elapsed_ns;
	uint64_t total;                /* 0: unknown */
	uint64_t rate_now;             /* bytes/s, since the last query (or the average) */
	uint64_t rate_avg;             /* bytes/s since the start */
	uint64_t rate_limit;           /* the pace in force, 0: unlimited */
	unsigned ring_pct;             /* 0..100 */
	bool line_mode;                /* -l: the counts are lines */
	bool named;                    /* name holds -N's (else no name) */
	char name[TP_CTL_NAME_MAX];
};

struct tp_ctl_msg {
	enum tp_ctl_type type;
	union {
		struct tp_ctl_set set;
		struct tp_ctl_ack ack;
		struct tp_ctl_state state;
	} u;
};

/* Writes m as TP_CTL_MSG_SIZE bytes into out. 0, or -EINVAL when a field cannot be sent (a
 * string too long for its field, a value out of range). */
int tp_ctl_encode(const struct tp_ctl_msg *m, unsigned char out[TP_CTL_MSG_SIZE]);

/* Reads the len bytes received so far. 0: *m is a whole, valid message. -EAGAIN: fewer than
 * TP_CTL_MSG_SIZE bytes yet (a short one: wait for the rest, or give up on it). -EMSGSIZE:
 * more than one message (too much). -EPROTONOSUPPORT: another version. -EPROTO: not ours, or
 * a field out of range (garbage). */
int tp_ctl_decode(const unsigned char *buf, size_t len, struct tp_ctl_msg *m);

#endif
