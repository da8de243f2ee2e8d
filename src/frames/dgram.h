/* How a chunk bound for a datagram sink splits into datagrams. Pure.
 * Raw output: datagrams of `size` bytes, the last one of a chunk shorter. Framed output: one
 * frame per datagram, each as long as its header says (frame.h). */
#ifndef TP_DGRAM_H
#define TP_DGRAM_H

#include <stdbool.h>
#include <stddef.h>

/* The most bytes one send of datagrams carries: a GSO send (UDP_SEGMENT) must stay under
 * 64 KiB with its headers. A paced burst of datagrams is at most this, so that each burst
 * leaves in one call, at one moment (a catch-up piece may take two or three). */
#define TP_DGRAM_SEND_MAX 61440

/* The length of the datagram at buf, with avail bytes left in the chunk (avail > 0). */
size_t tp_dgram_next(const unsigned char *buf, size_t avail, size_t size, bool framed);

/* The bytes of the whole datagrams from buf that fit in max (at least one datagram, even
 * if it is longer): how a paced writer cuts its pieces without splitting a datagram. */
size_t tp_dgram_span(const unsigned char *buf, size_t avail, size_t size, bool framed, size_t max);

#endif
