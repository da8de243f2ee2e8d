/* Standard output, files, pipes and terminals: anything write() writes. */
#include "config.h"
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fdutil.h"

static int fd_open(struct tp_sink *sink, const char *dest, const struct tp_sink_params *p)
{
	struct stat st;
	int err = 0;

	if (strcmp(dest, "-") == 0) {
		sink->name = "standard output";
		sink->fd = STDOUT_FILENO;
		if (tp_fd_std_was_closed(STDOUT_FILENO))
			return -EBADF;
	} else {
		sink->name = dest;
		sink->fd = open(dest, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY |
				(p->append ? O_APPEND : O_TRUNC), 0666);
		if (sink->fd < 0)
			return -errno;
		sink->own_fd = true;
	}
	int fl = fcntl(sink->fd, F_GETFL);
	if (fl < 0 || fstat(sink->fd, &st) < 0) {
		err = -errno;
	} else if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
	} else if (S_ISREG(st.st_mode) && !(fl & O_APPEND)) {
		/* Writes may go out of order at explicit offsets from where the file stood. */
		off_t pos = lseek(sink->fd, 0, SEEK_CUR);
		if (pos >= 0) {
			sink->flags |= TP_SINK_SEEKABLE;
			sink->base = (uint64_t)pos;
		}
	}
	if (err) {
		if (sink->own_fd)
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

static int fd_finish(struct tp_sink *sink, uint64_t total)
{
	/* Offset writes leave the file position alone; move it past our data so that whoever
	 * shares the descriptor (`(tpipe a; echo b) > f`) carries on after it. */
	if ((sink->flags & TP_SINK_SEEKABLE) &&
	    lseek(sink->fd, (off_t)(sink->base + total), SEEK_SET) < 0)
		return -errno;
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
	.finish = fd_finish,
	.close = fd_close,
};
