#include "config.h"
#include "tcp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>

void tp_tcp_set_options(int fd)
{
	int one = 1, idle = TP_TCP_KEEPIDLE, intvl = TP_TCP_KEEPINTVL, cnt = TP_TCP_KEEPCNT;
	unsigned user_timeout = TP_TCP_USER_TIMEOUT_MS;

	/* Each is a safeguard, not a need: a kernel that refuses one still moves the data. */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
}

void tp_tcp_describe(const struct sockaddr *sa, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
		snprintf(buf, len, "tcp://[%s]:%u", addr, ntohs(a->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
		snprintf(buf, len, "tcp://%s:%u", addr, ntohs(a->sin_port));
	} else {
		snprintf(buf, len, "tcp://?");
	}
}
