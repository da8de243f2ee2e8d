/* Standard input and files: anything read() reads. */
#include "config.h"
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "fdutil.h"

static int fd_open(struct tp_source *src, const char *spec)
{
	struct stat st;
	int err = 0;

	if (strcmp(spec, "-") == 0) {
		src->name = "standard input";
		src->fd = STDIN_FILENO;
		if (tp_fd_std_was_closed(STDIN_FILENO))
			return -EBADF;
	} else {
		src->name = spec;
		src->fd = open(spec, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (src->fd < 0)
			return -errno;
		src->own_fd = true;
	}
	if (fstat(src->fd, &st) < 0)
		err = -errno;
	else if (S_ISDIR(st.st_mode))
		err = -EISDIR;
	if (err) {
		if (src->own_fd)
			close(src->fd);
		src->fd = -1;
		return err;
	}
	/* Regular files and block devices always have data or EOF at hand; anything else may
	 * make read() wait, so the reader waits for it in ppoll() instead. */
	src->pollable = !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
	src->splice = true;
	tp_fd_grow_pipe(src->fd);
	return 0;
}

static ssize_t fd_read(struct tp_source *src, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(src->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t fd_readv(struct tp_source *src, const struct iovec *iov, int n)
{
	ssize_t got;

	do
		got = readv(src->fd, iov, n);
	while (got < 0 && errno == EINTR);
	return got < 0 ? -errno : got;
}

static void fd_close(struct tp_source *src)
{
	if (src->own_fd && src->fd >= 0)
		close(src->fd);
	src->fd = -1;
}

const struct tp_source_ops tp_source_fd_ops = {
	.name = "fd",
	.open = fd_open,
	.read = fd_read,
	.readv = fd_readv,
	.close = fd_close,
};
