/* Reading /proc about another process: whether it runs and is ours to watch, which
 * descriptors it has, and for one of them the file, its size and its position. The I/O behind
 * -d; the parsing is fdinfo.h's. */
#ifndef TP_PROCFD_H
#define TP_PROCFD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "fdinfo.h"

/* Whether PID runs: 0 (with its start time), -ESRCH when there is no such process or it has
 * ended (a zombie), -EACCES when its descriptors are not ours to see (another user's, and we
 * are not root), or another -errno. */
int tp_proc_check(int pid, uint64_t *start);

/* One open descriptor of another process. */
struct tp_proc_fd {
	char target[PATH_MAX];   /* what the link /proc/PID/fd/FD says: a path, "pipe:[12]" ... */
	enum tp_fd_kind kind;
	uint64_t dev, ino;       /* the file it is open on */
	uint64_t size;           /* a regular file's size (0 for a block device: see below) */
	struct tp_fdinfo info;   /* its position and flags (only for TP_FD_FILE / TP_FD_BLOCK) */
};

/* Reads descriptor fd of pid: 0; -ENOENT when it is not open; -EACCES when it is not ours;
 * -EAGAIN when it was closed and opened again on another file while being read (try again
 * at the next scan); or another -errno. The position is read only for a file or block device
 * (kind). */
int tp_proc_fd_read(int pid, int fd, struct tp_proc_fd *out);

/* A block device's size (BLKGETSIZE64), for descriptor fd of pid, which was the device node
 * (dev, ino) when last read: it opens the device, so the caller asks once per file. If the
 * descriptor is something else now (closed and reused meanwhile), -EAGAIN and nothing done
 * with it. 0 or -errno. */
int tp_proc_block_size(int pid, int fd, uint64_t dev, uint64_t ino, uint64_t *size);

/* The descriptors pid has open, up to max of them, into fds (*n of them, in no order).
 * 0, -ESRCH (no such process), -EACCES, or another -errno. */
int tp_proc_fds(int pid, int *fds, unsigned max, unsigned *n);

#endif
