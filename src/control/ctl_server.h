/* The running tpipe's end of the control channel (-R, -Q from another tpipe): a Unix stream
 * socket (ctl_path.h) in the main thread's ppoll (reader.c's tp_reader_wait), answering one
 * connection at a time: one request (ctl_proto.h), one reply, closed. It never blocks or
 * slows the transfer: the socket and the connection are non-blocking, a message is a fixed
 * 512 bytes read into a fixed buffer, and a peer that sends garbage or too much, or is not
 * done within TP_CTL_CLIENT_NS, is dropped. Every connection is checked with SO_PEERCRED:
 * our own uid or root; any other is closed unanswered (and counted).
 *
 * It is served wherever the reader waits (for input, a free chunk, the drain); while an input
 * FIFO waits for its writer to open it, a request waits in the socket's backlog.
 *
 * Main thread only: SET applies the monitor's settings (tp_monitor_apply) and asks the writer
 * for a new rate (tp_writer_set_rate, with the burst from tp_tune_rate). */
#ifndef TP_CTL_SERVER_H
#define TP_CTL_SERVER_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include "cli.h"
#include "ctl_path.h"
#include "ctl_proto.h"
#include "monitor.h"
#include "tune.h"
#include "outputs.h"

/* A connection that has not sent its whole request by then is dropped. */
#define TP_CTL_CLIENT_NS 1000000000ull
/* Entries tp_ctl_server_fds fills: the listening socket, or the one connection. */
#define TP_CTL_POLL_FDS 1

/* What SET changes and QUERY reads: the main thread's. */
struct tp_ctl_target {
	const struct tp_options *opts;
	struct tp_monitor *monitor;
	struct tp_outputs *outputs;     /* every running output's writer takes a new rate */
	struct tp_tuning *tuning;       /* its rate and burst follow -R -L */
	unsigned sink_flags;            /* for tp_tune_rate */
	size_t page;
};

struct tp_ctl_server {
	int listen_fd;                  /* -1: the control channel is off */
	int client_fd;                  /* the connection being served; -1: none */
	uint64_t client_deadline_ns;
	unsigned char in[TP_CTL_MSG_SIZE + 1]; /* one byte more: a message too long shows */
	size_t in_len;
	char path[TP_CTL_PATH_MAX];
	struct tp_ctl_target t;
	/* QUERY's current rate: from the bytes and time at the query before. */
	uint64_t q_bytes, q_ns;
	double q_rate;
	uint64_t refused;               /* connections from another user, closed unanswered */
	uint64_t dropped;               /* connections dropped: garbage, too much, too slow */
};

/* Listens on our socket (replacing a stale one of a dead tpipe that had our PID). When the
 * directory or the socket cannot be had, the channel is off, said in one warning line; the
 * transfer goes on either way. */
void tp_ctl_server_open(struct tp_ctl_server *s, const struct tp_ctl_target *t);
/* Closes the socket and removes it. */
void tp_ctl_server_close(struct tp_ctl_server *s);
/* The entries to add to a ppoll (at most TP_CTL_POLL_FDS); returns how many. */
unsigned tp_ctl_server_fds(const struct tp_ctl_server *s, struct pollfd *pfd);
/* A ppoll timeout no later than the connection's deadline; `want` is the caller's. */
int tp_ctl_server_timeout(const struct tp_ctl_server *s, int want);
/* After the ppoll: accepts, reads, answers what is ready (pfd as filled by
 * tp_ctl_server_fds, n entries), drops a connection past its deadline. */
void tp_ctl_server_serve(struct tp_ctl_server *s, const struct pollfd *pfd, unsigned n);

#endif
