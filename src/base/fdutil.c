#include "config.h"
#include "fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

static unsigned std_closed; /* bit fd set: fd was closed at start */

int tp_fd_guard_std(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (got < 0)
			return -errno;
		if (got != fd) /* lower ones are open, so open() returns the lowest free: fd */
			return -EBADF;
		std_closed |= 1u << fd;
	}
	return 0;
}

bool tp_fd_std_was_closed(int fd)
{
	return fd >= 0 && fd <= 2 && (std_closed & (1u << fd));
}

bool tp_fd_is_pipe(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

long tp_fd_pipe_max_size(void)
{
	long max = 1L << 20;
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");

	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 1L << 20;
		fclose(f);
	}
	return max;
}

void tp_fd_grow_pipe(int fd)
{
	if (!tp_fd_is_pipe(fd))
		return;
	/* Try the maximum, then smaller sizes: the per-user pipe page limit may refuse the big one. */
	for (long size = tp_fd_pipe_max_size(); size > 65536; size /= 2) {
		int now = fcntl(fd, F_GETPIPE_SZ);
		if (now >= size || fcntl(fd, F_SETPIPE_SZ, (int)size) >= 0)
			return;
	}
}
