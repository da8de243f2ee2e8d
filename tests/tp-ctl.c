/* tp-ctl: speaks to a tpipe's control socket directly, for the tests of -R and -Q.
 *   tp-ctl query SOCKET   one QUERY: prints "bytes N total N limit N named 0|1 name NAME
 *                         lines 0|1"; status 3 if the socket closed without a reply
 *   tp-ctl raw SOCKET     sends standard input as it is, then waits (3 s at most) for the
 *                         tpipe's reply or its close: prints "closed N" (N bytes of reply
 *                         came first); status 3 if it neither replied nor closed
 * Status 1 when the socket cannot be reached. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "ctl_proto.h"
#include "tool.h"

const char *tool_name = "tp-ctl";
const char *tool_usage = "tp-ctl query SOCKET | tp-ctl raw SOCKET <BYTES";

static int connect_path(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || strlen(path) >= sizeof(addr.sun_path))
		tool_die("socket");
	memcpy(addr.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		tool_die(path);
	return fd;
}

/* Reads until the peer closes or 3 s pass; how many bytes came (-1: it never closed). */
static ssize_t read_to_close(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 3000) <= 0)
			return -1;
		unsigned char scratch[4096];
		ssize_t n = recv(fd, scratch, sizeof(scratch), 0);
		if (n < 0 && errno == ECONNRESET)
			n = 0;
		if (n < 0)
			tool_die("recv");
		if (n == 0)
			return (ssize_t)got;
		size_t take = (size_t)n < len - got ? (size_t)n : len - got;
		memcpy(buf + got, scratch, take);
		got += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	unsigned char buf[TP_CTL_MSG_SIZE * 2];

	if (argc != 3)
		tool_usage_error("two arguments");
	int fd = connect_path(argv[2]);
	if (strcmp(argv[1], "query") == 0) {
		struct tp_ctl_msg m = { .type = TP_CTL_QUERY };
		tp_ctl_encode(&m, buf);
		if (send(fd, buf, TP_CTL_MSG_SIZE, MSG_NOSIGNAL) != TP_CTL_MSG_SIZE) {
			if (errno == EPIPE || errno == ECONNRESET)
				return 3; /* closed before it read a byte: refused */
			tool_die("send");
		}
		ssize_t n = read_to_close(fd, buf, sizeof(buf));
		if (n <= 0 || tp_ctl_decode(buf, (size_t)n, &m) != 0 || m.type != TP_CTL_STATE)
			return 3;
		printf("bytes %llu total %llu limit %llu named %d name %s lines %d\n",
		       (unsigned long long)m.u.state.bytes, (unsigned long long)m.u.state.total,
		       (unsigned long long)m.u.state.rate_limit, m.u.state.named, m.u.state.name,
		       m.u.state.line_mode);
		return 0;
	}
	if (strcmp(argv[1], "raw") != 0)
		tool_usage_error("query or raw");
	ssize_t n;
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
			break; /* dropped while we sent: it closed */
	n = read_to_close(fd, buf, sizeof(buf));
	if (n < 0)
		return 3;
	printf("closed %zd\n", n);
	return 0;
}
