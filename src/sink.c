#include "config.h"
#include "sink.h"

#include <string.h>
#include "parse.h"

int tp_sink_open(struct tp_sink *sink, const char *dest, bool append)
{
	memset(sink, 0, sizeof(*sink));
	sink->fd = -1;
	char host[256];
	unsigned port;
	sink->ops = tp_parse_udp_endpoint(dest, host, sizeof(host), &port) != 0 ? &tp_sink_udp_ops
										  : &tp_sink_fd_ops;
	return sink->ops->open(sink, dest, append);
}
