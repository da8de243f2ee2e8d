/* Socket addresses compared: whether what tpipe sends to its udp:// output would come back
 * in at its own udp:// input (`tpipe udp://:9000 -o udp://127.0.0.1:9000` would pass one
 * datagram round for ever). */
#ifndef TP_NETADDR_H
#define TP_NETADDR_H

#include <stdbool.h>
#include <sys/socket.h>

/* Whether a datagram sent to dest arrives at a socket bound to `bound`: the same port, and
 * the same address, or `bound` is a wildcard (0.0.0.0; :: takes IPv4 too) and dest is an
 * address of this host (the kernel is asked: a socket can be bound to it). IPv4-mapped IPv6
 * addresses count as the IPv4 ones. */
bool tp_netaddr_loops(const struct sockaddr *bound, const struct sockaddr *dest);

#endif
