#include "config.h"
#include "source.h"

#include <string.h>

int tp_source_open(struct tp_source *src, const char *spec)
{
	memset(src, 0, sizeof(*src));
	src->fd = -1;
	/* Only files and standard input so far; udp:// and serial: get ops of their own. */
	src->ops = &tp_source_fd_ops;
	return src->ops->open(src, spec);
}
