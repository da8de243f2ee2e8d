/* Pure parsers for the command line's values: sizes, rates, durations.
 * No I/O, no global state; each returns 0 or -EINVAL (malformed) / -ERANGE (too big). */
#ifndef TP_PARSE_H
#define TP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* SIZE: digits with an optional fraction and an optional suffix.
 * K M G T are powers of 1024 (as pv and mbuffer read them), kB MB GB TB powers of 1000.
 * The result must be a whole number of bytes that fits in uint64_t.
 * Rejected: empty, sign, whitespace, hex, unknown suffix ("12Q"), "1.5" without suffix. */
int tp_parse_size(const char *text, uint64_t *bytes);

/* RATE: a SIZE per second, optionally ending in "/s"; also kbit Mbit Gbit (bits per second,
 * powers of 1000). Stored in bytes per second, rounded down; 0 means unlimited. */
int tp_parse_rate(const char *text, uint64_t *bytes_per_sec);

/* DURATION: seconds with an optional fraction and an optional unit: "ms", "s", "m".
 * Stored in nanoseconds. */
int tp_parse_duration(const char *text, uint64_t *nsec);

/* COUNT: a whole number of decimal digits only (no sign, space, fraction or suffix), at most
 * max. -EINVAL when malformed, -ERANGE past max. */
int tp_parse_uint(const char *text, uint64_t max, uint64_t *value);

/* CODE: "K+M" (--fec), two whole numbers: K data frames and M parity frames a group, each
 * at least 1, K + M at most max (a Reed-Solomon code over GF(2^8) has 256 symbols). -EINVAL
 * when malformed ("4", "4+", "+2", "4 + 2"), -ERANGE when a count is 0 or the sum past max. */
int tp_parse_fec(const char *text, unsigned max, unsigned *k, unsigned *m);

/* ENDPOINT: "udp://HOST:PORT", where HOST is a name, an IPv4 address, an IPv6 address in
 * brackets ("udp://[::1]:9000"), or empty ("udp://:9000": any local address). PORT is
 * 0..65535. host receives the host without brackets (empty when none; hostlen bytes at most,
 * NUL included). Returns 1 when text is a udp:// endpoint, 0 when it is not one (a path),
 * -EINVAL when it starts with udp:// but is malformed, -ERANGE for a port past 65535 or a
 * host longer than hostlen - 1. */
int tp_parse_udp_endpoint(const char *text, char *host, size_t hostlen, unsigned *port);

/* The same for "tcp://HOST:PORT" (an output connects there) and "tcp://[ADDR]:PORT" (an
 * input listens there; empty ADDR: every local address, IPv6 and IPv4). */
int tp_parse_tcp_endpoint(const char *text, char *host, size_t hostlen, unsigned *port);

#endif
