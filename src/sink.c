#include "config.h"
#include "sink.h"

#include <string.h>

int tp_sink_open(struct tp_sink *sink, const char *dest, bool append)
{
	memset(sink, 0, sizeof(*sink));
	sink->fd = -1;
	/* Only standard output and files so far; udp:// and serial: get ops of their own. */
	sink->ops = &tp_sink_fd_ops;
	return sink->ops->open(sink, dest, append);
}
