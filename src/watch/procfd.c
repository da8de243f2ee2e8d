/* /proc/PID/{stat,fd,fdinfo}: the I/O behind -d. */
#include "config.h"
#include "procfd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads a small /proc file whole into buf (NUL-terminated): its length, or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)got + 1 < len) {
		ssize_t r = read(fd, buf + got, len - 1 - (size_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			got = -errno;
			break;
		}
		if (r == 0)
			break;
		got += r;
	}
	close(fd);
	if (got >= 0)
		buf[got] = '\0';
	return got;
}

int tp_proc_check(int pid, uint64_t *start)
{
	char path[64], text[1024], state;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = read_small(path, text, sizeof(text));
	if (n == -ENOENT || n == -ESRCH)
		return -ESRCH;
	if (n < 0)
		return (int)n;
	if (tp_proc_stat_parse(text, (size_t)n, &state, start) != 0)
		return -EINVAL;
	if (tp_proc_state_ended(state))
		return -ESRCH;
	/* stat is anyone's to read; the descriptors only the owner's (and root's). */
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	close(dir);
	return 0;
}

int tp_proc_block_size(int pid, int fd, uint64_t dev_id, uint64_t ino, uint64_t *size)
{
	char link[64];
	struct stat st;
	int dev, err = 0;

	/* Opening it is the only way: stat says 0. O_NONBLOCK: nothing waits for a medium;
	 * O_NOCTTY: a terminal there now never becomes ours. What was opened is checked before
	 * anything is done with it: the descriptor may have been closed and reused since it was
	 * read (a tape would rewind, a serial line change its modem lines, on an ioctl). */
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, fd);
	dev = open(link, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (dev < 0)
		return -errno;
	if (fstat(dev, &st) < 0)
		err = -errno;
	else if (!S_ISBLK(st.st_mode) || (uint64_t)st.st_dev != dev_id || (uint64_t)st.st_ino != ino)
		err = -EAGAIN;
	else if (ioctl(dev, BLKGETSIZE64, size) < 0)
		err = -errno;
	close(dev);
	return err;
}

int tp_proc_fd_read(int pid, int fd, struct tp_proc_fd *out)
{
	char link[64], info[64], text[4096];
	struct stat st, again;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, fd);
	snprintf(info, sizeof(info), "/proc/%d/fdinfo/%d", pid, fd);
	n = readlink(link, out->target, sizeof(out->target) - 1);
	if (n < 0)
		return -errno;
	out->target[n] = '\0';
	if (stat(link, &st) < 0)
		return -errno;
	out->kind = tp_fd_classify(st.st_mode, out->target);
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	out->info = (struct tp_fdinfo){ 0 };
	if (out->kind == TP_FD_OTHER)
		return 0;
	n = read_small(info, text, sizeof(text));
	if (n < 0)
		return (int)n;
	if (tp_fdinfo_parse(text, (size_t)n, &out->info) != 0)
		return -EINVAL;
	/* The descriptor may have been closed and opened on another file between the stat and
	 * the fdinfo: then the position may be the other file's. (fdinfo's own "ino:" is not
	 * compared: on overlayfs it is the layer's inode, not the one stat shows.) */
	if (stat(link, &again) < 0)
		return -errno;
	if (again.st_dev != st.st_dev || again.st_ino != st.st_ino)
		return -EAGAIN;
	return 0;
}

int tp_proc_fds(int pid, int *fds, unsigned max, unsigned *n)
{
	char path[64];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	*n = 0;
	while (*n < max && (e = readdir(d)) != NULL) {
		char *end;
		long v = strtol(e->d_name, &end, 10);

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || *end || v < 0 || v > INT_MAX)
			continue;  /* "." and ".." */
		fds[(*n)++] = (int)v;
	}
	closedir(d);
	return 0;
}
