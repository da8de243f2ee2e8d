/* A serial line as output (serial:PATH, or a terminal device's path): raw 8N1 at --baud
 * (serial.c); writes go through the fd engines (a terminal: io_uring with IOSQE_ASYNC, since
 * a tty write can block inside submit). At the end everything written is drained onto the
 * line before the settings are put back. */
#include "config.h"
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include "serial.h"

static int serial_sink_open(struct tp_sink *sink, const char *dest, const struct tp_sink_params *p)
{
	struct tp_serial *s = calloc(1, sizeof(*s));
	const char *path = tp_serial_path(dest);
	int err;

	sink->name = dest;
	if (!s)
		return -ENOMEM;
	err = tp_serial_open(s, path ? path : dest, O_WRONLY, p->baud, (enum tp_flow)p->flow);
	if (err) {
		sink->why = s->why;
		free(s);
		return err;
	}
	/* Blocking writes: the engines wait in write(), not in a poll loop. */
	int fl = fcntl(s->fd, F_GETFL);
	if (fl >= 0)
		fcntl(s->fd, F_SETFL, fl & ~O_NONBLOCK);
	sink->fd = s->fd;
	sink->flags = TP_SINK_TTY | TP_SINK_SERIAL;
	sink->baud = s->baud;
	sink->priv = s;
	return 0;
}

static int serial_sink_finish(struct tp_sink *sink, uint64_t deadline_ns, uint64_t drain_ns)
{
	size_t discarded = 0;
	int err = tp_serial_drain(sink->priv, deadline_ns, drain_ns, &discarded);

	sink->unsent = discarded;
	return err;
}

static int serial_sink_close(struct tp_sink *sink)
{
	struct tp_serial *s = sink->priv;
	int err = s ? tp_serial_close(s) : 0;

	free(s);
	sink->priv = NULL;
	sink->fd = -1;
	return err;
}

const struct tp_sink_ops tp_sink_serial_ops = {
	.name = "serial",
	.open = serial_sink_open,
	.finish = serial_sink_finish,
	.close = serial_sink_close,
};
