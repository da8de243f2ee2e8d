/* The splice path: a ring of pipes. Each chunk of the ring gets a pipe of its own (twice the
 * chunk, see TP_SPLICE_PIPE_FACTOR); the reader splices the input into it and the writer
 * splices it on to the output, so the bytes stay in the kernel's pages and tpipe never copies
 * them, yet the ring still buffers --buffer-size of them. Used when the output is a pipe and
 * nothing needs to touch the bytes (no -F or -D, no udp:// input); engine_choose.c decides. */
#ifndef TP_PIPES_H
#define TP_PIPES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "ring.h"

/* The most chunks a ring of pipes has: two descriptors and a pipe each. A deeper ring (small
 * paced chunks) keeps its bytes in memory. */
#define TP_SPLICE_MAX_PIPES 1024
#define TP_STR_(x) #x
#define TP_STR(x) TP_STR_(x)

/* Input pieces smaller than this are read and written into the chunk's pipe instead of
 * spliced: a splice moves the producer's pipe buffers as they are, so a trickle of small
 * writes would fill a pipe's slots with a few bytes each and shrink what the ring holds. */
#define TP_SPLICE_MIN (32u << 10)

/* A chunk's pipe is this many times its size. The producer's pipe buffers are moved as they
 * are, and a write() that does not fit the last page of a pipe starts a new page, so a
 * producer writing 2049 bytes at a time leaves pages just over half full: a chunk's bytes may
 * need twice its size in page slots. The kernel allocates pages only as they fill. */
#define TP_SPLICE_PIPE_FACTOR 2

/* Gives every chunk of the ring a pipe of TP_SPLICE_PIPE_FACTOR x chunk_size bytes, or of
 * chunk_size where that is over /proc/sys/fs/pipe-max-size (an explicit --chunk-size: then
 * a producer's half-filled pages make the chunk's pipe fill, and go out, before the chunk
 * does); the write end non-blocking. 0 or -errno (EPERM: over the per-user pipe page limit or
 * /proc/sys/fs/pipe-max-size; EMFILE: too many descriptors), and then no chunk has one. */
int tp_pipes_attach(struct tp_ring *ring, size_t chunk_size);

/* Moves up to len bytes from fd (any file splice reads) into the chunk's pipe without
 * waiting: > 0, 0 at the input's end, -EAGAIN when either side has no room or data, or
 * -errno (EINVAL: fd cannot be spliced). */
ssize_t tp_pipes_splice_in(int fd, const struct tp_chunk *chunk, size_t len);

/* Writes buf into the chunk's pipe without waiting: > 0 (possibly short), -EAGAIN when
 * the pipe has no free slot, or -errno. */
ssize_t tp_pipes_put(const struct tp_chunk *chunk, const void *buf, size_t len);

/* Whether the running kernel may be trusted with the splice path: before 5.17 a write()
 * into a pipe could land in a page spliced from a file (CVE-2022-0847, "Dirty Pipe", fixed in
 * 5.16.11 and some stable branches), and a chunk's pipe does exactly that sequence; those
 * kernels keep the bytes in memory instead. */
bool tp_pipes_kernel_ok(void);

/* Bytes waiting to be read from fd (FIONREAD), or 0 when it cannot say. */
size_t tp_pipes_waiting(int fd);

/* Moves up to len bytes of the chunk's pipe to fd, waiting while fd is a blocking pipe
 * that is full: > 0, -EAGAIN when fd is non-blocking and full, or -errno. */
ssize_t tp_pipes_splice_out(const struct tp_chunk *chunk, int fd, size_t len);

/* Several outputs: duplicates the chunk's first len bytes into the pipe fd without taking
 * them out of the chunk's pipe (tee(2): page references, nothing copied), so each output gets
 * them while they stay for the others: len, or -errno. fd must be an empty pipe at least as
 * large as the chunk's (tp_pipes_size): a tee cut short could not be resumed, as the next
 * one would start again at the chunk's first byte. */
ssize_t tp_pipes_tee_out(const struct tp_chunk *chunk, int fd, size_t len);

/* Several outputs, before the reader fills the chunk again: throws away what is left in its
 * pipe (the outputs took copies). 0 or -errno. */
int tp_pipes_discard(const struct tp_chunk *chunk);

/* The size of the chunk's pipe (F_GETPIPE_SZ), or 0. */
size_t tp_pipes_size(const struct tp_chunk *chunk);

#endif
