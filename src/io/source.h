/* Sources: where the reader's bytes come from. One ops struct per transport; the reader opens
 * each input in turn, like cat. */
#ifndef TP_SOURCE_H
#define TP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "skip.h"

struct tp_source;

/* What opening an input may need besides its name. */
struct tp_source_params {
	unsigned baud;        /* --baud for a serial line (0: keep the line's) */
	int flow;             /* --flow: enum tp_flow */
	/* -E: a read error in a file or block device is skipped (skip.h), its bytes read as
	 * zeros, and `skipped` told of each skip (offset and length in the file, the error)
	 * when it is made, before its zeros are read. Other inputs fail as without it. */
	bool skip_errors;
	void (*skipped)(const void *arg, const struct tp_source *src, uint64_t offset,
			uint64_t len, int err);
	const void *skipped_arg;
	/* --peer HOST[:PORT]: a udp:// input takes that sender's datagrams only; with a port
	 * the socket is connected (the kernel drops the rest), without one the others are
	 * dropped as they come (counted in foreign_datagrams). NULL: anyone's. */
	const char *peer;
};

struct tp_source_ops {
	const char *name;
	int (*open)(struct tp_source *src, const char *spec);  /* 0 or -errno */
	/* Up to len bytes: > 0, 0 at the end, or -errno. Never blocks if `pollable` and ppoll()
	 * said the fd is readable. */
	ssize_t (*read)(struct tp_source *src, void *buf, size_t len);
	/* The same into several buffers in order (NULL: a datagram transport). */
	ssize_t (*readv)(struct tp_source *src, const struct iovec *iov, int n);
	void (*close)(struct tp_source *src);
};

struct tp_source {
	const struct tp_source_ops *ops;
	const char *name;     /* for messages: the path, or "standard input" */
	int fd;
	bool pollable;        /* may have nothing right now (pipe, tty, socket): wait in ppoll */
	bool endless;         /* nothing tells us the sender is done (udp://, a serial line):
	                       * a framed receive ends after a quiet time (rx.c) */
	bool own_fd;
	const char *why;      /* a reason that is no errno (a host name that does not resolve) */
	/* Datagram sources: read() returns one whole datagram and needs room for the largest. */
	bool datagram;
	bool splice;          /* splice() may read it (a plain descriptor; cleared on EINVAL) */
	bool skipping;        /* -E applies: a file or block device; its skips in `skip` */
	struct tp_skip skip;
	uint64_t kernel_drops; /* datagrams the kernel dropped for want of buffer (SO_RXQ_OVFL) */
	uint64_t foreign_datagrams; /* --peer without a port: datagrams from others, dropped */
	char local[80];       /* the address it listens on, port included (for --explain) */
	struct sockaddr_storage addr; /* the same as a socket address (addr_len 0: not a socket) */
	socklen_t addr_len;
	void *priv;           /* the transport's own state */
	struct tp_source_params params; /* as given to tp_source_open */
};

extern const struct tp_source_ops tp_source_fd_ops;
extern const struct tp_source_ops tp_source_udp_ops;
extern const struct tp_source_ops tp_source_serial_ops;
extern const struct tp_source_ops tp_source_tcp_ops;

/* The room a datagram source's read() needs. */
#define TP_DATAGRAM_ROOM 65536u

/* Picks the source for an input spec ("-", a path, udp://[ADDR]:PORT, tcp://[ADDR]:PORT,
 * serial:PATH or a terminal device) and opens it. */
int tp_source_open(struct tp_source *src, const char *spec, const struct tp_source_params *p);

static inline ssize_t tp_source_read(struct tp_source *src, void *buf, size_t len)
{
	return src->ops->read(src, buf, len);
}

static inline void tp_source_close(struct tp_source *src)
{
	if (src->ops && src->ops->close)
		src->ops->close(src);
}

#endif
