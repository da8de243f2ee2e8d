#include "config.h"
#include "source.h"

#include <string.h>
#include "parse.h"
#include "serial.h"

int tp_source_open(struct tp_source *src, const char *spec, const struct tp_source_params *p)
{
	memset(src, 0, sizeof(*src));
	src->fd = -1;
	src->params = *p;
	char host[256];
	unsigned port;
	if (tp_parse_udp_endpoint(spec, host, sizeof(host), &port) != 0)
		src->ops = &tp_source_udp_ops;
	else if (tp_parse_tcp_endpoint(spec, host, sizeof(host), &port) != 0)
		src->ops = &tp_source_tcp_ops;
	else if (tp_serial_path(spec))
		src->ops = &tp_source_serial_ops;
	else
		src->ops = &tp_source_fd_ops;
	return src->ops->open(src, spec);
}
