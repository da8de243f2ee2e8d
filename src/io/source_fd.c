/* Standard input and files: anything read() reads; with -E, a file or block device read as
 * zeros where a read fails (skip.h). */
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
	/* -E needs a position to skip from: a pipe's bytes after an error are gone. */
	src->skipping = src->params.skip_errors && !src->pollable;
	/* With -E it is read(), never splice(): splice() moves the file's pages on as they are
	 * and cannot put zeros in place of a bad part, while read() into the reader's stage can
	 * (reader_splice.c). A failing disk is far slower than the one copy this costs. */
	src->splice = !src->skipping;
	tp_fd_grow_pipe(src->fd);
	return 0;
}

/* -E: puts as many of the last skip's owed zeros into iov as fit; how many. */
static ssize_t give_zeros(struct tp_source *src, const struct iovec *iov, int n)
{
	size_t given = 0;

	for (int i = 0; i < n && src->skip.owed; i++) {
		size_t k = tp_skip_take(&src->skip, iov[i].iov_len);
		memset(iov[i].iov_base, 0, k);
		given += k;
	}
	return (ssize_t)given;
}

/* -E: a read at the file's position failed with err: seeks past the bad part (as far as
 * skip.h says, never past the end), tells params.skipped, and gives the first of its zeros.
 * -err when there is nothing to skip to (the error was at the end) or a seek failed. */
static ssize_t skip_bad(struct tp_source *src, int err, const struct iovec *iov, int n)
{
	off_t pos = lseek(src->fd, 0, SEEK_CUR);
	off_t end = pos < 0 ? -1 : lseek(src->fd, 0, SEEK_END);
	uint64_t len = end < 0 ? 0 : tp_skip_plan(&src->skip, (uint64_t)pos, (uint64_t)end);

	if (len == 0 || lseek(src->fd, pos + (off_t)len, SEEK_SET) < 0)
		return -err;
	tp_skip_made(&src->skip, (uint64_t)pos, len);
	if (src->params.skipped)
		src->params.skipped(src->params.skipped_arg, src, (uint64_t)pos, len, err);
	return give_zeros(src, iov, n);
}

/* What a read into iov that returned got (< 0: errno says) gives the reader: with -E, a
 * failed read becomes the zeros of a skip past it (EAGAIN is no failure). */
static ssize_t read_result(struct tp_source *src, ssize_t got, const struct iovec *iov, int n)
{
	int err = errno;

	if (got > 0)
		tp_skip_good(&src->skip);
	if (got >= 0)
		return got;
	if (src->skipping && err != EAGAIN && err != EWOULDBLOCK)
		return skip_bad(src, err, iov, n);
	return -err;
}

static ssize_t fd_read(struct tp_source *src, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	ssize_t n;

	if (src->skip.owed)
		return give_zeros(src, &iov, 1);
	do
		n = read(src->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return read_result(src, n, &iov, 1);
}

static ssize_t fd_readv(struct tp_source *src, const struct iovec *iov, int n)
{
	ssize_t got;

	if (src->skip.owed)
		return give_zeros(src, iov, n);
	do
		got = readv(src->fd, iov, n);
	while (got < 0 && errno == EINTR);
	return read_result(src, got, iov, n);
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
