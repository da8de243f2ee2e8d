/* Sinks: where the writer's bytes go. A sink opens the destination and describes its file
 * descriptor; the writer engines do the writing, so a sink states what an engine may do with it
 * (several writes in flight at explicit offsets, or one at a time in order). */
#ifndef TP_SINK_H
#define TP_SINK_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

enum tp_sink_flags {
	TP_SINK_SEEKABLE = 1 << 0, /* a regular file tpipe opened and truncated: writes at offsets */
	TP_SINK_PIPE     = 1 << 1, /* a pipe or FIFO */
	TP_SINK_TTY      = 1 << 2, /* a terminal: a write may block inside io_uring_submit */
	TP_SINK_DGRAM    = 1 << 3, /* a connected datagram socket: bytes go out as datagrams */
	TP_SINK_SERIAL   = 1 << 4, /* a serial line (also TP_SINK_TTY): paced to its baud rate */
	TP_SINK_SHARED   = 1 << 5, /* a regular file inherited, not in append mode: its file
	                            * position may be shared with other writers (`> f 2>&1`);
	                            * only write() updates it under the kernel's lock */
	TP_SINK_STREAM   = 1 << 6, /* a connected stream socket (tcp://): written in order, as a
	                            * pipe is, spliced to where that pays; a receiver that went
	                            * away (EPIPE) is an error said in a line, not SIGPIPE's 141 */
};

struct tp_sink;

/* What opening an output may need besides its name. */
struct tp_sink_params {
	bool append;          /* --append */
	unsigned baud;        /* --baud (0: keep the line's) */
	int flow;             /* --flow: enum tp_flow */
	char *const *inputs;  /* the inputs: a file that is one of them is not truncated */
	int n_inputs;
	uint64_t connect_timeout_ns; /* --connect-timeout: how long tcp:// retries a refused
	                            * connect (0: one try) */
};

struct tp_sink_ops {
	const char *name;
	/* Opens dest; 0 or -errno. On failure sink->name says what could not be opened. */
	int (*open)(struct tp_sink *sink, const char *dest, const struct tp_sink_params *p);
	/* After the last byte, before close: everything written has left (a serial line's
	 * output queue drained), or it is known not to have arrived (udp://: a refusal; then
	 * sink->why says so). May be NULL. 0 or -errno. After SIGINT or SIGTERM it waits until
	 * deadline_ns at most (0: no stop yet; one that comes meanwhile allows drain_ns), and
	 * counts what it then discards in sink->unsent. */
	int (*finish)(struct tp_sink *sink, uint64_t deadline_ns, uint64_t drain_ns);
	/* Closes the descriptor, standard output included (as coreutils' close_stdout does, so
	 * a failed write-back is seen); 0 or -errno. */
	int (*close)(struct tp_sink *sink);
};

/* Threads: the main thread opens, finishes and closes the sink. Between tp_writer_start and
 * tp_writer_join the writer thread uses fd and reads flags (the engines), and the main thread
 * only reads the fields fixed at open. */
struct tp_sink {
	/* Fixed by open, read-only after (both threads). */
	const struct tp_sink_ops *ops;
	const char *name;     /* for messages: the path, or "standard output" */
	int fd;
	unsigned flags;       /* enum tp_sink_flags */
	dev_t dev;            /* a regular file's identity, so an input can be told apart */
	ino_t ino;            /* (both 0 for anything else) */
	bool own_fd;          /* we opened it, so we close it */
	unsigned baud;        /* a serial line's rate */
	struct sockaddr_storage addr; /* a socket's destination (udp://), addr_len 0 for others */
	socklen_t addr_len;
	/* Main thread: written by open and finish (after tp_writer_join). */
	const char *why;      /* a reason that is no errno (a host name that does not resolve) */
	uint64_t unsent;      /* bytes written that finish discarded (a serial line's queue) */
	void *priv;           /* the transport's own state (open, finish, close) */
};

extern const struct tp_sink_ops tp_sink_fd_ops;
extern const struct tp_sink_ops tp_sink_udp_ops;
extern const struct tp_sink_ops tp_sink_serial_ops;
extern const struct tp_sink_ops tp_sink_tcp_ops;

/* Picks the sink for a destination ("-", a path, udp://HOST:PORT, tcp://HOST:PORT,
 * serial:PATH or a terminal device) and opens it. */
int tp_sink_open(struct tp_sink *sink, const char *dest, const struct tp_sink_params *p);

static inline int tp_sink_finish(struct tp_sink *sink, uint64_t deadline_ns, uint64_t drain_ns)
{
	return sink->ops->finish ? sink->ops->finish(sink, deadline_ns, drain_ns) : 0;
}

/* For a transport's close: closes the descriptor it opened; 0 or -errno. */
static inline int tp_sink_close_own_fd(struct tp_sink *sink)
{
	int err = 0;

	if (sink->own_fd && sink->fd >= 0 && close(sink->fd) < 0)
		err = -errno;
	sink->fd = -1;
	return err;
}

static inline int tp_sink_close(struct tp_sink *sink)
{
	return sink->ops && sink->ops->close ? sink->ops->close(sink) : 0;
}

#endif
