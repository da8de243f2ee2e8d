/* eio-shim: an LD_PRELOAD library that makes reads of one file fail with EIO at chosen byte
 * ranges, as a disk with bad sectors does, so that -E can be tested without a failing disk
 * (the device-mapper "error" target needs privileges a container seldom has).
 *   EIO_SHIM_FILE=PATH       the file (matched by device and inode, so a FIFO works too)
 *   EIO_SHIM_RANGES=A-B,...  bad byte ranges [A, B) of it
 *   EIO_SHIM_LOG=PATH        optional: one line "OFFSET" appended for every failed read
 * A read that starts in a bad range fails with EIO; one that starts before a bad range and
 * reaches into it comes back short, ending where the range begins (as a disk's read does).
 * read, __read_chk, readv, pread64, preadv and splice are covered; a descriptor that cannot
 * seek (a FIFO) counts its position from the bytes it returned. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_RANGES 32
#define MAX_FDS 1024

static struct {
	int ready;               /* 1: set up; -1: nothing to do */
	dev_t dev;
	ino_t ino;
	int n;
	int64_t start[MAX_RANGES], end[MAX_RANGES];
	int64_t stream_pos[MAX_FDS]; /* bytes returned so far by a descriptor that cannot seek */
	const char *log;
} shim;

static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_readv)(int, const struct iovec *, int);
static ssize_t (*real_pread64)(int, void *, size_t, off64_t);
static ssize_t (*real_preadv)(int, const struct iovec *, int, off_t);
static ssize_t (*real_splice)(int, loff_t *, int, loff_t *, size_t, unsigned);

static void set_up(void)
{
	struct stat st;
	const char *file = getenv("EIO_SHIM_FILE");
	const char *ranges = getenv("EIO_SHIM_RANGES");

	real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	real_readv = (ssize_t (*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "readv");
	real_pread64 = (ssize_t (*)(int, void *, size_t, off64_t))dlsym(RTLD_NEXT, "pread64");
	real_preadv = (ssize_t (*)(int, const struct iovec *, int, off_t))
		dlsym(RTLD_NEXT, "preadv");
	real_splice = (ssize_t (*)(int, loff_t *, int, loff_t *, size_t, unsigned))
		dlsym(RTLD_NEXT, "splice");
	shim.ready = -1;
	if (!file || !ranges || stat(file, &st) < 0)
		return;
	shim.dev = st.st_dev;
	shim.ino = st.st_ino;
	shim.log = getenv("EIO_SHIM_LOG");
	for (const char *p = ranges; *p && shim.n < MAX_RANGES;) {
		char *e;
		long long a = strtoll(p, &e, 10);
		if (*e != '-')
			break;
		long long b = strtoll(e + 1, &e, 10);
		shim.start[shim.n] = a;
		shim.end[shim.n++] = b;
		p = *e == ',' ? e + 1 : e;
		if (*e != ',')
			break;
	}
	shim.ready = 1;
}

__attribute__((constructor)) static void shim_init(void)
{
	if (!shim.ready)
		set_up();
}

/* Whether fd is the file. */
static int is_target(int fd)
{
	struct stat st;

	if (!shim.ready)
		set_up();
	return shim.ready == 1 && fstat(fd, &st) == 0 && st.st_dev == shim.dev &&
	       st.st_ino == shim.ino;
}

static int64_t position(int fd)
{
	off_t pos = lseek(fd, 0, SEEK_CUR);

	if (pos >= 0)
		return pos;
	return fd >= 0 && fd < MAX_FDS ? shim.stream_pos[fd] : 0;
}

/* EIO_SHIM_LOG: one line for a read that failed at pos. */
static void log_failure(int64_t pos)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%lld\n", (long long)pos);
	int fd = open(shim.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0)
			n = 0;
		close(fd);
	}
}

/* How many of len bytes at pos may be read: len, fewer (up to the next bad range), or -1
 * when pos is in one (errno EIO, logged). */
static ssize_t allowed(int64_t pos, size_t len)
{
	int64_t most = (int64_t)len;

	for (int i = 0; i < shim.n; i++) {
		if (pos >= shim.start[i] && pos < shim.end[i]) {
			if (shim.log)
				log_failure(pos);
			errno = EIO;
			return -1;
		}
		if (shim.start[i] > pos && shim.start[i] - pos < most)
			most = shim.start[i] - pos;
	}
	return (ssize_t)most;
}

static void advance(int fd, ssize_t n)
{
	if (n > 0 && fd >= 0 && fd < MAX_FDS && lseek(fd, 0, SEEK_CUR) < 0)
		shim.stream_pos[fd] += n;
}

ssize_t read(int fd, void *buf, size_t len)
{
	if (!is_target(fd))
		return real_read(fd, buf, len);
	ssize_t ok = allowed(position(fd), len);
	if (ok < 0)
		return -1;
	ssize_t n = real_read(fd, buf, (size_t)ok);
	advance(fd, n);
	return n;
}

ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	(void)buflen;
	return read(fd, buf, len);
}

ssize_t pread64(int fd, void *buf, size_t len, off64_t off)
{
	if (!is_target(fd))
		return real_pread64(fd, buf, len, off);
	ssize_t ok = allowed(off, len);
	return ok < 0 ? -1 : real_pread64(fd, buf, (size_t)ok, off);
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	return pread64(fd, buf, len, off);
}

/* A copy of iov cut to most bytes in all; how many entries. */
static int cut_iov(const struct iovec *iov, int cnt, size_t most, struct iovec *out)
{
	int n = 0;

	for (int i = 0; i < cnt && i < IOV_MAX && most > 0; i++) {
		out[n] = iov[i];
		if (out[n].iov_len > most)
			out[n].iov_len = most;
		most -= out[n++].iov_len;
	}
	return n;
}

static size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t sum = 0;

	for (int i = 0; i < cnt; i++)
		sum += iov[i].iov_len;
	return sum;
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	struct iovec cut[IOV_MAX];

	if (!is_target(fd) || cnt > IOV_MAX)
		return real_readv(fd, iov, cnt);
	ssize_t ok = allowed(position(fd), iov_total(iov, cnt));
	if (ok < 0)
		return -1;
	ssize_t n = real_readv(fd, cut, cut_iov(iov, cnt, (size_t)ok, cut));
	advance(fd, n);
	return n;
}

ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
	struct iovec cut[IOV_MAX];

	if (!is_target(fd) || cnt > IOV_MAX)
		return real_preadv(fd, iov, cnt, off);
	ssize_t ok = allowed(off, iov_total(iov, cnt));
	return ok < 0 ? -1 : real_preadv(fd, cut, cut_iov(iov, cnt, (size_t)ok, cut), off);
}

ssize_t splice(int in, loff_t *in_off, int out, loff_t *out_off, size_t len, unsigned flags)
{
	if (!is_target(in))
		return real_splice(in, in_off, out, out_off, len, flags);
	ssize_t ok = allowed(in_off ? *in_off : position(in), len);
	if (ok < 0)
		return -1;
	ssize_t n = real_splice(in, in_off, out, out_off, (size_t)ok, flags);
	if (!in_off)
		advance(in, n);
	return n;
}
