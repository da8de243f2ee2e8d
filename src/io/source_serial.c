/* A serial line as input: raw 8N1 at --baud (serial.c), read as it comes. A hang-up (EIO,
 * as a pseudo-terminal gives when its other side closes, or a USB adapter pulled out) is
 * the end of the input, not an error. */
#include "config.h"
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include "serial.h"

static int serial_source_open(struct tp_source *src, const char *spec)
{
	struct tp_serial *s = calloc(1, sizeof(*s));
	const char *path = tp_serial_path(spec);
	int err;

	src->name = spec;
	if (!s)
		return -ENOMEM;
	err = tp_serial_open(s, path ? path : spec, O_RDONLY, src->params.baud,
			     (enum tp_flow)src->params.flow);
	if (err) {
		src->why = s->why;
		free(s);
		return err;
	}
	src->fd = s->fd;
	src->pollable = true;
	src->endless = true;
	src->priv = s;
	return 0;
}

/* As the fd source reads (EINTR resumed), but a hang-up is the end, not an error. */
static ssize_t serial_source_readv(struct tp_source *src, const struct iovec *iov, int n)
{
	ssize_t got = tp_source_fd_ops.readv(src, iov, n);

	return got == -EIO ? 0 : got;
}

static ssize_t serial_source_read(struct tp_source *src, void *buf, size_t len)
{
	struct iovec iov = { buf, len };

	return serial_source_readv(src, &iov, 1);
}

static void serial_source_close(struct tp_source *src)
{
	struct tp_serial *s = src->priv;

	if (s)
		tp_serial_close(s);
	free(s);
	src->priv = NULL;
	src->fd = -1;
}

const struct tp_source_ops tp_source_serial_ops = {
	.name = "serial",
	.open = serial_source_open,
	.read = serial_source_read,
	.readv = serial_source_readv,
	.close = serial_source_close,
};
