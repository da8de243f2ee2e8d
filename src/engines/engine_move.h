/* What the engines share: the synchronous engines' write loop and the wait for a full
 * non-blocking descriptor. Writer thread only. */
#ifndef TP_ENGINE_MOVE_H
#define TP_ENGINE_MOVE_H

#include <stddef.h>
#include <sys/types.h>
#include "engine.h"

/* One step of moving the chunk's bytes [off, off + left) to fd: how many moved (> 0), or
 * -errno (-EAGAIN: fd is non-blocking and full; -EINTR: try again). */
typedef ssize_t tp_move_fn(int fd, const struct tp_chunk *chunk, size_t off, size_t left);

/* The synchronous engines' loop (write(), splice()): moves all of the chunk to the sink step
 * by step, resuming short moves, waiting out EAGAIN, timing and counting every call and what
 * it moved (tp_engine_count_out). 0 or -errno; -ECANCELED when the reader gave up on the
 * writer. */
int tp_move_all(const struct tp_engine *eng, const struct tp_chunk *chunk, tp_move_fn *move);

/* A non-blocking descriptor handed to us is full (EAGAIN): waits until it takes more. 0,
 * -EINTR (a signal: the caller decides whether to go on), or -errno. */
int tp_wait_writable(int fd);

#endif
