#include "config.h"
#include "source.h"

#include <string.h>
#include "parse.h"

int tp_source_open(struct tp_source *src, const char *spec)
{
	memset(src, 0, sizeof(*src));
	src->fd = -1;
	char host[256];
	unsigned port;
	src->ops = tp_parse_udp_endpoint(spec, host, sizeof(host), &port) != 0 ? &tp_source_udp_ops
										: &tp_source_fd_ops;
	return src->ops->open(src, spec);
}
