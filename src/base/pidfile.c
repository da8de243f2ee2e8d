#include "config.h"
#include "pidfile.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "signals.h"

/* Written once by tp_pidfile_write before `written` is set; read by tp_pidfile_remove, which
 * may run in a signal handler, so nothing here is allocated. */
static char pid_path[PATH_MAX];
static char pid_line[24];
static size_t pid_len;
static volatile sig_atomic_t written;

int tp_pidfile_write(const char *path)
{
	size_t len = strlen(path);

	assert(!written);
	if (len >= sizeof(pid_path))
		return -ENAMETOOLONG;
	pid_len = (size_t)snprintf(pid_line, sizeof(pid_line), "%ld\n", (long)getpid());
	/* Never through a symbolic link (it could name someone's file), never waiting on a FIFO,
	 * and truncated only once open and seen to be a file: a file made here is removed again
	 * on an error, one that was there is not. */
	bool made = true;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0 && errno == EEXIST) {
		made = false;
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0)
		return errno == ELOOP ? -ELOOP : -errno;
	struct stat st;
	int err = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : 0;
	ssize_t n = err || ftruncate(fd, 0) < 0 ? -1 : write(fd, pid_line, pid_len);
	if (!err)
		err = n == (ssize_t)pid_len ? 0 : n < 0 ? -errno : -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err) {
		if (made)
			unlink(path);
		return err;
	}
	memcpy(pid_path, path, len + 1);
	tp_signals_add_exit_hook(tp_pidfile_remove);
	written = 1;
	return 0;
}

void tp_pidfile_remove(void)
{
	char buf[sizeof(pid_line)];

	if (!written)
		return;
	written = 0;
	int fd = open(pid_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n == (ssize_t)pid_len && memcmp(buf, pid_line, pid_len) == 0)
		unlink(pid_path);
}
