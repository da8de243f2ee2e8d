#include "config.h"
#include "pipes.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Two descriptors a chunk: lift the soft limit towards the hard one when a deep ring needs
 * it (we never use select(), so a large limit costs nothing). *was keeps the old limit. */
static void make_room_for_fds(unsigned depth, struct rlimit *was)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, was) < 0 || was->rlim_cur >= (rlim_t)depth * 2 + 64) {
		was->rlim_cur = was->rlim_max = 0; /* nothing to put back */
		return;
	}
	rl = *was;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* A pipe of `want` bytes, or of `least` where pipe-max-size refuses `want` (EPERM). */
static int open_pipe(struct tp_chunk *c, size_t want, size_t least)
{
	int fd[2];

	if (pipe2(fd, O_CLOEXEC) < 0)
		return -errno;
	c->pipe_rd = fd[0];
	c->pipe_wr = fd[1];
	/* The reader never waits on its own pipe: a full one means "hand the chunk over". */
	int fl = fcntl(fd[1], F_GETFL);
	if (fl < 0 || fcntl(fd[1], F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	if (want > (size_t)0x7fffffff)
		return -EFBIG;
	int got = fcntl(fd[0], F_SETPIPE_SZ, (int)want);
	if (got < 0 && errno == EPERM && least < want)
		got = fcntl(fd[0], F_SETPIPE_SZ, (int)least);
	if (got < 0)
		return -errno;
	return (size_t)got < least ? -ENOSPC : 0;
}

/* Where tp_pipes_discard throws bytes away: opened with the first ring of pipes, kept to the
 * end (the main thread's). */
static int null_fd = -1;

int tp_pipes_attach(struct tp_ring *ring, size_t chunk_size)
{
	struct rlimit was;
	int err = 0;

	if (null_fd < 0 && (null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	make_room_for_fds(ring->depth, &was);
	for (unsigned i = 0; i < ring->depth && !err; i++)
		err = chunk_size > SIZE_MAX / TP_SPLICE_PIPE_FACTOR ? -EFBIG :
		      open_pipe(&ring->chunks[i], chunk_size * TP_SPLICE_PIPE_FACTOR, chunk_size);
	if (!err)
		return 0;
	for (unsigned i = 0; i < ring->depth; i++) {
		struct tp_chunk *c = &ring->chunks[i];
		if (c->pipe_rd >= 0)
			close(c->pipe_rd);
		if (c->pipe_wr >= 0)
			close(c->pipe_wr);
		c->pipe_rd = c->pipe_wr = -1;
	}
	if (was.rlim_max)
		setrlimit(RLIMIT_NOFILE, &was);
	return err;
}

ssize_t tp_pipes_splice_in(int fd, const struct tp_chunk *chunk, size_t len)
{
	ssize_t n;

	do
		n = splice(fd, NULL, chunk->pipe_wr, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t tp_pipes_put(const struct tp_chunk *chunk, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(chunk->pipe_wr, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

size_t tp_pipes_waiting(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? (size_t)n : 0;
}

ssize_t tp_pipes_splice_out(const struct tp_chunk *chunk, int fd, size_t len)
{
	ssize_t n = splice(chunk->pipe_rd, NULL, fd, NULL, len, SPLICE_F_MOVE);

	return n < 0 ? -errno : n;
}

ssize_t tp_pipes_tee_out(const struct tp_chunk *chunk, int fd, size_t len)
{
	ssize_t n;

	do
		n = tee(chunk->pipe_rd, fd, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? n : -EIO; /* cannot be resumed: see pipes.h */
}

int tp_pipes_discard(const struct tp_chunk *chunk)
{
	size_t left;

	/* Splicing to /dev/null only drops the page references. */
	while ((left = tp_pipes_waiting(chunk->pipe_rd)) > 0) {
		ssize_t n = splice(chunk->pipe_rd, NULL, null_fd, NULL, left, SPLICE_F_NONBLOCK);
		if (n < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

size_t tp_pipes_size(const struct tp_chunk *chunk)
{
	int n = fcntl(chunk->pipe_rd, F_GETPIPE_SZ);

	return n > 0 ? (size_t)n : 0;
}

bool tp_pipes_kernel_ok(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 5 || (major == 5 && minor >= 17);
}
