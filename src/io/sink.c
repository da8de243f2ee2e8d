#include "config.h"
#include "sink.h"

#include <string.h>
#include "parse.h"
#include "serial.h"

int tp_sink_open(struct tp_sink *sink, const char *dest, const struct tp_sink_params *p)
{
	memset(sink, 0, sizeof(*sink));
	sink->fd = -1;
	char host[256];
	unsigned port;
	if (tp_parse_udp_endpoint(dest, host, sizeof(host), &port) != 0)
		sink->ops = &tp_sink_udp_ops;
	else if (tp_parse_tcp_endpoint(dest, host, sizeof(host), &port) != 0)
		sink->ops = &tp_sink_tcp_ops;
	else if (tp_serial_path(dest))
		sink->ops = &tp_sink_serial_ops;
	else
		sink->ops = &tp_sink_fd_ops;
	return sink->ops->open(sink, dest, p);
}
