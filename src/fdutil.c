#include "config.h"
#include "fdutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

bool tp_fd_is_pipe(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

static long pipe_max_size(void)
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
	for (long size = pipe_max_size(); size > 65536; size /= 2) {
		int now = fcntl(fd, F_GETPIPE_SZ);
		if (now >= size || fcntl(fd, F_SETPIPE_SZ, (int)size) >= 0)
			return;
	}
}
