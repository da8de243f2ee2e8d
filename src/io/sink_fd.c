/* Standard output, files, pipes and terminals: anything write() writes.
 *
 * Only a file tpipe opens itself (-o FILE) is its own: it may be written at explicit offsets,
 * several writes in flight. A descriptor tpipe inherits (standard output) may share its open
 * file with others: stderr in `cmd > log 2>&1`, the rest of a `{ ...; } > f` group. It is
 * written at its current position, in order, as cat writes it, and its position is never
 * set: an offset write or an lseek() would put our bytes over theirs. Such a file is
 * TP_SINK_SHARED: io_uring writing "at the current position" reads and moves that position
 * without the lock write() takes, so it loses bytes to a concurrent writer (measured: 0.3 %
 * of 400 MB against `-n` lines on the same file), and only write() may write it. */
#include "config.h"
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fdutil.h"

/* The input among p->inputs that is the regular file st, or NULL. "-" is standard input. */
static const char *input_that_is(const struct stat *st, const struct tp_sink_params *p)
{
	for (int i = 0; i < p->n_inputs; i++) {
		struct stat in;
		const char *name = p->inputs[i];
		int rc = strcmp(name, "-") == 0 ? fstat(STDIN_FILENO, &in) : stat(name, &in);

		if (rc == 0 && S_ISREG(in.st_mode) && in.st_dev == st->st_dev && in.st_ino == st->st_ino)
			return name;
	}
	return NULL;
}

/* Opens -o FILE. Truncation waits until the file is known not to be an input too: `tpipe f -o
 * f` must leave f as it was, as cp does, not empty it and then refuse it. */
static int open_own(struct tp_sink *sink, const char *dest, const struct tp_sink_params *p,
		    struct stat *st)
{
	sink->fd = open(dest, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | (p->append ? O_APPEND : 0),
			0666);
	if (sink->fd < 0)
		return -errno;
	sink->own_fd = true;
	if (fstat(sink->fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode) || p->append)
		return 0;
	if (input_that_is(st, p)) {
		sink->why = "input file is output file (left as it was)";
		return -EINVAL;
	}
	if (ftruncate(sink->fd, 0) < 0)
		return -errno;
	sink->flags |= TP_SINK_SEEKABLE; /* ours alone, from offset 0 */
	return 0;
}

static int fd_open(struct tp_sink *sink, const char *dest, const struct tp_sink_params *p)
{
	struct stat st;
	int err = 0;

	if (strcmp(dest, "-") == 0) {
		sink->name = "standard output";
		sink->fd = STDOUT_FILENO;
		if (tp_fd_std_was_closed(STDOUT_FILENO))
			return -EBADF;
		int fl = fcntl(sink->fd, F_GETFL);
		if (fl < 0 || fstat(sink->fd, &st) < 0)
			err = -errno;
		else if (S_ISREG(st.st_mode) && !(fl & O_APPEND))
			sink->flags |= TP_SINK_SHARED; /* O_APPEND: the kernel appends each write whole */
	} else {
		sink->name = dest;
		err = open_own(sink, dest, p, &st);
	}
	if (!err && S_ISDIR(st.st_mode))
		err = -EISDIR;
	if (err) {
		if (sink->own_fd && sink->fd >= 0)
			close(sink->fd);
		sink->fd = -1;
		return err;
	}
	if (S_ISREG(st.st_mode)) {
		sink->dev = st.st_dev;
		sink->ino = st.st_ino;
	}
	if (S_ISFIFO(st.st_mode)) {
		sink->flags |= TP_SINK_PIPE;
		tp_fd_grow_pipe(sink->fd);
	}
	if (isatty(sink->fd))
		sink->flags |= TP_SINK_TTY;
	return 0;
}

static int fd_close(struct tp_sink *sink)
{
	int err = 0;

	if (sink->fd >= 0 && close(sink->fd) < 0)
		err = -errno;
	sink->fd = -1;
	return err;
}

const struct tp_sink_ops tp_sink_fd_ops = {
	.name = "fd",
	.open = fd_open,
	.close = fd_close,
};
