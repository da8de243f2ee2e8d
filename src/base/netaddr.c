#include "config.h"
#include "netaddr.h"

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* An address as family, 16 bytes (IPv4 in the first four) and port, IPv4-mapped IPv6
 * folded into IPv4. false for a family that is neither. */
struct flat {
	int family;
	unsigned char addr[16];
	uint16_t port;
	bool any;
};

static bool flatten(const struct sockaddr *sa, struct flat *f)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(f, 0, sizeof(*f));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		f->family = AF_INET;
		memcpy(f->addr, &in->sin_addr, 4);
		f->port = in->sin_port;
		f->any = in->sin_addr.s_addr == htonl(INADDR_ANY);
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	f->port = in6->sin6_port;
	if (memcmp(in6->sin6_addr.s6_addr, mapped, 12) == 0) {
		f->family = AF_INET;
		memcpy(f->addr, in6->sin6_addr.s6_addr + 12, 4);
		f->any = memcmp(f->addr, "\0\0\0\0", 4) == 0;
		return true;
	}
	f->family = AF_INET6;
	memcpy(f->addr, in6->sin6_addr.s6_addr, 16);
	f->any = IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
	return true;
}

/* Whether f's address is one of this host's: binding a socket to it works only then. */
static bool is_local(const struct flat *f)
{
	struct sockaddr_storage ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (f->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, f->addr, 4);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, f->addr, 16);
		len = sizeof(*in6);
	}
	int fd = socket(f->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool local = bind(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return local;
}

bool tp_netaddr_loops(const struct sockaddr *bound, const struct sockaddr *dest)
{
	struct flat b, d;

	if (!flatten(bound, &b) || !flatten(dest, &d) || b.port != d.port)
		return false;
	if (b.any) /* 0.0.0.0 takes IPv4 only; :: (not IPV6_V6ONLY, as tpipe binds it) both */
		return (b.family == d.family || b.family == AF_INET6) && is_local(&d);
	return b.family == d.family && memcmp(b.addr, d.addr, 16) == 0;
}
