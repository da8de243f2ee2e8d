/* What the tcp:// source and sink share: the options every connection gets, and how a
 * socket's address is written for messages and --explain. */
#ifndef TP_TCP_H
#define TP_TCP_H

#include <stddef.h>
#include <sys/socket.h>

/* A peer that vanishes (its host powered off, a cable pulled) sends nothing more, not even
 * a reset, so without these a transfer would wait for it for ever:
 * - keepalive probes after TP_TCP_KEEPIDLE s of silence, every TP_TCP_KEEPINTVL s: a receiver
 *   whose sender is gone reads ETIMEDOUT (an idle but live sender answers the probes);
 * - TCP_USER_TIMEOUT: data sent and not acknowledged for this long ends the connection
 *   (ETIMEDOUT) instead of the kernel's 15 retransmissions (over 15 minutes). A receiver that
 *   is alive but does not read answers the zero-window probes and is never cut off here. */
#define TP_TCP_KEEPIDLE 30
#define TP_TCP_KEEPINTVL 5
#define TP_TCP_KEEPCNT 6
#define TP_TCP_USER_TIMEOUT_MS 60000u

/* Sets the options above on a connected (or listening, whose connections inherit them)
 * socket. TCP_NODELAY stays off: full segments, and the ring hands over large writes.
 * Socket buffers are left to the kernel's autotuning (measured: BENCHMARKS.md, issue 17). */
void tp_tcp_set_options(int fd);

/* "tcp://127.0.0.1:9090" or "tcp://[::1]:9090" for the address; "tcp://?" if unknown. */
void tp_tcp_describe(const struct sockaddr *sa, char *buf, size_t len);

#endif
